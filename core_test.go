package xmpp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Regression tests of the session core: each names the finding of the
// session-core review it guards against.

// closeBound is what Close may take in any state: the goodbye, the grace
// for the goroutines, and slack for a loaded machine (-race, -count=20 with
// the parallel tests).
const closeBound = closeTimeout + closeGrace + 2*time.Second

// requireCloseBounded calls Close and fails if it takes longer than
// closeBound.
func requireCloseBounded(t *testing.T, c *Client) {
	t.Helper()
	done := make(chan time.Duration, 1)
	go func() {
		start := time.Now()
		c.Close()
		done <- time.Since(start)
	}()
	select {
	case d := <-done:
		require.Less(t, d, closeBound, "Close took %v", d)
	case <-time.After(closeBound + 5*time.Second):
		t.Fatalf("Close did not return within %v", closeBound+5*time.Second)
	}
}

// serverPing is an XEP-0199 ping of the server.
func serverPing() *IQ {
	return &IQ{Type: IQGet, Header: Header{To: MustParseJID(testDomain)}, Payload: pingPayload()}
}

// bigMessage is a message with a body of n bytes.
func bigMessage(n int) *Message {
	m := &Message{Body: strings.Repeat("x", n)}
	m.To = MustParseJID("bob@example.test")
	return m
}

