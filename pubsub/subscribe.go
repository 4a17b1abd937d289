package pubsub

import (
	"context"

	"github.com/gojabber/xmpp"
)

// Subscription states (§4.2).
const (
	StateNone         = "none"
	StatePending      = "pending"
	StateSubscribed   = "subscribed"
	StateUnconfigured = "unconfigured"
)

// Subscription is an entity's subscription to a node (§4.2, §5.6, §8.8).
type Subscription struct {
	// Node is the node; "" when the service did not say.
	Node string
	// JID is the subscribed entity.
	JID xmpp.JID
	// SubID tells several subscriptions of one JID apart; "" when the
	// service does not use subscription ids.
	SubID string
	// State is one of the State constants.
	State string
}

// Affiliations (§4.1).
const (
	AffiliationOwner       = "owner"
	AffiliationPublisher   = "publisher"
	AffiliationPublishOnly = "publish-only"
	AffiliationMember      = "member"
	AffiliationNone        = "none"
	AffiliationOutcast     = "outcast"
)

// Affiliation is an entity's affiliation with a node (§4.1, §5.7, §8.9).
type Affiliation struct {
	// Node is the node; "" in the owner's list of one node.
	Node string
	// JID is the affiliated entity; zero in the entity's own list.
	JID xmpp.JID
	// Affiliation is one of the Affiliation constants.
	Affiliation string
}

// Subscribe subscribes jid (usually the user's bare or full JID) to node
// (§6.1), with the subscription options opts (§6.3.7; nil for none) and
// returns the subscription, whose State may be pending when the owner must
// approve. A service that requires options first answers with State
// unconfigured.
func Subscribe(ctx context.Context, s xmpp.Session, service xmpp.JID, node string, jid xmpp.JID, opts Config) (Subscription, error) {
	x, err := opts.form(FormSubscribeOptions)
	if err != nil {
		return Subscription{}, err
	}
	var w b
	w.raw("<subscribe").attr("node", node).attr("jid", jid.String()).raw("/>")
	if x != "" {
		w.raw("<options>" + x + "</options>")
	}
	r, err := iq(ctx, s, service, xmpp.IQSet, NS, w.String())
	if err != nil {
		return Subscription{}, err
	}
	el, ok := child(r, NS, "subscription")
	if !ok {
		// §6.1.2 makes the reply's <subscription/> a SHOULD.
		return Subscription{Node: node, JID: jid, State: StateSubscribed}, nil
	}
	sub, err := parseSubscription(el)
	if err != nil {
		return Subscription{}, malformed(err.Error(), r.Payload.Raw, err)
	}
	if sub.Node == "" {
		sub.Node = node
	}
	return sub, nil
}

// Unsubscribe ends jid's subscription to node (§6.2); subID selects one of
// several subscriptions ("" for none). A jid that is not subscribed is an
// *Error matching ErrNotSubscribed.
func Unsubscribe(ctx context.Context, s xmpp.Session, service xmpp.JID, node string, jid xmpp.JID, subID string) error {
	var w b
	w.raw("<unsubscribe").attr("node", node).attr("jid", jid.String()).attr("subid", subID).raw("/>")
	_, err := iq(ctx, s, service, xmpp.IQSet, NS, w.String())
	return err
}

// Subscriptions lists the user's subscriptions on service (§5.6), to node
// only when node is not "".
func Subscriptions(ctx context.Context, s xmpp.Session, service xmpp.JID, node string) ([]Subscription, error) {
	return subscriptions(ctx, s, service, NS, node)
}

// Affiliations lists the user's affiliations on service (§5.7), with node
// only when node is not "".
func Affiliations(ctx context.Context, s xmpp.Session, service xmpp.JID, node string) ([]Affiliation, error) {
	return affiliations(ctx, s, service, NS, node)
}

