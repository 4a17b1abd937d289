package xmpp_test

// Hostile-server tests (issue 5, item 5): a server that sends what RFC 6120
// forbids, or sends it in a way meant to exhaust the client, must end the
// session with a typed error (a *xmpp.StreamError with the right condition),
// or have its input ignored where the library documents that, and never
// panic, hang, hold unbounded memory or leak goroutines.
//
// The cases measure the heap and count goroutines, so they do not call
// t.Parallel: they run one at a time as subtests of TestHostileServer, and Go
// runs the package's parallel tests only after the sequential ones.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

const (
	hostileJID = "alice@example.test/hostile"
	// hostileWait bounds every wait of these tests.
	hostileWait = 5 * time.Second
	// peakHeapCeiling bounds the heap growth while a case runs, garbage
	// included: what a client may hold for one stanza (256 KiB by default)
	// plus the garbage a GC cycle lets pile up. A client that buffered the
	// 100 MB stanza, or expanded an entity, would go far beyond.
	peakHeapCeiling = 8 << 20
	// liveHeapCeiling bounds what is still reachable after the case, after
	// a GC, with the client not yet closed.
	liveHeapCeiling = 2 << 20
)

// heapProbe samples the heap while a case runs.
type heapProbe struct {
	base uint64
	peak atomic.Uint64
	stop chan struct{}
	done chan struct{}
}

// heapBytes is the size of the heap objects, live or not yet swept. Reading
// it does not stop the world.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func startHeapProbe() *heapProbe {
	p := &heapProbe{base: liveHeap(), stop: make(chan struct{}), done: make(chan struct{})}
	p.peak.Store(p.base)
	go func() {
		defer close(p.done)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			if h := heapBytes(); h > p.peak.Load() {
				p.peak.Store(h)
			}
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

// check stops the probe and fails the test if the heap grew too much;
// keep is what must stay alive during the final measurement.
func (p *heapProbe) check(t *testing.T, keep any) {
	t.Helper()
	close(p.stop)
	<-p.done
	live := liveHeap()
	runtime.KeepAlive(keep)
	peak := sat(p.peak.Load(), p.base)
	grown := sat(live, p.base)
	t.Logf("heap: base %d KiB, peak growth %d KiB, live growth %d KiB", p.base>>10, peak>>10, grown>>10)
	if peak > peakHeapCeiling {
		t.Errorf("heap grew by %d KiB during the case, want < %d KiB", peak>>10, peakHeapCeiling>>10)
	}
	if grown > liveHeapCeiling {
		t.Errorf("live heap grew by %d KiB, want < %d KiB", grown>>10, liveHeapCeiling>>10)
	}
}

func sat(a, b uint64) uint64 {
	if a < b {
		return 0
	}
	return a - b
}

// checkGoroutines fails the test unless the goroutine count comes back to
// base within hostileWait. It polls: goroutines exit asynchronously.
func checkGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(hostileWait)
	n := runtime.NumGoroutine()
	for n > base && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	t.Logf("goroutines: base %d, after Close %d", base, n)
	if n > base {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Errorf("goroutine leak: %d goroutines after Close, want <= %d\n%s", n, base, buf)
	}
}

// waitDone waits for the session to end and returns its cause.
func waitDone(t *testing.T, c *xmpp.Client) error {
	t.Helper()
	select {
	case <-c.Done():
		return c.Err()
	case <-time.After(hostileWait):
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("session still running %v after the hostile input\n%s", hostileWait, buf)
		return nil
	}
}

// wantStreamError checks that err holds a *xmpp.StreamError with condition
// cond, found by the client itself (Offset >= 0), and returns it.
func wantStreamError(t *testing.T, err error, cond xmpp.StreamCondition) *xmpp.StreamError {
	t.Helper()
	se, ok := errors.AsType[*xmpp.StreamError](err)
	if !ok {
		t.Fatalf("session ended with %v (%T), want a *xmpp.StreamError %s", err, err, cond)
	}
	if se.Condition != cond {
		t.Fatalf("StreamError.Condition = %q (%v), want %q", se.Condition, err, cond)
	}
	if se.Offset < 0 {
		t.Errorf("StreamError.Offset = %d: taken for one the server sent, want the client's own", se.Offset)
	}
	return se
}

