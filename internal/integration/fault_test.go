package integration_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/xmpptest"
	"github.com/gojabber/xmpp/xmpptest/faultproxy"
)

// Stream resumption (XEP-0198 §5) through network faults: the client under
// test reaches the real server through a faultproxy, which breaks its
// connection in one of three ways; the client notices, resumes with
// xmpp.Resume through a new connection of the same proxy, and not one
// message is lost, duplicated or reordered, in either direction.
//
// What the servers do with a blackholed session, whose connection they
// still believe alive when <resume/> arrives on a new one: both resume it
// and close the old connection at once, which the test checks through the
// proxy (it sees the server's side of the old connection end, long after
// the client's side). With debug logs, Prosody 0.12 says "mod_smacks
// closing an old connection for this session" (mod_smacks handle_resume
// closes original_session.conn) and closes it without a word; ejabberd
// 23.01 answers <resumed/> on the new stream and writes <stream:error>
// <conflict/> "Replaced by new connection" on the old one before closing
// it ("Closing former stream of resumed session"), which the blackhole
// swallows.

// faultMode is one way of breaking the link.
type faultMode struct {
	name string
	// apply breaks the connections open through p; dir is where the
	// stanzas that matter flow, for the mid-stanza cut.
	apply func(p *faultproxy.Proxy, dir faultproxy.Direction)
	// blackhole: nothing sent after the fault reaches the server, and the
	// server does not notice the fault.
	blackhole bool
	// midStanza: the next stanza sent after the fault is cut in the
	// middle.
	midStanza bool
}

var faultModes = []faultMode{
	{name: "reset", apply: func(p *faultproxy.Proxy, _ faultproxy.Direction) { p.Reset() }},
	{name: "blackhole", apply: func(p *faultproxy.Proxy, _ faultproxy.Direction) { p.Blackhole(0) }, blackhole: true},
	{name: "midstanza", apply: func(p *faultproxy.Proxy, dir faultproxy.Direction) { p.CutMidStanza(dir) }, midStanza: true},
}

// Fault detection settings of the client behind the proxy: a blackhole is
// declared dead about 1.5 s after the last thing received.
const (
	faultPingIdle    = 500 * time.Millisecond
	faultPingTimeout = time.Second
)

// faultCheckCause checks why a session behind a broken link ended: a dead
// link for a blackhole, a reset connection otherwise.
func faultCheckCause(t *testing.T, mode faultMode, err error) {
	t.Helper()
	require.Error(t, err)
	require.NotErrorIs(t, err, xmpp.ErrClosed, "the session was not closed by the client")
	if mode.blackhole {
		require.ErrorIs(t, err, xmpp.ErrDeadLink)
		return
	}
	require.NotErrorIs(t, err, xmpp.ErrDeadLink)
	// Usually the reader gets ECONNRESET. But the kernel reports a reset
	// once: when a write (a ping, an <a/>) comes first, the write gets
	// ECONNRESET or EPIPE and the reader then reads EOF, which TLS turns
	// into io.ErrUnexpectedEOF; whichever fails first is the cause.
	require.True(t, errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF),
		"cause %v: want a reset connection", err)
}

// faultProxy starts a faultproxy in front of srv's client port, closed when
// the test ends.
func faultProxy(t *testing.T, srv *xmpptest.Server) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.Start(srv.C2SAddr)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

// faultOptions are the options of a client behind p: stream management,
// and, with ping, dead-link detection.
func faultOptions(srv *xmpptest.Server, p *faultproxy.Proxy, wire *wireLog, got chan<- *xmpp.Message, ping bool) *xmpp.Options {
	o := &xmpp.Options{
		Server:           p.Addr(),
		TLSConfig:        srv.TLSConfig(),
		DebugWriter:      wire,
		StreamManagement: true,
		Handler:          messageHandler(func(_ xmpp.Session, m *xmpp.Message) { got <- m }),
	}
	if ping {
		o.PingIdle, o.PingTimeout = faultPingIdle, faultPingTimeout
	}
	return o
}

// faultDial logs user in through p with stream management and dead-link
// detection.
func faultDial(t *testing.T, srv *xmpptest.Server, p *faultproxy.Proxy, user string, wire *wireLog, got chan<- *xmpp.Message) *xmpp.Client {
	t.Helper()
	c, err := xmpp.Dial(testCtx(t), srv.JID(user), srv.Password(user), faultOptions(srv, p, wire, got, true))
	require.NoError(t, err, "Dial through the proxy\nwire:\n%s\nserver log:\n%s", wire, srv.LogTail(20))
	t.Cleanup(func() { c.Close() })
	require.True(t, c.StreamManagement().Resumable, "the server offers resumption")
	return c
}

