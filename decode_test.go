package xmpp

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

const testHeader = `<?xml version='1.0' encoding='UTF-8'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='example.com' to='juliet@example.com' id='s1' version='1.0' xml:lang='en'>`

// readers wraps input in readers that split it in different ways.
var readers = map[string]func(io.Reader) io.Reader{
	"whole":   func(r io.Reader) io.Reader { return r },
	"onebyte": iotest.OneByteReader,
	"half":    iotest.HalfReader,
	"dataerr": iotest.DataErrReader,
}

// decodeAll returns everything Next returns until the first fatal error.
func decodeAll(r io.Reader, lim Limits) ([]any, error) {
	d := NewDecoder(r)
	d.SetLimits(lim)
	var out []any
	for {
		v, err := d.Next()
		var bse *BadStanzaError
		switch {
		case errors.As(err, &bse):
			out = append(out, bse)
		case err != nil:
			return out, err
		default:
			out = append(out, v)
		}
	}
}

func TestDecodeStanzas(t *testing.T) {
	t.Parallel()
	in := testHeader + `
<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>
<message from='romeo@example.net/orchard' to='juliet@example.com/balcony' type='chat' id='m1' xml:lang='en'>
  <body>Wherefore art thou, &amp;Romeo&lt;&#x1F600;&#65;?</body>
  <body xml:lang='cs'>Pro&#269;e?</body>
  <subject xml:lang='de'>Betreff</subject>
  <subject>Subject</subject>
  <thread parent='p1'>t1</thread>
  <active xmlns='http://jabber.org/protocol/chatstates'/>
  <foo a='1'><bar/></foo>
</message>
 <presence from='romeo@example.net/orchard'><show>away</show><status>gone</status><status xml:lang='fr'>parti</status><priority>-5</priority><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='v'/></presence>
<iq type='result' id='r1'><query xmlns='jabber:iq:roster'><item jid='a@b'/></query></iq>
<iq type='error' id='e1'><ping xmlns='urn:xmpp:ping'/><error type='cancel' by='example.com'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>Sorry</text><x xmlns='urn:app'/></error></iq>
</stream:stream> trailing garbage is never read`
	for name, wrap := range readers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, err := decodeAll(wrap(strings.NewReader(in)), Limits{})
			require.ErrorIs(t, err, io.EOF)
			require.Len(t, out, 5)

			feat := out[0].(*Element)
			require.Equal(t, xml.Name{Space: NSStream, Local: "features"}, feat.Name)
			require.Equal(t, `<stream:features xmlns:stream='http://etherx.jabber.org/streams'><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>`, feat.Raw)

			m := out[1].(*Message)
			require.Equal(t, "romeo@example.net/orchard", m.From.String())
			require.Equal(t, "juliet@example.com/balcony", m.To.String())
			require.Equal(t, Header{ID: "m1", From: m.From, To: m.To, Lang: "en"}, m.Header)
			require.Equal(t, MessageChat, m.Type)
			require.Equal(t, "Wherefore art thou, &Romeo<😀A?", m.Body)
			require.Equal(t, []Text{{Lang: "cs", Value: "Proče?"}}, m.Bodies)
			require.Equal(t, "Subject", m.Subject)
			require.Equal(t, []Text{{Lang: "de", Value: "Betreff"}}, m.Subjects)
			require.Equal(t, "t1", m.Thread)
			require.Equal(t, "p1", m.ThreadParent)
			require.Equal(t, []Element{
				{Name: xml.Name{Space: "http://jabber.org/protocol/chatstates", Local: "active"}, Raw: `<active xmlns='http://jabber.org/protocol/chatstates'/>`, wellFormed: true},
				{Name: xml.Name{Space: NSClient, Local: "foo"}, Raw: `<foo xmlns='jabber:client' a='1'><bar/></foo>`, wellFormed: true},
			}, m.Extensions)

			p := out[2].(*Presence)
			require.Equal(t, ShowAway, p.Show)
			require.Equal(t, "gone", p.Status)
			require.Equal(t, []Text{{Lang: "fr", Value: "parti"}}, p.Statuses)
			require.True(t, p.HasPriority)
			require.Equal(t, int8(-5), p.Priority)
			require.Len(t, p.Extensions, 1)
			require.Equal(t, "v", p.Extensions[0].Attr("ver"))

			iq := out[3].(*IQ)
			require.Equal(t, IQResult, iq.Type)
			require.Equal(t, xml.Name{Space: "jabber:iq:roster", Local: "query"}, iq.Payload.Name)
			require.Nil(t, iq.Error)

			eiq := out[4].(*IQ)
			require.Equal(t, "ping", eiq.Payload.Name.Local)
			require.NotNil(t, eiq.Error)
			require.Equal(t, ErrorTypeCancel, eiq.Error.Type)
			require.Equal(t, ErrServiceUnavailable, eiq.Error.Condition)
			require.Equal(t, "Sorry", eiq.Error.Text)
			require.Equal(t, "en", eiq.Error.Lang)
			require.Equal(t, "example.com", eiq.Error.By.String())
			require.Len(t, eiq.Error.Extensions, 1)
			require.Equal(t, "urn:app", eiq.Error.Extensions[0].Name.Space)
		})
	}
}

