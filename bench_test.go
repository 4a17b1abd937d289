package xmpp_test

// Decoder and Encoder benchmarks over the corpus of internal/corpus, against
// the encoding/xml baseline of encodingxml_baseline_test.go.
//
//	go test -run '^$' -bench 'Decode|Encode' -benchtime 20x .
//
// Besides MB/s and allocs/op every benchmark reports ns/stanza,
// allocs/stanza and B/stanza, measured over the timed loop.

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/internal/corpus"
)

var benchCorpus = sync.OnceValues(func() ([]byte, corpus.Stats) {
	return corpus.Generate(corpus.DefaultSize)
})

// perStanza measures the allocations of a benchmark's timed loop and reports
// them, and the time, per stanza.
type perStanza struct {
	b      *testing.B
	before runtime.MemStats
}

func startPerStanza(b *testing.B) *perStanza {
	p := &perStanza{b: b}
	runtime.GC()
	runtime.ReadMemStats(&p.before)
	return p
}

// report must be called right after the timed loop, with the number of
// stanzas handled in one iteration.
func (p *perStanza) report(stanzas int) {
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	n := float64(p.b.N) * float64(stanzas)
	p.b.ReportMetric(float64(p.b.Elapsed().Nanoseconds())/n, "ns/stanza")
	p.b.ReportMetric(float64(after.Mallocs-p.before.Mallocs)/n, "allocs/stanza")
	p.b.ReportMetric(float64(after.TotalAlloc-p.before.TotalAlloc)/n, "B/stanza")
}

