package interop_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/upload"
	"github.com/gojabber/xmpp/xmpptest"
)

// python is the interpreter that sees Debian's python3-slixmpp; a python3
// found on PATH may be another one (a pyenv shim, for instance).
const python = "/usr/bin/python3"

// Timeouts. Every wait in these tests is bounded by one of them.
const (
	loginTimeout = 30 * time.Second // our login, and the peer's until READY
	replyTimeout = 15 * time.Second // for one expected stanza
	peerTimeout  = 90 * time.Second // the peer process's whole life
)

var servers = []*xmpptest.Shared{
	{Kind: xmpptest.KindProsody},
	{Kind: xmpptest.KindEjabberd},
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, s := range servers {
		if err := s.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// forEachServer runs f in a parallel subtest per server kind.
func forEachServer(t *testing.T, f func(t *testing.T, srv *xmpptest.Server)) {
	t.Helper()
	requireSlixmpp(t)
	for _, s := range servers {
		t.Run(s.Kind, func(t *testing.T) {
			t.Parallel()
			f(t, s.Server(t))
		})
	}
}

var slixmppCheck = sync.OnceValue(func() error {
	out, err := exec.Command(python, "-c", "import slixmpp").CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s cannot import slixmpp (apt-get install python3-slixmpp, or make servers): %v\n%s", python, err, out)
	}
	return nil
})

// requireSlixmpp skips the test when slixmpp is missing, or fails it in CI.
func requireSlixmpp(t *testing.T) {
	t.Helper()
	if err := slixmppCheck(); err != nil {
		if ciSet() {
			t.Fatalf("%v\n(CI is set: a missing interop peer is a failure)", err)
		}
		t.Skipf("skipping: %v", err)
	}
}

// ciSet reports whether the environment variable CI is set, as xmpptest
// reads it: to anything but "" or a value strconv.ParseBool reads as false.
func ciSet() bool {
	ci := os.Getenv("CI")
	if ci == "" {
		return false
	}
	b, err := strconv.ParseBool(ci)
	return err != nil || b
}

var userSeq atomic.Int64

// addUser registers a fresh user named after role on srv, so that tests
// sharing a server (also with -count > 1) never share an account, and
// returns its bare JID and password.
func addUser(t *testing.T, srv *xmpptest.Server, role string) (jid, password string) {
	t.Helper()
	name := fmt.Sprintf("%s-%d", role, userSeq.Add(1))
	password = name + "-pass"
	ctx, cancel := context.WithTimeout(context.Background(), loginTimeout)
	defer cancel()
	if err := srv.AddUser(ctx, name, password); err != nil {
		t.Fatalf("AddUser(%s) = %v", name, err)
	}
	return srv.JID(name), password
}

// inbox collects the messages a client receives.
type inbox chan *xmpp.Message

// login dials srv as jid with our client; the session is closed at cleanup.
func login(t *testing.T, srv *xmpptest.Server, jid, password string, in inbox) *xmpp.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), loginTimeout)
	defer cancel()
	mux := xmpp.NewMux()
	mux.HandleMessage(func(_ xmpp.Session, m *xmpp.Message) {
		select {
		case in <- m:
		default:
			t.Errorf("inbox full, dropped message %q", m.Body)
		}
	})
	c, err := xmpp.Dial(ctx, jid, password, &xmpp.Options{
		Server:    srv.C2SAddr,
		TLSConfig: srv.TLSConfig(),
		Handler:   mux,
	})
	if err != nil {
		t.Fatalf("Dial(%s) = %v", jid, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// next returns the next message in the inbox that has a body, failing the
// test after replyTimeout.
func (in inbox) next(t *testing.T, c *xmpp.Client) *xmpp.Message {
	t.Helper()
	timer := time.NewTimer(replyTimeout)
	defer timer.Stop()
	for {
		select {
		case m := <-in:
			if m.Body == "" { // chat states and the like
				continue
			}
			return m
		case <-c.Done():
			t.Fatalf("session ended while waiting for a message: %v", c.Err())
		case <-timer.C:
			t.Fatalf("no message within %v", replyTimeout)
		}
	}
}

// peer is a running testdata/peer.py.
type peer struct {
	JID    xmpp.JID       // the peer's full JID, from its READY line
	lines  chan string    // stdout, line by line; closed at EOF
	stderr *lockedBuffer  // all of stderr
	stdin  io.WriteCloser // closing it asks the peer to log out
	exited chan struct{}  // closed when the process has been waited for
	err    error          // the process's exit status; read after exited
	cmd    *exec.Cmd      // the process
	cancel context.CancelFunc
}

// startPeer starts peer.py logged in as jid on srv, with mode and its
// arguments, and waits for its READY line. At cleanup the peer is asked to
// log out (stdin closed), killed if it has not exited within a few seconds,
// and waited for; its stderr is logged if the test failed.
func startPeer(t *testing.T, srv *xmpptest.Server, jid, password, mode string, args ...string) *peer {
	t.Helper()
	host, port, err := net.SplitHostPort(srv.C2SAddr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
	argv := append([]string{"testdata/peer.py", jid, password, host, port, srv.CAFile, mode}, args...)
	cmd := exec.CommandContext(ctx, python, argv...)
	cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1")
	cmd.WaitDelay = 5 * time.Second // bounds Wait after a kill
	p := &peer{
		lines:  make(chan string, 64),
		stderr: &lockedBuffer{},
		exited: make(chan struct{}),
		cmd:    cmd,
		cancel: cancel,
	}
	cmd.Stderr = p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting peer: %v", err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("peer %s %s ended: %v; stderr:\n%s", jid, mode, p.err, p.stderr)
		}
	})

	line := p.expect(t, "READY ", loginTimeout)
	if p.JID, err = xmpp.ParseJID(strings.TrimPrefix(line, "READY ")); err != nil {
		t.Fatalf("peer's READY line %q: %v", line, err)
	}
	return p
}

