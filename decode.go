package xmpp

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gojabber/xmpp/internal/xmltok"
)

// Limits bound what a Decoder accepts from the peer. A zero field means the
// default. Exceeding a limit is a policy-violation stream error, found
// without buffering more than the limit plus a little.
type Limits struct {
	MaxStanzaSize int // bytes of one top-level element; default 256 KiB
	MaxDepth      int // element nesting inside a stanza; default 64
	MaxAttrs      int // attributes on one element; default 64
}

// StreamHeader holds the attributes of a <stream:stream> open tag (RFC 6120 §4.7).
type StreamHeader struct {
	From, To JID
	ID       string
	Version  string
	Lang     string
	// Namespace is the default namespace the header declares, e.g. jabber:client.
	Namespace string
}

// BadStanzaError reports a stanza that is well-formed XML but breaks the
// stanza rules of RFC 6120 §8 and RFC 6121: an unparsable from or to
// address, a presence of a type RFC 6121 §4.7.1 does not define, a
// presence priority that is not an integer in -128..127, an IQ without an
// id, without a type or of an undefined one, or with the wrong number of
// payloads. (A message of an unknown type is not an error: it is a normal
// message, RFC 6121 §5.2.2.)
//
// It is not fatal: the Decoder drops the stanza and the next call to Next
// continues with the following element. Header and Type hold the
// attributes that could be read (an invalid address is left zero), so that
// the session can answer an IQ whose Type is "get" or "set" with a stanza
// error of the given Condition.
type BadStanzaError struct {
	// Name is the stanza's element name: "message", "presence" or "iq".
	Name string
	// Header holds the stanza's readable attributes.
	Header Header
	// Type is the stanza's type attribute as it was sent, "" when absent.
	// It is a string, not a MessageType, PresenceType or IQType, as the
	// value may be one no type constant stands for.
	Type string
	// Condition is the stanza error condition that fits, ErrJIDMalformed or
	// ErrBadRequest (RFC 6120 §8.3.3).
	Condition StanzaCondition
	// Raw is the stanza's XML text.
	Raw string
	// Offset is the stanza's byte offset in the stream.
	Offset int64
	// Err describes the problem.
	Err error
}

func (e *BadStanzaError) Error() string {
	return fmt.Sprintf("xmpp: bad %s stanza at byte %d (%s): %v", e.Name, e.Offset, e.Condition, e.Err)
}

func (e *BadStanzaError) Unwrap() error { return e.Err }

// Decoder reads an XMPP stream (RFC 6120 §4) from an io.Reader: the stream
// header, then one top-level element per call to Next. It buffers its
// input. It is not safe for concurrent use.
//
// The XML it accepts is restricted as RFC 6120 §11.1 requires: no comments,
// processing instructions, DTDs or entity references other than the five
// predefined ones; only UTF-8. Bad XML and exceeded limits end the stream
// with a *StreamError.
type Decoder struct {
	tok      *xmltok.Tokenizer
	hdr      StreamHeader
	hdrRead  bool
	err      error // sticky
	to       jidMemo
	slowJIDs map[string]JID // see parseJID
	codec
}

// parseJID is ParseJID(s). It remembers the addresses that only the slow
// path accepts, whose preparation costs dozens of allocations, since a
// stream repeats them: the occupants of a chat room with non-ASCII nicks.
func (d *Decoder) parseJID(s string) (JID, error) {
	if j, ok := parseFast(s); ok {
		return j, nil
	}
	if j, ok := d.slowJIDs[s]; ok {
		return j, nil
	}
	j, err := parseSlow(s)
	if err != nil || len(s) > 256 {
		return j, err
	}
	if d.slowJIDs == nil || len(d.slowJIDs) >= 256 {
		d.slowJIDs = make(map[string]JID)
	}
	// j.s may be s itself: copy it too, so as not to keep a stanza alive.
	j.s = strings.Clone(j.s)
	d.slowJIDs[strings.Clone(s)] = j
	return j, nil
}

