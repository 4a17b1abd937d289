package xmltok

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unicode/utf8"
)

// Error conditions, named after the stream error conditions of RFC 6120
// §4.9.3 that a peer's bad XML calls for.
const (
	NotWellFormed       = "not-well-formed"
	RestrictedXML       = "restricted-xml"
	PolicyViolation     = "policy-violation"
	UnsupportedEncoding = "unsupported-encoding"
	InvalidNamespace    = "invalid-namespace"
)

// NSXML is the namespace bound to the xml prefix.
const NSXML = "http://www.w3.org/XML/1998/namespace"

// Error is a violation found in the input.
type Error struct {
	// Condition is one of the condition constants.
	Condition string
	// Offset is the byte offset in the input where the problem was found.
	Offset int64
	// Msg describes the problem.
	Msg string
}

func (e *Error) Error() string {
	return fmt.Sprintf("xmltok: %s at byte %d: %s", e.Condition, e.Offset, e.Msg)
}

// errMore reports that the parse reached the end of the data before the
// construct ended.
var errMore = errors.New("xmltok: need more data")

// perr is an error at an offset relative to the data being parsed.
func perr(cond string, off int, msg string) error {
	return &Error{Condition: cond, Offset: int64(off), Msg: msg}
}

// Kind is the kind of a Token.
type Kind uint8

// Token kinds.
const (
	// Start is a start tag; its attributes are the Attr tokens that
	// immediately follow it.
	Start Kind = iota + 1
	// End is an end tag, or the empty end of a self-closing tag.
	End
	// Attr is an attribute of the preceding Start.
	Attr
	// Text is character data or a CDATA section.
	Text
)

// Token flags.
const (
	// FlagEscaped marks a Text or Attr whose raw bytes differ from its value:
	// it holds references or characters that need normalisation.
	FlagEscaped uint8 = 1 << iota
	// FlagCDATA marks a Text that is a CDATA section.
	FlagCDATA
	// FlagXmlns marks an Attr that declares a namespace.
	FlagXmlns
	// FlagOuterNS marks a Start whose element, or an element inside it,
	// uses a namespace binding that the element does not declare: the
	// Decl of one of its tokens is below the Start's index (or DeclOuter).
	FlagOuterNS
)

// Span is a half-open range of byte offsets into an element's data.
type Span struct{ Start, End int32 }

// Token is one piece of an element. Offsets are relative to the start of
// the element's data.
type Token struct {
	Kind  Kind
	Flags uint8
	// Name is the qualified name of a Start, End or Attr.
	Name Span
	// Local is the offset where the local part of Name begins.
	Local int32
	// Value is an Attr's raw value (inside the quotes), a Text's raw
	// content, or the whole tag of a Start or End (empty for the End of a
	// self-closing tag, positioned just after it).
	Value Span
	// NS is the namespace URI of a Start or of a prefixed Attr, as an index
	// into the parser's URIs (NSNone for no namespace). Keeping tokens free
	// of pointers makes them cheap to append.
	NS int32
	// Decl is the index of the Start token that declares the binding used
	// for NS; -1 when it comes from outside the element (the stream
	// header) and -2 when nothing declares it (the xml prefix or no
	// namespace at all).
	Decl int32
	// Match links a Start and its End.
	Match int32
}

// Outer and None are the special values of Token.Decl.
const (
	DeclOuter = -1
	DeclNone  = -2
)

// Binding is a namespace declaration in scope.
type Binding struct {
	Prefix string // "" for the default namespace
	NS     int32  // as Token.NS
	Decl   int32  // as Token.Decl
}

// Limits bound what the parser accepts. Zero fields take the defaults.
type Limits struct {
	MaxSize  int // bytes of one element; default 256 KiB
	MaxDepth int // nesting depth; default 64
	MaxAttrs int // attributes on one element; default 64
}

// Default limits.
const (
	DefaultMaxSize  = 256 << 10
	DefaultMaxDepth = 64
	DefaultMaxAttrs = 64
)

