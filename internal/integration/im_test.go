package integration_test

import (
	"crypto/rand"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/xmpptest"
)

// Instant messaging and presence (RFC 6121) against the real servers:
// rosters, subscriptions and presence tracking. Rosters persist on the
// server, so each test registers fresh users and nothing else sees them.

// imClient is a session wired to a Roster and a PresenceTracker through a
// Mux, with channels that see every change they make.
type imClient struct {
	*xmpp.Client
	bare     xmpp.JID
	roster   *xmpp.Roster
	tracker  *xmpp.PresenceTracker
	wire     *wireLog
	items    chan xmpp.RosterItem // Roster.OnChange
	presence chan xmpp.Presence   // PresenceTracker.OnChange
	requests chan *xmpp.Presence  // inbound subscription stanzas
}

// imLogin logs user in to srv with a Roster and a PresenceTracker. roster
// may be a Roster kept from an earlier session of the same user, with the
// Mux it was made with; nil makes new ones.
func imLogin(t *testing.T, srv *xmpptest.Server, user string, mux *xmpp.Mux, roster *xmpp.Roster) *imClient {
	t.Helper()
	if mux == nil {
		mux = xmpp.NewMux()
		roster = xmpp.NewRoster(mux)
	}
	ic := &imClient{
		roster:   roster,
		tracker:  xmpp.NewPresenceTracker(mux),
		wire:     &wireLog{},
		items:    make(chan xmpp.RosterItem, 64),
		presence: make(chan xmpp.Presence, 64),
		requests: make(chan *xmpp.Presence, 64),
	}
	// The hooks never block: a change beyond a buffer is dropped, and the
	// test waiting for it times out.
	roster.OnChange = func(it xmpp.RosterItem) { offer(ic.items, it) }
	ic.tracker.OnChange = func(p xmpp.Presence) { offer(ic.presence, p) }
	mux.HandlePresence(func(_ xmpp.Session, p *xmpp.Presence) {
		switch p.Type {
		case xmpp.PresenceSubscribe, xmpp.PresenceSubscribed, xmpp.PresenceUnsubscribe, xmpp.PresenceUnsubscribed:
			offer(ic.requests, p)
		}
	})
	c, err := xmpp.Dial(testCtx(t), srv.JID(user), srv.Password(user), &xmpp.Options{
		Server:      srv.C2SAddr,
		TLSConfig:   srv.TLSConfig(),
		DebugWriter: ic.wire,
		Handler:     mux,
	})
	require.NoError(t, err, "Dial(%s)\nwire:\n%s", user, ic.wire)
	t.Cleanup(func() { c.Close() })
	ic.Client = c
	ic.bare = c.JID().Bare()
	return ic
}

func offer[T any](ch chan T, v T) {
	select {
	case ch <- v:
	default:
	}
}

// waitItem waits for a roster change of contact j that match accepts.
func (ic *imClient) waitItem(t *testing.T, j xmpp.JID, what string, match func(xmpp.RosterItem) bool) xmpp.RosterItem {
	t.Helper()
	return waitFor(t, ic.items, ic.bare.String()+": roster item "+j.String()+" "+what, func(it xmpp.RosterItem) bool {
		return it.JID == j && match(it)
	})
}

// waitPresence waits for a presence change from from (full JID, or any
// resource of a bare JID) that match accepts.
func (ic *imClient) waitPresence(t *testing.T, from xmpp.JID, what string, match func(xmpp.Presence) bool) xmpp.Presence {
	t.Helper()
	return waitFor(t, ic.presence, ic.bare.String()+": presence from "+from.String()+" "+what, func(p xmpp.Presence) bool {
		ok := p.From == from || (from.Resource() == "" && p.From.Bare() == from)
		return ok && match(p)
	})
}

// waitRequest waits for a subscription stanza of type typ from from.
func (ic *imClient) waitRequest(t *testing.T, from xmpp.JID, typ xmpp.PresenceType) {
	t.Helper()
	waitFor(t, ic.requests, ic.bare.String()+": presence "+typ.String()+" from "+from.String(), func(p *xmpp.Presence) bool {
		return p.Type == typ && p.From.Bare() == from
	})
}

