package xmpp

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// nsSM is the namespace of XEP-0198: Stream Management, version 3.
const nsSM = "urn:xmpp:sm:3"

// Defaults for the stream management Options.
const (
	defaultMaxUnacked = 500
	defaultAckEvery   = 10
)

// Stream management errors.
var (
	// ErrUnackedFull is returned by Send and SendIQ when stream management
	// is enabled and Options.MaxUnacked stanzas already wait for the
	// server's acknowledgement. Nothing was written; the session goes on.
	// Try again after RequestAck.
	ErrUnackedFull = errors.New("xmpp: too many stanzas waiting for the server's acknowledgement")

	// ErrNoStreamManagement is returned by RequestAck when stream
	// management is not enabled on the session.
	ErrNoStreamManagement = errors.New("xmpp: stream management not enabled")
)

// SMState is the stream management (XEP-0198) state of a session, as
// returned by [Client.StreamManagement]. The counters are the 'h' values of
// XEP-0198 §4: unsigned 32-bit numbers that wrap around to 0 after
// 2^32-1.
type SMState struct {
	// Enabled reports whether the server answered <enable/> with
	// <enabled/>. The other fields are zero when it is false.
	Enabled bool
	// ID is the stream id the server gave for resumption; empty when the
	// session cannot be resumed.
	ID string
	// Resumable reports whether the server allows resuming the session.
	Resumable bool
	// Max is the server's maximum resumption time; 0 when it gave none.
	Max time.Duration
	// Location is the host[:port] the server prefers for resumption, if
	// it gave one.
	Location string
	// Inbound is how many stanzas the client received since enabling: the
	// h it acknowledges to the server.
	Inbound uint32
	// Outbound is how many stanzas the client sent since enabling.
	Outbound uint32
	// Acked is the last h the server acknowledged; Outbound - Acked
	// stanzas are unacknowledged (see [Client.Unacked]).
	Acked uint32
}

// smEnabled is what <enabled/> said.
type smEnabled struct {
	id        string
	resumable bool
	max       time.Duration
	location  string
}

// smState is a session's stream management state.
type smState struct {
	info smEnabled // immutable once the Client exists

	// inbound is h: stanzas received. Written by the reader goroutine only,
	// read by the ack writer; guarded by mu.
	mu       sync.Mutex // never held across I/O; taken after writeSem
	inbound  uint32
	outbound uint32        // stanzas written; guarded by writeSem and mu
	acked    uint32        // last h from the server
	unacked  []Stanza      // the last outbound - acked stanzas sent, oldest first
	ackSeen  chan struct{} // closed and replaced at every <a/>, and when lost
	// lost is set when the stream cannot be resumed any more: a new session
	// replaced it, and its unacknowledged stanzas were handed over.
	lost bool
}

// enableSM sends <enable resume='true'/> (XEP-0198 §3) and waits for
// <enabled/> or <failed/>. A <failed/> is not an error: the session just
// goes on without stream management, and nil is returned.
func (n *negotiator) enableSM() (*smEnabled, error) {
	err := n.enc.EncodeElement(Element{
		Name: xml.Name{Space: nsSM, Local: "enable"},
		Raw:  "<enable xmlns='" + nsSM + "' resume='true'/>", wellFormed: true,
	})
	if err != nil {
		return nil, fmt.Errorf("xmpp: writing <enable/>: %w", err)
	}
	for {
		v, err := n.dec.Next()
		if err != nil {
			if _, ok := errors.AsType[*BadStanzaError](err); ok {
				if err := n.keep(nil, err); err != nil {
					return nil, err
				}
				continue
			}
			return nil, fmt.Errorf("xmpp: waiting for <enabled/>: %w", err)
		}
		el, ok := v.(*Element)
		if !ok || el.Name.Space != nsSM {
			// The server counts only from <enabled/> on, so nothing
			// before it counts here either; the handlers get it all the
			// same.
			if err := n.keep(v, nil); err != nil {
				return nil, err
			}
			continue
		}
		switch el.Name.Local {
		case "enabled":
			e := &smEnabled{id: el.Attr("id"), location: el.Attr("location")}
			r := el.Attr("resume")
			e.resumable = (r == "true" || r == "1") && e.id != ""
			if m, err := strconv.ParseUint(el.Attr("max"), 10, 32); err == nil {
				e.max = time.Duration(m) * time.Second
			}
			n.log.Debug("xmpp: stream management enabled", "resumable", e.resumable, "max", e.max)
			return e, nil
		case "failed":
			n.log.Warn("xmpp: server refused stream management", "failed", el.Raw)
			return nil, nil
		default:
			return nil, unexpected(el, "<enabled/> or <failed/>")
		}
	}
}

