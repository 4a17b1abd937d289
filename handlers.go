package xmpp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"time"
)

// endReplyTimeout bounds how long the reader waits to answer the server's
// </stream:stream> with its own.
const endReplyTimeout = time.Second

// errServerClosed is the cause when the server ends the stream cleanly.
var errServerClosed = fmt.Errorf("xmpp: server closed the stream: %w", io.EOF)

// readLoop is the reader goroutine of link l: it owns l.dec. When the
// connection ends it shuts the link down and exits; the owner goroutine
// (run) takes it from there.
func (c *Client) readLoop(l *link) {
	defer close(l.readerDone)
	err := c.readStanzas(l)
	c.shutdown(l, err, err == errServerClosed)
}

func (c *Client) readStanzas(l *link) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: panic in reader: %v\n%s", ErrProtocol, r, debug.Stack())
		}
	}()
	for {
		if !c.waitRoom(l) {
			return fmt.Errorf("xmpp: read: %w", net.ErrClosed)
		}
		v, err := l.dec.Next()
		l.lastRead.Store(time.Now().UnixNano())
		if err != nil {
			if bad, ok := errors.AsType[*BadStanzaError](err); ok {
				c.badStanza(l, bad) // not fatal: the stream goes on
				continue
			}
			if errors.Is(err, io.EOF) {
				c.answerEnd(l)
				return errServerClosed
			}
			return fmt.Errorf("xmpp: read: %w", err)
		}
		switch s := v.(type) {
		case *IQ:
			// The decoder gives an IQ of another type as a *BadStanzaError.
			if s.Type == IQResult || s.Type == IQError {
				smCount(l)
				l.answered.Store(true)
				c.deliver(s)
				continue
			}
			c.enqueue(l, s)
		case *Message:
			if c.watcher != nil && c.watched("WatchMessage", func() bool { return c.watcher.WatchMessage(c, s) }) {
				smCount(l)
				continue
			}
			c.enqueue(l, s)
		case *Presence:
			if c.watcher != nil && c.watched("WatchPresence", func() bool { return c.watcher.WatchPresence(c, s) }) {
				smCount(l)
				continue
			}
			c.enqueue(l, s)
		case *Element:
			if l.sm != nil && s.Name.Space == nsSM {
				if err := c.smElement(l, s); err != nil {
					return err
				}
				continue
			}
			c.log.Debug("xmpp: ignoring element", "name", s.Name.Local, "ns", s.Name.Space)
		default:
			c.log.Debug("xmpp: ignoring value", "type", fmt.Sprintf("%T", v))
		}
	}
}

// waitRoom keeps the handler queue within Options.HandlerQueueBytes before
// the reader reads on: over the bound, the reader pauses until the
// handlers have worked the queue down to half, unless a call waits for an
// answer (waiters), for which it reads on up to twice the bound; past that
// it fails those calls with ErrHandlerQueueFull and pauses too. It reports
// false if l ended meanwhile. After Close nothing is queued, so the reader
// never pauses then.
func (c *Client) waitRoom(l *link) bool {
	limit := c.opts.HandlerQueueBytes
	for {
		n := c.inbox.size()
		if n <= limit || c.quitting() {
			break
		}
		if c.waiters.Load() > 0 {
			if n <= 2*limit {
				break
			}
			c.failWaiters(fmt.Errorf("%w (%d bytes queued)", ErrHandlerQueueFull, n))
		}
		if !l.paused.Swap(true) {
			c.log.Warn("xmpp: handlers are behind; pausing reads", "queued_bytes", n)
		}
		select {
		case <-c.inbox.drained:
		case <-c.wake:
		case <-c.quit:
		case <-l.dead:
			return false
		}
	}
	if l.paused.Swap(false) {
		// The pause was ours, not the server's silence.
		l.lastRead.Store(time.Now().UnixNano())
		c.log.Info("xmpp: resuming reads", "queued_bytes", c.inbox.size())
	}
	return true
}

// failWaiters ends the calls waiting for an answer the reader will not
// read now: the SendIQs whose requests were written, and RequestAck.
func (c *Client) failWaiters(err error) {
	c.failWritten(err)
	c.mu.Lock()
	close(c.overflow)
	c.overflow = make(chan struct{})
	c.mu.Unlock()
}

