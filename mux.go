package xmpp

import (
	"encoding/xml"
	"slices"
	"sync"
)

// Mux routes inbound stanzas to many handlers: IQ requests by the name of
// their payload element, messages and presences to every handler registered
// for them, in registration order. It is how feature packages (roster, disco,
// ping, …) plug into a session, and it records the features they implement,
// so that a disco#info answer (XEP-0030) lists exactly what the client does.
//
// Wire a Mux into a session through its methods, before Dial, so that no
// stanza arrives before its handler exists:
//
//	mux := xmpp.NewMux()
//	mux.HandleIQ(xmpp.IQGet, "urn:xmpp:ping", "ping", func(s xmpp.Session, iq *xmpp.IQ) (*xmpp.IQ, error) {
//		return &xmpp.IQ{}, nil
//	})
//	c, err := xmpp.Dial(ctx, jid, password, &xmpp.Options{Handler: mux})
//
// A Mux is a [Handler]. It is safe for concurrent use; handlers may be
// added while a session runs, and one Mux may serve several sessions, each
// handler getting the session the stanza came on.
type Mux struct {
	mu        sync.RWMutex
	iq        map[iqRoute]IQHandlerFunc       // guarded by mu
	intercept []func(Session, *Message) bool  // guarded by mu
	watch     []func(Session, *Message) bool  // guarded by mu
	watchP    []func(Session, *Presence) bool // guarded by mu
	messages  []func(Session, *Message)       // guarded by mu
	presences []func(Session, *Presence)      // guarded by mu
	features  []string                        // sorted, no duplicates; guarded by mu
}

// IQHandlerFunc answers an IQ request that arrived on the session s; see
// [Handler] (OnIQ) for what its results mean.
type IQHandlerFunc func(s Session, iq *IQ) (*IQ, error)

type iqRoute struct {
	typ  IQType
	name xml.Name
}

var _ Handler = (*Mux)(nil)

// NewMux returns an empty Mux.
func NewMux() *Mux {
	return &Mux{iq: make(map[iqRoute]IQHandlerFunc)}
}

// HandleIQ registers h for IQ requests of type typ (IQGet or IQSet) whose
// payload is the element {space, local}, replacing any handler registered for
// the same type and name. A get handler is a service the client offers to
// others, so its namespace is added to the features the Mux reports; a set
// handler is not, since most are pushes from the account's own server (a
// roster push is no feature of the client); use AddFeature for those that
// are.
func (m *Mux) HandleIQ(typ IQType, space, local string, h IQHandlerFunc) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.iq[iqRoute{typ, xml.Name{Space: space, Local: local}}] = h
	if typ == IQGet {
		m.addFeatureLocked(space)
	}
}

// HandleMessage registers h to be called for every inbound message, after the
// handlers registered before it.
func (m *Mux) HandleMessage(h func(s Session, msg *Message)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.messages = append(m.messages, h)
}

// InterceptMessage registers f to see every inbound message before the
// HandleMessage handlers, after the interceptors registered before it. If f
// returns true the message is consumed: no later interceptor or handler sees
// it. Feature packages use this for messages that are protocol rather than
// conversation, such as archive results (XEP-0313) or carbon copies
// (XEP-0280), including forged ones they drop.
func (m *Mux) InterceptMessage(f func(s Session, msg *Message) (consumed bool)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.intercept = append(m.intercept, f)
}

// Watch registers f to see every inbound message on the session's reader
// goroutine, before the interceptors and handlers, which run on the handler
// goroutine; see [Watcher]. If f returns true the message is consumed. f
// must be quick and never block. Feature packages use it for the messages
// a blocking call collects, so that the call works from a handler too.
//
// A session whose Handler implements [Watcher] (the Mux itself, or a
// wrapper that passes WatchMessage and WatchPresence on to it) runs them on
// its reader goroutine. When the Handler only wraps the Mux's OnMessage and
// OnPresence, or calls them from another Mux's handlers, the session cannot,
// and OnMessage and OnPresence run the Watch functions first instead, on
// the handler goroutine; a blocking call made from a handler then waits in
// vain for them, as without Watch. Either way each stanza is offered to
// them once: the stanza records which Mux's Watch functions saw it.
func (m *Mux) Watch(f func(s Session, msg *Message) (consumed bool)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.watch = append(m.watch, f)
}

