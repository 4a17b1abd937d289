package xmpp

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
)

const roundTripHeader = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='example.com' version='1.0'>`

// encodeStream encodes stanzas into one stream, header and end tag included.
func encodeStream(t testing.TB, stanzas ...Stanza) []byte {
	t.Helper()
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	require.NoError(t, e.WriteHeader(StreamHeader{From: MustParseJID("example.com")}))
	for _, s := range stanzas {
		require.NoError(t, e.Encode(s))
	}
	require.NoError(t, e.WriteEnd())
	return buf.Bytes()
}

// decodeStanzas decodes every top-level value of a stream; it stops at the
// first error that is not a *BadStanzaError, returning it (nil at io.EOF).
func decodeStanzas(r io.Reader, lim Limits) ([]any, error) {
	d := NewDecoder(r)
	d.SetLimits(lim)
	var out []any
	for {
		v, err := d.Next()
		var bad *BadStanzaError
		switch {
		case errors.Is(err, io.EOF):
			return out, nil
		case errors.As(err, &bad):
			continue
		case err != nil:
			return out, err
		}
		out = append(out, v)
	}
}

func mustElement(t *testing.T, raw string) Element {
	t.Helper()
	e, err := ParseElement(raw)
	require.NoError(t, err)
	return e
}

func TestRoundTripEncodeDecode(t *testing.T) {
	t.Parallel()
	alice := MustParseJID("alice@example.com/balcony")
	bob := MustParseJID("bob@example.net")
	nasty := `'"<>&]]> emoji 😀 CJK 漢字` + "\n\ttabbed\r\n"
	stanzas := []Stanza{
		&Message{
			Header: Header{ID: "m1", From: alice, To: bob, Lang: "en"}, Type: MessageChat,
			Subject:  "sub " + nasty,
			Subjects: []Text{{Lang: "de", Value: "Betreff"}},
			Body:     nasty,
			Bodies:   []Text{{Lang: "fr", Value: "bonjour"}, {Lang: "ja", Value: "こんにちは"}},
			Thread:   "th-1", ThreadParent: "th-0",
			Extensions: []Element{
				mustElement(t, `<active xmlns='http://jabber.org/protocol/chatstates'/>`),
				mustElement(t, `<delay xmlns='urn:xmpp:delay' from='example.com' stamp='2026-11-21T10:00:00Z'>Offline &amp; stored</delay>`),
				mustElement(t, `<x:foo xmlns:x='urn:example:x' x:a='1'><x:bar>t</x:bar></x:foo>`),
			},
		},
		&Message{Header: Header{ID: "e1", From: bob}, Type: MessageError,
			Error: &StanzaError{Type: ErrorTypeCancel, Condition: ErrItemNotFound, Text: "gone <now>", Lang: "en", By: MustParseJID("example.net"),
				Extensions: []Element{mustElement(t, `<unknown-thing xmlns='urn:example:app'/>`)}}},
		&Presence{Header: Header{From: alice}, Show: ShowDND, Status: nasty, Statuses: []Text{{Lang: "de", Value: "beschäftigt"}},
			Priority: -128, HasPriority: true,
			Extensions: []Element{mustElement(t, `<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/>`)}},
		&Presence{Header: Header{From: alice}, Type: PresenceUnavailable},
		&Presence{Priority: 127, HasPriority: true},
		&IQ{Header: Header{ID: "q1", To: MustParseJID("example.com")}, Type: IQGet, Payload: mustElement(t, `<ping xmlns='urn:xmpp:ping'/>`)},
		&IQ{Header: Header{ID: "q2", From: MustParseJID("example.com")}, Type: IQResult},
		&IQ{Header: Header{ID: "q3"}, Type: IQError, Payload: mustElement(t, `<query xmlns='jabber:iq:version'/>`),
			Error: &StanzaError{Type: ErrorTypeCancel, Condition: ErrServiceUnavailable}},
	}
	in := encodeStream(t, stanzas...)
	got, err := decodeStanzas(bytes.NewReader(in), Limits{})
	require.NoError(t, err, "%s", in)
	require.Len(t, got, len(stanzas))
	for i, s := range stanzas {
		require.Equal(t, s, got[i], "stanza %d of %s", i, in)
	}
}

