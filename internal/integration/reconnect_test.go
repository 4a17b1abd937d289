package integration_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/xmpptest"
	"github.com/gojabber/xmpp/xmpptest/faultproxy"
)

// The fault test's figures.
const (
	faultTotal    = 10000
	faultCutAEach = 500
	faultCutBEach = 700
	// faultWindow bounds how far A may run ahead of what B received, so
	// that the server's queue for a blackholed B stays below its
	// limits (Prosody ends a session with more than 500 unacknowledged
	// stanzas; ejabberd with more than 5000).
	faultWindow = 200
)

// cutMode is one way the proxy cuts a link.
type cutMode int

const (
	cutReset cutMode = iota
	cutBlackhole
	cutMidStanza
	cutModes
)

func (m cutMode) String() string {
	return [...]string{"reset", "blackhole", "mid-stanza"}[m]
}

// cutLink cuts the links open through p in mode m; a mid-stanza cut is
// made in the direction dir.
func cutLink(p *faultproxy.Proxy, m cutMode, dir faultproxy.Direction) {
	switch m {
	case cutReset:
		p.Reset()
	case cutBlackhole:
		// Held until the client gives up on it and the server replaces
		// it with the resumed stream: the server is not told.
		p.Blackhole(0)
	case cutMidStanza:
		p.CutMidStanza(dir)
	}
}

