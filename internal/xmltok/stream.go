package xmltok

import (
	"bytes"
	"io"
	"sync"
)

// Element is one top-level element of a stream, or the stream header's
// open tag. Data and Toks are valid until the next call to the Tokenizer.
type Element struct {
	Data   []byte
	Toks   []Token
	URIs   []string // namespace URIs indexed by Token.NS
	Offset int64    // offset of Data in the stream
	// Escaped reports whether some token of Next's element has
	// FlagEscaped.
	Escaped bool
}

const (
	stHeader = iota // expecting an XML declaration and a stream header
	stStream        // inside the stream
	stEnded         // after the stream's end tag
)

// Tokenizer reads an XMPP stream (RFC 6120 §4): an optional XML
// declaration, the open tag of the stream header, top-level elements
// separated by whitespace, and the header's end tag. It is not safe for
// concurrent use.
type Tokenizer struct {
	Parser
	r     io.Reader
	buf   []byte
	pos   int   // start of unconsumed data
	end   int   // end of data
	base  int64 // stream offset of buf[0]
	rerr  error // sticky read error
	err   error // sticky syntax error
	state int
	nhdr  int    // header bindings at the bottom of Parser.ns
	hdr   []byte // qualified name of the header
	fr    framer
	// pooled is buf when buf came from bufPool.
	pooled *[readBuffer]byte
	// small receives the first bytes after a pause; see fill.
	small [smallBuffer]byte
}

// New returns a Tokenizer reading from r.
func New(r io.Reader) *Tokenizer {
	t := &Tokenizer{r: r}
	t.lim = t.lim.withDefaults()
	return t
}

// SetLimits sets the limits; zero fields take the defaults.
func (t *Tokenizer) SetLimits(l Limits) { t.lim = l.withDefaults() }

// Buffered returns the number of bytes read from the reader and not yet
// consumed.
func (t *Tokenizer) Buffered() int { return t.end - t.pos }

// Reset prepares for a new stream header (a stream restart, RFC 6120
// §4.3.3), keeping the buffered data.
func (t *Tokenizer) Reset() {
	if t.err == nil {
		t.state = stHeader
	}
}

func (t *Tokenizer) fail(err error, at int) error {
	if e, ok := err.(*Error); ok {
		e.Offset += t.base + int64(at)
	}
	t.err = err
	return err
}

// Buffers. An idle session should cost little memory, and a busy one
// should read in large pieces: every read that ends inside an element makes
// the parser start that element again once more data is in.
//
// So when everything buffered is consumed and the tokenizer must read, it
// gives its buffer up, and the read, which may wait as long as the peer is
// quiet, goes into small, an array inside the Tokenizer: a session blocked
// in Read holds no buffer. Elements that arrive whole in small bytes are
// parsed there. Otherwise the data moves to a buffer of readBuffer bytes
// from bufPool, and reads go on there; it doubles while an element does not
// fit, never beyond the size limit plus a little.
const (
	smallBuffer = 256
	readBuffer  = 16 << 10
	// minRead is the least free space worth a read: with less, the data is
	// moved to the front of the buffer first.
	minRead = 4 << 10
)

var bufPool = sync.Pool{New: func() any { return new([readBuffer]byte) }}

// release gives up the buffer, which must hold nothing unconsumed, and
// makes small the buffer.
func (t *Tokenizer) release() {
	if t.pooled != nil {
		bufPool.Put(t.pooled)
		t.pooled = nil
	}
	t.buf = t.small[:]
	t.base += int64(t.pos)
	t.pos, t.end = 0, 0
}

// inSmall reports whether buf is the small array.
func (t *Tokenizer) inSmall() bool { return len(t.buf) > 0 && &t.buf[0] == &t.small[0] }

// BufferSize returns the size of the read buffer the Tokenizer holds
// besides itself: 0 while it waits for input after a pause.
func (t *Tokenizer) BufferSize() int {
	if t.inSmall() {
		return 0
	}
	return cap(t.buf)
}

