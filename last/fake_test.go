package last_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/last"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

const peer = "bob@example.test/laptop"

func TestPeerRequest(t *testing.T) {
	t.Parallel()
	mux := xmpp.NewMux()
	idleSince := time.Now().Add(-123*time.Second - 500*time.Millisecond)
	last.Register(mux, func() time.Time { return idleSince })
	_, s := fake.Start(t, "alice@example.test/phone", &xmpp.Options{Handler: mux})
	s.Send(`<iq type='get' id='last1' from='` + peer + `'><query xmlns='jabber:iq:last'/></iq>`)
	r := s.ExpectIQ(t.Context(), 0, "", "")
	require.Equal(t, xmpp.IQResult, r.Type, "reply %+v", r)
	require.Equal(t, `<query xmlns='jabber:iq:last' seconds='123'/>`, r.Payload.Raw)
}

func TestGet(t *testing.T) {
	t.Parallel()
	c, s := fake.Start(t, "alice@example.test/phone", nil)
	reply := ""
	s.AnswerIQs(func(iq *xmpp.IQ) (string, bool) { return fake.Result(iq, reply), true })

	// The example of XEP-0012 §3.
	reply = `<query xmlns='jabber:iq:last' seconds='903'>Heading Home</query>`
	secs, status, err := last.Get(t.Context(), c, xmpp.MustParseJID("juliet@example.test"))
	require.NoError(t, err)
	require.Equal(t, 903*time.Second, secs)
	require.Equal(t, "Heading Home", status)

	reply = `<query xmlns='jabber:iq:last' seconds='soon'/>`
	_, _, err = last.Get(t.Context(), c, xmpp.MustParseJID(peer))
	fake.RequireMalformed(t, err, "XEP-0012", "last.Get")
}
