package muc

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/delay"
	"github.com/gojabber/xmpp/disco"
	"github.com/gojabber/xmpp/sid"
)

// History says how much of the room's history to ask for on joining
// (§7.2.14). The zero value asks for none; a nil *History in JoinOptions
// leaves it to the service (or to the room's archive, see JoinOptions).
type History struct {
	// MaxStanzas, if positive, is the most messages wanted.
	MaxStanzas int
	// MaxChars, if positive, caps the size of the history in characters.
	MaxChars int
	// Seconds, if positive, asks for the messages of the last Seconds.
	Seconds int
	// Since, if not zero, asks for the messages sent since then.
	Since time.Time
}

// element returns the <history/> element.
func (h History) element() string {
	var b strings.Builder
	b.WriteString("<history")
	switch {
	case h.MaxStanzas > 0:
		b.WriteString(" maxstanzas='" + itoa(h.MaxStanzas) + "'")
	case h.MaxChars <= 0 && h.Seconds <= 0 && h.Since.IsZero():
		b.WriteString(" maxstanzas='0'")
	}
	if h.MaxChars > 0 {
		b.WriteString(" maxchars='" + itoa(h.MaxChars) + "'")
	}
	if h.Seconds > 0 {
		b.WriteString(" seconds='" + itoa(h.Seconds) + "'")
	}
	if !h.Since.IsZero() {
		b.WriteString(" since='" + delay.FormatStamp(h.Since.Truncate(time.Second)) + "'")
	}
	b.WriteString("/>")
	return b.String()
}

// JoinOptions configure a Join. A nil *JoinOptions means all defaults.
type JoinOptions struct {
	// Password is the room's password, for a password-protected room
	// (§7.2.6). It is kept for rejoins.
	Password string
	// History says how much history to ask for. Default nil: none when
	// the room has an archive (it lists urn:xmpp:mam:2, XEP-0313; fetch
	// the history from it with package mam), and otherwise what the
	// service sends by default.
	History *History
	// Show and Status are the user's presence in the room.
	Show   xmpp.Show
	Status string
}

type roomState uint8

const (
	stateJoining roomState = iota
	stateJoined
	stateRejoining
	stateLeaving
	stateGone
)

// Room is a room the user joined with Join. Its methods are safe for
// concurrent use. Once the user has left the room, or was removed from it,
// the calls that need the user in the room return ErrNotJoined; join again
// with Join for a new Room.
type Room struct {
	m   *Manager
	s   xmpp.Session
	jid xmpp.JID // bare

	mu        sync.Mutex // see Manager.mu for the lock order
	state     roomState
	nick      string // our nickname; the one asked for while joining
	self      Occupant
	occupants map[string]Occupant
	stale     map[string]bool // during a rejoin: occupants not seen again yet
	renamed   map[string]bool // nicknames announced by a 303
	subject   string
	created   bool
	codes     []int // of our join presence
	info      disco.Info
	opts      JoinOptions
	lastStamp time.Time // of the newest message seen
	seen      keyRing   // keys of the messages delivered
	own       keyRing   // origin-ids of the messages sent
	heard     time.Time // when the room last sent anything
	waiters   []*waiter
	subjectCh chan struct{} // closed at the first subject after a join
	reason    string        // why a rejoin runs
}

// waiter is a call waiting for a stanza from the room. match runs on the
// reader goroutine with Room.mu held, after the stanza updated the room.
type waiter struct {
	match func(st xmpp.Stanza, x *userX) (done bool, err error)
	ch    chan error // capacity 1
}

// JID returns the room's bare JID.
func (r *Room) JID() xmpp.JID { return r.jid }

// Session returns the session the room was joined on.
func (r *Room) Session() xmpp.Session { return r.s }

// Nick returns the user's nickname in the room: the one the service
// assigned if it rewrote the one asked for (status 210).
func (r *Room) Nick() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.nick
}

// Self returns the user's own occupant: nickname, role and affiliation.
func (r *Room) Self() Occupant {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.self
}

// Occupants returns the room's occupants, the user included, sorted by
// nickname.
func (r *Room) Occupants() []Occupant {
	r.mu.Lock()
	defer r.mu.Unlock()
	occ := slices.Collect(maps.Values(r.occupants))
	slices.SortFunc(occ, func(a, b Occupant) int { return strings.Compare(a.Nick, b.Nick) })
	return occ
}

// Occupant returns the occupant with the nickname nick.
func (r *Room) Occupant(nick string) (Occupant, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o, ok := r.occupants[nick]
	return o, ok
}

