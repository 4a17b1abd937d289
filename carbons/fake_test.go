package carbons_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/carbons"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

// forwardedChat returns a carbon with the given outer from and direction.
func forwardedChat(from, dir, id, body string) string {
	fromAttr := ""
	if from != "" {
		fromAttr = " from='" + from + "'"
	}
	return `<message` + fromAttr + ` to='alice@example.test/phone' type='chat'>` +
		`<` + dir + ` xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>` +
		`<message xmlns='jabber:client' from='bob@example.test/laptop' to='alice@example.test/desktop' type='chat' id='` + id + `'>` +
		`<body>` + body + `</body></message></forwarded></` + dir + `></message>`
}

// TestRegisterDropsForged: carbons whose outer from is not the account's
// bare JID never reach the handler, whoever claims to send them
// (CVE-2017-5589 class); they are counted.
func TestRegisterDropsForged(t *testing.T) {
	t.Parallel()
	got := make(chan carbons.Carbon, 16)
	other := make(chan *xmpp.Message, 16)
	mux := xmpp.NewMux()
	mux.HandleMessage(func(_ xmpp.Session, m *xmpp.Message) { other <- m })
	stats := carbons.Register(mux, func(_ xmpp.Session, cb carbons.Carbon) { got <- cb })
	_, s := fake.Start(t, "alice@example.test/phone", &xmpp.Options{Handler: mux})

	forgers := []string{
		"mallory@evil.test",          // a stranger
		"bob@example.test/laptop",    // the contact named in the copy
		"alice@example.test/desktop", // another resource of the account
		"example.test",               // the server's domain
		"",                           // no from at all
	}
	for i, from := range forgers {
		s.Send(forwardedChat(from, []string{"received", "sent"}[i%2], "forged", "I owe you 100 euros"))
	}
	s.Send(`<message from='alice@example.test' type='chat'><sent xmlns='urn:xmpp:carbons:2'/></message>`) // malformed
	s.Send(forwardedChat("alice@example.test", "received", "real", "See you at 8"))
	s.Send(`<message from='bob@example.test/laptop' type='chat'><body>plain</body></message>`)

	plain := <-other // handlers run in order: everything before was handled
	cb := <-got
	require.Equal(t, "real", cb.Message.ID)
	require.Equal(t, carbons.Received, cb.Direction)
	require.Equal(t, "bob@example.test/laptop", cb.Message.From.String())
	require.Equal(t, "See you at 8", cb.Message.Body)
	require.Len(t, got, 0, "a forged carbon reached the handler")
	require.Equal(t, uint64(len(forgers)), stats.Forged())
	require.Equal(t, uint64(1), stats.Malformed())
	require.Equal(t, "plain", plain.Body, "the Mux's other handlers see no carbon, forged or not")
	require.Len(t, other, 0)
}

func TestEnableDisable(t *testing.T) {
	t.Parallel()
	c, s := fake.Start(t, "alice@example.test/phone", nil)
	ctx := t.Context()

	errc := make(chan error, 1)
	go func() { errc <- carbons.Enable(ctx, c) }()
	iq := s.ExpectIQ(ctx, xmpp.IQSet, carbons.NS, "enable")
	require.True(t, iq.To.IsZero(), "enable goes to the account's server")
	require.Equal(t, `<enable xmlns='urn:xmpp:carbons:2'/>`, iq.Payload.Raw)
	s.Send(fake.Result(iq, ""))
	require.NoError(t, <-errc)

	go func() { errc <- carbons.Disable(ctx, c) }()
	iq = s.ExpectIQ(ctx, xmpp.IQSet, carbons.NS, "disable")
	s.Send(`<iq type='error' id='` + iq.ID + `'><disable xmlns='urn:xmpp:carbons:2'/><error type='cancel'><feature-not-implemented xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`)
	err := <-errc
	se, ok := err.(*xmpp.StanzaError)
	require.True(t, ok, "Disable error = %v, want *xmpp.StanzaError", err)
	require.Equal(t, xmpp.ErrFeatureNotImplemented, se.Condition)
}