func TestDecodeHeader(t *testing.T) {
	t.Parallel()
	d := NewDecoder(strings.NewReader(testHeader + "</stream:stream>"))
	h, err := d.Header()
	require.NoError(t, err)
	require.Equal(t, "example.com", h.From.String())
	require.Equal(t, "juliet@example.com", h.To.String())
	require.Equal(t, "s1", h.ID)
	require.Equal(t, "1.0", h.Version)
	require.Equal(t, "en", h.Lang)
	require.Equal(t, NSClient, h.Namespace)
	h2, err := d.Header()
	require.NoError(t, err)
	require.Equal(t, h, h2)
	for range 3 {
		v, err := d.Next()
		require.Nil(t, v)
		require.ErrorIs(t, err, io.EOF)
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	const shortHeader = `<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`
	tests := []struct {
		name, in string
		cond     StreamCondition
		lim      Limits
	}{
		{"comment top", `<!-- hi -->`, CondRestrictedXML, Limits{}},
		{"comment inside", `<message><!-- hi --></message>`, CondRestrictedXML, Limits{}},
		{"pi top", `<?foo bar?>`, CondRestrictedXML, Limits{}},
		{"pi inside", `<message><?foo bar?></message>`, CondRestrictedXML, Limits{}},
		{"xml decl inside", `<?xml version='1.0'?>`, CondRestrictedXML, Limits{}},
		{"doctype inside", `<message><!DOCTYPE x></message>`, CondRestrictedXML, Limits{}},
		{"entity text", `<message><body>&foo;</body></message>`, CondRestrictedXML, Limits{}},
		{"entity attr", `<message to='&foo;'/>`, CondRestrictedXML, Limits{}},
		{"char ref zero", `<message><body>&#0;</body></message>`, CondNotWellFormed, Limits{}},
		{"char ref surrogate", `<message><body>&#xD800;</body></message>`, CondNotWellFormed, Limits{}},
		{"char ref too big", `<message><body>&#x110000;</body></message>`, CondNotWellFormed, Limits{}},
		{"char ref empty", `<message><body>&#;</body></message>`, CondNotWellFormed, Limits{}},
		{"bare ampersand", `<message><body>a & b</body></message>`, CondNotWellFormed, Limits{}},
		{"bad utf8 text", "<message><body>\xff</body></message>", CondNotWellFormed, Limits{}},
		{"bad utf8 attr", "<message to='\xc3'/>", CondNotWellFormed, Limits{}},
		{"surrogate utf8", "<message><body>\xed\xa0\x80</body></message>", CondNotWellFormed, Limits{}},
		{"control char", "<message><body>\x01</body></message>", CondNotWellFormed, Limits{}},
		{"fffe", "<message><body>\uFFFE</body></message>", CondNotWellFormed, Limits{}},
		{"mismatched", `<message><body></message>`, CondNotWellFormed, Limits{}},
		{"dup attr", `<message to='a' to='b'/>`, CondNotWellFormed, Limits{}},
		{"dup expanded attr", `<message xmlns:a='u' xmlns:b='u' a:x='1' b:x='2'/>`, CondNotWellFormed, Limits{}},
		{"dup xmlns", `<message xmlns:a='u' xmlns:a='v'/>`, CondNotWellFormed, Limits{}},
		{"undeclared prefix", `<foo:bar/>`, CondNotWellFormed, Limits{}},
		{"undeclared attr prefix", `<message foo:x='1'/>`, CondNotWellFormed, Limits{}},
		{"lt in attr", `<message to='a<b'/>`, CondNotWellFormed, Limits{}},
		{"top text", `hello`, CondNotWellFormed, Limits{}},
		{"cdata end in text", `<message><body>]]></body></message>`, CondNotWellFormed, Limits{}},
		{"cdata top", `<![CDATA[x]]>`, CondNotWellFormed, Limits{}},
		{"bad name", `<1abc/>`, CondNotWellFormed, Limits{}},
		{"no space between attrs", `<message a='1'b='2'/>`, CondNotWellFormed, Limits{}},
		{"unquoted attr", `<message a=1/>`, CondNotWellFormed, Limits{}},
		{"wrong end of stream", `</foo>`, CondNotWellFormed, Limits{}},
		{"double colon", `<a:b:c/>`, CondNotWellFormed, Limits{}},
		{"xmlns prefix element", `<xmlns:a/>`, CondNotWellFormed, Limits{}},
		{"too large", `<message><body>` + strings.Repeat("a", 2000) + `</body></message>`, CondPolicyViolation, Limits{MaxStanzaSize: 1000}},
		{"too deep", strings.Repeat("<a>", 10) + strings.Repeat("</a>", 10), CondPolicyViolation, Limits{MaxDepth: 5}},
		{"too many attrs", `<a a='' b='' c='' d=''/>`, CondPolicyViolation, Limits{MaxAttrs: 3}},
		{"header encoding", "", CondUnsupportedEncoding, Limits{}},
		{"header namespace", "", CondInvalidNamespace, Limits{}},
		{"header no namespace", "", CondInvalidNamespace, Limits{}},
		{"header doctype", "", CondRestrictedXML, Limits{}},
		{"header pi", "", CondRestrictedXML, Limits{}},
	}
	headers := map[string]string{
		"header encoding":     `<?xml version='1.0' encoding='ISO-8859-1'?>` + shortHeader,
		"header namespace":    `<stream:stream xmlns:stream='urn:wrong'>`,
		"header no namespace": `<stream>`,
		"header doctype":      `<?xml version='1.0'?><!DOCTYPE stream>` + shortHeader,
		"header pi":           `<?foo?>` + shortHeader,
	}
	for _, tt := range tests {
		for rname, wrap := range readers {
			t.Run(tt.name+"/"+rname, func(t *testing.T) {
				t.Parallel()
				in := shortHeader + tt.in + `</stream:stream>`
				if h, ok := headers[tt.name]; ok {
					in = h + `</stream:stream>`
				}
				d := NewDecoder(wrap(strings.NewReader(in)))
				d.SetLimits(tt.lim)
				v, err := d.Next()
				require.Nil(t, v)
				var se *StreamError
				require.ErrorAs(t, err, &se, "Next(%q) = %v", tt.in, err)
				require.Equal(t, tt.cond, se.Condition, "Next(%q) = %v", tt.in, err)
				require.GreaterOrEqual(t, se.Offset, int64(0))
				require.Error(t, se.Err)
				// The error is final.
				_, err2 := d.Next()
				require.Equal(t, err, err2)
			})
		}
	}
}

func TestDecodeGoodXML(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, text string }{
		{"double quotes", `<a x="it's">t</a>`, "t"},
		{"cdata", `<a><![CDATA[<&>]]>x</a>`, "<&>x"},
		{"entities", `<a>&lt;&gt;&amp;&apos;&quot;&#65;&#x42;</a>`, `<>&'"AB`},
		{"crlf", "<a>x\r\ny\rz</a>", "x\ny\nz"},
		{"spaces in tags", "<a  x = 'y' >t</a >", "t"},
		{"non-ascii name", `<ä>t</ä>`, "t"},
		{"gt in attr", `<a x='>'>t</a>`, "t"},
		{"default undeclared", `<a xmlns=''><b>t</b></a>`, ""},
	}
	for _, tt := range tests {
		for rname, wrap := range readers {
			t.Run(tt.name+"/"+rname, func(t *testing.T) {
				t.Parallel()
				out, err := decodeAll(wrap(strings.NewReader(testHeader+tt.in+`</stream:stream>`)), Limits{})
				require.ErrorIs(t, err, io.EOF)
				require.Len(t, out, 1)
				el := out[0].(*Element)
				require.Equal(t, tt.text, el.Text())
			})
		}
	}
}