// Subject returns the room's subject.
func (r *Room) Subject() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.subject
}

// Created reports whether the join created the room (status 201, §10.1):
// the user owns it, and a service that locks new rooms (Prosody) keeps it
// locked until the configuration is submitted (see CreateInstant and
// Configure).
func (r *Room) Created() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.created
}

// Codes returns the status codes of the room's answer to the join
// (§15.6): 100 for a non-anonymous room, 170 for a logged one, 201, 210.
func (r *Room) Codes() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.codes)
}

// Info returns the room's disco#info (§6.4) as fetched at the join: its
// features (muc_membersonly, muc_passwordprotected, urn:xmpp:mam:2, …) and
// its muc#roominfo form among Info.Forms. For a room the join created, it
// is fetched after the join.
func (r *Room) Info() disco.Info {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.info
}

// Joined reports whether the user is in the room (or being rejoined).
func (r *Room) Joined() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state == stateJoined || r.state == stateRejoining
}

// Join enters the room (a bare JID) with the nickname nick on the session
// s (§7.2), and returns once the room has confirmed it with the user's own
// presence (status 110) and sent its subject, or Options.SubjectTimeout
// after the confirmation: the Room then holds the occupants, subject, the
// user's nickname (which the service may have changed, status 210), role
// and affiliation, and the room's features. The room's occupants and
// history arrive as events too (Options.OnEvent), ending with EventJoined
// with Self set.
//
// A refused join is a *JoinError, matching the sentinel of its condition:
// ErrNickConflict, ErrNotAuthorized, ErrMembersOnly, ErrBanned,
// ErrRoomNotFound, ErrCreationNotAllowed or ErrRoomFull. A room that
// removes the user before confirming the join (an unavailable presence
// with status 110, as from a service shutting down, 332) is an error
// wrapping ErrNotJoined. A room that does not answer before ctx ends (or
// Options.Timeout) is an error wrapping ErrNoAnswer and the context's
// error. Join may be called from a handler.
func (m *Manager) Join(ctx context.Context, s xmpp.Session, room xmpp.JID, nick string, opts *JoinOptions) (*Room, error) {
	var o JoinOptions
	if opts != nil {
		o = *opts
	}
	room = room.Bare()
	if room.Local() == "" {
		return nil, fmt.Errorf("muc: room JID %q has no localpart", room)
	}
	if _, err := room.WithResource(nick); err != nil || nick == "" {
		return nil, fmt.Errorf("muc: invalid nickname %q: %w", nick, xmpp.ErrInvalidJID)
	}
	ctx, cancel := m.bound(ctx)
	defer cancel()

	info, infoErr := roomInfo(ctx, s, room)
	if infoErr != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("%w: disco#info of %s: %w", ErrNoAnswer, room, ctx.Err())
	}
	if o.History == nil && infoErr == nil && info.HasFeature(nsMAM) {
		o.History = &History{}
	}
	r := &Room{
		m: m, s: s, jid: room,
		nick:      nick,
		occupants: make(map[string]Occupant),
		renamed:   make(map[string]bool),
		info:      info,
		opts:      o,
		seen:      newKeyRing(seenKeys),
		own:       newKeyRing(ownKeys),
		heard:     time.Now(),
	}
	m.mu.Lock()
	k := roomKey{s, room}
	if m.rooms[k] != nil {
		m.mu.Unlock()
		return nil, fmt.Errorf("%w: %s", ErrAlreadyJoined, room)
	}
	m.rooms[k] = r
	m.mu.Unlock()

	if err := r.enter(ctx, o.History); err != nil {
		r.mu.Lock()
		r.state = stateGone
		r.mu.Unlock()
		m.forget(r)
		return nil, err
	}
	if infoErr != nil {
		// A room that did not exist before the join has its info now.
		if info, err := roomInfo(ctx, s, room); err == nil {
			r.mu.Lock()
			r.info = info
			r.mu.Unlock()
		}
	}
	m.startPinger(s)
	return r, nil
}

