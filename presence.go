package xmpp

import (
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
// The tracker knows only what it is told: after the session ends its state
// is stale until the next session's presence arrives.
//
// A PresenceTracker is safe for concurrent use.
type PresenceTracker struct {
	// OnChange, if set, is called from the handler goroutine after each
	// presence that changed the tracker, with that presence. Set it before
	// the session starts.
	OnChange func(Presence)

	mu      sync.Mutex
	seq     uint64                             // guarded by mu
	entries map[JID]map[string]trackedPresence // bare JID → resource; guarded by mu
}

type trackedPresence struct {
	p   Presence
	seq uint64 // arrival order
}

// NewPresenceTracker returns an empty PresenceTracker and registers its
// presence handler on mux.
func NewPresenceTracker(mux *Mux) *PresenceTracker {
	t := &PresenceTracker{entries: make(map[JID]map[string]trackedPresence)}
	mux.HandlePresence(t.handle)
	return t
}

func (t *PresenceTracker) handle(_ Session, p *Presence) {
	if p.From.IsZero() {
		return
	}
	bare, res := p.From.Bare(), p.From.Resource()
	t.mu.Lock()
	switch p.Type {
	case PresenceAvailable:
		t.seq++
		m := t.entries[bare]
		if m == nil {
			m = make(map[string]trackedPresence)
			t.entries[bare] = m
		}
		m[res] = trackedPresence{p: *p, seq: t.seq}
	case PresenceUnavailable, PresenceError:
		if res == "" {
			delete(t.entries, bare)
		} else if m := t.entries[bare]; m != nil {
			delete(m, res)
			if len(m) == 0 {
				delete(t.entries, bare)
			}
		}
	default:
		t.mu.Unlock()
		return
	}
	t.mu.Unlock()
	if t.OnChange != nil {
		t.OnChange(*p)
	}
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