// jidMemo remembers the last address that ParseJID accepted on its fast
// path, for an attribute whose value repeats: the to of nearly every stanza
// a client receives is its own full JID.
type jidMemo struct {
	s          string // a copy, so as not to keep a stanza alive
	lend, dend uint16
}

// parseTo is ParseJID(s) for the to attribute of a stanza.
func (d *Decoder) parseTo(s string) (JID, error) {
	m := &d.to
	if s == m.s && s != "" {
		return JID{s: s, lend: m.lend, dend: m.dend}, nil
	}
	j, ok := parseFast(s)
	if !ok {
		return d.parseJID(s)
	}
	m.s, m.lend, m.dend = strings.Clone(s), j.lend, j.dend
	return j, nil
}

// codec holds the scratch space for reading a tokenized element.
type codec struct {
	uris    []string // namespace URIs of the element being read
	arena   []byte   // for stanzaString
	scratch []byte
	decls   []outerDecl
}

type outerDecl struct{ prefix, uri string }

// NewDecoder returns a Decoder reading from r with the default limits.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{tok: xmltok.New(r)}
}

// SetLimits sets the limits on what the peer may send; zero fields take
// the defaults.
func (d *Decoder) SetLimits(l Limits) {
	d.tok.SetLimits(xmltok.Limits{MaxSize: l.MaxStanzaSize, MaxDepth: l.MaxDepth, MaxAttrs: l.MaxAttrs})
}

// Buffered returns the number of bytes read from the underlying reader and
// not yet consumed. After a STARTTLS <proceed/> it must be zero: anything
// else was sent before the TLS handshake and must not be trusted.
func (d *Decoder) Buffered() int { return d.tok.Buffered() }

// Reset prepares the Decoder for a stream restart (RFC 6120 §4.3.3): the
// next call to Header or Next reads a new stream header. Buffered input is
// kept.
func (d *Decoder) Reset() {
	d.tok.Reset()
	d.hdr = StreamHeader{}
	d.hdrRead = false
}

// fail records a fatal error: an *xmltok.Error becomes a *StreamError.
func (d *Decoder) fail(err error) error {
	var te *xmltok.Error
	if errors.As(err, &te) {
		err = &StreamError{Condition: StreamCondition(te.Condition), Offset: te.Offset, Err: te}
	}
	d.err = err
	return err
}

func streamErr(cond StreamCondition, off int64, format string, args ...any) *StreamError {
	return &StreamError{Condition: cond, Offset: off, Err: fmt.Errorf(format, args...)}
}

// Header reads the stream header on its first call after NewDecoder or
// Reset and returns it; later calls return the same header. A header that
// is not <stream> in the http://etherx.jabber.org/streams namespace is an
// invalid-namespace stream error; an unparsable from or to address is an
// invalid-from or improper-addressing stream error.
func (d *Decoder) Header() (StreamHeader, error) {
	if d.hdrRead {
		return d.hdr, nil
	}
	if d.err != nil {
		return StreamHeader{}, d.err
	}
	el, err := d.tok.Header()
	if err != nil {
		return StreamHeader{}, d.fail(err)
	}
	s := string(el.Data)
	toks := el.Toks
	d.uris = el.URIs
	root := toks[0]
	if d.uris[root.NS] != NSStream || s[root.Local:root.Name.End] != "stream" {
		return StreamHeader{}, d.fail(streamErr(CondInvalidNamespace, el.Offset, "stream header <%s> in namespace %q", s[root.Name.Start:root.Name.End], d.uris[root.NS]))
	}
	var h StreamHeader
	for k := 1; k < len(toks) && toks[k].Kind == xmltok.Attr; k++ {
		a := &toks[k]
		v := d.value(s, a)
		if a.Flags&xmltok.FlagXmlns != 0 {
			if a.Local == a.Name.Start {
				h.Namespace = v
			}
			continue
		}
		switch local := s[a.Local:a.Name.End]; {
		case a.NS == xmltok.NSIndex && local == "lang":
			h.Lang = v
		case a.NS != xmltok.NSNone:
		case local == "id":
			h.ID = v
		case local == "version":
			h.Version = v
		case local == "from":
			if h.From, err = ParseJID(v); err != nil {
				return StreamHeader{}, d.fail(&StreamError{Condition: CondInvalidFrom, Offset: el.Offset, Err: err})
			}
		case local == "to":
			if h.To, err = ParseJID(v); err != nil {
				return StreamHeader{}, d.fail(&StreamError{Condition: CondImproperAddressing, Offset: el.Offset, Err: err})
			}
		}
	}
	d.hdr, d.hdrRead = h, true
	return h, nil
}