// hostileCase runs one case against a fresh fake session: run sends the
// hostile input and returns the session's cause, which check examines. It
// then closes both ends and checks the heap and the goroutines. Handlers
// that run fail the test: nothing of the hostile input may reach the app.
func hostileCase(t *testing.T, run func(t *testing.T, c *xmpp.Client, s *fake.Server) error, check func(t *testing.T, err error)) {
	t.Helper()
	hostileCaseWith(t, nil, run, check)
}

// hostileCaseWith is hostileCase with options for the client (nil for the
// defaults); its handlers are replaced.
func hostileCaseWith(t *testing.T, o *xmpp.Options, run func(t *testing.T, c *xmpp.Client, s *fake.Server) error, check func(t *testing.T, err error)) {
	t.Helper()
	base := runtime.NumGoroutine()
	var delivered atomic.Int32
	var opts xmpp.Options
	if o != nil {
		opts = *o
	}
	opts.Handler = funcHandler{onMessage: func(*xmpp.Client, *xmpp.Message) { delivered.Add(1) },
		onPresence: func(*xmpp.Client, *xmpp.Presence) { delivered.Add(1) }}
	c, s := fake.Start(t, hostileJID, &opts)
	probe := startHeapProbe()
	err := run(t, c, s)
	probe.check(t, c)
	check(t, err)
	if n := delivered.Load(); n != 0 {
		t.Errorf("%d stanzas of the hostile input reached the handlers", n)
	}
	closeBoth(t, c, s)
	checkGoroutines(t, base)
}

func closeBoth(t *testing.T, c *xmpp.Client, s *fake.Server) {
	t.Helper()
	start := time.Now()
	if err := c.Close(); err != nil {
		t.Errorf("Close() = %v, want nil", err)
	}
	d := time.Since(start)
	t.Logf("Close took %v", d)
	if d > 3*time.Second {
		t.Errorf("Close took %v, want < 3s", d)
	}
	s.Close()
}

// sendAll sends each piece in turn; it is the run of most cases.
func sendAll(pieces ...string) func(t *testing.T, c *xmpp.Client, s *fake.Server) error {
	return func(t *testing.T, c *xmpp.Client, s *fake.Server) error {
		for _, p := range pieces {
			select {
			case <-c.Done():
			default:
				s.Send(p)
			}
		}
		return waitDone(t, c)
	}
}

func wantCondition(cond xmpp.StreamCondition) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		wantStreamError(t, err, cond)
	}
}

// streamGen writes a stanza of up to total bytes, made on the fly from a
// head and a repeated unit, in chunks, until the session ends, and returns
// the session's cause. Once the client has closed the pipe, fake.Server.Send
// drops what it is given, so the writer stops on its own.
func streamGen(t *testing.T, c *xmpp.Client, s *fake.Server, head, unit string, total int) error {
	t.Helper()
	s.Send(head)
	sent := len(head)
	chunk := strings.Repeat(unit, 16<<10/len(unit))
	for sent < total {
		select {
		case <-c.Done():
			return c.Err()
		default:
		}
		s.Send(chunk)
		sent += len(chunk)
	}
	return waitDone(t, c)
}

// recvCounter is an Options.DebugWriter that counts the bytes the client
// read from the (decrypted) connection: each read is one "RECV: " line.
type recvCounter struct{ n atomic.Int64 }

func (r *recvCounter) Write(p []byte) (int, error) {
	if line, ok := bytes.CutPrefix(p, []byte("RECV: ")); ok {
		r.n.Add(int64(len(line) - 1)) // the newline
	}
	return len(p), nil
}

// billionLaughs is the DTD of the billion laughs attack: &lol9; expands to
// 10^9 "lol".
func billionLaughs() string {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE lolz [<!ENTITY lol "lol">`)
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, `<!ENTITY lol%d "`, i)
		prev := "lol"
		if i > 1 {
			prev = fmt.Sprintf("lol%d", i-1)
		}
		for range 10 {
			b.WriteString("&" + prev + ";")
		}
		b.WriteString(`">`)
	}
	b.WriteString(`]>`)
	return b.String()
}