// overflowed returns the channel closed at the next failWaiters.
func (c *Client) overflowed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.overflow
}

// badStanza handles a stanza the decoder rejected, which counts all the
// same for stream management (XEP-0198 §4): an IQ get or set is answered
// with the error the decoder chose (it needs an answer, RFC 6120 §8.2.3); a
// reply to a waiting SendIQ fails it with the *BadStanzaError, rather than
// leave it waiting for a reply that came; anything else is dropped.
func (c *Client) badStanza(l *link, bad *BadStanzaError) {
	h := bad.Header
	if bad.Name == "iq" {
		switch bad.Type {
		case IQGet.String(), IQSet.String():
			if h.ID != "" {
				c.log.Debug("xmpp: answering bad IQ", "id", h.ID, "condition", bad.Condition, "err", bad.Err)
				c.enqueue(l, &badRequest{Header: h, condition: bad.Condition})
				return
			}
		case IQResult.String(), IQError.String():
			smCount(l)
			l.answered.Store(true)
			c.mu.Lock()
			p := c.pending[h.ID]
			ok := p != nil && c.replyFrom(p.to, h.From)
			if ok {
				delete(c.pending, h.ID)
			}
			c.mu.Unlock()
			if ok {
				c.log.Debug("xmpp: failing SendIQ with a bad reply", "id", h.ID, "err", bad.Err)
				p.ch <- iqReply{err: fmt.Errorf("xmpp: bad reply: %w", bad)}
				return
			}
			c.log.Debug("xmpp: dropping bad IQ reply", "id", h.ID, "err", bad.Err)
			return
		}
	}
	smCount(l)
	c.log.Debug("xmpp: dropping bad stanza", "name", bad.Name, "id", h.ID, "err", bad.Err)
}

// answerEnd writes </stream:stream> on l in reply to the server's (RFC 6120
// §4.4), unless it was written already.
func (c *Client) answerEnd(l *link) {
	t := time.NewTimer(endReplyTimeout)
	defer t.Stop()
	select {
	case c.writeSem <- struct{}{}:
	case <-t.C:
		return
	}
	defer func() { <-c.writeSem }()
	if l.endSent {
		return
	}
	l.endSent = true
	l.conn.SetWriteDeadline(time.Now().Add(endReplyTimeout))
	_ = l.enc.WriteEnd()
}

// watched runs f, a method of the Handler's Watcher (see Watcher), as
// protect does, and reports whether it consumed the stanza.
func (c *Client) watched(name string, f func() bool) (consumed bool) {
	c.protect(name, func() { consumed = f() })
	return consumed
}

// enqueue hands a stanza read on l to the handler goroutine, without
// waiting, and only then counts it for stream management: h never
// acknowledges a stanza the handlers will not see. Once Close has started,
// stanzas are dropped (the stream ends for good, so the server will not
// resend them; see Close).
func (c *Client) enqueue(l *link, s Stanza) {
	if c.quitting() {
		return
	}
	if c.inbox.push(s, stanzaSize(s)) {
		smCount(l)
	}
}

// deliver routes an IQ result or error to the SendIQ waiting for it, if the
// sender is the one the request went to (see SendIQ).
func (c *Client) deliver(iq *IQ) {
	c.mu.Lock()
	p := c.pending[iq.ID]
	ok := p != nil && c.replyFrom(p.to, iq.From)
	if ok {
		delete(c.pending, iq.ID)
	}
	c.mu.Unlock()
	switch {
	case ok:
		p.ch <- iqReply{iq: iq} // capacity 1, and the entry was removed: never blocks
	case p != nil:
		c.log.Warn("xmpp: ignoring IQ reply from unexpected sender", "id", iq.ID, "from", iq.From.String(), "want", p.to.String())
	default:
		c.log.Debug("xmpp: dropping unmatched IQ reply", "id", iq.ID, "from", iq.From.String())
	}
}

// replyFrom reports whether a reply from "from" answers a request sent to
// "to" (RFC 6120 §8.1.2.1, §10.3.3).
func (c *Client) replyFrom(to, from JID) bool {
	bare := c.jid.Bare()
	if !to.IsZero() {
		if from == to {
			return true
		}
		return from.IsZero() && (to == bare || to == c.domain)
	}
	return from.IsZero() || from == bare || from == c.jid || from == c.domain
}

