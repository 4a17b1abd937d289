package xmpp

import "context"

// Session is what feature packages need of a session: its own address, and
// the sending of stanzas and IQ round trips over it. *Client implements it;
// a component (XEP-0114) or WebSocket (RFC 7395) session can implement it
// too, and then every feature package and handler works over it unchanged.
//
// Implementations must be safe for concurrent use, and SendIQ must not
// depend on a handler returning: a handler may call it (see [Handler]).
// They should be pointer types: feature packages tell sessions apart by
// comparing them with ==, which panics for a value that is not comparable.
type Session interface {
	// JID returns the session's own full JID: for a client, the address
	// the server bound (RFC 6120 §7).
	JID() JID
	// Send writes a stanza (RFC 6120 §8). Its return says nothing about
	// delivery.
	Send(ctx context.Context, s Stanza) error
	// SendIQ sends an IQ request of type get or set, with a new id if it
	// has none, and waits for its answer (RFC 6120 §8.2.3): the result,
	// or the error reply as a *StanzaError.
	SendIQ(ctx context.Context, iq *IQ) (*IQ, error)
}

// Handler handles the stanzas a session receives. A session calls it, in
// the order the stanzas arrived, from one goroutine of its own, so a slow
// handler holds back the stanzas after it but never the answers to SendIQ:
// a handler may block, and may call s.SendIQ (or any feature call) even
// with context.Background(). [*Mux] implements Handler for many feature
// packages at once.
type Handler interface {
	// OnMessage is called for every inbound <message/> (RFC 6121 §5).
	OnMessage(s Session, m *Message)
	// OnPresence is called for every inbound <presence/> (RFC 6121 §4).
	OnPresence(s Session, p *Presence)
	// OnIQ is called for every inbound IQ of type get or set; results and
	// errors go to the SendIQ waiting for them. A non-nil reply is sent,
	// with Type "result", ID and To (the request's sender) filled in where
	// empty. A returned error is sent as an IQ error: a *StanzaError
	// (found with errors.As) as is, anything else as internal-server-error
	// without its text. (nil, nil) is answered with service-unavailable
	// (RFC 6120 §8.4). Every request gets exactly one answer (RFC 6120
	// §8.2.3).
	OnIQ(s Session, iq *IQ) (*IQ, error)
}

// Watcher is implemented by a [Handler] that also wants to see each inbound
// message and presence on the session's reader goroutine, as soon as it is
// read: in order with the IQ replies around it, and before it is queued for
// OnMessage or OnPresence. Feature packages use it to collect the stanzas
// that a blocking call waits for (archive results, XEP-0313; the presences
// of a MUC join, XEP-0045), so that the call also works from a handler,
// whose goroutine cannot run OnMessage or OnPresence meanwhile. [*Mux]
// implements it; see [Mux.Watch] and [Mux.WatchPresences].
type Watcher interface {
	// WatchMessage reports whether it consumed m; a consumed message does
	// not reach OnMessage (it still counts for XEP-0198). It must return
	// quickly and never block or wait for the network: it runs on the
	// goroutine that reads the connection. A panic in it is logged and the
	// message goes to OnMessage.
	WatchMessage(s Session, m *Message) (consumed bool)
	// WatchPresence is WatchMessage for presences: a consumed presence
	// does not reach OnPresence.
	WatchPresence(s Session, p *Presence) (consumed bool)
}

// featuresOf returns the stream features of s, for the sessions that
// have them (a *Client does; RFC 6120 §4.3.2), and false for the others.
func featuresOf(s Session) (Element, bool) {
	f, ok := s.(interface{ StreamFeatures() Element })
	if !ok {
		return Element{}, false
	}
	return f.StreamFeatures(), true
}
