package xmpp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// dialer hands out one fake server per connection attempt, running the
// scripts in turn; an attempt past the last script fails. gates[i], if not
// nil, holds back attempt i until it is closed.
type dialer struct {
	t       *testing.T
	scripts []func(s *fakeServer)
	gates   map[int]chan struct{}

	mu    sync.Mutex
	calls int
}

func (d *dialer) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	d.mu.Lock()
	i := d.calls
	d.calls++
	gate := d.gates[i]
	d.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if i >= len(d.scripts) {
		return nil, fmt.Errorf("attempt %d: %w", i, errNoServer)
	}
	return startFake(d.t, d.scripts[i]), nil
}

func (d *dialer) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls
}

var errNoServer = errors.New("no server here")

// statusLog records the status changes a session reports.
type statusLog struct {
	ch chan Status
	mu sync.Mutex
	// errs holds the error of each change, in order.
	errs []error
}

func newStatusLog() *statusLog { return &statusLog{ch: make(chan Status, 16)} }

func (l *statusLog) record(_ *Client, s Status, err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
	l.ch <- s
}

// await fails unless the next status changes are want.
func (l *statusLog) await(t *testing.T, want ...Status) {
	t.Helper()
	for _, w := range want {
		select {
		case s := <-l.ch:
			require.Equal(t, w, s)
		case <-time.After(10 * time.Second):
			t.Fatalf("no status change; want %v", w)
		}
	}
}

// loginThenBreak is a server script that logs the client in, then breaks
// the connection.
func loginThenBreak(s *fakeServer) {
	s.login()
	s.raw.Close()
}

// enabledResumable is <enabled/> for a resumable stream with the given id.
func enabledResumable(id string) string {
	return "<enabled xmlns='" + nsSM + "' id='" + id + "' resume='true'/>"
}

// reconnectOptions returns Options reconnecting through d at once.
func reconnectOptions(t *testing.T, d *dialer, st *statusLog) *Options {
	o := testOptions(t)
	o.Server = "fake.example.test:5222"
	o.DialFunc = d.dial
	o.Reconnect = &ReconnectOptions{MinDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}
	o.OnStatus = st.record
	return o
}

func chatTo(body string) *Message {
	return &Message{Header: Header{To: MustParseJID("bob@example.test")}, Type: MessageChat, Body: body}
}

// A broken connection is resumed: the server's h says what to retransmit,
// a SendIQ written before the break gets its reply on the resumed stream,
// a stanza sent while reconnecting is queued and written after the
// retransmitted ones, and an inbound stanza is seen once.
func TestReconnectResumes(t *testing.T) {
	t.Parallel()
	var iqID string
	gate := make(chan struct{})
	d := &dialer{t: t, gates: map[int]chan struct{}{1: gate}}
	d.scripts = []func(s *fakeServer){
		func(s *fakeServer) {
			s.smLogin("<enabled xmlns='" + nsSM + "' id='prev-id' resume='true' max='60'/>")
			s.expect(NSClient, "message") // b0
			s.send("<a xmlns='" + nsSM + "' h='1'/>")
			s.expect(NSClient, "message") // b1
			iqID = s.expect(NSClient, "iq").attr("id")
			s.send(smMessage(0))
			s.raw.Close()
		},
		func(s *fakeServer) {
			s.resumeLogin("1")
			s.send("<resumed xmlns='" + nsSM + "' h='1' previd='prev-id'/>")
			for _, want := range []string{"<body>b1</body>", "urn:xmpp:ping", "<body>queued</body>"} {
				e := s.next()
				if e == nil || !strings.Contains(e.Inner, want) {
					s.fail("after resumption got %v, want %s", e, want)
				}
				if e.XMLName.Local == "iq" && e.attr("id") != iqID {
					s.fail("retransmitted IQ id %q, want %q", e.attr("id"), iqID)
				}
			}
			s.send("<iq type='result' id='" + iqID + "'/>")
			s.closeStream()
		},
	}
	st := newStatusLog()
	got := make(chan string, 10)
	opts := reconnectOptions(t, d, st)
	opts.StreamManagement = true
	opts.Handler = funcHandler{onMessage: func(_ *Client, m *Message) { got <- m.Body }}
	c, err := Dial(testCtx(t), testJID, testPassword, opts)
	require.NoError(t, err)
	defer c.Close()
	jid := c.JID()
	ctx := testCtx(t)
	require.NoError(t, c.Send(ctx, chatTo("b0")))
	require.NoError(t, c.Send(ctx, chatTo("b1")))
	iqDone := make(chan error, 1)
	go func() {
		_, err := c.SendIQ(ctx, &IQ{Type: IQGet, Payload: pingPayload()})
		iqDone <- err
	}()
	st.await(t, StatusReconnecting)
	require.Equal(t, StatusReconnecting, c.Status())
	require.NoError(t, c.Send(ctx, chatTo("queued")), "queued while reconnecting")
	close(gate)
	st.await(t, StatusResumed)
	require.NoError(t, <-iqDone, "the SendIQ in flight completes after the resumption")
	require.Equal(t, "m0", <-got)
	require.Equal(t, jid, c.JID())
	require.Equal(t, StatusResumed, c.Status())
	require.NoError(t, c.Close())
	st.await(t, StatusClosed)
	select {
	case m := <-got:
		t.Fatalf("message %q delivered twice or unexpected", m)
	default:
	}
	require.Equal(t, 2, d.count())
}

