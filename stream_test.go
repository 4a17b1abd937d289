package xmpp

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func encodeString(t *testing.T, s Stanza) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, NewEncoder(&buf).Encode(s))
	return buf.String()
}

func TestEncodeExact(t *testing.T) {
	t.Parallel()
	alice := MustParseJID("alice@example.com/home")
	bob := MustParseJID("bob@example.com")
	tests := []struct {
		name string
		in   Stanza
		want string
	}{
		{"empty presence", &Presence{}, `<presence/>`},
		{"message", &Message{Header: Header{ID: "m1", From: alice, To: bob}, Type: MessageChat, Body: "hi"},
			`<message id='m1' type='chat' from='alice@example.com/home' to='bob@example.com'><body>hi</body></message>`},
		{"message variants", &Message{
			Header:  Header{Lang: "en"},
			Subject: "s", Subjects: []Text{{Lang: "de", Value: "S"}},
			Body: "b", Bodies: []Text{{Lang: "fr", Value: "B"}},
			Thread: "t1", ThreadParent: "t0",
		}, `<message xml:lang='en'><subject>s</subject><subject xml:lang='de'>S</subject><body>b</body><body xml:lang='fr'>B</body><thread parent='t0'>t1</thread></message>`},
		{"presence full", &Presence{Show: ShowAway, Status: "out", Priority: -5, HasPriority: true},
			`<presence><show>away</show><status>out</status><priority>-5</priority></presence>`},
		{"presence zero priority", &Presence{HasPriority: true}, `<presence><priority>0</priority></presence>`},
		{"iq with payload", &IQ{Header: Header{ID: "p", To: bob}, Type: IQGet,
			Payload: Element{Name: xml.Name{Space: "urn:xmpp:ping", Local: "ping"}, Raw: `<ping xmlns='urn:xmpp:ping'/>`}},
			`<iq id='p' type='get' to='bob@example.com'><ping xmlns='urn:xmpp:ping'/></iq>`},
		{"iq error", &IQ{Header: Header{ID: "p"}, Type: IQError,
			Error: &StanzaError{Type: ErrorTypeCancel, Condition: ErrServiceUnavailable, Text: "no <way>"}},
			`<iq id='p' type='error'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>no &lt;way&gt;</text></error></iq>`},
		{"extensions in order", &Message{Extensions: []Element{
			{Raw: `<active xmlns='http://jabber.org/protocol/chatstates'/>`},
			{Raw: `<request xmlns='urn:xmpp:receipts'/>`},
		}}, `<message><active xmlns='http://jabber.org/protocol/chatstates'/><request xmlns='urn:xmpp:receipts'/></message>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := encodeString(t, tt.in); got != tt.want {
				t.Errorf("Encode(%s) = %s, want %s", tt.name, got, tt.want)
			}
		})
	}
}

// TestEncodeNoInjection checks that no string field can add markup: the
// encoded stanza parses with encoding/xml to exactly one element whose fields
// hold the original strings.
func TestEncodeNoInjection(t *testing.T) {
	t.Parallel()
	const nasty = `'"<>&</body><evil/>]]>&amp;` + "\t\r\n"
	m := &Message{
		Header: Header{ID: nasty, Lang: nasty}, Type: MessageChat,
		Subject:  nasty,
		Body:     nasty,
		Bodies:   []Text{{Lang: nasty, Value: nasty}},
		Thread:   nasty,
		Subjects: nil,
	}
	out := encodeString(t, m)
	var got struct {
		XMLName xml.Name  `xml:"message"`
		ID      string    `xml:"id,attr"`
		Type    string    `xml:"type,attr"`
		Subject string    `xml:"subject"`
		Bodies  []string  `xml:"body"`
		Thread  string    `xml:"thread"`
		Evil    *struct{} `xml:"evil"`
	}
	require.NoError(t, xml.Unmarshal([]byte(out), &got), out)
	require.Equal(t, nasty, got.ID)
	require.Equal(t, "chat", got.Type)
	require.Equal(t, nasty, got.Subject)
	require.Equal(t, []string{nasty, nasty}, got.Bodies)
	require.Equal(t, nasty, got.Thread)
	require.Nil(t, got.Evil)
	require.NotContains(t, out, "<evil")
}

func TestEncodeRefusesInvalidText(t *testing.T) {
	t.Parallel()
	bad := map[string]string{
		"NUL":          "a\x00b",
		"C0 control":   "a\x01b",
		"form feed":    "a\x0cb",
		"invalid UTF8": "a\xffb",
		"truncated":    "a\xe2\x82",
		"surrogate":    "a\xed\xa0\x80b",
		"U+FFFE":       "a\uFFFEb",
	}
	for name, s := range bad {
		for field, st := range map[string]Stanza{
			"body":   &Message{Body: s},
			"id":     &Message{Header: Header{ID: s}},
			"status": &Presence{Status: s},
			"text":   &IQ{Type: IQError, Error: &StanzaError{Condition: ErrBadRequest, Text: s}},
		} {
			var buf bytes.Buffer
			err := NewEncoder(&buf).Encode(st)
			if !errors.Is(err, ErrInvalidText) {
				t.Errorf("Encode(%s with %s) error = %v, want ErrInvalidText", field, name, err)
			}
			if buf.Len() != 0 {
				t.Errorf("Encode(%s with %s) wrote %q after failing, want nothing", field, name, buf.String())
			}
		}
	}
	err := NewEncoder(io.Discard).Encode(&IQ{Type: IQError, Error: &StanzaError{Condition: "x/><evil"}})
	if !errors.Is(err, ErrInvalidText) {
		t.Errorf("Encode(condition with markup) error = %v, want ErrInvalidText", err)
	}
}

func TestEncodeAllowsUnicode(t *testing.T) {
	t.Parallel()
	body := "emoji 😀, CJK 漢字, tab\tnewline\n"
	out := encodeString(t, &Message{Body: body})
	var got struct {
		Body string `xml:"body"`
	}
	require.NoError(t, xml.Unmarshal([]byte(out), &got))
	require.Equal(t, body, got.Body)
}

func TestEncoderStreamFraming(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	require.NoError(t, e.WriteHeader(StreamHeader{To: MustParseJID("example.com"), Lang: "en"}))
	require.NoError(t, e.WriteKeepalive())
	require.NoError(t, e.EncodeElement(Element{Raw: `<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`}))
	require.NoError(t, e.WriteEnd())
	want := `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0' xml:lang='en'> <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>`
	if buf.String() != want {
		t.Errorf("stream = %s, want %s", buf.String(), want)
	}
	if err := e.EncodeElement(Element{}); err == nil {
		t.Error("EncodeElement(empty) = nil, want an error")
	}
	if err := e.Encode(nil); err == nil {
		t.Error("Encode(nil) = nil, want an error")
	}
}

// countingWriter counts Write calls.
type countingWriter struct{ writes int }

func (w *countingWriter) Write(p []byte) (int, error) { w.writes++; return len(p), nil }

func TestEncodeOneWritePerStanza(t *testing.T) {
	t.Parallel()
	var w countingWriter
	e := NewEncoder(&w)
	m := &Message{Body: strings.Repeat("x", 10000), Extensions: []Element{{Raw: "<a xmlns='b'/>"}}}
	require.NoError(t, e.Encode(m))
	require.NoError(t, e.Encode(&Presence{Status: "s"}))
	if w.writes != 2 {
		t.Errorf("writes = %d, want 2", w.writes)
	}
}

func BenchmarkEncodeMessage(b *testing.B) {
	active, err := ParseElement(`<active xmlns='http://jabber.org/protocol/chatstates'/>`)
	if err != nil {
		b.Fatal(err)
	}
	request, err := ParseElement(`<request xmlns='urn:xmpp:receipts'/>`)
	if err != nil {
		b.Fatal(err)
	}
	m := &Message{
		Header: Header{ID: "a1b2c3", From: MustParseJID("alice@example.com/phone"), To: MustParseJID("bob@example.com")}, Type: MessageChat,
		Body:       "Hello Bob, are we still on for lunch tomorrow? I'll bring the <notes> & slides.",
		Extensions: []Element{active, request},
	}
	e := NewEncoder(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		if err := e.Encode(m); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEncodeChecksHandBuiltElements: an Element written as a struct literal
// is checked before it is sent, so Raw cannot smuggle in markup.
func TestEncodeChecksHandBuiltElements(t *testing.T) {
	t.Parallel()
	bad := []string{
		`<a xmlns='x'/><b xmlns='x'/>`,      // two elements
		`<a xmlns='x'>`,                     // unclosed
		`<a xmlns='x'/></message><evil/>`,   // closes the stanza
		`text`,                              // not an element
		`<a xmlns='x'><!-- comment --></a>`, // restricted XML
		`<!DOCTYPE a><a xmlns='x'/>`,        // DTD
		`<a xmlns='x'>&custom;</a>`,         // undeclared entity
		`<p:a/>`,                            // undeclared prefix
	}
	for _, raw := range bad {
		for name, st := range map[string]Stanza{
			"extension": &Message{Extensions: []Element{{Raw: raw}}},
			"payload":   &IQ{Type: IQGet, Payload: Element{Raw: raw}},
			"error ext": &IQ{Type: IQError, Error: &StanzaError{Condition: ErrBadRequest, Extensions: []Element{{Raw: raw}}}},
		} {
			var buf bytes.Buffer
			if err := NewEncoder(&buf).Encode(st); err == nil || buf.Len() != 0 {
				t.Errorf("Encode(%s %q) = %v, wrote %q; want an error and nothing written", name, raw, err, buf.String())
			}
		}
		if err := NewEncoder(io.Discard).EncodeElement(Element{Raw: raw}); err == nil {
			t.Errorf("EncodeElement(%q) = nil, want an error", raw)
		}
	}
	// A good hand-built element is accepted as it is.
	out := encodeString(t, &IQ{Type: IQGet, Payload: Element{Raw: `<ping xmlns='urn:xmpp:ping'/>`}})
	require.Equal(t, `<iq type='get'><ping xmlns='urn:xmpp:ping'/></iq>`, out)
}