func TestHostileServer(t *testing.T) {
	// RFC 6120 §11.1: a DTD is restricted XML, so its entities are never
	// declared and never expanded, wherever it appears. Mid-stream, a
	// <!DOCTYPE> before a stanza ends the session with restricted-xml
	// (§4.9.3.18) before the stanza that uses the entity is read.
	t.Run("BillionLaughsMidStream", func(t *testing.T) {
		hostileCase(t, sendAll(billionLaughs()+`<message><body>&lol9;</body></message>`), wantCondition(xmpp.CondRestrictedXML))
	})
	// §11.1 again: the DTD inside a stanza is no better.
	t.Run("BillionLaughsInStanza", func(t *testing.T) {
		hostileCase(t, sendAll(`<message><body>`+billionLaughs()+`&lol9;</body></message>`), wantCondition(xmpp.CondRestrictedXML))
	})
	// §11.1: an entity reference other than the five predefined ones is
	// restricted XML, even when it was never declared: it is not looked up,
	// and nothing is read from disk: no handler sees the stanza.
	t.Run("ExternalEntityUse", func(t *testing.T) {
		hostileCase(t, sendAll(`<message><body>&e;</body></message>`), wantCondition(xmpp.CondRestrictedXML))
	})
	// §11.1: the DTD that would declare the external entity.
	t.Run("ExternalEntityDTD", func(t *testing.T) {
		hostileCase(t, sendAll(`<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>`, `<message><body>&e;</body></message>`), wantCondition(xmpp.CondRestrictedXML))
	})
	// §11.1: comments are restricted XML, also in the middle of a stanza.
	t.Run("CommentInStanza", func(t *testing.T) {
		hostileCase(t, sendAll(`<message><body>a<!-- hidden -->b</body></message>`), wantCondition(xmpp.CondRestrictedXML))
	})
	// §11.1: so are processing instructions.
	t.Run("ProcessingInstructionInStanza", func(t *testing.T) {
		hostileCase(t, sendAll(`<message><?evil payload?><body>b</body></message>`), wantCondition(xmpp.CondRestrictedXML))
	})
	// §11.1 forbids a second XML declaration too: it is a processing
	// instruction in the middle of the stream.
	t.Run("XMLDeclarationMidStream", func(t *testing.T) {
		hostileCase(t, sendAll(`<?xml version='1.0'?><message><body>b</body></message>`), wantCondition(xmpp.CondRestrictedXML))
	})
	// §4.9.3.12 policy-violation, §13.12 (resource exhaustion): a stanza
	// bigger than MaxStanzaSize ends the session once the limit is passed,
	// without buffering the rest. The server offers 100 MB; the client
	// must stop reading after about 256 KiB.
	t.Run("HugeStanza", func(t *testing.T) {
		const total = 100 << 20
		rc := new(recvCounter)
		hostileCaseWith(t, &xmpp.Options{DebugWriter: rc}, func(t *testing.T, c *xmpp.Client, s *fake.Server) error {
			rc.n.Store(0)
			return streamGen(t, c, s, `<message><body>`, "0123456789abcdef", total)
		}, func(t *testing.T, err error) {
			wantStreamError(t, err, xmpp.CondPolicyViolation)
			read := rc.n.Load()
			t.Logf("the client read %d KiB of the %d MiB stanza", read>>10, total>>20)
			// The buffer is capped at the limit plus 1 KiB; a read may
			// bring in up to one more TLS record.
			const limit = 256 << 10
			if read > limit+32<<10 {
				t.Errorf("the client read %d KiB of a %d KiB limit before failing", read>>10, limit>>10)
			}
		})
	})
	// §4.9.3.12 policy-violation: nesting deeper than MaxDepth (64). The
	// server offers 100,000 levels; the tokenizer keeps no per-level stack
	// frames, so the goroutine stack does not grow either.
	t.Run("DeepNesting", func(t *testing.T) {
		rc := new(recvCounter)
		hostileCaseWith(t, &xmpp.Options{DebugWriter: rc}, func(t *testing.T, c *xmpp.Client, s *fake.Server) error {
			rc.n.Store(0)
			return streamGen(t, c, s, `<message>`, `<a>`, 100000*len(`<a>`))
		}, func(t *testing.T, err error) {
			wantStreamError(t, err, xmpp.CondPolicyViolation)
			read := rc.n.Load()
			t.Logf("the client read %d KiB of 100,000 levels", read>>10)
			if read > 64<<10 {
				t.Errorf("the client read %d KiB of nesting before failing", read>>10)
			}
		})
	})
	// §4.9.3.12 policy-violation: more than MaxAttrs (64) attributes on one
	// element; the server offers 100,000.
	t.Run("AttributeFlood", func(t *testing.T) {
		rc := new(recvCounter)
		hostileCaseWith(t, &xmpp.Options{DebugWriter: rc}, func(t *testing.T, c *xmpp.Client, s *fake.Server) error {
			rc.n.Store(0)
			s.Send(`<message`)
			for i := 0; i < 100000; i += 1000 {
				select {
				case <-c.Done():
					return c.Err()
				default:
				}
				var b strings.Builder
				for j := i; j < i+1000; j++ {
					fmt.Fprintf(&b, " a%d='x'", j)
				}
				s.Send(b.String())
			}
			return waitDone(t, c)
		}, func(t *testing.T, err error) {
			wantStreamError(t, err, xmpp.CondPolicyViolation)
			read := rc.n.Load()
			t.Logf("the client read %d KiB of 100,000 attributes", read>>10)
			if read > 64<<10 {
				t.Errorf("the client read %d KiB of attributes before failing", read>>10)
			}
		})
	})
	// RFC 6120 §11.6 (UTF-8 only) and §4.9.3.13: bytes that are not UTF-8 are
	// not-well-formed XML, in text and in attribute values alike.
	t.Run("InvalidUTF8Text", func(t *testing.T) {
		hostileCase(t, sendAll("<message><body>ab\xff\xfecd</body></message>"), wantCondition(xmpp.CondNotWellFormed))
	})
	t.Run("InvalidUTF8Attr", func(t *testing.T) {
		hostileCase(t, sendAll("<message id='a\xc0\x80b'><body>x</body></message>"), wantCondition(xmpp.CondNotWellFormed))
	})
	t.Run("InvalidUTF8Surrogate", func(t *testing.T) {
		// CESU-8 style surrogate half U+D800.
		hostileCase(t, sendAll("<message><body>\xed\xa0\x80</body></message>"), wantCondition(xmpp.CondNotWellFormed))
	})
	// RFC 6120 §4.4: after </stream:stream> the stream is over; whatever
	// follows is not parsed. The session ends with the clean-close cause
	// (wrapping io.EOF), not with an error about the garbage.
	t.Run("GarbageAfterStreamEnd", func(t *testing.T) {
		hostileCase(t, sendAll("</stream:stream><<garbage &bogus; \xff\xfe<!DOCTYPE x><message><body>late</body></message>"),
			func(t *testing.T, err error) {
				if !errors.Is(err, io.EOF) {
					t.Errorf("session ended with %v, want an error wrapping io.EOF", err)
				}
				if se, ok := errors.AsType[*xmpp.StreamError](err); ok {
					t.Errorf("the garbage after </stream:stream> was parsed: %v", se)
				}
			})
	})
	// RFC 6120 §4.4, §4.9.3.13: the stream's end tag inside an open stanza
	// does not match it: not-well-formed, and the half stanza is dropped.
	t.Run("StreamEndMidStanza", func(t *testing.T) {
		hostileCase(t, sendAll(`<message><body>hal`, `</stream:stream>`), wantCondition(xmpp.CondNotWellFormed))
	})
	// RFC 6120 §4.9: a <stream:error/> is one only as a child of the stream
	// root. Inside a stanza it is just a child element, so its condition
	// (conflict) must not be reported; the end tag that follows is
	// not-well-formed.
	t.Run("StreamErrorMidStanza", func(t *testing.T) {
		hostileCase(t, sendAll(`<message><body>hal`,
			`<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>`,
			`</stream:stream>`), wantCondition(xmpp.CondNotWellFormed))
	})
	// RFC 6120 §4.9.1.3 / §4.9.3.13: the stream closed below the XML while a
	// stanza is open. The cause is the transport's (unexpected EOF), and the
	// session ends.
	t.Run("ConnectionDropMidStanza", func(t *testing.T) {
		hostileCase(t, func(t *testing.T, c *xmpp.Client, s *fake.Server) error {
			s.Send(`<message><body>hal`)
			go s.Close() // writes </stream:stream>: not-well-formed
			return waitDone(t, c)
		}, func(t *testing.T, err error) {
			if _, ok := errors.AsType[*xmpp.StreamError](err); !ok && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("session ended with %v, want a *xmpp.StreamError or io.ErrUnexpectedEOF", err)
			}
		})
	})
	// RFC 6120 §13.12 (denial of service): a stanza that trickles in, one
	// byte every 10 ms. The client holds only what it got, its writer is
	// not blocked by the reader (Send and SendIQ work meanwhile), and Close
	// returns promptly with the stanza still incomplete.
	t.Run("Slowloris", func(t *testing.T) {
		testSlowloris(t)
	})
	// RFC 6120 §13.12: a flood of small stanzas does not pile up in memory
	// when the handler keeps up; the handler queue is bounded.
	t.Run("PresenceFlood", func(t *testing.T) {
		testPresenceFlood(t)
	})
}

