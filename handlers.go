package xmpp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"time"
)

// endReplyTimeout bounds how long the reader waits to answer the server's
// </stream:stream> with its own.
const endReplyTimeout = time.Second

// errServerClosed is the cause when the server ends the stream cleanly.
var errServerClosed = fmt.Errorf("xmpp: server closed the stream: %w", io.EOF)

// readLoop is the reader goroutine of link l: it owns l.dec. When the
// connection ends, it either reconnects (with Options.Reconnect, see
// reconnect) or ends the session: the handler queue is closed, and Done is
// closed, which fails every pending SendIQ with the cause.
func (c *Client) readLoop(l *link) {
	err := c.readStanzas(l)
	c.shutdown(l, err, err == errServerClosed)
	if c.opts.Reconnect != nil {
		c.mu.Lock()
		err = l.err
		c.mu.Unlock()
		if !c.reconnect(l, err) {
			return // a new link's reader carries on
		}
	}
	c.end(l)
}

// end ends the session after link l, the last one, ended.
func (c *Client) end(l *link) {
	c.mu.Lock()
	if c.cause == nil {
		c.cause = l.err
	}
	cause := c.cause
	clear(c.pending) // waiters see c.done
	c.status = StatusClosed
	c.mu.Unlock()
	if c.opts.Reconnect != nil {
		if lost := c.unsent(l); len(lost) > 0 {
			c.handOver(lost, true)
		}
	}
	c.log.Info("xmpp: session ended", "cause", cause)
	c.notify(StatusClosed, cause)
	close(c.queue)
	close(c.done)
}

func (c *Client) readStanzas(l *link) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("xmpp: panic in reader: %v\n%s", r, debug.Stack())
		}
	}()
	for {
		v, err := l.dec.Next()
		l.lastRead.Store(time.Now().UnixNano())
		if err != nil {
			if bad, ok := errors.AsType[*BadStanzaError](err); ok {
				smCount(l)          // a stanza all the same (XEP-0198 §4)
				c.badStanza(l, bad) // not fatal: the stream goes on
				continue
			}
			if errors.Is(err, io.EOF) {
				c.answerEnd(l)
				return errServerClosed
			}
			return fmt.Errorf("xmpp: read: %w", err)
		}
		switch v.(type) {
		case *IQ, *Message, *Presence:
			smCount(l)
		}
		switch s := v.(type) {
		case *IQ:
			switch s.Type {
			case IQResult, IQError:
				l.answered.Store(true)
				c.deliver(s)
			case IQGet, IQSet:
				c.enqueue(l, s)
			default:
				c.log.Debug("xmpp: dropping IQ of unknown type", "type", s.Type, "id", s.ID)
			}
		case *Message:
			c.enqueue(l, s)
		case *Presence:
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

// badStanza handles a stanza the decoder rejected: an IQ get or set is
// answered with the error the decoder chose (it needs an answer, RFC 6120
// §8.2.3); anything else, including an IQ reply, is dropped.
func (c *Client) badStanza(l *link, bad *BadStanzaError) {
	h := bad.Header
	if bad.Name == "iq" && (bad.Type == IQGet.String() || bad.Type == IQSet.String()) && h.ID != "" {
		c.log.Debug("xmpp: answering bad IQ", "id", h.ID, "condition", bad.Condition, "err", bad.Err)
		c.enqueue(l, &badRequest{Header: h, condition: bad.Condition})
		return
	}
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

// enqueue hands a stanza read on l to the handler goroutine, blocking while
// the queue is full. Once Close has started, stanzas are dropped, so the
// reader never stays blocked here. Without Options.Reconnect they are also
// dropped once the connection is closed, as the session is ending; with it,
// a stanza counted for stream management must reach the handlers, or it
// would be lost across a resumption.
func (c *Client) enqueue(l *link, s Stanza) {
	dead := l.dead
	if c.opts.Reconnect != nil {
		dead = nil
	}
	select {
	case c.queue <- s:
	case <-c.quit:
	case <-dead:
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
// order the stanzas arrived, until the reader closes the queue. After Close
// has started, queued stanzas are dropped.
func (c *Client) dispatch() {
	defer close(c.dispatchDone)
	for s := range c.queue {
		switch s.(type) {
		case *statusEvent, *unackedEvent:
		default:
			select {
			case <-c.quit:
				continue
			default:
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
		if h := c.opts.OnMessage; h != nil {
			c.protect("OnMessage", func() { h(c, s) })
		}
	case *Presence:
		if h := c.opts.OnPresence; h != nil {
			c.protect("OnPresence", func() { h(c, s) })
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
			c.log.Error("xmpp: handler panicked", "handler", name, "panic", r, "stack", string(debug.Stack()))
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
	if h := c.opts.OnIQ; h != nil {
		if !c.protect("OnIQ", func() { reply, err = h(c, req) }) {
			err = errors.New("handler panicked")
		}
	}
	switch {
	case err != nil:
		se, ok := errors.AsType[*StanzaError](err)
		if !ok {
			c.log.Warn("xmpp: OnIQ failed", "id", req.ID, "from", req.From.String(), "err", err)
			se = &StanzaError{Type: ErrorTypeCancel, Condition: ErrInternalServerError}
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
