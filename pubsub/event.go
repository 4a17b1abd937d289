package pubsub

import (
	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/forms"
)

// Event is a notification from a pubsub service (§7, §8): one of
// *ItemsEvent, *RetractEvent, *DeleteEvent, *PurgeEvent and *ConfigEvent.
type Event interface {
	// Source returns the service that sent the event (for PEP, the bare
	// JID of the account) and the node it is about.
	Source() (service xmpp.JID, node string)
	event()
}

// EventHeader is what every Event carries.
type EventHeader struct {
	// From is the sender of the message: the service, or the account of a
	// PEP node.
	From xmpp.JID
	// Node is the node the event is about.
	Node string
}

// Source implements Event.
func (h EventHeader) Source() (xmpp.JID, string) { return h.From, h.Node }
func (EventHeader) event()                       {}

// ItemsEvent is the publication of items (§7.1.2.1), or the items a
// service sends on subscription or to a new PEP contact (§6.1.7, XEP-0163
// §4.3.2): their ids and, unless the node delivers no payloads, payloads.
type ItemsEvent struct {
	EventHeader
	Items []Item
}

// RetractEvent is the retraction of items (§7.2.2.1).
type RetractEvent struct {
	EventHeader
	// IDs are the ids of the retracted items.
	IDs []string
}

// DeleteEvent is the deletion of the node (§8.4.2).
type DeleteEvent struct {
	EventHeader
	// Redirect is the URI of the node that replaces it, "" if none.
	Redirect string
}

// PurgeEvent is the removal of every item of the node (§8.5.2).
type PurgeEvent struct {
	EventHeader
}

// ConfigEvent is a change of the node's configuration (§8.2.5).
type ConfigEvent struct {
	EventHeader
	// Config is the new configuration, nil when the service sent none
	// (pubsub#deliver_payloads false).
	Config *forms.Form
}

// HasEvent reports whether m carries a pubsub event.
func HasEvent(m *xmpp.Message) bool {
	for _, x := range m.Extensions {
		if x.Name.Space == NSEvent && x.Name.Local == "event" {
			return true
		}
	}
	return false
}

// ParseEvent returns the events of m's <event/> element in document order:
// each <items/> gives an ItemsEvent for its items and a RetractEvent for its
// retractions, in the order of the first of each. It returns nil and no
// error for a message without an event, and an *xmpp.MalformedError for
// an event that breaks XEP-0060 (no node, no item or retraction in
// <items/>, an unknown event, a bad configuration form).
func ParseEvent(m *xmpp.Message) ([]Event, error) {
	var events []Event
	for _, x := range m.Extensions {
		if x.Name.Space != NSEvent || x.Name.Local != "event" {
			continue
		}
		for c := range x.Children() {
			if c.Name.Space != NSEvent {
				continue
			}
			node := c.Attr("node")
			if node == "" && c.Name.Local != "subscription" {
				return nil, malformed("event <"+c.Name.Local+"/> without node", x.Raw, nil)
			}
			h := EventHeader{From: m.From, Node: node}
			switch c.Name.Local {
			case "items":
				var items *ItemsEvent
				var retracts *RetractEvent
				for it := range c.Children() {
					if it.Name.Space != NSEvent {
						continue
					}
					switch it.Name.Local {
					case "item":
						if items == nil {
							items = &ItemsEvent{EventHeader: h}
							events = append(events, items)
						}
						items.Items = append(items.Items, parseItem(it))
					case "retract":
						if it.Attr("id") == "" {
							return nil, malformed("<retract/> without id", x.Raw, nil)
						}
						if retracts == nil {
							retracts = &RetractEvent{EventHeader: h}
							events = append(events, retracts)
						}
						retracts.IDs = append(retracts.IDs, it.Attr("id"))
					}
				}
				if items == nil && retracts == nil {
					return nil, malformed("<items/> event without item or retract", x.Raw, nil)
				}
			case "delete":
				d := &DeleteEvent{EventHeader: h}
				if r, ok := c.Child(NSEvent, "redirect"); ok {
					d.Redirect = r.Attr("uri")
				}
				events = append(events, d)
			case "purge":
				events = append(events, &PurgeEvent{EventHeader: h})
			case "configuration":
				ce := &ConfigEvent{EventHeader: h}
				if f, ok := c.Child(forms.NS, "x"); ok {
					form, err := forms.Parse(f)
					if err != nil {
						return nil, malformed("configuration event form", x.Raw, err)
					}
					ce.Config = form
				}
				events = append(events, ce)
			case "subscription", "collection":
				// Subscription state and collection notifications are not
				// delivered.
			default:
				return nil, malformed("unknown event <"+c.Name.Local+"/>", x.Raw, nil)
			}
		}
	}
	return events, nil
}

// Register makes mux deliver the pubsub events of inbound messages to f, in
// the order they arrive (from the session's handler goroutine, so f may
// block and make pubsub calls), and consume those messages: the message
// handlers of mux do not see them. A message with a malformed event is
// consumed and dropped; a message of type error is left to the handlers.
func Register(mux *xmpp.Mux, f func(s xmpp.Session, e Event)) {
	mux.InterceptMessage(func(s xmpp.Session, m *xmpp.Message) bool {
		if m.Type == xmpp.MessageError || !HasEvent(m) {
			return false
		}
		events, err := ParseEvent(m)
		if err != nil {
			return true
		}
		for _, e := range events {
			f(s, e)
		}
		return true
	})
}

// Notify records, in mux's features, the interest in notifications of node
// (node+"+notify", XEP-0163 §4): a PEP service that reads them from the
// client's entity capabilities (XEP-0115) sends it the node's items of its
// contacts and their last item. Call it before computing the capabilities
// (caps.Advertise) and sending initial presence.
func Notify(mux *xmpp.Mux, node string) {
	mux.AddFeature(node + NotifySuffix)
}
