package integration_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/xmpptest"
)

// A handler that calls SendIQ while its session is flooded: the reply to
// the IQ arrives behind thousands of stanzas queued for the handlers, and
// must reach SendIQ all the same, as the handler holds up the queue until
// it does (the house style: "a handler may call SendIQ without deadlock").

const (
	floodCount = 10000
	// floodIQEvery is how often, in flood messages received, the handler
	// calls SendIQ: the first message and every floodIQEvery-th after it.
	floodIQEvery = 1000
	// floodTimeout bounds each server's whole run, logins included. On
	// loopback the flood takes a few seconds; a session whose reader and
	// handler wait for each other never finishes, and fails at this bound.
	floodTimeout = 90 * time.Second
	floodPrefix  = "flood-"
)

// TestHandlerSendIQUnderFlood: B's message handler calls SendIQ, with
// context.Background() and so no deadline of its own, for a disco#info of
// its server (XEP-0030) while A sends B 10,000 messages with the XEP-0334
// no-store hint. Every SendIQ must return a result, every message must
// reach the handler exactly once, and all of it within floodTimeout.
//
// The first call waits until A has sent the whole flood, as a slow handler
// would, so that the reply is behind thousands of messages on every run:
// without the wait, whether the reply overtakes the flood depends on the
// timing (Prosody often answers before the handler queue is full).
func TestHandlerSendIQUnderFlood(t *testing.T) {
	// Not parallel, like TestLoad: the flood slows the server down for the
	// other tests. The servers one after the other, for the same reason.
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) { testHandlerFlood(t, s.shared.Server(t)) })
	}
}

// floodReceiver is B's message handler and what it saw.
type floodReceiver struct {
	domain  xmpp.JID
	disco   xmpp.Element
	flooded chan struct{} // closed when A has sent the flood, or gave up

	mu       sync.Mutex
	count    [floodCount]int // deliveries of each flood message
	received int             // flood messages received, duplicates included
	foreign  []string        // other messages' ids
	iqs      int             // SendIQ calls started
	results  []floodIQ       // SendIQ calls returned
	all      chan struct{}   // closed when received reaches floodCount
	end      chan struct{}   // closed when the sentinel arrives
}

// floodIQ is what one SendIQ call from the handler returned.
type floodIQ struct {
	at   int // flood messages received when it was called
	iq   *xmpp.IQ
	err  error
	took time.Duration
}

func (r *floodReceiver) onMessage(s xmpp.Session, m *xmpp.Message) {
	if m.ID == floodPrefix+"end" {
		close(r.end)
		return
	}
	n, err := strconv.Atoi(strings.TrimPrefix(m.ID, floodPrefix))
	r.mu.Lock()
	if !strings.HasPrefix(m.ID, floodPrefix) || err != nil || n < 0 || n >= floodCount {
		r.foreign = append(r.foreign, m.ID)
		r.mu.Unlock()
		return
	}
	r.count[n]++
	r.received++
	at := r.received
	if at == floodCount {
		close(r.all)
	}
	callIQ := at%floodIQEvery == 1
	if callIQ {
		r.iqs++
	}
	r.mu.Unlock()
	if !callIQ {
		return
	}
	if at == 1 {
		// A slow handler: the flood piles up behind this message.
		select {
		case <-r.flooded:
		case <-time.After(floodTimeout / 3):
		}
	}
	// The handler goroutine waits here while the flood goes on.
	start := time.Now()
	iq, err := s.SendIQ(context.Background(), &xmpp.IQ{
		Header: xmpp.Header{To: r.domain}, Type: xmpp.IQGet,
		Payload: r.disco,
	})
	r.mu.Lock()
	r.results = append(r.results, floodIQ{at: at, iq: iq, err: err, took: time.Since(start)})
	r.mu.Unlock()
}

// progress describes how far the run got, for a failure message.
func (r *floodReceiver) progress() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprintf("the handler got %d of %d flood messages; %d of its %d SendIQ calls returned",
		r.received, floodCount, len(r.results), r.iqs)
}

