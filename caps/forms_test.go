package caps

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/disco"
	"github.com/gojabber/xmpp/forms"
)

// TestAdvertiseWithForm builds the entity of the complex example of
// XEP-0115 §5.3 with a disco.Handler, its extended information as a form
// given to AddForm (XEP-0128), and gets the example's ver.
func TestAdvertiseWithForm(t *testing.T) {
	t.Parallel()
	want := complexInfo(t)
	mux := xmpp.NewMux()
	mux.AddFeature("http://jabber.org/protocol/muc")
	h := disco.Register(mux, want.Identities...)
	f, err := forms.Parse(want.Forms[0])
	require.NoError(t, err)
	require.NoError(t, h.AddForm(f))
	c := Advertise(mux, h, "http://psi-im.org")
	require.Equal(t, complexVer, c.Attr("ver"))
	require.True(t, Verify(h.Info(), complexVer, HashSHA1))
}