func testSlowloris(t *testing.T) {
	base := runtime.NumGoroutine()
	var got atomic.Int32
	c, s := fake.Start(t, hostileJID, &xmpp.Options{
		Handler: funcHandler{onMessage: func(_ *xmpp.Client, m *xmpp.Message) {
			if m.Body == "slow" {
				got.Add(1)
			}
		}},
	})
	probe := startHeapProbe()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	trickle := func(raw string) {
		for i := 0; i < len(raw); i++ {
			select {
			case <-tick.C:
			case <-c.Done():
				t.Fatalf("session ended during the trickle: %v", c.Err())
			}
			s.Send(raw[i : i+1])
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), hostileWait)
	defer cancel()

	// Half a stanza, then the app writes while the reader waits for the
	// rest.
	first := `<message from='bob@example.test/x'><body>slow</body></message>`
	trickle(first[:len(first)/2])
	if err := c.Send(ctx, &xmpp.Message{Header: xmpp.Header{To: mustJID(t, "bob@example.test")}, Body: "meanwhile"}); err != nil {
		t.Fatalf("Send during a slow stanza = %v, want nil", err)
	}
	s.Expect(ctx, func(v any) bool { m, ok := v.(*xmpp.Message); return ok && m.Body == "meanwhile" })
	type result struct {
		iq  *xmpp.IQ
		err error
	}
	res := make(chan result, 1)
	go func() {
		iq, err := c.SendIQ(ctx, &xmpp.IQ{Header: xmpp.Header{To: mustJID(t, "example.test")}, Type: xmpp.IQGet,
			Payload: xmpp.Element{Raw: `<ping xmlns='urn:xmpp:ping'/>`}})
		res <- result{iq, err}
	}()
	req := s.ExpectIQ(ctx, xmpp.IQGet, "urn:xmpp:ping", "ping")
	// The request went out while the stanza was half read; the reply can
	// only follow the stanza.
	trickle(first[len(first)/2:])
	s.Send(fake.Result(req, ""))
	select {
	case r := <-res:
		if r.err != nil {
			t.Fatalf("SendIQ during a slow stanza = %v, want nil", r.err)
		}
	case <-ctx.Done():
		t.Fatal("SendIQ did not return")
	}

	// Another stanza that never completes, then Close.
	trickle(`<message from='bob@example.test/x'><body>never ending`)
	probe.check(t, c)
	closeBoth(t, c, s)
	if got.Load() != 1 {
		t.Errorf("OnMessage got %d complete slow stanzas, want 1", got.Load())
	}
	checkGoroutines(t, base)
}

