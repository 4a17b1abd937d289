package xmpp

import (
	"crypto/rand"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAvailable(t *testing.T) {
	t.Parallel()
	p := Available(ShowAway, "lunch", -1)
	require.Equal(t, &Presence{Show: ShowAway, Status: "lunch", Priority: -1, HasPriority: true}, p)
	require.Equal(t, PresenceAvailable, p.Type)
	require.True(t, p.To.IsZero(), "Available(...).To")
}

// TestSubscriptionStanzas checks what each subscription helper sends: the
// type of RFC 6121 §3, to the contact's bare JID.
func TestSubscriptionStanzas(t *testing.T) {
	t.Parallel()
	want := []PresenceType{PresenceSubscribe, PresenceSubscribed, PresenceUnsubscribed, PresenceUnsubscribed, PresenceUnsubscribe, PresenceSubscribed}
	done := make(chan struct{})
	c, srv := imSession(t, NewMux(), "<sub xmlns='urn:xmpp:features:pre-approval'/>", func(s *fakeServer) {
		for _, typ := range want {
			p := s.expect(NSClient, "presence")
			if p.attr("type") != typ.String() || p.attr("to") != "bob@example.test" {
				s.fail("got presence %v, want type %s to bob@example.test", p.Attrs, typ)
			}
		}
		close(done)
		s.closeStream()
	})
	bob := MustParseJID("bob@example.test/phone")
	ctx := testCtx(t)
	for _, f := range []func() error{
		func() error { return Subscribe(ctx, c, bob) },
		func() error { return ApproveSubscription(ctx, c, bob) },
		func() error { return DenySubscription(ctx, c, bob) },
		func() error { return CancelSubscription(ctx, c, bob) },
		func() error { return Unsubscribe(ctx, c, bob) },
		func() error { return PreApprove(ctx, c, bob) },
	} {
		require.NoError(t, f())
	}
	awaitStep(t, done, srv)
}

func TestPreApproveNeedsServerSupport(t *testing.T) {
	t.Parallel()
	c, _ := imSession(t, NewMux(), "", func(s *fakeServer) {
		if e := s.next(); e != nil {
			s.fail("PreApprove without server support sent %s %v", e.XMLName.Local, e.Attrs)
		}
		s.send("</stream:stream>")
	})
	err := PreApprove(testCtx(t), c, MustParseJID("bob@example.test"))
	var se *StanzaError
	require.True(t, errors.As(err, &se), "PreApprove error %v is not a *StanzaError", err)
	require.Equal(t, ErrFeatureNotImplemented, se.Condition)
}

func pres(from string, typ PresenceType, show Show, prio int8) *Presence {
	return &Presence{Header: Header{From: MustParseJID(from)}, Type: typ, Show: show, Priority: prio, HasPriority: true}
}

func TestPresenceTracker(t *testing.T) {
	t.Parallel()
	mux := NewMux()
	tr := NewPresenceTracker(mux)
	var mu sync.Mutex
	var seen []string
	tr.OnChange = func(p Presence) {
		mu.Lock()
		seen = append(seen, p.From.String()+":"+p.Type.attr())
		mu.Unlock()
	}
	bob := MustParseJID("bob@example.test")
	resources := func() []string {
		var rs []string
		for _, p := range tr.Resources(bob) {
			rs = append(rs, p.From.Resource())
		}
		return rs
	}
	best := func() string {
		p, ok := tr.Best(bob)
		if !ok {
			return ""
		}
		return p.From.Resource()
	}

	_, ok := tr.Best(bob)
	require.False(t, ok, "Best of an unknown contact")
	require.Empty(t, tr.Resources(bob))

	mux.OnPresence(nil, pres("bob@example.test/phone", PresenceAvailable, ShowAway, 5))
	mux.OnPresence(nil, pres("bob@example.test/laptop", PresenceAvailable, "", 5))
	mux.OnPresence(nil, pres("bob@example.test/tablet", PresenceAvailable, ShowChat, 1))
	require.Equal(t, "laptop", best(), "same priority: available beats away")
	require.Equal(t, []string{"laptop", "phone", "tablet"}, resources())

	mux.OnPresence(nil, pres("bob@example.test/tablet", PresenceAvailable, ShowDND, 10))
	require.Equal(t, "tablet", best(), "priority first")
	p, _ := tr.Best(MustParseJID("bob@example.test/anything"))
	require.Equal(t, ShowDND, p.Show, "Best of a full JID looks up its bare JID")

	// Subscription requests and probes change nothing.
	mux.OnPresence(nil, pres("bob@example.test/tablet", PresenceSubscribe, "", 0))
	mux.OnPresence(nil, pres("bob@example.test/tablet", PresenceProbe, "", 0))
	mux.OnPresence(nil, &Presence{}) // no from
	require.Len(t, tr.Resources(bob), 3)

	mux.OnPresence(nil, pres("bob@example.test/tablet", PresenceUnavailable, "", 0))
	require.Equal(t, []string{"laptop", "phone"}, resources())
	// An error from one resource takes it offline.
	mux.OnPresence(nil, &Presence{Header: Header{From: MustParseJID("bob@example.test/laptop")}, Type: PresenceError,
		Error: &StanzaError{Type: ErrorTypeCancel, Condition: ErrRemoteServerNotFound}})
	require.Equal(t, []string{"phone"}, resources())

	// Ties on priority and show: the most recent wins.
	mux.OnPresence(nil, pres("bob@example.test/desk", PresenceAvailable, ShowAway, 5))
	require.Equal(t, "desk", best())

	// Unavailable from the bare JID: all resources are gone.
	mux.OnPresence(nil, pres("bob@example.test", PresenceUnavailable, "", 0))
	require.Empty(t, tr.Resources(bob))
	_, ok = tr.Best(bob)
	require.False(t, ok)

	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []string{
		"bob@example.test/phone:", "bob@example.test/laptop:", "bob@example.test/tablet:", "bob@example.test/tablet:",
		"bob@example.test/tablet:unavailable", "bob@example.test/laptop:error", "bob@example.test/desk:",
		"bob@example.test:unavailable",
	}, seen)
}