// Next returns the next top-level element of the stream, reading the
// stream header first if Header was not called:
//
//   - a *Message, *Presence or *IQ for a stanza in jabber:client or in the
//     default namespace the header declared;
//   - an *Element for any other element (stream features, STARTTLS and SASL
//     negotiation, stream management, ...);
//   - (nil, *StreamError) with Offset -1 for a <stream:error/> from the peer,
//     and with the offset of the problem for XML the Decoder rejects;
//   - (nil, *BadStanzaError) for a stanza that breaks the stanza rules; the
//     stream goes on;
//   - (nil, io.EOF) after the stream's end tag </stream:stream>.
//
// Other errors come from the reader. Every error except *BadStanzaError is
// final: later calls return it again.
//
// The values returned are never modified by the Decoder and stay valid after
// further calls.
func (d *Decoder) Next() (any, error) {
	if d.err != nil {
		return nil, d.err
	}
	if !d.hdrRead {
		if _, err := d.Header(); err != nil {
			return nil, err
		}
	}
	el, err := d.tok.Next()
	if err != nil {
		return nil, d.fail(err)
	}
	// The one copy of the element: every string of the result is a
	// substring of s.
	toks := el.Toks
	var s string
	if el.Escaped {
		s = d.stanzaString(el.Data, toks)
	} else {
		s = string(el.Data)
	}
	d.uris = el.URIs
	root := &toks[0]
	local := s[root.Local:root.Name.End]
	space := d.uris[root.NS]
	if space == NSClient || space != "" && space == d.hdr.Namespace {
		var v any
		switch local {
		case "message":
			v, err = d.message(s, toks)
		case "presence":
			v, err = d.presence(s, toks)
		case "iq":
			v, err = d.iq(s, toks)
		default:
			return &Element{Name: xml.Name{Space: space, Local: local}, Raw: d.raw(s, toks, 0), wellFormed: true}, nil
		}
		if err != nil {
			if be, ok := err.(*BadStanzaError); ok {
				be.Name, be.Raw, be.Offset = local, s[:len(el.Data)], el.Offset
			}
			return nil, err
		}
		return v, nil
	}
	if space == NSStream && local == "error" {
		d.err = d.streamError(s, toks)
		return nil, d.err
	}
	return &Element{Name: xml.Name{Space: space, Local: local}, Raw: d.raw(s, toks, 0), wellFormed: true}, nil
}

