package markers_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/markers"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

func TestElement(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mk   markers.Marker
		want string
	}{
		{markers.Marker{Kind: markers.KindMarkable}, `<markable xmlns="urn:xmpp:chat-markers:0"></markable>`},
		{markers.Marker{Kind: markers.KindReceived, ID: "m1"}, `<received xmlns="urn:xmpp:chat-markers:0" id="m1"></received>`},
		{markers.Marker{Kind: markers.KindDisplayed, ID: "a&b"}, `<displayed xmlns="urn:xmpp:chat-markers:0" id="a&amp;b"></displayed>`},
		{markers.Marker{Kind: markers.KindAcknowledged, ID: "m1"}, `<acknowledged xmlns="urn:xmpp:chat-markers:0" id="m1"></acknowledged>`},
	} {
		el, err := tc.mk.Element()
		require.NoError(t, err)
		require.Equal(t, tc.want, el.Raw)
		got, err := markers.Parse(el)
		require.NoError(t, err)
		require.Equal(t, tc.mk, got)
	}
	for _, bad := range []markers.Marker{
		{Kind: "read", ID: "m1"},
		{Kind: markers.KindMarkable, ID: "m1"},
		{Kind: markers.KindDisplayed},
	} {
		_, err := bad.Element()
		fake.RequireMalformed(t, err, "XEP-0333", "Element(%+v)", bad)
	}
}

func TestFrom(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, raw string
		want      markers.Marker
		ok        bool
	}{
		{"displayed", `<message from='b@x/y'><displayed xmlns='urn:xmpp:chat-markers:0' id='m1'/></message>`, markers.Marker{Kind: markers.KindDisplayed, ID: "m1"}, true},
		{"markable", `<message id='m1'><body>x</body><markable xmlns='urn:xmpp:chat-markers:0'/></message>`, markers.Marker{Kind: markers.KindMarkable}, true},
		{"displayed without id", `<message><displayed xmlns='urn:xmpp:chat-markers:0'/></message>`, markers.Marker{}, false},
		{"unknown", `<message><read xmlns='urn:xmpp:chat-markers:0' id='m1'/></message>`, markers.Marker{}, false},
		{"receipt is not a marker", `<message><received xmlns='urn:xmpp:receipts' id='m1'/></message>`, markers.Marker{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := markers.From(fake.Message(t, tc.raw))
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestAddMarkableAndReply(t *testing.T) {
	t.Parallel()
	m := &xmpp.Message{Header: xmpp.Header{ID: "m1", From: xmpp.MustParseJID("alice@example.com/phone")}, Type: xmpp.MessageChat}
	require.False(t, markers.HasMarkable(m))
	require.True(t, markers.AddMarkable(m))
	require.True(t, markers.AddMarkable(m))
	require.Len(t, m.Extensions, 1)
	require.True(t, markers.HasMarkable(m))
	require.False(t, markers.AddMarkable(&xmpp.Message{}), "Markable without id")

	r, ok := markers.Reply(m, markers.KindDisplayed)
	require.True(t, ok)
	require.Equal(t, m.From, r.To)
	require.Equal(t, xmpp.MessageChat, r.Type)
	got, ok := markers.From(r)
	require.True(t, ok)
	require.Equal(t, markers.Marker{Kind: markers.KindDisplayed, ID: "m1"}, got)

	_, ok = markers.Reply(m, markers.KindMarkable)
	require.False(t, ok, "Reply with markable")
	_, ok = markers.Reply(&xmpp.Message{Header: xmpp.Header{ID: "m1", From: m.From}}, markers.KindDisplayed)
	require.False(t, ok, "Reply to a message that is not markable")

	gc := &xmpp.Message{Header: xmpp.Header{ID: "g1", From: xmpp.MustParseJID("room@muc.example.com/nick")}, Type: xmpp.MessageGroupchat}
	markers.AddMarkable(gc)
	r, ok = markers.Reply(gc, markers.KindDisplayed)
	require.True(t, ok)
	require.Equal(t, "room@muc.example.com", r.To.String(), "groupchat marker goes to the room")
}

func TestRegister(t *testing.T) {
	t.Parallel()
	mux := xmpp.NewMux()
	markers.Register(mux)
	require.Equal(t, []string{markers.NS}, mux.Features())
}
