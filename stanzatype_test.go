package xmpp

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStanzaTypeStrings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   fmt.Stringer
		want string
	}{
		{MessageNormal, "normal"},
		{MessageChat, "chat"},
		{MessageGroupchat, "groupchat"},
		{MessageHeadline, "headline"},
		{MessageError, "error"},
		{MessageType(9), "MessageType(9)"},
		{PresenceAvailable, "available"},
		{PresenceUnavailable, "unavailable"},
		{PresenceSubscribe, "subscribe"},
		{PresenceSubscribed, "subscribed"},
		{PresenceUnsubscribe, "unsubscribe"},
		{PresenceUnsubscribed, "unsubscribed"},
		{PresenceProbe, "probe"},
		{PresenceError, "error"},
		{PresenceType(200), "PresenceType(200)"},
		{IQType(0), ""},
		{IQGet, "get"},
		{IQSet, "set"},
		{IQResult, "result"},
		{IQError, "error"},
		{IQType(5), "IQType(5)"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("%T(%d).String() = %q, want %q", tt.in, tt.in, got, tt.want)
		}
	}
}

// TestEncodeStanzaTypes checks the type attribute of every type: none for
// a normal message and an available presence, the String otherwise.
func TestEncodeStanzaTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   Stanza
		want string
	}{
		{&Message{}, `<message/>`},
		{&Message{Type: MessageNormal}, `<message/>`},
		{&Message{Type: MessageChat}, `<message type='chat'/>`},
		{&Message{Type: MessageGroupchat}, `<message type='groupchat'/>`},
		{&Message{Type: MessageHeadline}, `<message type='headline'/>`},
		{&Message{Type: MessageError}, `<message type='error'/>`},
		{&Presence{}, `<presence/>`},
		{&Presence{Type: PresenceUnavailable}, `<presence type='unavailable'/>`},
		{&Presence{Type: PresenceSubscribe}, `<presence type='subscribe'/>`},
		{&Presence{Type: PresenceSubscribed}, `<presence type='subscribed'/>`},
		{&Presence{Type: PresenceUnsubscribe}, `<presence type='unsubscribe'/>`},
		{&Presence{Type: PresenceUnsubscribed}, `<presence type='unsubscribed'/>`},
		{&Presence{Type: PresenceProbe}, `<presence type='probe'/>`},
		{&Presence{Type: PresenceError}, `<presence type='error'/>`},
		{&IQ{Header: Header{ID: "1"}, Type: IQResult}, `<iq id='1' type='result'/>`},
		{&IQ{Header: Header{ID: "1"}, Type: IQError}, `<iq id='1' type='error'/>`},
	}
	for _, tt := range tests {
		if got := encodeString(t, tt.in); got != tt.want {
			t.Errorf("Encode(%+v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestDecodeStanzaTypes checks how type attributes decode: a message of no,
// "normal" or an unknown type is normal (RFC 6121 §5.2.2).
func TestDecodeStanzaTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want any
	}{
		{`<message/>`, MessageNormal},
		{`<message type=''/>`, MessageNormal},
		{`<message type='normal'/>`, MessageNormal},
		{`<message type='chta'/>`, MessageNormal},
		{`<message type='Chat'/>`, MessageNormal},
		{`<message type='chat'/>`, MessageChat},
		{`<message type='groupchat'/>`, MessageGroupchat},
		{`<message type='headline'/>`, MessageHeadline},
		{`<message type='error'/>`, MessageError},
		{`<presence/>`, PresenceAvailable},
		{`<presence type='unavailable'/>`, PresenceUnavailable},
		{`<presence type='subscribe'/>`, PresenceSubscribe},
		{`<presence type='subscribed'/>`, PresenceSubscribed},
		{`<presence type='unsubscribe'/>`, PresenceUnsubscribe},
		{`<presence type='unsubscribed'/>`, PresenceUnsubscribed},
		{`<presence type='probe'/>`, PresenceProbe},
		{`<presence type='error'/>`, PresenceError},
		{`<iq id='1' type='get'><a xmlns='urn:a'/></iq>`, IQGet},
		{`<iq id='1' type='set'><a xmlns='urn:a'/></iq>`, IQSet},
		{`<iq id='1' type='result'/>`, IQResult},
		{`<iq id='1' type='error'/>`, IQError},
	}
	for _, tt := range tests {
		d := NewDecoder(strings.NewReader(testHeader + tt.in))
		v, err := d.Next()
		if err != nil {
			t.Errorf("Next(%s) error = %v", tt.in, err)
			continue
		}
		var got any
		switch v := v.(type) {
		case *Message:
			got = v.Type
		case *Presence:
			got = v.Type
		case *IQ:
			got = v.Type
		}
		if got != tt.want {
			t.Errorf("Next(%s).Type = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestEncodeRefusesStanzas checks the stanzas the Encoder cannot write:
// each is refused with its sentinel and nothing is written.
func TestEncodeRefusesStanzas(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   Stanza
		want error
	}{
		{"nil", nil, ErrNilStanza},
		{"nil message", (*Message)(nil), ErrNilStanza},
		{"nil presence", (*Presence)(nil), ErrNilStanza},
		{"nil iq", (*IQ)(nil), ErrNilStanza},
		{"header", &Header{ID: "x"}, ErrUnsupportedStanza},
		{"iq without type", &IQ{Header: Header{ID: "1"}}, ErrInvalidIQ},
		{"iq of unknown type", &IQ{Header: Header{ID: "1"}, Type: IQType(7)}, ErrUnsupportedStanza},
		{"message of unknown type", &Message{Type: MessageType(7)}, ErrUnsupportedStanza},
		{"presence of unknown type", &Presence{Type: PresenceType(70)}, ErrUnsupportedStanza},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		err := NewEncoder(&buf).Encode(tt.in)
		if !errors.Is(err, tt.want) {
			t.Errorf("Encode(%s) = %v, want an error wrapping %v", tt.name, err, tt.want)
		}
		if buf.Len() != 0 {
			t.Errorf("Encode(%s) wrote %q, want nothing", tt.name, buf.String())
		}
	}
}

// TestConditionsIs checks that each error type matches its condition, and
// only its own kind of condition, under errors.Is.
func TestConditionsIs(t *testing.T) {
	t.Parallel()
	stanza := fmt.Errorf("xmpp: disco: %w", &StanzaError{Type: ErrorTypeCancel, Condition: ErrItemNotFound})
	stream := fmt.Errorf("reading: %w", &StreamError{Condition: CondSeeOtherHost, Offset: -1})
	sasl := fmt.Errorf("login: %w", &SASLError{Mechanism: "PLAIN", Condition: SASLNotAuthorized})
	tests := []struct {
		err    error
		target error
		want   bool
	}{
		{stanza, ErrItemNotFound, true},
		{stanza, ErrBadRequest, false},
		{stanza, CondUndefinedCondition, false},
		{stream, CondSeeOtherHost, true},
		{stream, CondConflict, false},
		{stream, ErrRedirect, false},
		{sasl, SASLNotAuthorized, true},
		{sasl, ErrNotAuthorized, false}, // same name, other kind
		{sasl, CondNotAuthorized, false},
		{sasl, SASLAborted, false},
		{&StanzaError{Condition: ErrNotAuthorized}, SASLNotAuthorized, false},
		{&StanzaError{Condition: "urn:x-custom"}, StanzaCondition("urn:x-custom"), true},
	}
	for _, tt := range tests {
		if got := errors.Is(tt.err, tt.target); got != tt.want {
			t.Errorf("errors.Is(%v, %T(%q)) = %v, want %v", tt.err, tt.target, tt.target, got, tt.want)
		}
	}
	// A StreamError still unwraps to its cause.
	cause := errors.New("cause")
	require.ErrorIs(t, &StreamError{Condition: CondNotWellFormed, Err: cause}, cause)
}

func TestConditionErrorStrings(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err  error
		want string
	}{
		{ErrItemNotFound, "xmpp: item-not-found"},
		{CondSeeOtherHost, "xmpp: stream error see-other-host"},
		{SASLNoMechanism, "xmpp: sasl no-mechanism"},
	} {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%T(%q).Error() = %q, want %q", tt.err, tt.err, got, tt.want)
		}
	}
}

// TestDecodeStanza checks that DecodeStanza decodes what Decoder.Next
// decodes, into equal values.
func TestDecodeStanza(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		`<message xmlns='jabber:client' id='m1' type='chat' from='romeo@example.net/orchard' to='juliet@example.com' xml:lang='en'>` +
			`<subject>s</subject><body>Wherefore &amp; why</body><body xml:lang='cs'>Proč</body><thread parent='p'>t</thread>` +
			`<active xmlns='http://jabber.org/protocol/chatstates'/></message>`,
		`<message xmlns='jabber:client' type='error' id='e'><error type='cancel' by='example.com'>` +
			`<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>no</text></error></message>`,
		`<presence xmlns='jabber:client' from='a@b/c'><show>away</show><status>out</status><priority>-3</priority><c xmlns='http://jabber.org/protocol/caps' ver='v'/></presence>`,
		`<presence xmlns='jabber:client' type='unavailable'/>`,
		`<iq xmlns='jabber:client' id='i1' type='get' to='example.com'><query xmlns='jabber:iq:version'/></iq>`,
		`<iq xmlns='jabber:client' id='i2' type='result'/>`,
	} {
		el, err := ParseElement(raw)
		require.NoError(t, err)
		got, err := DecodeStanza(el)
		require.NoError(t, err, "DecodeStanza(%s)", raw)
		want, err := NewDecoder(strings.NewReader(testHeader + raw)).Next()
		require.NoError(t, err, "Next(%s)", raw)
		require.Equal(t, want, got, "DecodeStanza(%s)", raw)
	}

	// An element in no namespace is a stanza too.
	el, err := ParseElement(`<message to='juliet@example.com'><body>hi</body></message>`)
	require.NoError(t, err)
	s, err := DecodeStanza(el)
	require.NoError(t, err)
	m, ok := s.(*Message)
	require.True(t, ok, "DecodeStanza(message in no namespace) = %T, want *Message", s)
	require.Equal(t, "hi", m.Body)
	require.Equal(t, MessageNormal, m.Type)
	require.Equal(t, "juliet@example.com", m.To.String())
}

func TestDecodeStanzaErrors(t *testing.T) {
	t.Parallel()
	notStanza := []Element{
		{},
		{Name: xml.Name{Local: "foo"}, Raw: `<foo/>`},
		{Name: xml.Name{Space: "jabber:server", Local: "message"}, Raw: `<message xmlns='jabber:server'/>`},
		{Name: xml.Name{Space: NSStream, Local: "features"}, Raw: `<stream:features xmlns:stream='` + NSStream + `'/>`},
	}
	for _, el := range notStanza {
		_, err := DecodeStanza(el)
		if !errors.Is(err, ErrUnsupportedStanza) {
			t.Errorf("DecodeStanza(%q) = %v, want an error wrapping ErrUnsupportedStanza", el.Raw, err)
		}
	}

	bad := []struct {
		raw  string
		typ  string
		cond StanzaCondition
	}{
		{`<iq xmlns='jabber:client' type='get'><q xmlns='urn:q'/></iq>`, "get", ErrBadRequest},
		{`<iq xmlns='jabber:client' id='1'><q xmlns='urn:q'/></iq>`, "", ErrBadRequest},
		{`<presence xmlns='jabber:client' type='bogus'/>`, "bogus", ErrBadRequest},
		{`<message xmlns='jabber:client' type='chat' from='@x'/>`, "chat", ErrJIDMalformed},
	}
	for _, tt := range bad {
		el, err := ParseElement(tt.raw)
		require.NoError(t, err)
		_, err = DecodeStanza(el)
		be, ok := errors.AsType[*BadStanzaError](err)
		require.True(t, ok, "DecodeStanza(%s) = %v, want a *BadStanzaError", tt.raw, err)
		require.Equal(t, tt.cond, be.Condition, "DecodeStanza(%s) condition", tt.raw)
		require.Equal(t, tt.typ, be.Type, "DecodeStanza(%s) type", tt.raw)
		require.Equal(t, tt.raw, be.Raw)
	}

	// XML the Decoder would refuse, in an Element built as a literal.
	for raw, cond := range map[string]StreamCondition{
		`<message><!-- hi --></message>`:        CondRestrictedXML,
		`<message><body>x</message>`:            CondNotWellFormed,
		`<message>&unknown;</message>`:          CondRestrictedXML,
		`<message/><message/>`:                  CondNotWellFormed,
		`<message xmlns:p='u'><q:x/></message>`: CondNotWellFormed,
	} {
		_, err := DecodeStanza(Element{Name: xml.Name{Local: "message"}, Raw: raw})
		se, ok := errors.AsType[*StreamError](err)
		require.True(t, ok, "DecodeStanza(%s) = %v, want a *StreamError", raw, err)
		require.Equal(t, cond, se.Condition, "DecodeStanza(%s) condition", raw)
	}
}

// FuzzDecodeStanza checks that DecodeStanza agrees with Decoder.Next on any
// element in jabber:client: the same value, or the same kind of error.
func FuzzDecodeStanza(f *testing.F) {
	for _, s := range []string{
		`<message xmlns='jabber:client' type='chat' id='1' from='a@b/c'><body>hi &amp; bye</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>`,
		`<presence xmlns='jabber:client' type='probe'><show>xa</show><priority>-1</priority></presence>`,
		`<iq xmlns='jabber:client' type='get' id='x'><query xmlns='jabber:iq:roster'/></iq>`,
		`<iq xmlns='jabber:client' type='error' id='x'><error type='cancel'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`,
		`<message xmlns='jabber:client' type='normal'><a:x xmlns:a='urn:a'><a:y a:z='1'/></a:x></message>`,
		`<iq xmlns='jabber:client' id='x'/>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		el, err := ParseElement(raw)
		if err != nil || el.Name.Space != NSClient {
			_, _ = DecodeStanza(Element{Name: el.Name, Raw: raw}) // must not panic
			return
		}
		got, gerr := DecodeStanza(el)
		want, werr := NewDecoder(strings.NewReader(testHeader + raw)).Next()
		switch {
		case gerr == nil && werr == nil:
			if ws, ok := want.(Stanza); !ok || !reflect.DeepEqual(ws, got) {
				t.Fatalf("DecodeStanza(%q) = %#v, want %#v", raw, got, want)
			}
		case gerr != nil && werr != nil:
			_, gbad := errors.AsType[*BadStanzaError](gerr)
			_, wbad := errors.AsType[*BadStanzaError](werr)
			if gbad != wbad && !errors.Is(gerr, ErrUnsupportedStanza) {
				t.Fatalf("DecodeStanza(%q) error = %v, want one like %v", raw, gerr, werr)
			}
		case gerr != nil && errors.Is(gerr, ErrUnsupportedStanza):
			// Not a stanza: Next returns it as an *Element.
		default:
			t.Fatalf("DecodeStanza(%q) = %v, %v; Next = %v, %v", raw, got, gerr, want, werr)
		}
	})
}
