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