// DecodeStanza decodes el, a <message/>, <presence/> or <iq/> element in
// the jabber:client namespace or in no namespace, into a *Message,
// *Presence or *IQ, with the checks and limits of a [Decoder]: the default
// [Limits] and the restrictions of RFC 6120 §11.1. Its errors are those of
// Decoder.Next for the same element: a *StreamError (with Offset relative
// to el.Raw) for XML the Decoder would reject, a *BadStanzaError for a
// stanza that breaks the stanza rules. An element that is not a stanza is
// an error wrapping ErrUnsupportedStanza.
//
// It is for stanzas carried inside other elements, such as a forwarded
// message (XEP-0297) or an archived one (XEP-0313). An el returned by a
// Decoder whose MaxStanzaSize is above the default, and which is larger
// than the default, is not refused for its size: it was accepted once.
// Like those of a Decoder, the values returned share memory with el.Raw
// and are never modified.
func DecodeStanza(el Element) (Stanza, error) {
	if el.Raw == "" {
		return nil, fmt.Errorf("%w: empty element", ErrUnsupportedStanza)
	}
	var p xmltok.Parser
	if el.wellFormed && len(el.Raw) > xmltok.DefaultMaxSize {
		p.SetLimits(xmltok.Limits{MaxSize: len(el.Raw)})
	}
	toks, err := p.Parse([]byte(el.Raw))
	if err != nil {
		if te, ok := errors.AsType[*xmltok.Error](err); ok {
			return nil, &StreamError{Condition: StreamCondition(te.Condition), Offset: te.Offset, Err: te}
		}
		return nil, err
	}
	var d Decoder
	d.uris = p.URIs()
	s := el.Raw
	root := &toks[0]
	local := s[root.Local:root.Name.End]
	space := d.uris[root.NS]
	var v Stanza
	switch {
	case space != NSClient && space != "":
		return nil, fmt.Errorf("%w: <%s xmlns='%s'>", ErrUnsupportedStanza, local, space)
	case local == "message":
		v, err = d.message(s, toks)
	case local == "presence":
		v, err = d.presence(s, toks)
	case local == "iq":
		v, err = d.iq(s, toks)
	default:
		return nil, fmt.Errorf("%w: <%s xmlns='%s'>", ErrUnsupportedStanza, local, space)
	}
	if err != nil {
		if be, ok := err.(*BadStanzaError); ok {
			be.Name, be.Raw = local, s
		}
		return nil, err
	}
	return v, nil
}

// stanzaString returns data as a string followed by the unescaped values of
// the escaped attributes and texts of the element and its children, which
// are what the stanza fields take; it points those tokens at their values
// in the string. So a stanza costs one string however much it escapes.
func (d *codec) stanzaString(data []byte, toks []xmltok.Token) string {
	depth, esc := 0, false
	buf := d.arena[:0]
	for k := 0; k < len(toks); k++ {
		t := &toks[k]
		switch t.Kind {
		case xmltok.Start:
			if depth == 2 {
				// Skip a grandchild, and what is inside it, to its End.
				k = int(t.Match)
			} else {
				depth++
			}
			continue
		case xmltok.End:
			depth--
			continue
		}
		if t.Flags&xmltok.FlagEscaped == 0 {
			continue
		}
		fl := t.Flags
		if t.Kind == xmltok.Attr {
			fl |= xmltok.FlagAttrValue
		}
		start := len(data) + len(buf)
		buf = xmltok.AppendValue(buf, data[t.Value.Start:t.Value.End], fl)
		t.Value = xmltok.Span{Start: int32(start), End: int32(len(data) + len(buf))}
		t.Flags &^= xmltok.FlagEscaped
		esc = true
	}
	if !esc {
		return string(data)
	}
	d.arena = buf
	// One allocation and one copy of data: the Builder's String does not
	// copy.
	var b strings.Builder
	b.Grow(len(data) + len(buf))
	b.Write(data)
	b.Write(buf)
	return b.String()
}

// value returns the value of an Attr or Text token as a substring of s when
// it holds no references.
func (d *codec) value(s string, t *xmltok.Token) string {
	raw := s[t.Value.Start:t.Value.End]
	if t.Flags&xmltok.FlagEscaped == 0 {
		return raw
	}
	fl := t.Flags
	if t.Kind == xmltok.Attr {
		fl |= xmltok.FlagAttrValue
	}
	d.scratch = xmltok.AppendValue(d.scratch[:0], raw, fl)
	return string(d.scratch)
}

// text returns the character data directly inside the element at toks[si].
func (d *codec) text(s string, toks []xmltok.Token, si int) string {
	end := int(toks[si].Match)
	first := -1
	for k := si + 1; k < end; k++ {
		switch toks[k].Kind {
		case xmltok.Start:
			k = int(toks[k].Match)
		case xmltok.Text:
			if first < 0 {
				first = k
				continue
			}
			// Several pieces: concatenate.
			buf := d.scratch[:0]
			for j := first; j < end; j++ {
				switch toks[j].Kind {
				case xmltok.Start:
					j = int(toks[j].Match)
				case xmltok.Text:
					buf = xmltok.AppendValue(buf, s[toks[j].Value.Start:toks[j].Value.End], toks[j].Flags)
				}
			}
			d.scratch = buf
			return string(buf)
		}
	}
	if first < 0 {
		return ""
	}
	return d.value(s, &toks[first])
}

