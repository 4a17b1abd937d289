package xmpp

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// ErrInvalidText is wrapped by an Encoder error when a string holds something
// XML 1.0 cannot carry: invalid UTF-8, or a character outside the XML Char
// production such as NUL or most C0 controls (RFC 6120 §11.1, XML 1.0 §2.2).
// Such a string is refused rather than altered, so nothing is sent that the
// caller did not write.
var ErrInvalidText = errors.New("xmpp: text that XML cannot carry")

// Encoder writes an XMPP stream: a header, stanzas and other top-level
// elements, and the closing tag. Each call builds the whole element in an
// internal buffer and hands it to the writer in one Write, so a stanza is
// never interleaved with another writer's bytes at the transport level and a
// failed call writes nothing.
//
// Every string in a stanza (attribute values, JIDs, bodies, statuses) is
// escaped; none can inject markup. Element.Raw is written as it is and must be
// a single well-formed element, which [ParseElement] and [MarshalElement]
// guarantee.
//
// An Encoder is not safe for concurrent use.
type Encoder struct {
	w   io.Writer
	buf []byte
	// markIO makes flush return write errors as *ioError, so that a Client
	// tells a broken connection from a stanza refused before writing.
	markIO bool
	// nsEach makes Encode declare xmlns='jabber:client' on every stanza,
	// for the transports that frame each element on its own (RFC 7395
	// §3.3.3, XEP-0206 §6).
	nsEach bool
}

// NewEncoder returns an Encoder that writes to w.
func NewEncoder(w io.Writer) *Encoder { return &Encoder{w: w} }

// WriteHeader writes the XML declaration and the <stream:stream> open tag
// (RFC 6120 §4.7). An empty h.Namespace means jabber:client and an empty
// h.Version means "1.0".
func (e *Encoder) WriteHeader(h StreamHeader) error {
	ns := h.Namespace
	if ns == "" {
		ns = NSClient
	}
	version := h.Version
	if version == "" {
		version = "1.0"
	}
	b := append(e.buf[:0], "<?xml version='1.0'?><stream:stream xmlns='"...)
	b = appendEscaped(b, ns, true)
	b = append(b, "' xmlns:stream='"+NSStream+"'"...)
	b = appendJIDAttr(b, "from", h.From)
	b = appendJIDAttr(b, "to", h.To)
	b = appendAttr(b, "id", h.ID)
	b = appendAttr(b, "version", version)
	b = appendAttr(b, "xml:lang", h.Lang)
	b = append(b, '>')
	return e.flush(b)
}

// WriteEnd writes the closing </stream:stream> tag (RFC 6120 §4.4).
func (e *Encoder) WriteEnd() error {
	return e.flush(append(e.buf[:0], "</stream:stream>"...))
}

// WriteKeepalive writes a single space, the whitespace keepalive of
// RFC 6120 §4.6.1.
func (e *Encoder) WriteKeepalive() error {
	return e.flush(append(e.buf[:0], ' '))
}

// EncodeElement writes a top-level element other than a stanza, such as
// <starttls/> or <auth/>, from its raw text.
func (e *Encoder) EncodeElement(el Element) error {
	if el.Raw == "" {
		return errors.New("xmpp: encode: empty element")
	}
	if err := checkElement(el); err != nil {
		return err
	}
	return e.flush(append(e.buf[:0], el.Raw...))
}

// Encode writes a *Message, *Presence or *IQ. A nil stanza is
// ErrNilStanza; any other Stanza, or a stanza whose Type is none of its
// type's constants, is an error wrapping ErrUnsupportedStanza; an IQ whose
// Type is the zero value is an error wrapping ErrInvalidIQ. Nothing is
// written when Encode fails before writing.
func (e *Encoder) Encode(s Stanza) error {
	b, err := appendStanza(e.buf[:0], s)
	if err != nil {
		e.buf = b[:0]
		return err
	}
	if e.nsEach {
		b = declareClientNS(b)
	}
	return e.flush(b)
}

func (e *Encoder) flush(b []byte) error {
	e.buf = b[:0]
	_, err := e.w.Write(b)
	if err != nil && e.markIO {
		return &ioError{err}
	}
	return err
}

