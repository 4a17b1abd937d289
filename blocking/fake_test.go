package blocking_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/blocking"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

// TestPushes: block list pushes are accepted from the account (no from, or
// its bare JID) and answered with a result; from anybody else, or
// malformed, they get an error and the hook never hears of them.
func TestPushes(t *testing.T) {
	t.Parallel()
	changes := make(chan blocking.Change, 16)
	mux := xmpp.NewMux()
	blocking.Register(mux, func(_ xmpp.Session, ch blocking.Change) { changes <- ch })
	_, s := fake.Start(t, "alice@example.test/phone", &xmpp.Options{Handler: mux})
	ctx := t.Context()

	for _, tc := range []struct {
		name, from, payload string
		cond                xmpp.StanzaCondition // "" for a result
	}{
		{"stranger", "mallory@evil.test", `<block xmlns='urn:xmpp:blocking'><item jid='bob@example.test'/></block>`, xmpp.ErrServiceUnavailable},
		{"other resource", "alice@example.test/desktop", `<block xmlns='urn:xmpp:blocking'><item jid='bob@example.test'/></block>`, xmpp.ErrServiceUnavailable},
		{"domain", "example.test", `<unblock xmlns='urn:xmpp:blocking'/>`, xmpp.ErrServiceUnavailable},
		{"malformed", "", `<block xmlns='urn:xmpp:blocking'/>`, xmpp.ErrBadRequest},
		{"bad jid", "", `<block xmlns='urn:xmpp:blocking'><item jid='a@@b'/></block>`, xmpp.ErrBadRequest},
		{"no from", "", `<block xmlns='urn:xmpp:blocking'><item jid='bob@example.test'/></block>`, ""},
		{"bare JID", "alice@example.test", `<unblock xmlns='urn:xmpp:blocking'/>`, ""},
	} {
		from := ""
		if tc.from != "" {
			from = " from='" + tc.from + "'"
		}
		s.Send(`<iq type='set' id='push-` + tc.name + `'` + from + `>` + tc.payload + `</iq>`)
		reply := s.ExpectIQ(ctx, 0, "", "")
		require.Equal(t, "push-"+tc.name, reply.ID, tc.name)
		if tc.cond == "" {
			require.Equal(t, xmpp.IQResult, reply.Type, tc.name)
			continue
		}
		require.Equal(t, xmpp.IQError, reply.Type, tc.name)
		require.Equal(t, tc.cond, reply.Error.Condition, tc.name)
	}
	require.Len(t, changes, 2, "only the two pushes from the account reach the hook")
	ch := <-changes
	require.True(t, ch.Block)
	require.Equal(t, []string{"bob@example.test"}, strs(ch.JIDs))
	ch = <-changes
	require.False(t, ch.Block)
	require.Empty(t, ch.JIDs)
}

func TestListBlockUnblock(t *testing.T) {
	t.Parallel()
	c, s := fake.Start(t, "alice@example.test/phone", nil)
	ctx := t.Context()
	type res struct {
		jids []xmpp.JID
		err  error
	}
	out := make(chan res, 1)

	go func() { j, err := blocking.List(ctx, c); out <- res{j, err} }()
	iq := s.ExpectIQ(ctx, xmpp.IQGet, blocking.NS, "blocklist")
	s.Send(fake.Result(iq, `<blocklist xmlns='urn:xmpp:blocking'><item jid='romeo@montague.net'/><item jid='iago@shakespeare.lit'/></blocklist>`))
	r := <-out
	require.NoError(t, r.err)
	require.Equal(t, []string{"romeo@montague.net", "iago@shakespeare.lit"}, strs(r.jids))

	go func() { j, err := blocking.List(ctx, c); out <- res{j, err} }()
	iq = s.ExpectIQ(ctx, xmpp.IQGet, blocking.NS, "blocklist")
	s.Send(fake.Result(iq, `<blocklist xmlns='urn:xmpp:blocking'><item jid='@bad'/></blocklist>`))
	r = <-out
	fake.RequireMalformed(t, r.err, "XEP-0191", "List of a bad item")

	go func() { j, err := blocking.List(ctx, c); out <- res{j, err} }()
	iq = s.ExpectIQ(ctx, xmpp.IQGet, blocking.NS, "blocklist")
	s.Send(fake.Result(iq, ""))
	r = <-out
	fake.RequireMalformed(t, r.err, "XEP-0191", "empty result")

	errc := make(chan error, 1)
	go func() { errc <- blocking.Block(ctx, c, xmpp.MustParseJID("romeo@montague.net")) }()
	iq = s.ExpectIQ(ctx, xmpp.IQSet, blocking.NS, "block")
	require.Equal(t, `<block xmlns='urn:xmpp:blocking'><item jid='romeo@montague.net'/></block>`, iq.Payload.Raw)
	s.Send(fake.Result(iq, ""))
	require.NoError(t, <-errc)

	go func() { errc <- blocking.Unblock(ctx, c) }()
	iq = s.ExpectIQ(ctx, xmpp.IQSet, blocking.NS, "unblock")
	require.Equal(t, `<unblock xmlns='urn:xmpp:blocking'></unblock>`, iq.Payload.Raw)
	s.Send(fake.Result(iq, ""))
	require.NoError(t, <-errc)

	fake.RequireMalformed(t, blocking.Block(ctx, c), "XEP-0191", "Block with no JIDs")
}