// expect waits up to d for a stdout line that begins with prefix and
// returns it; other lines are ignored.
func (p *peer) expect(t *testing.T, prefix string, d time.Duration) string {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				<-p.exited
				t.Fatalf("peer exited (%v) before printing %q; stderr:\n%s", p.err, prefix, p.stderr)
			}
			if strings.HasPrefix(line, prefix) {
				return line
			}
		case <-timer.C:
			t.Fatalf("peer printed no %q within %v; stderr:\n%s", prefix, d, p.stderr)
		}
	}
}

// wait waits up to d for the peer to exit and returns its exit status.
func (p *peer) wait(t *testing.T, d time.Duration) error {
	t.Helper()
	go func() {
		for range p.lines { // drain, so the reader goroutine can reach Wait
		}
	}()
	select {
	case <-p.exited:
		return p.err
	case <-time.After(d):
		t.Fatalf("peer still running after %v", d)
		return nil
	}
}

// stop asks the peer to log out, kills it after a grace period, and waits
// for it. It never blocks for more than a few seconds.
func (p *peer) stop() {
	p.stdin.Close()
	go func() {
		for range p.lines {
		}
	}()
	select {
	case <-p.exited:
	case <-time.After(3 * time.Second):
	}
	p.cancel() // kills the process if it still runs
	<-p.exited // bounded by cmd.WaitDelay
}

// lockedBuffer is a bytes.Buffer safe for the process's writes and the
// test's reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// trickyBodies are message bodies that a careless encoder or decoder on
// either side would alter. None holds a carriage return: we send it as
// &#13;, but on the way to slixmpp and back (Prosody 0.12 and ejabberd 23.01
// alike) "a\r\nb\rc" comes back as "a\nb\nc", XML end-of-line handling
// somewhere outside this library.
var trickyBodies = []string{
	`'"<>&`,
	`]]> &amp; &lt;b&gt; <![CDATA[x]]> <!-- no comment --> &#0; &unknown;`,
	"emoji 🦊 👩‍💻 🇫🇷 👍🏽",
	"CJK 漢字 かな カナ 한국어 𠜎",
	"line one\nline two\n\nline four",
	"  leading and trailing spaces, a\ttab  ",
	"RTL مرحبا بالعالم and combining e\u0301 vs \u00e9",
	"U+FFFD \ufffd, BMP edge \uffef, astral 𝄞",
	strings.Repeat("long body 0123456789 ", 1000),
}