func (l Limits) withDefaults() Limits {
	if l.MaxSize <= 0 {
		l.MaxSize = DefaultMaxSize
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxAttrs <= 0 {
		l.MaxAttrs = DefaultMaxAttrs
	}
	return l
}

// Parser tokenizes complete elements held in memory. Its zero value is
// ready to use with the default limits. The token slice it returns is reused
// by the next call.
type Parser struct {
	lim    Limits
	toks   []Token
	ns     []Binding
	open   []openElem // the open elements, innermost last
	intern map[string]string
	uris   []string // namespace URIs; see Token.NS
	uriIdx map[string]int32
	// uriCache remembers recent hits of uriIdx by length and last byte.
	uriCache [32]int32
	nfixed   int // entries of uris kept when the table is trimmed
	scratch  []byte
	flags    uint8 // the flags of the tokens, or-ed together
	stop     int   // where resume goes on: the start of the unfinished token
}

// openElem is an element whose end tag is still to come.
type openElem struct {
	si   int32 // index of its Start
	mark int32 // len(Parser.ns) before its Start
	// min is the least Decl, other than DeclNone, of its tokens so far and
	// of those of the elements inside it: FlagOuterNS in the end.
	min int32
}

// SetLimits sets the limits; zero fields take the defaults.
func (p *Parser) SetLimits(l Limits) { p.lim = l.withDefaults() }

// Parse tokenizes data, which must hold exactly one element, optionally
// surrounded by whitespace, that declares every prefix it uses.
func (p *Parser) Parse(data []byte) ([]Token, error) {
	if p.lim.MaxSize == 0 {
		p.lim = p.lim.withDefaults()
	}
	i := 0
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	if len(data)-i > p.lim.MaxSize {
		return nil, perr(PolicyViolation, i, "element too large")
	}
	if i == len(data) || data[i] != '<' {
		return nil, perr(NotWellFormed, i, "expected an element")
	}
	if err := topMarkup(data[i:]); err != nil {
		return nil, shift(err, i)
	}
	n, err := p.element(data[i:], 0)
	if err == errMore {
		return nil, perr(NotWellFormed, len(data), "unexpected end of element")
	}
	if err != nil {
		return nil, shift(err, i)
	}
	for j := i + n; j < len(data); j++ {
		if !isSpace(data[j]) {
			return nil, perr(NotWellFormed, j, "data after the element")
		}
	}
	if i > 0 {
		// Keep offsets relative to data.
		for k := range p.toks {
			t := &p.toks[k]
			t.Name.Start += int32(i)
			t.Name.End += int32(i)
			t.Local += int32(i)
			t.Value.Start += int32(i)
			t.Value.End += int32(i)
		}
	}
	return p.toks, nil
}

// shift adds off to the offset of an *Error.
func shift(err error, off int) error {
	if e, ok := err.(*Error); ok {
		e.Offset += int64(off)
	}
	return err
}

// topMarkup checks the first bytes of what must be an element start at the
// top level (data[0] == '<').
func topMarkup(data []byte) error {
	if len(data) < 2 {
		return nil
	}
	switch data[1] {
	case '!':
		if bytes.HasPrefix(data, []byte("<![")) {
			return perr(NotWellFormed, 0, "CDATA section outside an element")
		}
		return perr(RestrictedXML, 0, "comment or DTD")
	case '?':
		return perr(RestrictedXML, 0, "processing instruction")
	case '/':
		return perr(NotWellFormed, 0, "unexpected end tag")
	}
	return nil
}

// Indexes of URIs that are always present.
const (
	NSNone  = 0 // no namespace
	NSIndex = 1 // NSXML
)

// URIs returns the namespace table that Token.NS indexes. It is valid
// as long as the tokens.
func (p *Parser) URIs() []string { return p.uris }

func (p *Parser) initURIs() {
	p.uris = append(p.uris[:0], "", NSXML)
	p.uriIdx = map[string]int32{"": NSNone, NSXML: NSIndex}
	p.nfixed = 2
}

// trimURIs keeps the namespace table from growing without bound.
func (p *Parser) trimURIs() {
	if p.uris == nil {
		p.initURIs()
	}
	if len(p.uris) > 4096 {
		for _, u := range p.uris[p.nfixed:] {
			delete(p.uriIdx, u)
		}
		p.uris = p.uris[:p.nfixed]
	}
}

// nsIndex returns the index of the namespace URI b.
func (p *Parser) nsIndex(b []byte) int32 {
	h := len(b)
	if h > 0 {
		h += int(b[len(b)-1])
	}
	h &= len(p.uriCache) - 1
	if i := p.uriCache[h]; int(i) < len(p.uris) && p.uris[i] == string(b) {
		return i
	}
	if i, ok := p.uriIdx[string(b)]; ok {
		p.uriCache[h] = i
		return i
	}
	i := int32(len(p.uris))
	u := string(b)
	p.uris = append(p.uris, u)
	p.uriIdx[u] = i
	return i
}

// add appends a zero token and returns it for filling in. Filling in the
// fields one by one is faster than copying a composite literal, whose
// narrow stores the CPU cannot forward to the wide loads of the copy.
func (p *Parser) add() *Token {
	n := len(p.toks)
	if n == cap(p.toks) {
		p.toks = append(p.toks, Token{})
	} else {
		p.toks = p.toks[:n+1]
		p.toks[n] = Token{}
	}
	return &p.toks[n]
}

// addDirty is add without the zeroing: the caller sets every field.
func (p *Parser) addDirty() *Token {
	n := len(p.toks)
	if n == cap(p.toks) {
		p.toks = append(p.toks, Token{})
	} else {
		p.toks = p.toks[:n+1]
	}
	return &p.toks[n]
}

// intern returns b as a string, sharing the copies of values seen before.
func (p *Parser) internBytes(b []byte) string {
	if s, ok := p.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if p.intern == nil {
		p.intern = make(map[string]string)
	}
	if len(p.intern) < 512 && len(s) <= 256 {
		p.intern[s] = s
	}
	return s
}

// element tokenizes the element at data[0] ('<'), whose enclosing scope is
// p.ns[:outer]. It returns the length of the element, or errMore when data
// ends first: then resume goes on once more data is in.
func (p *Parser) element(data []byte, outer int) (int, error) {
	p.trimURIs()
	p.toks = p.toks[:0]
	p.flags = 0
	p.ns = p.ns[:outer]
	p.open = p.open[:0]
	return p.tokens(data, 0)
}

// resume continues the element that element or resume left unfinished
// with errMore, in data that holds the same bytes and more. Only the piece
// of markup or text that the data ended in is parsed again: a token is added
// to the Parser's state only when it is complete.
func (p *Parser) resume(data []byte) (int, error) {
	return p.tokens(data, p.stop)
}

// tokens tokenizes the element's content from data[i], the start of a
// token.
func (p *Parser) tokens(data []byte, i int) (int, error) {
	for {
		if len(p.open) > 0 {
			if i >= len(data) {
				p.stop = i
				return 0, errMore
			}
			if data[i] != '<' {
				j, fl, err := scanText(data, i)
				if err != nil {
					p.stop = i
					return 0, err
				}
				tk := p.add()
				tk.Kind = Text
				tk.Flags = fl
				p.flags |= fl
				tk.Value = Span{int32(i), int32(j)}
				i = j
			}
		}
		if i+1 >= len(data) {
			p.stop = i
			return 0, errMore
		}
		var k int
		var err error
		switch data[i+1] {
		case '/':
			k, err = p.endTag(data, i)
		case '!':
			k, err = p.cdata(data, i)
		case '?':
			return 0, perr(RestrictedXML, i, "processing instruction")
		default:
			k, err = p.startTag(data, i, false)
		}
		if err != nil {
			p.stop = i
			return 0, err
		}
		i = k
		if len(p.open) == 0 {
			return i, nil
		}
	}
}

var cdataOpen = []byte("<![CDATA[")

func (p *Parser) cdata(data []byte, i int) (int, error) {
	rest := data[i:]
	if len(rest) < len(cdataOpen) {
		if !bytes.HasPrefix(cdataOpen, rest) {
			if len(rest) >= 3 && rest[2] == '[' {
				return 0, perr(NotWellFormed, i, "bad CDATA section")
			}
			return 0, perr(RestrictedXML, i, "comment or DTD")
		}
		return 0, errMore
	}
	if !bytes.HasPrefix(rest, cdataOpen) {
		if rest[2] == '[' {
			return 0, perr(NotWellFormed, i, "bad CDATA section")
		}
		return 0, perr(RestrictedXML, i, "comment or DTD")
	}
	s := i + len(cdataOpen)
	j := bytes.Index(data[s:], []byte("]]>"))
	if j < 0 {
		return 0, errMore
	}
	fl, err := checkCDATA(data[s : s+j])
	if err != nil {
		return 0, shift(err, s)
	}
	tk := p.add()
	tk.Kind = Text
	tk.Flags = fl | FlagCDATA
	p.flags |= fl
	tk.Value = Span{int32(s), int32(s + j)}
	return s + j + 3, nil
}

// asciiName scans the usual name at data[i]: ASCII, without a prefix and
// followed by another ASCII byte. It returns the name's end and the start of
// its local part (i), or an end of -1 for anything else, which scanName
// decides. Byte by byte: names are short, and a table lookup per byte costs
// fewer instructions than a test of eight bytes at a time.
func asciiName(data []byte, i int) (end, local int) {
	if i >= len(data) || nameByte[data[i]] != 1 {
		return -1, i
	}
	j := i + 1
	for j < len(data) && nameByte[data[j]] != 0 {
		j++
	}
	if j >= len(data) || data[j] == ':' || data[j] >= utf8.RuneSelf {
		return -1, i
	}
	return j, i
}

// plainAttr scans the usual attribute at data[i]: an ASCII name without a
// prefix, '=' and a quoted value of plain ASCII. It returns the end of the
// name and the index of the closing quote, or -1 as the latter for anything
// else, which startTag scans in full.
//
// It is a function of its own, and calls nothing, so that its loops keep
// their few variables in registers.
func plainAttr(data []byte, i int) (aend, ve int) {
	aend = i
	if i >= len(data) || nameByte[data[i]] != 1 {
		return 0, -1
	}
	aend++
	for aend < len(data) && nameByte[data[aend]] != 0 {
		aend++
	}
	if aend+1 >= len(data) || data[aend] != '=' {
		return 0, -1
	}
	q := data[aend+1]
	if q != '\'' && q != '"' {
		return 0, -1
	}
	j := aend + 2
	k := attrMask
	for {
		for ; j <= len(data)-8; j += 8 {
			if m := k.stops(binary.LittleEndian.Uint64(data[j:])); m != 0 {
				j += firstStop(m)
				break
			}
		}
		if j >= len(data) {
			return 0, -1
		}
		c := data[j]
		if c == q {
			return aend, j
		}
		// Past the bytes the coarse test stops at, and the other quote;
		// '<', '&', control characters and non-ASCII go to scanAttrValue.
		if attrClass[c] != 0 && c != '"' && c != '\'' {
			return 0, -1
		}
		j++
	}
}

// grow appends a token to toks; the caller sets every field of the token
// it returns.
func grow(toks []Token) ([]Token, *Token) {
	n := len(toks)
	if n == cap(toks) {
		toks = append(toks, Token{})
	} else {
		toks = toks[:n+1]
	}
	return toks, &toks[n]
}

// scanName scans a qualified name at data[i]. It returns its end and the
// offset of the local part.
func scanName(data []byte, i int) (end, local int, err error) {
	// Fast path: ASCII names, eight bytes at a time. Anything unusual,
	// including every error, is left to scanNameSlow.
	if i < len(data) && nameByte[data[i]] == 1 {
		local = i
		j := i
		for j+8 <= len(data) {
			m := nameStops(binary.LittleEndian.Uint64(data[j : j+8]))
			if m == 0 {
				j += 8
				continue
			}
			j += firstStop(m)
			c := data[j]
			if c < utf8.RuneSelf && c != ':' {
				return j, local, nil
			}
			if c != ':' || local != i || j+1 >= len(data) || nameByte[data[j+1]] != 1 {
				break
			}
			j++
			local = j
		}
	}
	return scanNameSlow(data, i)
}

// scanNameSlow is scanName byte by byte.
func scanNameSlow(data []byte, i int) (end, local int, err error) {
	local = i
	j := i
	for {
		if j < len(data) && j == local && nameByte[data[j]] == 2 {
			return 0, 0, perr(NotWellFormed, j, "bad name")
		}
		for j < len(data) && nameByte[data[j]] != 0 {
			j++
		}
		if j >= len(data) {
			return 0, 0, errMore
		}
		c := data[j]
		if c == ':' {
			if local != i || j == i {
				return 0, 0, perr(NotWellFormed, j, "bad qualified name")
			}
			j++
			local = j
			continue
		}
		if c < utf8.RuneSelf {
			if j == local {
				return 0, 0, perr(NotWellFormed, j, "bad name")
			}
			return j, local, nil
		}
		if !utf8.FullRune(data[j:]) {
			return 0, 0, errMore
		}
		r, n := utf8.DecodeRune(data[j:])
		if r == utf8.RuneError || !isNameRune(r, j == local) {
			return 0, 0, perr(NotWellFormed, j, "bad name")
		}
		j += n
	}
}

func (p *Parser) lookup(prefix []byte) (Binding, bool) {
	for k := len(p.ns) - 1; k >= 0; k-- {
		if p.ns[k].Prefix == string(prefix) {
			return p.ns[k], true
		}
	}
	return Binding{}, false
}

// startTag tokenizes the start tag at data[i]. With header set, the tag is
// left open without a matching end.
func (p *Parser) startTag(data []byte, i int, header bool) (int, error) {
	// The common cases are inline: an ASCII name without a prefix, a
	// single space before each attribute, name='value' without spaces and
	// a value of plain ASCII. Go keeps no value in a register across a
	// call and has few registers, so the scanning loop calls nothing in
	// the common case and keeps few variables alive; everything else goes
	// to the general scanners, which pick up where the fast path stopped,
	// and the attributes are looked at again once the tag is scanned.
	data = data[:len(data):len(data)] // bounds checks against len only
	toks := p.toks
	si := int32(len(toks))
	toks, tk := grow(toks)
	tk.Kind = Start
	tk.Flags = 0
	tk.Value.Start = int32(i)
	tk.NS = NSNone
	tk.Decl = 0
	tk.Match = 0
	i++
	end, local := asciiName(data, i)
	if end < 0 {
		var err error
		if end, local, err = scanName(data, i); err != nil {
			return 0, err
		}
	}
	tk.Name = Span{int32(i), int32(end)}
	tk.Local = int32(local)
	i = end
	for {
		ws := false
		if i+1 < len(data) && data[i] == ' ' && data[i+1] > ' ' {
			// The usual single space.
			i++
			ws = true
		} else {
			for i < len(data) && isSpace(data[i]) {
				i++
				ws = true
			}
		}
		if i >= len(data) {
			return 0, errMore
		}
		c := data[i]
		if c == '>' {
			i++
			break
		}
		if c == '/' {
			if i+1 >= len(data) {
				return 0, errMore
			}
			if data[i+1] != '>' {
				return 0, perr(NotWellFormed, i, "expected '>' after '/'")
			}
			i += 2
			break
		}
		if !ws {
			return 0, perr(NotWellFormed, i, "expected whitespace before an attribute")
		}
		if len(toks)-int(si) > p.lim.MaxAttrs {
			return 0, perr(PolicyViolation, i, "too many attributes")
		}
		toks, tk = grow(toks)
		tk.Kind = Attr
		tk.Flags = 0
		tk.NS = NSNone
		tk.Decl = DeclNone
		tk.Match = 0
		if aend, ve := plainAttr(data, i); ve >= 0 {
			tk.Name = Span{int32(i), int32(aend)}
			tk.Local = int32(i)
			tk.Value = Span{int32(aend + 2), int32(ve)}
			i = ve + 1
			continue
		}
		aend, alocal, err := scanName(data, i)
		if err != nil {
			return 0, err
		}
		tk.Name = Span{int32(i), int32(aend)}
		tk.Local = int32(alocal)
		i = aend
		for i < len(data) && isSpace(data[i]) {
			i++
		}
		if i >= len(data) {
			return 0, errMore
		}
		if data[i] != '=' {
			return 0, perr(NotWellFormed, i, "expected '='")
		}
		i++
		for i < len(data) && isSpace(data[i]) {
			i++
		}
		if i >= len(data) {
			return 0, errMore
		}
		q := data[i]
		if q != '"' && q != '\'' {
			return 0, perr(NotWellFormed, i, "expected a quoted value")
		}
		i++
		var fl uint8
		tk.Value.Start = int32(i)
		if i, fl, err = scanAttrValue(data, i, q); err != nil {
			return 0, err
		}
		tk.Flags = fl
		tk.Value.End = int32(i)
		i++
	}
	toks[si].Value.End = int32(i)
	p.toks = toks
	start := int(toks[si].Value.Start)
	self := data[i-2] == '/'
	mark := int32(len(p.ns))

	// Namespace declarations, and what the loop below needs to look at:
	// whether some attribute other than a declaration has a prefix, and
	// whether two names may be equal. Without prefixed attributes, the only
	// error that loop can find is a duplicate, which needs two names that
	// agree in length and last byte: a bit set of those lets it skip the
	// loop.
	attrs := toks[si+1:]
	prefixed, collide := false, false
	var names uint64
	for k := range attrs {
		a := &attrs[k]
		p.flags |= a.Flags
		qn := data[a.Name.Start:a.Name.End]
		bit := uint64(1) << ((uint(len(qn))*7 + uint(qn[len(qn)-1])) & 63)
		collide = collide || names&bit != 0
		names |= bit
		switch {
		case a.Local == a.Name.Start:
			if string(qn) != "xmlns" {
				continue
			}
			uri := p.attrNS(data, a)
			if uri == NSIndex || p.uris[uri] == nsXmlns {
				return 0, perr(NotWellFormed, int(a.Name.Start), "reserved namespace as default")
			}
			a.Flags |= FlagXmlns
			p.ns = append(p.ns, Binding{NS: uri, Decl: si})
		case a.Local-a.Name.Start == 6 && string(qn[:6]) == "xmlns:":
			uri := p.attrNS(data, a)
			pfx := data[a.Local:a.Name.End]
			if string(pfx) == "xmlns" || (string(pfx) == "xml") != (uri == NSIndex) || uri == NSNone || p.uris[uri] == nsXmlns {
				return 0, perr(NotWellFormed, int(a.Name.Start), "bad namespace declaration")
			}
			a.Flags |= FlagXmlns
			p.ns = append(p.ns, Binding{Prefix: p.internBytes(pfx), NS: uri, Decl: si})
		default:
			prefixed = true
		}
	}
	// Resolve the element's name.
	st := &p.toks[si]
	if st.Local > st.Name.Start {
		pfx := data[st.Name.Start : st.Local-1]
		b, ok := p.lookup(pfx)
		switch {
		case ok:
			st.NS, st.Decl = b.NS, b.Decl
		case string(pfx) == "xml":
			st.NS, st.Decl = NSIndex, DeclNone
		default:
			return 0, perr(NotWellFormed, int(st.Name.Start), "undeclared prefix")
		}
		if string(pfx) == "xmlns" {
			return 0, perr(NotWellFormed, int(st.Name.Start), "element with the xmlns prefix")
		}
	} else if b, ok := p.lookup(nil); ok {
		st.NS, st.Decl = b.NS, b.Decl
	} else {
		st.Decl = DeclNone
	}
	// Resolve attribute names and reject duplicates. A bit set keyed by a
	// hash of each name saves comparing names that cannot be equal.
	attrs = p.toks[si+1:]
	if !prefixed && !collide {
		attrs = attrs[:0]
	}
	var seen [2]uint64
	min := int32(math.MaxInt32)
	for k := range attrs {
		a := &attrs[k]
		if a.Flags&FlagXmlns == 0 && a.Local > a.Name.Start {
			pfx := data[a.Name.Start : a.Local-1]
			if string(pfx) == "xml" {
				a.NS = NSIndex
			} else if b, ok := p.lookup(pfx); ok {
				a.NS, a.Decl = b.NS, b.Decl
				if b.Decl != DeclNone && b.Decl < min {
					min = b.Decl
				}
			} else {
				return 0, perr(NotWellFormed, int(a.Name.Start), "undeclared prefix")
			}
		}
		var class, h uint32
		if a.Flags&FlagXmlns != 0 {
			class, h = 1, uint32(a.Name.End-a.Name.Start)*7+uint32(data[a.Name.End-1])
		} else {
			h = uint32(a.Name.End-a.Local)*7 + uint32(data[a.Name.End-1]) + uint32(a.NS)*13
		}
		bit := uint64(1) << (h & 63)
		if seen[class]&bit == 0 {
			seen[class] |= bit
			continue
		}
		for m := 0; m < k; m++ {
			b := &attrs[m]
			var dup bool
			if a.Flags&FlagXmlns != 0 || b.Flags&FlagXmlns != 0 {
				dup = bytes.Equal(data[a.Name.Start:a.Name.End], data[b.Name.Start:b.Name.End])
			} else {
				dup = a.NS == b.NS && bytes.Equal(data[a.Local:a.Name.End], data[b.Local:b.Name.End])
			}
			if dup {
				return 0, perr(NotWellFormed, int(a.Name.Start), "duplicate attribute")
			}
		}
	}
	if header {
		return i, nil
	}
	if st.Decl != DeclNone && st.Decl < min {
		min = st.Decl
	}
	p.open = append(p.open, openElem{si: si, mark: mark, min: min})
	if len(p.open) > p.lim.MaxDepth {
		return 0, perr(PolicyViolation, start, "elements nested too deeply")
	}
	if self {
		p.closeTop(Span{int32(i), int32(i)})
	}
	return i, nil
}

func (p *Parser) closeTop(tag Span) {
	n := len(p.open) - 1
	o := p.open[n]
	si := o.si
	ei := int32(len(p.toks))
	tk := p.addDirty() // may move p.toks: take st after it
	st := &p.toks[si]
	st.Match = ei
	tk.Kind = End
	tk.Flags = 0
	tk.Name = st.Name
	tk.Local = st.Local
	tk.Value = tag
	tk.NS = st.NS
	tk.Decl = st.Decl
	tk.Match = si
	if o.min < si {
		st.Flags |= FlagOuterNS
	}
	p.ns = p.ns[:o.mark]
	p.open = p.open[:n]
	if n > 0 && o.min < p.open[n-1].min {
		p.open[n-1].min = o.min
	}
}

// endTag tokenizes the end tag at data[i] ("</").
func (p *Parser) endTag(data []byte, i int) (int, error) {
	if len(p.open) == 0 {
		return 0, perr(NotWellFormed, i, "unexpected end tag")
	}
	st := &p.toks[p.open[len(p.open)-1].si]
	// Fast path: the start tag's name, already validated, right before '>'.
	if e := i + 2 + int(st.Name.End-st.Name.Start); e < len(data) && data[e] == '>' &&
		bytes.Equal(data[i+2:e], data[st.Name.Start:st.Name.End]) {
		p.closeTop(Span{int32(i), int32(e + 1)})
		return e + 1, nil
	}
	end, _, err := scanName(data, i+2)
	if err != nil {
		return 0, err
	}
	if !bytes.Equal(data[i+2:end], data[st.Name.Start:st.Name.End]) {
		return 0, perr(NotWellFormed, i, "mismatched end tag")
	}
	j := end
	for j < len(data) && isSpace(data[j]) {
		j++
	}
	if j >= len(data) {
		return 0, errMore
	}
	if data[j] != '>' {
		return 0, perr(NotWellFormed, j, "expected '>'")
	}
	j++
	p.closeTop(Span{int32(i), int32(j)})
	return j, nil
}

const nsXmlns = "http://www.w3.org/2000/xmlns/"

// attrNS returns the value of the attribute a as a namespace index.
func (p *Parser) attrNS(data []byte, a *Token) int32 {
	raw := data[a.Value.Start:a.Value.End]
	if a.Flags&FlagEscaped == 0 {
		return p.nsIndex(raw)
	}
	p.scratch = AppendValue(p.scratch[:0], raw, a.Flags|FlagAttrValue)
	return p.nsIndex(p.scratch)
}

// scanAttrValue finds the end of the attribute value at data[i], closed by
// the quote q, and validates it in the same pass.
func scanAttrValue(data []byte, i int, q byte) (int, uint8, error) {
	var fl uint8
	for {
		if i+8 <= len(data) {
			m := attrRunStops(binary.LittleEndian.Uint64(data[i : i+8]))
			if m == 0 {
				i += 8
				continue
			}
			i += firstStop(m)
		} else {
			for i < len(data) && attrClass[data[i]] == 0 {
				i++
			}
			if i >= len(data) {
				return 0, 0, errMore
			}
		}
		switch c := data[i]; c {
		case q:
			return i, fl, nil
		case '"', '\'', ' ', '!', '#', '$', '%':
			// The other quote, or a plain byte attrRunStops stops at.
			i++
		case '<':
			return 0, 0, perr(NotWellFormed, i, "'<' in attribute value")
		case '\t', '\n', '\r':
			fl |= FlagEscaped
			i++
		case '&':
			k := i + 1
			for k < len(data) && data[k] != ';' && data[k] != q && data[k] != '<' {
				k++
			}
			if k == len(data) {
				return 0, 0, errMore
			}
			if data[k] != ';' {
				return 0, 0, perr(NotWellFormed, i, "unterminated reference")
			}
			if _, err := checkRef(data[i : k+1]); err != nil {
				return 0, 0, shift(err, i)
			}
			fl |= FlagEscaped
			i = k + 1
		default:
			if c < utf8.RuneSelf {
				return 0, 0, perr(NotWellFormed, i, "control character")
			}
			if !utf8.FullRune(data[i:]) {
				return 0, 0, errMore
			}
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n <= 1 {
				return 0, 0, perr(NotWellFormed, i, "invalid UTF-8")
			}
			if !isChar(r) {
				return 0, 0, perr(NotWellFormed, i, "character not allowed in XML")
			}
			i += n
		}
	}
}

// scanText finds the end of the character data at data[start] (the next
// '<') and validates it in the same pass: UTF-8, the Char production,
// references and no "]]>". Like a parse of the whole text, it reports a
// problem only once the text's end is in data, and errMore until then.
func scanText(data []byte, start int) (int, uint8, error) {
	var fl uint8
	i := start
	for {
		if i+8 <= len(data) {
			m := textStops(binary.LittleEndian.Uint64(data[i : i+8]))
			if m == 0 {
				i += 8
				continue
			}
			i += firstStop(m)
		} else {
			for i < len(data) && charClass[data[i]] == clPlain {
				i++
			}
			if i >= len(data) {
				return 0, 0, errMore
			}
		}
		switch c := data[i]; c {
		case '<':
			return i, fl, nil
		case '\t', '\n':
			i++
		case '\r':
			fl |= FlagEscaped
			i++
		case '>':
			if i-start >= 2 && data[i-1] == ']' && data[i-2] == ']' {
				return 0, 0, textErr(data, i, perr(NotWellFormed, i, "']]>' in text"))
			}
			i++
		case '&':
			k := i + 1
			for k < len(data) && data[k] != ';' && data[k] != '<' {
				k++
			}
			if k == len(data) {
				return 0, 0, errMore
			}
			if data[k] == ';' {
				k++
			}
			if _, err := checkRef(data[i:k]); err != nil {
				return 0, 0, textErr(data, i, shift(err, i))
			}
			fl |= FlagEscaped
			i = k
		default:
			if c < utf8.RuneSelf {
				return 0, 0, textErr(data, i, perr(NotWellFormed, i, "control character"))
			}
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n <= 1 {
				return 0, 0, textErr(data, i, perr(NotWellFormed, i, "invalid UTF-8"))
			}
			if !isChar(r) {
				return 0, 0, textErr(data, i, perr(NotWellFormed, i, "character not allowed in XML"))
			}
			i += n
		}
	}
}

// textErr returns err, found at data[i] in character data, once the text's
// end is in data, and errMore before.
func textErr(data []byte, i int, err error) error {
	if bytes.IndexByte(data[i:], '<') < 0 {
		return errMore
	}
	return err
}

// checkCDATA validates the content of a CDATA section.
func checkCDATA(b []byte) (uint8, error) {
	var fl uint8
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 {
				switch c {
				case '\r':
					fl |= FlagEscaped
				case '\t', '\n':
				default:
					return 0, perr(NotWellFormed, i, "control character")
				}
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return 0, perr(NotWellFormed, i, "invalid UTF-8")
		}
		if !isChar(r) {
			return 0, perr(NotWellFormed, i, "character not allowed in XML")
		}
		i += n
	}
	return fl, nil
}

