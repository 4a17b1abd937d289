package receipts_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/receipts"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

func TestReceivedElement(t *testing.T) {
	t.Parallel()
	el, err := receipts.Received{ID: `a'<&"b`}.Element()
	require.NoError(t, err)
	require.Equal(t, `<received xmlns="urn:xmpp:receipts" id="a&#39;&lt;&amp;&#34;b"></received>`, el.Raw)
	got, err := receipts.Parse(el)
	require.NoError(t, err)
	require.Equal(t, `a'<&"b`, got.ID)

	_, err = receipts.Received{}.Element()
	fake.RequireMalformed(t, err, "XEP-0184", "receipts.Received{}.Element()")
}

func TestFrom(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, raw string
		want      string
		ok        bool
	}{
		{"receipt", `<message from='a@b/c' id='r1'><received xmlns='urn:xmpp:receipts' id='m1'/></message>`, "m1", true},
		{"prefixed", `<message from='a@b/c'><r:received xmlns:r='urn:xmpp:receipts' id='m&amp;2'/></message>`, "m&2", true},
		{"no id", `<message from='a@b/c'><received xmlns='urn:xmpp:receipts'/></message>`, "", false},
		{"wrong namespace", `<message from='a@b/c'><received xmlns='urn:xmpp:chat-markers:0' id='m1'/></message>`, "", false},
		{"none", `<message from='a@b/c'><body>hi</body></message>`, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := receipts.From(fake.Message(t, tc.raw))
			require.Equal(t, tc.ok, ok, "From ok")
			require.Equal(t, tc.want, got.ID, "From id")
		})
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		`<received xmlns='urn:xmpp:receipts'/>`,
		`<received xmlns='urn:xmpp:receipts' id=''/>`,
		`<request xmlns='urn:xmpp:receipts'/>`,
		`<received id='x'/>`,
	} {
		el, err := xmpp.ParseElement(raw)
		require.NoError(t, err)
		_, err = receipts.Parse(el)
		fake.RequireMalformed(t, err, "XEP-0184", "Parse(%s)", raw)
	}
	_, err := receipts.Parse(xmpp.Element{})
	fake.RequireMalformed(t, err, "XEP-0184", "receipts.Parse(xmpp.Element{})")
}

func TestAddRequest(t *testing.T) {
	t.Parallel()
	m := &xmpp.Message{Header: xmpp.Header{ID: "m1"}, Type: xmpp.MessageChat, Body: "hi"}
	require.True(t, receipts.AddRequest(m))
	require.True(t, receipts.AddRequest(m), "second Request")
	require.Len(t, m.Extensions, 1, "Request adds one element, once")
	require.Equal(t, `<request xmlns='urn:xmpp:receipts'/>`, m.Extensions[0].Raw)
	require.True(t, receipts.HasRequest(m))

	noID := &xmpp.Message{Body: "hi"}
	require.False(t, receipts.AddRequest(noID), "Request without id")
	require.Empty(t, noID.Extensions)
	errMsg := &xmpp.Message{Header: xmpp.Header{ID: "e"}, Type: xmpp.MessageError}
	require.False(t, receipts.AddRequest(errMsg), "Request on error")
}

func TestReply(t *testing.T) {
	t.Parallel()
	req := `<request xmlns='urn:xmpp:receipts'/>`
	for _, tc := range []struct {
		name, raw string
		ok        bool
	}{
		{"chat", `<message from='a@b/c' to='d@e/f' id='m1' type='chat'><body>x</body>` + req + `</message>`, true},
		{"normal", `<message from='a@b/c' id='m1'>` + req + `</message>`, true},
		{"no request", `<message from='a@b/c' id='m1' type='chat'><body>x</body></message>`, false},
		{"no id", `<message from='a@b/c' type='chat'>` + req + `</message>`, false},
		{"no from", `<message id='m1' type='chat'>` + req + `</message>`, false},
		{"groupchat", `<message from='room@muc/nick' id='m1' type='groupchat'>` + req + `</message>`, false},
		{"error", `<message from='a@b/c' id='m1' type='error'>` + req + `<error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := fake.Message(t, tc.raw)
			r, ok := receipts.Reply(m)
			require.Equal(t, tc.ok, ok, "Reply ok")
			if !ok {
				return
			}
			require.Equal(t, m.From, r.To, "To")
			require.Equal(t, m.Type, r.Type, "Type")
			require.NotEmpty(t, r.ID, "ID")
			require.NotEqual(t, m.ID, r.ID, "receipt has its own id")
			got, ok := receipts.From(r)
			require.True(t, ok)
			require.Equal(t, "m1", got.ID)
			require.False(t, receipts.HasRequest(r), "a receipt never asks for a receipt")
		})
	}
}

func TestRegister(t *testing.T) {
	t.Parallel()
	mux := xmpp.NewMux()
	receipts.Register(mux, false)
	require.Equal(t, []string{receipts.NS}, mux.Features())
	// Without auto, no handler: a message needing a receipt passes untouched.
	mux.OnMessage(nil, &xmpp.Message{Header: xmpp.Header{ID: "x", From: xmpp.MustParseJID("a@b/c")}})
}