// stuckWriter sends big messages with context.Background() until one
// blocks because the server stopped reading; it returns once a Send has
// been blocked for a while, and sends nothing after that one.
func stuckWriter(t *testing.T, c *Client) {
	t.Helper()
	var last atomic.Int64
	var stop atomic.Bool
	last.Store(time.Now().UnixNano())
	go func() {
		for !stop.Load() {
			if err := c.Send(context.Background(), bigMessage(64<<10)); err != nil {
				return
			}
			last.Store(time.Now().UnixNano())
		}
	}()
	defer stop.Store(true)
	deadline := time.Now().Add(20 * time.Second)
	for time.Since(time.Unix(0, last.Load())) < 300*time.Millisecond {
		if time.Now().After(deadline) {
			t.Fatal("the writer never got stuck")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Finding 1: Close while a writer holds the write lock, stuck on a server
// that stopped reading.
func TestCloseBoundedWithStuckWriter(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	c, _ := connect(t, testOptions(t), func(s *fakeServer) {
		s.login()
		<-release // stop reading
	})
	defer close(release)
	stuckWriter(t, c)
	requireCloseBounded(t, c)
	require.ErrorIs(t, c.Err(), ErrClosed)
}

// Close is bounded in every other state too: handler blocked, server
// silent, reconnecting.
func TestCloseBoundedHandlerBlocked(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	defer close(block)
	entered := make(chan struct{})
	mux := NewMux()
	mux.HandleMessage(func(_ Session, _ *Message) {
		close(entered)
		<-block
	})
	opts := testOptions(t)
	opts.Handler = mux
	c, _ := connect(t, opts, func(s *fakeServer) {
		s.login()
		s.send("<message from='bob@example.test/x'><body>hi</body></message>")
		s.closeStream()
	})
	<-entered
	requireCloseBounded(t, c)
}

func TestCloseBoundedWhileReconnecting(t *testing.T) {
	t.Parallel()
	st := newStatusLog()
	gate := make(chan struct{}) // never opened: the redial waits forever
	d := &dialer{t: t, scripts: []func(*fakeServer){loginThenBreak}, gates: map[int]chan struct{}{1: gate}}
	opts := reconnectOptions(t, d, st)
	opts.NegotiationTimeout = -1
	c, err := Dial(testCtx(t), testJID, testPassword, opts)
	require.NoError(t, err)
	st.await(t, StatusReconnecting)
	requireCloseBounded(t, c)
	st.await(t, StatusClosed)
}

// Finding 8: Close during a flush after reconnecting that is stuck on a
// server that does not read, with no negotiation timeout to end it.
func TestCloseBoundedWithStuckFlush(t *testing.T) {
	t.Parallel()
	st := newStatusLog()
	gate := make(chan struct{})
	release := make(chan struct{})
	defer close(release)
	d := &dialer{t: t, scripts: []func(*fakeServer){
		loginThenBreak,
		func(s *fakeServer) {
			s.login()
			<-release // never reads what the client flushes
		},
	}, gates: map[int]chan struct{}{1: gate}}
	opts := reconnectOptions(t, d, st)
	opts.NegotiationTimeout = -1
	c, err := Dial(testCtx(t), testJID, testPassword, opts)
	require.NoError(t, err)
	st.await(t, StatusReconnecting)
	// Queue more than the socket buffers hold; the flush gets stuck.
	for range 300 {
		require.NoError(t, c.Send(testCtx(t), bigMessage(64<<10)))
	}
	close(gate)
	for c.cur.Load().isDead() || d.count() < 2 {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // let the flush fill the buffers
	requireCloseBounded(t, c)
}

// Findings 2 and 3: a new link that ends at once (here with a stream
// error conflict) while a slow OnStatus runs: no panic, no race, and the
// status changes arrive in order.
func TestReconnectNewLinkEndsAtOnce(t *testing.T) {
	t.Parallel()
	for range 3 {
		var mu sync.Mutex
		var got []Status
		closed := make(chan struct{})
		d := &dialer{t: t, scripts: []func(*fakeServer){
			func(s *fakeServer) {
				s.login()
				for i := range 20 {
					s.send(fmt.Sprintf("<message from='bob@example.test/x'><body>%d</body></message>", i))
				}
				s.raw.Close()
			},
			func(s *fakeServer) {
				s.login()
				s.send("<stream:error><conflict xmlns='" + NSStreams + "'/></stream:error></stream:stream>")
			},
		}}
		opts := reconnectOptions(t, d, newStatusLog())
		opts.OnStatus = func(_ *Client, s Status, _ error) {
			time.Sleep(20 * time.Millisecond)
			mu.Lock()
			got = append(got, s)
			mu.Unlock()
			if s == StatusClosed {
				close(closed)
			}
		}
		opts.Handler = funcHandler{onMessage: func(*Client, *Message) { time.Sleep(time.Millisecond) }}
		c, err := Dial(testCtx(t), testJID, testPassword, opts)
		require.NoError(t, err)
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Fatal("no StatusClosed")
		}
		mu.Lock()
		require.Equal(t, []Status{StatusReconnecting, StatusConnected, StatusClosed}, got)
		mu.Unlock()
		var se *StreamError
		require.ErrorAs(t, c.Err(), &se)
		require.EqualValues(t, CondConflict, se.Condition)
		c.Close()
	}
}

// Finding 4: an <r/> whose answer waits more than two seconds for the
// write lock is still answered, and later <r/>s too.
func TestSMAckAfterLongWriteLockWait(t *testing.T) {
	t.Parallel()
	acks := make(chan string, 4)
	stalled := make(chan struct{})
	opts := smOptions(t)
	if testing.Verbose() {
		opts.Logger = debugLogger(testWriter{t})
	}
	c, _ := connect(t, opts, func(s *fakeServer) {
		s.smLogin(enabledResumable("ack1"))
		<-stalled // the client's writer is stuck now
		s.send("<r xmlns='" + nsSM + "'/>")
		time.Sleep(2500 * time.Millisecond) // longer than any ack timeout of old
		// Read again: the stuck write goes through, then the <a/>.
		for n := 0; ; {
			e := s.next()
			if e == nil {
				return
			}
			if e.is(nsSM, "a") {
				acks <- e.attr("h")
				if n++; n == 1 {
					s.send("<message from='bob@example.test/x'><body>one</body></message><r xmlns='" + nsSM + "'/>")
				}
			}
		}
	})
	stuckWriter(t, c)
	close(stalled)
	for _, want := range []string{"0", "1"} {
		select {
		case h := <-acks:
			require.Equal(t, want, h)
		case <-time.After(10 * time.Second):
			t.Fatalf("<r/> not answered; want <a h='%s'/>", want)
		}
	}
}

// Finding 5, and the flood: a handler calling SendIQ with
// context.Background() while 10,000 presences arrive before the reply.
func TestHandlerSendIQUnderFlood(t *testing.T) {
	t.Parallel()
	const flood = 10000
	var handled atomic.Int32
	iqDone := make(chan error, 1)
	allHandled := make(chan struct{})
	opts := testOptions(t)
	opts.Handler = funcHandler{onMessage: func(c *Client, m *Message) {
		iq := serverPing()
		_, err := c.SendIQ(context.Background(), iq)
		iqDone <- err
	}, onPresence: func(*Client, *Presence) {
		if handled.Add(1) == flood {
			close(allHandled)
		}
	}}
	connect(t, opts, func(s *fakeServer) {
		s.login()
		s.send("<message from='bob@example.test/x'><body>go</body></message>")
		e := s.expect(NSClient, "iq")
		var b strings.Builder
		for i := range flood {
			fmt.Fprintf(&b, "<presence from='u%d@example.test/r'/>", i)
			if b.Len() > 32<<10 {
				s.send(b.String())
				b.Reset()
			}
		}
		s.send(b.String())
		s.send("<iq type='result' from='" + testDomain + "' id='" + e.attr("id") + "'/>")
		select {
		case <-allHandled:
		case <-time.After(30 * time.Second):
		}
		s.closeStream()
	})
	select {
	case err := <-iqDone:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("SendIQ from a handler did not complete under the flood")
	}
	select {
	case <-allHandled:
	case <-time.After(30 * time.Second):
		t.Fatalf("handled %d of %d presences", handled.Load(), flood)
	}
}

// Finding 6: a slow handler does not make an answered ping look like a dead
// link.
func TestSlowHandlerNoFalseDeadLink(t *testing.T) {
	t.Parallel()
	var handled atomic.Int32
	opts := testOptions(t)
	opts.PingIdle = 100 * time.Millisecond
	opts.PingTimeout = 300 * time.Millisecond
	opts.Handler = funcHandler{onMessage: func(_ *Client, m *Message) {
		if m.Body == "0" {
			time.Sleep(1500 * time.Millisecond)
		}
		handled.Add(1)
	}}
	c, _ := connect(t, opts, func(s *fakeServer) {
		s.login()
		for i := range 400 {
			s.send(fmt.Sprintf("<message from='bob@example.test/x'><body>%d</body></message>", i))
		}
		for {
			e := s.next()
			if e == nil {
				s.send("</stream:stream>")
				return
			}
			if e.is(NSClient, "iq") {
				s.send("<iq type='result' from='" + testDomain + "' id='" + e.attr("id") + "'/>")
			}
		}
	})
	require.Eventually(t, func() bool { return handled.Load() == 400 }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, c.Err())
}

// Finding 7: stream management counts only what reached the handler
// queue, so after the link dies h equals what the handlers see.
func TestSMCountsOnlyQueuedStanzas(t *testing.T) {
	t.Parallel()
	const n = 400
	block := make(chan struct{})
	var handled atomic.Int32
	opts := smOptions(t)
	opts.Handler = funcHandler{onMessage: func(*Client, *Message) {
		<-block
		handled.Add(1)
	}}
	c, s := connect(t, opts, func(s *fakeServer) {
		s.smLogin(enabledResumable("cnt"))
		for i := range n {
			s.send(fmt.Sprintf("<message from='bob@example.test/x'><body>%d</body></message>", i))
		}
		time.Sleep(200 * time.Millisecond)
		s.raw.Close() // the link dies while the handler is blocked
	})
	s.wait()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("session did not end")
	}
	close(block)
	inbound := c.StreamManagement().Inbound
	require.Eventually(t, func() bool { return handled.Load() == int32(inbound) }, 10*time.Second, 10*time.Millisecond,
		"h = %d, handled %d", inbound, handled.Load())
	time.Sleep(100 * time.Millisecond)
	require.EqualValues(t, inbound, handled.Load())
	require.EqualValues(t, n, inbound)
}

// Finding 9: StatusClosed reaches OnStatus even when the handlers were far
// behind.
func TestStatusClosedNotDropped(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	closed := make(chan error, 1)
	opts := testOptions(t)
	opts.Handler = funcHandler{onMessage: func(*Client, *Message) { <-block }}
	opts.OnStatus = func(_ *Client, s Status, err error) {
		if s == StatusClosed {
			closed <- err
		}
	}
	c, s := connect(t, opts, func(s *fakeServer) {
		s.login()
		for i := range 400 {
			s.send(fmt.Sprintf("<message from='bob@example.test/x'><body>%d</body></message>", i))
		}
		s.send("</stream:stream>")
		s.expectClosed()
	})
	s.wait()
	<-c.Done()
	close(block)
	select {
	case err := <-closed:
		require.ErrorIs(t, err, errServerClosed)
	case <-time.After(10 * time.Second):
		t.Fatal("StatusClosed was not reported")
	}
}

// Finding 10: stanzas the server sends between resource binding and
// <enabled/>, or during the legacy session IQ, reach the handlers, and an
// IQ get among them is answered.
func TestStanzasDuringNegotiationKept(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"sm", "session"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := make(chan string, 1)
			answered := make(chan string, 1)
			opts := testOptions(t)
			opts.StreamManagement = name == "sm"
			opts.Handler = funcHandler{onMessage: func(_ *Client, m *Message) { got <- m.Body }}
			early := "<message from='bob@example.test/x'><body>early</body></message>" +
				"<iq type='get' id='q1' from='bob@example.test/x'><query xmlns='urn:x:unknown'/></iq>"
			connect(t, opts, func(s *fakeServer) {
				s.open(featStartTLS)
				s.startTLS()
				s.open(featMechs("PLAIN"))
				s.authPLAIN()
				if name == "sm" {
					s.open(featBind + featSM)
					s.bind()
					s.expect(nsSM, "enable")
					s.send(early)
					s.send("<enabled xmlns='" + nsSM + "'/>")
				} else {
					s.open(featBind + "<session xmlns='" + nsSession + "'/>")
					s.bind()
					e := s.expect(NSClient, "iq")
					s.send(early)
					s.send("<iq type='result' id='" + e.attr("id") + "'/>")
				}
				for {
					e := s.next()
					if e == nil {
						s.send("</stream:stream>")
						return
					}
					if e.is(NSClient, "iq") {
						answered <- e.attr("id") + " " + e.attr("type")
					}
				}
			})
			select {
			case b := <-got:
				require.Equal(t, "early", b)
			case <-time.After(5 * time.Second):
				t.Fatal("the message sent during negotiation was dropped")
			}
			select {
			case a := <-answered:
				require.Equal(t, "q1 error", a)
			case <-time.After(5 * time.Second):
				t.Fatal("the IQ get sent during negotiation was not answered")
			}
		})
	}
}

