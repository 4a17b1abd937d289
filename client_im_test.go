package xmpp

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Tests of the session features that presence and roster build on.

func TestStreamFeaturesAfterSASL(t *testing.T) {
	t.Parallel()
	c, _ := connect(t, testOptions(t), func(s *fakeServer) {
		s.open(featStartTLS)
		s.startTLS()
		s.open(featMechs("PLAIN"))
		s.authPLAIN()
		s.open(featBind + "<ver xmlns='urn:xmpp:features:rosterver'/>")
		s.bind()
		s.closeStream()
	})
	f := c.StreamFeatures()
	require.Equal(t, "features", f.Name.Local)
	_, ok := f.Child("urn:xmpp:features:rosterver", "ver")
	require.True(t, ok, "StreamFeatures() = %s, want rosterver", f.Raw)
	_, ok = f.Child(nsTLS, "starttls")
	require.False(t, ok, "StreamFeatures() = %s, want the features after SASL", f.Raw)
}

// TestCloseSendsUnavailable checks that Close ends a presence session
// started with broadcast available presence by sending unavailable presence
// before </stream:stream>, and only then.
func TestCloseSendsUnavailable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		sent []*Presence
		want []string // what the server receives after login
	}{
		{"none", nil, []string{"/stream"}},
		{"available", []*Presence{{Show: ShowAway}},
			[]string{"presence:", "presence:unavailable", "/stream"}},
		{"directed-only", []*Presence{{Header: Header{To: MustParseJID("bob@example.test")}}},
			[]string{"presence:", "/stream"}},
		{"ended-by-user", []*Presence{{}, {Type: PresenceUnavailable}},
			[]string{"presence:", "presence:unavailable", "/stream"}},
		{"subscribe", []*Presence{{Header: Header{To: MustParseJID("bob@example.test")}, Type: PresenceSubscribe}},
			[]string{"presence:subscribe", "/stream"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := make(chan []string, 1)
			c, _ := connect(t, testOptions(t), func(s *fakeServer) {
				s.login()
				var seen []string
				for {
					e := s.next()
					if e == nil {
						seen = append(seen, "/stream")
						break
					}
					seen = append(seen, e.XMLName.Local+":"+e.attr("type"))
				}
				got <- seen
				s.send("</stream:stream>")
			})
			for _, p := range tc.sent {
				require.NoError(t, c.Send(testCtx(t), p))
			}
			require.NoError(t, c.Close())
			require.Equal(t, tc.want, <-got)
		})
	}
}
