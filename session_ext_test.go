package xmpp_test

import "github.com/gojabber/xmpp"

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