func TestShowRanking(t *testing.T) {
	t.Parallel()
	order := []Show{ShowChat, "", ShowAway, ShowXA, ShowDND, "bogus"}
	for i := 1; i < len(order); i++ {
		require.Greater(t, showRank(order[i-1]), showRank(order[i]), "showRank(%q) vs showRank(%q)", order[i-1], order[i])
	}
}

// trackedCount returns how many resources tr tracks, by its map and by its
// age list, which must agree.
func trackedCount(t *testing.T, tr *PresenceTracker) int {
	t.Helper()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	n := 0
	for _, m := range tr.entries {
		require.NotEmpty(t, m, "a bare JID without resources stays in the map")
		n += len(m)
	}
	require.Equal(t, n, tr.byAge.Len(), "resources in the map and in the age list")
	return n
}

// TestPresenceTrackerBounded: directed presence from 100,000 distinct
// random JIDs keeps the tracker at its bound, and the newest stay.
func TestPresenceTrackerBounded(t *testing.T) {
	t.Parallel()
	const flood = 100_000
	for _, tt := range []struct {
		name string
		max  int
		want int
	}{
		{"default", 0, defaultMaxTrackedResources},
		{"set", 500, 500},
		{"one", 1, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mux := NewMux()
			tr := NewPresenceTracker(mux)
			tr.MaxResources = tt.max
			changes := 0
			tr.OnChange = func(Presence) { changes++ }
			jids := make([]string, flood)
			for i := range jids {
				jids[i] = strings.ToLower(rand.Text()[:12]) + "@spam.example/" + strconv.Itoa(i)
				mux.OnPresence(nil, pres(jids[i], PresenceAvailable, "", 0))
			}
			require.Equal(t, tt.want, trackedCount(t, tr), "resources tracked after %d presences", flood)
			require.Equal(t, flood, changes, "OnChange calls (evictions are not changes reported)")
			// Oldest first out: the last want senders are tracked, the
			// one before them is not.
			_, ok := tr.Best(MustParseJID(jids[flood-1]))
			require.True(t, ok, "Best(newest)")
			_, ok = tr.Best(MustParseJID(jids[flood-tt.want]))
			require.True(t, ok, "Best(oldest kept)")
			_, ok = tr.Best(MustParseJID(jids[flood-tt.want-1]))
			require.False(t, ok, "Best(newest dropped)")
		})
	}
}