// checkRef validates the reference at b[0] ('&') and returns its length.
func checkRef(b []byte) (int, error) {
	j := bytes.IndexByte(b, ';')
	if j < 0 {
		return 0, perr(NotWellFormed, 0, "unterminated reference")
	}
	name := b[1:j]
	if _, ok := refRune(name); ok {
		return j + 1, nil
	}
	if len(name) > 0 && name[0] != '#' && isNCName(name) {
		return 0, perr(RestrictedXML, 0, "entity reference other than the predefined five")
	}
	return 0, perr(NotWellFormed, 0, "bad reference")
}

// refRune returns the character a reference's name (between '&' and ';')
// stands for.
func refRune[T string | []byte](name T) (rune, bool) {
	switch string(name) {
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "amp":
		return '&', true
	case "apos":
		return '\'', true
	case "quot":
		return '"', true
	}
	if len(name) < 2 || name[0] != '#' {
		return 0, false
	}
	var r rune
	digits := name[1:]
	if digits[0] == 'x' {
		digits = digits[1:]
		if len(digits) == 0 {
			return 0, false
		}
		for k := 0; k < len(digits); k++ {
			c := digits[k]
			var v byte
			switch {
			case c >= '0' && c <= '9':
				v = c - '0'
			case c >= 'a' && c <= 'f':
				v = c - 'a' + 10
			case c >= 'A' && c <= 'F':
				v = c - 'A' + 10
			default:
				return 0, false
			}
			r = r<<4 | rune(v)
			if r > utf8.MaxRune {
				return 0, false
			}
		}
	} else {
		for k := 0; k < len(digits); k++ {
			c := digits[k]
			if c < '0' || c > '9' {
				return 0, false
			}
			r = r*10 + rune(c-'0')
			if r > utf8.MaxRune {
				return 0, false
			}
		}
	}
	return r, isChar(r)
}

