package xmpp

import (
	"container/list"
	"context"
	"slices"
	"sync"
)

// Presence and subscriptions (RFC 6121 §3–§4).

// Available returns available presence with the given show (one of the Show
// constants, or "" for plain available), status text and priority (RFC 6121
// §4.7.2). Send it as is to broadcast it to the contacts that are
// subscribed to the user's presence (§4.2, §4.4), or set To first for
// directed presence to one entity (§4.6). More status texts, each in its own
// language, go in Statuses.
func Available(show Show, status string, priority int8) *Presence {
	return &Presence{Show: show, Status: status, Priority: priority, HasPriority: true}
}

// Subscribe asks the contact j for a subscription to its presence (RFC 6121
// §3.1.1). The request goes to j's bare JID. The contact's answer arrives as
// presence of type subscribed or unsubscribed, and the server pushes the
// roster item's new state (ask "subscribe", later subscription "to" or
// "both") to a [Roster].
func Subscribe(ctx context.Context, s Session, j JID) error {
	return sendSubscription(ctx, s, PresenceSubscribe, j)
}

// ApproveSubscription approves the subscription request of the contact j
// (RFC 6121 §3.1.4): j will receive the user's presence.
func ApproveSubscription(ctx context.Context, s Session, j JID) error {
	return sendSubscription(ctx, s, PresenceSubscribed, j)
}

// DenySubscription declines the subscription request of the contact j (RFC
// 6121 §3.1.4). It sends the same stanza as CancelSubscription.
func DenySubscription(ctx context.Context, s Session, j JID) error {
	return sendSubscription(ctx, s, PresenceUnsubscribed, j)
}

// CancelSubscription cancels the contact j's subscription to the user's
// presence, which the user approved before (RFC 6121 §3.2).
func CancelSubscription(ctx context.Context, s Session, j JID) error {
	return sendSubscription(ctx, s, PresenceUnsubscribed, j)
}

// Unsubscribe ends the user's subscription to the contact j's presence (RFC
// 6121 §3.3).
func Unsubscribe(ctx context.Context, s Session, j JID) error {
	return sendSubscription(ctx, s, PresenceUnsubscribe, j)
}

// PreApprove approves a subscription request from the contact j before it
// is made (RFC 6121 §3.4), so that the server approves it without asking
// the user. It needs the server's support, advertised as a stream feature;
// without it PreApprove sends nothing and returns a *StanzaError with
// condition feature-not-implemented. The stream features come from a
// method StreamFeatures() Element of s, which *Client has; a session without
// it is taken not to support pre-approval.
func PreApprove(ctx context.Context, s Session, j JID) error {
	features, _ := featuresOf(s)
	if _, ok := features.Child(nsPreApproval, "sub"); !ok {
		return &StanzaError{Type: ErrorTypeCancel, Condition: ErrFeatureNotImplemented,
			Text: "server does not support subscription pre-approval"}
	}
	return sendSubscription(ctx, s, PresenceSubscribed, j)
}

func sendSubscription(ctx context.Context, s Session, typ PresenceType, j JID) error {
	return s.Send(ctx, &Presence{Header: Header{To: j.Bare()}, Type: typ})
}

// PresenceTracker keeps the presence of every entity that sends the user
// presence, usually the contacts the user is subscribed to: for each bare
// JID, the available resources with their last presence (show, status,
// priority, extensions). Presence of type unavailable removes a resource,
// and from a bare JID all of them; so does presence of type error (RFC 6121
// §4.7.1). Subscription requests and probes are left to other handlers.
//
// Anyone can send the user directed presence (RFC 6121 §4.6), from as many
// JIDs as they like, so the tracker is bounded: it keeps at most
// MaxResources resources, and with Roster set it tracks only the user's
// contacts.
//
// The tracker knows only what it is told: after the session ends its state
// is stale until the next session's presence arrives.
//
// A PresenceTracker is safe for concurrent use.
type PresenceTracker struct {
	// OnChange, if set, is called from the handler goroutine after each
	// presence that changed the tracker, with that presence. Set it before
	// the session starts.
	OnChange func(Presence)

	// MaxResources is the most resources (full JIDs, over all bare JIDs)
	// the tracker keeps. When available presence from a resource it does
	// not track yet would exceed it, the tracked resource whose last
	// presence is the oldest is dropped first, without a call to
	// OnChange, and the newcomer is tracked. (Refusing newcomers instead
	// would let a flood of made-up JIDs lock out every contact who comes
	// online after it; to keep strangers out altogether, set Roster.)
	// Default 0: 10,000. Negative: no limit. Set it before the session
	// starts.
	MaxResources int

	// Roster, if not nil, restricts the tracker to presence from the bare
	// JIDs that are items of Roster, whatever their subscription state, and
	// from the user's own other resources; presence from anyone else, MUC
	// rooms included, is ignored and not passed to OnChange. Resources of
	// a contact removed from the roster stay until they go unavailable.
	// Fetch the roster before sending initial presence, as contacts'
	// presence follows it (RFC 6121 §4.2). Default nil: presence from
	// everyone is tracked, up to MaxResources. Set it before the session
	// starts.
	Roster *Roster

	mu      sync.Mutex
	seq     uint64                             // guarded by mu
	entries map[JID]map[string]trackedPresence // bare JID → resource; guarded by mu
	// byAge holds the tracked resources as trackedKeys, the one whose last
	// presence is the oldest first; guarded by mu.
	byAge *list.List
}

