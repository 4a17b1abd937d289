package xmpp

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"time"
)

// defaultPingTimeout is how long a dead-link ping waits for its reply when
// Options.PingTimeout is zero.
const defaultPingTimeout = 30 * time.Second

// ErrDeadLink is wrapped by the cause of a session ended because the server
// stopped answering: nothing was received for Options.PingIdle and the
// XEP-0199 ping that followed got no reply within Options.PingTimeout (or
// could not even be written in that time).
var ErrDeadLink = errors.New("xmpp: dead link: the server stopped answering")

// keepalive is the keepalive goroutine, started only when Options.KeepAlive
// or Options.PingIdle is positive. It writes a whitespace keepalive (RFC 6120
// §4.6.1) when nothing was written for KeepAlive, and pings the server
// (XEP-0199 §4.2) when nothing was received for PingIdle, ending the session
// with ErrDeadLink if the ping gets no reply.
func (c *Client) keepalive(l *link) {
	ka, idle := c.opts.KeepAlive, c.opts.PingIdle
	tick := ka
	if tick <= 0 || (idle > 0 && idle < tick) {
		tick = idle
	}
	// Check four times per period, so a deadline is missed by at most a
	// quarter of it.
	t := time.NewTicker(max(tick/4, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-l.dead:
			return
		}
		now := time.Now()
		// While the reader is held back by the handlers, the server is not
		// silent: what it sent is waiting unread.
		if idle > 0 && !l.paused.Load() && now.Sub(time.Unix(0, l.lastRead.Load())) >= idle {
			if err := c.pingServer(l); err != nil {
				c.log.Warn("xmpp: dead link", "err", err)
				c.shutdown(l, err, false)
				return
			}
			l.lastRead.Store(time.Now().UnixNano()) // the reply itself counts, but be sure
			continue
		}
		if ka > 0 && now.Sub(time.Unix(0, l.lastWrite.Load())) >= ka {
			ctx, cancel := context.WithTimeout(context.Background(), max(ka, time.Second))
			err := c.write(ctx, func(cur *link) error {
				if cur != l {
					return nil
				}
				return l.enc.WriteKeepalive()
			})
			cancel()
			if err != nil {
				c.log.Debug("xmpp: whitespace keepalive", "err", err)
			}
		}
	}
}

// pingServer sends a ping to the server over l and waits for a sign of
// life: a reply (an error reply proves the link alive as well as a result
// does), or anything else read on l. Only when nothing at all was received
// for PingTimeout after the ping was written does it return an error
// wrapping ErrDeadLink: a server busy with a burst of stanzas answers the
// ping late, but its acks and other traffic still show it is there. It
// returns nil also when the link ended for another reason meanwhile.
func (c *Client) pingServer(l *link) error {
	timeout := c.opts.PingTimeout
	dead := fmt.Errorf("%w: nothing received within %v of a ping", ErrDeadLink, timeout)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	res := make(chan error, 1)
	l.asked.Store(true)
	go func() {
		_, err := c.SendIQ(ctx, &IQ{
			Header: Header{To: c.domain}, Type: IQGet,
			Payload: Element{
				Name:       xml.Name{Space: "urn:xmpp:ping", Local: "ping"},
				Raw:        "<ping xmlns='urn:xmpp:ping'/>",
				wellFormed: true,
			},
		})
		if errors.Is(err, ErrUnackedFull) {
			// No room for the ping: with so much unacknowledged, the
			// server's <a/> is as good a sign of life (XEP-0198 §4).
			err = c.probeAck(ctx, l)
		}
		res <- err
	}()
	sent := time.Now()
	tick := time.NewTicker(max(timeout/8, time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case err := <-res:
			if _, ok := errors.AsType[*StanzaError](err); ok || err == nil || l.isDead() || errors.Is(err, ErrHandlerQueueFull) {
				// An error reply shows the link alive as well as a result;
				// an overflow of the handler queue means its reply is
				// waiting unread.
				return nil
			}
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			return fmt.Errorf("%w: ping: %w", ErrDeadLink, err)
		case <-l.dead:
			return nil // ended for its own reason, which is the cause
		case now := <-tick.C:
			if l.paused.Load() {
				return nil // see keepalive: unread, not silent
			}
			last := max(sent.UnixNano(), l.lastRead.Load())
			if now.Sub(time.Unix(0, last)) >= timeout {
				cancel(dead) // also ends a ping write that is stuck
				return dead
			}
		}
	}
}

// probeAck writes <r/> on l and waits for the next <a/>, whatever it
// acknowledges.
func (c *Client) probeAck(ctx context.Context, l *link) error {
	sm := l.sm
	var seen chan struct{}
	err := c.write(ctx, func(cur *link) error {
		if cur != l {
			return fmt.Errorf("%w: reconnecting", ErrDisconnected)
		}
		sm.mu.Lock()
		seen = sm.ackSeen
		sm.mu.Unlock()
		return l.writeR()
	})
	if err != nil {
		return err
	}
	defer c.waitForReader()()
	select {
	case <-seen:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-l.dead:
		return nil
	}
}
