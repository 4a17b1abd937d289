package last

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

func TestRegister(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		idleSince time.Time
		want      string
	}{
		{"idle", time.Now().Add(-903*time.Second - 300*time.Millisecond), `<query xmlns='jabber:iq:last' seconds='903'/>`},
		{"active", time.Time{}, `<query xmlns='jabber:iq:last' seconds='0'/>`},
		{"future", time.Now().Add(time.Hour), `<query xmlns='jabber:iq:last' seconds='0'/>`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mux := xmpp.NewMux()
			Register(mux, func() time.Time { return tc.idleSince })
			require.Equal(t, []string{NS}, mux.Features())
			r, err := mux.OnIQ(nil, &xmpp.IQ{Header: xmpp.Header{ID: "l1"}, Type: xmpp.IQGet, Payload: request})
			require.NoError(t, err)
			require.Equal(t, tc.want, r.Payload.Raw)
		})
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	// The examples of XEP-0012 §3 and §5.
	secs, status, err := parse(fake.Element(t, `<query xmlns='jabber:iq:last' seconds='903'>Heading Home</query>`))
	require.NoError(t, err)
	require.Equal(t, 903*time.Second, secs)
	require.Equal(t, "Heading Home", status)
	secs, status, err = parse(fake.Element(t, `<query xmlns='jabber:iq:last' seconds='123456'/>`))
	require.NoError(t, err)
	require.Equal(t, 123456*time.Second, secs)
	require.Empty(t, status)
}

func TestParseMalformed(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		"",
		`<query xmlns='jabber:iq:version'/>`,
		`<query xmlns='jabber:iq:last'/>`,
		`<query xmlns='jabber:iq:last' seconds=''/>`,
		`<query xmlns='jabber:iq:last' seconds='-1'/>`,
		`<query xmlns='jabber:iq:last' seconds='+1'/>`,
		`<query xmlns='jabber:iq:last' seconds='1.5'/>`,
		`<query xmlns='jabber:iq:last' seconds='9223372036854775807'/>`,
		`<query xmlns='jabber:iq:last' seconds='99999999999999999999'/>`,
	} {
		var el xmpp.Element
		if raw != "" {
			el = fake.Element(t, raw)
		}
		_, _, err := parse(el)
		me := fake.RequireMalformed(t, err, "XEP-0012", "parse(%q)", raw)
		require.Equal(t, raw, me.Raw)
	}
}