// StreamManagement returns the session's stream management state (XEP-0198).
// It stays valid after the session ended.
func (c *Client) StreamManagement() SMState {
	sm := c.cur.Load().sm
	if sm == nil {
		return SMState{}
	}
	sm.mu.Lock()
	defer sm.mu.Unlock()
	return SMState{
		Enabled: true, ID: sm.info.id, Resumable: sm.info.resumable, Max: sm.info.max, Location: sm.info.location,
		Inbound: sm.inbound, Outbound: sm.outbound, Acked: sm.acked,
	}
}

// Unacked returns the stanzas sent since stream management was enabled that
// the server has not acknowledged yet, oldest first. A stanza is added when
// Send or SendIQ writes it (one whose Send returned an error is not added)
// and removed only when the server's <a/> acknowledges it, never silently
// dropped: after the session ended, Unacked holds what the server may not
// have received, for the application to resend on a new session. It is nil
// without stream management. The stanzas must not be modified.
func (c *Client) Unacked() []Stanza {
	sm := c.cur.Load().sm
	if sm == nil {
		return nil
	}
	sm.mu.Lock()
	defer sm.mu.Unlock()
	return append([]Stanza(nil), sm.unacked...)
}

// RequestAck asks the server to acknowledge the stanzas received so far
// (<r/>, XEP-0198 §4) and waits until an <a/> acknowledges every stanza
// sent before the request, so that Unacked then holds only stanzas sent
// after it. With nothing unacknowledged it still writes <r/> but returns
// without waiting. It returns ErrNoStreamManagement if stream management is
// not enabled. With Options.Reconnect, a resumed stream goes on counting, so
// RequestAck keeps waiting across a resumption; it returns an error wrapping
// ErrDisconnected while reconnecting or when the stream could not be
// resumed.
func (c *Client) RequestAck(ctx context.Context) error {
	sm := c.cur.Load().sm
	if sm == nil {
		return ErrNoStreamManagement
	}
	var target uint32
	err := c.write(ctx, func(l *link) error {
		if l == nil || l.sm != sm {
			return fmt.Errorf("%w: reconnecting", ErrDisconnected)
		}
		sm.mu.Lock()
		target = sm.outbound
		sm.mu.Unlock()
		return l.writeR()
	})
	if err != nil {
		return err
	}
	overflow := c.overflowed() // before the reader can see this call
	defer c.waitForReader()()
	for {
		sm.mu.Lock()
		done := int32(target-sm.acked) <= 0 // the ack covers target (mod 2^32)
		seen, lost := sm.ackSeen, sm.lost
		sm.mu.Unlock()
		if done {
			return nil
		}
		if lost {
			return fmt.Errorf("%w: the stream could not be resumed", ErrDisconnected)
		}
		select {
		case <-seen:
		case <-overflow:
			return fmt.Errorf("%w: waiting for <a/>", ErrHandlerQueueFull)
		case <-ctx.Done():
			return ctx.Err()
		case <-c.done:
			return c.endedErr()
		}
	}
}

// writeR writes <r/> on l.
func (l *link) writeR() error {
	l.asked.Store(true)
	return l.enc.EncodeElement(Element{Name: xml.Name{Space: nsSM, Local: "r"}, Raw: "<r xmlns='" + nsSM + "'/>", wellFormed: true})
}

