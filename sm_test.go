package xmpp

import (
	"context"
	"errors"
	"log"
	"math"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const featSM = "<sm xmlns='" + nsSM + "'/>"

// smLogin is login with stream management offered and enabled.
func (s *fakeServer) smLogin(enabled string) {
	s.open(featStartTLS)
	s.startTLS()
	s.open(featMechs("PLAIN"))
	s.authPLAIN()
	s.open(featBind + featSM)
	s.bind()
	e := s.expect(nsSM, "enable")
	if e.attr("resume") != "true" {
		s.fail("enable without resume='true': %v", e.Attrs)
	}
	s.send(enabled)
}

func smOptions(t *testing.T) *Options {
	o := testOptions(t)
	o.StreamManagement = true
	return o
}

func smMessage(i int) string {
	return "<message from='bob@example.test/x' to='" + testJID + "/test' type='chat'><body>m" + string(rune('0'+i)) + "</body></message>"
}

func TestSMEnableAndAcks(t *testing.T) {
	t.Parallel()
	var got atomic.Int32
	serverAcked := make(chan struct{})
	opts := smOptions(t)
	opts.Handler = funcHandler{onMessage: func(*Client, *Message) { got.Add(1) }}
	c, _ := connect(t, opts, func(s *fakeServer) {
		s.smLogin("<enabled xmlns='" + nsSM + "' id='sm-id-1' resume='true' max='300' location='127.0.0.1:5222'/>")
		for i := range 3 {
			s.send(smMessage(i))
		}
		s.send("<r xmlns='" + nsSM + "'/>")
		// The client's answer and its own traffic may come in any order.
		var msgs int
		for acked, asked := false, false; !acked || !asked; {
			e := s.next()
			switch {
			case e.is(nsSM, "a"):
				if e.attr("h") != "3" {
					s.fail("<a h=%q/>, want 3", e.attr("h"))
				}
				acked = true
				close(serverAcked)
			case e.is(NSClient, "message"):
				msgs++
			case e.is(nsSM, "r"):
				if msgs != 2 {
					s.fail("<r/> after %d messages, want 2", msgs)
				}
				asked = true
				s.send("<a xmlns='" + nsSM + "' h='2'/>")
			default:
				s.fail("unexpected %v", e)
			}
		}
		s.closeStream()
	})
	st := c.StreamManagement()
	st.Inbound = 0 // the server's messages may have come already
	require.Equal(t, SMState{Enabled: true, ID: "sm-id-1", Resumable: true, Max: 300 * time.Second, Location: "127.0.0.1:5222"}, st)

	ctx := testCtx(t)
	for range 2 {
		require.NoError(t, c.Send(ctx, &Message{Header: Header{To: MustParseJID("bob@example.test")}, Body: "x"}))
	}
	require.Len(t, c.Unacked(), 2)
	require.NoError(t, c.RequestAck(ctx))
	require.Empty(t, c.Unacked())
	st = c.StreamManagement()
	require.Equal(t, uint32(3), st.Inbound)
	require.Equal(t, uint32(2), st.Outbound)
	require.Equal(t, uint32(2), st.Acked)
	<-serverAcked
	require.Equal(t, int32(3), got.Load(), "messages handled; r/a never reach handlers")
	require.NoError(t, c.Close())
}

func TestSMOffByDefault(t *testing.T) {
	t.Parallel()
	c, _ := connect(t, testOptions(t), func(s *fakeServer) {
		s.open(featStartTLS)
		s.startTLS()
		s.open(featMechs("PLAIN"))
		s.authPLAIN()
		s.open(featBind + featSM)
		s.bind()
		s.expect(NSClient, "message") // no <enable/> first
		s.closeStream()
	})
	require.NoError(t, c.Send(testCtx(t), &Message{Header: Header{To: MustParseJID("bob@example.test")}, Body: "x"}))
	require.False(t, c.StreamManagement().Enabled)
	require.Nil(t, c.Unacked())
	require.ErrorIs(t, c.RequestAck(testCtx(t)), ErrNoStreamManagement)
	require.NoError(t, c.Close())
}

func TestSMFailedGoesOn(t *testing.T) {
	t.Parallel()
	c, _ := connect(t, smOptions(t), func(s *fakeServer) {
		s.smLogin("<failed xmlns='" + nsSM + "'><unexpected-request xmlns='" + NSStanzas + "'/></failed>")
		s.expect(NSClient, "message")
		s.closeStream()
	})
	require.False(t, c.StreamManagement().Enabled)
	require.NoError(t, c.Send(testCtx(t), &Message{Header: Header{To: MustParseJID("bob@example.test")}, Body: "x"}))
	require.NoError(t, c.Close())
}

// The counters are 32-bit and wrap around (XEP-0198 §4).
func TestSMWrapAround(t *testing.T) {
	t.Parallel()
	start, serverAcked := make(chan struct{}), make(chan struct{})
	c, _ := connect(t, smOptions(t), func(s *fakeServer) {
		s.smLogin("<enabled xmlns='" + nsSM + "'/>")
		<-start
		for i := range 3 {
			s.send(smMessage(i))
		}
		s.send("<r xmlns='" + nsSM + "'/>")
		for acked, asked := false, false; !acked || !asked; {
			switch e := s.next(); {
			case e.is(nsSM, "a"):
				if e.attr("h") != "1" {
					s.fail("<a h=%q/>, want 1 (2^32-2 + 3 wrapped)", e.attr("h"))
				}
				acked = true
				close(serverAcked)
			case e.is(NSClient, "message"):
			case e.is(nsSM, "r"):
				asked = true
				s.send("<a xmlns='" + nsSM + "' h='1'/>")
			default:
				s.fail("unexpected %v", e)
			}
		}
		s.closeStream()
	})
	sm := c.cur.Load().sm
	sm.mu.Lock()
	sm.inbound, sm.outbound, sm.acked = math.MaxUint32-1, math.MaxUint32-1, math.MaxUint32-1
	sm.mu.Unlock()
	close(start)
	ctx := testCtx(t)
	for range 3 {
		require.NoError(t, c.Send(ctx, &Message{Header: Header{To: MustParseJID("bob@example.test")}, Body: "x"}))
	}
	require.Len(t, c.Unacked(), 3)
	require.NoError(t, c.RequestAck(ctx))
	require.Empty(t, c.Unacked())
	<-serverAcked
	st := c.StreamManagement()
	require.Equal(t, uint32(1), st.Inbound)
	require.Equal(t, uint32(1), st.Outbound)
	require.Equal(t, uint32(1), st.Acked)
	require.NoError(t, c.Close())
}

func TestSMAckedArithmetic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prev, h uint32
		pending int
		want    int
		ok      bool
	}{
		{0, 0, 0, 0, true},
		{0, 3, 5, 3, true},
		{5, 5, 2, 0, true},
		{0, 6, 5, 0, false},
		{math.MaxUint32, 0, 1, 1, true},
		{math.MaxUint32 - 1, 2, 4, 4, true},
		{math.MaxUint32 - 1, 3, 4, 0, false},
		{10, 9, 3, 0, false}, // going back is acking 2^32-1 more
	}
	for _, tt := range tests {
		n, ok := smAcked(tt.prev, tt.h, tt.pending)
		if n != tt.want || ok != tt.ok {
			t.Errorf("smAcked(%d, %d, %d) = %d, %v, want %d, %v", tt.prev, tt.h, tt.pending, n, ok, tt.want, tt.ok)
		}
	}
}