// enter sends the join presence and waits for the room's answer and its
// subject.
func (r *Room) enter(ctx context.Context, h *History) error {
	subject := make(chan struct{})
	r.mu.Lock()
	nick := r.nick
	r.subjectCh = subject
	show, status, password := r.opts.Show, r.opts.Status, r.opts.Password
	r.mu.Unlock()
	to, _ := r.jid.WithResource(nick)
	var x strings.Builder
	x.WriteString("<x xmlns='" + NS + "'>")
	if h != nil {
		x.WriteString(h.element())
	}
	if password != "" {
		x.WriteString("<password>" + esc(password) + "</password>")
	}
	x.WriteString("</x>")
	el, err := element(x.String())
	if err != nil {
		return err
	}
	w := r.addWaiter(func(st xmpp.Stanza, x *userX) (bool, error) {
		p, ok := st.(*xmpp.Presence)
		if !ok {
			return false, nil
		}
		switch {
		case p.Type == xmpp.PresenceError && (p.From == r.jid || p.From.Resource() == nick):
			return true, &JoinError{Room: r.jid, Nick: nick, Err: stanzaError(p.Error)}
		case p.Type == xmpp.PresenceAvailable && x != nil && hasCode(x.codes, StatusSelf):
			return true, nil
		case p.Type == xmpp.PresenceUnavailable && x != nil && hasCode(x.codes, StatusSelf):
			// Removed before the join completed, as by a service
			// shutting down (332).
			return true, fmt.Errorf("%w: %s removed the user while joining, status %v", ErrNotJoined, r.jid, x.codes)
		}
		return false, nil
	})
	p := &xmpp.Presence{Header: xmpp.Header{To: to}, Show: show, Status: status, Extensions: []xmpp.Element{el}}
	if err := r.s.Send(ctx, p); err != nil {
		r.dropWaiter(w)
		return fmt.Errorf("muc: join %s: %w", r.jid, err)
	}
	if err := r.wait(ctx, w, "join"); err != nil {
		return err
	}
	defer r.expect()() // the subject is taken on the reader goroutine too
	t := time.NewTimer(r.m.opts.SubjectTimeout)
	defer t.Stop()
	select {
	case <-subject:
	case <-t.C:
	case <-ctx.Done():
	}
	return nil
}

// stanzaError returns se, or an undefined-condition error for a missing
// one.
func stanzaError(se *xmpp.StanzaError) *xmpp.StanzaError {
	if se == nil {
		return &xmpp.StanzaError{Type: xmpp.ErrorTypeCancel, Condition: xmpp.ErrUndefinedCondition}
	}
	return se
}

func (r *Room) addWaiter(match func(xmpp.Stanza, *userX) (bool, error)) *waiter {
	w := &waiter{match: match, ch: make(chan error, 1)}
	r.mu.Lock()
	r.waiters = append(r.waiters, w)
	r.mu.Unlock()
	return w
}

func (r *Room) dropWaiter(w *waiter) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.waiters = slices.DeleteFunc(r.waiters, func(x *waiter) bool { return x == w })
}

// notify runs the waiters on st; r.mu is held.
func (r *Room) notify(st xmpp.Stanza, x *userX) {
	r.waiters = slices.DeleteFunc(r.waiters, func(w *waiter) bool {
		done, err := w.match(st, x)
		if done {
			w.ch <- err
		}
		return done
	})
}

// failWaiters ends every waiting call with err; r.mu is held.
func (r *Room) failWaiters(err error) {
	for _, w := range r.waiters {
		w.ch <- err
	}
	r.waiters = nil
}

// expect tells the session, if it can be told (xmpp.Client.Expect), that
// the caller waits for stanzas taken on the reader goroutine, so that it
// reads on even when the handlers are behind; it returns the function that
// ends the wait.
func (r *Room) expect() (done func()) {
	if e, ok := r.s.(interface{ Expect() func() }); ok {
		return e.Expect()
	}
	return func() {}
}

// wait waits for w, ctx, or the end of the session.
func (r *Room) wait(ctx context.Context, w *waiter, what string) error {
	defer r.expect()()
	var done <-chan struct{}
	d, canEnd := r.s.(interface {
		Done() <-chan struct{}
		Err() error
	})
	if canEnd {
		done = d.Done()
	}
	select {
	case err := <-w.ch:
		return err
	case <-ctx.Done():
		r.dropWaiter(w)
		return fmt.Errorf("%w: %s %s: %w", ErrNoAnswer, what, r.jid, ctx.Err())
	case <-done:
		r.dropWaiter(w)
		return fmt.Errorf("%w: %s %s: %w", ErrSessionEnded, what, r.jid, d.Err())
	}
}