// encodeStanza writes a stanza on l with the write lock held, counting
// and queueing it when stream management is enabled, and asking for an ack
// every AckEvery stanzas. Unless force, a full queue refuses the stanza
// with ErrUnackedFull.
func (c *Client) encodeStanza(l *link, s Stanza, force bool) error {
	sm := l.sm
	if sm == nil {
		return l.enc.Encode(s)
	}
	sm.mu.Lock()
	full := !force && len(sm.unacked) >= c.opts.MaxUnacked
	sm.mu.Unlock()
	if full {
		return ErrUnackedFull
	}
	// Count before writing: the server's <a/> may come before Encode
	// returns.
	sm.mu.Lock()
	sm.outbound++
	sm.unacked = append(sm.unacked, s)
	ask := len(sm.unacked)%c.opts.AckEvery == 0
	sm.mu.Unlock()
	if err := l.enc.Encode(s); err != nil {
		// Not sent: a write error means the server did not get the whole
		// stanza, so it does not count it either. The caller gets the
		// error instead (and with Options.Reconnect queues the stanza for
		// the next connection).
		sm.mu.Lock()
		if k := len(sm.unacked) - 1; k >= 0 && sm.unacked[k] == s {
			sm.outbound--
			sm.unacked[k] = nil
			sm.unacked = sm.unacked[:k]
		}
		sm.mu.Unlock()
		return err
	}
	if ask {
		if err := l.writeR(); err != nil {
			// The stanza itself was written and waits for its ack: the
			// caller must not see an error, or it would send it again. The
			// connection is broken, so end it here.
			c.shutdown(l, fmt.Errorf("xmpp: write: %w", err), false)
		}
	}
	return nil
}

// smCount counts an inbound stanza (XEP-0198 §4).
func smCount(l *link) {
	if sm := l.sm; sm != nil {
		sm.mu.Lock()
		sm.inbound++
		sm.mu.Unlock()
	}
}

// smElement handles a stream management nonza read by l's reader goroutine.
// It returns an error that ends the connection for a protocol violation.
func (c *Client) smElement(l *link, el *Element) error {
	sm := l.sm
	switch el.Name.Local {
	case "r":
		if l.ackPending.CompareAndSwap(false, true) {
			go c.writeAck(l) // never block the reader on the write lock
		}
	case "a":
		h, err := strconv.ParseUint(el.Attr("h"), 10, 32)
		if err != nil {
			return c.smStreamError(l, CondUndefinedCondition, fmt.Sprintf("bad h in <a/>: %q", el.Attr("h")), "")
		}
		sm.mu.Lock()
		n, ok := smAcked(sm.acked, uint32(h), len(sm.unacked))
		if ok && (n > 0 || len(sm.unacked) == 0) {
			l.answered.Store(true)
		}
		if ok {
			clear(sm.unacked[:n])
			sm.unacked = sm.unacked[n:]
			sm.acked = uint32(h)
			close(sm.ackSeen)
			sm.ackSeen = make(chan struct{})
		}
		sent := sm.outbound
		sm.mu.Unlock()
		if !ok {
			// XEP-0198 §4: an h acknowledging more than was sent.
			return c.smStreamError(l, CondUndefinedCondition,
				fmt.Sprintf("server acknowledged %d stanzas, only %d sent", h, sent),
				"<handled-count-too-high xmlns='"+nsSM+"' h='"+strconv.FormatUint(h, 10)+"' send-count='"+strconv.FormatUint(uint64(sent), 10)+"'/>")
		}
	default:
		c.log.Debug("xmpp: ignoring stream management element", "name", el.Name.Local)
	}
	return nil
}

// smAcked returns how many of the pending unacknowledged stanzas the h of
// an <a/> acknowledges, given the previous h: the difference modulo 2^32
// (XEP-0198 §4). It reports false if h acknowledges more than are pending.
func smAcked(prev, h uint32, pending int) (int, bool) {
	n := h - prev // wraps around
	if uint64(n) > uint64(pending) {
		return 0, false
	}
	return int(n), true
}

// writeAck answers the server's <r/> on l with <a h=”/>. It waits for the
// write lock as long as l lives, however long another write takes, and
// clears l.ackPending once it holds it, before reading h: an <r/> read after
// that gets an answer of its own, and h covers every stanza queued before
// the write. If l is no longer the current link, the answer is dropped: a
// resumed stream starts with the h of <resume/>.
func (c *Client) writeAck(l *link) {
	select {
	case c.writeSem <- struct{}{}:
	case <-l.dead:
		return
	}
	defer func() { <-c.writeSem }()
	l.ackPending.Store(false)
	if c.cur.Load() != l || l.isDead() || l.endSent {
		return
	}
	sm := l.sm
	sm.mu.Lock()
	h := sm.inbound
	sm.mu.Unlock()
	// The server may have stopped reading: bound the write, and break the
	// link if it does not go through.
	l.conn.SetWriteDeadline(time.Now().Add(ackWriteTimeout))
	err := l.enc.EncodeElement(Element{
		Name: xml.Name{Space: nsSM, Local: "a"},
		Raw:  "<a xmlns='" + nsSM + "' h='" + strconv.FormatUint(uint64(h), 10) + "'/>", wellFormed: true,
	})
	l.conn.SetWriteDeadline(time.Time{})
	if err != nil {
		c.log.Debug("xmpp: writing <a/>", "err", err)
		c.shutdown(l, fmt.Errorf("xmpp: write: %w", err), false)
		return
	}
	l.lastWrite.Store(time.Now().UnixNano())
}