func testHandlerFlood(t *testing.T, srv *xmpptest.Server) {
	ctx, cancel := context.WithTimeout(t.Context(), floodTimeout)
	defer cancel()
	begin := time.Now()
	// waitOrFail waits for ch, or fails the test with what happened so far
	// once the run's bound has passed.
	waitOrFail := func(ch <-chan struct{}, what string, r *floodReceiver, b *xmpp.Client) {
		t.Helper()
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("%s: no %s within %v: %s (a handler blocked in SendIQ while the reader "+
				"waits for room in the handler queue never gets its reply); B's session: %v",
				srv.Kind, what, floodTimeout, r.progress(), b.Err())
		}
	}

	disco, err := xmpp.ParseElement("<query xmlns='http://jabber.org/protocol/disco#info'/>")
	require.NoError(t, err)
	noStore, err := xmpp.ParseElement("<no-store xmlns='urn:xmpp:hints'/>")
	require.NoError(t, err)
	r := &floodReceiver{
		domain:  xmpp.MustParseJID(srv.Domain),
		disco:   disco,
		flooded: make(chan struct{}),
		all:     make(chan struct{}),
		end:     make(chan struct{}),
	}
	userA, userB := freshUser(t, srv, "flood-a"), freshUser(t, srv, "flood-b")
	b := mustLogin(t, conn{srv: srv, user: userB, onMessage: r.onMessage})
	a := mustLogin(t, conn{srv: srv, user: userA})
	// Cleanups run last first: this one before the Close of each login,
	// so that a Close that hangs after a failure is reported, not waited
	// for until go test's own timeout.
	t.Cleanup(func() {
		closed := make(chan struct{})
		go func() { b.Close(); a.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Errorf("%s: Close did not return within 10 s after the run", srv.Kind)
		}
	})

	sendErr := make(chan error, 1)
	go func() {
		defer close(r.flooded)
		for n := range floodCount {
			m := &xmpp.Message{
				Header: xmpp.Header{ID: floodPrefix + strconv.Itoa(n), To: b.JID()}, Type: xmpp.MessageChat,
				Body:       "flood " + strconv.Itoa(n),
				Extensions: []xmpp.Element{noStore},
			}
			if err := a.Send(ctx, m); err != nil {
				sendErr <- fmt.Errorf("Send(%s) = %w", m.ID, err)
				return
			}
		}
		sendErr <- nil
	}()
	select {
	case err := <-sendErr:
		require.NoError(t, err, "%s: A's flood; %s", srv.Kind, r.progress())
	case <-ctx.Done():
		t.Fatalf("%s: A could not send %d messages within %v: %s", srv.Kind, floodCount, floodTimeout, r.progress())
	}
	sent := time.Since(begin)

	waitOrFail(r.all, "flood", r, b)
	// A sentinel behind the flood, to catch late duplicates.
	require.NoError(t, a.Send(ctx, &xmpp.Message{
		Header: xmpp.Header{ID: floodPrefix + "end", To: b.JID()}, Type: xmpp.MessageChat, Body: "end",
	}))
	waitOrFail(r.end, "sentinel after the flood", r, b)

	r.mu.Lock()
	defer r.mu.Unlock()
	// The handler runs in order: the sentinel came after every SendIQ
	// returned.
	require.Len(t, r.results, r.iqs, "%s: SendIQ calls returned", srv.Kind)
	require.Equal(t, (floodCount+floodIQEvery-1)/floodIQEvery, r.iqs, "%s: SendIQ calls made", srv.Kind)
	for _, res := range r.results {
		require.NoError(t, res.err, "%s: SendIQ(disco#info) after %d messages", srv.Kind, res.at)
		require.Equal(t, xmpp.IQResult, res.iq.Type, "%s: SendIQ(disco#info) after %d messages: reply %+v", srv.Kind, res.at, res.iq)
		require.Equal(t, "query", res.iq.Payload.Name.Local, "%s: SendIQ(disco#info) reply payload %s", srv.Kind, res.iq.Payload.Raw)
	}
	var missing, dups []int
	for n, k := range r.count {
		switch {
		case k == 0:
			missing = append(missing, n)
		case k > 1:
			dups = append(dups, n)
		}
	}
	require.Empty(t, missing, "%s: flood messages never delivered to the handler", srv.Kind)
	require.Empty(t, dups, "%s: flood messages delivered more than once", srv.Kind)
	require.Empty(t, r.foreign, "%s: unexpected messages", srv.Kind)
	var slowest time.Duration
	for _, res := range r.results {
		slowest = max(slowest, res.took)
	}
	t.Logf("%s: %d messages sent in %v, all handled after %v; %d SendIQ calls from the handler, the slowest took %v",
		srv.Kind, floodCount, sent.Round(time.Millisecond), time.Since(begin).Round(time.Millisecond), len(r.results), slowest.Round(time.Millisecond))
}
