package xmpp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"time"
)

// Defaults for [ReconnectOptions] fields left zero.
const (
	defaultReconnectMinDelay = 500 * time.Millisecond
	defaultReconnectMaxDelay = time.Minute
	defaultReconnectQueue    = 500
)

// Reconnection errors.
var (
	// ErrDisconnected is wrapped by the error of a SendIQ whose request was
	// written on a connection that broke, when the stream could not be
	// resumed: the reply will not come, and the request may or may not have
	// been processed. RequestAck returns it too when the stream its <r/>
	// belongs to is gone.
	ErrDisconnected = errors.New("xmpp: disconnected")

	// ErrQueueFull is returned by Send and SendIQ while the session is
	// reconnecting and ReconnectOptions.QueueSize stanzas already wait to
	// be written. Nothing was queued.
	ErrQueueFull = errors.New("xmpp: reconnecting, and the send queue is full")
)

// ReconnectOptions configure automatic reconnection (Options.Reconnect).
//
// When the connection of a session breaks (a network error, the server
// closing the stream or sending a stream error, or a dead link found by
// Options.PingIdle), the session reconnects instead of ending. If stream
// management was enabled and the server allows resumption, it first resumes
// the stream (XEP-0198 §5, at the location the server gave): nothing is
// lost or duplicated in either direction, pending SendIQ calls get their
// replies, and the session goes on with the same full JID and presence
// (StatusResumed). Otherwise, or if the server refuses, it logs in anew and
// binds the same resource again (StatusConnected): SendIQ calls whose
// requests were written before the break fail with ErrDisconnected, the
// stanzas the server never acknowledged go to OnUnacked, and the last
// broadcast presence sent is sent again.
//
// Attempts are spaced by an exponential backoff with jitter: before attempt
// n (from 0) the session waits a random time between d/2 and d, where d is
// MinDelay·2ⁿ capped at MaxDelay. It stops, ending the session with the
// error as its cause, on errors that another attempt would only repeat: a
// SASL failure (other than temporary-auth-failure), a certificate that does
// not verify, a server without TLS (ErrTLSRequired), and the stream errors
// conflict (another client took the resource), not-authorized,
// policy-violation, host-unknown, host-gone and the ones saying the stream
// itself was bad. It also stops after MaxAttempts attempts, or when Close
// is called.
//
// While reconnecting, Send and SendIQ queue up to QueueSize stanzas, which
// are written in order on the new connection (after the retransmitted
// ones); then they fail with ErrQueueFull. The first connection is not
// retried: Dial and NewClient return its error.
type ReconnectOptions struct {
	// MinDelay is the backoff's starting delay. Default 0: 500 ms.
	MinDelay time.Duration
	// MaxDelay caps the backoff delay. Default 0: one minute.
	MaxDelay time.Duration
	// MaxAttempts is how many connection attempts are made after one
	// break before the session ends. Default 0: no limit.
	MaxAttempts int
	// QueueSize is how many stanzas Send and SendIQ may queue while
	// reconnecting. Default 0: 500.
	QueueSize int
	// OnUnacked, if set, receives stanzas that Send accepted but that the
	// server may not have received: after a full reconnect (the stream
	// could not be resumed), those sent before the break that the server
	// never acknowledged (with stream management; without it, nothing is
	// known), and when the session ends for good, also those still queued.
	// They may or may not have been delivered; the application decides
	// whether to send them again. It runs on the handler goroutine, like
	// OnStatus: after the StatusConnected of the new connection, before the
	// stanzas read on it, or just before StatusClosed. Default nil: they
	// are only logged.
	OnUnacked func(c *Client, stanzas []Stanza)
}

func (r *ReconnectOptions) withDefaults() ReconnectOptions {
	c := *r
	if c.MinDelay <= 0 {
		c.MinDelay = defaultReconnectMinDelay
	}
	if c.MaxDelay <= 0 {
		c.MaxDelay = defaultReconnectMaxDelay
	}
	if c.MaxDelay < c.MinDelay {
		c.MaxDelay = c.MinDelay
	}
	if c.QueueSize <= 0 {
		c.QueueSize = defaultReconnectQueue
	}
	return c
}