// ackWriteTimeout bounds the write of an <a/> once the write lock is held.
const ackWriteTimeout = 30 * time.Second

// smStreamError sends a stream error for a stream management violation on
// l and returns it as the link's cause.
func (c *Client) smStreamError(l *link, cond StreamCondition, text, appCond string) error {
	se := &StreamError{Condition: cond, Offset: -1, Err: fmt.Errorf("%w: %s", ErrProtocol, text)}
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	raw := "<stream:error xmlns:stream='" + NSStream + "'><" + string(cond) + " xmlns='" + NSStreams + "'/>" + appCond + "</stream:error>"
	_ = c.write(ctx, func(cur *link) error {
		if cur != l {
			return nil
		}
		if err := l.enc.EncodeElement(Element{Name: xml.Name{Space: NSStream, Local: "error"}, Raw: raw}); err != nil {
			return err
		}
		l.endSent = true
		return l.enc.WriteEnd()
	})
	return se
}

// ErrResumeFailed is wrapped by the error of Resume when the session cannot
// be resumed: it was not resumable, the server no longer offers stream
// management, or it answered <resume/> with <failed/> (for instance
// <item-not-found/> after its resumption timeout). The previous Client's
// Unacked then holds the stanzas the server did not acknowledge, for the
// application to send again on a new session.
var ErrResumeFailed = errors.New("xmpp: stream resumption failed")

// resumeReq is what resuming a session needs from the previous one.
type resumeReq struct {
	prev *Client
	sm   *smState // the previous stream's state, carried on
	jid  JID
	h    uint32 // stanzas the previous stream received
}

// newResumeReq returns what resuming the stream of l needs, or nil if it
// cannot be resumed.
func newResumeReq(prev *Client, l *link) *resumeReq {
	sm := l.sm
	if sm == nil || !sm.info.resumable {
		return nil
	}
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if sm.lost {
		return nil
	}
	return &resumeReq{prev: prev, sm: sm, jid: prev.JID(), h: sm.inbound}
}

// Resume reconnects a session that ended with stream management enabled and
// resumable (XEP-0198 §5), typically after its connection broke: it dials
// the server again as Dial does (to the resumption location the server gave,
// if any and Options.Server is empty), authenticates with password, and asks
// the server to resume the previous stream instead of binding a resource.
// On success the returned Client has the same full JID, the server delivers
// the stanzas the previous session missed, and Resume retransmits the
// stanzas the server had not received (those of prev.Unacked after the ones
// its <resumed/> acknowledges) before returning. On failure the error wraps
// ErrResumeFailed or says why the connection failed, and prev.Unacked holds
// what the server did not acknowledge.
//
// prev must have ended (Done closed) without Close, which ends the stream
// for good. opts nil means prev's Options (including its handlers); the JID
// is prev's. With Options.Reconnect this is done automatically.
func Resume(ctx context.Context, prev *Client, password string, opts *Options) (*Client, error) {
	select {
	case <-prev.done:
	default:
		return nil, fmt.Errorf("%w: Resume needs a session that has ended", ErrSessionRunning)
	}
	res := newResumeReq(prev, prev.cur.Load())
	if res == nil {
		return nil, fmt.Errorf("%w: the session is not resumable", ErrResumeFailed)
	}
	if errors.Is(prev.Err(), ErrClosed) {
		return nil, fmt.Errorf("%w: the session was ended by Close", ErrResumeFailed)
	}
	o := prev.opts
	if opts != nil {
		o = opts.withDefaults()
	}
	n, err := dialStream(ctx, res.jid, password, resumeTarget(&o, res.sm), res)
	if err != nil {
		return nil, err
	}
	return newClient(ctx, n, password, &o, res)
}

