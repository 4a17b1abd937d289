package xmltok

import "unicode/utf8"

// Byte classes for the ASCII fast paths.
const (
	clPlain     = 0 // needs no attention in character data
	clSpecial   = 1 // '&', '<', '>', ']', '\r', '\t', '\n', or a non-ASCII byte
	clForbidden = 2 // a control character that is not an XML Char
)

// charClass classifies a byte of character data or attribute value. It is
// read-only after package initialisation.
var charClass = func() (t [256]uint8) {
	for c := 0; c < 0x20; c++ {
		t[c] = clForbidden
	}
	for _, c := range []byte{'&', '<', '>', ']', '\r', '\t', '\n'} {
		t[c] = clSpecial
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] = clSpecial
	}
	return t
}()

// nameByte marks ASCII bytes allowed in a Name: 1 = NameStartChar (except
// ':'), 2 = NameChar only. Bytes >= 0x80 are handled by isNameRune.
var nameByte = func() (t [128]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = 1
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = 1
	}
	t['_'] = 1
	for c := '0'; c <= '9'; c++ {
		t[c] = 2
	}
	t['-'] = 2
	t['.'] = 2
	return t
}()

// isChar reports whether r matches the Char production of XML 1.0 §2.2.
func isChar(r rune) bool {
	switch {
	case r >= 0x20 && r <= 0xD7FF:
		return true
	case r == 0x9 || r == 0xA || r == 0xD:
		return true
	case r >= 0xE000 && r <= 0xFFFD:
		return true
	case r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}

// isNameRune reports whether the non-ASCII rune r may start a Name (start)
// or continue one (XML 1.0 fifth edition §2.3).
func isNameRune(r rune, start bool) bool {
	switch {
	case r >= 0xC0 && r <= 0xD6, r >= 0xD8 && r <= 0xF6, r >= 0xF8 && r <= 0x2FF,
		r >= 0x370 && r <= 0x37D, r >= 0x37F && r <= 0x1FFF, r >= 0x200C && r <= 0x200D,
		r >= 0x2070 && r <= 0x218F, r >= 0x2C00 && r <= 0x2FEF, r >= 0x3001 && r <= 0xD7FF,
		r >= 0xF900 && r <= 0xFDCF, r >= 0xFDF0 && r <= 0xFFFD, r >= 0x10000 && r <= 0xEFFFF:
		return true
	}
	if start {
		return false
	}
	return r == 0xB7 || r >= 0x300 && r <= 0x36F || r >= 0x203F && r <= 0x2040
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// isName reports whether b is a Name without colon (an NCName).
func isNCName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if nameByte[c] == 0 || i == 0 && nameByte[c] != 1 {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError || !isNameRune(r, i == 0) {
			return false
		}
		i += n
	}
	return true
}
