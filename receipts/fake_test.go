package receipts_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/receipts"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

// TestAutoReply: Register(mux, true) answers exactly the messages that ask
// for a receipt and may get one.
func TestAutoReply(t *testing.T) {
	t.Parallel()
	mux := xmpp.NewMux()
	receipts.Register(mux, true)
	_, s := fake.Start(t, "alice@example.test/phone", &xmpp.Options{Handler: mux})
	req := `<request xmlns='urn:xmpp:receipts'/>`
	// None of these may be answered.
	s.Send(`<message from='bob@example.test/laptop' id='plain' type='chat'><body>x</body></message>`)
	s.Send(`<message from='bob@example.test/laptop' type='chat'><body>x</body>` + req + `</message>`)
	s.Send(`<message from='room@muc.example.test/bob' id='gc' type='groupchat'><body>x</body>` + req + `</message>`)
	s.Send(`<message from='bob@example.test/laptop' id='err' type='error'>` + req + `<error type='cancel'><gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`)
	s.Send(`<message from='bob@example.test/laptop' id='ack' type='chat'><received xmlns='urn:xmpp:receipts' id='earlier'/></message>`)
	// This one is.
	s.Send(`<message from='bob@example.test/laptop' id='want' type='chat'><body>x</body>` + req + `</message>`)

	v, err := s.Next(t.Context()) // the first thing the client sends
	require.NoError(t, err)
	m, ok := v.(*xmpp.Message)
	require.True(t, ok, "client sent %T, want the receipt", v)
	r, ok := receipts.From(m)
	require.True(t, ok)
	require.Equal(t, "want", r.ID)
	require.Equal(t, "bob@example.test/laptop", m.To.String())
	require.Equal(t, xmpp.MessageChat, m.Type)
}