func TestDecodeStreamError(t *testing.T) {
	t.Parallel()
	in := testHeader + `<stream:error><see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>[2001:db8::1]:5222</see-other-host><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>moved</text></stream:error></stream:stream>`
	d := NewDecoder(strings.NewReader(in))
	v, err := d.Next()
	require.Nil(t, v)
	var se *StreamError
	require.ErrorAs(t, err, &se)
	require.Equal(t, &StreamError{Condition: CondSeeOtherHost, SeeOtherHost: "[2001:db8::1]:5222", Text: "moved", Offset: -1}, se)
	_, err = d.Next()
	require.Equal(t, se, err)
}

func TestDecodeBadStanza(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		typ  string // BadStanzaError.Type
		cond StanzaCondition
	}{
		{`<message from='@bad'><body>x</body></message>`, "", ErrJIDMalformed},
		{`<message type='chat' to='a@b/c' from='@bad'><body>x</body></message>`, "chat", ErrJIDMalformed},
		{`<presence to='/x'/>`, "", ErrJIDMalformed},
		{`<presence type='bogus'/>`, "bogus", ErrBadRequest},
		{`<presence type='available'/>`, "available", ErrBadRequest},
		{`<presence type='probe'><priority>128</priority></presence>`, "probe", ErrBadRequest},
		{`<presence><priority>high</priority></presence>`, "", ErrBadRequest},
		{`<iq type='get' id='1'><a xmlns='urn:a'/><b xmlns='urn:b'/></iq>`, "get", ErrBadRequest},
		{`<iq type='set' id='1'/>`, "set", ErrBadRequest},
		{`<iq type='get'><a xmlns='urn:a'/></iq>`, "get", ErrBadRequest},
		{`<iq type='foo' id='1'><a xmlns='urn:a'/></iq>`, "foo", ErrBadRequest},
		{`<iq id='1'><a xmlns='urn:a'/></iq>`, "", ErrBadRequest},
		{`<iq type='result' id='1'><a xmlns='urn:a'/><b xmlns='urn:b'/></iq>`, "result", ErrBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			d := NewDecoder(strings.NewReader(testHeader + tt.in + `<message id='next'/></stream:stream>`))
			v, err := d.Next()
			require.Nil(t, v)
			var be *BadStanzaError
			require.ErrorAs(t, err, &be)
			require.Equal(t, tt.cond, be.Condition)
			require.Equal(t, tt.typ, be.Type, "Type")
			require.Equal(t, tt.in, be.Raw)
			// The stream goes on.
			v, err = d.Next()
			require.NoError(t, err)
			require.Equal(t, "next", v.(*Message).ID)
		})
	}
}