// grow moves the unconsumed data to the front of a buffer with room for a
// read: the same buffer when it has room, else a larger one.
func (t *Tokenizer) grow() error {
	n := len(t.buf)
	if t.end-t.pos == n || t.inSmall() {
		// Full, or small: a larger buffer.
		n = min(max(2*n, readBuffer), t.lim.MaxSize+1024)
		if n <= len(t.buf) {
			return &Error{Condition: PolicyViolation, Offset: t.base + int64(t.end), Msg: "element too large"}
		}
	}
	var nb []byte
	var pooled *[readBuffer]byte
	switch {
	case n == len(t.buf):
		nb = t.buf
	case n == readBuffer:
		pooled = bufPool.Get().(*[readBuffer]byte)
		nb = pooled[:]
	default:
		nb = make([]byte, n)
	}
	copy(nb, t.buf[t.pos:t.end])
	t.base += int64(t.pos)
	t.end -= t.pos
	t.pos = 0
	if pooled != nil || n != len(t.buf) {
		if t.pooled != nil {
			bufPool.Put(t.pooled)
		}
		t.pooled = pooled
	}
	t.buf = nb
	return nil
}

// fill reads more data, growing the buffer as needed but never beyond the
// size limit plus a little.
func (t *Tokenizer) fill() error {
	if t.rerr != nil {
		return t.rerr
	}
	if t.pos == t.end {
		t.release()
	} else if len(t.buf)-t.end < minRead {
		if err := t.grow(); err != nil {
			return err
		}
	}
	for range 100 {
		n, err := t.r.Read(t.buf[t.end:])
		t.end += n
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			t.rerr = err
			if n > 0 {
				return nil
			}
			return err
		}
		if n > 0 {
			return nil
		}
	}
	t.rerr = io.ErrNoProgress
	return t.rerr
}

// need makes at least n bytes available at t.pos.
func (t *Tokenizer) need(n int) error {
	for t.end-t.pos < n {
		if err := t.fill(); err != nil {
			return err
		}
	}
	return nil
}

func (t *Tokenizer) skipSpace() error {
	for {
		for t.pos < t.end && isSpace(t.buf[t.pos]) {
			t.pos++
		}
		if t.pos < t.end {
			return nil
		}
		if err := t.fill(); err != nil {
			return err
		}
	}
}

// Header reads the optional XML declaration and the open tag of the stream
// header. Its element holds the Start token and its Attr tokens.
func (t *Tokenizer) Header() (Element, error) {
	if t.err != nil {
		return Element{}, t.err
	}
	if t.state != stHeader {
		return Element{}, t.fail(perr(NotWellFormed, t.pos, "header already read"), 0)
	}
	if err := t.skipSpace(); err != nil {
		return Element{}, err
	}
	if err := t.need(2); err != nil {
		return Element{}, err
	}
	switch t.buf[t.pos] {
	case 0xEF, 0xFE, 0xFF, 0x00:
		// A byte order mark or UTF-16: only UTF-8 without BOM is
		// accepted (RFC 6120 §11.6).
		return Element{}, t.fail(perr(UnsupportedEncoding, t.pos, "not UTF-8"), 0)
	}
	if t.buf[t.pos] != '<' {
		return Element{}, t.fail(perr(NotWellFormed, t.pos, "expected '<'"), 0)
	}
	if t.buf[t.pos+1] == '?' {
		if err := t.xmlDecl(); err != nil {
			return Element{}, err
		}
		if err := t.skipSpace(); err != nil {
			return Element{}, err
		}
		if err := t.need(2); err != nil {
			return Element{}, err
		}
		if t.buf[t.pos] != '<' {
			return Element{}, t.fail(perr(NotWellFormed, t.pos, "expected '<'"), 0)
		}
	}
	if err := t.checkTop(); err != nil {
		return Element{}, err
	}
	t.fr = framer{header: true, open: t.fr.open[:0]}
	framed := false
	for {
		data := t.window()
		p := &t.Parser
		p.initURIs()
		p.toks = p.toks[:0]
		p.ns = p.ns[:0]
		n, err := p.startTag(data, 0, true)
		if err == nil {
			for k := range p.ns {
				p.ns[k].Decl = DeclOuter
			}
			for k := range p.toks {
				if p.toks[k].Decl == 0 {
					p.toks[k].Decl = DeclOuter
				}
			}
			t.nhdr = len(p.ns)
			p.nfixed = len(p.uris)
			st := p.toks[0]
			t.hdr = append(t.hdr[:0], data[st.Name.Start:st.Name.End]...)
			el := Element{Data: data[:n], Toks: p.toks, URIs: p.uris, Offset: t.base + int64(t.pos)}
			t.pos += n
			t.state = stStream
			return el, nil
		}
		if err != errMore {
			return Element{}, t.fail(err, t.pos)
		}
		if len(data) == t.lim.MaxSize {
			return Element{}, t.fail(perr(PolicyViolation, t.pos, "element too large"), 0)
		}
		if t.rerr != nil {
			return Element{}, t.rerr
		}
		if framed {
			return Element{}, t.fail(perr(NotWellFormed, t.end, "malformed stream header"), 0)
		}
		if err := t.frame(); err != nil {
			return Element{}, err
		}
		framed = true
	}
}

