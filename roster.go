package xmpp

import (
	"context"
	"encoding/xml"
	"fmt"
	"slices"
	"sync"
)

// Roster management (RFC 6121 §2).

// NSRoster is the namespace of the roster (RFC 6121 §2.1).
const NSRoster = "jabber:iq:roster"

// Stream features for roster versioning (RFC 6121 §2.6.1) and subscription
// pre-approval (RFC 6121 §3.4.1), found in [Client.StreamFeatures].
const (
	nsRosterVer   = "urn:xmpp:features:rosterver"
	nsPreApproval = "urn:xmpp:features:pre-approval"
)

// Subscription states of a roster item (RFC 6121 §2.1.2.5), and "remove",
// which a roster push uses for an item that was deleted.
const (
	SubscriptionNone   = "none"
	SubscriptionTo     = "to"   // the user receives the contact's presence
	SubscriptionFrom   = "from" // the contact receives the user's presence
	SubscriptionBoth   = "both"
	SubscriptionRemove = "remove"
)

// RosterItem is a contact in the user's roster (RFC 6121 §2.1.2).
type RosterItem struct {
	JID  JID
	Name string // the user's handle for the contact; may be empty
	// Subscription is one of the Subscription constants.
	Subscription string
	// Ask is "subscribe" while the user's subscription request to the
	// contact is pending, else empty.
	Ask    string
	Groups []string
	// Approved reports that the user pre-approved the contact's
	// subscription request (RFC 6121 §3.4).
	Approved bool
}

// Roster is a client-side cache of the user's roster: [Roster.Fetch] loads
// it, and the roster pushes the server sends when it changes (RFC 6121
// §2.1.6) keep it current. Pushes are answered with an empty result; a push
// that does not come from the account itself (no from, or the account's bare
// JID) is ignored and answered with service-unavailable, as a forged one
// would otherwise let anyone rewrite the roster.
//
// The server sends pushes only to "interested" resources, those that have
// requested the roster (RFC 6121 §2.1.5): call Fetch once per session
// before relying on them.
//
// One Roster caches one account's roster, and may outlive a session: a new
// session that uses the same Mux and calls Fetch again asks only for the
// changes when the server supports roster versioning (RFC 6121 §2.6).
//
// A Roster is safe for concurrent use.
type Roster struct {
	// OnChange, if set, is called after each change to the cache, once per
	// item that was added, changed or removed (with Subscription "remove"):
	// from the handler goroutine for a push, and from Fetch's goroutine for
	// a fetched roster. Set it before the session starts.
	OnChange func(RosterItem)

	mu       sync.Mutex
	items    map[JID]RosterItem // guarded by mu
	ver      string             // the roster version of the cache; guarded by mu
	fetching int                // Fetch calls in flight; guarded by mu
	// pushed are the pushes applied while a Fetch is in flight, applied
	// again over a full roster it receives, which may predate them;
	// guarded by mu.
	pushed []RosterItem
}

// NewRoster returns an empty Roster and registers its handler for roster
// pushes on mux.
func NewRoster(mux *Mux) *Roster {
	r := &Roster{items: make(map[JID]RosterItem)}
	mux.HandleIQ(IQSet, NSRoster, "query", r.handlePush)
	return r
}