func subscriptionIs(sub string) func(xmpp.RosterItem) bool {
	return func(it xmpp.RosterItem) bool { return it.Subscription == sub }
}

// TestSubscriptionHandshake runs the full subscription handshake between
// two fresh accounts in both directions (RFC 6121 §3.1), watching both
// rosters through pushes, then checks that each tracks the other's
// presence: resources, show, status in two languages, priority, a second
// resource going online and, when it closes, offline.
func TestSubscriptionHandshake(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			a := imLogin(t, srv, freshUser(t, srv, "hs-a"), nil, nil)
			b := imLogin(t, srv, freshUser(t, srv, "hs-b"), nil, nil)
			ctx := testCtx(t)
			for _, c := range []*imClient{a, b} {
				require.NoError(t, c.roster.Fetch(ctx, c.Client), "Fetch")
				require.Empty(t, c.roster.Items(), "roster of a fresh user")
				require.NoError(t, c.Send(ctx, xmpp.Available("", "here", 0)), "initial presence")
			}

			// a subscribes to b; b approves.
			require.NoError(t, xmpp.Subscribe(ctx, a.Client, b.bare))
			it := a.waitItem(t, b.bare, "ask=subscribe", func(it xmpp.RosterItem) bool { return it.Ask == "subscribe" })
			require.Equal(t, xmpp.SubscriptionNone, it.Subscription)
			b.waitRequest(t, a.bare, xmpp.PresenceSubscribe)
			require.NoError(t, xmpp.ApproveSubscription(ctx, b.Client, a.bare))
			a.waitItem(t, b.bare, "subscription=to", subscriptionIs(xmpp.SubscriptionTo))
			b.waitItem(t, a.bare, "subscription=from", subscriptionIs(xmpp.SubscriptionFrom))
			// On approval, the server sends a b's current presence (§3.1.5).
			p := a.waitPresence(t, b.JID(), "available", func(p xmpp.Presence) bool { return p.Type == xmpp.PresenceAvailable })
			require.Equal(t, "here", p.Status)

			// b subscribes to a; a approves.
			require.NoError(t, xmpp.Subscribe(ctx, b.Client, a.bare))
			a.waitRequest(t, b.bare, xmpp.PresenceSubscribe)
			require.NoError(t, xmpp.ApproveSubscription(ctx, a.Client, b.bare))
			a.waitItem(t, b.bare, "subscription=both", subscriptionIs(xmpp.SubscriptionBoth))
			b.waitItem(t, a.bare, "subscription=both", subscriptionIs(xmpp.SubscriptionBoth))
			b.waitPresence(t, a.JID(), "available", func(p xmpp.Presence) bool { return p.Type == xmpp.PresenceAvailable })
			for _, c := range []struct {
				c       *imClient
				contact xmpp.JID
			}{{a, b.bare}, {b, a.bare}} {
				it, ok := c.c.roster.Item(c.contact)
				require.True(t, ok, "%s: Item(%s)", c.c.bare, c.contact)
				require.Equal(t, xmpp.SubscriptionBoth, it.Subscription, "%s: Item(%s)", c.c.bare, c.contact)
				require.Empty(t, it.Ask)
				// A new Fetch agrees with the pushes.
				require.NoError(t, c.c.roster.Fetch(ctx, c.c.Client))
				it, _ = c.c.roster.Item(c.contact)
				require.Equal(t, xmpp.SubscriptionBoth, it.Subscription, "%s: Item(%s) after Fetch", c.c.bare, c.contact)
			}

			// b changes its presence: show, priority and a status in two
			// languages.
			busy := xmpp.Available(xmpp.ShowDND, "busy", 3)
			busy.Statuses = []xmpp.Text{{Lang: "de", Value: "beschäftigt"}}
			require.NoError(t, b.Send(ctx, busy))
			p = a.waitPresence(t, b.JID(), "dnd", func(p xmpp.Presence) bool { return p.Show == xmpp.ShowDND })
			require.Equal(t, "busy", p.Status)
			require.Equal(t, []xmpp.Text{{Lang: "de", Value: "beschäftigt"}}, p.Statuses)
			require.Equal(t, int8(3), p.Priority)
			best, ok := a.tracker.Best(b.bare)
			require.True(t, ok)
			require.Equal(t, b.JID(), best.From)

			// A second resource of b with a higher priority is the best.
			b2 := imLogin(t, srv, b.bare.Local(), nil, nil)
			require.NoError(t, b2.Send(ctx, xmpp.Available(xmpp.ShowChat, "phone", 7)))
			a.waitPresence(t, b2.JID(), "second resource", func(p xmpp.Presence) bool { return p.Type == xmpp.PresenceAvailable })
			rs := a.tracker.Resources(b.bare)
			require.Len(t, rs, 2, "resources of %s: %+v", b.bare, rs)
			require.Equal(t, b2.JID(), rs[0].From, "best resource first")
			require.Equal(t, xmpp.ShowChat, rs[0].Show)
			require.Equal(t, b.JID(), rs[1].From)

			// Closing b2 sends unavailable presence; a sees the resource go.
			require.NoError(t, b2.Close())
			require.Contains(t, b2.wire.stream(true), "<presence type='unavailable'", "b2 closed without unavailable presence")
			a.waitPresence(t, b2.JID(), "unavailable", func(p xmpp.Presence) bool { return p.Type == xmpp.PresenceUnavailable })
			rs = a.tracker.Resources(b.bare)
			require.Len(t, rs, 1)
			require.Equal(t, b.JID(), rs[0].From)
		})
	}
}