// window returns the buffered data from t.pos, up to the size limit.
func (t *Tokenizer) window() []byte {
	return t.buf[t.pos:min(t.end, t.pos+t.lim.MaxSize)]
}

// checkTop rejects markup other than an element at t.pos ('<').
func (t *Tokenizer) checkTop() error {
	if t.buf[t.pos+1] == '!' {
		if err := t.need(3); err != nil {
			return err
		}
	}
	if err := topMarkup(t.buf[t.pos:t.end]); err != nil {
		return t.fail(err, t.pos)
	}
	return nil
}

// frame reads until the framer finds the end of the construct at t.pos.
func (t *Tokenizer) frame() error {
	for {
		if t.fr.run(t.buf[t.pos:t.end], t.lim.MaxDepth, t.lim.MaxAttrs) {
			return nil
		}
		if t.end-t.pos >= t.lim.MaxSize {
			// The parser finds what is wrong within the limit.
			return nil
		}
		if err := t.fill(); err != nil {
			if e, ok := err.(*Error); ok {
				t.err = e
				return err
			}
			// Let the parser look at what there is before reporting
			// the read error.
			return nil
		}
	}
}

// xmlDecl reads the XML declaration at t.pos (which starts with "<?").
func (t *Tokenizer) xmlDecl() error {
	const max = 256
	var j int
	for {
		data := t.buf[t.pos:min(t.end, t.pos+max)]
		if len(data) >= 6 && (!bytes.HasPrefix(data, []byte("<?xml")) || !isSpace(data[5])) {
			return t.fail(perr(RestrictedXML, t.pos, "processing instruction"), 0)
		}
		j = bytes.Index(data, []byte("?>"))
		if j >= 0 {
			break
		}
		if len(data) == max {
			return t.fail(perr(NotWellFormed, t.pos, "XML declaration too long"), 0)
		}
		if err := t.fill(); err != nil {
			return err
		}
	}
	d := t.buf[t.pos : t.pos+j]
	if len(d) < 6 {
		return t.fail(perr(RestrictedXML, t.pos, "processing instruction"), 0)
	}
	// Parse the pseudo-attributes: version, then encoding and standalone.
	i := 5
	seen := 0
	for {
		ws := false
		for i < len(d) && isSpace(d[i]) {
			i++
			ws = true
		}
		if i == len(d) {
			break
		}
		if !ws {
			return t.fail(perr(NotWellFormed, t.pos+i, "bad XML declaration"), 0)
		}
		k := i
		for k < len(d) && d[k] != '=' && !isSpace(d[k]) {
			k++
		}
		name := string(d[i:k])
		for k < len(d) && isSpace(d[k]) {
			k++
		}
		if k >= len(d)-1 || d[k] != '=' {
			return t.fail(perr(NotWellFormed, t.pos+k, "bad XML declaration"), 0)
		}
		k++
		for k < len(d) && isSpace(d[k]) {
			k++
		}
		if k >= len(d) || d[k] != '"' && d[k] != '\'' {
			return t.fail(perr(NotWellFormed, t.pos+k, "bad XML declaration"), 0)
		}
		e := bytes.IndexByte(d[k+1:], d[k])
		if e < 0 {
			return t.fail(perr(NotWellFormed, t.pos+k, "bad XML declaration"), 0)
		}
		val := string(d[k+1 : k+1+e])
		switch {
		case name == "version" && seen == 0:
			if len(val) < 3 || val[:2] != "1." {
				return t.fail(perr(NotWellFormed, t.pos+k, "unsupported XML version"), 0)
			}
			seen = 1
		case name == "encoding" && seen == 1:
			if !bytes.EqualFold([]byte(val), []byte("UTF-8")) {
				return t.fail(perr(UnsupportedEncoding, t.pos+k, "encoding "+val), 0)
			}
			seen = 2
		case name == "standalone" && seen >= 1 && seen < 3:
			if val != "yes" && val != "no" {
				return t.fail(perr(NotWellFormed, t.pos+k, "bad XML declaration"), 0)
			}
			seen = 3
		default:
			return t.fail(perr(NotWellFormed, t.pos+i, "bad XML declaration"), 0)
		}
		i = k + 1 + e + 1
	}
	if seen == 0 {
		return t.fail(perr(NotWellFormed, t.pos, "XML declaration without version"), 0)
	}
	t.pos += j + 2
	return nil
}

