package muc

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/disco"
)

// Defaults for [Options] fields left zero.
const (
	defaultTimeout         = 30 * time.Second
	defaultSubjectTimeout  = 5 * time.Second
	defaultSelfPingTimeout = 30 * time.Second
	defaultHistoryMargin   = 2 * time.Second
	// seenKeys is how many message keys a room remembers to drop history
	// it has already delivered.
	seenKeys = 512
	// ownKeys is how many origin-ids of sent messages a room remembers.
	ownKeys = 256
)

// Options configure a Manager. A nil *Options means all defaults. New
// copies them.
type Options struct {
	// OnEvent receives the events of every room, in the order of the
	// stanzas they come from, on the session's handler goroutine (see
	// xmpp.Handler), one at a time. It may block and may call any method
	// of this package, Join included. Default nil: events are dropped
	// (rooms are still tracked).
	OnEvent func(s xmpp.Session, e Event)

	// Timeout bounds, on top of the ctx given, how long Join, Leave and
	// ChangeNick wait for the room, so that a room that never answers
	// cannot hang a caller whose ctx has no deadline; automatic rejoins
	// use it too. Default 0: 30 s. Negative: no bound beyond ctx.
	Timeout time.Duration

	// SubjectTimeout bounds how long Join waits, after the room confirmed
	// the join, for the room's subject, which the room sends after the
	// history (§7.2.15); Join returns without it after that. Default 0:
	// 5 s.
	SubjectTimeout time.Duration

	// SelfPingInterval, if positive, turns on XEP-0410 self-pings: a room
	// silent for this long gets a ping to the user's own occupant JID, and
	// if the room says the user is no longer an occupant (a silent
	// eviction, such as a restart of the service) the room is rejoined
	// (EventRejoined with ReasonSelfPing). Default 0: off.
	SelfPingInterval time.Duration

	// SelfPingTimeout bounds one self-ping. A ping that times out says
	// nothing (the link may be slow); the next one will tell. Default 0:
	// 30 s.
	SelfPingTimeout time.Duration

	// HistoryMargin is how long before the last message seen in a room a
	// rejoin asks for history from (<history since/>, §7.2.14), against
	// clock skew and stamps of whole seconds; the messages already seen
	// again are dropped, so none is delivered twice. Default 0: 2 s.
	HistoryMargin time.Duration

	// Logger receives what the package ignores or retries: malformed
	// room stanzas, failed rejoins, inconclusive self-pings. Default nil:
	// silent.
	Logger *slog.Logger
}

// Manager tracks the rooms that the sessions of one xmpp.Mux are in, and
// turns their stanzas into Events. Create it with New. It is safe for
// concurrent use.
//
// The Manager reads room presences and messages on each session's reader
// goroutine (xmpp.Mux.WatchPresences and Watch), where it updates the rooms'
// state and finds the stanzas that Join, Leave and the other waiting calls
// wait for; so those calls work from a handler, even from OnEvent. The
// events are then delivered on the handler goroutine, in stanza order. A
// Room's state (Occupants, Subject) is thus up to date with what the session
// has read, which may be ahead of the events delivered so far.
type Manager struct {
	opts Options
	log  *slog.Logger

	// Lock order: Room.mu, then Manager.mu, then eventQueue.mu.
	mu      sync.Mutex
	rooms   map[roomKey]*Room            // joined or joining; guarded by mu
	queues  map[xmpp.Session]*eventQueue // guarded by mu
	pinging map[xmpp.Session]bool        // a self-ping loop runs; guarded by mu
}

type roomKey struct {
	s    xmpp.Session
	room xmpp.JID // bare
}