// When the server refuses to resume, the session logs in anew with the
// same resource: the SendIQ in flight fails with ErrDisconnected, the
// unacknowledged stanzas go to OnUnacked, and the last presence is sent
// again.
func TestReconnectResumeRefused(t *testing.T) {
	t.Parallel()
	d := &dialer{t: t}
	d.scripts = []func(s *fakeServer){
		func(s *fakeServer) {
			s.smLogin(enabledResumable("prev-id"))
			s.expect(NSClient, "presence")
			s.expect(NSClient, "message")
			s.expect(NSClient, "iq")
			s.raw.Close()
		},
		func(s *fakeServer) {
			s.resumeLogin("0")
			s.send("<failed xmlns='" + nsSM + "'><item-not-found xmlns='" + NSStanzas + "'/></failed>")
			s.expectClosed()
		},
		func(s *fakeServer) {
			s.smLogin(enabledResumable("new-id"))
			if p := s.expect(NSClient, "presence"); !strings.Contains(p.Inner, "<show>away</show>") {
				s.fail("restored presence %s", p.Inner)
			}
			s.closeStream()
		},
	}
	st := newStatusLog()
	unacked := make(chan []Stanza, 1)
	opts := reconnectOptions(t, d, st)
	opts.StreamManagement = true
	opts.Reconnect.OnUnacked = func(_ *Client, s []Stanza) { unacked <- s }
	c, err := Dial(testCtx(t), testJID, testPassword, opts)
	require.NoError(t, err)
	defer c.Close()
	ctx := testCtx(t)
	require.NoError(t, c.Send(ctx, &Presence{Show: ShowAway}))
	require.NoError(t, c.Send(ctx, chatTo("lost?")))
	_, err = c.SendIQ(ctx, &IQ{Type: IQGet, Payload: pingPayload()})
	require.ErrorIs(t, err, ErrDisconnected)
	require.ErrorIs(t, err, ErrResumeFailed)
	st.await(t, StatusReconnecting, StatusConnected)
	lost := <-unacked
	require.Len(t, lost, 3)
	require.IsType(t, &Presence{}, lost[0])
	require.Equal(t, "lost?", lost[1].(*Message).Body)
	require.IsType(t, &IQ{}, lost[2])
	require.Equal(t, testJID+"/test", c.JID().String())
	require.Equal(t, "new-id", c.StreamManagement().ID)
	require.NoError(t, c.Close())
	require.Equal(t, 3, d.count())
}

