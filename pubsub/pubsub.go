package pubsub

import (
	"context"
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/gojabber/xmpp"
)

// Namespaces of XEP-0060 (§22.1) and of XEP-0223's publish-options feature.
const (
	NS        = "http://jabber.org/protocol/pubsub"
	NSEvent   = NS + "#event"
	NSOwner   = NS + "#owner"
	NSErrors  = NS + "#errors"
	nsOptions = NS + "#subscribe_options"

	// FormNodeConfig is the FORM_TYPE of node configuration forms (§16.4.4).
	FormNodeConfig = NS + "#node_config"
	// FormPublishOptions is the FORM_TYPE of publish-options forms (§7.1.5).
	FormPublishOptions = NS + "#publish-options"
	// FormSubscribeOptions is the FORM_TYPE of subscription options forms
	// (§16.4.2).
	FormSubscribeOptions = NS + "#subscribe_options"

	// FeaturePublishOptions is the disco#info feature of a service that
	// supports publish-options (§7.1.5, XEP-0223 §4).
	FeaturePublishOptions = NS + "#publish-options"
	// NotifySuffix is appended to a node name to make the feature that says
	// an entity wants notifications for that node (XEP-0163 §4).
	NotifySuffix = "+notify"
)

// Well-known node configuration fields (§16.4.4), for [Config].
const (
	AccessModel           = "pubsub#access_model"
	MaxItems              = "pubsub#max_items"
	PersistItems          = "pubsub#persist_items"
	SendLastPublishedItem = "pubsub#send_last_published_item"
	NotifyRetract         = "pubsub#notify_retract"
	NotifyDelete          = "pubsub#notify_delete"
	NotifyConfig          = "pubsub#notify_config"
	DeliverPayloads       = "pubsub#deliver_payloads"
	Title                 = "pubsub#title"
)

// Item is a pubsub item (§2.2): its id, the publisher if the service says,
// and its payload, one element in a namespace of its own.
type Item struct {
	// ID is the item's id; the service assigns one when it is "" on
	// publish (§7.1.1).
	ID string
	// Publisher is the publisher attribute the service may add (§7.1.2.1);
	// zero when absent or not a JID.
	Publisher xmpp.JID
	// Payload is the item's payload; zero for a notification without
	// payload (pubsub#deliver_payloads false).
	Payload xmpp.Element
}

// Config holds values of node configuration (§16.4.4) or publish-options
// (§7.1.5) fields, by var, e.g. {pubsub.AccessModel: "whitelist"}. The
// functions that take one send it as a form of type submit with the
// appropriate FORM_TYPE; a nil or empty Config sends no form.
type Config map[string]string

// iq sends a pubsub request of type typ to service with <pubsub
// xmlns=space> holding inner (XML text), and returns the answer with its
// errors converted by wrap.
func iq(ctx context.Context, s xmpp.Session, service xmpp.JID, typ xmpp.IQType, space, inner string) (*xmpp.IQ, error) {
	el, err := xmpp.ParseElement("<pubsub xmlns='" + space + "'>" + inner + "</pubsub>")
	if err != nil {
		return nil, fmt.Errorf("pubsub: building request: %w", err)
	}
	r, err := s.SendIQ(ctx, &xmpp.IQ{Header: xmpp.Header{To: service}, Type: typ, Payload: el})
	if err != nil {
		return nil, wrap(err)
	}
	return r, nil
}

// child returns the child {space}local of the reply's <pubsub/>, or false.
func child(r *xmpp.IQ, space, local string) (xmpp.Element, bool) {
	if r.Payload.Name != (xml.Name{Space: space, Local: "pubsub"}) {
		return xmpp.Element{}, false
	}
	return r.Payload.Child(space, local)
}

func malformed(reason string, raw string, err error) error {
	return &xmpp.MalformedError{Spec: "XEP-0060", Reason: reason, Raw: raw, Err: err}
}

// b is a small XML writer.
type b struct{ strings.Builder }

// attr writes ` name='value'` when value is not "".
func (w *b) attr(name, value string) *b {
	if value != "" {
		w.WriteString(" " + name + "='")
		xml.EscapeText(w, []byte(value)) // a strings.Builder never fails
		w.WriteByte('\'')
	}
	return w
}

func (w *b) raw(s string) *b { w.WriteString(s); return w }

// parseItem reads an <item/> of a result or event.
func parseItem(el xmpp.Element) Item {
	it := Item{ID: el.Attr("id")}
	if p := el.Attr("publisher"); p != "" {
		if j, err := xmpp.ParseJID(p); err == nil {
			it.Publisher = j
		}
	}
	for c := range el.Children() {
		it.Payload = c
		break
	}
	return it
}