// faultResume resumes prev through p. The resumed session has no
// dead-link detection: the test needs none after the fault, and on a
// loaded machine a late ping reply would end it.
func faultResume(t *testing.T, srv *xmpptest.Server, p *faultproxy.Proxy, prev *xmpp.Client, user string, wire *wireLog, got chan<- *xmpp.Message) (*xmpp.Client, error) {
	t.Helper()
	c, err := xmpp.Resume(testCtx(t), prev, srv.Password(user), faultOptions(srv, p, wire, got, false))
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

// faultUnackedMessages returns the ids of the messages in c.Unacked.
func faultUnackedMessages(c *xmpp.Client) []string {
	var ids []string
	for _, s := range c.Unacked() {
		if m, ok := s.(*xmpp.Message); ok {
			ids = append(ids, m.ID)
		}
	}
	return ids
}

// faultMsg is a chat message whose id is its body, so that the receiver
// can check both.
func faultMsg(to xmpp.JID, body string) *xmpp.Message { return chat(to, body, body) }

// faultCollect receives messages from ch until the one with body end, and
// returns the bodies of those before it. Each message's id must be its
// body.
func faultCollect(t *testing.T, ch <-chan *xmpp.Message, end string) []string {
	t.Helper()
	var bodies []string
	timer := time.NewTimer(opTimeout)
	defer timer.Stop()
	for {
		select {
		case m := <-ch:
			require.Equal(t, m.Body, m.ID, "the id of a message is its body")
			if m.Body == end {
				return bodies
			}
			bodies = append(bodies, m.Body)
		case <-timer.C:
			t.Fatalf("timed out after %v waiting for %q; got %q", opTimeout, end, bodies)
		}
	}
}

// faultWaitDone waits for a session to end and returns its cause.
func faultWaitDone(t *testing.T, c *xmpp.Client, what string) error {
	t.Helper()
	select {
	case <-c.Done():
		return c.Err()
	case <-time.After(opTimeout):
		t.Fatalf("%s: session still up %v after the fault", what, opTimeout)
		return nil
	}
}

// faultWaitOldClosed waits until only the resumed connection is open
// through p: the server closed the connection of the session it resumed.
func faultWaitOldClosed(t *testing.T, p *faultproxy.Proxy, srv *xmpptest.Server) {
	t.Helper()
	require.Eventually(t, func() bool { return p.Open() == 1 }, opTimeout, 10*time.Millisecond,
		"the server did not close the blackholed connection after resuming its session: %d open\nserver log:\n%s", p.Open(), srv.LogTail(30))
}

var faultSentRE = regexp.MustCompile(`<message\b[^>]*\bid=['"]([^'"]+)['"]`)

// faultRetransmitted returns the ids of the messages sent after <resume/>
// before first, in the order sent.
func faultRetransmitted(wire *wireLog, first string) []string {
	sent := wire.stream(true)
	i := strings.LastIndex(sent, "<resume ")
	if i < 0 {
		return nil
	}
	var ids []string
	for _, m := range faultSentRE.FindAllStringSubmatch(sent[i:], -1) {
		if m[1] == first {
			break
		}
		ids = append(ids, m[1])
	}
	return ids
}

// TestFaultResume breaks, in each way the faultproxy knows, the link of a
// stream-managed client while it sends and while it receives, resumes the
// session, and checks that every message arrives exactly once, in order.
func TestFaultResume(t *testing.T) {
	t.Parallel()
	for _, sv := range defaultServers {
		t.Run(sv.name, func(t *testing.T) {
			t.Parallel()
			srv := sv.shared.Server(t)
			// Fresh users: nothing of other tests reaches them, and
			// resuming their sessions disturbs no one.
			sender, receiver := freshUser(t, srv, "fault-a"), freshUser(t, srv, "fault-b")
			for _, mode := range faultModes {
				t.Run(mode.name+"/sender", func(t *testing.T) {
					t.Parallel()
					testFaultSender(t, srv, mode, sender, receiver)
				})
				t.Run(mode.name+"/receiver", func(t *testing.T) {
					t.Parallel()
					testFaultReceiver(t, srv, mode, sender, receiver)
				})
			}
		})
	}
}

// testFaultSender: A, behind the proxy, sends to B; A's link breaks with
// messages unacknowledged, A resumes, and B gets them all once, in order.
func testFaultSender(t *testing.T, srv *xmpptest.Server, mode faultMode, userA, userB string) {
	start := time.Now()
	ctx := testCtx(t)
	bGot := make(chan *xmpp.Message, 64)
	b := mustLogin(t, conn{srv: srv, user: userB, onMessage: func(_ xmpp.Session, m *xmpp.Message) { bGot <- m }})
	p := faultProxy(t, srv)
	wire := &wireLog{}
	aGot := make(chan *xmpp.Message, 64)
	a := faultDial(t, srv, p, userA, wire, aGot)

	var want []string
	send := func(c *xmpp.Client, body string) {
		t.Helper()
		require.NoError(t, c.Send(ctx, faultMsg(b.JID(), body)), "Send(%s)", body)
		want = append(want, body)
	}
	send(a, "m1")
	send(a, "m2")
	require.NoError(t, a.RequestAck(ctx))
	send(a, "m3")
	send(a, "m4")
	require.Equal(t, []string{"m3", "m4"}, faultUnackedMessages(a), "m3 and m4 wait for the server's ack")

	mode.apply(p, faultproxy.ToServer)
	var lost []string // written after the fault: the server cannot have them
	switch {
	case mode.blackhole:
		// Written, and lost: only retransmission brings them over.
		send(a, "m5")
		send(a, "m6")
		lost = []string{"m5", "m6"}
	case mode.midStanza:
		// The proxy forwards half of this one, then resets. (Unless a
		// dead-link ping, on a machine so loaded that A read nothing for
		// PingIdle, came first and was cut instead: then m5 either
		// follows it into the reset connection, or finds the session
		// ended.)
		if err := a.Send(ctx, faultMsg(b.JID(), "m5")); err != nil {
			require.ErrorIs(t, err, net.ErrClosed, "Send(m5)")
			t.Logf("the cut hit a stanza before m5; Send(m5): %v", err)
			break
		}
		want = append(want, "m5")
		lost = []string{"m5"}
	}
	cause := faultWaitDone(t, a, "A")
	faultCheckCause(t, mode, cause)
	require.Equal(t, 1, p.Cuts())
	unacked := len(a.Unacked())
	detected := time.Since(start)

	// While A is away, B writes to A's full JID; the server holds it.
	require.NoError(t, b.Send(ctx, faultMsg(a.JID(), "while away")))

	a2, err := faultResume(t, srv, p, a, userA, wire, aGot)
	require.NoError(t, err, "Resume after %s\ncause: %v\nwire:\n%s\nserver log:\n%s", mode.name, cause, wire, srv.LogTail(30))
	require.Equal(t, 2, p.Conns(), "resumed through a new connection of the proxy")
	require.Equal(t, a.JID(), a2.JID())
	require.Equal(t, a.StreamManagement().ID, a2.StreamManagement().ID)
	resent := faultRetransmitted(wire, "m7")
	require.Subset(t, resent, lost, "what the server cannot have received is sent again")

	send(a2, "m7")
	send(a2, "m8")
	require.NoError(t, a2.Send(ctx, faultMsg(b.JID(), "end")))
	got := faultCollect(t, bGot, "end")
	require.Equal(t, want, got, "B gets every message once, in order")

	require.NoError(t, b.Send(ctx, faultMsg(a2.JID(), "end")))
	require.Equal(t, []string{"while away"}, faultCollect(t, aGot, "end"), "A gets what was sent while it was away, once")
	if mode.blackhole {
		faultWaitOldClosed(t, p, srv)
	}
	require.NoError(t, a2.RequestAck(ctx))
	require.Empty(t, a2.Unacked())
	require.NoError(t, a2.Err())
	t.Logf("%s %s/sender: cause %v after %v; %d unacked, retransmitted %q; total %v",
		srv.Kind, mode.name, cause, detected.Round(time.Millisecond), unacked, resent, time.Since(start).Round(time.Millisecond))
}

// testFaultReceiver: B, behind the proxy, receives from A; B's link breaks
// while A sends, B resumes, and gets every message once, in order.
func testFaultReceiver(t *testing.T, srv *xmpptest.Server, mode faultMode, userA, userB string) {
	start := time.Now()
	ctx := testCtx(t)
	a := mustLogin(t, conn{srv: srv, user: userA})
	p := faultProxy(t, srv)
	wire := &wireLog{}
	bGot := make(chan *xmpp.Message, 64)
	b := faultDial(t, srv, p, userB, wire, bGot)

	var want []string
	send := func(body string) {
		t.Helper()
		require.NoError(t, a.Send(ctx, faultMsg(b.JID(), body)), "Send(%s)", body)
		want = append(want, body)
	}
	for i := 1; i <= 3; i++ {
		send(fmt.Sprintf("r%d", i))
	}
	send("mark")
	before := faultCollect(t, bGot, "mark")
	want = want[:len(want)-1]
	require.Equal(t, want, before)

	mode.apply(p, faultproxy.ToClient)
	// Sent while B's link is broken: the server cannot deliver them (or,
	// for a blackhole, delivers them into the void) and keeps them
	// unacknowledged.
	for i := 4; i <= 6; i++ {
		send(fmt.Sprintf("r%d", i))
	}
	cause := faultWaitDone(t, b, "B")
	faultCheckCause(t, mode, cause)
	require.Equal(t, 1, p.Cuts())
	detected := time.Since(start)
	inbound := b.StreamManagement().Inbound

	b2, err := faultResume(t, srv, p, b, userB, wire, bGot)
	require.NoError(t, err, "Resume after %s\ncause: %v\nwire:\n%s\nserver log:\n%s", mode.name, cause, wire, srv.LogTail(30))
	require.Equal(t, 2, p.Conns(), "resumed through a new connection of the proxy")
	require.Equal(t, b.JID(), b2.JID())

	send("r7")
	require.NoError(t, a.Send(ctx, faultMsg(b2.JID(), "end")))
	got := faultCollect(t, bGot, "end")
	require.Equal(t, want, append(before, got...), "B gets every message once, in order")
	if mode.blackhole {
		faultWaitOldClosed(t, p, srv)
	}
	require.NoError(t, b2.Err())
	t.Logf("%s %s/receiver: cause %v after %v; h=%d at resumption; got %q after it; total %v",
		srv.Kind, mode.name, cause, detected.Round(time.Millisecond), inbound, got, time.Since(start).Round(time.Millisecond))
}