// Without stream management nothing can be resumed: a SendIQ in flight
// fails at once with ErrDisconnected, and the new session restores
// presence.
func TestReconnectWithoutStreamManagement(t *testing.T) {
	t.Parallel()
	d := &dialer{t: t}
	d.scripts = []func(s *fakeServer){
		func(s *fakeServer) {
			s.login()
			s.expect(NSClient, "presence")
			s.expect(NSClient, "iq")
			s.raw.Close()
		},
		func(s *fakeServer) {
			s.login()
			s.expect(NSClient, "presence")
			s.closeStream()
		},
	}
	st := newStatusLog()
	c, err := Dial(testCtx(t), testJID, testPassword, reconnectOptions(t, d, st))
	require.NoError(t, err)
	defer c.Close()
	ctx := testCtx(t)
	require.NoError(t, c.Send(ctx, &Presence{}))
	_, err = c.SendIQ(ctx, &IQ{Type: IQGet, Payload: pingPayload()})
	require.ErrorIs(t, err, ErrDisconnected)
	st.await(t, StatusReconnecting, StatusConnected)
	require.NoError(t, c.Close())
	st.await(t, StatusClosed)
	require.ErrorIs(t, c.Err(), ErrClosed)
}

// A permanent error while reconnecting (here a wrong password) ends the
// session with that error.
func TestReconnectStopsOnAuthFailure(t *testing.T) {
	t.Parallel()
	d := &dialer{t: t}
	d.scripts = []func(s *fakeServer){
		loginThenBreak,
		func(s *fakeServer) {
			s.open(featStartTLS)
			s.startTLS()
			s.open(featMechs("PLAIN"))
			s.expect(nsSASL, "auth")
			s.send("<failure xmlns='" + nsSASL + "'><not-authorized/></failure>")
			s.expectClosed()
		},
	}
	st := newStatusLog()
	c, err := Dial(testCtx(t), testJID, testPassword, reconnectOptions(t, d, st))
	require.NoError(t, err)
	st.await(t, StatusReconnecting, StatusClosed)
	<-c.Done()
	var se *SASLError
	require.ErrorAs(t, c.Err(), &se)
	require.Equal(t, SASLNotAuthorized, se.Condition)
	require.Equal(t, StatusClosed, c.Status())
	st.mu.Lock()
	require.ErrorAs(t, st.errs[1], &se, "StatusClosed carries the cause")
	st.mu.Unlock()
	require.Equal(t, 2, d.count())
}

// A conflict stream error (another client took the resource) is not
// answered by reconnecting.
func TestReconnectNotOnConflict(t *testing.T) {
	t.Parallel()
	d := &dialer{t: t}
	d.scripts = []func(s *fakeServer){
		func(s *fakeServer) {
			s.login()
			s.send("<stream:error><conflict xmlns='" + NSStreams + "'/></stream:error></stream:stream>")
			s.expectClosed()
		},
	}
	st := newStatusLog()
	c, err := Dial(testCtx(t), testJID, testPassword, reconnectOptions(t, d, st))
	require.NoError(t, err)
	st.await(t, StatusClosed)
	<-c.Done()
	var se *StreamError
	require.ErrorAs(t, c.Err(), &se)
	require.Equal(t, CondConflict, se.Condition)
	require.Equal(t, 1, d.count())
}

// After MaxAttempts failed attempts the session ends with the last error.
func TestReconnectMaxAttempts(t *testing.T) {
	t.Parallel()
	d := &dialer{t: t}
	d.scripts = []func(s *fakeServer){
		loginThenBreak,
	}
	st := newStatusLog()
	opts := reconnectOptions(t, d, st)
	opts.Reconnect.MaxAttempts = 3
	c, err := Dial(testCtx(t), testJID, testPassword, opts)
	require.NoError(t, err)
	st.await(t, StatusReconnecting, StatusClosed)
	<-c.Done()
	require.ErrorIs(t, c.Err(), errNoServer)
	require.ErrorContains(t, c.Err(), "after 3 attempts")
	require.Equal(t, 4, d.count())
}