// TestPresenceTrackerEvictsOldest: the resource dropped at the bound is the
// one whose last presence is the oldest, not the first one that arrived.
func TestPresenceTrackerEvictsOldest(t *testing.T) {
	t.Parallel()
	mux := NewMux()
	tr := NewPresenceTracker(mux)
	tr.MaxResources = 3
	has := func(j string) bool {
		for _, p := range tr.Resources(MustParseJID(j)) {
			if p.From.String() == j {
				return true
			}
		}
		return false
	}
	mux.OnPresence(nil, pres("bob@example.test/phone", PresenceAvailable, "", 0))
	mux.OnPresence(nil, pres("bob@example.test/laptop", PresenceAvailable, "", 0))
	mux.OnPresence(nil, pres("carol@example.test/a", PresenceAvailable, "", 0))
	mux.OnPresence(nil, pres("bob@example.test/phone", PresenceAvailable, ShowAway, 0)) // phone is now the newest
	mux.OnPresence(nil, pres("dave@example.test/x", PresenceAvailable, "", 0))          // drops laptop
	require.True(t, has("bob@example.test/phone"), "updated resource kept")
	require.False(t, has("bob@example.test/laptop"), "oldest resource dropped")
	require.True(t, has("carol@example.test/a"))
	require.True(t, has("dave@example.test/x"))
	require.Equal(t, 3, trackedCount(t, tr))

	// Going unavailable frees room: nothing is dropped for the next one.
	mux.OnPresence(nil, pres("carol@example.test", PresenceUnavailable, "", 0))
	mux.OnPresence(nil, pres("erin@example.test/y", PresenceAvailable, "", 0))
	require.Equal(t, 3, trackedCount(t, tr))
	require.True(t, has("bob@example.test/phone"))
	require.True(t, has("dave@example.test/x"))

	// No limit.
	tr.MaxResources = -1
	for i := range 50 {
		mux.OnPresence(nil, pres("f"+strconv.Itoa(i)+"@example.test/z", PresenceAvailable, "", 0))
	}
	require.Equal(t, 53, trackedCount(t, tr))
}

// TestPresenceTrackerRoster: with a roster, only contacts and the user's own
// resources are tracked.
func TestPresenceTrackerRoster(t *testing.T) {
	t.Parallel()
	mux := NewMux()
	tr := NewPresenceTracker(mux)
	tr.Roster = NewRoster(mux)
	bob := MustParseJID("bob@example.test")
	tr.Roster.items[bob] = RosterItem{JID: bob, Subscription: SubscriptionNone}
	c := &Client{jid: MustParseJID("alice@example.test/phone")}
	var changed []string
	tr.OnChange = func(p Presence) { changed = append(changed, p.From.String()) }

	for _, from := range []string{
		"bob@example.test/laptop",                  // a contact
		"alice@example.test/desk",                  // the user's other resource
		"mallory@example.test/x",                   // a stranger
		"room@conference.example.test/nick",        // a MUC occupant
		"bob@example.test.evil/laptop",             // not bob
		"stranger@example.test/" + rand.Text()[:8], // another stranger
	} {
		mux.OnPresence(c, pres(from, PresenceAvailable, "", 0))
	}
	mux.OnPresence(c, pres("mallory@example.test/x", PresenceUnavailable, "", 0))
	require.Equal(t, []string{"bob@example.test/laptop", "alice@example.test/desk"}, changed)
	require.Equal(t, 2, trackedCount(t, tr))
	_, ok := tr.Best(bob)
	require.True(t, ok, "Best(contact)")
	_, ok = tr.Best(MustParseJID("alice@example.test"))
	require.True(t, ok, "Best(own account)")
	_, ok = tr.Best(MustParseJID("mallory@example.test"))
	require.False(t, ok, "Best(stranger)")
}
