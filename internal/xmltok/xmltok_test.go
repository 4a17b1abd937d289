package xmltok

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

const header = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`

// dump tokenizes a whole stream into a comparable text form.
func dump(r io.Reader, lim Limits) (string, error) {
	t := New(r)
	t.SetLimits(lim)
	var b strings.Builder
	h, err := t.Header()
	if err != nil {
		return "", err
	}
	dumpElement(&b, h)
	for {
		el, err := t.Next()
		if err != nil {
			return b.String(), err
		}
		dumpElement(&b, el)
	}
}

func dumpElement(b *strings.Builder, el Element) {
	fmt.Fprintf(b, "@%d %q\n", el.Offset, el.Data)
	for _, t := range el.Toks {
		fmt.Fprintf(b, "  %d %d %q %q %q %q %d %d\n", t.Kind, t.Flags, el.Data[t.Name.Start:t.Name.End], el.Data[t.Local:t.Name.End],
			el.Data[t.Value.Start:t.Value.End], el.URIs[t.NS], t.Decl, t.Match)
	}
}

func TestTokenizerSplitReads(t *testing.T) {
	t.Parallel()
	in := header + "\n <message to='a' xmlns:x='urn:x'><x:y x:z=\"1\">a&amp;b<![CDATA[<c>]]></x:y><b/></message>\t<presence/></stream:stream>"
	want, err := dump(strings.NewReader(in), Limits{})
	require.ErrorIs(t, err, io.EOF)
	for name, wrap := range map[string]func(io.Reader) io.Reader{
		"onebyte": iotest.OneByteReader,
		"half":    iotest.HalfReader,
		"dataerr": iotest.DataErrReader,
	} {
		got, err := dump(wrap(strings.NewReader(in)), Limits{})
		require.ErrorIs(t, err, io.EOF, name)
		require.Equal(t, want, got, name)
	}
}

func TestTokenizerTokens(t *testing.T) {
	t.Parallel()
	in := header + `<a xmlns:x='urn:x' x:k='v' k="w"><x:b/>t&lt;<![CDATA[c]]></a></stream:stream>`
	tk := New(strings.NewReader(in))
	_, err := tk.Header()
	require.NoError(t, err)
	el, err := tk.Next()
	require.NoError(t, err)
	s := func(sp Span) string { return string(el.Data[sp.Start:sp.End]) }
	toks := el.Toks
	require.Len(t, toks, 9)
	require.Equal(t, Start, toks[0].Kind)
	require.Equal(t, "jabber:client", el.URIs[toks[0].NS])
	require.Equal(t, int32(DeclOuter), toks[0].Decl)
	require.Equal(t, int32(8), toks[0].Match)
	require.Equal(t, FlagXmlns, toks[1].Flags)
	require.Equal(t, "urn:x", el.URIs[toks[2].NS])
	require.Equal(t, "v", s(toks[2].Value))
	require.Equal(t, "", el.URIs[toks[3].NS])
	require.Equal(t, "urn:x", el.URIs[toks[4].NS])
	require.Equal(t, int32(0), toks[4].Decl)
	require.Equal(t, End, toks[5].Kind)
	require.Equal(t, Text, toks[6].Kind)
	require.Equal(t, FlagEscaped, toks[6].Flags)
	require.Equal(t, "t<", string(AppendValue(nil, el.Data[toks[6].Value.Start:toks[6].Value.End], toks[6].Flags)))
	require.Equal(t, FlagCDATA, toks[7].Flags)
	require.Equal(t, "</a>", s(toks[8].Value))
	_, err = tk.Next()
	require.ErrorIs(t, err, io.EOF)
}

func TestTokenizerErrorOffset(t *testing.T) {
	t.Parallel()
	in := header + `<a><b></a>`
	tk := New(strings.NewReader(in))
	_, err := tk.Header()
	require.NoError(t, err)
	_, err = tk.Next()
	var e *Error
	require.True(t, errors.As(err, &e))
	require.Equal(t, NotWellFormed, e.Condition)
	require.Equal(t, int64(len(header)+6), e.Offset)
}

func TestParse(t *testing.T) {
	t.Parallel()
	var p Parser
	toks, err := p.Parse([]byte("  <a xmlns='urn:a'><b/></a>\n"))
	require.NoError(t, err)
	require.Equal(t, "urn:a", p.URIs()[toks[2].NS])
	require.Equal(t, int32(2), toks[0].Value.Start)
	for _, bad := range []string{"", "<a>", "<a/><b/>", "text", "<a/>x", "<x:a/>"} {
		_, err := p.Parse([]byte(bad))
		require.Error(t, err, "Parse(%q)", bad)
	}
}

func TestAppendValue(t *testing.T) {
	t.Parallel()
	require.Equal(t, "a b  c", string(AppendValue(nil, []byte("a\tb\r\n\nc"), FlagEscaped|FlagAttrValue)))
	require.Equal(t, "a\n\nb", string(AppendValue(nil, []byte("a\r\n\rb"), FlagEscaped)))
	require.Equal(t, "&#10;", string(AppendValue(nil, []byte("&#10;"), FlagCDATA)))
	require.Equal(t, "\n", string(AppendValue(nil, []byte("&#10;"), FlagEscaped|FlagAttrValue)))
}

// FuzzTokenizer checks that the tokenizer never panics and gives the same
// tokens whether the input arrives at once or a byte at a time.
func FuzzTokenizer(f *testing.F) {
	f.Add([]byte(header + `<a b='c'>d<e/></a></stream:stream>`))
	f.Fuzz(func(t *testing.T, in []byte) {
		lim := Limits{MaxSize: 2048, MaxDepth: 8, MaxAttrs: 8}
		want, err1 := dump(bytes.NewReader(in), lim)
		got, err2 := dump(iotest.OneByteReader(bytes.NewReader(in)), lim)
		if err := checkOuterNS(bytes.NewReader(in), lim); err != nil {
			t.Fatal(err)
		}
		if want != got {
			t.Fatalf("tokens differ:\n%s\n%s", want, got)
		}
		if fmt.Sprint(err1) != fmt.Sprint(err2) {
			t.Fatalf("errors differ: %v / %v", err1, err2)
		}
	})
}

// checkOuterNS checks FlagOuterNS on every Start of every element of a
// stream against its definition.
func checkOuterNS(r io.Reader, lim Limits) error {
	t := New(r)
	t.SetLimits(lim)
	if _, err := t.Header(); err != nil {
		return nil
	}
	for {
		el, err := t.Next()
		if err != nil {
			return nil
		}
		for si, st := range el.Toks {
			if st.Kind != Start {
				continue
			}
			want := false
			for _, tk := range el.Toks[si:st.Match] {
				if tk.Kind != Text && tk.Decl != DeclNone && int(tk.Decl) < si {
					want = true
				}
			}
			if got := st.Flags&FlagOuterNS != 0; got != want {
				return fmt.Errorf("element %q, Start %d: FlagOuterNS = %v, want %v", el.Data, si, got, want)
			}
		}
	}
}

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

// BenchmarkTokenizer measures the tokenizer alone on a chat message:
//
//	go test -run XXX -bench Tokenizer -benchmem -cpu 1 ./internal/xmltok/
func BenchmarkTokenizer(b *testing.B) {
	const msg = `<message from='juliet@capulet.example/balcony' to='romeo@montague.example/orchard' type='chat' id='e2e5d6c1-9a7b-4f3e-8d1c-2b6a0f4e7c91' xml:lang='en'>` +
		`<body>Wherefore art thou, Romeo? Deny thy father and refuse thy name.</body>` +
		`<active xmlns='http://jabber.org/protocol/chatstates'/>` +
		`<request xmlns='urn:xmpp:receipts'/>` +
		`<delay xmlns='urn:xmpp:delay' from='capulet.example' stamp='2026-11-21T14:21:35Z'/>` +
		`<stanza-id xmlns='urn:xmpp:sid:0' by='romeo@montague.example' id='5f3d9c2a-7e41-4b8a-a1d6-0c9e8f7b6a54'/>` +
		`</message>` + "\n"
	t := New(&repeatReader{head: header, body: msg})
	if _, err := t.Header(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := t.Next(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSkipPlainNeverSkipsSpecial(t *testing.T) {
	t.Parallel()
	for c := range 256 {
		for pos := range 8 {
			b := []byte("aaaaaaaaaaaaaaaa")
			b[pos] = byte(c)
			if attrClass[c] != 0 && skipPlainAttr(b, 0) != 0 {
				t.Errorf("skipPlainAttr skips %#x at %d", c, pos)
			}
			if charClass[c] != clPlain && skipPlainText(b, 0) != 0 {
				t.Errorf("skipPlainText skips %#x at %d", c, pos)
			}
		}
	}
	require.Equal(t, 16, skipPlainAttr([]byte("aaaaaaaaaaaaaaaa"), 0))
	require.Equal(t, 16, skipPlainText([]byte("aaaaaaaa aaaaaaa"), 0))
}

func TestOuterNS(t *testing.T) {
	t.Parallel()
	in := header + `<message xmlns:x='urn:x'><x:foo><bar xmlns='urn:b'><x:baz/></bar></x:foo>` +
		`<q xmlns='urn:q' x:a='1'/><r xmlns='urn:r'><s/></r><u/></message></stream:stream>`
	require.NoError(t, checkOuterNS(strings.NewReader(in), Limits{}))
	tok := New(strings.NewReader(in))
	_, err := tok.Header()
	require.NoError(t, err)
	el, err := tok.Next()
	require.NoError(t, err)
	outer := map[string]bool{}
	for _, tk := range el.Toks {
		if tk.Kind == Start {
			outer[string(el.Data[tk.Name.Start:tk.Name.End])] = tk.Flags&FlagOuterNS != 0
		}
	}
	require.Equal(t, map[string]bool{
		"message": true, // jabber:client, from the stream header
		"x:foo":   true, "bar": true, "x:baz": true, "q": true,
		"r": false, "s": true, "u": true, // s uses the declaration on r
	}, outer)
}
