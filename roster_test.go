package xmpp

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const featRosterVer = "<ver xmlns='urn:xmpp:features:rosterver'/>"

// imSession logs in to a fake server that offers extraFeatures after SASL,
// with a Mux wired into the client, and runs script after binding.
func imSession(t *testing.T, mux *Mux, extraFeatures string, script func(s *fakeServer)) (*Client, *fakeServer) {
	t.Helper()
	opts := testOptions(t)
	opts.Handler = mux
	return connect(t, opts, func(s *fakeServer) {
		s.open(featStartTLS)
		s.startTLS()
		s.open(featMechs("PLAIN"))
		s.authPLAIN()
		s.open(featBind + extraFeatures)
		s.bind()
		script(s)
	})
}

// expectIQ reads an IQ of type typ whose payload contains want.
func (s *fakeServer) expectIQ(typ IQType, want ...string) *fsElement {
	e := s.expect(NSClient, "iq")
	if e.attr("type") != typ.String() {
		s.fail("want IQ %s, got %v %s", typ, e.Attrs, e.Inner)
	}
	for _, w := range want {
		if !strings.Contains(e.Inner, w) {
			s.fail("IQ payload %s lacks %s", e.Inner, w)
		}
	}
	return e
}

// await waits for the test to close step, or fails the script.
func (s *fakeServer) await(step <-chan struct{}) {
	select {
	case <-step:
	case <-time.After(5 * time.Second):
		s.fail("test did not reach the next step")
	}
}

// changes records OnChange calls.
type changes struct {
	mu    sync.Mutex
	items []RosterItem
}

func (c *changes) add(it RosterItem) {
	c.mu.Lock()
	c.items = append(c.items, it)
	c.mu.Unlock()
}

func (c *changes) get() []RosterItem {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]RosterItem(nil), c.items...)
}

func TestParseRosterQuery(t *testing.T) {
	t.Parallel()
	el := mustElement(t, `<query xmlns='jabber:iq:roster' ver='v7'>
		<item jid='bob@example.test' name='Bob' subscription='both' approved='true'><group>Friends</group><group>Work</group><group>Friends</group></item>
		<item jid='carol@example.test' ask='subscribe'/>
		<item jid='dave@example.test' subscription='bogus' ask='bogus'/>
		<item jid='eve@example.test' subscription='remove'/>
	</query>`)
	ver, items, err := parseRosterQuery(el)
	require.NoError(t, err)
	require.NotNil(t, ver)
	require.Equal(t, "v7", *ver)
	require.Equal(t, []RosterItem{
		{JID: MustParseJID("bob@example.test"), Name: "Bob", Subscription: SubscriptionBoth, Groups: []string{"Friends", "Work"}, Approved: true},
		{JID: MustParseJID("carol@example.test"), Subscription: SubscriptionNone, Ask: "subscribe"},
		{JID: MustParseJID("dave@example.test"), Subscription: SubscriptionNone},
		{JID: MustParseJID("eve@example.test"), Subscription: SubscriptionRemove},
	}, items)

	ver, items, err = parseRosterQuery(mustElement(t, `<query xmlns='jabber:iq:roster'/>`))
	require.NoError(t, err)
	require.Nil(t, ver, "ver of a query without ver")
	require.Empty(t, items)

	for _, bad := range []string{
		`<query xmlns='jabber:iq:other'/>`,
		`<query xmlns='jabber:iq:roster'><item jid='@bad'/></query>`,
	} {
		_, _, err := parseRosterQuery(mustElement(t, bad))
		require.ErrorIs(t, err, ErrMalformed, "parseRosterQuery(%s)", bad)
		me, ok := errors.AsType[*MalformedError](err)
		require.True(t, ok, "parseRosterQuery(%s) = %v (%T), want a *MalformedError", bad, err, err)
		require.Equal(t, "RFC 6121", me.Spec, "parseRosterQuery(%s)", bad)
		require.Equal(t, bad, me.Raw, "parseRosterQuery(%s)", bad)
	}
}