// decodeAll returns every stanza of data decoded by the package's Decoder.
func decodeAll(data []byte) ([]any, error) {
	var out []any
	d := xmpp.NewDecoder(bytes.NewReader(data))
	for {
		v, err := d.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
}

func BenchmarkDecode(b *testing.B) {
	data, st := benchCorpus()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var n int
	p := startPerStanza(b)
	for b.Loop() {
		n = 0
		d := xmpp.NewDecoder(bytes.NewReader(data))
		for {
			_, err := d.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	p.report(n)
	if n != st.Stanzas() {
		b.Fatalf("decoded %d stanzas, want %d", n, st.Stanzas())
	}
}

func BenchmarkDecodeEncodingXML(b *testing.B) {
	data, st := benchCorpus()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var n int
	p := startPerStanza(b)
	for b.Loop() {
		n = 0
		err := decodeEncodingXML(bytes.NewReader(data), func(any) { n++ })
		if err != nil {
			b.Fatal(err)
		}
	}
	p.report(n)
	if n != st.Stanzas() {
		b.Fatalf("decoded %d stanzas, want %d", n, st.Stanzas())
	}
}

// BenchmarkTokenEncodingXML is the floor under any encoding/xml decoder:
// xml.Decoder.Token over the corpus, with no struct decoding.
func BenchmarkTokenEncodingXML(b *testing.B) {
	data, _ := benchCorpus()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	p := startPerStanza(b)
	for b.Loop() {
		d := xml.NewDecoder(bytes.NewReader(data))
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	_, st := benchCorpus()
	p.report(st.Stanzas())
}

// BenchmarkEncode encodes every stanza of the corpus with the package's
// Encoder, one Encode call (one Write) per stanza. The stanzas are the
// baseline's, converted, so both encoders write the same content, whatever
// the state of the Decoder. SetBytes is the corpus size, so that MB/s
// compares with the baseline's.
func BenchmarkEncode(b *testing.B) {
	data, _ := benchCorpus()
	vs, err := decodeBaselineForEncoding(data)
	if err != nil {
		b.Fatal(err)
	}
	stanzas := make([]xmpp.Stanza, len(vs))
	for i, v := range vs {
		if stanzas[i], err = fromBaseline(v); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	p := startPerStanza(b)
	for b.Loop() {
		e := xmpp.NewEncoder(io.Discard)
		for _, s := range stanzas {
			if err := e.Encode(s); err != nil {
				b.Fatal(err)
			}
		}
	}
	p.report(len(stanzas))
}

func BenchmarkEncodeEncodingXML(b *testing.B) {
	data, _ := benchCorpus()
	vs, err := decodeBaselineForEncoding(data)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	p := startPerStanza(b)
	for b.Loop() {
		e := xml.NewEncoder(io.Discard)
		for _, v := range vs {
			if err := e.Encode(v); err != nil {
				b.Fatal(err)
			}
		}
	}
	p.report(len(vs))
}

// decodeBaselineForEncoding decodes data with the baseline and prepares the
// structs for xml.Encoder: encoding/xml keeps xmlns declarations among the
// attributes it collects with `xml:",any,attr"` and, on encoding, writes them
// again beside the xmlns it derives from XMLName, a duplicate attribute. Code
// that re-encodes what it decoded with encoding/xml has to drop them.
func decodeBaselineForEncoding(data []byte) ([]any, error) {
	var vs []any
	err := decodeEncodingXML(bytes.NewReader(data), func(v any) { vs = append(vs, v) })
	for _, v := range vs {
		switch v := v.(type) {
		case *baselineMessage:
			dropXMLNS(v.Extensions)
			if v.Error != nil {
				dropXMLNS(v.Error.Conditions)
			}
		case *baselinePresence:
			dropXMLNS(v.Extensions)
			if v.Error != nil {
				dropXMLNS(v.Error.Conditions)
			}
		case *baselineIQ:
			if v.Payload != nil {
				v.Payload.Attrs = slices.DeleteFunc(v.Payload.Attrs, isXMLNS)
			}
			if v.Error != nil {
				dropXMLNS(v.Error.Conditions)
			}
		}
	}
	return vs, err
}

func isXMLNS(a xml.Attr) bool {
	return a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns"
}

func dropXMLNS(es []baselineExtension) {
	for i := range es {
		es[i].Attrs = slices.DeleteFunc(es[i].Attrs, isXMLNS)
	}
}

// TestDecodeMatchesEncodingXML decodes a corpus with the package's Decoder
// and with the encoding/xml baseline and compares what they found, stanza by
// stanza: kind, header, texts, error, and every extension element as an
// infoset (names, attributes, text) so that differences in quoting or
// namespace declarations do not count.
func TestDecodeMatchesEncodingXML(t *testing.T) {
	t.Parallel()
	data, st := corpus.Generate(1 << 20)

	var want []string
	err := decodeEncodingXML(bytes.NewReader(data), func(v any) { want = append(want, summarizeBaseline(v)) })
	if err != nil {
		t.Fatalf("decodeEncodingXML: %v", err)
	}
	if len(want) != st.Stanzas() {
		t.Fatalf("encoding/xml decoded %d stanzas, want %d", len(want), st.Stanzas())
	}

	vs, err := decodeAll(data)
	if err != nil {
		t.Fatalf("Decoder.Next after %d stanzas: %v", len(vs), err)
	}
	var bodies []string
	for i, v := range vs {
		got := summarizeOurs(v)
		if i >= len(want) {
			t.Fatalf("stanza %d: extra\n%s", i, got)
		}
		if got != want[i] {
			t.Fatalf("stanza %d:\n got %s\nwant %s", i, got, want[i])
		}
		if m, ok := v.(*xmpp.Message); ok && m.Body != "" {
			bodies = append(bodies, m.Body)
		}
	}
	if len(vs) != len(want) {
		t.Fatalf("Decoder found %d stanzas, want %d", len(vs), len(want))
	}
	if corpus.SumBodies(bodies) != st.BodySum {
		t.Errorf("sum of bodies = %x, want %x", corpus.SumBodies(bodies), st.BodySum)
	}
}

// TestEncodingXMLRoundTrip checks that the baseline encoder benchmark
// measures valid output: encoding the baseline's structs and decoding the
// result again gives the same stanzas.
func TestEncodingXMLRoundTrip(t *testing.T) {
	t.Parallel()
	data, _ := corpus.Generate(256 << 10)
	var want []string
	if err := decodeEncodingXML(bytes.NewReader(data), func(v any) { want = append(want, summarizeBaseline(v)) }); err != nil {
		t.Fatal(err)
	}
	vs, err := decodeBaselineForEncoding(data)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.WriteString(corpus.Header)
	e := xml.NewEncoder(&buf)
	for _, v := range vs {
		if err := e.Encode(v); err != nil {
			t.Fatal(err)
		}
	}
	buf.WriteString(corpus.Trailer)
	var got []string
	if err := decodeEncodingXML(&buf, func(v any) { got = append(got, summarizeBaseline(v)) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("round trip gave %d stanzas, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("stanza %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

// TestEncodeRoundTrip checks the package's Encoder on the corpus: the
// baseline's stanzas, converted, encoded and decoded again by the baseline,
// are what the baseline first decoded.
func TestEncodeRoundTrip(t *testing.T) {
	t.Parallel()
	data, _ := corpus.Generate(256 << 10)
	var want []string
	if err := decodeEncodingXML(bytes.NewReader(data), func(v any) { want = append(want, summarizeBaseline(v)) }); err != nil {
		t.Fatal(err)
	}
	vs, err := decodeBaselineForEncoding(data)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.WriteString(corpus.Header)
	e := xmpp.NewEncoder(&buf)
	for i, v := range vs {
		s, err := fromBaseline(v)
		if err != nil {
			t.Fatalf("stanza %d: %v", i, err)
		}
		if err := e.Encode(s); err != nil {
			t.Fatalf("Encode(stanza %d) = %v", i, err)
		}
	}
	buf.WriteString(corpus.Trailer)
	var got []string
	if err := decodeEncodingXML(&buf, func(v any) { got = append(got, summarizeBaseline(v)) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("round trip gave %d stanzas, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("stanza %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

// fromBaseline converts a baseline struct, with its xmlns attributes
// dropped (see decodeBaselineForEncoding), into the package's stanza type.
func fromBaseline(v any) (xmpp.Stanza, error) {
	header := func(id, from, to, lang string) (xmpp.Header, error) {
		h := xmpp.Header{ID: id, Lang: lang}
		var err error
		if from != "" {
			if h.From, err = xmpp.ParseJID(from); err != nil {
				return h, err
			}
		}
		if to != "" {
			h.To, err = xmpp.ParseJID(to)
		}
		return h, err
	}
	switch v := v.(type) {
	case *baselineMessage:
		h, err := header(v.ID, v.From, v.To, v.Lang)
		m := &xmpp.Message{Header: h, Type: wireTypes[v.Type].m, Extensions: elements(v.Extensions)}
		m.Subject, m.Subjects = texts(v.Subjects)
		m.Body, m.Bodies = texts(v.Bodies)
		if v.Thread != nil {
			m.Thread, m.ThreadParent = v.Thread.Value, v.Thread.Parent
		}
		m.Error = stanzaError(v.Error)
		return m, err
	case *baselinePresence:
		h, err := header(v.ID, v.From, v.To, v.Lang)
		p := &xmpp.Presence{Header: h, Type: wireTypes[v.Type].p, Show: xmpp.Show(v.Show), Extensions: elements(v.Extensions)}
		p.Status, p.Statuses = texts(v.Statuses)
		if v.Priority != nil {
			p.Priority, p.HasPriority = *v.Priority, true
		}
		p.Error = stanzaError(v.Error)
		return p, err
	case *baselineIQ:
		h, err := header(v.ID, v.From, v.To, v.Lang)
		iq := &xmpp.IQ{Header: h, Type: wireTypes[v.Type].iq, Error: stanzaError(v.Error)}
		if v.Payload != nil {
			iq.Payload = element(*v.Payload)
		}
		return iq, err
	}
	return nil, fmt.Errorf("not a stanza: %T", v)
}

// wireTypes maps a type attribute's value to the stanza types it stands
// for; the values the corpus does not use are absent.
var wireTypes = map[string]struct {
	m  xmpp.MessageType
	p  xmpp.PresenceType
	iq xmpp.IQType
}{
	"chat":        {m: xmpp.MessageChat},
	"groupchat":   {m: xmpp.MessageGroupchat},
	"headline":    {m: xmpp.MessageHeadline},
	"error":       {m: xmpp.MessageError, p: xmpp.PresenceError, iq: xmpp.IQError},
	"unavailable": {p: xmpp.PresenceUnavailable},
	"subscribe":   {p: xmpp.PresenceSubscribe},
	"probe":       {p: xmpp.PresenceProbe},
	"get":         {iq: xmpp.IQGet},
	"set":         {iq: xmpp.IQSet},
	"result":      {iq: xmpp.IQResult},
}

// wireType returns the type attribute a stanza type is written as.
func wireType(t fmt.Stringer) string {
	switch t {
	case xmpp.MessageNormal, xmpp.PresenceAvailable:
		return ""
	}
	return t.String()
}

func stanzaError(e *baselineError) *xmpp.StanzaError {
	if e == nil {
		return nil
	}
	se := &xmpp.StanzaError{Type: xmpp.ErrorType(e.Type)}
	if e.By != "" {
		se.By, _ = xmpp.ParseJID(e.By)
	}
	if e.Text != nil {
		se.Text, se.Lang = e.Text.Value, e.Text.Lang
	}
	for _, c := range e.Conditions {
		if se.Condition == "" && c.XMLName.Space == baselineNSStanzas {
			se.Condition = xmpp.StanzaCondition(c.XMLName.Local)
			continue
		}
		se.Extensions = append(se.Extensions, element(c))
	}
	return se
}

func elements(es []baselineExtension) []xmpp.Element {
	out := make([]xmpp.Element, len(es))
	for i, e := range es {
		out[i] = element(e)
	}
	return out
}

// element rebuilds the source text of e, declaring its namespace.
func element(e baselineExtension) xmpp.Element {
	var b strings.Builder
	b.WriteString("<" + e.XMLName.Local + " xmlns='")
	xml.EscapeText(&b, []byte(e.XMLName.Space))
	b.WriteString("'")
	for _, a := range e.Attrs {
		b.WriteString(" ")
		if a.Name.Space == "http://www.w3.org/XML/1998/namespace" {
			b.WriteString("xml:")
		}
		b.WriteString(a.Name.Local + "='")
		xml.EscapeText(&b, []byte(a.Value))
		b.WriteString("'")
	}
	if len(e.Inner) == 0 {
		b.WriteString("/>")
	} else {
		b.WriteString(">")
		b.Write(e.Inner)
		b.WriteString("</" + e.XMLName.Local + ">")
	}
	// ParseElement, as an application building a payload would, so the
	// Encoder knows the text is one well-formed element and need not check
	// it again on every send.
	el, err := xmpp.ParseElement(b.String())
	if err != nil {
		panic(fmt.Sprintf("baseline element %q: %v", b.String(), err))
	}
	return el
}

// Summaries: one line per stanza, built the same way from either decoder's
// output.

type summary struct{ strings.Builder }

func (s *summary) field(name string, v any) {
	fmt.Fprintf(s, " %s=%q", name, v)
}

// texts splits language variants the way xmpp.Message does: the first
// variant without xml:lang (else the first) is the main one.
func texts(ts []baselineText) (main string, rest []xmpp.Text) {
	i := slices.IndexFunc(ts, func(t baselineText) bool { return t.Lang == "" })
	if i < 0 && len(ts) > 0 {
		i = 0
	}
	for j, t := range ts {
		if j == i {
			main = t.Value
			continue
		}
		rest = append(rest, xmpp.Text{Lang: t.Lang, Value: t.Value})
	}
	return main, rest
}

func (s *summary) texts(name string, ts []xmpp.Text) {
	fmt.Fprintf(s, " %s=[", name)
	for _, t := range ts {
		fmt.Fprintf(s, "%q:%q ", t.Lang, t.Value)
	}
	s.WriteString("]")
}

func (s *summary) header(kind, id, typ, from, to, lang string) {
	s.WriteString(kind)
	s.field("id", id)
	s.field("type", typ)
	s.field("from", from)
	s.field("to", to)
	s.field("lang", lang)
}

func (s *summary) stanzaError(typ, cond, text, lang, by string) {
	fmt.Fprintf(s, " error={%q %q %q %q %q}", typ, cond, text, lang, by)
}

func (s *summary) extensions(label string, canon []string) {
	s.WriteString(" " + label + "=[")
	for _, c := range canon {
		s.WriteString(c)
		s.WriteString(" ")
	}
	s.WriteString("]")
}

func summarizeOurs(v any) string {
	var s summary
	switch v := v.(type) {
	case *xmpp.Message:
		h := v.Header
		s.header("message", h.ID, wireType(v.Type), h.From.String(), h.To.String(), h.Lang)
		s.field("subject", v.Subject)
		s.texts("subjects", v.Subjects)
		s.field("body", v.Body)
		s.texts("bodies", v.Bodies)
		s.field("thread", v.Thread)
		s.field("parent", v.ThreadParent)
		s.oursError(v.Error)
		s.oursExtensions("ext", v.Extensions)
	case *xmpp.Presence:
		h := v.Header
		s.header("presence", h.ID, wireType(v.Type), h.From.String(), h.To.String(), h.Lang)
		s.field("show", string(v.Show))
		s.field("status", v.Status)
		s.texts("statuses", v.Statuses)
		if v.HasPriority {
			s.field("priority", strconv.Itoa(int(v.Priority)))
		}
		s.oursError(v.Error)
		s.oursExtensions("ext", v.Extensions)
	case *xmpp.IQ:
		h := v.Header
		s.header("iq", h.ID, wireType(v.Type), h.From.String(), h.To.String(), h.Lang)
		s.oursError(v.Error)
		if !v.Payload.IsZero() {
			s.oursExtensions("ext", []xmpp.Element{v.Payload})
		}
	case *xmpp.Element:
		s.WriteString("element")
		s.oursExtensions("ext", []xmpp.Element{*v})
	default:
		fmt.Fprintf(&s, "unexpected %T", v)
	}
	return s.String()
}

func (s *summary) oursError(e *xmpp.StanzaError) {
	if e != nil {
		s.stanzaError(string(e.Type), string(e.Condition), e.Text, e.Lang, e.By.String())
		s.oursExtensions("errext", e.Extensions)
	}
}

func (s *summary) oursExtensions(label string, es []xmpp.Element) {
	canon := make([]string, 0, len(es))
	for _, e := range es {
		c, err := canonical(e.Raw, nil, nil)
		if err != nil {
			c = fmt.Sprintf("invalid(%v)", err)
		} else if !strings.HasPrefix(c, "<{"+e.Name.Space+"}"+e.Name.Local+" ") {
			c = fmt.Sprintf("name %v does not match %s", e.Name, c)
		}
		canon = append(canon, c)
	}
	s.extensions(label, canon)
}

func summarizeBaseline(v any) string {
	var s summary
	switch v := v.(type) {
	case *baselineMessage:
		s.header("message", v.ID, v.Type, v.From, v.To, v.Lang)
		subject, subjects := texts(v.Subjects)
		s.field("subject", subject)
		s.texts("subjects", subjects)
		body, bodies := texts(v.Bodies)
		s.field("body", body)
		s.texts("bodies", bodies)
		var thread, parent string
		if v.Thread != nil {
			thread, parent = v.Thread.Value, v.Thread.Parent
		}
		s.field("thread", thread)
		s.field("parent", parent)
		s.baselineError(v.Error)
		s.baselineExtensions("ext", v.Extensions)
	case *baselinePresence:
		s.header("presence", v.ID, v.Type, v.From, v.To, v.Lang)
		s.field("show", string(v.Show))
		status, statuses := texts(v.Statuses)
		s.field("status", status)
		s.texts("statuses", statuses)
		if v.Priority != nil {
			s.field("priority", strconv.Itoa(int(*v.Priority)))
		}
		s.baselineError(v.Error)
		s.baselineExtensions("ext", v.Extensions)
	case *baselineIQ:
		s.header("iq", v.ID, v.Type, v.From, v.To, v.Lang)
		s.baselineError(v.Error)
		if v.Payload != nil {
			s.baselineExtensions("ext", []baselineExtension{*v.Payload})
		}
	case *baselineExtension:
		s.WriteString("element")
		s.baselineExtensions("ext", []baselineExtension{*v})
	default:
		fmt.Fprintf(&s, "unexpected %T", v)
	}
	return s.String()
}

func (s *summary) baselineError(e *baselineError) {
	if e == nil {
		return
	}
	var text, lang, cond string
	if e.Text != nil {
		text, lang = e.Text.Value, e.Text.Lang
	}
	var rest []baselineExtension
	for _, c := range e.Conditions {
		if cond == "" && c.XMLName.Space == baselineNSStanzas {
			cond = c.XMLName.Local
			continue
		}
		rest = append(rest, c)
	}
	s.stanzaError(e.Type, cond, text, lang, e.By)
	s.baselineExtensions("errext", rest)
}

func (s *summary) baselineExtensions(label string, es []baselineExtension) {
	canon := make([]string, 0, len(es))
	for _, e := range es {
		// The inner XML inherits the element's namespace; declare it on a
		// wrapper whose own name and attributes canonical replaces.
		var raw strings.Builder
		raw.WriteString("<x xmlns='")
		xml.EscapeText(&raw, []byte(e.XMLName.Space))
		raw.WriteString("'>")
		raw.Write(e.Inner)
		raw.WriteString("</x>")
		name := e.XMLName
		c, err := canonical(raw.String(), &name, e.Attrs)
		if err != nil {
			c = fmt.Sprintf("invalid(%v)", err)
		}
		canon = append(canon, c)
	}
	s.extensions(label, canon)
}

// canonical renders the element in raw as its infoset: expanded names,
// attributes sorted without namespace declarations, and merged text. A
// non-nil name replaces the root element's name and attrs its attributes.
func canonical(raw string, name *xml.Name, attrs []xml.Attr) (string, error) {
	var out strings.Builder
	var text []byte
	flush := func() {
		if len(text) > 0 {
			fmt.Fprintf(&out, "%q", text)
			text = text[:0]
		}
	}
	d := xml.NewDecoder(strings.NewReader(raw))
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			flush()
			if depth == 0 && name != nil {
				tok.Name, tok.Attr = *name, attrs
			}
			depth++
			as := make([]string, 0, len(tok.Attr))
			for _, a := range tok.Attr {
				if !isXMLNS(a) {
					as = append(as, fmt.Sprintf("{%s}%s=%q", a.Name.Space, a.Name.Local, a.Value))
				}
			}
			slices.Sort(as)
			fmt.Fprintf(&out, "<{%s}%s %s>", tok.Name.Space, tok.Name.Local, strings.Join(as, " "))
		case xml.EndElement:
			flush()
			depth--
			out.WriteString("</>")
		case xml.CharData:
			text = append(text, tok...)
		}
	}
	flush()
	if depth != 0 {
		return "", io.ErrUnexpectedEOF
	}
	return out.String(), nil
}