func TestDecodeRestartKeepsBuffer(t *testing.T) {
	t.Parallel()
	in := testHeader + `<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>` +
		`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s2'>` +
		`<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features></stream:stream>`
	for rname, wrap := range readers {
		t.Run(rname, func(t *testing.T) {
			t.Parallel()
			d := NewDecoder(wrap(strings.NewReader(in)))
			v, err := d.Next()
			require.NoError(t, err)
			require.Equal(t, "success", v.(*Element).Name.Local)
			d.Reset()
			h, err := d.Header()
			require.NoError(t, err)
			require.Equal(t, "s2", h.ID)
			v, err = d.Next()
			require.NoError(t, err)
			el := v.(*Element)
			require.Equal(t, xml.Name{Space: NSStream, Local: "features"}, el.Name)
			_, ok := el.Child("urn:ietf:params:xml:ns:xmpp-bind", "bind")
			require.True(t, ok)
			_, err = d.Next()
			require.ErrorIs(t, err, io.EOF)
		})
	}
}

func TestDecodeBuffered(t *testing.T) {
	t.Parallel()
	d := NewDecoder(strings.NewReader(testHeader + `<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`))
	_, err := d.Next()
	require.NoError(t, err)
	require.Equal(t, 0, d.Buffered())

	// What arrives with the <proceed/> is read with it, and reported.
	d = NewDecoder(&chunks{testHeader, `<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><message/>`})
	_, err = d.Next()
	require.NoError(t, err)
	require.Equal(t, len(`<message/>`), d.Buffered())
}