// declareClientNS inserts xmlns='jabber:client' after the element name at
// the start of b, an encoded stanza.
func declareClientNS(b []byte) []byte {
	const decl = " xmlns='" + NSClient + "'"
	i := 1
	for i < len(b) && b[i] != ' ' && b[i] != '>' && b[i] != '/' {
		i++
	}
	b = append(b, decl...)
	copy(b[i+len(decl):], b[i:len(b)-len(decl)])
	copy(b[i:], decl)
	return b
}

// ioError is an error of the writer under an Encoder (with markIO), as
// opposed to a stanza refused before anything was written.
type ioError struct{ err error }

func (e *ioError) Error() string { return e.err.Error() }
func (e *ioError) Unwrap() error { return e.err }

func isIOError(err error) bool {
	_, ok := errors.AsType[*ioError](err)
	return ok
}

// appendStanza appends the XML encoding of s to dst and returns the extended
// slice. On error the returned slice is dst with unspecified bytes appended.
func appendStanza(dst []byte, s Stanza) ([]byte, error) {
	var err error
	switch s := s.(type) {
	case *Message:
		if s == nil {
			return dst, ErrNilStanza
		}
		dst, err = appendMessage(dst, s)
	case *Presence:
		if s == nil {
			return dst, ErrNilStanza
		}
		dst, err = appendPresence(dst, s)
	case *IQ:
		if s == nil {
			return dst, ErrNilStanza
		}
		dst, err = appendIQ(dst, s)
	case nil:
		err = ErrNilStanza
	default:
		err = fmt.Errorf("%w: encode: %T", ErrUnsupportedStanza, s)
	}
	return dst, err
}

// checkText reports, as an error naming field, whether s holds anything XML
// cannot carry.
func checkText(field, s string) error { return checkText2(field, "", s) }

// checkText2 is checkText for a field named by two words, joined only when
// an error is reported.
func checkText2(elem, attr, s string) error {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isXMLChar(r) || (r == utf8.RuneError && size == 1) {
			field := elem
			if attr != "" {
				field += " " + attr
			}
			return fmt.Errorf("%w: %s has %q at byte %d", ErrInvalidText, field, s[i:i+size], i)
		}
		i += size
	}
	return nil
}

// isXMLChar reports whether r is in the XML 1.0 Char production.
func isXMLChar(r rune) bool {
	switch {
	case r == 0x9 || r == 0xA || r == 0xD:
		return true
	case r >= 0x20 && r <= 0xD7FF:
		return true
	case r >= 0xE000 && r <= 0xFFFD:
		return true
	case r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}

// appendEscaped appends s with the characters that are special in XML
// replaced by references. In attribute values (attr) both quotes and the
// whitespace characters that attribute normalisation would alter are escaped
// too. s must have passed checkText.
func appendEscaped(b []byte, s string, attr bool) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\r':
			esc = "&#13;"
		case '\'':
			if attr {
				esc = "&apos;"
			}
		case '"':
			if attr {
				esc = "&quot;"
			}
		case '\n':
			if attr {
				esc = "&#10;"
			}
		case '\t':
			if attr {
				esc = "&#9;"
			}
		}
		if esc != "" {
			b = append(b, s[last:i]...)
			b = append(b, esc...)
			last = i + 1
		}
	}
	return append(b, s[last:]...)
}

// appendAttr appends ` name='value'` when value is not empty. value must have
// passed checkText.
func appendAttr(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, ' ')
	b = append(b, name...)
	b = append(b, "='"...)
	b = appendEscaped(b, value, true)
	return append(b, '\'')
}

func appendJIDAttr(b []byte, name string, j JID) []byte {
	return appendAttr(b, name, j.String())
}

