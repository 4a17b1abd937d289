package xmpp

// funcHandler is a Handler made of functions that take the *Client, for
// the session tests: a nil function drops the stanza, or leaves the IQ to
// be answered with service-unavailable.
type funcHandler struct {
	onMessage  func(c *Client, m *Message)
	onPresence func(c *Client, p *Presence)
	onIQ       func(c *Client, iq *IQ) (*IQ, error)
}

func (h funcHandler) OnMessage(s Session, m *Message) {
	if h.onMessage != nil {
		h.onMessage(s.(*Client), m)
	}
}

func (h funcHandler) OnPresence(s Session, p *Presence) {
	if h.onPresence != nil {
		h.onPresence(s.(*Client), p)
	}
}

func (h funcHandler) OnIQ(s Session, iq *IQ) (*IQ, error) {
	if h.onIQ == nil {
		return nil, nil
	}
	return h.onIQ(s.(*Client), iq)
}