// chunks is a reader whose reads end where its strings do, as those of a
// network connection may.
type chunks []string

func (c *chunks) Read(p []byte) (int, error) {
	for len(*c) > 0 && (*c)[0] == "" {
		*c = (*c)[1:]
	}
	if len(*c) == 0 {
		return 0, io.EOF
	}
	n := copy(p, (*c)[0])
	(*c)[0] = (*c)[0][n:]
	return n, nil
}

// countingReader yields an endless element and counts what was read.
type countingReader struct {
	prefix string
	fill   byte
	n      int
}

func (r *countingReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && r.n < len(r.prefix) {
		p[n] = r.prefix[r.n]
		n++
		r.n++
	}
	for ; n < len(p); n++ {
		p[n] = r.fill
		r.n++
	}
	return n, nil
}

// TestDecodeIdleHoldsNoBuffer: a Decoder blocked in Next on a quiet
// connection holds no read buffer, after a small stanza or a large one.
func TestDecodeIdleHoldsNoBuffer(t *testing.T) {
	t.Parallel()
	conn, peer := net.Pipe()
	defer conn.Close()
	defer peer.Close()
	// Each Read reports on waiting before it blocks, so that the Decoder
	// can be inspected, without a data race, while it waits.
	waiting := make(chan struct{})
	d := NewDecoder(readerFunc(func(p []byte) (int, error) {
		waiting <- struct{}{}
		return conn.Read(p)
	}))
	out := make(chan any)
	go func() {
		for {
			v, err := d.Next()
			if err != nil {
				close(out)
				return
			}
			out <- v
		}
	}()
	// send writes s and returns what Next returns for it.
	send := func(s string) any {
		t.Helper()
		go peer.Write([]byte(s))
		for {
			select {
			case <-waiting:
			case v := <-out:
				return v
			}
		}
	}
	idle := func(when string) {
		t.Helper()
		<-waiting
		if n := d.tok.BufferSize(); n != 0 {
			t.Errorf("%s: Decoder blocked in Read holds a %d-byte buffer, want none", when, n)
		}
	}

	v := send(testHeader + "<presence from='romeo@example.net/orchard'/>")
	require.IsType(t, &Presence{}, v)
	idle("after a presence")
	body := strings.Repeat("Wherefore art thou Romeo? ", 2000)
	v = send("<message><body>" + body + "</body></message>")
	require.Equal(t, body, v.(*Message).Body)
	idle("after a 50 KB message")
	v = send("<presence/>")
	require.IsType(t, &Presence{}, v)
	idle("after another presence")
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func TestDecodeLimitBoundsReads(t *testing.T) {
	t.Parallel()
	const limit = 10000
	for _, tc := range []struct {
		name, prefix string
		fill         byte
	}{
		{"text", testHeader + "<message><body>", 'a'},
		{"tag", testHeader + "<message", ' '},
		{"attr", testHeader + "<message to='", 'a'},
		{"whitespace keepalives are fine", testHeader, ' '},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &countingReader{prefix: tc.prefix, fill: tc.fill}
			d := NewDecoder(r)
			d.SetLimits(Limits{MaxStanzaSize: limit})
			if tc.fill == ' ' && !strings.HasSuffix(tc.prefix, "<message") {
				// Endless whitespace never errs; check the buffer stays small
				// by reading in a goroutine-free way: stop after a while.
				lr := &io.LimitedReader{R: r, N: 1 << 20}
				d = NewDecoder(lr)
				_, err := d.Next()
				require.ErrorIs(t, err, io.ErrUnexpectedEOF)
				require.LessOrEqual(t, d.Buffered(), 64<<10)
				return
			}
			_, err := d.Next()
			var se *StreamError
			require.ErrorAs(t, err, &se)
			require.Equal(t, CondPolicyViolation, se.Condition)
			require.LessOrEqual(t, r.n, len(tc.prefix)+limit+2048)
		})
	}
}

