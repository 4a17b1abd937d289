package delay_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/delay"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

func TestStamps(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"2002-09-10T23:08:25Z", time.Date(2002, 9, 10, 23, 8, 25, 0, time.UTC)},
		{"2002-09-10T23:08:25.123Z", time.Date(2002, 9, 10, 23, 8, 25, 123e6, time.UTC)},
		{"2002-09-10T16:08:25-07:00", time.Date(2002, 9, 10, 23, 8, 25, 0, time.UTC)},
		{"1969-07-21T02:56:15+00:00", time.Date(1969, 7, 21, 2, 56, 15, 0, time.UTC)},
	} {
		got, err := delay.ParseStamp(tc.in)
		require.NoError(t, err, "ParseStamp(%q)", tc.in)
		require.True(t, tc.want.Equal(got), "ParseStamp(%q) = %v, want %v", tc.in, got, tc.want)
	}
	for _, bad := range []string{
		"", "2002-09-10", "2002-09-10 23:08:25Z", "2002-09-10t23:08:25z", "2002-09-10T23:08:25",
		"20020910T23:08:25", "2002-13-10T23:08:25Z", "2002-09-10T23:08:25+0700", "yesterday",
	} {
		_, err := delay.ParseStamp(bad)
		fake.RequireMalformed(t, err, "XEP-0082", "ParseStamp(%q)", bad)
	}
	require.Equal(t, "2002-09-10T23:08:25Z", delay.FormatStamp(time.Date(2002, 9, 10, 16, 8, 25, 0, time.FixedZone("PDT", -7*3600))))
	require.Equal(t, "2002-09-10T23:08:25.5Z", delay.FormatStamp(time.Date(2002, 9, 10, 23, 8, 25, 5e8, time.UTC)))
}

func TestElement(t *testing.T) {
	t.Parallel()
	d := delay.Delay{Stamp: time.Date(2002, 9, 10, 23, 8, 25, 0, time.UTC), From: xmpp.MustParseJID("capulet.com"), Reason: "Offline <Storage> & more"}
	el, err := d.Element()
	require.NoError(t, err)
	require.Equal(t, `<delay xmlns="urn:xmpp:delay" from="capulet.com" stamp="2002-09-10T23:08:25Z">Offline &lt;Storage&gt; &amp; more</delay>`, el.Raw)
	got, err := delay.Parse(el)
	require.NoError(t, err)
	require.True(t, d.Stamp.Equal(got.Stamp))
	require.Equal(t, d.From, got.From)
	require.Equal(t, d.Reason, got.Reason)

	el, err = delay.Delay{Stamp: d.Stamp}.Element()
	require.NoError(t, err)
	require.Equal(t, `<delay xmlns="urn:xmpp:delay" stamp="2002-09-10T23:08:25Z"></delay>`, el.Raw)
	_, err = delay.Delay{}.Element()
	fake.RequireMalformed(t, err, "XEP-0203", "delay.Delay{}.Element()")
}

func TestFrom(t *testing.T) {
	t.Parallel()
	m := fake.Message(t, `<message from='romeo@montague.net/orchard'><body>x</body>`+
		`<delay xmlns='urn:xmpp:delay' from='capulet.com' stamp='2002-09-10T23:08:25Z'>Offline Storage</delay></message>`)
	d, ok := delay.From(m)
	require.True(t, ok)
	require.Equal(t, "capulet.com", d.From.String())
	require.Equal(t, "Offline Storage", d.Reason)
	require.Equal(t, "2002-09-10T23:08:25Z", delay.FormatStamp(d.Stamp))

	for _, raw := range []string{
		`<message><delay xmlns='urn:xmpp:delay'/></message>`,
		`<message><delay xmlns='urn:xmpp:delay' stamp='bogus'/></message>`,
		`<message><delay xmlns='urn:xmpp:delay' stamp='2002-09-10T23:08:25Z' from='a@@b'/></message>`,
		`<message><x xmlns='jabber:x:delay' stamp='20020910T23:08:25'/></message>`,
		`<message/>`,
	} {
		_, ok := delay.From(fake.Message(t, raw))
		require.False(t, ok, "From(%s)", raw)
	}
	_, err := delay.Parse(fake.Element(t, `<delay xmlns='urn:xmpp:delay' stamp='2002-09-10T23:08:25Z' from='a@@b'/>`))
	fake.RequireMalformed(t, err, "XEP-0203", "delay.Parse(fake.Element(t, `<delay xmlns='urn:xmpp:delay' stamp='2002-09-10T23:08:25Z' from='a@@b'/>`))")
	_, err = delay.Parse(fake.Element(t, `<x xmlns='jabber:x:delay' stamp='2002-09-10T23:08:25Z'/>`))
	fake.RequireMalformed(t, err, "XEP-0203", "delay.Parse(fake.Element(t, `<x xmlns='jabber:x:delay' stamp='2002-09-10T23:08:25Z'/>`))")
}
