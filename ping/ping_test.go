package ping

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

func TestRegister(t *testing.T) {
	t.Parallel()
	mux := xmpp.NewMux()
	Register(mux)
	require.Equal(t, []string{NS}, mux.Features())
	r, err := mux.OnIQ(nil, &xmpp.IQ{Header: xmpp.Header{ID: "p1"}, Type: xmpp.IQGet, Payload: request})
	require.NoError(t, err)
	require.NotNil(t, r, "no answer to a ping")
	require.True(t, r.Payload.IsZero(), "pong carries a payload: %s", r.Payload.Raw)
	require.Nil(t, r.Error)
	require.Empty(t, r.Type, "the session fills in type result")

	// Only get: a ping of type set is not answered with a pong.
	r, err = mux.OnIQ(nil, &xmpp.IQ{Header: xmpp.Header{ID: "p2"}, Type: xmpp.IQSet, Payload: request})
	require.NoError(t, err)
	require.Nil(t, r)
}

// TestRequest checks the IQ that Ping writes on the wire (§4.2, §4.3): a
// get, with an id, to the entity pinged (no to for the user's own server),
// whose only payload is an empty <ping xmlns='urn:xmpp:ping'/>; and that
// Ping returns nil once the result with that id arrives.
func TestRequest(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		to   string
	}{
		{"own server", ""},
		{"server", "example.test"},
		{"full JID", "bob@example.test/laptop"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, s := fake.Start(t, "alice@example.test/phone", nil)
			var to xmpp.JID
			if tt.to != "" {
				to = xmpp.MustParseJID(tt.to)
			}
			done := make(chan error, 1)
			go func() { done <- Ping(t.Context(), c, to) }()

			iq := s.ExpectIQ(t.Context(), 0, "", "") // any IQ: a wrong one fails below, not by timeout
			require.Equal(t, xmpp.IQGet, iq.Type, "Ping(%q) sent type", tt.to)
			require.NotEmpty(t, iq.ID, "Ping(%q) sent no id", tt.to)
			require.Equal(t, tt.to, iq.To.String(), "Ping(%q) sent to", tt.to)
			require.Equal(t, NS, iq.Payload.Name.Space, "Ping(%q) payload %s", tt.to, iq.Payload.Raw)
			require.Equal(t, "ping", iq.Payload.Name.Local, "Ping(%q) payload %s", tt.to, iq.Payload.Raw)
			for range iq.Payload.Children() {
				t.Fatalf("Ping(%q) payload %s has children, want an empty <ping/>", tt.to, iq.Payload.Raw)
			}
			require.Equal(t, `<ping xmlns='urn:xmpp:ping'/>`, iq.Payload.Raw, "Ping(%q) payload", tt.to)
			select {
			case err := <-done:
				t.Fatalf("Ping(%q) = %v before the answer", tt.to, err)
			default:
			}

			s.Send(fake.Result(iq, ""))
			require.NoError(t, <-done, "Ping(%q) after the result", tt.to)
		})
	}
}