// An h acknowledging more than was sent ends the session with a stream
// error carrying <handled-count-too-high/> (XEP-0198 §4).
func TestSMHandledCountTooHigh(t *testing.T) {
	t.Parallel()
	gotErr := make(chan string, 1)
	c, _ := connect(t, smOptions(t), func(s *fakeServer) {
		s.smLogin("<enabled xmlns='" + nsSM + "'/>")
		s.expect(NSClient, "message")
		s.send("<a xmlns='" + nsSM + "' h='5'/>")
		e := s.expect(NSStream, "error")
		gotErr <- e.Inner
		s.expectClosed()
	})
	require.NoError(t, c.Send(testCtx(t), &Message{Header: Header{To: MustParseJID("bob@example.test")}, Body: "x"}))
	<-c.Done()
	se, ok := errors.AsType[*StreamError](c.Err())
	require.True(t, ok, "Err() = %v, want a *StreamError", c.Err())
	require.Equal(t, CondUndefinedCondition, se.Condition)
	require.ErrorIs(t, c.Err(), ErrProtocol)
	inner := <-gotErr
	require.Contains(t, inner, "handled-count-too-high")
	require.Contains(t, inner, "h='5' send-count='1'")
	require.Len(t, c.Unacked(), 1, "the unacknowledged stanza is kept")
}