// TestRosterSetRemove adds, renames and removes a contact and follows the
// roster pushes (RFC 6121 §2.3–§2.5).
func TestRosterSetRemove(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			a := imLogin(t, srv, freshUser(t, srv, "rs"), nil, nil)
			ctx := testCtx(t)
			require.NoError(t, a.roster.Fetch(ctx, a.Client))
			contact := xmpp.MustParseJID(srv.JID("nobody-" + strings.ToLower(rand.Text()[:6])))

			require.NoError(t, a.roster.Set(ctx, a.Client, xmpp.RosterItem{JID: contact, Name: "Nobody <&>", Groups: []string{"Friends", "Ünïcode"}}))
			it := a.waitItem(t, contact, "added", func(xmpp.RosterItem) bool { return true })
			require.Equal(t, "Nobody <&>", it.Name)
			require.ElementsMatch(t, []string{"Friends", "Ünïcode"}, it.Groups)
			require.Equal(t, xmpp.SubscriptionNone, it.Subscription)

			require.NoError(t, a.roster.Set(ctx, a.Client, xmpp.RosterItem{JID: contact, Name: "Renamed"}))
			it = a.waitItem(t, contact, "renamed", func(it xmpp.RosterItem) bool { return it.Name == "Renamed" })
			require.Empty(t, it.Groups)
			got, ok := a.roster.Item(contact)
			require.True(t, ok)
			require.Equal(t, it, got)

			require.NoError(t, a.roster.Remove(ctx, a.Client, contact))
			a.waitItem(t, contact, "removed", subscriptionIs(xmpp.SubscriptionRemove))
			_, ok = a.roster.Item(contact)
			require.False(t, ok, "item after Remove")
			require.Empty(t, a.roster.Items())
		})
	}
}

