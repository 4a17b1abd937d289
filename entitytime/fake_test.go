package entitytime_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/entitytime"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

const peer = "bob@example.test/laptop"

func TestPeerRequest(t *testing.T) {
	t.Parallel()
	mux := xmpp.NewMux()
	entitytime.RegisterClock(mux, func() time.Time {
		return time.Date(2006, 12, 19, 11, 58, 35, 0, time.FixedZone("CST", -6*3600))
	})
	_, s := fake.Start(t, "alice@example.test/phone", &xmpp.Options{Handler: mux})
	s.Send(`<iq type='get' id='time_1' from='` + peer + `'><time xmlns='urn:xmpp:time'/></iq>`)
	r := s.ExpectIQ(t.Context(), 0, "", "")
	require.Equal(t, xmpp.IQResult, r.Type, "reply %+v", r)
	require.Equal(t, `<time xmlns='urn:xmpp:time'><tzo>-06:00</tzo><utc>2006-12-19T17:58:35Z</utc></time>`, r.Payload.Raw)
}

func TestGet(t *testing.T) {
	t.Parallel()
	c, s := fake.Start(t, "alice@example.test/phone", nil)
	reply := ""
	s.AnswerIQs(func(iq *xmpp.IQ) (string, bool) { return fake.Result(iq, reply), true })

	reply = `<time xmlns='urn:xmpp:time'><tzo>-06:00</tzo><utc>2006-12-19T17:58:35Z</utc></time>`
	got, offset, err := entitytime.Get(t.Context(), c, xmpp.MustParseJID(peer))
	require.NoError(t, err)
	require.Equal(t, -6*time.Hour, offset)
	require.Equal(t, "2006-12-19T11:58:35-06:00", got.Format(time.RFC3339))

	reply = `<time xmlns='urn:xmpp:time'><tzo>-06:00</tzo></time>`
	_, _, err = entitytime.Get(t.Context(), c, xmpp.MustParseJID(peer))
	fake.RequireMalformed(t, err, "XEP-0202", "entitytime.Get")
}