func subscriptions(ctx context.Context, s xmpp.Session, service xmpp.JID, space, node string) ([]Subscription, error) {
	var w b
	w.raw("<subscriptions").attr("node", node).raw("/>")
	r, err := iq(ctx, s, service, xmpp.IQGet, space, w.String())
	if err != nil {
		return nil, err
	}
	list, ok := child(r, space, "subscriptions")
	if !ok {
		return nil, malformed("result without <subscriptions/>", r.Payload.Raw, nil)
	}
	subs := []Subscription{}
	for c := range list.Children() {
		if c.Name.Space != space || c.Name.Local != "subscription" {
			continue
		}
		sub, err := parseSubscription(c)
		if err != nil {
			return nil, malformed(err.Error(), r.Payload.Raw, err)
		}
		if sub.Node == "" {
			sub.Node = list.Attr("node")
		}
		subs = append(subs, sub)
	}
	return subs, nil
}

func parseSubscription(el xmpp.Element) (Subscription, error) {
	sub := Subscription{Node: el.Attr("node"), SubID: el.Attr("subid"), State: el.Attr("subscription")}
	if sub.State == "" {
		sub.State = StateSubscribed
	}
	if v := el.Attr("jid"); v != "" {
		j, err := xmpp.ParseJID(v)
		if err != nil {
			return Subscription{}, err
		}
		sub.JID = j
	}
	return sub, nil
}

func affiliations(ctx context.Context, s xmpp.Session, service xmpp.JID, space, node string) ([]Affiliation, error) {
	var w b
	w.raw("<affiliations").attr("node", node).raw("/>")
	r, err := iq(ctx, s, service, xmpp.IQGet, space, w.String())
	if err != nil {
		return nil, err
	}
	list, ok := child(r, space, "affiliations")
	if !ok {
		return nil, malformed("result without <affiliations/>", r.Payload.Raw, nil)
	}
	affs := []Affiliation{}
	for c := range list.Children() {
		if c.Name.Space != space || c.Name.Local != "affiliation" {
			continue
		}
		a := Affiliation{Node: c.Attr("node"), Affiliation: c.Attr("affiliation")}
		if v := c.Attr("jid"); v != "" {
			j, err := xmpp.ParseJID(v)
			if err != nil {
				return nil, malformed("affiliation jid", r.Payload.Raw, err)
			}
			a.JID = j
		}
		affs = append(affs, a)
	}
	return affs, nil
}

// NodeSubscriptions lists every subscription to node, as its owner (§8.8.1).
func NodeSubscriptions(ctx context.Context, s xmpp.Session, service xmpp.JID, node string) ([]Subscription, error) {
	return subscriptions(ctx, s, service, NSOwner, node)
}

// SetSubscriptions changes subscriptions to node as its owner (§8.8.2): each
// entry's JID gets its State (StateNone removes the subscription).
func SetSubscriptions(ctx context.Context, s xmpp.Session, service xmpp.JID, node string, subs []Subscription) error {
	var w b
	w.raw("<subscriptions").attr("node", node).raw(">")
	for _, sub := range subs {
		w.raw("<subscription").attr("jid", sub.JID.String()).attr("subid", sub.SubID).attr("subscription", sub.State).raw("/>")
	}
	w.raw("</subscriptions>")
	_, err := iq(ctx, s, service, xmpp.IQSet, NSOwner, w.String())
	return err
}

// NodeAffiliations lists every affiliation with node, as its owner (§8.9.1).
func NodeAffiliations(ctx context.Context, s xmpp.Session, service xmpp.JID, node string) ([]Affiliation, error) {
	return affiliations(ctx, s, service, NSOwner, node)
}

// SetAffiliations changes affiliations with node as its owner (§8.9.2): each
// entry's JID gets its Affiliation (AffiliationNone removes it).
func SetAffiliations(ctx context.Context, s xmpp.Session, service xmpp.JID, node string, affs []Affiliation) error {
	var w b
	w.raw("<affiliations").attr("node", node).raw(">")
	for _, a := range affs {
		w.raw("<affiliation").attr("jid", a.JID.String()).attr("affiliation", a.Affiliation).raw("/>")
	}
	w.raw("</affiliations>")
	_, err := iq(ctx, s, service, xmpp.IQSet, NSOwner, w.String())
	return err
}