// delay returns how long to wait before attempt n (from 0).
func (r *ReconnectOptions) delay(n int) time.Duration {
	d := r.MaxDelay
	if n < 30 {
		d = min(r.MinDelay<<n, r.MaxDelay)
	}
	return d/2 + mathrand.N(d/2+1)
}

// Status is the state of a session, as reported to Options.OnStatus and by
// [Client.Status].
type Status int

const (
	// StatusConnected: the session is up on a newly negotiated stream (at
	// login, and after a full reconnect).
	StatusConnected Status = iota + 1
	// StatusResumed: the session is up again on a resumed stream; nothing
	// was lost.
	StatusResumed
	// StatusReconnecting: the connection broke and the session is
	// reconnecting (Options.Reconnect).
	StatusReconnecting
	// StatusClosed: the session has ended for good; Done is closed.
	StatusClosed
)

func (s Status) String() string {
	switch s {
	case StatusConnected:
		return "connected"
	case StatusResumed:
		return "resumed"
	case StatusReconnecting:
		return "reconnecting"
	case StatusClosed:
		return "closed"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Status returns the session's current status.
func (c *Client) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// statusEvent is a status change for Options.OnStatus, and unackedEvent
// stanzas for ReconnectOptions.OnUnacked; the owner queues them so that the
// callbacks run on the handler goroutine, in order with the stanzas around
// them, and may call any method of the Client. The inbox never refuses
// them, so none is dropped.
type statusEvent struct {
	Header
	status Status
	err    error
}

type unackedEvent struct {
	Header
	stanzas []Stanza
}

// notify queues a status change for Options.OnStatus.
func (c *Client) notify(s Status, err error) {
	if c.opts.OnStatus != nil {
		c.inbox.push(&statusEvent{status: s, err: err}, 0)
	}
}

// quitting reports whether Close has been called.
func (c *Client) quitting() bool {
	select {
	case <-c.quit:
		return true
	default:
		return false
	}
}

// reconnect runs on the owner goroutine after link l ended with err, and
// reconnects the session. It returns the new link, or nil if the session
// must end instead; then the cause is set, unless l's error is the cause.
func (c *Client) reconnect(l *link, err error) *link {
	if c.quitting() {
		return nil
	}
	// A resumed stream that the server never answered on was not really
	// resumed: a server may go on parsing a resumed stream with the state
	// of the broken connection (Prosody 0.12 does), and a stanza cut in
	// half there swallows everything after it. Its stream error then
	// speaks of that, not of this client: log in anew instead.
	broken := l.resumed && l.asked.Load() && !l.answered.Load()
	if broken {
		c.unanswered++
	} else {
		c.unanswered = 0
	}
	var se *StreamError
	if permanent(err) && !(broken && errors.As(err, &se)) {
		c.log.Warn("xmpp: connection ended; not reconnecting", "err", err)
		return nil
	}
	c.mu.Lock()
	c.status = StatusReconnecting
	c.mu.Unlock()
	c.log.Warn("xmpp: connection lost; reconnecting", "err", err)
	c.notify(StatusReconnecting, err)

	res := newResumeReq(c, l)
	if res != nil && (c.unanswered >= 2 || (broken && se != nil)) {
		c.log.Warn("xmpp: the resumed stream was not answered; starting a new session", "err", err)
		res = nil
		c.unanswered = 0
	}
	if res == nil {
		// No resumption: the replies to what was written are lost.
		c.failPending(err)
	}
	ro := c.opts.Reconnect
	last := err
	for attempt := 0; ro.MaxAttempts == 0 || attempt < ro.MaxAttempts; attempt++ {
		t := time.NewTimer(ro.delay(attempt))
		select {
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
			return nil
		}
		n, err := c.redial(res)
		if err == nil {
			var next *link
			if next, err = c.attach(n, res, l); err == nil {
				return next
			}
		}
		last = err
		switch {
		case c.quitting():
			return nil
		case errors.Is(err, ErrResumeFailed):
			c.log.Info("xmpp: stream not resumed; logging in anew", "err", err)
			res = nil
			c.failPending(err)
			attempt-- // not a failed attempt: the next one logs in anew
		case permanent(err):
			c.log.Warn("xmpp: reconnecting failed for good", "err", err)
			c.setCause(err)
			return nil
		default:
			c.log.Info("xmpp: reconnecting failed; will retry", "attempt", attempt+1, "err", err)
		}
	}
	c.setCause(fmt.Errorf("xmpp: reconnecting failed after %d attempts: %w", ro.MaxAttempts, last))
	return nil
}

// redial makes one connection attempt: resuming with res, else a new
// session binding the current resource again.
func (c *Client) redial(res *resumeReq) (*negotiated, error) {
	o := &c.opts
	ctx := c.ctx
	if o.NegotiationTimeout > 0 {
		// Bound the dial too, not only the negotiation.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, o.NegotiationTimeout, ErrNegotiationTimeout)
		defer cancel()
	}
	if res != nil {
		return dialStream(ctx, res.jid, c.password, resumeTarget(o, res.sm), res)
	}
	return dialStream(ctx, c.JID(), c.password, o, nil)
}

// attach makes a negotiated stream the session's connection, replacing
// old, and returns its link. With the write lock held, so that nothing else
// is written first, it stores the link, queues the status event (before the
// link's reader starts, so that the event comes before the stanzas read on
// it), starts the link, and writes what the link starts with: the
// retransmitted stanzas of a resumed stream or the last presence on a new
// one, then the stanzas queued meanwhile. That flush is bounded by
// NegotiationTimeout and by Close.
func (c *Client) attach(n *negotiated, res *resumeReq, old *link) (*link, error) {
	var resend []Stanza
	if res != nil {
		var err error
		if resend, err = resumedState(res.sm, n.resumedH); err != nil {
			n.raw.Close()
			return nil, err
		}
	}
	l := newLink(n, res)
	select {
	case c.writeSem <- struct{}{}:
	case <-c.ctx.Done():
		n.raw.Close()
		return nil, ErrClosed
	}
	if c.quitting() {
		<-c.writeSem
		n.raw.Close()
		return nil, ErrClosed
	}
	var lost []Stanza
	if res == nil {
		// The requests written on old links were failed when reconnect
		// gave up resuming; those queued since are written below.
		lost = c.dropStream(old)
		c.mu.Lock()
		c.jid = n.jid
		c.mu.Unlock()
	}
	status := StatusConnected
	if res != nil {
		status = StatusResumed
	}
	c.cur.Store(l)
	c.mu.Lock()
	c.status = status
	c.mu.Unlock()
	c.notify(status, nil)
	if len(lost) > 0 {
		c.handOver(lost)
	}
	for _, s := range n.early {
		c.inbox.push(s, stanzaSize(s))
	}
	c.log.Info("xmpp: reconnected", "jid", n.jid.String(), "resumed", res != nil, "retransmitted", len(resend))
	c.startLink(l)
	ctx, cancel := c.ctx, context.CancelFunc(func() {})
	if c.opts.NegotiationTimeout > 0 { // negative: no limit
		ctx, cancel = context.WithTimeout(ctx, c.opts.NegotiationTimeout)
	}
	err := c.flushAfterReconnect(ctx, l, res, resend)
	cancel()
	// A Close that started meanwhile waits for writeSem and then says
	// goodbye on this link (or, if the flush was stuck, shuts it down as
	// the current one).
	<-c.writeSem
	if err != nil {
		c.log.Debug("xmpp: connection broke again while flushing", "err", err)
	}
	return l, nil
}

// flushAfterReconnect writes, with writeSem held, the stanzas a new link
// starts with: the retransmitted ones of a resumed stream, or the last
// available presence on a new one; then the queued ones. If the link breaks
// meanwhile, whatever was not written stays queued for the next one.
func (c *Client) flushAfterReconnect(ctx context.Context, l *link, res *resumeReq, resend []Stanza) error {
	defer l.bound(ctx)()
	if res != nil {
		if err := c.retransmit(l, resend); err != nil {
			return err
		}
	} else if p := c.presence; p != nil && c.available.Load() {
		if err := c.encodeStanza(l, p, true); err != nil {
			c.shutdown(l, fmt.Errorf("xmpp: write: %w", err), false)
			return err
		}
	}
	for i, q := range c.outbox {
		if err := c.writeOn(l, q.s, q.p, true); err != nil {
			c.shutdown(l, fmt.Errorf("xmpp: write: %w", err), false)
			c.outbox = append(c.outbox[:0], c.outbox[i:]...)
			return err
		}
	}
	clear(c.outbox)
	c.outbox = c.outbox[:0]
	l.lastWrite.Store(time.Now().UnixNano())
	return nil
}

// dropStream marks the stream management state of old as lost, as a new
// session replaces it, and returns its unacknowledged stanzas.
func (c *Client) dropStream(old *link) []Stanza {
	sm := old.sm
	if sm == nil {
		return nil
	}
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if sm.lost {
		return nil
	}
	sm.lost = true
	close(sm.ackSeen) // wake RequestAck
	sm.ackSeen = make(chan struct{})
	lost := sm.unacked
	sm.unacked = nil
	return lost
}

// handOver gives stanzas the server may not have received to
// ReconnectOptions.OnUnacked.
func (c *Client) handOver(stanzas []Stanza) {
	c.log.Warn("xmpp: stanzas the server may not have received", "count", len(stanzas))
	if c.opts.Reconnect.OnUnacked != nil {
		c.inbox.push(&unackedEvent{stanzas: stanzas}, 0)
	}
}

// unsent returns, when a reconnecting session ends for good, the stanzas it
// accepted that the server may not have: the last stream's unacknowledged
// ones and the queued ones. The write lock is free by then but for Close's
// bounded goodbye; if it is not free within closeTimeout, the queued ones
// are left out (and logged).
func (c *Client) unsent(l *link) []Stanza {
	var out []Stanza
	c.mu.Lock()
	// After Close, a server that ended the stream in answer to ours has
	// read all of it (RFC 6120 §4.4): nothing is in doubt.
	clean := errors.Is(c.cause, ErrClosed) && errors.Is(l.err, errServerClosed)
	c.mu.Unlock()
	if sm := l.sm; sm != nil && !clean {
		goodbye := l.goodbye.Load()
		sm.mu.Lock()
		if !sm.lost {
			for _, s := range sm.unacked {
				if p, ok := s.(*Presence); !ok || p != goodbye { // not Close's own
					out = append(out, s)
				}
			}
		}
		sm.mu.Unlock()
	}
	t := time.NewTimer(closeTimeout)
	defer t.Stop()
	select {
	case c.writeSem <- struct{}{}:
	case <-t.C:
		c.log.Warn("xmpp: write lock busy at the end; queued stanzas not handed over")
		return out
	}
	defer func() { <-c.writeSem }()
	for _, q := range c.outbox {
		out = append(out, q.s)
	}
	c.outbox = nil
	return out
}

// permanentStreamError reports whether a stream error condition (RFC 6120
// §4.9.3) sent by the server would only be met again on reconnecting.
func permanentStreamError(cond StreamCondition) bool {
	switch cond {
	case CondConflict, CondNotAuthorized, CondPolicyViolation, CondHostUnknown, CondHostGone,
		CondImproperAddressing, CondInvalidFrom, CondInvalidNamespace, CondUnsupportedVersion,
		CondUnsupportedEncoding, CondUnsupportedStanzaType, CondBadFormat,
		CondBadNamespacePrefix, CondNotWellFormed, CondRestrictedXML, CondInvalidXML:
		return true
	}
	return false
}

// permanent reports whether err, which ended a connection or a connection
// attempt, would only happen again on another attempt. Errors found locally
// in what the server sent (a *StreamError with Err set) are not permanent:
// a cut connection can look like a stream ending inside a stanza.
func permanent(err error) bool {
	if errors.Is(err, ErrTLSRequired) || errors.Is(err, ErrInvalidJID) || errors.Is(err, ErrClosed) {
		return true
	}
	if se, ok := errors.AsType[*SASLError](err); ok {
		return se.Condition != SASLTemporaryAuthFailure
	}
	if _, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.HostnameError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.UnknownAuthorityError](err); ok {
		return true
	}
	if se, ok := errors.AsType[*StreamError](err); ok && se.Err == nil {
		return permanentStreamError(se.Condition)
	}
	return false
}