func TestDecodeRawSelfContained(t *testing.T) {
	t.Parallel()
	in := testHeader + `<message xmlns:x='urn:x' xmlns:y='urn:y'><x:foo y:a='1'><x:bar/><baz xmlns='urn:z'/></x:foo><qux><quux/></qux><x:e xmlns:x='urn:other'/></message></stream:stream>`
	out, err := decodeAll(strings.NewReader(in), Limits{})
	require.ErrorIs(t, err, io.EOF)
	m := out[0].(*Message)
	want := []Element{
		{Name: xml.Name{Space: "urn:x", Local: "foo"}, Raw: `<x:foo xmlns:x='urn:x' xmlns:y='urn:y' y:a='1'><x:bar/><baz xmlns='urn:z'/></x:foo>`, wellFormed: true},
		{Name: xml.Name{Space: NSClient, Local: "qux"}, Raw: `<qux xmlns='jabber:client'><quux/></qux>`, wellFormed: true},
		{Name: xml.Name{Space: "urn:other", Local: "e"}, Raw: `<x:e xmlns:x='urn:other'/>`, wellFormed: true},
	}
	require.Equal(t, want, m.Extensions)
	for _, e := range m.Extensions {
		p, err := ParseElement(e.Raw)
		require.NoError(t, err)
		require.Equal(t, e, p)
		var any struct{ XMLName xml.Name }
		require.NoError(t, xml.Unmarshal([]byte(e.Raw), &any))
		require.Equal(t, e.Name, any.XMLName)
	}
}

// FuzzDecoder checks that no input makes the Decoder panic or hang, that
// reading in one-byte pieces gives the same result as reading at once, and
// that every element it returns stands alone.
func FuzzDecoder(f *testing.F) {
	f.Add([]byte(testHeader + `<message><body>hi</body></message></stream:stream>`))
	f.Fuzz(func(t *testing.T, in []byte) {
		lim := Limits{MaxStanzaSize: 4096, MaxDepth: 16, MaxAttrs: 16}
		whole, err1 := decodeAll(bytes.NewReader(in), lim)
		split, err2 := decodeAll(iotest.OneByteReader(bytes.NewReader(in)), lim)
		if fmt.Sprint(err1) != fmt.Sprint(err2) {
			t.Fatalf("errors differ: %v / %v", err1, err2)
		}
		if len(whole) != len(split) {
			t.Fatalf("results differ: %d / %d", len(whole), len(split))
		}
		var se *StreamError
		if errors.As(err1, &se) && se.Offset > int64(len(in)) {
			t.Fatalf("offset %d beyond input of %d bytes", se.Offset, len(in))
		}
		for i, v := range whole {
			if !reflect.DeepEqual(v, split[i]) {
				t.Fatalf("result %d differs:\n%#v\n%#v", i, v, split[i])
			}
			var els []Element
			switch v := v.(type) {
			case *Element:
				els = append(els, *v)
			case *Message:
				els = append(els, v.Extensions...)
			case *Presence:
				els = append(els, v.Extensions...)
			case *IQ:
				if !v.Payload.IsZero() {
					els = append(els, v.Payload)
				}
			}
			for _, e := range els {
				p, err := ParseElement(e.Raw)
				if err != nil {
					t.Fatalf("ParseElement(%q): %v", e.Raw, err)
				}
				if p.Name != e.Name {
					t.Fatalf("ParseElement(%q).Name = %v, want %v", e.Raw, p.Name, e.Name)
				}
				for c := range e.Children() {
					if _, err := ParseElement(c.Raw); err != nil {
						t.Fatalf("child ParseElement(%q): %v", c.Raw, err)
					}
				}
				_ = e.Text()
			}
		}
	})
}

