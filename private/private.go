// Package private implements XEP-0049: Private XML Storage, version 1.2
// (https://xmpp.org/extensions/xep-0049.html): the account's server keeps
// XML elements for the user, one per namespace, readable only by the user.
// XEP-0223 (package pubsub, PublishWith) is its successor; legacy bookmarks
// (package bookmarks) still live here.
package private

import (
	"context"
	"encoding/xml"
	"fmt"

	"github.com/gojabber/xmpp"
)

// NS is the namespace of XEP-0049.
const NS = "jabber:iq:private"

// Get returns the element named name that the server keeps for the user
// (§3): the stored element, or an empty one of that name when nothing is
// stored. A server without private storage answers service-unavailable (an
// *xmpp.StanzaError); name must have a namespace other than jabber:client
// and jabber:iq:private, or the server answers not-acceptable (§3).
func Get(ctx context.Context, s xmpp.Session, name xml.Name) (xmpp.Element, error) {
	var b escaper
	b.WriteString("<query xmlns='" + NS + "'><" + name.Local + " xmlns='")
	b.text(name.Space)
	b.WriteString("'/></query>")
	r, err := send(ctx, s, xmpp.IQGet, b.String())
	if err != nil {
		return xmpp.Element{}, err
	}
	if r.Payload.Name != (xml.Name{Space: NS, Local: "query"}) {
		return xmpp.Element{}, &xmpp.MalformedError{Spec: "XEP-0049", Reason: "result without <query/>", Raw: r.Payload.Raw}
	}
	el, ok := r.Payload.Child(name.Space, name.Local)
	if !ok {
		return xmpp.Element{}, &xmpp.MalformedError{Spec: "XEP-0049", Reason: fmt.Sprintf("result without {%s}%s", name.Space, name.Local), Raw: r.Payload.Raw}
	}
	return el, nil
}

// Set stores el, replacing what was stored under its name (§2).
func Set(ctx context.Context, s xmpp.Session, el xmpp.Element) error {
	_, err := send(ctx, s, xmpp.IQSet, "<query xmlns='"+NS+"'>"+el.Raw+"</query>")
	return err
}

func send(ctx context.Context, s xmpp.Session, typ xmpp.IQType, raw string) (*xmpp.IQ, error) {
	el, err := xmpp.ParseElement(raw)
	if err != nil {
		return nil, fmt.Errorf("private: building request: %w", err)
	}
	return s.SendIQ(ctx, &xmpp.IQ{Type: typ, Payload: el})
}

type escaper struct{ buf []byte }

func (e *escaper) WriteString(s string) { e.buf = append(e.buf, s...) }
func (e *escaper) Write(p []byte) (int, error) {
	e.buf = append(e.buf, p...)
	return len(p), nil
}
func (e *escaper) text(s string)  { xml.EscapeText(e, []byte(s)) } // never fails
func (e *escaper) String() string { return string(e.buf) }