// onPresence updates the room with a presence from it and returns its
// events. It runs on the reader goroutine.
func (r *Room) onPresence(p *xmpp.Presence) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.heard = time.Now()
	var x *userX
	if el, ok := findUserX(p.Extensions); ok {
		ux, err := parseUserX(el)
		if err != nil {
			r.m.log.Debug("muc: malformed presence", "from", p.From.String(), "err", err)
			return []Event{{Type: EventError, Room: r, Err: err, Stanza: p}}
		}
		x = &ux
	}
	evs := r.presenceEvents(p, x)
	r.notify(p, x)
	if r.state == stateGone {
		r.failWaiters(fmt.Errorf("%w: %s", ErrNotJoined, r.jid))
		r.m.forget(r)
	}
	return evs
}

func (r *Room) presenceEvents(p *xmpp.Presence, x *userX) []Event {
	nick := p.From.Resource()
	var codes []int
	var item Item
	if x != nil {
		codes = x.codes
		if len(x.items) > 0 {
			item = x.items[0]
		}
	}
	ev := Event{Room: r, Codes: codes, Reason: item.Reason, Actor: item.Actor, Stanza: p}
	if p.Type == xmpp.PresenceError {
		se := stanzaError(p.Error)
		ev.Type, ev.Err = EventError, se
		if r.state == stateRejoining && (nick == "" || nick == r.nick) {
			r.state = stateGone
			ev.Self = true
			ev.Err = &JoinError{Room: r.jid, Nick: r.nick, Err: se}
			return []Event{ev}
		}
		if r.state == stateJoining {
			return nil // Join returns it
		}
		return []Event{ev}
	}
	if nick == "" {
		return nil // presence from the room itself: nothing in XEP-0045
	}
	// Cloned: the strings of a decoded stanza share its text, which a
	// tracked occupant would otherwise keep alive whole.
	occ := Occupant{Nick: strings.Clone(nick), JID: cloneJID(p.From), RealJID: cloneJID(item.JID),
		Role: Role(strings.Clone(string(item.Role))), Affiliation: Affiliation(strings.Clone(string(item.Affiliation))),
		Show: p.Show, Status: strings.Clone(p.Status)}
	self := hasCode(codes, StatusSelf) || (nick == r.nick && r.state != stateJoining)
	ev.Self = self
	switch p.Type {
	case xmpp.PresenceAvailable:
		prev, known := r.occupants[nick]
		r.occupants[nick] = occ
		delete(r.stale, nick)
		renamed := r.renamed[nick]
		delete(r.renamed, nick)
		ev.Occupant, ev.Previous = occ, prev
		if self {
			r.nick, r.self = nick, occ
			switch r.state {
			case stateJoining:
				r.state, r.created, r.codes = stateJoined, hasCode(codes, StatusCreated), codes
				ev.Type = EventJoined
				return []Event{ev}
			case stateRejoining:
				r.state, r.codes = stateJoined, codes
				var evs []Event
				for _, n := range slices.Sorted(maps.Keys(r.stale)) {
					evs = append(evs, Event{Type: EventLeft, Room: r, Occupant: r.occupants[n]})
					delete(r.occupants, n)
				}
				r.stale = nil
				ev.Type, ev.Reason = EventRejoined, r.reason
				return append(evs, ev)
			}
		}
		switch {
		case renamed:
			return nil // the EventNickChanged said it
		case !known:
			ev.Type = EventJoined
		case prev != occ:
			ev.Type = EventChanged
		default:
			return nil
		}
		return []Event{ev}
	case xmpp.PresenceUnavailable:
		prev, known := r.occupants[nick]
		if !known {
			prev = occ
		}
		delete(r.occupants, nick)
		delete(r.stale, nick)
		ev.Occupant = prev
		if self && r.state == stateJoining {
			return nil // removed before the join completed: Join returns it
		}
		switch {
		case hasCode(codes, StatusNickChanged) && item.Nick != "":
			ev.Type, ev.NewNick = EventNickChanged, item.Nick
			r.renamed[item.Nick] = true
			// Tracked under the new nickname at once, so that the room
			// never seems to lack the occupant; its presence there, which
			// follows, completes the change.
			moved := prev
			moved.Nick = strings.Clone(item.Nick)
			if j, err := r.jid.WithResource(moved.Nick); err == nil {
				moved.JID = j
			}
			r.occupants[moved.Nick] = moved
			if self {
				r.nick, r.self = moved.Nick, moved
			}
			return []Event{ev}
		case x != nil && x.destroy != nil:
			ev.Type, ev.Destroyed, ev.Reason = EventDestroyed, x.destroy, x.destroy.Reason
		case hasCode(codes, StatusBanned):
			ev.Type = EventBanned
		case hasCode(codes, StatusKicked):
			ev.Type = EventKicked
		case hasCode(codes, StatusAffiliation), hasCode(codes, StatusMembersOnly), hasCode(codes, StatusShutdown):
			ev.Type = EventRemoved
		default:
			ev.Type = EventLeft
		}
		if self {
			r.state = stateGone
		}
		return []Event{ev}
	}
	return nil
}