// TestRosterFetchVersionedAndPushes fetches a roster from a server that
// supports versioning, applies pushes, refuses spoofed ones, and fetches
// again with the cached version, getting "unchanged" and then a push.
func TestRosterFetchVersionedAndPushes(t *testing.T) {
	t.Parallel()
	mux := NewMux()
	r := NewRoster(mux)
	var ch changes
	r.OnChange = ch.add
	bob, carol := MustParseJID("bob@example.test"), MustParseJID("carol@example.test")
	fetched := make(chan struct{})
	pushesDone := make(chan struct{})
	refetched := make(chan struct{})
	pushed := make(chan struct{})
	c, srv := imSession(t, mux, featRosterVer, func(s *fakeServer) {
		get := s.expectIQ(IQGet, NSRoster, `ver=""`)
		s.send("<iq type='result' id='" + get.attr("id") + "'><query xmlns='jabber:iq:roster' ver='v1'>" +
			"<item jid='bob@example.test' name='Bob' subscription='to'><group>Friends</group></item></query></iq>")
		s.await(fetched)

		for _, tc := range []struct {
			from, item string
			reply      StanzaCondition
			ver        string
		}{
			// Spoofed: from another user, the domain, or the account's own
			// full JID; each answered with an error and not applied.
			{"mallory@example.test/x", "<item jid='mallory@example.test' subscription='both'/>", ErrServiceUnavailable, ""},
			{"example.test", "<item jid='bob@example.test' subscription='remove'/>", ErrServiceUnavailable, ""},
			{testJID + "/other", "<item jid='bob@example.test' subscription='remove'/>", ErrServiceUnavailable, ""},
			// Valid: no from, and the account's bare JID.
			{"", "<item jid='bob@example.test' name='Bobby' subscription='both'/>", "", "v2"},
			{testJID, "<item jid='carol@example.test' ask='subscribe' subscription='none'/>", "", "v3"},
			// Two items in one push is a bad request (RFC 6121 §2.1.6).
			{"", "<item jid='x@example.test'/><item jid='y@example.test'/>", ErrBadRequest, ""},
		} {
			from := ""
			if tc.from != "" {
				from = " from='" + tc.from + "'"
			}
			ver := ""
			if tc.ver != "" {
				ver = " ver='" + tc.ver + "'"
			}
			s.send("<iq type='set' id='push-" + tc.ver + "'" + from + "><query xmlns='jabber:iq:roster'" + ver + ">" + tc.item + "</query></iq>")
			reply := s.expect(NSClient, "iq")
			if tc.reply == "" {
				if reply.attr("type") != IQResult.String() || strings.TrimSpace(reply.Inner) != "" {
					s.fail("push from %q: reply %v %s, want empty result", tc.from, reply.Attrs, reply.Inner)
				}
			} else if reply.attr("type") != IQError.String() || !strings.Contains(reply.Inner, "<"+string(tc.reply)) {
				s.fail("push from %q: reply %v %s, want %s", tc.from, reply.Attrs, reply.Inner, tc.reply)
			}
		}
		close(pushesDone)

		// Second fetch: unchanged, then a push with the change.
		get = s.expectIQ(IQGet, NSRoster, `ver="v3"`)
		s.send("<iq type='result' id='" + get.attr("id") + "'/>")
		s.await(refetched)
		s.send("<iq type='set' id='push4'><query xmlns='jabber:iq:roster' ver='v4'><item jid='carol@example.test' subscription='remove'/></query></iq>")
		s.expectIQ(IQResult)
		close(pushed)
		s.closeStream()
	})

	require.NoError(t, r.Fetch(testCtx(t), c))
	require.Equal(t, "v1", r.Version())
	require.Equal(t, []RosterItem{{JID: bob, Name: "Bob", Subscription: SubscriptionTo, Groups: []string{"Friends"}}}, r.Items())
	close(fetched)

	awaitStep(t, pushesDone, srv)
	require.Equal(t, "v3", r.Version())
	it, ok := r.Item(bob)
	require.True(t, ok)
	require.Equal(t, RosterItem{JID: bob, Name: "Bobby", Subscription: SubscriptionBoth}, it)
	it, ok = r.Item(MustParseJID("carol@example.test/phone"))
	require.True(t, ok, "Item by full JID")
	require.Equal(t, "subscribe", it.Ask)
	_, ok = r.Item(MustParseJID("mallory@example.test"))
	require.False(t, ok, "spoofed push applied")
	require.Len(t, r.Items(), 2)

	require.NoError(t, r.Fetch(testCtx(t), c))
	require.Len(t, r.Items(), 2, "unchanged roster")
	close(refetched)
	awaitStep(t, pushed, srv)
	require.Equal(t, "v4", r.Version())
	_, ok = r.Item(carol)
	require.False(t, ok, "carol after remove push")

	var got []string
	for _, it := range ch.get() {
		got = append(got, it.JID.String()+":"+it.Subscription)
	}
	require.Equal(t, []string{"bob@example.test:to", "bob@example.test:both", "carol@example.test:none", "carol@example.test:remove"}, got)
}