func TestSMQueueBound(t *testing.T) {
	t.Parallel()
	opts := smOptions(t)
	opts.MaxUnacked = 3
	opts.AckEvery = 100
	c, _ := connect(t, opts, func(s *fakeServer) {
		s.smLogin("<enabled xmlns='" + nsSM + "'/>")
		for range 3 {
			s.expect(NSClient, "message")
		}
		s.expect(nsSM, "r")
		s.send("<a xmlns='" + nsSM + "' h='3'/>")
		s.expect(NSClient, "message")
		s.closeStream()
	})
	ctx := testCtx(t)
	m := &Message{Header: Header{To: MustParseJID("bob@example.test")}, Body: "x"}
	for range 3 {
		require.NoError(t, c.Send(ctx, m))
	}
	require.ErrorIs(t, c.Send(ctx, m), ErrUnackedFull)
	_, err := c.SendIQ(ctx, &IQ{Type: IQGet, Payload: pingPayload()})
	require.ErrorIs(t, err, ErrUnackedFull)
	require.NoError(t, c.Err(), "a full queue does not end the session")
	require.NoError(t, c.RequestAck(ctx))
	require.NoError(t, c.Send(ctx, m))
	require.Len(t, c.Unacked(), 1)
	require.NoError(t, c.Close())
}

// <r/> is sent every AckEvery stanzas without being asked.
func TestSMAckEvery(t *testing.T) {
	t.Parallel()
	opts := smOptions(t)
	opts.AckEvery = 2
	var names atomic.Value
	c, s := connect(t, opts, func(s *fakeServer) {
		s.smLogin("<enabled xmlns='" + nsSM + "'/>")
		s.closeStream()
	})
	m := &Message{Header: Header{To: MustParseJID("bob@example.test")}, Body: "x"}
	for range 4 {
		require.NoError(t, c.Send(testCtx(t), m))
	}
	require.NoError(t, c.Close())
	s.wait()
	names.Store(strings.Join(s.receivedNames(), " "))
	require.Contains(t, names.Load(), "enable message message r message message r /stream")
}

// smBrokenSession returns a session that sent three messages, of which the
// server acknowledged one before the connection broke.
func smBrokenSession(t *testing.T) *Client {
	t.Helper()
	c, _ := connect(t, smOptions(t), func(s *fakeServer) {
		s.smLogin("<enabled xmlns='" + nsSM + "' id='prev-id' resume='true' max='60'/>")
		for range 3 {
			s.expect(NSClient, "message")
		}
		s.send(smMessage(0))
		s.send("<a xmlns='" + nsSM + "' h='1'/>")
		s.raw.Close()
	})
	for i := range 3 {
		require.NoError(t, c.Send(testCtx(t), &Message{Header: Header{To: MustParseJID("bob@example.test")}, Body: "b" + string(rune('0'+i))}))
	}
	<-c.Done()
	require.Len(t, c.Unacked(), 2)
	return c
}

// resumeOptions makes Resume dial conn.
func resumeOptions(t *testing.T, conn net.Conn) *Options {
	o := smOptions(t)
	o.Server = "fake.example.test:5222"
	o.DialFunc = func(context.Context, string, string) (net.Conn, error) { return conn, nil }
	return o
}