// Next returns the next top-level element of the stream, or io.EOF after
// the stream's end tag.
func (t *Tokenizer) Next() (Element, error) {
	if t.err != nil {
		return Element{}, t.err
	}
	switch t.state {
	case stHeader:
		return Element{}, t.fail(perr(NotWellFormed, t.pos, "stream header not read"), 0)
	case stEnded:
		return Element{}, io.EOF
	}
	if err := t.skipSpace(); err != nil {
		return Element{}, err
	}
	if t.buf[t.pos] != '<' {
		return Element{}, t.fail(perr(NotWellFormed, t.pos, "text at the top level"), 0)
	}
	if err := t.need(2); err != nil {
		return Element{}, err
	}
	if t.buf[t.pos+1] == '/' {
		return Element{}, t.streamEnd()
	}
	if err := t.checkTop(); err != nil {
		return Element{}, err
	}
	t.fr = framer{open: t.fr.open[:0]}
	framed, retried, resume := false, false, false
	for {
		data := t.window()
		var n int
		var err error
		if resume {
			// Parse on from the piece the data ended in.
			n, err = t.resume(data)
		} else {
			n, err = t.element(data, t.nhdr)
			resume = true
		}
		if err == nil {
			el := Element{Data: data[:n], Toks: t.toks, URIs: t.uris, Offset: t.base + int64(t.pos), Escaped: t.flags&FlagEscaped != 0}
			t.pos += n
			return el, nil
		}
		if err != errMore {
			return Element{}, t.fail(err, t.pos)
		}
		if len(data) == t.lim.MaxSize {
			return Element{}, t.fail(perr(PolicyViolation, t.pos, "element too large"), 0)
		}
		if t.rerr != nil {
			return Element{}, t.rerr
		}
		if !retried && t.end == len(t.buf) {
			// The element runs past the end of a full buffer: the reader
			// is keeping up, so read on and parse again before falling
			// back on framing.
			retried = true
			if err := t.fill(); err != nil {
				if _, ok := err.(*Error); ok {
					return Element{}, t.fail(err, 0)
				}
			}
			continue
		}
		if framed {
			// The framer saw the whole element but the parser wants more:
			// only bad XML makes them disagree.
			return Element{}, t.fail(perr(NotWellFormed, t.end, "malformed element"), 0)
		}
		if err := t.frame(); err != nil {
			return Element{}, err
		}
		framed = true
	}
}

// streamEnd reads the end tag at t.pos, which must close the header.
func (t *Tokenizer) streamEnd() error {
	for {
		max := len(t.hdr) + 64
		data := t.buf[t.pos:min(t.end, t.pos+max)]
		k := bytes.IndexByte(data, '>')
		if k < 0 {
			if len(data) == max {
				return t.fail(perr(NotWellFormed, t.pos, "bad end tag"), 0)
			}
			if err := t.fill(); err != nil {
				return err
			}
			continue
		}
		name := bytes.TrimRight(data[2:k], " \t\r\n")
		if !bytes.Equal(name, t.hdr) {
			return t.fail(perr(NotWellFormed, t.pos, "end tag does not match the stream header"), 0)
		}
		t.pos += k + 1
		t.state = stEnded
		return io.EOF
	}
}