// Finding 11: a reply the decoder rejects fails its SendIQ at once with
// the *BadStanzaError.
func TestBadReplyFailsSendIQ(t *testing.T) {
	t.Parallel()
	c, _ := connect(t, testOptions(t), func(s *fakeServer) {
		s.login()
		e := s.expect(NSClient, "iq")
		// Two payloads: not a valid IQ.
		s.send("<iq type='result' from='" + testDomain + "' id='" + e.attr("id") + "'><a xmlns='x'/><b xmlns='x'/></iq>")
		s.closeStream()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	iq := serverPing()
	_, err := c.SendIQ(ctx, iq)
	var bad *BadStanzaError
	require.ErrorAs(t, err, &bad)
	require.NoError(t, ctx.Err())
}

// The handler queue is bounded in bytes: with the handler blocked the
// reader stops at the bound (the server's writes back up), and nothing is
// lost once the handler goes on.
func TestHandlerQueueBoundPausesReader(t *testing.T) {
	t.Parallel()
	const n = 2000
	unblock := make(chan struct{})
	got := make(chan string, n)
	opts := testOptions(t)
	opts.HandlerQueueBytes = 8 << 10
	opts.Handler = funcHandler{onMessage: func(c *Client, m *Message) {
		<-unblock
		got <- m.Body
	}}
	c, _ := connect(t, opts, func(s *fakeServer) {
		s.login()
		for i := range n {
			s.send(fmt.Sprintf("<message from='bob@example.test/x'><body>%d %s</body></message>", i, strings.Repeat("y", 200)))
		}
		s.closeStream()
	})
	require.Eventually(t, func() bool { return c.cur.Load().paused.Load() }, 10*time.Second, 5*time.Millisecond, "reader never paused")
	size := c.inbox.size()
	require.LessOrEqual(t, size, opts.HandlerQueueBytes+1024, "queued bytes")
	close(unblock)
	for i := range n {
		select {
		case b := <-got:
			require.True(t, strings.HasPrefix(b, fmt.Sprint(i, " ")), "message %d: %.10q", i, b)
		case <-time.After(10 * time.Second):
			t.Fatalf("message %d not handled", i)
		}
	}
}

// Past twice the bound, a waiting SendIQ fails with ErrHandlerQueueFull
// instead of hanging, and the stanzas are still all delivered.
func TestHandlerQueueOverflowFailsWaiter(t *testing.T) {
	t.Parallel()
	const n = 500
	unblock := make(chan struct{})
	var handled atomic.Int32
	opts := testOptions(t)
	opts.HandlerQueueBytes = 8 << 10
	opts.Handler = funcHandler{onMessage: func(*Client, *Message) {
		<-unblock
		handled.Add(1)
	}}
	c, _ := connect(t, opts, func(s *fakeServer) {
		s.login()
		e := s.expect(NSClient, "iq")
		for i := range n {
			s.send(fmt.Sprintf("<message from='bob@example.test/x'><body>%d %s</body></message>", i, strings.Repeat("y", 200)))
		}
		s.send("<iq type='result' from='" + testDomain + "' id='" + e.attr("id") + "'/>")
		s.closeStream()
	})
	iq := serverPing()
	_, err := c.SendIQ(testCtx(t), iq)
	require.ErrorIs(t, err, ErrHandlerQueueFull)
	close(unblock)
	require.Eventually(t, func() bool { return handled.Load() == n }, 10*time.Second, 5*time.Millisecond)
	require.NoError(t, c.Err())
}

// A handler panic is logged, to slog.Default() when Options.Logger is nil.
func TestHandlerPanicLogged(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	opts := testOptions(t)
	opts.Logger = debugLogger(&logs)
	handled := make(chan struct{})
	opts.Handler = funcHandler{onMessage: func(_ *Client, m *Message) {
		if m.Body == "boom" {
			panic("boom")
		}
		close(handled)
	}}
	connect(t, opts, func(s *fakeServer) {
		s.login()
		s.send("<message from='bob@example.test/x'><body>boom</body></message><message from='bob@example.test/x'><body>after</body></message>")
		s.closeStream()
	})
	<-handled
	require.Contains(t, logs.String(), "handler panicked")
	o := (&Options{}).withDefaults()
	require.NotNil(t, o.panicLogger)
}

// Send gives a message without an id a new one.
func TestSendGivesMessageID(t *testing.T) {
	t.Parallel()
	ids := make(chan string, 1)
	c, _ := connect(t, testOptions(t), func(s *fakeServer) {
		s.login()
		e := s.expect(NSClient, "message")
		ids <- e.attr("id")
		s.closeStream()
	})
	m := chatTo("hi")
	require.NoError(t, c.Send(testCtx(t), m))
	require.NotEmpty(t, m.ID)
	require.Equal(t, m.ID, <-ids)
	require.ErrorIs(t, c.Send(testCtx(t), nil), ErrNilStanza)
	require.ErrorIs(t, c.Send(testCtx(t), (*Message)(nil)), ErrNilStanza)
	require.ErrorIs(t, c.Send(testCtx(t), &statusEvent{}), ErrUnsupportedStanza)
	require.True(t, errors.Is(c.Send(testCtx(t), (*IQ)(nil)), ErrNilStanza))
}

// testWriter writes to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// A message the Handler's WatchMessage consumes on the reader goroutine
// never reaches OnMessage, and still counts for stream management.
func TestWatchConsumesOnReader(t *testing.T) {
	t.Parallel()
	mux := NewMux()
	var mine, offered atomic.Int32
	mux.Watch(func(_ Session, m *Message) bool {
		offered.Add(1)
		if m.Body == "mine" {
			mine.Add(1)
			return true
		}
		return false
	})
	got := make(chan string, 2)
	mux.HandleMessage(func(_ Session, m *Message) { got <- m.Body })
	opts := smOptions(t)
	opts.Handler = mux
	c, _ := connect(t, opts, func(s *fakeServer) {
		s.smLogin("<enabled xmlns='" + nsSM + "'/>")
		s.send("<message from='bob@example.test/x'><body>mine</body></message><message from='bob@example.test/x'><body>yours</body></message>")
		s.closeStream()
	})
	require.Equal(t, "yours", <-got)
	require.EqualValues(t, 1, mine.Load())
	require.EqualValues(t, 2, offered.Load(), "each message offered once")
	// Counted just after it is queued, so perhaps after the handler saw it.
	require.Eventually(t, func() bool { return c.StreamManagement().Inbound == 2 }, 5*time.Second, time.Millisecond)
}

// A presence the Handler's WatchPresence consumes on the reader goroutine
// never reaches OnPresence, and still counts for stream management; one
// it leaves goes on to OnPresence.
func TestWatchPresenceConsumesOnReader(t *testing.T) {
	t.Parallel()
	mux := NewMux()
	var watched atomic.Int32
	mux.WatchPresences(func(_ Session, p *Presence) bool {
		watched.Add(1)
		return p.Status == "mine"
	})
	got := make(chan string, 2)
	mux.HandlePresence(func(_ Session, p *Presence) { got <- p.Status })
	opts := smOptions(t)
	opts.Handler = mux
	c, _ := connect(t, opts, func(s *fakeServer) {
		s.smLogin("<enabled xmlns='" + nsSM + "'/>")
		s.send("<presence from='bob@example.test/x'><status>mine</status></presence><presence from='bob@example.test/x'><status>yours</status></presence>")
		s.closeStream()
	})
	require.Equal(t, "yours", <-got)
	require.EqualValues(t, 2, watched.Load())
	require.Eventually(t, func() bool { return c.StreamManagement().Inbound == 2 }, 5*time.Second, time.Millisecond)
}

// A handler's SendIQ while its own session is flooded past twice the bound
// returns ErrHandlerQueueFull instead of waiting for a reply the paused
// reader cannot reach; then the handlers catch up and nothing is lost.
func TestHandlerSendIQOverflowFromHandler(t *testing.T) {
	t.Parallel()
	const n = 500
	var handled atomic.Int32
	iqErr := make(chan error, 1)
	opts := testOptions(t)
	opts.HandlerQueueBytes = 8 << 10
	opts.Handler = funcHandler{onMessage: func(c *Client, m *Message) {
		if m.Body != "go" {
			handled.Add(1)
			return
		}
		time.Sleep(300 * time.Millisecond) // the reader pauses at the bound
		_, err := c.SendIQ(context.Background(), serverPing())
		iqErr <- err
	}}
	connect(t, opts, func(s *fakeServer) {
		s.login()
		s.send("<message from='bob@example.test/x'><body>go</body></message>")
		for i := range n {
			s.send(fmt.Sprintf("<message from='bob@example.test/x'><body>%d %s</body></message>", i, strings.Repeat("y", 200)))
		}
		e := s.expect(NSClient, "iq")
		s.send("<iq type='result' from='" + testDomain + "' id='" + e.attr("id") + "'/>")
		s.closeStream()
	})
	select {
	case err := <-iqErr:
		require.ErrorIs(t, err, ErrHandlerQueueFull)
	case <-time.After(10 * time.Second):
		t.Fatal("SendIQ from the handler hung")
	}
	require.Eventually(t, func() bool { return handled.Load() == n }, 10*time.Second, 5*time.Millisecond)
}

// However far behind the handlers are, each message is offered to the
// Watch functions once (on the reader goroutine), not again by OnMessage.
func TestWatchOnceUnderBacklog(t *testing.T) {
	t.Parallel()
	const n = 3000
	mux := NewMux()
	var offered, handled atomic.Int32
	mux.Watch(func(Session, *Message) bool { offered.Add(1); return false })
	block := make(chan struct{})
	mux.HandleMessage(func(Session, *Message) {
		<-block
		handled.Add(1)
	})
	opts := testOptions(t)
	opts.Handler = mux
	connect(t, opts, func(s *fakeServer) {
		s.login()
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "<message from='bob@example.test/x'><body>%d</body></message>", i)
		}
		s.send(b.String())
		s.closeStream()
	})
	require.Eventually(t, func() bool { return offered.Load() == n }, 10*time.Second, 5*time.Millisecond)
	close(block)
	require.Eventually(t, func() bool { return handled.Load() == n }, 10*time.Second, 5*time.Millisecond)
	require.EqualValues(t, n, offered.Load())
}

// After Close, a server that answers </stream:stream> has read everything:
// OnUnacked is not told of stanzas it never acknowledged, nor of Close's
// own unavailable presence.
func TestCleanCloseHandsNothingOver(t *testing.T) {
	t.Parallel()
	st := newStatusLog()
	d := &dialer{t: t, scripts: []func(*fakeServer){func(s *fakeServer) {
		s.smLogin(enabledResumable("clean"))
		s.closeStream() // reads (never acks) until the client's end, answers it
	}}}
	opts := reconnectOptions(t, d, st)
	opts.StreamManagement = true
	var handed atomic.Int32
	opts.Reconnect.OnUnacked = func(_ *Client, ss []Stanza) { handed.Add(int32(len(ss))) }
	c, err := Dial(testCtx(t), testJID, testPassword, opts)
	require.NoError(t, err)
	require.NoError(t, c.Send(testCtx(t), &Presence{}))
	require.NoError(t, c.Send(testCtx(t), chatTo("hi")))
	require.Len(t, c.Unacked(), 2)
	require.NoError(t, c.Close())
	st.await(t, StatusClosed)
	require.Zero(t, handed.Load(), "stanzas handed to OnUnacked after a clean close")
}
