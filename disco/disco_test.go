package disco

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

func get(t *testing.T, mux *xmpp.Mux, payload string) (*xmpp.IQ, error) {
	t.Helper()
	return mux.OnIQ(nil, &xmpp.IQ{Header: xmpp.Header{ID: "q1"}, Type: xmpp.IQGet, Payload: fake.Element(t, payload)})
}

func TestRegisterAnswersInfoWithMuxFeatures(t *testing.T) {
	t.Parallel()
	mux := xmpp.NewMux()
	mux.HandleIQ(xmpp.IQGet, "urn:xmpp:ping", "ping", func(xmpp.Session, *xmpp.IQ) (*xmpp.IQ, error) { return &xmpp.IQ{}, nil })
	Register(mux, Identity{Category: "client", Type: "bot", Name: "Bot <&'\">", Lang: "en"})
	// Registered after disco: still reported.
	mux.HandleIQ(xmpp.IQGet, "urn:xmpp:time", "time", func(xmpp.Session, *xmpp.IQ) (*xmpp.IQ, error) { return &xmpp.IQ{}, nil })

	r, err := get(t, mux, `<query xmlns='http://jabber.org/protocol/disco#info'/>`)
	require.NoError(t, err)
	require.Equal(t, `<query xmlns='http://jabber.org/protocol/disco#info'>`+
		`<identity category='client' type='bot' name='Bot &lt;&amp;&#39;&#34;&gt;' xml:lang='en'/>`+
		`<feature var='http://jabber.org/protocol/disco#info'/>`+
		`<feature var='http://jabber.org/protocol/disco#items'/>`+
		`<feature var='urn:xmpp:ping'/>`+
		`<feature var='urn:xmpp:time'/>`+
		`</query>`, r.Payload.Raw)
	require.Empty(t, r.Type, "the session fills in type result")

	info, err := parseInfo(r.Payload)
	require.NoError(t, err)
	require.Equal(t, []Identity{{Category: "client", Type: "bot", Name: `Bot <&'">`, Lang: "en"}}, info.Identities)
	require.True(t, info.HasFeature("urn:xmpp:time"))
	require.True(t, info.HasIdentity("client", "bot"))
	require.False(t, info.HasIdentity("client", "pc"))
}

func TestRegisterDefaultIdentityAndItems(t *testing.T) {
	t.Parallel()
	mux := xmpp.NewMux()
	h := Register(mux)
	require.Equal(t, Info{
		Identities: []Identity{defaultIdentity},
		Features:   []string{NSInfo, NSItems},
	}, h.Info())
	require.Equal(t, []string{NSInfo, NSItems}, mux.Features())

	r, err := get(t, mux, `<query xmlns='http://jabber.org/protocol/disco#items'/>`)
	require.NoError(t, err)
	require.Equal(t, `<query xmlns='http://jabber.org/protocol/disco#items'/>`, r.Payload.Raw)
}

func TestRegisterNodes(t *testing.T) {
	t.Parallel()
	mux := xmpp.NewMux()
	h := Register(mux)
	for _, ns := range []string{NSInfo, NSItems} {
		_, err := get(t, mux, `<query xmlns='`+ns+`' node='https://gojabber.example#abc'/>`)
		var se *xmpp.StanzaError
		require.True(t, errors.As(err, &se), "unknown node: error %v, want a *StanzaError", err)
		require.Equal(t, xmpp.ErrItemNotFound, se.Condition)
		require.Equal(t, xmpp.ErrorTypeCancel, se.Type)
	}
	h.AddNode("https://gojabber.example#abc")
	r, err := get(t, mux, `<query xmlns='http://jabber.org/protocol/disco#info' node='https://gojabber.example#abc'/>`)
	require.NoError(t, err)
	require.Equal(t, `<query xmlns='http://jabber.org/protocol/disco#info' node='https://gojabber.example#abc'>`+
		`<identity category='client' type='pc'/>`+
		`<feature var='http://jabber.org/protocol/disco#info'/>`+
		`<feature var='http://jabber.org/protocol/disco#items'/>`+
		`</query>`, r.Payload.Raw)
	r, err = get(t, mux, `<query xmlns='http://jabber.org/protocol/disco#items' node='https://gojabber.example#abc'/>`)
	require.NoError(t, err)
	require.Equal(t, `<query xmlns='http://jabber.org/protocol/disco#items' node='https://gojabber.example#abc'/>`, r.Payload.Raw)
}

