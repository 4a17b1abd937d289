package integration_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/xmpptest"
)

// Load: many goroutines sending at once over one client, against the real
// servers.
//
// Neither test server limits the rate of a client: the Prosody config that
// xmpptest writes does not load mod_limits, and the ejabberd one gives both
// client listeners "shaper: c2s_shaper" with "c2s_shaper: none". What holds
// the sender back is the server itself: TCP flow control when the server
// reads more slowly than the client writes, and the client's
// Options.MaxUnacked, which makes Send fail with ErrUnackedFull while the
// server has not acknowledged 500 stanzas; a sender then waits on
// RequestAck and sends the same message again.
//
// The messages carry the XEP-0334 no-store hint so that neither server
// archives them (both archive chat messages by default, Prosody in files
// and ejabberd in Mnesia), which would measure the archive instead.

const (
	loadSenders  = 100
	loadDuration = 10 * time.Second
	// loadDrain bounds the wait, after the last send, for the receiver to
	// get everything.
	loadDrain = 2 * time.Minute
	nsLoad    = "urn:gojabber:test:load"
)

// loadAlphabet is what message bodies are made of: markup characters, the
// five predefined entities' characters, CDATA and comment openers and
// closers, whitespace, and multi-byte UTF-8 up to four bytes (with a ZWJ
// sequence and a right-to-left override). No carriage return: the client
// sends one as &#13;, but both servers write it back as a raw CR, which
// the receiving parser must turn into a line feed (XML 1.0 §2.11), so a CR
// never survives a trip through Prosody 0.12 or ejabberd 23.01.
var loadAlphabet = []string{
	"<", ">", "&", "'", `"`, "]]>", "<![CDATA[", "<!--", "-->", "&amp;", "&#x41;",
	"\t", "\n", " ", "a", "Z", "0", "9", ";", "=", "/", `\`, "%",
	"é", "ß", "漢字", "🙂", "👩\u200d👩\u200d👧", "\u202e", "𝄞", "\u00a0",
}

// loadBody returns the body of message seq of sender g: a header the
// receiver does not rely on, then up to 200 random pieces of loadAlphabet.
func loadBody(r *rand.Rand, g, seq int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "g=%d s=%d ", g, seq)
	for range r.IntN(200) {
		b.WriteString(loadAlphabet[r.IntN(len(loadAlphabet))])
	}
	return b.String()
}

// loadSum is the checksum of a message's content.
func loadSum(g, seq int, body string) string {
	h := sha256.Sum256([]byte(strconv.Itoa(g) + "/" + strconv.Itoa(seq) + "/" + body))
	return hex.EncodeToString(h[:])
}

// loadReceiver checks, message by message, what B receives.
type loadReceiver struct {
	mu       sync.Mutex
	next     [loadSenders]int // next seq expected from each sender
	received int
	errs     []string // the first problems seen
	nerrs    int
	target   int           // messages to wait for; 0 until sending ends
	all      chan struct{} // closed when received reaches target
	end      chan struct{} // closed when the sentinel arrives
}

func newLoadReceiver() *loadReceiver {
	return &loadReceiver{all: make(chan struct{}), end: make(chan struct{})}
}

func (r *loadReceiver) fail(format string, args ...any) {
	r.nerrs++
	if len(r.errs) < 20 {
		r.errs = append(r.errs, fmt.Sprintf(format, args...))
	}
}

// onMessage is B's message handler.
func (r *loadReceiver) onMessage(_ xmpp.Session, m *xmpp.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m.ID == "load-end" {
		close(r.end)
		return
	}
	var check xmpp.Element
	for _, el := range m.Extensions {
		if el.Name.Space == nsLoad && el.Name.Local == "check" {
			check = el
		}
	}
	g, errG := strconv.Atoi(check.Attr("g"))
	seq, errS := strconv.Atoi(check.Attr("s"))
	if errG != nil || errS != nil || g < 0 || g >= loadSenders {
		r.fail("message %q without a valid check element: %q", m.ID, check.Raw)
		return
	}
	r.received++
	if want := fmt.Sprintf("load-%d-%d", g, seq); m.ID != want {
		r.fail("id %q, want %q", m.ID, want)
	}
	if sum := loadSum(g, seq, m.Body); sum != check.Attr("sum") {
		r.fail("sender %d seq %d: body changed on the way: %q", g, seq, m.Body)
	}
	switch next := r.next[g]; {
	case seq == next:
		r.next[g]++
	case seq < next:
		r.fail("sender %d seq %d: duplicate or out of order (expected %d)", g, seq, next)
	default:
		r.fail("sender %d seq %d: %d missing before it", g, seq, seq-next)
		r.next[g] = seq + 1
	}
	if r.received == r.target {
		close(r.all)
	}
}

// expect sets how many messages to wait for.
func (r *loadReceiver) expect(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.target = n
	if r.received == n {
		close(r.all)
	}
}

// TestLoad: 100 goroutines send over one stream-managed client A to B for
// 10 s; B must get every message once, intact, and in each goroutine's
// order. The count and rate are logged.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test: skipped in -short mode")
	}
	// Not parallel, so it runs while the parallel tests wait: a flooded
	// server answers other tests' pings late, and their timeouts are not
	// made for that. The servers one after the other, for the same reason.
	t.Run("prosody", func(t *testing.T) { testLoad(t, prosody.Server(t)) })
	t.Run("ejabberd", func(t *testing.T) { testLoad(t, ejabberd.Server(t)) })
}

func testLoad(t *testing.T, srv *xmpptest.Server) {
	userA, userB := freshUser(t, srv, "load-a"), freshUser(t, srv, "load-b")
	recv := newLoadReceiver()
	b := mustLogin(t, conn{srv: srv, user: userB, onMessage: recv.onMessage})
	a, err := xmpp.Dial(testCtx(t), srv.JID(userA), srv.Password(userA), &xmpp.Options{
		Server:           srv.C2SAddr,
		TLSConfig:        srv.TLSConfig(),
		StreamManagement: true,
	})
	require.NoError(t, err)
	t.Cleanup(func() { a.Close() })
	require.True(t, a.StreamManagement().Enabled)

	ctx, cancel := context.WithTimeout(t.Context(), loadDuration+loadDrain)
	defer cancel()
	noStore, err := xmpp.ParseElement("<no-store xmlns='urn:xmpp:hints'/>")
	require.NoError(t, err)

	var (
		wg        sync.WaitGroup
		sent      [loadSenders]int
		retries   atomic.Int64 // sends refused with ErrUnackedFull
		sendErr   atomic.Pointer[error]
		bytesSent atomic.Int64
	)
	start := time.Now()
	stop := start.Add(loadDuration)
	for g := range loadSenders {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 0x10ad))
			for seq := 0; time.Now().Before(stop); seq++ {
				body := loadBody(r, g, seq)
				check, err := xmpp.ParseElement(fmt.Sprintf("<check xmlns='%s' g='%d' s='%d' sum='%s'/>", nsLoad, g, seq, loadSum(g, seq, body)))
				if err != nil {
					sendErr.CompareAndSwap(nil, &err)
					return
				}
				m := &xmpp.Message{
					Header: xmpp.Header{ID: fmt.Sprintf("load-%d-%d", g, seq), To: b.JID()}, Type: xmpp.MessageChat,
					Body:       body,
					Extensions: []xmpp.Element{check, noStore},
				}
				for {
					err = a.Send(ctx, m)
					if !errors.Is(err, xmpp.ErrUnackedFull) {
						break
					}
					retries.Add(1)
					if err = a.RequestAck(ctx); err != nil {
						break
					}
				}
				if err != nil {
					err = fmt.Errorf("sender %d seq %d: %w", g, seq, err)
					sendErr.CompareAndSwap(nil, &err)
					return
				}
				sent[g] = seq + 1
				bytesSent.Add(int64(len(body)))
			}
		})
	}
	wg.Wait()
	sendTime := time.Since(start)
	if e := sendErr.Load(); e != nil {
		t.Fatalf("Send: %v\nA's session: %v\nserver log:\n%s", *e, a.Err(), srv.LogTail(30))
	}
	total := 0
	for _, n := range sent {
		total += n
	}

	// Everything sent has reached the server; wait for B to get it all,
	// then for a sentinel behind it, which also shows up late duplicates.
	require.NoError(t, a.RequestAck(ctx))
	acked := time.Since(start)
	recv.expect(total)
	select {
	case <-recv.all:
	case <-ctx.Done():
		recv.mu.Lock()
		got := recv.received
		recv.mu.Unlock()
		t.Fatalf("B got %d of %d messages within %v\nB's session: %v\nserver log:\n%s", got, total, loadDrain, b.Err(), srv.LogTail(30))
	}
	received := time.Since(start)
	require.NoError(t, a.Send(ctx, &xmpp.Message{Header: xmpp.Header{ID: "load-end", To: b.JID()}, Type: xmpp.MessageChat, Body: "end"}))
	select {
	case <-recv.end:
	case <-ctx.Done():
		t.Fatal("the sentinel did not arrive")
	}

	recv.mu.Lock()
	defer recv.mu.Unlock()
	require.Zero(t, recv.nerrs, "%d problems, the first ones:\n%s", recv.nerrs, strings.Join(recv.errs, "\n"))
	require.Equal(t, total, recv.received)
	for g, n := range sent {
		require.Equal(t, n, recv.next[g], "messages of sender %d", g)
	}
	require.NoError(t, a.RequestAck(ctx))
	require.Empty(t, a.Unacked())
	require.NoError(t, a.Err())
	require.NoError(t, b.Err())
	t.Logf("%s: %d goroutines sent %d messages (%.1f MB of body) in %v: %.0f msg/s; server acked all at %v; "+
		"B had all at %v: %.0f msg/s end to end; %d sends refused with ErrUnackedFull and retried",
		srv.Kind, loadSenders, total, float64(bytesSent.Load())/1e6, sendTime.Round(time.Millisecond),
		float64(total)/sendTime.Seconds(), acked.Round(time.Millisecond), received.Round(time.Millisecond),
		float64(total)/received.Seconds(), retries.Load())
}
