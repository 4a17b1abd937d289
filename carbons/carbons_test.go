package carbons_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/carbons"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

var account = xmpp.MustParseJID("romeo@montague.example/garden")

// carbon returns a carbon of direction dir ("received" or "sent") with the
// given outer from, wrapping a chat message.
func carbon(from, dir string) string {
	return `<message xmlns='jabber:client' from='` + from + `' to='romeo@montague.example/garden' type='chat'>` +
		`<` + dir + ` xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>` +
		`<message xmlns='jabber:client' from='juliet@capulet.example/balcony' to='romeo@montague.example/home' type='chat' id='m1'>` +
		`<body>Wherefore art thou, Romeo?</body><thread>0e3141cd80894871a68e6fe6b1ec56fa</thread></message>` +
		`</forwarded></` + dir + `></message>`
}

func TestUnwrap(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		dir  string
		want carbons.Direction
	}{{"received", carbons.Received}, {"sent", carbons.Sent}} {
		cb, err := carbons.Unwrap(fake.Message(t, carbon("romeo@montague.example", tc.dir)), account)
		require.NoError(t, err, tc.dir)
		require.Equal(t, tc.want, cb.Direction)
		require.Equal(t, tc.dir, cb.Direction.String())
		require.Equal(t, "juliet@capulet.example/balcony", cb.Message.From.String())
		require.Equal(t, "m1", cb.Message.ID)
		require.Equal(t, "Wherefore art thou, Romeo?", cb.Message.Body)
		require.Nil(t, cb.Delay)
	}
}

// TestForged is the CVE-2017-5589 class: a carbon whose outer from is not
// the account's bare JID must be ignored, whoever sent it.
func TestForged(t *testing.T) {
	t.Parallel()
	for _, from := range []string{
		"juliet@capulet.example/balcony", // the contact herself
		"mallory@evil.example",           // anyone
		"romeo@montague.example/home",    // the account's full JID, as a client could send it
		"montague.example",               // the domain
		"",                               // no from
	} {
		for _, dir := range []string{"received", "sent"} {
			m := fake.Message(t, carbon(from, dir))
			_, err := carbons.Unwrap(m, account)
			require.ErrorIs(t, err, carbons.ErrForged, "Unwrap(from=%q, %s)", from, dir)
			_, ok := carbons.From(m, account)
			require.False(t, ok)
		}
	}
	_, err := carbons.Unwrap(fake.Message(t, carbon("romeo@montague.example", "sent")), xmpp.JID{})
	require.ErrorIs(t, err, carbons.ErrForged, "no account")
}

func TestNotCarbonOrMalformed(t *testing.T) {
	t.Parallel()
	_, err := carbons.Unwrap(fake.Message(t, `<message from='juliet@capulet.example/balcony'><body>hi</body></message>`), account)
	require.ErrorIs(t, err, carbons.ErrNotCarbon)
	_, err = carbons.Unwrap(fake.Message(t, `<message from='romeo@montague.example'><private xmlns='urn:xmpp:carbons:2'/></message>`), account)
	require.ErrorIs(t, err, carbons.ErrNotCarbon)

	for _, raw := range []string{
		`<message from='romeo@montague.example'><sent xmlns='urn:xmpp:carbons:2'/></message>`,
		`<message from='romeo@montague.example'><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'/></sent></message>`,
		`<message from='romeo@montague.example'><received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' to='a@@b'/></forwarded></received></message>`,
		`<message from='romeo@montague.example'><received xmlns='urn:xmpp:carbons:2'><message xmlns='jabber:client'/></received></message>`,
	} {
		_, err := carbons.Unwrap(fake.Message(t, raw), account)
		fake.RequireMalformed(t, err, "XEP-0280", "Unwrap(%s)", raw)
	}
}

func TestAddPrivate(t *testing.T) {
	t.Parallel()
	m := &xmpp.Message{Body: "secret"}
	require.False(t, carbons.HasPrivate(m))
	carbons.AddPrivate(m)
	carbons.AddPrivate(m)
	require.True(t, carbons.HasPrivate(m))
	require.Len(t, m.Extensions, 2)
	require.Equal(t, `<private xmlns='urn:xmpp:carbons:2'/>`, m.Extensions[0].Raw)
	require.Equal(t, `<no-copy xmlns='urn:xmpp:hints'/>`, m.Extensions[1].Raw)
}

// FuzzUnwrap: whatever a message holds, Unwrap classifies it without
// panicking, and accepts only carbons from the account's bare JID.
func FuzzUnwrap(f *testing.F) {
	f.Add(carbon("romeo@montague.example", "received"))
	f.Add(carbon("romeo@montague.example", "sent"))
	f.Add(carbon("mallory@evil.example", "sent"))
	f.Add(`<message from='romeo@montague.example'><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client'><sent xmlns='urn:xmpp:carbons:2'/></message></forwarded></sent></message>`)
	f.Fuzz(func(t *testing.T, raw string) {
		d := xmpp.NewDecoder(strings.NewReader("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>" + raw))
		v, err := d.Next()
		m, ok := v.(*xmpp.Message)
		if err != nil || !ok {
			return
		}
		cb, err := carbons.Unwrap(m, account)
		if err != nil {
			return
		}
		if m.From != account.Bare() || cb.Message == nil || (cb.Direction != carbons.Received && cb.Direction != carbons.Sent) {
			t.Fatalf("Unwrap accepted %q: %+v", raw, cb)
		}
	})
}