// Fetch requests the roster from the server (RFC 6121 §2.2) and replaces
// the cache with it. When the server supports roster versioning, the
// request carries the version of the cache, and the server may answer that
// nothing changed, or send the changes as roster pushes after its answer
// (RFC 6121 §2.6.3); the cache then stays as it is until the pushes arrive.
// A result that is not a roster query is a *MalformedError.
// Versioning needs the server's stream features, which a session offers with
// a method StreamFeatures() Element, as *Client does; over a session without
// it, Fetch always asks for the full roster.
func (r *Roster) Fetch(ctx context.Context, s Session) error {
	q := rosterQuery{}
	features, _ := featuresOf(s)
	r.mu.Lock()
	if _, ok := features.Child(nsRosterVer, "ver"); ok {
		// The client MUST NOT send ver unless the server advertised
		// rosterver; an empty ver asks to start versioning (§2.6.2).
		ver := r.ver
		q.Ver = &ver
	}
	r.fetching++
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.fetching--
		if r.fetching == 0 {
			r.pushed = nil
		}
		r.mu.Unlock()
	}()

	payload, err := MarshalElement(q)
	if err != nil {
		return err
	}
	res, err := s.SendIQ(ctx, &IQ{Type: IQGet, Payload: payload})
	if err != nil {
		return fmt.Errorf("xmpp: roster get: %w", err)
	}
	if res.Payload.IsZero() {
		return nil // unchanged (§2.6.3); pushes follow if not
	}
	ver, items, err := parseRosterQuery(res.Payload)
	if err != nil {
		return err
	}
	next := make(map[JID]RosterItem, len(items))
	for _, it := range items {
		if it.Subscription != SubscriptionRemove {
			next[it.JID] = it
		}
	}
	r.mu.Lock()
	for _, it := range r.pushed {
		applyItem(next, it)
	}
	changed := diffItems(r.items, next)
	r.items = next
	if ver != nil {
		r.ver = *ver
	}
	r.mu.Unlock()
	r.notify(changed)
	return nil
}

// Items returns the cached roster items, sorted by JID.
func (r *Roster) Items() []RosterItem {
	r.mu.Lock()
	items := make([]RosterItem, 0, len(r.items))
	for _, it := range r.items {
		items = append(items, cloneItem(it))
	}
	r.mu.Unlock()
	slices.SortFunc(items, func(a, b RosterItem) int { return compareJIDs(a.JID, b.JID) })
	return items
}

// Item returns the cached item for the contact j, looked up as given and
// then by its bare JID.
func (r *Roster) Item(j JID) (RosterItem, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	it, ok := r.items[j]
	if !ok {
		it, ok = r.items[j.Bare()]
	}
	return cloneItem(it), ok
}

// Version returns the roster version of the cache (RFC 6121 §2.6), empty
// when the server sent none.
func (r *Roster) Version() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ver
}

// Set adds the item to the roster or updates it (RFC 6121 §2.3, §2.4). Only
// JID, Name and Groups are sent; the server sets the subscription state.
// The cache changes when the server's roster push arrives, which may be
// after Set returns.
func (r *Roster) Set(ctx context.Context, s Session, item RosterItem) error {
	return r.set(ctx, s, rosterItemXML{JID: item.JID.String(), Name: item.Name, Groups: item.Groups})
}

// Remove deletes the contact j from the roster (RFC 6121 §2.5), which also
// cancels the subscriptions in both directions. The cache changes when the
// server's roster push arrives.
func (r *Roster) Remove(ctx context.Context, s Session, j JID) error {
	return r.set(ctx, s, rosterItemXML{JID: j.String(), Subscription: SubscriptionRemove})
}

func (r *Roster) set(ctx context.Context, s Session, item rosterItemXML) error {
	payload, err := MarshalElement(rosterQuery{Items: []rosterItemXML{item}})
	if err != nil {
		return err
	}
	if _, err := s.SendIQ(ctx, &IQ{Type: IQSet, Payload: payload}); err != nil {
		return fmt.Errorf("xmpp: roster set: %w", err)
	}
	return nil
}

// handlePush applies a roster push (RFC 6121 §2.1.6).
func (r *Roster) handlePush(s Session, iq *IQ) (*IQ, error) {
	if !iq.From.IsZero() && iq.From != s.JID().Bare() {
		// Not from the account: ignore it, and answer as if no one were
		// listening.
		return nil, &StanzaError{Type: ErrorTypeCancel, Condition: ErrServiceUnavailable}
	}
	ver, items, err := parseRosterQuery(iq.Payload)
	if err != nil || len(items) != 1 {
		return nil, &StanzaError{Type: ErrorTypeModify, Condition: ErrBadRequest}
	}
	it := items[0]
	r.mu.Lock()
	applyItem(r.items, it)
	if r.fetching > 0 {
		r.pushed = append(r.pushed, it)
	}
	if ver != nil {
		r.ver = *ver
	}
	r.mu.Unlock()
	r.notify([]RosterItem{it})
	return &IQ{}, nil
}