// While reconnecting, Send queues up to QueueSize stanzas, then fails
// clearly; Close stops the reconnection at once and hands the queued
// stanzas to OnUnacked.
func TestReconnectQueueBoundAndClose(t *testing.T) {
	t.Parallel()
	d := &dialer{t: t, gates: map[int]chan struct{}{1: make(chan struct{})}} // never opens
	d.scripts = []func(s *fakeServer){
		loginThenBreak,
	}
	st := newStatusLog()
	unacked := make(chan []Stanza, 1)
	opts := reconnectOptions(t, d, st)
	opts.Reconnect.QueueSize = 2
	opts.Reconnect.OnUnacked = func(_ *Client, s []Stanza) { unacked <- s }
	c, err := Dial(testCtx(t), testJID, testPassword, opts)
	require.NoError(t, err)
	st.await(t, StatusReconnecting)
	ctx := testCtx(t)
	require.NoError(t, c.Send(ctx, chatTo("q1")))
	require.NoError(t, c.Send(ctx, chatTo("q2")))
	require.ErrorIs(t, c.Send(ctx, chatTo("q3")), ErrQueueFull)
	_, err = c.SendIQ(ctx, &IQ{Type: IQGet, Payload: pingPayload()})
	require.ErrorIs(t, err, ErrQueueFull)
	start := time.Now()
	require.NoError(t, c.Close())
	require.Less(t, time.Since(start), 5*time.Second)
	require.ErrorIs(t, c.Err(), ErrClosed)
	st.await(t, StatusClosed)
	lost := <-unacked
	require.Len(t, lost, 2)
	require.Equal(t, "q2", lost[1].(*Message).Body)
}

// The backoff doubles from MinDelay up to MaxDelay, with jitter keeping
// each delay between half the step and the step.
func TestReconnectDelay(t *testing.T) {
	t.Parallel()
	r := (&ReconnectOptions{MinDelay: 100 * time.Millisecond, MaxDelay: time.Second}).withDefaults()
	for n, step := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		step *= time.Millisecond
		for range 50 {
			d := r.delay(n)
			require.GreaterOrEqual(t, d, step/2, "attempt %d", n)
			require.LessOrEqual(t, d, step, "attempt %d", n)
		}
	}
	require.LessOrEqual(t, r.delay(1000), time.Second, "no overflow")
	def := (&ReconnectOptions{}).withDefaults()
	require.Equal(t, defaultReconnectMinDelay, def.MinDelay)
	require.Equal(t, defaultReconnectMaxDelay, def.MaxDelay)
	require.Equal(t, defaultReconnectQueue, def.QueueSize)
}

func TestPermanentErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&SASLError{Condition: SASLNotAuthorized}, true},
		{fmt.Errorf("x: %w", &SASLError{Condition: SASLTemporaryAuthFailure}), false},
		{&StreamError{Condition: CondConflict, Offset: -1}, true},
		{&StreamError{Condition: CondPolicyViolation, Offset: -1}, true},
		{&StreamError{Condition: "system-shutdown", Offset: -1}, false},
		{&StreamError{Condition: "not-well-formed", Offset: 10, Err: errors.New("cut")}, false},
		{ErrTLSRequired, true},
		{errors.Join(errNoServer, &SASLError{Condition: SASLNotAuthorized}), true},
		{ErrDeadLink, false},
		{errServerClosed, false},
		{net.ErrClosed, false},
	} {
		require.Equal(t, tc.want, permanent(tc.err), "permanent(%v)", tc.err)
	}
}

// A stanza the encoder refuses is an error for that Send only: nothing was
// written and the session goes on.
func TestSendInvalidTextKeepsSession(t *testing.T) {
	t.Parallel()
	c, _ := connect(t, testOptions(t), func(s *fakeServer) {
		s.login()
		if m := s.expect(NSClient, "message"); !strings.Contains(m.Inner, "fine") {
			s.fail("got %s", m.Inner)
		}
		s.closeStream()
	})
	ctx := testCtx(t)
	require.ErrorIs(t, c.Send(ctx, chatTo("bad \x00 text")), ErrInvalidText)
	require.NoError(t, c.Send(ctx, chatTo("fine")))
	require.NoError(t, c.Close())
	require.ErrorIs(t, c.Err(), ErrClosed)
}

// A session that reconnected leaves no goroutine behind after Close: not
// the old link's, not the new one's.
func TestReconnectLeavesNoGoroutines(t *testing.T) {
	// Not parallel: it counts the process's goroutines.
	before := runtime.NumGoroutine()
	func() {
		d := &dialer{t: t}
		d.scripts = []func(s *fakeServer){
			func(s *fakeServer) {
				s.smLogin(enabledResumable("prev-id"))
				s.raw.Close()
			},
			func(s *fakeServer) {
				s.resumeLogin("0")
				s.send("<resumed xmlns='" + nsSM + "' h='0' previd='prev-id'/>")
				s.closeStream()
			},
		}
		st := newStatusLog()
		opts := reconnectOptions(t, d, st)
		opts.StreamManagement = true
		opts.PingIdle = time.Minute
		c, err := Dial(testCtx(t), testJID, testPassword, opts)
		require.NoError(t, err)
		st.await(t, StatusReconnecting, StatusResumed)
		require.NoError(t, c.Close())
		st.await(t, StatusClosed)
	}()
	awaitGoroutines(t, before, 5*time.Second)
}

