package xmpp

import (
	"encoding/xml"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A server that reads but never answers is declared dead within about
// PingIdle + PingTimeout, with ErrDeadLink, after it got a ping.
func TestDeadLinkServerSilent(t *testing.T) {
	t.Parallel()
	opts := testOptions(t)
	opts.PingIdle = 100 * time.Millisecond
	opts.PingTimeout = 200 * time.Millisecond
	pinged := make(chan struct{})
	c, _ := connect(t, opts, func(s *fakeServer) {
		s.login()
		e := s.expect(NSClient, "iq")
		if e.attr("to") != testDomain || !strings.Contains(e.Inner, "urn:xmpp:ping") {
			s.fail("want a ping to the server, got %v %s", e.Attrs, e.Inner)
		}
		close(pinged)
		s.expectClosed() // no answer, no </stream:stream>
	})
	start := time.Now()
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed 5 s after the server went silent")
	}
	<-pinged
	require.ErrorIs(t, c.Err(), ErrDeadLink)
	require.Less(t, time.Since(start), 2*time.Second)
}

// A server that stops reading altogether (its receive window fills up, so
// even the ping cannot be written) is declared dead too.
func TestDeadLinkServerStopsReading(t *testing.T) {
	t.Parallel()
	opts := testOptions(t)
	opts.PingIdle = 100 * time.Millisecond
	opts.PingTimeout = 300 * time.Millisecond
	release := make(chan struct{})
	c, _ := connect(t, opts, func(s *fakeServer) {
		s.login()
		<-release // read nothing more, answer nothing
	})
	defer close(release)
	// Fill the connection so that the ping's write blocks.
	go func() {
		big := &Message{Header: Header{To: MustParseJID("bob@example.test")}, Body: strings.Repeat("x", 64<<10)}
		for {
			ctx := testCtx(t)
			if c.Send(ctx, big) != nil {
				return
			}
		}
	}()
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed 5 s after the server stopped reading")
	}
	require.ErrorIs(t, c.Err(), ErrDeadLink)
}

// A server that answers pings keeps the session alive, and whitespace
// keepalives flow while the client is idle.
func TestKeepAliveHealthyServer(t *testing.T) {
	t.Parallel()
	opts := testOptions(t)
	opts.KeepAlive = 30 * time.Millisecond
	opts.PingIdle = 100 * time.Millisecond
	opts.PingTimeout = 200 * time.Millisecond
	var pings, spaces atomic.Int32
	c, _ := connect(t, opts, func(s *fakeServer) {
		s.login()
		for {
			switch tok := s.token().(type) {
			case xml.CharData:
				if strings.TrimSpace(string(tok)) == "" {
					spaces.Add(1)
				}
			case xml.EndElement:
				s.send("</stream:stream>")
				return
			case xml.StartElement:
				var e fsElement
				if err := s.dec.DecodeElement(&e, &tok); err != nil {
					s.fail("read element: %v", err)
				}
				if e.is(NSClient, "iq") && strings.Contains(e.Inner, "urn:xmpp:ping") {
					pings.Add(1)
					s.send("<iq type='result' from='" + testDomain + "' id='" + e.attr("id") + "'/>")
				}
			}
		}
	})
	time.Sleep(800 * time.Millisecond)
	select {
	case <-c.Done():
		t.Fatalf("session ended: %v", c.Err())
	default:
	}
	require.GreaterOrEqual(t, pings.Load(), int32(3), "pings answered")
	require.GreaterOrEqual(t, spaces.Load(), int32(1), "whitespace keepalives")
	require.NoError(t, c.Close())
	require.ErrorIs(t, c.Err(), ErrClosed)
}

// A server that answers a ping with an error is alive all the same: the
// pings are sent (and answered with errors), and the session lives on.
func TestDeadLinkPingErrorIsAlive(t *testing.T) {
	t.Parallel()
	var pings atomic.Int32
	opts := testOptions(t)
	opts.PingIdle = 50 * time.Millisecond
	opts.PingTimeout = 200 * time.Millisecond
	c, _ := connect(t, opts, func(s *fakeServer) {
		s.login()
		for {
			e := s.next()
			if e == nil {
				s.send("</stream:stream>")
				return
			}
			if e.is(NSClient, "iq") && strings.Contains(e.Inner, "urn:xmpp:ping") {
				pings.Add(1)
			}
			s.send("<iq type='error' from='" + testDomain + "' id='" + e.attr("id") + "'><error type='cancel'><service-unavailable xmlns='" + NSStanzas + "'/></error></iq>")
		}
	})
	time.Sleep(600 * time.Millisecond)
	require.NoError(t, c.Err())
	require.GreaterOrEqual(t, pings.Load(), int32(3), "pings answered with an error")
}

// With the unacked queue full there is no room for a ping; an ack request
// probes the link instead, and its answer keeps the session.
func TestDeadLinkProbeWithFullSMQueue(t *testing.T) {
	t.Parallel()
	opts := smOptions(t)
	opts.MaxUnacked = 1
	opts.AckEvery = 100
	opts.PingIdle = 100 * time.Millisecond
	opts.PingTimeout = 300 * time.Millisecond
	var acks atomic.Int32
	c, _ := connect(t, opts, func(s *fakeServer) {
		s.smLogin("<enabled xmlns='" + nsSM + "'/>")
		s.expect(NSClient, "message")
		for {
			e := s.next()
			switch {
			case e == nil:
				s.send("</stream:stream>")
				return
			case e.is(nsSM, "r"):
				acks.Add(1)
				s.send("<a xmlns='" + nsSM + "' h='0'/>") // acks nothing: still full
			}
		}
	})
	require.NoError(t, c.Send(testCtx(t), &Message{Header: Header{To: MustParseJID("bob@example.test")}, Body: "x"}))
	time.Sleep(600 * time.Millisecond)
	require.NoError(t, c.Err())
	require.GreaterOrEqual(t, acks.Load(), int32(1))
	require.NoError(t, c.Close())
}
