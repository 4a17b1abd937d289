package blocking_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/blocking"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

func TestChangeElement(t *testing.T) {
	t.Parallel()
	el, err := blocking.Change{Block: true, JIDs: []xmpp.JID{
		xmpp.MustParseJID("romeo@montague.net"),
		xmpp.MustParseJID("iago@shakespeare.lit/a'b<&>\""),
	}}.Element()
	require.NoError(t, err)
	require.Equal(t, `<block xmlns='urn:xmpp:blocking'><item jid='romeo@montague.net'/>`+
		`<item jid='iago@shakespeare.lit/a&apos;b&lt;&amp;&gt;&quot;'/></block>`, el.Raw)
	ch, err := blocking.ParseChange(el)
	require.NoError(t, err)
	require.True(t, ch.Block)
	require.Equal(t, []string{"romeo@montague.net", `iago@shakespeare.lit/a'b<&>"`}, strs(ch.JIDs))

	el, err = blocking.Change{}.Element()
	require.NoError(t, err)
	require.Equal(t, `<unblock xmlns='urn:xmpp:blocking'></unblock>`, el.Raw, "unblock all")
	ch, err = blocking.ParseChange(el)
	require.NoError(t, err)
	require.False(t, ch.Block)
	require.Empty(t, ch.JIDs)

	_, err = blocking.Change{Block: true}.Element()
	fake.RequireMalformed(t, err, "XEP-0191", "block nobody")
	_, err = blocking.Change{Block: true, JIDs: []xmpp.JID{{}}}.Element()
	fake.RequireMalformed(t, err, "XEP-0191", "zero JID")
}

func TestParseChangeRejects(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		`<block xmlns='urn:xmpp:blocking'/>`,
		`<block xmlns='urn:xmpp:blocking'><item/></block>`,
		`<block xmlns='urn:xmpp:blocking'><item jid='a@@b'/></block>`,
		`<unblock xmlns='urn:xmpp:blocking'><item jid=''/></unblock>`,
		`<blocklist xmlns='urn:xmpp:blocking'/>`,
		`<block xmlns='urn:xmpp:blocking:errors'><item jid='a@b'/></block>`,
	} {
		_, err := blocking.ParseChange(fake.Element(t, raw))
		fake.RequireMalformed(t, err, "XEP-0191", "ParseChange(%s)", raw)
	}
	// Items in other namespaces are not items.
	ch, err := blocking.ParseChange(fake.Element(t, `<unblock xmlns='urn:xmpp:blocking'><item xmlns='urn:other' jid='a@@b'/></unblock>`))
	require.NoError(t, err)
	require.Empty(t, ch.JIDs)
}

func TestIsBlocked(t *testing.T) {
	t.Parallel()
	m := fake.Message(t, `<message type='error' from='bob@example.com'><error type='cancel'>`+
		`<not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><blocked xmlns='urn:xmpp:blocking:errors'/></error></message>`)
	require.True(t, blocking.IsBlocked(m.Error))
	require.True(t, blocking.IsBlocked(fmt.Errorf("wrapped: %w", m.Error)))
	require.False(t, blocking.IsBlocked(&xmpp.StanzaError{Condition: xmpp.ErrNotAcceptable}))
	require.False(t, blocking.IsBlocked(nil))
}

func TestRegisterRoutes(t *testing.T) {
	t.Parallel()
	mux := xmpp.NewMux()
	blocking.Register(mux, nil)
	// A blocklist get is not a push; the Mux leaves it unanswered (service-unavailable).
	got, err := mux.OnIQ(nil, &xmpp.IQ{Type: xmpp.IQGet, Payload: fake.Element(t, `<blocklist xmlns='urn:xmpp:blocking'/>`)})
	require.NoError(t, err)
	require.Nil(t, got)
}

func strs(jids []xmpp.JID) []string {
	var s []string
	for _, j := range jids {
		s = append(s, j.String())
	}
	return s
}