// settled waits until every reconnection of p has ended.
func (p *faultPeer) settled(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(opTimeout)
	for p.resumed.Load()+p.connected.Load() < p.reconnecting.Load() {
		if time.Now().After(deadline) {
			t.Fatalf("%s still reconnecting: %v", p.name, p.client.Status())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// faultPeer is one side of the fault test: a reconnecting session through
// its own fault proxy, with what it saw.
type faultPeer struct {
	name   string
	proxy  *faultproxy.Proxy
	client *xmpp.Client

	resumed, connected, reconnecting atomic.Int32
	unacked                          atomic.Int32 // stanzas handed to OnUnacked
	mu                               sync.Mutex
	causes                           map[string]int // why links broke, by kind
}

func (p *faultPeer) onStatus(_ *xmpp.Client, s xmpp.Status, err error) {
	switch s {
	case xmpp.StatusResumed:
		p.resumed.Add(1)
	case xmpp.StatusConnected:
		p.connected.Add(1)
	case xmpp.StatusReconnecting:
		p.reconnecting.Add(1)
		kind := "other"
		switch {
		case errors.Is(err, xmpp.ErrDeadLink):
			kind = "dead link"
		case err != nil && strings.Contains(err.Error(), "reset"):
			kind = "reset"
		case err != nil && strings.Contains(err.Error(), "EOF"):
			kind = "EOF"
		}
		p.mu.Lock()
		p.causes[kind]++
		p.mu.Unlock()
	}
}

// dialFaultPeer logs user in through a new fault proxy in front of srv,
// with stream management, reconnection, and dead-link detection fast
// enough for a blackhole.
func dialFaultPeer(t *testing.T, srv *xmpptest.Server, user string, edit func(*xmpp.Options)) *faultPeer {
	t.Helper()
	proxy := faultProxy(t, srv)
	p := &faultPeer{name: user, proxy: proxy, causes: map[string]int{}}
	o := &xmpp.Options{
		Server:           proxy.Addr(),
		TLSConfig:        srv.TLSConfig(),
		StreamManagement: true,
		MaxUnacked:       1000,
		// A blackhole is noticed after PingIdle + PingTimeout; the timeout
		// is generous because a loaded machine's server can fall silent
		// for a second while it works through a retransmitted backlog.
		PingIdle:    500 * time.Millisecond,
		PingTimeout: 3 * time.Second,
		Reconnect: &xmpp.ReconnectOptions{
			MinDelay:  20 * time.Millisecond,
			MaxDelay:  200 * time.Millisecond,
			OnUnacked: func(_ *xmpp.Client, s []xmpp.Stanza) { p.unacked.Add(int32(len(s))) },
		},
		OnStatus: p.onStatus,
	}
	edit(o)
	var err error
	p.client, err = xmpp.Dial(testCtx(t), srv.JID(user), srv.Password(user), o)
	require.NoError(t, err, "Dial(%s)\nserver log:\n%s", user, srv.LogTail(20))
	t.Cleanup(func() { p.client.Close() })
	return p
}

// TestFaultCutLinks sends 10,000 messages from A to B while fault proxies
// cut A's link every 500 messages sent and B's every 700 received, turn by
// turn with a reset, a silent blackhole and a cut inside a stanza. With
// stream management and Options.Reconnect, every cut must end in a
// resumption, and B must receive every message exactly once, in order.
//
// Order is checked on Prosody only. ejabberd 23.01 sometimes (2 runs in 8
// here) hands B a few messages late around B's resumption, although A
// wrote them in order on one stream and B reads its streams one after the
// other: messages routed to B's old session while the resumed one takes
// over arrive after newer ones. On ejabberd the test thus checks that
// nothing is lost or duplicated, and logs the order.
func TestFaultCutLinks(t *testing.T) {
	t.Parallel()
	for _, sv := range defaultServers {
		t.Run(sv.name, func(t *testing.T) {
			t.Parallel()
			runFault(t, sv.shared.Server(t), sv.name)
		})
	}
}

// runFault is TestFaultCutLinks against one server.
func runFault(t *testing.T, srv *xmpptest.Server, name string) {
	userA, userB := freshUser(t, srv, "fault-a"), freshUser(t, srv, "fault-b")
	// modeOf picks the cut for the n-th cut of a link: reset, blackhole and
	// mid-stanza in turn. On Prosody 0.12.3 only blackholes: after a cut
	// that tears the server's side of the connection down while stanzas
	// flow (RST, or a mid-stanza cut, which ends in RST), Prosody feeds the
	// resumed connection to the parser of the broken one (mod_c2s's
	// session.data closure keeps the old stream; mod_smacks replaces only
	// session.stream), and under this load that parser is left inside a
	// stanza: everything after <resumed/> is swallowed until a
	// not-well-formed or stanza-too-big stream error. The library then
	// gives up resuming and starts a new session (see
	// TestReconnectUnansweredResumption), which cannot promise the
	// exactly-once delivery this test checks. A blackholed connection stays
	// open on the server until the resumption replaces it, and resumes
	// cleanly.
	modeOf := func(n int) cutMode { return cutMode(n % int(cutModes)) }
	if name == "prosody" {
		modeOf = func(int) cutMode { return cutBlackhole }
	}

	var (
		received atomic.Int64 // messages B got, duplicates included
		dups     atomic.Int64 // messages B got again
		outOfOrd atomic.Int64 // messages B got after a later one
		// seen, unique and highest are B's handler goroutine's only.
		seen      = make([]bool, faultTotal)
		unique    int
		highest   = -1
		allIn     = make(chan struct{})
		progress  = make(chan struct{}, 1)
		badBodies atomic.Int64
	)
	var b *faultPeer
	b = dialFaultPeer(t, srv, userB, func(o *xmpp.Options) {
		o.Handler = messageHandler(func(_ xmpp.Session, m *xmpp.Message) {
			if !strings.HasPrefix(m.ID, "fault-") {
				return
			}
			i, err := strconv.Atoi(strings.TrimPrefix(m.ID, "fault-"))
			if err != nil || i < 0 || i >= faultTotal || m.Body != faultBody(i) {
				badBodies.Add(1)
				return
			}
			n := received.Add(1)
			switch {
			case seen[i]:
				dups.Add(1)
			case i < highest:
				outOfOrd.Add(1)
				fallthrough
			default:
				seen[i] = true
				unique++
				highest = max(highest, i)
				if unique == faultTotal {
					close(allIn) // once: unique grows only here
				}
			}
			if n%faultCutBEach == 0 {
				cutLink(b.proxy, modeOf(int(n/faultCutBEach)), faultproxy.ToClient)
			}
			select {
			case progress <- struct{}{}:
			default:
			}
		})
	})
	a := dialFaultPeer(t, srv, userA, func(o *xmpp.Options) {
		if path := os.Getenv("GOJABBER_FAULT_DEBUG"); path != "" {
			f, err := os.Create(path + "-" + name)
			require.NoError(t, err)
			t.Cleanup(func() { f.Close() })
			o.DebugWriter = f
			o.Logger = slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}
	})
	to := b.client.JID()

	noStore, err := xmpp.ParseElement("<no-store xmlns='urn:xmpp:hints'/>")
	require.NoError(t, err)
	start := time.Now()
	ctx := testCtxFor(t, 4*time.Minute)
	for i := range faultTotal {
		if i > 0 && i%faultCutAEach == 0 {
			cutLink(a.proxy, modeOf(i/faultCutAEach), faultproxy.ToServer)
		}
		for int64(i)-received.Load() >= faultWindow {
			select {
			case <-progress:
			case <-time.After(100 * time.Millisecond):
			case <-ctx.Done():
				t.Fatalf("B stuck at %d of %d received; A status %v (%v), B status %v (%v)\nserver log:\n%s",
					received.Load(), i, a.client.Status(), a.client.Err(), b.client.Status(), b.client.Err(), srv.LogTail(40))
			}
		}
		m := &xmpp.Message{
			Header: xmpp.Header{ID: fmt.Sprintf("fault-%05d", i), To: to}, Type: xmpp.MessageChat,
			Body: faultBody(i),
			// Not archived (XEP-0334): the test is about the link, not the
			// servers' archives, which slow ejabberd down a lot.
			Extensions: []xmpp.Element{noStore},
		}
		for {
			err := a.client.Send(ctx, m)
			if err == nil {
				break
			}
			if !errors.Is(err, xmpp.ErrUnackedFull) && !errors.Is(err, xmpp.ErrQueueFull) {
				t.Fatalf("Send %d: %v", i, err)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	select {
	case <-allIn:
	case <-ctx.Done():
		t.Fatalf("B received %d of %d\nserver log:\n%s", received.Load(), faultTotal, srv.LogTail(40))
	}
	elapsed := time.Since(start)
	a.settled(t)
	b.settled(t)
	// Whatever else B might still get would be a duplicate.
	time.Sleep(500 * time.Millisecond)
	require.NoError(t, a.client.RequestAck(ctx))
	// Only a dead-link ping written after the <r/> may still wait for its
	// ack; every message was acknowledged.
	for _, s := range a.client.Unacked() {
		if m, ok := s.(*xmpp.Message); ok {
			t.Errorf("message %q unacknowledged after RequestAck", m.Body)
		}
	}

	cutsA, cutsB := a.proxy.Cuts(), b.proxy.Cuts()
	a.mu.Lock()
	b.mu.Lock()
	t.Logf("%s: sent %d, received %d, duplicates %d, out of order %d, bad %d; A: %d cuts, %d resumed, %d new sessions, causes %v; B: %d cuts, %d resumed, %d new sessions, causes %v; %v (%.0f msg/s)",
		name, faultTotal, received.Load(), dups.Load(), outOfOrd.Load(), badBodies.Load(),
		cutsA, a.resumed.Load(), a.connected.Load(), a.causes,
		cutsB, b.resumed.Load(), b.connected.Load(), b.causes,
		elapsed.Round(time.Millisecond), float64(faultTotal)/elapsed.Seconds())
	b.mu.Unlock()
	a.mu.Unlock()
	if path := os.Getenv("GOJABBER_FAULT_REPORT"); path != "" {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			fmt.Fprintf(f, "%s: sent=%d received=%d duplicates=%d out-of-order=%d resumes-A=%d resumes-B=%d new-sessions-A=%d new-sessions-B=%d cuts-A=%d cuts-B=%d time=%v\n",
				name, faultTotal, received.Load(), dups.Load(), outOfOrd.Load(), a.resumed.Load(), b.resumed.Load(),
				a.connected.Load(), b.connected.Load(), cutsA, cutsB, elapsed.Round(time.Millisecond))
			f.Close()
		}
	}

	require.Equal(t, int64(faultTotal), received.Load(), "received")
	require.Zero(t, dups.Load(), "duplicates")
	if name == "ejabberd" {
		t.Logf("ejabberd: %d messages arrived after a later one (its session handover on resumption)", outOfOrd.Load())
	} else {
		require.Zero(t, outOfOrd.Load(), "out of order")
	}
	require.Zero(t, badBodies.Load(), "damaged")
	require.Equal(t, faultTotal/faultCutAEach-1, cutsA)
	require.Equal(t, faultTotal/faultCutBEach, cutsB)
	require.EqualValues(t, cutsA, a.resumed.Load(), "every cut of A ends in a resumption")
	require.EqualValues(t, cutsB, b.resumed.Load(), "every cut of B ends in a resumption")
	require.Zero(t, a.connected.Load(), "no new session for A")
	require.Zero(t, b.connected.Load(), "no new session for B")
	require.Zero(t, a.unacked.Load()+b.unacked.Load(), "nothing handed over as unacknowledged")
	require.NoError(t, a.client.Err())
	require.NoError(t, b.client.Err())
}

// faultBody is the body of message i: its number and text that tests the
// codec.
func faultBody(i int) string {
	return fmt.Sprintf("message %d <&> 'quoted' \"twice\" ✓ %s", i, strings.Repeat("x", i%97))
}

// testCtxFor is testCtx with another timeout.
func testCtxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}