// attrs calls f for each attribute of the element at toks[si] that is not
// a namespace declaration.
func attrs(s string, toks []xmltok.Token, si int, f func(a *xmltok.Token, local string)) {
	for k := si + 1; k < len(toks) && toks[k].Kind == xmltok.Attr; k++ {
		a := &toks[k]
		if a.Flags&xmltok.FlagXmlns == 0 {
			f(a, s[a.Local:a.Name.End])
		}
	}
}

// attr returns the value of the attribute without namespace named local on
// the element at toks[si].
func (d *codec) attr(s string, toks []xmltok.Token, si int, local string) string {
	for k := si + 1; k < len(toks) && toks[k].Kind == xmltok.Attr; k++ {
		a := &toks[k]
		if a.NS == xmltok.NSNone && a.Flags&xmltok.FlagXmlns == 0 && s[a.Local:a.Name.End] == local {
			return d.value(s, a)
		}
	}
	return ""
}

// lang returns the xml:lang attribute of the element at toks[si].
func (d *codec) lang(s string, toks []xmltok.Token, si int) string {
	for k := si + 1; k < len(toks) && toks[k].Kind == xmltok.Attr; k++ {
		a := &toks[k]
		if a.NS == xmltok.NSIndex && s[a.Local:a.Name.End] == "lang" {
			return d.value(s, a)
		}
	}
	return ""
}

// nextChild returns the index of the first child element of toks[si]
// at or after k, or -1.
func nextChild(toks []xmltok.Token, si, k int) int {
	end := int(toks[si].Match)
	for ; k < end; k++ {
		switch toks[k].Kind {
		case xmltok.Start:
			return k
		}
	}
	return -1
}

// children iterates over the child elements of toks[si]: for c := first; c >= 0; c = next.
func firstChild(toks []xmltok.Token, si int) int { return nextChild(toks, si, si+1) }
func afterChild(toks []xmltok.Token, si, c int) int {
	return nextChild(toks, si, int(toks[c].Match)+1)
}

// raw returns the XML text of the element at toks[si], with declarations
// added to its start tag for the namespaces it uses that its ancestors
// declare, so that it stands alone.
func (d *codec) raw(s string, toks []xmltok.Token, si int) string {
	st := &toks[si]
	end := int(st.Match)
	if st.Flags&xmltok.FlagOuterNS == 0 {
		// It declares every namespace it uses.
		return s[st.Value.Start:toks[end].Value.End]
	}
	d.decls = d.decls[:0]
	for k := si; k < end; k++ {
		t := &toks[k]
		if int(t.Decl) >= si || t.Decl == xmltok.DeclNone || t.Kind == xmltok.End || t.Kind == xmltok.Text {
			continue
		}
		prefix := ""
		if t.Local > t.Name.Start {
			prefix = s[t.Name.Start : t.Local-1]
		}
		dup := false
		for _, o := range d.decls {
			if o.prefix == prefix {
				dup = true
				break
			}
		}
		if !dup {
			d.decls = append(d.decls, outerDecl{prefix, d.uris[t.NS]})
		}
	}
	raw := s[st.Value.Start:toks[end].Value.End]
	if len(d.decls) == 0 {
		return raw
	}
	nameEnd := int(st.Name.End - st.Value.Start)
	b := make([]byte, 0, len(raw)+64)
	b = append(b, raw[:nameEnd]...)
	for _, o := range d.decls {
		b = appendXmlns(b, o.prefix, o.uri)
	}
	b = append(b, raw[nameEnd:]...)
	return string(b)
}

