package sid_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/sid"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

func TestElements(t *testing.T) {
	t.Parallel()
	s := sid.StanzaID{ID: "de305d54-75b4-431b-adb2-eb6b9e546013", By: xmpp.MustParseJID("room@muc.example.com")}
	el, err := s.Element()
	require.NoError(t, err)
	require.Equal(t, `<stanza-id xmlns="urn:xmpp:sid:0" id="de305d54-75b4-431b-adb2-eb6b9e546013" by="room@muc.example.com"></stanza-id>`, el.Raw)
	got, err := sid.Parse(el)
	require.NoError(t, err)
	require.Equal(t, s, got)

	o := sid.OriginID{ID: "o'1"}
	el, err = o.Element()
	require.NoError(t, err)
	require.Equal(t, `<origin-id xmlns="urn:xmpp:sid:0" id="o&#39;1"></origin-id>`, el.Raw)
	gotO, err := sid.ParseOrigin(el)
	require.NoError(t, err)
	require.Equal(t, o, gotO)

	_, err = sid.StanzaID{ID: "x"}.Element()
	fake.RequireMalformed(t, err, "XEP-0359", "sid.StanzaID{ID: \"x\"}.Element()")
	_, err = sid.OriginID{}.Element()
	fake.RequireMalformed(t, err, "XEP-0359", "sid.OriginID{}.Element()")
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		`<stanza-id xmlns='urn:xmpp:sid:0' id='x'/>`,
		`<stanza-id xmlns='urn:xmpp:sid:0' by='a@b'/>`,
		`<stanza-id xmlns='urn:xmpp:sid:0' id='x' by='a@@b'/>`,
		`<origin-id xmlns='urn:xmpp:sid:0' id='x'/>`,
	} {
		_, err := sid.Parse(fake.Element(t, raw))
		fake.RequireMalformed(t, err, "XEP-0359", "Parse(%s)", raw)
	}
	_, err := sid.ParseOrigin(fake.Element(t, `<origin-id xmlns='urn:xmpp:sid:0'/>`))
	fake.RequireMalformed(t, err, "XEP-0359", "sid.ParseOrigin(fake.Element(t, `<origin-id xmlns='urn:xmpp:sid:0'/>`))")
}

// TestFromChecksBy is the spoofing rule of XEP-0359 §6: only the stanza-id
// set by the expected entity counts, however many others the message
// carries.
func TestFromChecksBy(t *testing.T) {
	t.Parallel()
	archive := xmpp.MustParseJID("alice@example.com")
	m := fake.Message(t, `<message from='mallory@evil.example/x' to='alice@example.com/phone' id='m1'>`+
		`<stanza-id xmlns='urn:xmpp:sid:0' id='forged' by='room@muc.example.com'/>`+
		`<stanza-id xmlns='urn:xmpp:sid:0' id='bad' by='a@@b'/>`+
		`<stanza-id xmlns='urn:xmpp:sid:0' id='real' by='alice@example.com'/>`+
		`<origin-id xmlns='urn:xmpp:sid:0' id='orig'/></message>`)
	s, ok := sid.From(m, archive)
	require.True(t, ok)
	require.Equal(t, "real", s.ID)
	s, ok = sid.From(m, xmpp.MustParseJID("room@muc.example.com"))
	require.True(t, ok)
	require.Equal(t, "forged", s.ID, "each entity gets its own")

	_, ok = sid.From(m, xmpp.MustParseJID("bob@example.com"))
	require.False(t, ok, "no stanza-id by bob")
	_, ok = sid.From(m, xmpp.MustParseJID("alice@example.com/phone"))
	require.False(t, ok, "a full JID is not the bare archive JID")
	_, ok = sid.From(m, xmpp.JID{})
	require.False(t, ok, "zero by")

	// Two different ids by the same entity: one is forged, and which is
	// unknowable, so neither is returned.
	two := fake.Message(t, `<message from='mallory@example.com/x'>`+
		`<stanza-id xmlns='urn:xmpp:sid:0' id='forged' by='alice@example.com'/>`+
		`<stanza-id xmlns='urn:xmpp:sid:0' id='real' by='alice@example.com'/></message>`)
	_, ok = sid.From(two, archive)
	require.False(t, ok, "ambiguous stanza-ids")
	same := fake.Message(t, `<message><stanza-id xmlns='urn:xmpp:sid:0' id='x' by='alice@example.com'/>`+
		`<stanza-id xmlns='urn:xmpp:sid:0' id='x' by='alice@example.com'/></message>`)
	s, ok = sid.From(same, archive)
	require.True(t, ok, "a repeated identical stanza-id is not ambiguous")
	require.Equal(t, "x", s.ID)

	o, ok := sid.OriginFrom(m)
	require.True(t, ok)
	require.Equal(t, "orig", o.ID)
	_, ok = sid.OriginFrom(fake.Message(t, `<message><body>x</body></message>`))
	require.False(t, ok)
}

func TestOriginIDs(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		id := sid.NewOriginID().ID
		require.GreaterOrEqual(t, len(id), 26, "128 bits of base32")
		require.False(t, seen[id], "duplicate origin-id %s", id)
		seen[id] = true
	}
	m := &xmpp.Message{}
	id := sid.AddOrigin(m)
	require.Equal(t, id, m.ID, "a message without id takes the origin-id")
	id2 := sid.AddOrigin(m)
	require.NotEqual(t, id, id2)
	require.Equal(t, id, m.ID, "an existing id is kept")
	require.Len(t, m.Extensions, 1, "AddOrigin replaces the old origin-id")
	o, _ := sid.OriginFrom(m)
	require.Equal(t, id2, o.ID)
}