// FlagAttrValue may be or-ed into the flags passed to AppendValue to apply
// attribute-value normalisation.
const FlagAttrValue uint8 = 1 << 7

// AppendValue appends the value of the raw, validated text or attribute
// value to dst: references replaced, line ends normalised to "\n" and, with
// FlagAttrValue, whitespace characters turned into spaces.
func AppendValue[T string | []byte](dst []byte, raw T, flags uint8) []byte {
	if flags&(FlagEscaped) == 0 {
		return append(dst, raw...)
	}
	attr := flags&FlagAttrValue != 0
	cdata := flags&FlagCDATA != 0
	for i := 0; i < len(raw); {
		// Copy the run of bytes that stand for themselves in one go.
		j := i
		for j+8 <= len(raw) {
			// In validated data, every byte below 0x0E is '\t', '\n' or '\r'.
			x := load64(raw, j)
			m := hasByte(x, '&')
			if attr {
				m |= hasLess(x, 0x0E)
			} else {
				m |= hasByte(x, '\r')
			}
			if m != 0 {
				break
			}
			j += 8
		}
		for j < len(raw) && !valueSpecial(raw[j], attr) {
			j++
		}
		if j > i {
			dst = append(dst, raw[i:j]...)
			if i = j; i == len(raw) {
				break
			}
		}
		c := raw[i]
		switch {
		case c == '\r':
			if attr {
				dst = append(dst, ' ')
			} else {
				dst = append(dst, '\n')
			}
			i++
			if i < len(raw) && raw[i] == '\n' {
				i++
			}
		case attr && (c == '\n' || c == '\t'):
			dst = append(dst, ' ')
			i++
		case c == '&' && !cdata:
			j := i + 1
			for raw[j] != ';' {
				j++
			}
			r, _ := refRune(raw[i+1 : j])
			dst = utf8.AppendRune(dst, r)
			i = j + 1
			continue
		default:
			dst = append(dst, c)
			i++
		}
	}
	return dst
}

// load64 returns the eight bytes at b[i] as a little-endian word.
func load64[T string | []byte](b T, i int) uint64 {
	b = b[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// valueSpecial reports whether AppendValue changes the byte c of a
// validated text or attribute value.
func valueSpecial(c byte, attr bool) bool {
	return c == '&' || c == '\r' || attr && (c == '\t' || c == '\n')
}