func testPresenceFlood(t *testing.T) {
	base := runtime.NumGoroutine()
	const n = 10000
	var got atomic.Int32
	all := make(chan struct{})
	c, s := fake.Start(t, hostileJID, &xmpp.Options{
		Handler: funcHandler{onPresence: func(*xmpp.Client, *xmpp.Presence) {
			if got.Add(1) == n {
				close(all)
			}
		}},
	})
	probe := startHeapProbe()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "<presence from='u%d@example.test/r'><status>here</status></presence>", i)
		if b.Len() > 32<<10 || i == n-1 {
			s.Send(b.String())
			b.Reset()
		}
	}
	select {
	case <-all:
	case <-time.After(hostileWait):
		t.Fatalf("handler got %d of %d presences", got.Load(), n)
	}
	probe.check(t, c)
	closeBoth(t, c, s)
	checkGoroutines(t, base)
}

func mustJID(t *testing.T, s string) xmpp.JID {
	t.Helper()
	j, err := xmpp.ParseJID(s)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// preLoginServer plays a server over loopback TCP that a test scripts before
// any login: script gets the server end of the pipe, already past reading
// the client's first stream header, and a tee of every byte the client
// wrote in plaintext. The client end is returned.
func preLoginServer(t *testing.T, script func(conn net.Conn, dec *xmpp.Decoder)) (net.Conn, *lockedBuffer) {
	t.Helper()
	// Loopback TCP, not net.Pipe: a TLS peer that rejects the handshake
	// writes an alert while the server is still writing its flight, which
	// deadlocks on an unbuffered pipe.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ln.Accept()
	if err != nil {
		cc.Close()
		t.Fatal(err)
	}
	seen := new(lockedBuffer)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer sc.Close()
		sc.SetDeadline(time.Now().Add(hostileWait))
		dec := xmpp.NewDecoder(io.TeeReader(sc, seen))
		if _, err := dec.Header(); err != nil {
			t.Errorf("server: reading the client's header: %v", err)
			return
		}
		script(sc, dec)
		// Drain until the client hangs up, so that its writes never block.
		io.Copy(seen, sc)
	}()
	t.Cleanup(func() {
		cc.Close()
		<-done
	})
	return cc, seen
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

const serverHeader = `<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='example.test' id='h' version='1.0'>`

// TestHostileServerPreLogin covers hostile input before the session
// exists: NewClient must fail with a typed error, send no credentials, and
// leave no goroutine behind.
func TestHostileServerPreLogin(t *testing.T) {
	// RFC 6120 §11.1: a DTD is restricted XML also before the stream
	// header, where an XML parser would be most willing to take one. The
	// billion laughs never expand: restricted-xml.
	t.Run("BillionLaughsBeforeHeader", func(t *testing.T) {
		runPreLogin(t, func(conn net.Conn, _ *xmpp.Decoder) {
			io.WriteString(conn, "<?xml version='1.0'?>"+billionLaughs()+serverHeader)
		}, nil, func(t *testing.T, err error) {
			wantStreamError(t, err, xmpp.CondRestrictedXML)
		})
	})
	// §11.1: the same in the stream features, i.e. mid-stream before login.
	t.Run("ExternalEntityInFeatures", func(t *testing.T) {
		runPreLogin(t, func(conn net.Conn, _ *xmpp.Decoder) {
			io.WriteString(conn, "<?xml version='1.0'?>"+serverHeader+
				`<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><stream:features>&e;</stream:features>`)
		}, nil, func(t *testing.T, err error) {
			wantStreamError(t, err, xmpp.CondRestrictedXML)
		})
	})
	// RFC 6120 §13.7.2.1 and §5.4.3.1 (via RFC 6125): the server's
	// certificate must be valid for the JID's domain. One for evil.test,
	// issued by a CA the client trusts, fails the handshake with an
	// x509.HostnameError, before SASL: no credentials leave the client.
	t.Run("CertificateForAnotherDomain", func(t *testing.T) {
		pool, cert := evilCert(t)
		runPreLogin(t, func(conn net.Conn, dec *xmpp.Decoder) {
			io.WriteString(conn, "<?xml version='1.0'?>"+serverHeader+
				`<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>`+
				`<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>`)
			if _, err := dec.Next(); err != nil {
				t.Errorf("server: reading <starttls/>: %v", err)
				return
			}
			io.WriteString(conn, `<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`)
			tc := tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{cert}})
			if err := tc.Handshake(); err != nil {
				t.Logf("server handshake: %v", err)
			} else {
				t.Error("server: TLS handshake with a certificate for evil.test succeeded")
			}
		}, &tls.Config{RootCAs: pool}, func(t *testing.T, err error) {
			var he x509.HostnameError
			if !errors.As(err, &he) {
				t.Fatalf("NewClient = %v, want an x509.HostnameError", err)
			}
			if he.Host != "example.test" {
				t.Errorf("HostnameError.Host = %q, want example.test", he.Host)
			}
		})
	})
}

