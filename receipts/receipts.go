package receipts

import (
	"context"
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"time"

	"github.com/gojabber/xmpp"
)

// NS is the namespace of XEP-0184, also its service discovery feature.
const NS = "urn:xmpp:receipts"

// replyTimeout bounds sending one automatic receipt.
const replyTimeout = 10 * time.Second

// requestElement is <request xmlns='urn:xmpp:receipts'/>.
var requestElement = mustParse(`<request xmlns='urn:xmpp:receipts'/>`)

func mustParse(raw string) xmpp.Element {
	el, err := xmpp.ParseElement(raw)
	if err != nil {
		panic(err)
	}
	return el
}

// Received is the <received/> element: a receipt for the message whose id is
// ID.
type Received struct {
	ID string
}

type receivedXML struct {
	XMLName xml.Name `xml:"urn:xmpp:receipts received"`
	ID      string   `xml:"id,attr"`
}

// Element returns r as an element to add to a message's Extensions. It fails
// with an *xmpp.MalformedError for an empty ID, which the XEP requires.
func (r Received) Element() (xmpp.Element, error) {
	if r.ID == "" {
		return xmpp.Element{}, malformed("", "<received/> needs an id")
	}
	return xmpp.MarshalElement(receivedXML{ID: r.ID})
}

// malformed returns the error for an element raw ("" for one being built)
// that breaks XEP-0184.
func malformed(raw, reason string) *xmpp.MalformedError {
	return &xmpp.MalformedError{Spec: "XEP-0184", Reason: reason, Raw: raw}
}

// Parse reads a <received/> element. An element of another name, or one
// without an id, is an *xmpp.MalformedError.
func Parse(el xmpp.Element) (Received, error) {
	if el.Name.Space != NS || el.Name.Local != "received" {
		return Received{}, malformed(el.Raw, fmt.Sprintf("<%s xmlns='%s'> is not <received/>", el.Name.Local, el.Name.Space))
	}
	id := el.Attr("id")
	if id == "" {
		return Received{}, malformed(el.Raw, "<received/> without id")
	}
	return Received{ID: id}, nil
}

// From returns the receipt carried by m, if m holds a valid one.
func From(m *xmpp.Message) (Received, bool) {
	for _, el := range m.Extensions {
		if el.Name.Space == NS && el.Name.Local == "received" {
			r, err := Parse(el)
			return r, err == nil
		}
	}
	return Received{}, false
}

// HasRequest reports whether m asks for a receipt: whether it carries
// <request/>.
func HasRequest(m *xmpp.Message) bool {
	for _, el := range m.Extensions {
		if el.Name.Space == NS && el.Name.Local == "request" {
			return true
		}
	}
	return false
}

// AddRequest adds a receipt request to m, unless it already has one. It
// reports false, and leaves m alone, when m has no id or is of type error:
// the receipt names the id, and errors are not acknowledged.
func AddRequest(m *xmpp.Message) bool {
	if m.ID == "" || m.Type == xmpp.MessageError {
		return false
	}
	if !HasRequest(m) {
		m.Extensions = append(m.Extensions, requestElement)
	}
	return true
}

// Reply returns the receipt to send for m, or false when none is due: when m
// has no request, no id or no sender, or is of type error or groupchat
// (the XEP's business rules). The receipt goes to m's sender, with the same type as m so
// that it follows the same routing.
func Reply(m *xmpp.Message) (*xmpp.Message, bool) {
	if m.ID == "" || m.From.IsZero() || m.Type == xmpp.MessageError || m.Type == xmpp.MessageGroupchat || !HasRequest(m) {
		return nil, false
	}
	el, err := Received{ID: m.ID}.Element()
	if err != nil {
		return nil, false
	}
	return &xmpp.Message{
		Header: xmpp.Header{ID: rand.Text(), To: m.From}, Type: m.Type,
		Extensions: []xmpp.Element{el},
	}, true
}

// Register adds the urn:xmpp:receipts feature to mux, which clients that
// answer receipt requests advertise. If auto is true, it also
// registers a message handler that sends the receipt [Reply] returns for
// every inbound message, over the session it came on; a send error is dropped, as a receipt is best
// effort.
func Register(mux *xmpp.Mux, auto bool) {
	mux.AddFeature(NS)
	if !auto {
		return
	}
	mux.HandleMessage(func(s xmpp.Session, m *xmpp.Message) {
		r, ok := Reply(m)
		if !ok {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), replyTimeout)
		defer cancel()
		_ = s.Send(ctx, r)
	})
}
