package ping

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
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

func TestRequest(t *testing.T) {
	t.Parallel()
	require.Equal(t, `<ping xmlns='urn:xmpp:ping'/>`, request.Raw)
}