// onMessage updates the room with a message from it and returns its
// events. It runs on the reader goroutine.
func (r *Room) onMessage(msg *xmpp.Message) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.heard = time.Now()
	var x *userX
	if el, ok := findUserX(msg.Extensions); ok {
		ux, err := parseUserX(el)
		if err != nil {
			r.m.log.Debug("muc: malformed message", "from", msg.From.String(), "err", err)
			return []Event{{Type: EventError, Room: r, Err: err, Stanza: msg}}
		}
		x = &ux
	}
	evs := r.messageEvents(msg, x)
	r.notify(msg, x)
	return evs
}

func (r *Room) messageEvents(msg *xmpp.Message, x *userX) []Event {
	nick := msg.From.Resource()
	ev := Event{Room: r, Message: msg, Stanza: msg, Occupant: Occupant{Nick: nick, JID: msg.From}}
	if o, ok := r.occupants[nick]; ok && nick != "" {
		ev.Occupant = o
	}
	if x != nil {
		ev.Codes = x.codes
	}
	if d, ok := delay.From(msg); ok {
		ev.Delayed, ev.Stamp = true, d.Stamp
	}
	switch {
	case msg.Type == xmpp.MessageError:
		ev.Type, ev.Err = EventError, stanzaError(msg.Error)
		return []Event{ev}
	case x != nil && x.invite != nil:
		inv := *x.invite
		inv.Room, inv.Password = r.jid, x.password
		ev.Type, ev.Invite, ev.Reason = EventInvited, &inv, inv.Reason
		return []Event{ev}
	case x != nil && x.decline != nil:
		d := *x.decline
		d.Room = r.jid
		ev.Type, ev.Decline, ev.Reason = EventDeclined, &d, d.Reason
		return []Event{ev}
	case msg.Type == xmpp.MessageGroupchat:
	case nick != "" && msg.BodyText() != "":
		ev.Type = EventPrivateMessage
		return []Event{ev}
	default:
		if x != nil && len(x.codes) > 0 {
			ev.Type = EventStatus
			return []Event{ev}
		}
		return nil
	}
	// Groupchat.
	if msg.BodyText() == "" {
		if isSubject(msg, x) {
			r.subject = msg.Subject
			if r.subjectCh != nil {
				close(r.subjectCh)
				r.subjectCh = nil
			}
			ev.Type, ev.Subject = EventSubject, msg.Subject
			return []Event{ev}
		}
		if x != nil && len(x.codes) > 0 {
			ev.Type = EventStatus
			return []Event{ev}
		}
		return nil
	}
	stamp := ev.Stamp
	if !ev.Delayed {
		stamp = time.Now()
	}
	if stamp.After(r.lastStamp) {
		r.lastStamp = stamp
	}
	key := r.messageKey(msg)
	if r.seen.has(key) {
		return nil // history delivered before
	}
	r.seen.add(key)
	if o, ok := sid.OriginFrom(msg); ok && r.own.has(o.ID) {
		ev.Own = true
	}
	if nick != "" && nick == r.nick {
		ev.Own = true
	}
	ev.Type = EventMessage
	return []Event{ev}
}

// isSubject reports whether a groupchat message without a body is a
// subject change (§8.1): it has a subject, or it is the empty subject a
// room sends at the end of a join, which the stanza codec shows as a
// message with nothing but a delay and ids.
func isSubject(msg *xmpp.Message, x *userX) bool {
	if msg.Subject != "" || len(msg.Subjects) > 0 {
		return true
	}
	if x != nil || msg.Thread != "" {
		return false
	}
	for _, el := range msg.Extensions {
		switch el.Name.Space {
		case nsDelay, nsSID:
		default:
			return false
		}
	}
	return true
}