// resumeLogin is the start of a resumption: STARTTLS, SASL, then <resume/>.
func (s *fakeServer) resumeLogin(wantH string) {
	s.open(featStartTLS)
	s.startTLS()
	s.open(featMechs("PLAIN"))
	s.authPLAIN()
	s.open(featBind + featSM)
	e := s.expect(nsSM, "resume")
	if e.attr("previd") != "prev-id" || e.attr("h") != wantH {
		s.fail("resume %v, want previd prev-id h %s", e.Attrs, wantH)
	}
}

func TestSMResume(t *testing.T) {
	t.Parallel()
	prev := smBrokenSession(t)
	conn, _ := startFakeServer(t, func(s *fakeServer) {
		s.resumeLogin("1")
		s.send("<resumed xmlns='" + nsSM + "' h='2' previd='prev-id'/>")
		// Only the stanza the server did not have is sent again.
		if m := s.expect(NSClient, "message"); !strings.Contains(m.Inner, "<body>b2</body>") {
			s.fail("retransmitted %s, want b2", m.Inner)
		}
		s.expect(nsSM, "r")
		s.send("<a xmlns='" + nsSM + "' h='3'/>")
		s.closeStream()
	})
	c, err := Resume(testCtx(t), prev, testPassword, resumeOptions(t, conn))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.Equal(t, prev.JID(), c.JID())
	require.Len(t, c.Unacked(), 1)
	require.NoError(t, c.RequestAck(testCtx(t)))
	require.Empty(t, c.Unacked())
	st := c.StreamManagement()
	require.Equal(t, uint32(1), st.Inbound)
	require.Equal(t, uint32(3), st.Outbound)
	require.NoError(t, c.Close())
}

func TestSMResumeFailed(t *testing.T) {
	t.Parallel()
	prev := smBrokenSession(t)
	conn, _ := startFakeServer(t, func(s *fakeServer) {
		s.resumeLogin("1")
		s.send("<failed xmlns='" + nsSM + "' h='2'><item-not-found xmlns='" + NSStanzas + "'/></failed>")
		s.expectClosed()
	})
	_, err := Resume(testCtx(t), prev, testPassword, resumeOptions(t, conn))
	require.ErrorIs(t, err, ErrResumeFailed)
	require.ErrorContains(t, err, "item-not-found")
	require.Len(t, prev.Unacked(), 1, "trimmed by the h of <failed/>")
}

func TestSMResumeNotPossible(t *testing.T) {
	t.Parallel()
	c, _ := connect(t, smOptions(t), func(s *fakeServer) {
		s.smLogin("<enabled xmlns='" + nsSM + "'/>") // not resumable
		s.closeStream()
	})
	_, err := Resume(testCtx(t), c, testPassword, nil)
	require.ErrorIs(t, err, ErrSessionRunning)
	require.NoError(t, c.Close())
	_, err = Resume(testCtx(t), c, testPassword, nil)
	require.ErrorIs(t, err, ErrResumeFailed)
}

// With stream management, a session whose connection broke can be resumed:
// the server delivers what it held, and Resume sends again what the server
// did not acknowledge.
func ExampleResume() {
	ctx := context.Background()
	opts := &Options{StreamManagement: true, PingIdle: time.Minute}
	c, err := Dial(ctx, "alice@example.com", "secret", opts)
	if err != nil {
		log.Fatal(err)
	}
	for {
		<-c.Done()
		if errors.Is(c.Err(), ErrClosed) {
			return
		}
		next, err := Resume(ctx, c, "secret", nil)
		if errors.Is(err, ErrResumeFailed) {
			// A new session; what the old one's server never acknowledged
			// is in c.Unacked().
			pending := c.Unacked()
			if next, err = Dial(ctx, "alice@example.com", "secret", opts); err == nil {
				for _, s := range pending {
					_ = next.Send(ctx, s)
				}
			}
		}
		if err != nil {
			log.Fatal(err)
		}
		c = next
	}
}
