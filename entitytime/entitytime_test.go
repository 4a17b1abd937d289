package entitytime

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

func TestRegisterClock(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		now  time.Time
		want string
	}{
		// The example of XEP-0202 §3.
		{"example", time.Date(2006, 12, 19, 11, 58, 35, 0, time.FixedZone("CST", -6*3600)),
			`<time xmlns='urn:xmpp:time'><tzo>-06:00</tzo><utc>2006-12-19T17:58:35Z</utc></time>`},
		{"utc-millis", time.Date(2024, 2, 29, 23, 59, 59, 123456789, time.UTC),
			`<time xmlns='urn:xmpp:time'><tzo>+00:00</tzo><utc>2024-02-29T23:59:59.123Z</utc></time>`},
		{"half-hour-east", time.Date(2024, 1, 1, 5, 30, 0, 0, time.FixedZone("IST", 5*3600+30*60)),
			`<time xmlns='urn:xmpp:time'><tzo>+05:30</tzo><utc>2024-01-01T00:00:00Z</utc></time>`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mux := xmpp.NewMux()
			RegisterClock(mux, func() time.Time { return tc.now })
			require.Equal(t, []string{NS}, mux.Features())
			r, err := mux.OnIQ(nil, &xmpp.IQ{Header: xmpp.Header{ID: "t1"}, Type: xmpp.IQGet, Payload: request})
			require.NoError(t, err)
			require.Equal(t, tc.want, r.Payload.Raw)

			got, offset, err := parse(r.Payload)
			require.NoError(t, err)
			require.True(t, got.Equal(tc.now.Truncate(time.Millisecond)), "parse = %v, want %v", got, tc.now)
			_, wantSecs := tc.now.Zone()
			require.Equal(t, time.Duration(wantSecs)*time.Second, offset)
			_, gotSecs := got.Zone()
			require.Equal(t, wantSecs, gotSecs, "zone of the parsed time")
		})
	}
}

func TestRegister(t *testing.T) {
	t.Parallel()
	mux := xmpp.NewMux()
	Register(mux)
	before := time.Now().Truncate(time.Millisecond)
	r, err := mux.OnIQ(nil, &xmpp.IQ{Type: xmpp.IQGet, Payload: request})
	require.NoError(t, err)
	got, _, err := parse(r.Payload)
	require.NoError(t, err)
	require.False(t, got.Before(before), "time %v before %v", got, before)
	require.False(t, got.After(time.Now()), "time %v in the future", got)
}

func TestParse(t *testing.T) {
	t.Parallel()
	// Prosody's answer (tzo Z, fractional utc) and ejabberd's.
	got, offset, err := parse(fake.Element(t, `<time xmlns='urn:xmpp:time'><tzo>Z</tzo><utc>2024-05-01T10:00:00.5Z</utc></time>`))
	require.NoError(t, err)
	require.Equal(t, time.Duration(0), offset)
	require.True(t, got.Equal(time.Date(2024, 5, 1, 10, 0, 0, 5e8, time.UTC)))
	got, offset, err = parse(fake.Element(t, `<time xmlns='urn:xmpp:time'><utc>2024-05-01T10:00:00Z</utc><tzo>-03:30</tzo></time>`))
	require.NoError(t, err)
	require.Equal(t, -(3*time.Hour + 30*time.Minute), offset)
	require.Equal(t, "2024-05-01T06:30:00-03:30", got.Format(time.RFC3339))
}

func TestParseMalformed(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		"",
		`<query xmlns='jabber:iq:time'/>`,
		`<time xmlns='urn:xmpp:time'/>`,
		`<time xmlns='urn:xmpp:time'><tzo>Z</tzo></time>`,
		`<time xmlns='urn:xmpp:time'><utc>2024-05-01T10:00:00Z</utc></time>`,
		`<time xmlns='urn:xmpp:time'><tzo>+1:00</tzo><utc>2024-05-01T10:00:00Z</utc></time>`,
		`<time xmlns='urn:xmpp:time'><tzo>+24:00</tzo><utc>2024-05-01T10:00:00Z</utc></time>`,
		`<time xmlns='urn:xmpp:time'><tzo>+01:60</tzo><utc>2024-05-01T10:00:00Z</utc></time>`,
		`<time xmlns='urn:xmpp:time'><tzo>UTC</tzo><utc>2024-05-01T10:00:00Z</utc></time>`,
		`<time xmlns='urn:xmpp:time'><tzo>Z</tzo><utc>yesterday</utc></time>`,
		`<time xmlns='urn:xmpp:time'><tzo>Z</tzo><utc>2024-05-01 10:00:00</utc></time>`,
		`<time xmlns='urn:xmpp:time'><tzo xmlns='urn:other'>Z</tzo><utc>2024-05-01T10:00:00Z</utc></time>`,
	} {
		var el xmpp.Element
		if raw != "" {
			el = fake.Element(t, raw)
		}
		_, _, err := parse(el)
		me := fake.RequireMalformed(t, err, "XEP-0202", "parse(%q)", raw)
		require.Equal(t, raw, me.Raw)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(`<time xmlns='urn:xmpp:time'><tzo>-06:00</tzo><utc>2006-12-19T17:58:35Z</utc></time>`)
	f.Fuzz(func(t *testing.T, raw string) {
		el, err := xmpp.ParseElement(raw)
		if err != nil {
			return
		}
		parse(el)
	})
}
