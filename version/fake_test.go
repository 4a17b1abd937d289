package version_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/version"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

const peer = "bob@example.test/laptop"

func TestPeerRequest(t *testing.T) {
	t.Parallel()
	mux := xmpp.NewMux()
	version.Register(mux, "gojabber", "1.0", "")
	_, s := fake.Start(t, "alice@example.test/phone", &xmpp.Options{Handler: mux})
	s.Send(`<iq type='get' id='v1' from='` + peer + `'><query xmlns='jabber:iq:version'/></iq>`)
	r := s.ExpectIQ(t.Context(), 0, "", "")
	require.Equal(t, xmpp.IQResult, r.Type, "reply %+v", r)
	require.Equal(t, peer, r.To.String())
	require.Equal(t, `<query xmlns='jabber:iq:version'><name>gojabber</name><version>1.0</version></query>`, r.Payload.Raw)

	s.Send(`<iq type='set' id='v2' from='` + peer + `'><query xmlns='jabber:iq:version'/></iq>`)
	r = s.ExpectIQ(t.Context(), 0, "", "")
	require.Equal(t, xmpp.IQError, r.Type)
	require.Equal(t, xmpp.ErrServiceUnavailable, r.Error.Condition)
}

func TestGet(t *testing.T) {
	t.Parallel()
	c, s := fake.Start(t, "alice@example.test/phone", nil)
	reply := ""
	var req *xmpp.IQ
	s.AnswerIQs(func(iq *xmpp.IQ) (string, bool) {
		req = iq
		return fake.Result(iq, reply), true
	})
	// The example of XEP-0092 §2.
	reply = `<query xmlns='jabber:iq:version'><name>Exodus</name><version>0.7.0.4</version><os>Windows-XP 5.01.2600</os></query>`
	v, err := version.Get(t.Context(), c, xmpp.MustParseJID(peer))
	require.NoError(t, err)
	require.Equal(t, version.Info{Name: "Exodus", Version: "0.7.0.4", OS: "Windows-XP 5.01.2600"}, v)
	require.Equal(t, `<query xmlns='jabber:iq:version'/>`, req.Payload.Raw)
	require.Equal(t, peer, req.To.String())

	reply = `<query xmlns='jabber:iq:version'><name>Exodus</name></query>`
	_, err = version.Get(t.Context(), c, xmpp.MustParseJID(peer))
	fake.RequireMalformed(t, err, "XEP-0092", "version.Get")
}