// TestSlixmppEcho sends tricky bodies to a slixmpp peer that echoes them
// back with a prefix, and checks that every echo arrives intact and in
// order; then pings the peer (XEP-0199) with SendIQ.
func TestSlixmppEcho(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, srv *xmpptest.Server) {
		aliceJID, alicePass := addUser(t, srv, "alice")
		bobJID, bobPass := addUser(t, srv, "bob")
		in := make(inbox, 64)
		alice := login(t, srv, aliceJID, alicePass, in)
		const prefix = "echo: "
		bob := startPeer(t, srv, bobJID, bobPass, "echo", prefix)
		if got, want := bob.JID.Bare().String(), bobJID; got != want {
			t.Fatalf("peer bound %s, want a resource of %s", bob.JID, want)
		}

		ctx, cancel := context.WithTimeout(context.Background(), replyTimeout)
		defer cancel()
		for i, body := range trickyBodies {
			err := alice.Send(ctx, &xmpp.Message{
				Header: xmpp.Header{To: bob.JID, ID: fmt.Sprintf("echo-%d", i)}, Type: xmpp.MessageChat,
				Body: body,
			})
			if err != nil {
				t.Fatalf("Send(body %d) = %v", i, err)
			}
		}
		for i, body := range trickyBodies {
			m := in.next(t, alice)
			if m.From != bob.JID || m.Type != xmpp.MessageChat {
				t.Errorf("echo %d: from %s type %q, want from %s type chat", i, m.From, m.Type, bob.JID)
			}
			if got, want := m.Body, prefix+body; got != want {
				t.Errorf("echo %d: body = %q, want %q", i, got, want)
			}
		}

		ping, err := xmpp.MarshalElement(struct {
			XMLName xml.Name `xml:"urn:xmpp:ping ping"`
		}{})
		if err != nil {
			t.Fatal(err)
		}
		reply, err := alice.SendIQ(ctx, &xmpp.IQ{Header: xmpp.Header{To: bob.JID}, Type: xmpp.IQGet, Payload: ping})
		if err != nil {
			t.Fatalf("SendIQ(ping to %s) = %v", bob.JID, err)
		}
		if reply.Type != xmpp.IQResult || reply.From != bob.JID {
			t.Errorf("ping reply: type %q from %s, want result from %s", reply.Type, reply.From, bob.JID)
		}
	})
}

// sendBody is peer.py's send_body: the body of message i (1-based) of n in
// send mode.
func sendBody(i, n int) string {
	return fmt.Sprintf("%d/%d '\"<>& 🦊 漢字\nsecond line", i, n)
}

// TestSlixmppSends has a slixmpp peer send messages to our client and
// checks they arrive intact and in order, and that the peer exits cleanly.
func TestSlixmppSends(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, srv *xmpptest.Server) {
		aliceJID, alicePass := addUser(t, srv, "alice")
		bobJID, bobPass := addUser(t, srv, "bob")
		in := make(inbox, 64)
		alice := login(t, srv, aliceJID, alicePass, in)
		const n = 5
		bob := startPeer(t, srv, bobJID, bobPass, "send", alice.JID().String(), strconv.Itoa(n))
		for i := 1; i <= n; i++ {
			m := in.next(t, alice)
			if m.From != bob.JID || m.Type != xmpp.MessageChat || m.To != alice.JID() {
				t.Errorf("message %d: from %s to %s type %q, want from %s to %s type chat",
					i, m.From, m.To, m.Type, bob.JID, alice.JID())
			}
			if got, want := m.Body, sendBody(i, n); got != want {
				t.Errorf("message %d: body = %q, want %q", i, got, want)
			}
		}
		if err := bob.wait(t, replyTimeout); err != nil {
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				t.Fatalf("peer exit status %d, want 0; stderr:\n%s", exit.ExitCode(), bob.stderr)
			}
			t.Fatalf("peer: %v", err)
		}
	})
}

// TestSlixmppReceivesFile sends a file with upload.SendFile (XEP-0363
// upload, then a chat message whose body is the URL, with an XEP-0066
// jabber:x:oob element) to a slixmpp peer, which recognises the link with
// its xep_0066 plugin and fetches the file over HTTPS, verified against the
// server's CA; the bytes it got must be the ones uploaded.
func TestSlixmppReceivesFile(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, srv *xmpptest.Server) {
		aliceJID, alicePass := addUser(t, srv, "alice")
		bobJID, bobPass := addUser(t, srv, "bob")
		alice := login(t, srv, aliceJID, alicePass, make(inbox, 64))
		bob := startPeer(t, srv, bobJID, bobPass, "fetch")

		data := make([]byte, 100<<10)
		rand.Read(data)
		ctx, cancel := context.WithTimeout(context.Background(), replyTimeout)
		defer cancel()
		f := upload.File{Name: "interop.bin", Size: int64(len(data)), ContentType: "application/octet-stream"}
		if _, err := upload.SendFile(ctx, alice, bob.JID, f, bytes.NewReader(data), nil); err != nil {
			t.Fatalf("SendFile(to %s) = %v", bob.JID, err)
		}
		sum := sha256.Sum256(data)
		want := fmt.Sprintf("FETCHED 1 %d %x", len(data), sum)
		if got := bob.expect(t, "FETCH", replyTimeout); got != want {
			t.Fatalf("peer printed %q, want %q", got, want)
		}
	})
}