// New creates a Manager and registers it on mux: its watchers, its
// presence and message handlers (which deliver the events), and the
// features muc and jabber:x:conference. Call it before Dial, so that the
// session's stanzas reach it.
func New(mux *xmpp.Mux, opts *Options) *Manager {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Timeout == 0 {
		o.Timeout = defaultTimeout
	}
	if o.SubjectTimeout <= 0 {
		o.SubjectTimeout = defaultSubjectTimeout
	}
	if o.SelfPingTimeout <= 0 {
		o.SelfPingTimeout = defaultSelfPingTimeout
	}
	if o.HistoryMargin <= 0 {
		o.HistoryMargin = defaultHistoryMargin
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Manager{
		opts:    o,
		log:     o.Logger,
		rooms:   make(map[roomKey]*Room),
		queues:  make(map[xmpp.Session]*eventQueue),
		pinging: make(map[xmpp.Session]bool),
	}
	mux.WatchPresences(m.watchPresence)
	mux.Watch(m.watchMessage)
	mux.HandlePresence(func(s xmpp.Session, p *xmpp.Presence) { m.deliver(s, p) })
	mux.HandleMessage(func(s xmpp.Session, msg *xmpp.Message) { m.deliver(s, msg) })
	mux.AddFeature(NS)
	mux.AddFeature(NSConference)
	return m
}

// Room returns the room with the bare JID room that the session s is in
// (or joining).
func (m *Manager) Room(s xmpp.Session, room xmpp.JID) (*Room, bool) {
	r := m.room(s, room.Bare())
	return r, r != nil
}

// Rooms returns the rooms the session s is in or joining, in no order.
func (m *Manager) Rooms(s xmpp.Session) []*Room {
	m.mu.Lock()
	defer m.mu.Unlock()
	var rs []*Room
	for k, r := range m.rooms {
		if k.s == s {
			rs = append(rs, r)
		}
	}
	return rs
}

func (m *Manager) room(s xmpp.Session, bare xmpp.JID) *Room {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rooms[roomKey{s, bare}]
}

// forget removes r from the rooms tracked, if it is still the one tracked.
func (m *Manager) forget(r *Room) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := roomKey{r.s, r.jid}
	if m.rooms[k] == r {
		delete(m.rooms, k)
	}
}

// bound returns ctx bounded by Options.Timeout.
func (m *Manager) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if m.opts.Timeout < 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, m.opts.Timeout)
}

// HandleStatus tells the Manager that the status of the session s
// changed; call it from xmpp.Options.OnStatus (or use OnStatus, which has
// that field's type). After xmpp.StatusConnected, a new stream after a
// reconnect whose stream could not be resumed, the server has taken the
// user out of every room, so each room the session was in is rejoined in
// the background, asking for the history since the last message seen, and
// reported with EventRejoined (a rejoin the room refuses is an EventError
// with Self set). After xmpp.StatusResumed nothing is done: the stream,
// and with it the rooms, carried on. After xmpp.StatusClosed the session's
// rooms are dropped without events.
func (m *Manager) HandleStatus(s xmpp.Session, st xmpp.Status) {
	switch st {
	case xmpp.StatusConnected:
		for _, r := range m.Rooms(s) {
			go r.rejoin(ReasonReconnect)
		}
	case xmpp.StatusClosed:
		for _, r := range m.Rooms(s) {
			r.mu.Lock()
			r.state = stateGone
			r.failWaiters(fmt.Errorf("%w: %w", ErrSessionEnded, ErrNotJoined))
			r.mu.Unlock()
			m.forget(r)
		}
		m.mu.Lock()
		delete(m.queues, s)
		m.mu.Unlock()
	}
}

// OnStatus is HandleStatus with the type of xmpp.Options.OnStatus, so that
// a client with no other use for it can set
//
//	opts.OnStatus = manager.OnStatus
func (m *Manager) OnStatus(c *xmpp.Client, st xmpp.Status, _ error) {
	m.HandleStatus(c, st)
}

// watchPresence runs on the reader goroutine: it updates the room the
// presence comes from and queues its events.
func (m *Manager) watchPresence(s xmpp.Session, p *xmpp.Presence) bool {
	r := m.room(s, p.From.Bare())
	if r == nil {
		return false
	}
	m.queue(s).push(p, r.onPresence(p))
	return false
}

// watchMessage runs on the reader goroutine: it updates the room the
// message comes from, and finds invitations, and queues their events.
func (m *Manager) watchMessage(s xmpp.Session, msg *xmpp.Message) bool {
	_, mediated := findUserX(msg.Extensions)
	// A mediated invitation may carry a jabber:x:conference <x/> too
	// (Prosody and ejabberd add one): the #user one wins.
	if msg.Type != xmpp.MessageError && !mediated {
		if inv, ok := directInvitation(msg); ok {
			r, _ := m.Room(s, inv.Room)
			m.queue(s).push(msg, []Event{{Type: EventInvited, Room: r, Invite: inv, Reason: inv.Reason, Stanza: msg}})
			return false
		}
	}
	r := m.room(s, msg.From.Bare())
	if r == nil {
		if evs := m.strangerMessage(msg); evs != nil {
			m.queue(s).push(msg, evs)
		}
		return false
	}
	m.queue(s).push(msg, r.onMessage(msg))
	return false
}