// appendXmlns appends a namespace declaration attribute, with a leading
// space.
func appendXmlns(b []byte, prefix, uri string) []byte {
	b = append(b, " xmlns"...)
	if prefix != "" {
		b = append(b, ':')
		b = append(b, prefix...)
	}
	b = append(b, "='"...)
	b = appendAttrEscaped(b, uri)
	return append(b, '\'')
}

func appendAttrEscaped(b []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '&':
			b = append(b, "&amp;"...)
		case '<':
			b = append(b, "&lt;"...)
		case '\'':
			b = append(b, "&apos;"...)
		case '"':
			b = append(b, "&quot;"...)
		case '\t':
			b = append(b, "&#x9;"...)
		case '\n':
			b = append(b, "&#xA;"...)
		case '\r':
			b = append(b, "&#xD;"...)
		default:
			b = append(b, c)
		}
	}
	return b
}

func (d *codec) element(s string, toks []xmltok.Token, si int) Element {
	t := &toks[si]
	return Element{Name: xml.Name{Space: d.uris[t.NS], Local: s[t.Local:t.Name.End]}, Raw: d.raw(s, toks, si), wellFormed: true}
}

func badStanza(h Header, typ string, cond StanzaCondition, format string, args ...any) *BadStanzaError {
	return &BadStanzaError{Header: h, Type: typ, Condition: cond, Err: fmt.Errorf(format, args...)}
}

// header reads the stanza attributes of RFC 6120 §8.1 into h, and returns
// the type attribute, which the caller parses.
func (d *Decoder) header(h *Header, s string, toks []xmltok.Token) (typ string, _ *BadStanzaError) {
	var from, to string
	attrs(s, toks, 0, func(a *xmltok.Token, local string) {
		if a.NS == xmltok.NSIndex {
			if local == "lang" {
				h.Lang = d.value(s, a)
			}
			return
		}
		if a.NS != xmltok.NSNone {
			return
		}
		switch local {
		case "id":
			h.ID = d.value(s, a)
		case "type":
			typ = d.value(s, a)
		case "from":
			from = d.value(s, a)
		case "to":
			to = d.value(s, a)
		}
	})
	var err error
	if from != "" {
		if h.From, err = d.parseJID(from); err != nil {
			return typ, badStanza(*h, typ, ErrJIDMalformed, "from: %w", err)
		}
	}
	if to != "" {
		if h.To, err = d.parseTo(to); err != nil {
			return typ, badStanza(*h, typ, ErrJIDMalformed, "to: %w", err)
		}
	}
	return typ, nil
}

// variants splits the language variants of an element into the main one
// (the first without its own xml:lang) and the others, so that nothing is
// lost: when every variant has an xml:lang, there is no main one.
type variants struct {
	n     int
	first [4]Text
	more  []Text
}

func (v *variants) add(t Text) {
	if v.n < len(v.first) {
		v.first[v.n] = t
	} else {
		v.more = append(v.more, t)
	}
	v.n++
}

func (v *variants) get(i int) Text {
	if i < len(v.first) {
		return v.first[i]
	}
	return v.more[i-len(v.first)]
}

func (v *variants) split() (string, []Text) {
	if v.n == 0 {
		return "", nil
	}
	main := -1
	for i := 0; i < v.n; i++ {
		if v.get(i).Lang == "" {
			main = i
			break
		}
	}
	if v.n == 1 && main == 0 {
		return v.first[0].Value, nil
	}
	rest := make([]Text, 0, v.n)
	for i := 0; i < v.n; i++ {
		if i != main {
			rest = append(rest, v.get(i))
		}
	}
	if main < 0 {
		return "", rest
	}
	return v.get(main).Value, rest
}

