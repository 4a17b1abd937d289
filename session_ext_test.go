package xmpp_test

import (
	"context"
	"log"
	"time"

	"github.com/gojabber/xmpp"
)

// A *Client is a Session: feature packages and handlers work over it.
var _ xmpp.Session = (*xmpp.Client)(nil)

// funcHandler is an xmpp.Handler made of functions that take the
// *xmpp.Client, for the session tests of this package: a nil function drops
// the stanza.
type funcHandler struct {
	onMessage  func(c *xmpp.Client, m *xmpp.Message)
	onPresence func(c *xmpp.Client, p *xmpp.Presence)
}

func (h funcHandler) OnMessage(s xmpp.Session, m *xmpp.Message) {
	if h.onMessage != nil {
		h.onMessage(s.(*xmpp.Client), m)
	}
}

func (h funcHandler) OnPresence(s xmpp.Session, p *xmpp.Presence) {
	if h.onPresence != nil {
		h.onPresence(s.(*xmpp.Client), p)
	}
}

func (funcHandler) OnIQ(xmpp.Session, *xmpp.IQ) (*xmpp.IQ, error) { return nil, nil }

// uptime is a feature function over a Session, the way feature packages
// write them: it works over a *Client, and over any other session that
// implements Session.
func uptime(ctx context.Context, s xmpp.Session, server xmpp.JID) (string, error) {
	q, err := xmpp.ParseElement("<query xmlns='jabber:iq:last'/>")
	if err != nil {
		return "", err
	}
	r, err := s.SendIQ(ctx, &xmpp.IQ{Header: xmpp.Header{To: server}, Type: xmpp.IQGet, Payload: q})
	if err != nil {
		return "", err
	}
	return r.Payload.Attr("seconds") + "s", nil
}

// A feature is a function over a Session; a *Client is one.
func ExampleSession() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := xmpp.Dial(ctx, "alice@example.com", "secret", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	up, err := uptime(ctx, c, xmpp.MustParseJID("example.com"))
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("example.com has been up for %s", up)
}