// framer finds the end of an element in data arriving in pieces, so that a
// slowly arriving element is parsed in full only once. It relies on the
// parser having accepted every byte before the point where it ran out of
// data; on bad input the parser has the last word.
type framer struct {
	i      int
	depth  int
	state  uint8
	quote  byte
	slash  bool
	header bool // stop at the end of the first start tag
	// open holds the offset in data of the name of each open element,
	// so that an end tag that does not match is handed to the parser at
	// once instead of being counted: otherwise an element closed by the
	// wrong end tag, such as </stream:stream> inside a stanza, would
	// wait for more input forever. At most maxDepth+1 long.
	open  []int
	endAt int // offset in data of the name of the end tag being read
	// nattr counts the quoted values in the start tag being read, so that
	// an attribute flood is handed to the parser once it passes the limit
	// rather than buffered up to the size limit.
	nattr int
}

// endMatches reports whether the end tag name data[f.endAt:k] closes the
// innermost open element.
func (f *framer) endMatches(data []byte, k int) bool {
	if len(f.open) == 0 {
		return false
	}
	name := bytes.TrimRight(data[f.endAt:k], " \t\r\n")
	start := data[f.open[len(f.open)-1]:]
	if !bytes.HasPrefix(start, name) || len(start) == len(name) {
		return false
	}
	switch start[len(name)] {
	case ' ', '\t', '\r', '\n', '/', '>':
		return true
	}
	return false
}

const (
	frText = iota
	frLT
	frStart
	frQuote
	frEnd
	frCDATA
)

// run scans data (the whole element so far) from where it stopped; it
// reports whether the element is complete, or the parser will have to
// decide.
func (f *framer) run(data []byte, maxDepth, maxAttrs int) bool {
	for f.i < len(data) {
		switch f.state {
		case frText:
			j := bytes.IndexByte(data[f.i:], '<')
			if j < 0 {
				f.i = len(data)
				return false
			}
			f.i += j + 1
			f.state = frLT
		case frLT:
			switch data[f.i] {
			case '/':
				f.state = frEnd
				f.i++
				f.endAt = f.i
			case '!':
				if len(data)-f.i < 8 {
					return false
				}
				if !bytes.HasPrefix(data[f.i:], []byte("![CDATA[")) {
					return true
				}
				f.i += 8
				f.state = frCDATA
			case '?':
				return true
			default:
				f.depth++
				f.open = append(f.open, f.i)
				f.nattr = 0
				f.state = frStart
				f.slash = false
			}
		case frStart:
			c := data[f.i]
			f.i++
			switch c {
			case '"', '\'':
				if f.nattr++; f.nattr > maxAttrs {
					return true
				}
				f.quote = c
				f.state = frQuote
			case '>':
				if f.header || f.depth > maxDepth {
					return true
				}
				if f.slash {
					f.depth--
					f.open = f.open[:len(f.open)-1]
				}
				if f.depth == 0 {
					return true
				}
				f.state = frText
			}
			f.slash = c == '/'
		case frQuote:
			j := bytes.IndexByte(data[f.i:], f.quote)
			if j < 0 {
				f.i = len(data)
				return false
			}
			f.i += j + 1
			f.state = frStart
			f.slash = false
		case frEnd:
			j := bytes.IndexByte(data[f.i:], '>')
			if j < 0 {
				f.i = len(data)
				return false
			}
			if !f.endMatches(data, f.i+j) {
				return true
			}
			f.i += j + 1
			f.depth--
			f.open = f.open[:len(f.open)-1]
			if f.depth <= 0 {
				return true
			}
			f.state = frText
		case frCDATA:
			j := bytes.Index(data[f.i:], []byte("]]>"))
			if j < 0 {
				if len(data)-2 > f.i {
					f.i = len(data) - 2
				}
				return false
			}
			f.i += j + 3
			f.state = frText
		}
	}
	return false
}
