package ping_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/ping"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

const peer = "bob@example.test/laptop"

func TestPeerPing(t *testing.T) {
	t.Parallel()
	mux := xmpp.NewMux()
	ping.Register(mux)
	_, s := fake.Start(t, "alice@example.test/phone", &xmpp.Options{Handler: mux})
	s.Send(`<iq type='get' id='s2c1' from='example.test' to='alice@example.test/phone'><ping xmlns='urn:xmpp:ping'/></iq>`)
	r := s.ExpectIQ(t.Context(), 0, "", "")
	require.Equal(t, xmpp.IQResult, r.Type, "reply %+v", r)
	require.Equal(t, "s2c1", r.ID)
	require.Equal(t, "example.test", r.To.String())
	require.True(t, r.Payload.IsZero(), "pong with payload %s", r.Payload.Raw)

	s.Send(`<iq type='get' id='other' from='` + peer + `'><query xmlns='urn:example:unknown'/></iq>`)
	r = s.ExpectIQ(t.Context(), 0, "", "")
	require.Equal(t, xmpp.IQError, r.Type)
	require.Equal(t, xmpp.ErrServiceUnavailable, r.Error.Condition)
}

func TestPing(t *testing.T) {
	t.Parallel()
	c, s := fake.Start(t, "alice@example.test/phone", nil)
	var req *xmpp.IQ
	s.AnswerIQs(func(iq *xmpp.IQ) (string, bool) {
		req = iq
		switch iq.To.String() {
		case peer:
			return fake.Result(iq, ""), true
		default:
			return "<iq type='error' id='" + iq.ID + "' from='" + iq.To.String() + "'><ping xmlns='urn:xmpp:ping'/>" +
				"<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>", true
		}
	})
	require.NoError(t, ping.Ping(t.Context(), c, xmpp.MustParseJID(peer)))
	require.Equal(t, xmpp.IQGet, req.Type)
	require.Equal(t, `<ping xmlns='urn:xmpp:ping'/>`, req.Payload.Raw)

	err := ping.Ping(t.Context(), c, xmpp.MustParseJID("carol@example.test/gone"))
	var se *xmpp.StanzaError
	require.True(t, errors.As(err, &se), "error %v (%T), want a *xmpp.StanzaError", err, err)
	require.Equal(t, xmpp.ErrServiceUnavailable, se.Condition)
}