// The decode benchmarks read one stanza over and over from an endless
// stream; they measure the tokenizer and the stanza mapping, not I/O:
//
//	go test -run XXX -bench Decode -benchmem -cpu 1 .
//
// The corpus benchmark against encoding/xml lives with the corpus generator.

// repeatReader yields head once, then body over and over.
type repeatReader struct {
	head, body string
	off        int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	if r.head != "" {
		n = copy(p, r.head)
		r.head = r.head[n:]
	}
	for n < len(p) {
		c := copy(p[n:], r.body[r.off:])
		n += c
		r.off = (r.off + c) % len(r.body)
	}
	return n, nil
}

const (
	benchMessage = `<message from='juliet@capulet.example/balcony' to='romeo@montague.example/orchard' type='chat' id='e2e5d6c1-9a7b-4f3e-8d1c-2b6a0f4e7c91' xml:lang='en'>` +
		`<body>Wherefore art thou, Romeo? Deny thy father and refuse thy name.</body>` +
		`<active xmlns='http://jabber.org/protocol/chatstates'/>` +
		`<request xmlns='urn:xmpp:receipts'/>` +
		`<delay xmlns='urn:xmpp:delay' from='capulet.example' stamp='2026-11-21T14:21:35Z'/>` +
		`<stanza-id xmlns='urn:xmpp:sid:0' by='romeo@montague.example' id='5f3d9c2a-7e41-4b8a-a1d6-0c9e8f7b6a54'/>` +
		`</message>` + "\n"
	benchPresence = `<presence from='juliet@capulet.example/balcony' to='romeo@montague.example' id='p1'>` +
		`<show>away</show><status>Sleeping</status><priority>5</priority>` +
		`<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://gajim.org' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/>` +
		`</presence>` + "\n"
)

func benchRoster() string {
	var b strings.Builder
	b.WriteString(`<iq to='romeo@montague.example/orchard' type='result' id='roster-1'><query xmlns='jabber:iq:roster' ver='ver42'>`)
	for i := range 50 {
		fmt.Fprintf(&b, `<item jid='friend%d@example.org' name='Friend &amp; Co %d' subscription='both'><group>Friends</group></item>`, i, i)
	}
	b.WriteString("</query></iq>\n")
	return b.String()
}

func benchDecode(b *testing.B, stanza string) {
	d := NewDecoder(&repeatReader{head: testHeader, body: stanza})
	if _, err := d.Next(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(stanza)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := d.Next(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeMessage(b *testing.B)  { benchDecode(b, benchMessage) }
func BenchmarkDecodePresence(b *testing.B) { benchDecode(b, benchPresence) }
func BenchmarkDecodeMessageEscaped(b *testing.B) {
	benchDecode(b, strings.Replace(benchMessage, "Romeo?", "Romeo &amp; &lt;Juliet&gt; &#x1F600;?", 1))
}
func BenchmarkDecodeRoster(b *testing.B) { benchDecode(b, benchRoster()) }

func ExampleDecoder() {
	stream := `<?xml version='1.0'?>` +
		`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='example.com' version='1.0'>` +
		`<message from='juliet@example.com/balcony' type='chat'><body>Art thou not Romeo?</body></message>` +
		`<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>` +
		`</stream:stream>`
	d := NewDecoder(strings.NewReader(stream))
	for {
		v, err := d.Next()
		if err != nil {
			fmt.Println(err)
			return
		}
		switch v := v.(type) {
		case *Message:
			fmt.Printf("message from %s: %s\n", v.From, v.Body)
		case *Element:
			fmt.Printf("element %s\n", v.Raw)
		}
	}
	// Output:
	// message from juliet@example.com/balcony: Art thou not Romeo?
	// element <stream:features xmlns:stream='http://etherx.jabber.org/streams'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>
	// EOF
}
