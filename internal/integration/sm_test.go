package integration_test

import (
	"context"
	"net"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/xmpptest"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

var (
	smAckRE     = regexp.MustCompile(`<a xmlns='urn:xmpp:sm:3' h='(\d+)'/>`)
	smStanzaRE  = regexp.MustCompile(`<(message|presence|iq)[\s/>]`)
	smEnabledRE = regexp.MustCompile(`<enabled\b[^>]*>`)
)

// smDial logs in as user with stream management and the given extra
// options applied.
func smDial(t *testing.T, srv *xmpptest.Server, user string, wire *wireLog, edit func(*xmpp.Options)) *xmpp.Client {
	t.Helper()
	o := &xmpp.Options{
		Server:           srv.C2SAddr,
		TLSConfig:        srv.TLSConfig(),
		DebugWriter:      wire,
		StreamManagement: true,
	}
	if edit != nil {
		edit(o)
	}
	c, err := xmpp.Dial(testCtx(t), srv.JID(user), srv.Password(user), o)
	require.NoError(t, err, "Dial\nwire:\n%s\nserver log:\n%s", wire, srv.LogTail(20))
	t.Cleanup(func() { c.Close() })
	return c
}

// TestStreamManagement enables XEP-0198 on the real servers, sends stanzas
// and checks both directions of acknowledgement: the server's <a h=”/>
// acks exactly what the client sent (the unacked queue drains), and the
// client answers the server's <r/> with the number of stanzas it received.
func TestStreamManagement(t *testing.T) {
	t.Parallel()
	for _, sv := range defaultServers {
		t.Run(sv.name, func(t *testing.T) {
			t.Parallel()
			srv := sv.shared.Server(t)
			wire := &wireLog{}
			got := make(chan *xmpp.Message, 64)
			c := smDial(t, srv, "alice", wire, func(o *xmpp.Options) {
				o.Handler = messageHandler(func(_ xmpp.Session, m *xmpp.Message) { got <- m })
			})
			st := c.StreamManagement()
			require.True(t, st.Enabled, "wire:\n%s", wire)
			require.NotEmpty(t, st.ID)
			require.True(t, st.Resumable)
			require.Greater(t, st.Max, time.Duration(0))
			t.Logf("%s: enabled id=%q max=%v location=%q", sv.name, st.ID, st.Max, st.Location)

			// Messages to the client's own full JID come straight back.
			const n = 25
			ctx := testCtx(t)
			for i := range n {
				m := &xmpp.Message{Header: xmpp.Header{To: c.JID()}, Type: xmpp.MessageChat, Body: "sm " + strconv.Itoa(i)}
				require.NoError(t, c.Send(ctx, m))
			}
			for range n {
				waitFor(t, got, "own message back", func(*xmpp.Message) bool { return true })
			}

			// The server acknowledges exactly what was sent.
			require.NoError(t, c.RequestAck(ctx))
			st = c.StreamManagement()
			require.Equal(t, uint32(n), st.Outbound)
			require.Equal(t, uint32(n), st.Acked)
			require.Empty(t, c.Unacked())
			require.GreaterOrEqual(t, st.Inbound, uint32(n))

			// The server asks for acks of the messages it sent; the client's
			// answer must count every stanza received after <enabled/>.
			deadline := time.Now().Add(opTimeout)
			for {
				st = c.StreamManagement()
				recv := wire.stream(false)
				loc := smEnabledRE.FindStringIndex(recv)
				require.NotNil(t, loc)
				stanzas := len(smStanzaRE.FindAllStringIndex(recv[loc[1]:], -1))
				require.Equal(t, uint32(stanzas), st.Inbound, "Inbound vs stanzas on the wire")
				acks := smAckRE.FindAllStringSubmatch(wire.stream(true), -1)
				if len(acks) > 0 {
					last, _ := strconv.ParseUint(acks[len(acks)-1][1], 10, 32)
					if uint32(last) == st.Inbound {
						t.Logf("%s: %d <a/> sent, last h=%d", sv.name, len(acks), last)
						break
					}
				}
				if time.Now().After(deadline) {
					t.Fatalf("no <a h='%d'/> sent after the server's <r/>; wire:\n%s", st.Inbound, wire)
				}
				time.Sleep(50 * time.Millisecond)
			}
			prev := -1
			for _, a := range smAckRE.FindAllStringSubmatch(wire.stream(true), -1) {
				h, _ := strconv.Atoi(a[1])
				require.GreaterOrEqual(t, h, prev, "h never decreases")
				prev = h
			}

			// The session is still healthy: an IQ round trip works.
			_, err := c.SendIQ(ctx, &xmpp.IQ{Header: xmpp.Header{To: xmpp.MustParseJID(srv.Domain)}, Type: xmpp.IQGet,
				Payload: fake.Element(t, "<ping xmlns='urn:xmpp:ping'/>")})
			require.NoError(t, err)
			require.NoError(t, c.Err())
		})
	}
}

// freezableConn is a connection whose reads can be made to hang, as when
// the network silently drops everything (no FIN, no RST).
type freezableConn struct {
	net.Conn
	frozen atomic.Bool
	once   sync.Once
	closed chan struct{}
}

func (c *freezableConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if c.frozen.Load() {
		<-c.closed
		return 0, net.ErrClosed
	}
	return n, err
}

func (c *freezableConn) Write(p []byte) (int, error) {
	if c.frozen.Load() {
		return len(p), nil // swallowed by the dead network
	}
	return c.Conn.Write(p)
}

func (c *freezableConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

// TestKeepAliveAndDeadLink: with keepalives and dead-link pings the session
// to a real server stays up while the server answers, and ends with
// ErrDeadLink soon after the network silently stops carrying anything.
func TestKeepAliveAndDeadLink(t *testing.T) {
	t.Parallel()
	for _, sv := range defaultServers {
		t.Run(sv.name, func(t *testing.T) {
			t.Parallel()
			srv := sv.shared.Server(t)
			var fc *freezableConn
			var mu sync.Mutex
			c := smDial(t, srv, "bob", &wireLog{}, func(o *xmpp.Options) {
				o.StreamManagement = false
				o.KeepAlive = 100 * time.Millisecond
				o.PingIdle = 200 * time.Millisecond
				o.PingTimeout = 500 * time.Millisecond
				o.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
					var d net.Dialer
					conn, err := d.DialContext(ctx, network, addr)
					if err != nil {
						return nil, err
					}
					mu.Lock()
					fc = &freezableConn{Conn: conn, closed: make(chan struct{})}
					mu.Unlock()
					return fc, nil
				}
			})
			time.Sleep(1500 * time.Millisecond) // several pings answered
			require.NoError(t, c.Err())

			mu.Lock()
			fc.frozen.Store(true)
			mu.Unlock()
			start := time.Now()
			select {
			case <-c.Done():
			case <-time.After(10 * time.Second):
				t.Fatal("Done not closed 10 s after the network went silent")
			}
			require.ErrorIs(t, c.Err(), xmpp.ErrDeadLink)
			require.Less(t, time.Since(start), 3*time.Second)
		})
	}
}

// cuttableConn is a connection whose writes can be made to vanish and whose
// TCP connection the test can close, as when a network breaks.
type cuttableConn struct {
	net.Conn
	swallow atomic.Bool
}

func (c *cuttableConn) Write(p []byte) (int, error) {
	if c.swallow.Load() {
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// TestStreamResumption breaks a stream-managed session's connection after
// some stanzas were lost on the way, resumes it (XEP-0198 §5), and checks
// that the lost stanzas are retransmitted exactly once and that what the
// server held for the client while it was away is delivered.
func TestStreamResumption(t *testing.T) {
	t.Parallel()
	for _, sv := range defaultServers {
		t.Run(sv.name, func(t *testing.T) {
			t.Parallel()
			srv := sv.shared.Server(t)
			bobGot := make(chan *xmpp.Message, 16)
			bob := mustLogin(t, conn{srv: srv, user: "bob", onMessage: func(_ xmpp.Session, m *xmpp.Message) { bobGot <- m }})
			aliceGot := make(chan *xmpp.Message, 16)
			var cut atomic.Pointer[cuttableConn]
			wire := &wireLog{}
			alice := smDial(t, srv, "alice", wire, func(o *xmpp.Options) {
				o.AckEvery = 1000
				o.Handler = messageHandler(func(_ xmpp.Session, m *xmpp.Message) { aliceGot <- m })
				o.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
					var d net.Dialer
					c, err := d.DialContext(ctx, network, addr)
					if err != nil {
						return nil, err
					}
					cc := &cuttableConn{Conn: c}
					cut.Store(cc)
					return cc, nil
				}
			})
			ctx := testCtx(t)
			msg := func(body string) *xmpp.Message {
				return &xmpp.Message{Header: xmpp.Header{To: bob.JID()}, Type: xmpp.MessageChat, Body: body}
			}
			require.NoError(t, alice.Send(ctx, msg("before")))
			require.NoError(t, alice.RequestAck(ctx))
			require.Empty(t, alice.Unacked())

			// The network eats three messages, then the connection breaks.
			cut.Load().swallow.Store(true)
			for _, b := range []string{"lost 1", "lost 2", "lost 3"} {
				require.NoError(t, alice.Send(ctx, msg(b)))
			}
			require.Len(t, alice.Unacked(), 3)
			cut.Load().Conn.Close()
			<-alice.Done()
			require.Error(t, alice.Err())
			require.Len(t, alice.Unacked(), 3, "kept after the session ended")

			// While alice is away, bob writes to her full JID.
			require.NoError(t, bob.Send(ctx, &xmpp.Message{Header: xmpp.Header{To: alice.JID()}, Type: xmpp.MessageChat, Body: "while away"}))

			alice2, err := xmpp.Resume(ctx, alice, srv.Password("alice"), nil)
			require.NoError(t, err, "Resume\nwire:\n%s\nserver log:\n%s", wire, srv.LogTail(30))
			t.Cleanup(func() { alice2.Close() })
			require.Equal(t, alice.JID(), alice2.JID())
			st := alice2.StreamManagement()
			require.True(t, st.Enabled)
			require.Equal(t, alice.StreamManagement().ID, st.ID)
			require.Regexp(t, `<resume xmlns='urn:xmpp:sm:3' h='\d+' previd='[^']+'/>`, wire.stream(true))
			require.Contains(t, wire.stream(false), "<resumed")
			t.Logf("%s: resumed, server h=%d, inbound h=%d", sv.name, st.Acked, st.Inbound)

			// Bob gets every message once, in order.
			var bodies []string
			for len(bodies) < 4 {
				m := waitFor(t, bobGot, "alice's messages", func(*xmpp.Message) bool { return true })
				bodies = append(bodies, m.Body)
			}
			require.Equal(t, []string{"before", "lost 1", "lost 2", "lost 3"}, bodies)
			waitFor(t, aliceGot, "the message sent while away", func(m *xmpp.Message) bool { return m.Body == "while away" })

			require.NoError(t, alice2.RequestAck(ctx))
			require.Empty(t, alice2.Unacked())
			select {
			case m := <-bobGot:
				t.Fatalf("bob got a duplicate: %q", m.Body)
			case <-time.After(300 * time.Millisecond):
			}
			require.NoError(t, alice2.Err())
		})
	}
}