func TestInfoElementRoundTrip(t *testing.T) {
	t.Parallel()
	form := fake.Element(t, `<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field></x>`)
	in := Info{
		Identities: []Identity{{Category: "client", Type: "pc", Name: "Psi 0.11", Lang: "en"}, {Category: "client", Type: "pc", Name: "Ψ 0.11", Lang: "el"}},
		Features:   []string{"urn:b", "urn:a"},
		Forms:      []xmpp.Element{form},
	}
	el, err := in.Element("n")
	require.NoError(t, err)
	require.Equal(t, "n", el.Attr("node"))
	out, err := parseInfo(el)
	require.NoError(t, err)
	require.Equal(t, in.Identities, out.Identities)
	require.Equal(t, in.Features, out.Features)
	require.Len(t, out.Forms, 1)
	require.Equal(t, form.Name, out.Forms[0].Name)
	require.Equal(t, form.Raw, out.Forms[0].Raw)
}

func TestParseInfo(t *testing.T) {
	t.Parallel()
	// Prosody's answer for its host, trimmed; prefixed namespaces, an
	// unknown child and a form all parse.
	info, err := parseInfo(fake.Element(t, `<d:query xmlns:d='http://jabber.org/protocol/disco#info'>`+
		`<d:identity category='server' type='im' name='Prosody'/>`+
		`<d:feature var='urn:xmpp:ping'/><other xmlns='urn:example'/>`+
		`<x xmlns='jabber:x:data' type='result'/>`+
		`</d:query>`))
	require.NoError(t, err)
	require.Equal(t, []Identity{{Category: "server", Type: "im", Name: "Prosody"}}, info.Identities)
	require.Equal(t, []string{"urn:xmpp:ping"}, info.Features)
	require.Len(t, info.Forms, 1)
	require.Equal(t, `<x xmlns='jabber:x:data' type='result'/>`, info.Forms[0].Raw)
}

func TestParseMalformed(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		raw   string // "" for no payload
		items bool
	}{
		{name: "no-payload"},
		{name: "wrong-namespace", raw: `<query xmlns='http://jabber.org/protocol/disco#items'/>`},
		{name: "wrong-name", raw: `<info xmlns='http://jabber.org/protocol/disco#info'/>`},
		{name: "identity-without-category", raw: `<query xmlns='http://jabber.org/protocol/disco#info'><identity type='pc'/></query>`},
		{name: "identity-without-type", raw: `<query xmlns='http://jabber.org/protocol/disco#info'><identity category='client'/></query>`},
		{name: "feature-without-var", raw: `<query xmlns='http://jabber.org/protocol/disco#info'><feature/></query>`},
		{name: "items-no-payload", items: true},
		{name: "items-wrong-namespace", raw: `<query xmlns='http://jabber.org/protocol/disco#info'/>`, items: true},
		{name: "item-without-jid", raw: `<query xmlns='http://jabber.org/protocol/disco#items'><item name='x'/></query>`, items: true},
		{name: "item-bad-jid", raw: `<query xmlns='http://jabber.org/protocol/disco#items'><item jid='a@b@c'/></query>`, items: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var el xmpp.Element
			if tc.raw != "" {
				el = fake.Element(t, tc.raw)
			}
			var err error
			if tc.items {
				_, err = parseItems(el)
			} else {
				_, err = parseInfo(el)
			}
			me := fake.RequireMalformed(t, err, "XEP-0030", "parse(%q)", tc.raw)
			require.Equal(t, tc.raw, me.Raw)
		})
	}
}

func TestParseItems(t *testing.T) {
	t.Parallel()
	items, err := parseItems(fake.Element(t, `<query xmlns='http://jabber.org/protocol/disco#items'>`+
		`<item jid='conference.localhost' name='Chatrooms'/>`+
		`<item jid='pubsub.localhost' node='n1'/><other xmlns='urn:x'/>`+
		`</query>`))
	require.NoError(t, err)
	require.Equal(t, []Item{
		{JID: xmpp.MustParseJID("conference.localhost"), Name: "Chatrooms"},
		{JID: xmpp.MustParseJID("pubsub.localhost"), Node: "n1"},
	}, items)

	items, err = parseItems(fake.Element(t, `<query xmlns='http://jabber.org/protocol/disco#items'/>`))
	require.NoError(t, err)
	require.NotNil(t, items)
	require.Empty(t, items)
}

func FuzzParse(f *testing.F) {
	f.Add(`<query xmlns='http://jabber.org/protocol/disco#info'><identity category='a' type='b'/><feature var='c'/></query>`)
	f.Add(`<query xmlns='http://jabber.org/protocol/disco#items'><item jid='a@b/c' node='n'/></query>`)
	f.Fuzz(func(t *testing.T, raw string) {
		el, err := xmpp.ParseElement(raw)
		if err != nil {
			return
		}
		parseInfo(el)
		parseItems(el)
	})
}