// TestRosterFetchWithoutVersioning checks that no ver is sent to a server
// that does not advertise rosterver, and that a full result replaces the
// cache, reporting removed items.
func TestRosterFetchWithoutVersioning(t *testing.T) {
	t.Parallel()
	mux := NewMux()
	r := NewRoster(mux)
	var ch changes
	r.OnChange = ch.add
	c, _ := imSession(t, mux, "", func(s *fakeServer) {
		get := s.expectIQ(IQGet, NSRoster)
		if strings.Contains(get.Inner, "ver=") {
			s.fail("roster get with ver to a server without rosterver: %s", get.Inner)
		}
		s.send("<iq type='result' id='" + get.attr("id") + "'><query xmlns='jabber:iq:roster'>" +
			"<item jid='bob@example.test'/><item jid='carol@example.test'/></query></iq>")
		get = s.expectIQ(IQGet, NSRoster)
		s.send("<iq type='result' id='" + get.attr("id") + "'><query xmlns='jabber:iq:roster'>" +
			"<item jid='carol@example.test'/></query></iq>")
		s.closeStream()
	})
	require.NoError(t, r.Fetch(testCtx(t), c))
	require.Len(t, r.Items(), 2)
	require.Empty(t, r.Version())
	require.NoError(t, r.Fetch(testCtx(t), c))
	require.Equal(t, []RosterItem{{JID: MustParseJID("carol@example.test"), Subscription: SubscriptionNone}}, r.Items())
	got := ch.get()
	require.Len(t, got, 3)
	require.Equal(t, RosterItem{JID: MustParseJID("bob@example.test"), Subscription: SubscriptionRemove}, got[2])
}

// TestRosterPushDuringFetch checks that a push the server sends right
// after a full roster is not lost, whichever of the two the client
// processes first.
func TestRosterPushDuringFetch(t *testing.T) {
	t.Parallel()
	mux := NewMux()
	r := NewRoster(mux)
	pushed := make(chan struct{})
	c, srv := imSession(t, mux, featRosterVer, func(s *fakeServer) {
		get := s.expectIQ(IQGet, NSRoster)
		s.send("<iq type='result' id='" + get.attr("id") + "'><query xmlns='jabber:iq:roster' ver='1'><item jid='bob@example.test'/></query></iq>" +
			"<iq type='set' id='p'><query xmlns='jabber:iq:roster' ver='2'><item jid='carol@example.test'/></query></iq>")
		s.expectIQ(IQResult) // the push was applied
		close(pushed)
		s.closeStream()
	})
	require.NoError(t, r.Fetch(testCtx(t), c))
	awaitStep(t, pushed, srv)
	require.Len(t, r.Items(), 2, "items after Fetch and push")
	// Whichever was processed last; both are versions the server knows.
	require.Contains(t, []string{"1", "2"}, r.Version())
}

func TestRosterSetAndRemove(t *testing.T) {
	t.Parallel()
	mux := NewMux()
	r := NewRoster(mux)
	c, _ := imSession(t, mux, "", func(s *fakeServer) {
		set := s.expectIQ(IQSet, NSRoster, `jid="bob@example.test"`, `name="Bob &amp; co"`, "<group>Friends</group>", "<group>Work</group>")
		if strings.Contains(set.Inner, "subscription") || strings.Contains(set.Inner, "ask") || strings.Contains(set.Inner, "approved") {
			s.fail("roster set sends server-owned attributes: %s", set.Inner)
		}
		s.send("<iq type='result' id='" + set.attr("id") + "'/>")
		rm := s.expectIQ(IQSet, NSRoster, `jid="bob@example.test"`, `subscription="remove"`)
		s.send("<iq type='error' id='" + rm.attr("id") + "'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>")
		s.closeStream()
	})
	bob := MustParseJID("bob@example.test")
	require.NoError(t, r.Set(testCtx(t), c, RosterItem{JID: bob, Name: "Bob & co", Groups: []string{"Friends", "Work"},
		Subscription: SubscriptionBoth, Ask: "subscribe", Approved: true}))
	err := r.Remove(testCtx(t), c, bob)
	var se *StanzaError
	require.True(t, errors.As(err, &se), "Remove error %v is not a *StanzaError", err)
	require.Equal(t, ErrItemNotFound, se.Condition)
}