// appendHeaderOpen appends `<name`, the stanza's common attributes and its
// type attribute typ (which is a constant's value), having checked them.
func appendHeaderOpen(b []byte, name string, h *Header, typ string) ([]byte, error) {
	for _, f := range [...]struct{ name, v string }{
		{"id", h.ID}, {"xml:lang", h.Lang},
		{"from", h.From.String()}, {"to", h.To.String()},
	} {
		if err := checkText2(name, f.name, f.v); err != nil {
			return b, err
		}
	}
	b = append(b, '<')
	b = append(b, name...)
	b = appendAttr(b, "id", h.ID)
	b = appendAttr(b, "type", typ)
	b = appendJIDAttr(b, "from", h.From)
	b = appendJIDAttr(b, "to", h.To)
	b = appendAttr(b, "xml:lang", h.Lang)
	return b, nil
}

// appendTextElem appends <name xml:lang='lang'>text</name>, or nothing when
// text is empty and keepEmpty is false.
func appendTextElem(b []byte, name, lang, text string, keepEmpty bool) ([]byte, error) {
	if text == "" && !keepEmpty {
		return b, nil
	}
	if err := checkText(name, text); err != nil {
		return b, err
	}
	if err := checkText2(name, "xml:lang", lang); err != nil {
		return b, err
	}
	b = append(b, '<')
	b = append(b, name...)
	b = appendAttr(b, "xml:lang", lang)
	if text == "" {
		return append(b, "/>"...), nil
	}
	b = append(b, '>')
	b = appendEscaped(b, text, false)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>'), nil
}

// needsEmpty reports whether an empty main variant must still be written:
// when another variant also has no xml:lang, leaving the main one out would
// make that variant the main one on decoding.
func needsEmpty(vs []Text) bool {
	for _, v := range vs {
		if v.Lang == "" {
			return true
		}
	}
	return false
}

func appendVariants(b []byte, name string, vs []Text) ([]byte, error) {
	var err error
	for _, v := range vs {
		if b, err = appendTextElem(b, name, v.Lang, v.Value, true); err != nil {
			return b, err
		}
	}
	return b, nil
}

// checkElement makes sure el.Raw is one well-formed element before it is
// written, unless a constructor has already checked it.
func checkElement(el Element) error {
	if el.wellFormed || el.Raw == "" {
		return nil
	}
	if _, err := ParseElement(el.Raw); err != nil {
		return fmt.Errorf("xmpp: encode: element %s: %w", el.Name.Local, err)
	}
	return nil
}

func appendExtensions(b []byte, ext []Element) ([]byte, error) {
	for _, el := range ext {
		if err := checkElement(el); err != nil {
			return b, err
		}
		b = append(b, el.Raw...)
	}
	return b, nil
}