// TestRosterVersioning fetches a roster, then fetches it again in later
// sessions with the cached version (RFC 6121 §2.6): once unchanged, when
// the server must not send the roster again, and once after another session
// changed it, when the change must arrive as the full roster or as pushes.
// Both servers advertise roster versioning (xmpptest's package doc), so a
// missing feature is a failure, not a skip.
func TestRosterVersioning(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			user := freshUser(t, srv, "rv")
			ctx := testCtx(t)
			first := xmpp.MustParseJID(srv.JID("first"))
			second := xmpp.MustParseJID(srv.JID("second"))

			mux := xmpp.NewMux()
			roster := xmpp.NewRoster(mux)
			c1 := imLogin(t, srv, user, mux, roster)
			_, ok := c1.StreamFeatures().Child("urn:xmpp:features:rosterver", "ver")
			require.True(t, ok, "%s: StreamFeatures() = %s, want <ver xmlns='urn:xmpp:features:rosterver'/>", s.name, c1.StreamFeatures().Raw)
			require.NoError(t, roster.Fetch(ctx, c1.Client))
			require.NoError(t, roster.Set(ctx, c1.Client, xmpp.RosterItem{JID: first, Name: "First"}))
			c1.waitItem(t, first, "added", func(xmpp.RosterItem) bool { return true })
			ver := roster.Version()
			require.NotEmpty(t, ver, "roster version after a push")
			require.NoError(t, c1.Close())

			// Unchanged: the same cache, whatever form the answer takes.
			c2 := imLogin(t, srv, user, mux, roster)
			require.NoError(t, roster.Fetch(ctx, c2.Client))
			require.Contains(t, c2.wire.stream(true), `ver="`+ver+`"`, "the cached version is sent")
			items := roster.Items()
			require.Len(t, items, 1)
			require.Equal(t, "First", items[0].Name)
			require.Equal(t, ver, roster.Version())
			// With the current version, both servers answer with an empty
			// result (§2.6.3): the roster is not sent again.
			require.Equal(t, rosterUnchanged, rosterAnswer(c2.wire), "%s: answer to a fetch with the current version", s.name)
			require.NoError(t, c2.Close())

			// Changed by another session while this cache was offline.
			other := imLogin(t, srv, user, nil, nil)
			// Only a resource that requested the roster gets pushes (RFC
			// 6121 §2.1.5; Prosody keeps to it, ejabberd pushes anyway).
			require.NoError(t, other.roster.Fetch(ctx, other.Client))
			require.NoError(t, other.roster.Set(ctx, other.Client, xmpp.RosterItem{JID: second, Name: "Second"}))
			other.waitItem(t, second, "added", func(xmpp.RosterItem) bool { return true })
			require.NoError(t, other.Close())

			c3 := imLogin(t, srv, user, mux, roster)
			require.NoError(t, roster.Fetch(ctx, c3.Client))
			c3.waitItem(t, second, "added while offline", func(xmpp.RosterItem) bool { return true })
			require.Len(t, roster.Items(), 2)
			require.NotEqual(t, ver, roster.Version(), "version after the change")
			t.Logf("%s: changed roster answered with %s", s.name, rosterAnswer(c3.wire))
		})
	}
}

// rosterAnswer says how the server answered the last roster get of a
// session: empty (unchanged), the full roster, or an empty result and pushes.
func rosterAnswer(w *wireLog) string {
	recv := w.stream(false)
	switch {
	case rosterPushRE.MatchString(recv):
		return "roster pushes"
	case strings.Contains(recv, "<item"):
		return "the full roster"
	}
	return rosterUnchanged
}

const rosterUnchanged = "an empty result (unchanged)"

var rosterPushRE = regexp.MustCompile(`<iq\b[^>]*\btype=['"]set['"][^>]*>\s*<query\b[^>]*jabber:iq:roster`)

// TestDirectedPresenceTracked sends directed presence from an account with
// no subscription, and checks that the tracker sees it come and, when the
// sender closes its session, go (RFC 6121 §4.6).
func TestDirectedPresenceTracked(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			a := imLogin(t, srv, freshUser(t, srv, "dp-a"), nil, nil)
			c := imLogin(t, srv, freshUser(t, srv, "dp-c"), nil, nil)
			ctx := testCtx(t)

			directed := xmpp.Available(xmpp.ShowAway, "directed", -5)
			directed.To = a.JID()
			require.NoError(t, c.Send(ctx, directed))
			p := a.waitPresence(t, c.JID(), "directed", func(p xmpp.Presence) bool { return p.Type == xmpp.PresenceAvailable })
			require.Equal(t, "directed", p.Status)
			require.Equal(t, int8(-5), p.Priority)
			best, ok := a.tracker.Best(c.bare)
			require.True(t, ok)
			require.Equal(t, xmpp.ShowAway, best.Show)

			require.NoError(t, c.Close())
			a.waitPresence(t, c.JID(), "unavailable after Close", func(p xmpp.Presence) bool { return p.Type == xmpp.PresenceUnavailable })
			_, ok = a.tracker.Best(c.bare)
			require.False(t, ok, "tracker still has %s after it closed", c.JID())
		})
	}
}