// resumeTarget returns o, or a copy of it that connects to the location
// the server gave for resumption when Options.Server is empty.
func resumeTarget(o *Options, sm *smState) *Options {
	if o.Server != "" || sm.info.location == "" {
		return o
	}
	oo := *o
	oo.Server = sm.info.location
	return &oo
}

// resume sends <resume/> and waits for <resumed/> (XEP-0198 §5), returning
// the server's h.
func (n *negotiator) resume(res *resumeReq) (uint32, error) {
	raw := "<resume xmlns='" + nsSM + "' h='" + strconv.FormatUint(uint64(res.h), 10) + "' previd='" + escapeAttr(res.sm.info.id) + "'/>"
	if err := n.enc.EncodeElement(Element{Name: xml.Name{Space: nsSM, Local: "resume"}, Raw: raw, wellFormed: true}); err != nil {
		return 0, fmt.Errorf("xmpp: writing <resume/>: %w", err)
	}
	el, err := n.nextElement("<resumed/>")
	if err != nil {
		return 0, err
	}
	if el.Name.Space != nsSM {
		return 0, unexpected(el, "<resumed/> or <failed/>")
	}
	switch el.Name.Local {
	case "resumed":
		if id := el.Attr("previd"); id != res.sm.info.id {
			return 0, fmt.Errorf("%w: <resumed/> for stream %q, not %q", ErrProtocol, id, res.sm.info.id)
		}
		h, err := strconv.ParseUint(el.Attr("h"), 10, 32)
		if err != nil {
			return 0, fmt.Errorf("%w: bad h in <resumed/>: %q", ErrProtocol, el.Attr("h"))
		}
		return uint32(h), nil
	case "failed":
		cond := string(ErrUndefinedCondition)
		for ch := range el.Children() {
			cond = ch.Name.Local
			break
		}
		// XEP-0198 §5: <failed/> may say what the server had received.
		if h, err := strconv.ParseUint(el.Attr("h"), 10, 32); err == nil {
			sm := res.sm
			sm.mu.Lock()
			if k, ok := smAcked(sm.acked, uint32(h), len(sm.unacked)); ok {
				clear(sm.unacked[:k])
				sm.unacked = sm.unacked[k:]
				sm.acked = uint32(h)
			}
			sm.mu.Unlock()
		}
		return 0, fmt.Errorf("%w: server answered <failed/> with %s", ErrResumeFailed, cond)
	}
	return 0, unexpected(el, "<resumed/> or <failed/>")
}

// resumedState returns the stanzas to retransmit on a stream resumed with
// the server's h, and counts the others as acknowledged.
func resumedState(sm *smState, h uint32) ([]Stanza, error) {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	k, ok := smAcked(sm.acked, h, len(sm.unacked))
	if !ok {
		return nil, &StreamError{Condition: CondUndefinedCondition, Offset: -1,
			Err: fmt.Errorf("%w: <resumed h='%d'/> acknowledges more than the %d stanzas sent", ErrProtocol, h, sm.outbound)}
	}
	resend := append([]Stanza(nil), sm.unacked[k:]...)
	clear(sm.unacked)
	sm.unacked = sm.unacked[:0]
	sm.outbound, sm.acked = h, h
	close(sm.ackSeen)
	sm.ackSeen = make(chan struct{})
	return resend, nil
}

// retransmit writes the stanzas to resend after <resumed/> on l, with the
// write lock (and any write deadline) set by the caller.
func (c *Client) retransmit(l *link, resend []Stanza) error {
	for i, s := range resend {
		if err := c.encodeStanza(l, s, true); err != nil {
			c.shutdown(l, fmt.Errorf("xmpp: write: %w", err), false)
			// The rest still waits for the server: keep it unacknowledged,
			// for the next resumption (or OnUnacked) to deal with.
			if sm := l.sm; sm != nil {
				sm.mu.Lock()
				sm.unacked = append(sm.unacked, resend[i:]...)
				sm.outbound += uint32(len(resend) - i)
				sm.mu.Unlock()
			}
			return fmt.Errorf("xmpp: retransmitting after resumption: %w", err)
		}
	}
	l.lastWrite.Store(time.Now().UnixNano())
	if len(resend) > 0 {
		c.log.Debug("xmpp: retransmitted unacknowledged stanzas", "count", len(resend))
	}
	return nil
}