// closeStanza ends the open tag started at start: it self-closes the element
// when nothing was appended after the open tag's end at bodyStart.
func closeStanza(b []byte, bodyStart int, name string) []byte {
	if len(b) == bodyStart {
		// Nothing inside: turn "<name ...>" into "<name .../>".
		b = b[:len(b)-1]
		return append(b, "/>"...)
	}
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

func appendMessage(b []byte, m *Message) ([]byte, error) {
	if int(m.Type) >= len(messageTypes) {
		return b, fmt.Errorf("%w: message of type %v", ErrUnsupportedStanza, m.Type)
	}
	typ := ""
	if m.Type != MessageNormal {
		typ = m.Type.String()
	}
	b, err := appendHeaderOpen(b, "message", &m.Header, typ)
	if err != nil {
		return b, err
	}
	b = append(b, '>')
	start := len(b)
	if b, err = appendTextElem(b, "subject", "", m.Subject, needsEmpty(m.Subjects)); err != nil {
		return b, err
	}
	if b, err = appendVariants(b, "subject", m.Subjects); err != nil {
		return b, err
	}
	if b, err = appendTextElem(b, "body", "", m.Body, needsEmpty(m.Bodies)); err != nil {
		return b, err
	}
	if b, err = appendVariants(b, "body", m.Bodies); err != nil {
		return b, err
	}
	if m.Thread != "" || m.ThreadParent != "" {
		if err = checkText("thread", m.Thread); err != nil {
			return b, err
		}
		if err = checkText("thread parent", m.ThreadParent); err != nil {
			return b, err
		}
		b = append(b, "<thread"...)
		b = appendAttr(b, "parent", m.ThreadParent)
		b = append(b, '>')
		b = appendEscaped(b, m.Thread, false)
		b = append(b, "</thread>"...)
	}
	if b, err = appendStanzaError(b, m.Error); err != nil {
		return b, err
	}
	if b, err = appendExtensions(b, m.Extensions); err != nil {
		return b, err
	}
	return closeStanza(b, start, "message"), nil
}

func appendPresence(b []byte, p *Presence) ([]byte, error) {
	if int(p.Type) >= len(presenceTypes) {
		return b, fmt.Errorf("%w: presence of type %v", ErrUnsupportedStanza, p.Type)
	}
	b, err := appendHeaderOpen(b, "presence", &p.Header, p.Type.attr())
	if err != nil {
		return b, err
	}
	b = append(b, '>')
	start := len(b)
	if b, err = appendTextElem(b, "show", "", string(p.Show), false); err != nil {
		return b, err
	}
	if b, err = appendTextElem(b, "status", "", p.Status, needsEmpty(p.Statuses)); err != nil {
		return b, err
	}
	if b, err = appendVariants(b, "status", p.Statuses); err != nil {
		return b, err
	}
	if p.HasPriority || p.Priority != 0 {
		b = append(b, "<priority>"...)
		b = strconv.AppendInt(b, int64(p.Priority), 10)
		b = append(b, "</priority>"...)
	}
	if b, err = appendStanzaError(b, p.Error); err != nil {
		return b, err
	}
	if b, err = appendExtensions(b, p.Extensions); err != nil {
		return b, err
	}
	return closeStanza(b, start, "presence"), nil
}

func appendIQ(b []byte, iq *IQ) ([]byte, error) {
	switch {
	case iq.Type == 0:
		return b, fmt.Errorf("%w: encode: iq without a type", ErrInvalidIQ)
	case int(iq.Type) >= len(iqTypes):
		return b, fmt.Errorf("%w: iq of type %v", ErrUnsupportedStanza, iq.Type)
	}
	b, err := appendHeaderOpen(b, "iq", &iq.Header, iq.Type.String())
	if err != nil {
		return b, err
	}
	b = append(b, '>')
	start := len(b)
	if err = checkElement(iq.Payload); err != nil {
		return b, err
	}
	b = append(b, iq.Payload.Raw...)
	if b, err = appendStanzaError(b, iq.Error); err != nil {
		return b, err
	}
	return closeStanza(b, start, "iq"), nil
}

// isConditionName reports whether s can be a defined-condition element name:
// an XML NCName (no prefix), so that writing it as an element name cannot
// add markup.
func isConditionName(s string) bool {
	for i, r := range s {
		switch {
		case r == '_' || unicode.IsLetter(r):
		case i > 0 && (r == '-' || r == '.' || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)):
		default:
			return false
		}
	}
	return s != ""
}

func appendStanzaError(b []byte, se *StanzaError) ([]byte, error) {
	if se == nil {
		return b, nil
	}
	cond := string(se.Condition)
	if cond == "" {
		cond = string(ErrUndefinedCondition)
	}
	if !isConditionName(cond) {
		return b, fmt.Errorf("%w: stanza error condition %q is not a condition name", ErrInvalidText, cond)
	}
	for _, f := range [...]struct{ name, v string }{
		{"error type", string(se.Type)}, {"error text", se.Text}, {"error xml:lang", se.Lang}, {"error by", se.By.String()},
	} {
		if err := checkText(f.name, f.v); err != nil {
			return b, err
		}
	}
	b = append(b, "<error"...)
	b = appendAttr(b, "type", string(se.Type))
	b = appendJIDAttr(b, "by", se.By)
	b = append(b, "><"...)
	b = append(b, cond...)
	b = append(b, " xmlns='"+NSStanzas+"'/>"...)
	if se.Text != "" {
		b = append(b, "<text xmlns='"+NSStanzas+"'"...)
		b = appendAttr(b, "xml:lang", se.Lang)
		b = append(b, '>')
		b = appendEscaped(b, se.Text, false)
		b = append(b, "</text>"...)
	}
	b, err := appendExtensions(b, se.Extensions)
	if err != nil {
		return b, err
	}
	return append(b, "</error>"...), nil
}
