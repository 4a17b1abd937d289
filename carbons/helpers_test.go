package carbons_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
)

// decode reads one message from its XML, as the session would.
func decode(t *testing.T, raw string) *xmpp.Message {
	t.Helper()
	d := xmpp.NewDecoder(strings.NewReader("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>" + raw))
	v, err := d.Next()
	require.NoError(t, err, "decode %s", raw)
	return v.(*xmpp.Message)
}