// messageKey identifies a groupchat message for duplicate history: the
// room's stanza-id (XEP-0359), or the sender's origin-id or id with the
// nickname.
func (r *Room) messageKey(msg *xmpp.Message) string {
	if id, ok := sid.From(msg, r.jid); ok {
		return "s:" + id.ID
	}
	if o, ok := sid.OriginFrom(msg); ok {
		return "o:" + msg.From.Resource() + "/" + o.ID
	}
	if msg.ID != "" {
		return "i:" + msg.From.Resource() + "/" + msg.ID
	}
	return "b:" + msg.From.Resource() + "/" + msg.BodyText()
}

// rejoin joins the room again after the user was taken out of it without
// being told: a new stream, or a self-ping that found it gone.
func (r *Room) rejoin(reason string) {
	r.mu.Lock()
	if r.state != stateJoined {
		r.mu.Unlock()
		return
	}
	r.state, r.reason = stateRejoining, reason
	r.stale = make(map[string]bool, len(r.occupants))
	for n := range r.occupants {
		r.stale[n] = true
	}
	h := r.opts.History
	if !r.lastStamp.IsZero() {
		h = &History{Since: r.lastStamp.Add(-r.m.opts.HistoryMargin)}
	}
	r.mu.Unlock()
	ctx, cancel := r.m.bound(context.Background())
	defer cancel()
	err := r.enter(ctx, h)
	if err == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var je *JoinError
	if errors.As(err, &je) || r.state == stateGone {
		return // EventError with Self said it
	}
	r.m.log.Warn("muc: rejoin failed; will retry", "room", r.jid.String(), "reason", reason, "err", err)
	r.state, r.stale = stateJoined, nil
}

// silentFor returns how long the room has sent nothing, 0 when it is not
// joined.
func (r *Room) silentFor() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state != stateJoined {
		return 0
	}
	return time.Since(r.heard)
}

// selfPing pings the user's own occupant (XEP-0410 §3) and rejoins the
// room if the service says the user is not in it.
func (r *Room) selfPing() {
	r.mu.Lock()
	to, _ := r.jid.WithResource(r.nick)
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), r.m.opts.SelfPingTimeout)
	defer cancel()
	_, err := r.s.SendIQ(ctx, &xmpp.IQ{Header: xmpp.Header{To: to}, Type: xmpp.IQGet, Payload: pingPayload})
	joined, known := selfPingResult(err)
	r.mu.Lock()
	if known && joined {
		r.heard = time.Now()
	}
	r.mu.Unlock()
	if !known {
		r.m.log.Debug("muc: self-ping inconclusive", "room", r.jid.String(), "err", err)
		return
	}
	if !joined {
		r.m.log.Info("muc: self-ping says the user left the room; rejoining", "room", r.jid.String(), "err", err)
		r.rejoin(ReasonSelfPing)
	}
}

var pingPayload = func() xmpp.Element {
	el, err := xmpp.ParseElement("<ping xmlns='" + nsPing + "'/>")
	if err != nil {
		panic(err)
	}
	return el
}()

// selfPingResult reads the answer to a self-ping (XEP-0410 §3.2): whether
// the user is still an occupant, and whether the answer says so at all.
func selfPingResult(err error) (joined, known bool) {
	if err == nil {
		return true, true
	}
	var se *xmpp.StanzaError
	if !errors.As(err, &se) {
		return false, false // a timeout or a broken link says nothing
	}
	switch se.Condition {
	case xmpp.ErrServiceUnavailable, xmpp.ErrFeatureNotImplemented:
		return true, true // the user's client answered that it does not do pings
	case xmpp.ErrRemoteServerNotFound, xmpp.ErrRemoteServerTimeout:
		return false, false
	}
	return false, true
}

// cloneJID returns j with its own copy of its text.
func cloneJID(j xmpp.JID) xmpp.JID {
	if j.IsZero() {
		return j
	}
	c, err := xmpp.ParseJID(strings.Clone(j.String()))
	if err != nil {
		return j
	}
	return c
}

// keyRing is a bounded set of strings, forgetting the oldest.
type keyRing struct {
	max  int
	keys []string
	next int
	set  map[string]bool
}

func newKeyRing(n int) keyRing {
	return keyRing{max: n}
}

func (k *keyRing) has(s string) bool { return k.set[s] }

func (k *keyRing) add(s string) {
	if k.set[s] {
		return
	}
	if k.set == nil {
		k.set = make(map[string]bool)
	}
	s = strings.Clone(s)
	if len(k.keys) < k.max {
		k.keys = append(k.keys, s)
	} else {
		delete(k.set, k.keys[k.next])
		k.keys[k.next] = s
		k.next = (k.next + 1) % len(k.keys)
	}
	k.set[s] = true
}
