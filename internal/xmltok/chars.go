package xmltok

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

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
	for _, c := range []byte{'&', '<', '>', '\r', '\t', '\n'} {
		t[c] = clSpecial
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] = clSpecial
	}
	return t
}()

// attrClass marks the bytes that end a plain run in an attribute value.
var attrClass = func() (t [256]uint8) {
	for c := 0; c < 0x20; c++ {
		t[c] = 1
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] = 1
	}
	t['"'], t['\''], t['<'], t['&'] = 1, 1, 1, 1
	return t
}()

// nameByte marks ASCII bytes allowed in a Name: 1 = NameStartChar (except
// ':'), 2 = NameChar only. Bytes >= 0x80 are 0 here and handled by
// isNameRune.
var nameByte = func() (t [256]uint8) {
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

// SWAR ("SIMD within a register") tests on eight bytes at a time; each
// reports whether some byte of x has the property, without false negatives
// or positives.
const (
	swarLo = 0x0101010101010101
	swarHi = 0x8080808080808080
)

func hasZero(x uint64) uint64           { return (x - swarLo) & ^x & swarHi }
func hasLess(x uint64, n uint64) uint64 { return (x - swarLo*n) & ^x & swarHi }
func hasByte(x uint64, c uint64) uint64 { return hasZero(x ^ (swarLo * c)) }

// skipPlainAttr returns the start of the first 8-byte chunk of b, from i
// on, that may hold a byte other than a plain ASCII attribute value byte;
// the test is conservative (it also stops at ' ', '!', '#', '$' and '%').
func skipPlainAttr(b []byte, i int) int {
	for i+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[i:])
		if hasLess(x, 0x28)|x&swarHi|hasByte(x, '<') != 0 {
			break
		}
		i += 8
	}
	return i
}

// skipPlainText is skipPlainAttr for character data: it stops at chunks
// that may hold a control character, a non-ASCII byte, '&', '<' or '>'.
func skipPlainText(b []byte, i int) int {
	for i+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[i:])
		// y|2 == '>' exactly when y is '<' or '>'.
		if hasLess(x, 0x20)|x&swarHi|hasByte(x, '&')|hasByte(x|swarLo*2, '>') != 0 {
			break
		}
		i += 8
	}
	return i
}

// The masks of attrStops, textStops and nameStops flag, in the high bit of
// each byte, the bytes of an 8-byte little-endian word that need attention.
// A flag above the lowest one may be spurious (a borrow carried over from a
// byte below it), but the lowest one is always exact: firstStop gives the
// position of the first byte that needs attention.

// firstStop returns the index of the byte the lowest flag of m marks; m
// must not be zero.
func firstStop(m uint64) int { return bits.TrailingZeros64(m) >> 3 }

// attrStops flags the bytes that end a plain run in an attribute value
// quoted with the quote repeated in qq (swarLo times the quote): control
// characters, non-ASCII bytes, the quote, '<' and '&'.
func attrStops(x, qq uint64) uint64 {
	return ctlOrHigh(x) | hasZero(x^qq) | hasByte(x, '<') | hasByte(x, '&')
}

// attrRunStops is a cheaper, coarser attrStops for either quote: it flags
// every byte below '(' (control characters, space, both quotes, '&' and a
// few punctuation characters) or from 0x80 on, and '<'. As with attrStops,
// the lowest flag is exact; scanAttrValue steps over the coarse extras.
func attrRunStops(x uint64) uint64 {
	return (x - swarLo*'(' | x | hasZero(x^swarLo*'<')) & swarHi
}

// attrMasks holds the masks of attrRunStops for its hot loop. They come
// from a variable rather than from constants because the compiler
// materialises a 64-bit constant anew, with an instruction, at each use
// inside a loop, whereas it keeps the fields of a small struct held in a
// local variable in registers: a third fewer instructions per word.
type attrMasks struct{ hi, negLo, negParen, lt uint64 }

var attrMask = attrMasks{
	hi:       swarHi,
	negLo:    -swarLo & (1<<64 - 1),
	negParen: -(swarLo * '(') & (1<<64 - 1),
	lt:       swarLo * '<',
}

// stops is attrRunStops(x).
func (k attrMasks) stops(x uint64) uint64 {
	y := x ^ k.lt
	return (x + k.negParen | x | (y+k.negLo)&^y) & k.hi
}

// ctlOrHigh flags the bytes below 0x20 or from 0x80 on: hasLess(x, 0x20) |
// x&swarHi in fewer operations.
func ctlOrHigh(x uint64) uint64 { return (x - swarLo*0x20 | x) & swarHi }

// textStops flags the bytes that end a plain run in character data:
// control characters, non-ASCII bytes, '&', '<' and '>'.
func textStops(x uint64) uint64 {
	// y|2 == '>' exactly when y is '<' or '>'.
	return ctlOrHigh(x) | hasByte(x, '&') | hasByte(x|swarLo*2, '>')
}

// nameStops flags the bytes that are not ASCII NameChars, ':' included.
// Every flag is exact. It tests three ranges (for bytes below 0x80, adding
// 0x80-lo and 0x7f-hi to each byte cannot carry into the next), and '_',
// written out so that it is cheap enough to be inlined.
func nameStops(x uint64) uint64 {
	const (
		lower     = swarLo * 0x20 // maps 'A'..'Z', and nothing else, onto 'a'..'z'
		fromA     = swarLo * (0x80 - 'a')
		pastZ     = swarLo * (0x7f - 'z')
		from0     = swarLo * (0x80 - '0')
		past9     = swarLo * (0x7f - '9')
		fromDash  = swarLo * (0x80 - '-')
		pastDot   = swarLo * (0x7f - '.')
		underline = swarLo * '_'
	)
	y := x &^ swarHi
	l := y | lower
	ok := (l+fromA)&^(l+pastZ) | (y+from0)&^(y+past9) | (y+fromDash)&^(y+pastDot) |
		^((y ^ underline) + swarLo*0x7f) // zero exactly in the bytes that are '_'
	return (^ok | x) & swarHi
}