// strangerMessage finds a mediated invitation from a room the session is
// not in (§7.8.2).
func (m *Manager) strangerMessage(msg *xmpp.Message) []Event {
	el, ok := findUserX(msg.Extensions)
	if !ok || msg.Type == xmpp.MessageError || msg.From.IsZero() {
		return nil
	}
	x, err := parseUserX(el)
	if err != nil {
		m.log.Debug("muc: ignoring malformed message", "from", msg.From.String(), "err", err)
		return nil
	}
	if x.invite != nil {
		inv := *x.invite
		inv.Room, inv.Password = msg.From.Bare(), x.password
		return []Event{{Type: EventInvited, Invite: &inv, Reason: inv.Reason, Stanza: msg}}
	}
	return nil
}

// deliver runs on the handler goroutine: it passes on the events queued
// for st.
func (m *Manager) deliver(s xmpp.Session, st xmpp.Stanza) {
	m.mu.Lock()
	q := m.queues[s]
	m.mu.Unlock()
	if q == nil {
		return
	}
	evs := q.pop(st)
	if m.opts.OnEvent == nil {
		return
	}
	for _, e := range evs {
		m.opts.OnEvent(s, e)
	}
}

func (m *Manager) queue(s xmpp.Session) *eventQueue {
	m.mu.Lock()
	defer m.mu.Unlock()
	q := m.queues[s]
	if q == nil {
		q = &eventQueue{has: make(map[xmpp.Stanza]int)}
		m.queues[s] = q
	}
	return q
}

// eventQueue carries the events found on the reader goroutine to the
// handler goroutine, which sees the same stanzas in the same order.
// Entries whose stanza never reached the handler (consumed by another
// watcher, or dropped when the session closed) are skipped.
type eventQueue struct {
	mu      sync.Mutex
	entries []queuedEvents
	has     map[xmpp.Stanza]int // how many entries each stanza has
}

type queuedEvents struct {
	st  xmpp.Stanza
	evs []Event
}

func (q *eventQueue) push(st xmpp.Stanza, evs []Event) {
	if len(evs) == 0 {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.entries = append(q.entries, queuedEvents{st, evs})
	q.has[st]++
}

func (q *eventQueue) pop(st xmpp.Stanza) []Event {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.has[st] == 0 {
		return nil
	}
	for len(q.entries) > 0 {
		e := q.entries[0]
		q.entries[0] = queuedEvents{}
		q.entries = q.entries[1:]
		if q.has[e.st]--; q.has[e.st] <= 0 {
			delete(q.has, e.st)
		}
		if e.st == st {
			return e.evs
		}
	}
	return nil
}

// startPinger starts the self-ping loop of s, unless it runs or is off.
func (m *Manager) startPinger(s xmpp.Session) {
	if m.opts.SelfPingInterval <= 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pinging[s] {
		return
	}
	m.pinging[s] = true
	go m.pingLoop(s)
}

// pingLoop pings the rooms of s that have been silent for
// SelfPingInterval (XEP-0410 §3), until s has no rooms or ends.
func (m *Manager) pingLoop(s xmpp.Session) {
	interval := m.opts.SelfPingInterval
	tick := time.NewTicker(max(interval/4, 10*time.Millisecond))
	defer tick.Stop()
	var done <-chan struct{}
	if d, ok := s.(interface{ Done() <-chan struct{} }); ok {
		done = d.Done()
	}
	for {
		select {
		case <-tick.C:
		case <-done:
			m.mu.Lock()
			delete(m.pinging, s)
			m.mu.Unlock()
			return
		}
		m.mu.Lock()
		var rooms []*Room
		for k, r := range m.rooms {
			if k.s == s {
				rooms = append(rooms, r)
			}
		}
		if len(rooms) == 0 {
			delete(m.pinging, s)
			m.mu.Unlock()
			return
		}
		m.mu.Unlock()
		var wg sync.WaitGroup
		for _, r := range rooms {
			if r.silentFor() >= interval {
				wg.Go(func() { r.selfPing() })
			}
		}
		wg.Wait()
	}
}

// roomInfo fetches the room's disco#info (§6.4), for Room.Info and for
// whether the room has an archive.
func roomInfo(ctx context.Context, s xmpp.Session, room xmpp.JID) (disco.Info, error) {
	return disco.GetInfo(ctx, s, room, "")
}

func itoa(n int) string { return strconv.Itoa(n) }