const hostilePassword = "hostile-secret"

// runPreLogin runs NewClient against a preLoginServer and checks its error,
// that the password never went out in plaintext, and that no goroutine is
// left.
func runPreLogin(t *testing.T, script func(net.Conn, *xmpp.Decoder), cfg *tls.Config, check func(t *testing.T, err error)) {
	t.Helper()
	base := runtime.NumGoroutine()
	probe := startHeapProbe()
	conn, seen := preLoginServer(t, script)
	ctx, cancel := context.WithTimeout(t.Context(), hostileWait)
	defer cancel()
	c, err := xmpp.NewClient(ctx, conn, "alice@example.test", hostilePassword, &xmpp.Options{TLSConfig: cfg})
	if err == nil {
		c.Close()
		t.Fatal("NewClient succeeded against a hostile server")
	}
	probe.check(t, nil)
	check(t, err)
	// NewClient closed conn on error; the server drains until then.
	if got := seen.String(); strings.Contains(got, "<auth") || strings.Contains(got, hostilePassword) {
		t.Errorf("the client sent credentials: %q", got)
	}
	checkGoroutines(t, base)
}

// evilCert returns a CA pool and a certificate it issued for evil.test.
func evilCert(t *testing.T) (*x509.CertPool, tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "hostile test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "evil.test"},
		DNSNames:     []string{"evil.test"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