func (d *Decoder) message(s string, toks []xmltok.Token) (*Message, error) {
	m := newMessage(countExtensions(s, toks, false))
	typ, err := d.header(&m.Header, s, toks)
	if err != nil {
		return nil, err
	}
	m.Type = parseMessageType(typ)
	ns := toks[0].NS
	var subjects, bodies variants
	for c := firstChild(toks, 0); c >= 0; c = afterChild(toks, 0, c) {
		t := &toks[c]
		if t.NS == ns {
			switch s[t.Local:t.Name.End] {
			case "body":
				bodies.add(Text{Lang: d.lang(s, toks, c), Value: d.text(s, toks, c)})
				continue
			case "subject":
				subjects.add(Text{Lang: d.lang(s, toks, c), Value: d.text(s, toks, c)})
				continue
			case "thread":
				m.Thread = d.text(s, toks, c)
				m.ThreadParent = d.attr(s, toks, c, "parent")
				continue
			case "error":
				m.Error = d.stanzaError(s, toks, c)
				continue
			}
		}
		m.Extensions = append(m.Extensions, d.element(s, toks, c))
	}
	if len(m.Extensions) == 0 {
		m.Extensions = nil
	}
	m.Subject, m.Subjects = subjects.split()
	m.Body, m.Bodies = bodies.split()
	return m, nil
}

// newMessage allocates a Message together with room for its n extensions,
// in one allocation of a size near what they need.
func newMessage(n int) *Message {
	return withExtensions(n, func(m *Message) *[]Element { return &m.Extensions })
}

// newPresence is newMessage for a Presence.
func newPresence(n int) *Presence {
	return withExtensions(n, func(p *Presence) *[]Element { return &p.Extensions })
}

// withExtensions allocates a T and the backing array of its n extensions
// (the slice ext points into) in one allocation when n is small.
func withExtensions[T any](n int, ext func(*T) *[]Element) *T {
	switch {
	case n == 0:
		return new(T)
	case n == 1:
		b := new(struct {
			v   T
			arr [1]Element
		})
		*ext(&b.v) = b.arr[:0:n]
		return &b.v
	case n == 2:
		b := new(struct {
			v   T
			arr [2]Element
		})
		*ext(&b.v) = b.arr[:0:n]
		return &b.v
	case n <= 4:
		b := new(struct {
			v   T
			arr [4]Element
		})
		*ext(&b.v) = b.arr[:0:n]
		return &b.v
	}
	v := new(T)
	*ext(v) = make([]Element, 0, n)
	return v
}

// countExtensions counts the children of the stanza toks[0] other than
// the fields of a message, or of a presence: <error/> and those named body,
// subject and thread, or show, status and priority, in the stanza's
// namespace. The names are constants so that they compile to compares of
// length and words.
func countExtensions(s string, toks []xmltok.Token, presence bool) int {
	ns := toks[0].NS
	n := 0
	for k := firstChild(toks, 0); k >= 0; k = afterChild(toks, 0, k) {
		if t := &toks[k]; t.NS == ns {
			switch local := s[t.Local:t.Name.End]; {
			case local == "error",
				presence && (local == "show" || local == "status" || local == "priority"),
				!presence && (local == "body" || local == "subject" || local == "thread"):
				continue
			}
		}
		n++
	}
	return n
}

func (d *Decoder) presence(s string, toks []xmltok.Token) (*Presence, error) {
	p := newPresence(countExtensions(s, toks, true))
	typ, err := d.header(&p.Header, s, toks)
	if err != nil {
		return nil, err
	}
	var ok bool
	if p.Type, ok = parsePresenceType(typ); !ok {
		return nil, badStanza(p.Header, typ, ErrBadRequest, "presence of type %q", typ)
	}
	ns := toks[0].NS
	var statuses variants
	for c := firstChild(toks, 0); c >= 0; c = afterChild(toks, 0, c) {
		t := &toks[c]
		if t.NS == ns {
			switch s[t.Local:t.Name.End] {
			case "show":
				p.Show = Show(d.text(s, toks, c))
				continue
			case "status":
				statuses.add(Text{Lang: d.lang(s, toks, c), Value: d.text(s, toks, c)})
				continue
			case "priority":
				v := d.text(s, toks, c)
				n, err := strconv.ParseInt(v, 10, 8)
				if err != nil {
					return nil, badStanza(p.Header, typ, ErrBadRequest, "priority %q: not an integer in -128..127", v)
				}
				p.Priority, p.HasPriority = int8(n), true
				continue
			case "error":
				p.Error = d.stanzaError(s, toks, c)
				continue
			}
		}
		p.Extensions = append(p.Extensions, d.element(s, toks, c))
	}
	if len(p.Extensions) == 0 {
		p.Extensions = nil
	}
	p.Status, p.Statuses = statuses.split()
	return p, nil
}

