package pubsub

import (
	"context"
	"errors"
	"strconv"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/disco"
	"github.com/gojabber/xmpp/rsm"
)

// Publish publishes item to node on service (§7.1) and returns the item's id:
// item.ID, or the one the service assigned when item.ID is "" (§7.1.2). A
// zero service is the user's own account, where a PEP service creates the
// node on first publish (XEP-0163 §3). A payload the node refuses is an
// *Error (e.g. ErrInvalidPayload, ErrPayloadTooBig).
func Publish(ctx context.Context, s xmpp.Session, service xmpp.JID, node string, item Item) (string, error) {
	return publish(ctx, s, service, node, item, "")
}

// PublishWith publishes item like Publish, with publish-options (§7.1.5,
// XEP-0223): the node must have the configuration opts (e.g.
// {pubsub.AccessModel: "whitelist", pubsub.PersistItems: "true"}), or is
// created with it.
//
// It first asks service (disco#info, XEP-0030) for the publish-options
// feature; without it PublishWith publishes nothing and returns an error
// matching ErrNotSupported, since XEP-0223 §4 forbids storing private data
// where its options cannot be enforced. When the node exists with another
// configuration, the service answers precondition-not-met (§7.1.5):
// PublishWith then reconfigures the node with opts, as the owner, and
// publishes again, once. An error of the reconfiguration is returned joined
// with the first ErrPreconditionNotMet.
func PublishWith(ctx context.Context, s xmpp.Session, service xmpp.JID, node string, item Item, opts Config) (string, error) {
	info, err := disco.GetInfo(ctx, s, service, "")
	if err != nil {
		return "", err
	}
	if !info.HasFeature(FeaturePublishOptions) {
		return "", &notSupported{feature: FeaturePublishOptions, what: "publish-options"}
	}
	x, err := opts.form(FormPublishOptions)
	if err != nil {
		return "", err
	}
	id, err := publish(ctx, s, service, node, item, x)
	if !errors.Is(err, ErrPreconditionNotMet) {
		return id, err
	}
	if cerr := Configure(ctx, s, service, node, opts); cerr != nil {
		return "", errors.Join(err, cerr)
	}
	return publish(ctx, s, service, node, item, x)
}

func publish(ctx context.Context, s xmpp.Session, service xmpp.JID, node string, item Item, x string) (string, error) {
	var w b
	w.raw("<publish").attr("node", node).raw("><item").attr("id", item.ID)
	if item.Payload.IsZero() {
		w.raw("/>")
	} else {
		w.raw(">" + item.Payload.Raw + "</item>")
	}
	w.raw("</publish>")
	if x != "" {
		w.raw("<publish-options>" + x + "</publish-options>")
	}
	r, err := iq(ctx, s, service, xmpp.IQSet, NS, w.String())
	if err != nil {
		return "", err
	}
	if p, ok := child(r, NS, "publish"); ok {
		if it, ok := p.Child(NS, "item"); ok && it.Attr("id") != "" {
			return it.Attr("id"), nil
		}
	}
	return item.ID, nil
}

// Retract deletes the item id from node (§7.2). With notify, the service
// notifies the subscribers of the retraction.
func Retract(ctx context.Context, s xmpp.Session, service xmpp.JID, node, id string, notify bool) error {
	var w b
	w.raw("<retract").attr("node", node)
	if notify {
		w.attr("notify", "true")
	}
	w.raw("><item").attr("id", id).raw("/></retract>")
	_, err := iq(ctx, s, service, xmpp.IQSet, NS, w.String())
	return err
}

// Query selects the items GetItems asks for (§6.5). Its zero value asks
// for all of them, as the service pages them.
type Query struct {
	// IDs asks for these items only (§6.5.8).
	IDs []string
	// MaxItems asks for the most recent MaxItems items (§6.5.7); zero or
	// less for no limit.
	MaxItems int
	// RSM asks for one page of the items (XEP-0059, §6.5.4); ignored with
	// IDs.
	RSM rsm.Set
}

// Page is the answer to GetItems.
type Page struct {
	// Items in the order of the service.
	Items []Item
	// RSM describes the page when the service paged the result (§6.5.4);
	// nil otherwise.
	RSM *rsm.Result
}

// GetItems retrieves items of node from service (§6.5). An unknown node is
// an *Error matching xmpp.ErrItemNotFound; so, on PEP services that keep
// nothing about an item asked for by id, may be an unknown item.
func GetItems(ctx context.Context, s xmpp.Session, service xmpp.JID, node string, q Query) (*Page, error) {
	var w b
	w.raw("<items").attr("node", node)
	if q.MaxItems > 0 && len(q.IDs) == 0 {
		w.attr("max_items", strconv.Itoa(q.MaxItems))
	}
	if len(q.IDs) == 0 {
		w.raw("/>")
	} else {
		w.raw(">")
		for _, id := range q.IDs {
			w.raw("<item").attr("id", id).raw("/>")
		}
		w.raw("</items>")
	}
	if !q.RSM.IsZero() && len(q.IDs) == 0 {
		set, err := q.RSM.Element()
		if err != nil {
			return nil, err
		}
		w.raw(set.Raw)
	}
	r, err := iq(ctx, s, service, xmpp.IQGet, NS, w.String())
	if err != nil {
		return nil, err
	}
	items, ok := child(r, NS, "items")
	if !ok {
		return nil, malformed("items result without <items/>", r.Payload.Raw, nil)
	}
	p := &Page{Items: []Item{}}
	for c := range items.Children() {
		if c.Name.Space == NS && c.Name.Local == "item" {
			p.Items = append(p.Items, parseItem(c))
		}
	}
	if set, ok := r.Payload.Child(rsm.NS, "set"); ok {
		res, err := rsm.ParseResult(set)
		if err != nil {
			return nil, malformed("items result set", r.Payload.Raw, err)
		}
		p.RSM = &res
	}
	return p, nil
}
