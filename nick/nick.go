// Package nick implements XEP-0172: User Nickname, version 1.1
// (https://xmpp.org/extensions/xep-0172.html): the nickname a user chooses,
// published over PEP (package pubsub) and carried in subscription requests
// and first messages.
package nick

import (
	"context"
	"encoding/xml"
	"strings"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/pubsub"
)

// NS is the namespace of the <nick/> element, and the PEP node (§4.5).
const NS = "http://jabber.org/protocol/nick"

// Element returns the <nick/> element of nick.
func Element(nick string) (xmpp.Element, error) {
	var w strings.Builder
	w.WriteString("<nick xmlns='" + NS + "'>")
	xml.EscapeText(&w, []byte(nick)) // never fails on a strings.Builder
	w.WriteString("</nick>")
	return xmpp.ParseElement(w.String())
}

// Publish publishes nick on the user's PEP node (§4.5); contacts that
// asked for it (Notify) get it as a pubsub.ItemsEvent. An empty nick
// publishes an empty <nick/>, which clears it.
func Publish(ctx context.Context, s xmpp.Session, nick string) error {
	el, err := Element(nick)
	if err != nil {
		return err
	}
	_, err = pubsub.Publish(ctx, s, xmpp.JID{}, NS, pubsub.Item{ID: "current", Payload: el})
	return err
}

// Get returns the nickname jid published (§4.5), "" and no error when it
// published none.
func Get(ctx context.Context, s xmpp.Session, jid xmpp.JID) (string, error) {
	page, err := pubsub.GetItems(ctx, s, jid.Bare(), NS, pubsub.Query{MaxItems: 1})
	if err != nil {
		return "", err
	}
	for _, it := range page.Items {
		if n, ok := Parse(it.Payload); ok {
			return n, nil
		}
	}
	return "", nil
}

// Notify asks for the nicknames of contacts over PEP (pubsub.Notify).
func Notify(mux *xmpp.Mux) { pubsub.Notify(mux, NS) }

// Parse returns the nickname in el, if el is a <nick/> element.
func Parse(el xmpp.Element) (string, bool) {
	if el.Name != (xml.Name{Space: NS, Local: "nick"}) {
		return "", false
	}
	return el.Text(), true
}

// Add adds <nick/> to m (§4.2: the first message to a contact).
func Add(m *xmpp.Message, nick string) error {
	el, err := Element(nick)
	if err == nil {
		m.Extensions = append(m.Extensions, el)
	}
	return err
}

// AddPresence adds <nick/> to p (§4.1: a subscription request).
func AddPresence(p *xmpp.Presence, nick string) error {
	el, err := Element(nick)
	if err == nil {
		p.Extensions = append(p.Extensions, el)
	}
	return err
}

// From returns the nickname carried by m.
func From(m *xmpp.Message) (string, bool) { return fromExt(m.Extensions) }

// FromPresence returns the nickname carried by p.
func FromPresence(p *xmpp.Presence) (string, bool) { return fromExt(p.Extensions) }

func fromExt(exts []xmpp.Element) (string, bool) {
	for _, x := range exts {
		if n, ok := Parse(x); ok {
			return n, true
		}
	}
	return "", false
}
