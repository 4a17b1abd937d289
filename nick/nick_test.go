package nick_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/nick"
)

func TestAddFrom(t *testing.T) {
	t.Parallel()
	for _, n := range []string{"Alice", "<&> 🦊", ""} {
		p := &xmpp.Presence{Type: xmpp.PresenceSubscribe}
		require.NoError(t, nick.AddPresence(p, n))
		got, ok := nick.FromPresence(p)
		require.True(t, ok)
		require.Equal(t, n, got, "FromPresence(AddPresence(%q))", n)
		m := &xmpp.Message{}
		require.NoError(t, nick.Add(m, n))
		got, _ = nick.From(m)
		require.Equal(t, n, got, "From(Add(%q))", n)
	}
	_, ok := nick.From(&xmpp.Message{})
	require.False(t, ok)
}