// TestRoundTripDecodeEncode decodes input written by hand (other quoting,
// prefixes, inherited namespaces) and checks that encoding what was decoded
// gives XML that decodes to the same values and that encoding/xml reads as
// the same elements.
func TestRoundTripDecodeEncode(t *testing.T) {
	t.Parallel()
	in := roundTripHeader +
		`<message type="chat" id="a" to='bob@example.net'><body>a &amp; b &#x1F600; &#60;</body><thread>t</thread>` +
		`<x xmlns="jabber:x:oob"><url>http://example.com/?a=1&amp;b=2</url></x><![CDATA[]]></message>` + "\n  \n" +
		`<presence from='alice@example.com/r'><show>away</show><status xml:lang='de'>weg</status><priority>5</priority>` +
		`<c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="n" ver="v"/></presence>` +
		`<iq type='result' id='r1'><query xmlns='jabber:iq:roster' ver='v1'><item jid='a@b' subscription='both'><group>G&amp;H</group></item></query></iq>` +
		`<message><foo>inherits jabber:client</foo><stream:bar/></message>` +
		`</stream:stream>`
	first, err := decodeStanzas(bytes.NewReader([]byte(in)), Limits{})
	require.NoError(t, err)
	require.Len(t, first, 4)
	var stanzas []Stanza
	for _, v := range first {
		stanzas = append(stanzas, v.(Stanza))
	}
	out := encodeStream(t, stanzas...)
	second, err := decodeStanzas(bytes.NewReader(out), Limits{})
	require.NoError(t, err, "%s", out)
	require.Equal(t, first, second, "re-encoded as %s", out)

	m := first[0].(*Message)
	require.Equal(t, "a & b 😀 <", m.Body)
	require.Equal(t, "jabber:x:oob", m.Extensions[0].Name.Space)
	var oob struct {
		URL string `xml:"jabber:x:oob url"`
	}
	require.NoError(t, m.Extensions[0].Decode(&oob))
	require.Equal(t, "http://example.com/?a=1&b=2", oob.URL)

	// An unknown child in the stanza's own namespace keeps it.
	last := first[3].(*Message)
	require.Len(t, last.Extensions, 2)
	require.Equal(t, xml.Name{Space: NSClient, Local: "foo"}, last.Extensions[0].Name)
	require.Equal(t, xml.Name{Space: NSStream, Local: "bar"}, last.Extensions[1].Name)
}

// FuzzStanzaRoundTrip checks the codec's invariant: whatever the Decoder
// accepts, the Encoder writes back as XML that decodes to the same values.
func FuzzStanzaRoundTrip(f *testing.F) {
	for _, s := range []string{
		`<message type='chat' id='1' from='a@b/c'><body>hi &amp; bye</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>`,
		`<presence><show>xa</show><status>z</status><priority>-1</priority></presence>`,
		`<iq type='get' id='x'><query xmlns='jabber:iq:roster'/></iq>`,
		`<iq type='error' id='x'><error type='cancel' by='b'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>t</text></error></iq>`,
		`<message xml:lang='en'><body xml:lang='de'>x</body><body>y</body><subject/><thread parent='p'>t</thread></message>`,
		`<message><a:x xmlns:a='urn:a'><a:y a:z='1'/></a:x><foo/></message>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in := append([]byte(roundTripHeader), body...)
		in = append(in, "</stream:stream>"...)
		lim := Limits{MaxStanzaSize: 8192, MaxDepth: 16, MaxAttrs: 16}
		first, _ := decodeStanzas(bytes.NewReader(in), lim)
		var stanzas []Stanza
		for _, v := range first {
			if s, ok := v.(Stanza); ok {
				stanzas = append(stanzas, s)
			}
		}
		var buf bytes.Buffer
		e := NewEncoder(&buf)
		if err := e.WriteHeader(StreamHeader{}); err != nil {
			t.Fatal(err)
		}
		for _, s := range stanzas {
			if err := e.Encode(s); err != nil {
				t.Fatalf("Encode(%#v) = %v; a decoded stanza must encode", s, err)
			}
		}
		if err := e.WriteEnd(); err != nil {
			t.Fatal(err)
		}
		second, err := decodeStanzas(bytes.NewReader(buf.Bytes()), Limits{MaxStanzaSize: 1 << 20, MaxDepth: 32, MaxAttrs: 64})
		if err != nil {
			t.Fatalf("decoding the re-encoded stream: %v\n%s", err, buf.Bytes())
		}
		if len(second) != len(stanzas) {
			t.Fatalf("re-decoded %d stanzas, want %d\n%s", len(second), len(stanzas), buf.Bytes())
		}
		for i, s := range stanzas {
			normaliseForEncoding(s)
			if !reflect.DeepEqual(any(s), second[i]) {
				t.Fatalf("stanza %d changed:\n%#v\n%#v\n%s", i, s, second[i], buf.Bytes())
			}
		}
	})
}

// normaliseForEncoding applies the one documented default of the Encoder
// that changes a decoded value: a stanza error without a defined condition
// is sent as undefined-condition (RFC 6120 §8.3.3.21).
func normaliseForEncoding(s Stanza) {
	var se *StanzaError
	switch s := s.(type) {
	case *Message:
		se = s.Error
	case *Presence:
		se = s.Error
	case *IQ:
		se = s.Error
	}
	if se != nil && se.Condition == "" {
		se.Condition = ErrUndefinedCondition
	}
}