// iq decodes an IQ. A get or set must carry exactly one payload element and
// a result at most one; an error may carry the payload of the request it
// answers besides its <error/>. An IQ without an id, of another type, or
// breaking these counts is a *BadStanzaError with condition bad-request.
func (d *Decoder) iq(s string, toks []xmltok.Token) (*IQ, error) {
	iq := &IQ{}
	typ, err := d.header(&iq.Header, s, toks)
	if err != nil {
		return nil, err
	}
	if iq.ID == "" {
		return nil, badStanza(iq.Header, typ, ErrBadRequest, "iq without id")
	}
	var ok bool
	if iq.Type, ok = parseIQType(typ); !ok {
		return nil, badStanza(iq.Header, typ, ErrBadRequest, "iq of type %q", typ)
	}
	ns := toks[0].NS
	n := 0
	for c := firstChild(toks, 0); c >= 0; c = afterChild(toks, 0, c) {
		t := &toks[c]
		if t.NS == ns && s[t.Local:t.Name.End] == "error" && iq.Error == nil {
			iq.Error = d.stanzaError(s, toks, c)
			continue
		}
		n++
		if n == 1 {
			iq.Payload = d.element(s, toks, c)
		}
	}
	switch {
	case n > 1:
		return nil, badStanza(iq.Header, typ, ErrBadRequest, "iq with %d payload elements", n)
	case n == 0 && (iq.Type == IQGet || iq.Type == IQSet):
		return nil, badStanza(iq.Header, typ, ErrBadRequest, "iq %s without payload", iq.Type)
	}
	return iq, nil
}

// stanzaError decodes the <error/> child at toks[si] (RFC 6120 §8.3.2).
func (d *codec) stanzaError(s string, toks []xmltok.Token, si int) *StanzaError {
	e := &StanzaError{Type: ErrorType(d.attr(s, toks, si, "type"))}
	if by := d.attr(s, toks, si, "by"); by != "" {
		e.By, _ = ParseJID(by) // an invalid by is dropped: it only informs
	}
	for c := firstChild(toks, si); c >= 0; c = afterChild(toks, si, c) {
		t := &toks[c]
		local := s[t.Local:t.Name.End]
		switch {
		case d.uris[t.NS] == NSStanzas && local == "text":
			if e.Text == "" { // the first one wins
				e.Text = d.text(s, toks, c)
				e.Lang = d.lang(s, toks, c)
			}
		case d.uris[t.NS] == NSStanzas && e.Condition == "":
			e.Condition = StanzaCondition(local)
		default:
			e.Extensions = append(e.Extensions, d.element(s, toks, c))
		}
	}
	return e
}

// streamError decodes a <stream:error/> from the peer (RFC 6120 §4.9).
func (d *Decoder) streamError(s string, toks []xmltok.Token) *StreamError {
	e := &StreamError{Offset: -1}
	for c := firstChild(toks, 0); c >= 0; c = afterChild(toks, 0, c) {
		t := &toks[c]
		if d.uris[t.NS] != NSStreams {
			continue
		}
		local := s[t.Local:t.Name.End]
		switch {
		case local == "text":
			e.Text = d.text(s, toks, c)
		case e.Condition == "":
			e.Condition = StreamCondition(local)
			if e.Condition == CondSeeOtherHost {
				e.SeeOtherHost = d.text(s, toks, c)
			}
		}
	}
	if e.Condition == "" {
		e.Condition = CondUndefinedCondition
	}
	return e
}