// dispatch is the handler goroutine: it runs handlers one at a time in the
// order the stanzas and events arrived, until the owner closes the inbox.
// After Close has started, queued stanzas are dropped; events still run.
func (c *Client) dispatch() {
	defer close(c.dispatchDone)
	for {
		s, ok := c.inbox.pop()
		if !ok {
			return
		}
		switch s.(type) {
		case *statusEvent, *unackedEvent:
		default:
			if c.quitting() {
				continue
			}
		}
		c.inHandler.Store(true)
		c.handle(s)
		c.inHandler.Store(false)
	}
}

func (c *Client) handle(s Stanza) {
	switch s := s.(type) {
	case *Message:
		if h := c.opts.Handler; h != nil {
			c.protect("OnMessage", func() { h.OnMessage(c, s) })
		}
	case *Presence:
		if h := c.opts.Handler; h != nil {
			c.protect("OnPresence", func() { h.OnPresence(c, s) })
		}
	case *IQ:
		c.handleIQ(s)
	case *badRequest:
		c.sendIQError(&s.Header, &StanzaError{Type: ErrorTypeModify, Condition: s.condition})
	case *statusEvent:
		c.protect("OnStatus", func() { c.opts.OnStatus(c, s.status, s.err) })
	case *unackedEvent:
		c.protect("OnUnacked", func() { c.opts.Reconnect.OnUnacked(c, s.stanzas) })
	}
}

// badRequest is an IQ get or set the decoder rejected (a *BadStanzaError),
// queued so the handler goroutine answers it with an error in order.
type badRequest struct {
	Header
	condition StanzaCondition
}

// sendIQError answers the request with header req with an IQ error.
func (c *Client) sendIQError(req *Header, se *StanzaError) {
	out := &IQ{Header: Header{ID: req.ID, To: req.From}, Type: IQError, Error: se}
	if err := c.Send(context.Background(), out); err != nil {
		c.log.Debug("xmpp: sending IQ error", "id", req.ID, "err", err)
	}
}

// protect runs a handler, turning a panic into a logged error so one bad
// handler does not take the session down. It reports whether f returned.
func (c *Client) protect(name string, f func()) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			c.opts.panicLogger.Error("xmpp: handler panicked", "handler", name, "panic", r, "stack", string(debug.Stack()))
			ok = false
		}
	}()
	f()
	return true
}

// handleIQ runs OnIQ for a get or set and sends its answer; every request
// gets exactly one reply (RFC 6120 §8.2.3).
func (c *Client) handleIQ(req *IQ) {
	var reply *IQ
	var err error
	if h := c.opts.Handler; h != nil {
		if !c.protect("OnIQ", func() { reply, err = h.OnIQ(c, req) }) {
			err = errors.New("handler panicked")
		}
	}
	switch {
	case err != nil:
		se, ok := errors.AsType[*StanzaError](err)
		if !ok {
			if cond, isCond := errors.AsType[StanzaCondition](err); isCond {
				// A bare condition, such as xmpp.ErrItemNotFound: the
				// type RFC 6120 §8.3.3 gives it.
				se = &StanzaError{Type: cond.defaultType(), Condition: cond}
			} else {
				c.log.Warn("xmpp: OnIQ failed", "id", req.ID, "from", req.From.String(), "err", err)
				se = &StanzaError{Type: ErrorTypeCancel, Condition: ErrInternalServerError}
			}
		}
		c.sendIQError(&req.Header, se)
	case reply == nil:
		c.sendIQError(&req.Header, &StanzaError{Type: ErrorTypeCancel, Condition: ErrServiceUnavailable})
	default:
		r := *reply
		if r.Type == 0 {
			r.Type = IQResult
		}
		if r.ID == "" {
			r.ID = req.ID
		}
		if r.To.IsZero() {
			r.To = req.From
		}
		if err := c.Send(context.Background(), &r); err != nil {
			c.log.Debug("xmpp: sending IQ reply", "id", req.ID, "err", err)
		}
	}
}