// WatchMessage runs the functions registered with Watch in order until one
// consumes msg; it implements [Watcher].
func (m *Mux) WatchMessage(s Session, msg *Message) bool {
	m.mu.RLock()
	fs := m.watch
	m.mu.RUnlock()
	if len(fs) > 0 {
		msg.offered = m
	}
	return watchAll(fs, s, msg)
}

// watchAll runs the Watch functions fs on v until one consumes it.
func watchAll[T Stanza](fs []func(Session, T) bool, s Session, v T) (consumed bool) {
	for _, f := range fs {
		if f(s, v) {
			return true
		}
	}
	return false
}

// WatchPresences is Watch for presences: f sees every inbound presence on
// the session's reader goroutine, before the presence handlers, and
// consumes it by returning true. f must be quick and never block. Feature
// packages use it for the presences a blocking call collects (a MUC join),
// so that the call works from a handler too.
func (m *Mux) WatchPresences(f func(s Session, p *Presence) (consumed bool)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.watchP = append(m.watchP, f)
}

// WatchPresence runs the functions registered with WatchPresences in order
// until one consumes p; it implements [Watcher].
func (m *Mux) WatchPresence(s Session, p *Presence) bool {
	m.mu.RLock()
	fs := m.watchP
	m.mu.RUnlock()
	if len(fs) > 0 {
		p.offered = m
	}
	return watchAll(fs, s, p)
}

// HandlePresence registers h to be called for every inbound presence, after
// the handlers registered before it.
func (m *Mux) HandlePresence(h func(s Session, p *Presence)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.presences = append(m.presences, h)
}

// AddFeature records a feature (a disco#info var, XEP-0030 §3.1) implemented
// by handlers that HandleIQ cannot see, such as a message extension.
func (m *Mux) AddFeature(feature string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.addFeatureLocked(feature)
}

func (m *Mux) addFeatureLocked(f string) {
	if i, found := slices.BinarySearch(m.features, f); !found {
		m.features = slices.Insert(m.features, i, f)
	}
}

// Features returns the features recorded so far, sorted.
func (m *Mux) Features() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return slices.Clone(m.features)
}

// OnMessage runs the Watch functions unless they saw msg already (see
// Watch), then the interceptors, then, unless one consumed the message,
// every message handler in order ([Handler]).
func (m *Mux) OnMessage(s Session, msg *Message) {
	if msg.offered != m && m.WatchMessage(s, msg) {
		return
	}
	m.mu.RLock()
	fs, hs := m.intercept, m.messages
	m.mu.RUnlock()
	for _, f := range fs {
		if f(s, msg) {
			return
		}
	}
	for _, h := range hs {
		h(s, msg)
	}
}

// OnPresence runs the WatchPresences functions unless they saw p already
// (see Watch), then every presence handler in order ([Handler]).
func (m *Mux) OnPresence(s Session, p *Presence) {
	if p.offered != m && m.WatchPresence(s, p) {
		return
	}
	m.mu.RLock()
	hs := m.presences
	m.mu.RUnlock()
	for _, h := range hs {
		h(s, p)
	}
}

// OnIQ calls the handler registered for the request's type and payload name
// ([Handler]). For a request no handler matches it returns (nil, nil),
// which the session answers with service-unavailable (RFC 6120 §8.4).
func (m *Mux) OnIQ(s Session, iq *IQ) (*IQ, error) {
	m.mu.RLock()
	h := m.iq[iqRoute{iq.Type, iq.Payload.Name}]
	m.mu.RUnlock()
	if h == nil {
		return nil, nil
	}
	return h(s, iq)
}