// A resumed stream the server never answers on, and that it then ends with
// a stream error about what it parsed, was not really resumed (Prosody 0.12
// goes on parsing it with the broken connection's parser): the session
// logs in anew instead of giving up, and hands over what is unacknowledged.
func TestReconnectUnansweredResumption(t *testing.T) {
	t.Parallel()
	d := &dialer{t: t}
	d.scripts = []func(s *fakeServer){
		func(s *fakeServer) {
			s.smLogin(enabledResumable("prev-id"))
			s.expect(NSClient, "message")
			s.raw.Close()
		},
		func(s *fakeServer) {
			s.resumeLogin("0")
			s.send("<resumed xmlns='" + nsSM + "' h='0' previd='prev-id'/>")
			s.expect(NSClient, "message") // retransmitted, and swallowed
			s.send("<stream:error><not-well-formed xmlns='" + NSStreams + "'/></stream:error></stream:stream>")
			s.expectClosed()
		},
		func(s *fakeServer) {
			s.smLogin(enabledResumable("new-id"))
			s.closeStream()
		},
	}
	st := newStatusLog()
	unacked := make(chan []Stanza, 1)
	opts := reconnectOptions(t, d, st)
	opts.StreamManagement = true
	opts.Reconnect.OnUnacked = func(_ *Client, s []Stanza) { unacked <- s }
	opts.AckEvery = 1 // the retransmission asks for an ack, in vain
	c, err := Dial(testCtx(t), testJID, testPassword, opts)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Send(testCtx(t), chatTo("swallowed")))
	st.await(t, StatusReconnecting, StatusResumed, StatusReconnecting, StatusConnected)
	lost := <-unacked
	require.Len(t, lost, 1)
	require.Equal(t, "swallowed", lost[0].(*Message).Body)
	require.Equal(t, "new-id", c.StreamManagement().ID)
	require.NoError(t, c.Close())
}

// failingWriter accepts n writes, then fails every later one.
type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n == 0 {
		return 0, errors.New("connection broke")
	}
	w.n--
	return len(p), nil
}

// testLink returns a link whose writes fail after n, with stream
// management state that has acknowledged everything up to h.
func testLink(t *testing.T, n int, h uint32) (*Client, *link) {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	c := &Client{opts: Options{MaxUnacked: 10, AckEvery: 1, Reconnect: &ReconnectOptions{}}, log: slog.New(slog.DiscardHandler)}
	l := &link{conn: a, raw: a, enc: NewEncoder(&failingWriter{n: n}), dead: make(chan struct{}),
		sm: &smState{outbound: h, acked: h, ackSeen: make(chan struct{})}}
	l.enc.markIO = true
	return c, l
}

// A stanza written whose ack request then fails was sent all the same: it
// stays unacknowledged once, and the caller gets no error that would make
// it send the stanza again.
func TestAckRequestFailureKeepsStanzaOnce(t *testing.T) {
	t.Parallel()
	c, l := testLink(t, 1, 0)
	require.NoError(t, c.encodeStanza(l, chatTo("once"), false))
	require.Len(t, l.sm.unacked, 1)
	require.Equal(t, uint32(1), l.sm.outbound)
	require.True(t, l.isDead(), "the broken connection is ended")
}

// When the connection breaks during the retransmission after a
// resumption, what was not written stays unacknowledged for the next one.
func TestRetransmitFailureKeepsTheRest(t *testing.T) {
	t.Parallel()
	c, l := testLink(t, 1, 7) // one write works: the first stanza, not its <r/>
	resend := []Stanza{chatTo("r1"), chatTo("r2"), chatTo("r3")}
	require.Error(t, c.retransmit(l, resend))
	require.Equal(t, resend, l.sm.unacked)
	require.Equal(t, uint32(10), l.sm.outbound)
	require.Equal(t, uint32(7), l.sm.acked)
}