func (r *Roster) notify(changed []RosterItem) {
	if r.OnChange == nil {
		return
	}
	for _, it := range changed {
		r.OnChange(cloneItem(it))
	}
}

// applyItem stores or, for subscription "remove", deletes an item.
func applyItem(m map[JID]RosterItem, it RosterItem) {
	if it.Subscription == SubscriptionRemove {
		delete(m, it.JID)
		return
	}
	m[it.JID] = it
}

// diffItems returns the items of next that are not in old or differ, then
// the items of old missing from next with Subscription "remove".
func diffItems(old, next map[JID]RosterItem) []RosterItem {
	var changed []RosterItem
	for j, it := range next {
		if o, ok := old[j]; !ok || !itemsEqual(o, it) {
			changed = append(changed, it)
		}
	}
	for j := range old {
		if _, ok := next[j]; !ok {
			changed = append(changed, RosterItem{JID: j, Subscription: SubscriptionRemove})
		}
	}
	slices.SortFunc(changed, func(a, b RosterItem) int { return compareJIDs(a.JID, b.JID) })
	return changed
}

func itemsEqual(a, b RosterItem) bool {
	return a.JID == b.JID && a.Name == b.Name && a.Subscription == b.Subscription &&
		a.Ask == b.Ask && a.Approved == b.Approved && slices.Equal(a.Groups, b.Groups)
}

func cloneItem(it RosterItem) RosterItem {
	it.Groups = slices.Clone(it.Groups)
	return it
}

func compareJIDs(a, b JID) int {
	switch as, bs := a.String(), b.String(); {
	case as < bs:
		return -1
	case as > bs:
		return 1
	}
	return 0
}

// rosterQuery is <query xmlns='jabber:iq:roster'/> (RFC 6121 §2.1).
type rosterQuery struct {
	XMLName xml.Name        `xml:"jabber:iq:roster query"`
	Ver     *string         `xml:"ver,attr,omitempty"`
	Items   []rosterItemXML `xml:"item"`
}

type rosterItemXML struct {
	JID          string   `xml:"jid,attr"`
	Name         string   `xml:"name,attr,omitempty"`
	Subscription string   `xml:"subscription,attr,omitempty"`
	Ask          string   `xml:"ask,attr,omitempty"`
	Approved     string   `xml:"approved,attr,omitempty"`
	Groups       []string `xml:"group"`
}

// parseRosterQuery decodes a roster query: its ver (nil when absent) and
// items. Unknown subscription values are read as "none" and unknown ask
// values dropped (RFC 6121 §2.1.2). A query it cannot read is a
// *MalformedError.
func parseRosterQuery(el Element) (ver *string, items []RosterItem, err error) {
	if el.Name.Space != NSRoster || el.Name.Local != "query" {
		return nil, nil, &MalformedError{Spec: "RFC 6121", Reason: fmt.Sprintf("roster payload <%s xmlns='%s'/> is not a roster query", el.Name.Local, el.Name.Space), Raw: el.Raw}
	}
	var q rosterQuery
	if err := el.Decode(&q); err != nil {
		return nil, nil, &MalformedError{Spec: "RFC 6121", Reason: "roster query", Raw: el.Raw, Err: err}
	}
	for _, x := range q.Items {
		j, err := ParseJID(x.JID)
		if err != nil {
			return nil, nil, &MalformedError{Spec: "RFC 6121", Reason: fmt.Sprintf("roster item jid %q", x.JID), Raw: el.Raw, Err: err}
		}
		it := RosterItem{JID: j, Name: x.Name, Subscription: x.Subscription, Approved: x.Approved == "true" || x.Approved == "1"}
		switch it.Subscription {
		case SubscriptionNone, SubscriptionTo, SubscriptionFrom, SubscriptionBoth, SubscriptionRemove:
		default:
			it.Subscription = SubscriptionNone
		}
		if x.Ask == PresenceSubscribe.String() {
			it.Ask = x.Ask
		}
		for _, g := range x.Groups {
			if !slices.Contains(it.Groups, g) {
				it.Groups = append(it.Groups, g)
			}
		}
		items = append(items, it)
	}
	return q.Ver, items, nil
}