// defaultMaxTrackedResources is PresenceTracker.MaxResources when it is 0.
const defaultMaxTrackedResources = 10000

type trackedPresence struct {
	p    Presence
	seq  uint64        // arrival order
	elem *list.Element // in byAge
}

// trackedKey names a tracked resource in PresenceTracker.byAge.
type trackedKey struct {
	bare JID
	res  string
}

// NewPresenceTracker returns an empty PresenceTracker and registers its
// presence handler on mux.
func NewPresenceTracker(mux *Mux) *PresenceTracker {
	t := &PresenceTracker{entries: make(map[JID]map[string]trackedPresence), byAge: list.New()}
	mux.HandlePresence(t.handle)
	return t
}

func (t *PresenceTracker) handle(s Session, p *Presence) {
	if p.From.IsZero() || !t.accepts(s, p.From.Bare()) {
		return
	}
	bare, res := p.From.Bare(), p.From.Resource()
	t.mu.Lock()
	switch p.Type {
	case PresenceAvailable:
		t.seq++
		t.store(bare, res, *p)
	case PresenceUnavailable, PresenceError:
		t.remove(bare, res)
	default:
		t.mu.Unlock()
		return
	}
	t.mu.Unlock()
	if t.OnChange != nil {
		t.OnChange(*p)
	}
}

// accepts reports whether presence from the bare JID is tracked, as
// Roster says.
func (t *PresenceTracker) accepts(s Session, bare JID) bool {
	if t.Roster == nil {
		return true
	}
	if s != nil && bare == s.JID().Bare() {
		return true
	}
	_, ok := t.Roster.Item(bare)
	return ok
}

// remove drops the resource res of bare, or all of bare's resources if res
// is empty. t.mu is held.
func (t *PresenceTracker) remove(bare JID, res string) {
	m := t.entries[bare]
	if res == "" {
		for _, tp := range m {
			t.byAge.Remove(tp.elem)
		}
		clear(m)
	} else if tp, ok := m[res]; ok {
		t.byAge.Remove(tp.elem)
		delete(m, res)
	}
	if len(m) == 0 {
		delete(t.entries, bare)
	}
}

// store records p as the last presence of the resource res of bare, the
// newest, dropping the oldest resources beyond MaxResources. t.mu is held.
func (t *PresenceTracker) store(bare JID, res string, p Presence) {
	m := t.entries[bare]
	if tp, ok := m[res]; ok {
		t.byAge.MoveToBack(tp.elem)
		m[res] = trackedPresence{p: p, seq: t.seq, elem: tp.elem}
		return
	}
	limit := t.MaxResources
	if limit == 0 {
		limit = defaultMaxTrackedResources
	}
	for limit > 0 && t.byAge.Len() >= limit {
		old := t.byAge.Front().Value.(trackedKey)
		t.remove(old.bare, old.res)
	}
	m = t.entries[bare] // dropped above if it held only the oldest
	if m == nil {
		m = make(map[string]trackedPresence)
		t.entries[bare] = m
	}
	m[res] = trackedPresence{p: p, seq: t.seq, elem: t.byAge.PushBack(trackedKey{bare, res})}
}

// Resources returns the last available presence of each online resource of
// the bare JID j (j's resource is ignored), best first as Best ranks them.
func (t *PresenceTracker) Resources(j JID) []Presence {
	t.mu.Lock()
	tracked := make([]trackedPresence, 0, len(t.entries[j.Bare()]))
	for _, tp := range t.entries[j.Bare()] {
		tracked = append(tracked, tp)
	}
	t.mu.Unlock()
	slices.SortFunc(tracked, compareTracked)
	ps := make([]Presence, len(tracked))
	for i, tp := range tracked {
		ps[i] = tp.p
	}
	return ps
}

// Best returns the presence of the bare JID j's most available resource:
// the highest priority, then the most available show (chat, plain
// available, away, xa, dnd), then the most recent. It returns false when no
// resource of j is online.
func (t *PresenceTracker) Best(j JID) (Presence, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var best trackedPresence
	found := false
	for _, tp := range t.entries[j.Bare()] {
		if !found || compareTracked(tp, best) < 0 {
			best, found = tp, true
		}
	}
	return best.p, found
}

// compareTracked orders presences best first.
func compareTracked(a, b trackedPresence) int {
	switch {
	case a.p.Priority != b.p.Priority:
		return int(b.p.Priority) - int(a.p.Priority)
	case showRank(a.p.Show) != showRank(b.p.Show):
		return showRank(b.p.Show) - showRank(a.p.Show)
	case a.seq > b.seq:
		return -1
	case a.seq < b.seq:
		return 1
	}
	return 0
}

// showRank ranks show values, most available highest.
func showRank(show Show) int {
	switch show {
	case ShowChat:
		return 5
	case "":
		return 4
	case ShowAway:
		return 3
	case ShowXA:
		return 2
	case ShowDND:
		return 1
	}
	return 0
}
