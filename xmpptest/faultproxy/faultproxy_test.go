package faultproxy

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

// timeout bounds every wait of a test; quiet is how long a read must stay
// without data to show that nothing is forwarded.
const (
	timeout = 10 * time.Second
	quiet   = 300 * time.Millisecond
)

// target is a TCP server on loopback whose accepted connections the test
// gets to read and write itself.
type target struct {
	ln    net.Listener
	conns chan net.Conn
	wg    sync.WaitGroup
}

func startTarget(t *testing.T) *target {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tg := &target{ln: ln, conns: make(chan net.Conn, 16)}
	tg.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			tg.conns <- c
		}
	})
	t.Cleanup(func() {
		ln.Close()
		tg.wg.Wait()
		close(tg.conns)
		for c := range tg.conns {
			c.Close()
		}
	})
	return tg
}

func (tg *target) addr() string { return tg.ln.Addr().String() }

// next returns the next connection the target accepted; it is closed when
// the test ends.
func (tg *target) next(t *testing.T) net.Conn {
	t.Helper()
	select {
	case c := <-tg.conns:
		t.Cleanup(func() { c.Close() })
		return c
	case <-time.After(timeout):
		t.Fatal("the target accepted no connection")
		return nil
	}
}

func startProxy(t *testing.T, target string) *Proxy {
	t.Helper()
	p, err := Start(target)
	if err != nil {
		t.Fatalf("Start(%s) error = %v", target, err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// connect opens a connection through p and returns both of its ends, once
// a round trip has proved the proxy forwards it.
func connect(t *testing.T, p *Proxy, tg *target) (client, server net.Conn) {
	t.Helper()
	client, err := net.DialTimeout("tcp", p.Addr(), timeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	server = tg.next(t)
	roundTrip(t, client, server)
	return client, server
}

// roundTrip sends a few bytes each way and checks they arrive.
func roundTrip(t *testing.T, client, server net.Conn) {
	t.Helper()
	transfer(t, client, server, []byte("ping"))
	transfer(t, server, client, []byte("pong"))
}

// transfer writes data to w and reads it back from r.
func transfer(t *testing.T, w, r net.Conn, data []byte) {
	t.Helper()
	if _, err := w.Write(data); err != nil {
		t.Fatalf("Write() error = %v", err)
	}
	got := make([]byte, len(data))
	r.SetReadDeadline(time.Now().Add(timeout))
	defer r.SetReadDeadline(time.Time{})
	if _, err := io.ReadFull(r, got); err != nil {
		t.Fatalf("ReadFull() error = %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("read %q, want %q", got, data)
	}
}

// readUntilError reads from c until an error and returns what it read and
// the error; it fails the test if that takes longer than timeout.
func readUntilError(t *testing.T, c net.Conn) ([]byte, error) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(timeout))
	var got []byte
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			if isTimeout(err) {
				t.Fatalf("no error within %v after %d bytes", timeout, len(got))
			}
			return got, err
		}
	}
}

// expectQuiet checks that nothing arrives on c for quiet: the read must end
// with its deadline, not with data, EOF or a reset.
func expectQuiet(t *testing.T, c net.Conn, what string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(quiet))
	defer c.SetReadDeadline(time.Time{})
	var b [1]byte
	n, err := c.Read(b[:])
	if !isTimeout(err) {
		t.Fatalf("%s: Read() = %d, %v; want a timeout, nothing forwarded", what, n, err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// isBroken reports whether err is what a reset connection gives.
func isBroken(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF)
}

func TestProxyForward(t *testing.T) {
	t.Parallel()
	tg := startTarget(t)
	p := startProxy(t, tg.addr())
	client, server := connect(t, p, tg)

	up, down := make([]byte, 1<<20), make([]byte, 1<<20)
	rand.Read(up)
	rand.Read(down)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Go(func() {
		_, err := client.Write(up)
		errs <- err
	})
	wg.Go(func() {
		_, err := server.Write(down)
		errs <- err
	})
	gotUp, gotDown := make([]byte, len(up)), make([]byte, len(down))
	var rerr [2]error
	wg.Go(func() {
		server.SetReadDeadline(time.Now().Add(timeout))
		_, rerr[0] = io.ReadFull(server, gotUp)
	})
	wg.Go(func() {
		client.SetReadDeadline(time.Now().Add(timeout))
		_, rerr[1] = io.ReadFull(client, gotDown)
	})
	wg.Wait()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("Write() error = %v", err)
		}
	}
	if rerr[0] != nil || rerr[1] != nil {
		t.Fatalf("ReadFull() errors = %v, %v", rerr[0], rerr[1])
	}
	if !bytes.Equal(gotUp, up) {
		t.Error("client→server: 1 MiB arrived changed")
	}
	if !bytes.Equal(gotDown, down) {
		t.Error("server→client: 1 MiB arrived changed")
	}

	// A half close is passed on: the server reads EOF and can still answer.
	client.(*net.TCPConn).CloseWrite()
	server.SetReadDeadline(time.Now().Add(timeout))
	if n, err := server.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("server Read() after the client's CloseWrite = %d, %v; want EOF", n, err)
	}
	transfer(t, server, client, []byte("after half close"))
	server.Close()
	client.SetReadDeadline(time.Now().Add(timeout))
	if n, err := client.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("client Read() after the server's Close = %d, %v; want EOF", n, err)
	}
	if got := p.Conns(); got != 1 {
		t.Errorf("Conns() = %d, want 1", got)
	}
	if got := p.Cuts(); got != 0 {
		t.Errorf("Cuts() = %d, want 0", got)
	}
}

func TestProxyReset(t *testing.T) {
	t.Parallel()
	tg := startTarget(t)
	p := startProxy(t, tg.addr())
	client, server := connect(t, p, tg)

	p.Reset()
	for name, c := range map[string]net.Conn{"client": client, "server": server} {
		_, err := readUntilError(t, c)
		if !isBroken(err) {
			t.Errorf("%s Read() after Reset error = %v, want ECONNRESET or EOF", name, err)
		}
	}
	if _, err := client.Write([]byte("x")); err == nil {
		// The first write after a reset may still succeed locally; the
		// next one cannot.
		if _, err := client.Write([]byte("x")); err == nil {
			t.Error("client Write() after Reset succeeded twice")
		}
	}
	if got := p.Cuts(); got != 1 {
		t.Errorf("Cuts() = %d, want 1", got)
	}

	// The proxy goes on forwarding new connections.
	connect(t, p, tg)
	if got := p.Conns(); got != 2 {
		t.Errorf("Conns() = %d, want 2", got)
	}
	if got := p.Cuts(); got != 1 {
		t.Errorf("Cuts() after a new connection = %d, want 1", got)
	}
}

func TestProxyBlackhole(t *testing.T) {
	t.Parallel()
	tg := startTarget(t)
	p := startProxy(t, tg.addr())
	client, server := connect(t, p, tg)

	p.Blackhole(0)
	if _, err := client.Write([]byte("into the void")); err != nil {
		t.Fatalf("client Write() error = %v", err)
	}
	if _, err := server.Write([]byte("into the void too")); err != nil {
		t.Fatalf("server Write() error = %v", err)
	}
	expectQuiet(t, server, "server")
	expectQuiet(t, client, "client")

	// The client gives up and closes: the server sees no FIN, and the
	// connection stays open on its side.
	client.Close()
	expectQuiet(t, server, "server after the client's Close")
	if got := p.Open(); got != 1 {
		t.Errorf("Open() after the client's Close = %d, want 1", got)
	}
	if got := p.Cuts(); got != 1 {
		t.Errorf("Cuts() = %d, want 1", got)
	}

	// A new connection is forwarded.
	connect(t, p, tg)

	// Once the server closes too, the blackholed connection is gone.
	server.Close()
	waitOpen(t, p, 1)
}

// waitOpen waits until p has n connections open.
func waitOpen(t *testing.T, p *Proxy, n int) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for p.Open() != n {
		if time.Now().After(deadline) {
			t.Fatalf("Open() = %d after %v, want %d", p.Open(), timeout, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestProxyBlackholeHold(t *testing.T) {
	t.Parallel()
	tg := startTarget(t)
	p := startProxy(t, tg.addr())
	client, server := connect(t, p, tg)

	p.Blackhole(200 * time.Millisecond)
	client.Write([]byte("lost"))
	// After the hold time both sides are reset; nothing arrived before.
	for name, c := range map[string]net.Conn{"client": client, "server": server} {
		got, err := readUntilError(t, c)
		if len(got) != 0 || !isBroken(err) {
			t.Errorf("%s read %q, %v; want nothing, then ECONNRESET or EOF", name, got, err)
		}
	}
	waitOpen(t, p, 0)
	connect(t, p, tg)
}

func TestProxyCutMidStanza(t *testing.T) {
	t.Parallel()
	for _, dir := range []Direction{ToClient, ToServer} {
		t.Run(dir.String(), func(t *testing.T) {
			t.Parallel()
			tg := startTarget(t)
			p := startProxy(t, tg.addr())
			client, server := connect(t, p, tg)
			src, dst := server, client
			if dir == ToServer {
				src, dst = client, server
			}

			p.CutMidStanza(dir)
			// Chunks smaller than CutMinSize pass, in both directions.
			small := []byte("<r xmlns='urn:xmpp:sm:3'/>")
			transfer(t, src, dst, small)
			transfer(t, dst, src, small)
			// So do big chunks in the other direction.
			other := bytes.Repeat([]byte("o"), 2*CutMinSize)
			transfer(t, dst, src, other)

			stanza := []byte("<message to='bob@localhost' id='cut'><body>" +
				string(bytes.Repeat([]byte("x"), 200)) + "</body></message>")
			if _, err := src.Write(stanza); err != nil {
				t.Fatalf("Write() error = %v", err)
			}
			got, err := readUntilError(t, dst)
			if !isBroken(err) {
				t.Errorf("Read() after the cut error = %v, want ECONNRESET or EOF", err)
			}
			if len(got) >= len(stanza) || !bytes.HasPrefix(stanza, got) {
				t.Fatalf("forwarded %q, want a strict prefix of %q", got, stanza)
			}
			if len(got) == 0 {
				t.Errorf("forwarded nothing of the cut chunk, want its first half")
			}
			t.Logf("forwarded %d of %d bytes, then %v", len(got), len(stanza), err)
			if _, err := readUntilError(t, src); !isBroken(err) {
				t.Errorf("sender's Read() after the cut error = %v, want ECONNRESET or EOF", err)
			}
			if got := p.Cuts(); got != 1 {
				t.Errorf("Cuts() = %d, want 1", got)
			}

			// A connection opened after the cut is not armed.
			c2, s2 := connect(t, p, tg)
			transfer(t, c2, s2, stanza)
			transfer(t, s2, c2, stanza)
			if got := p.Cuts(); got != 1 {
				t.Errorf("Cuts() after a new connection = %d, want 1", got)
			}
		})
	}
}

func TestProxyDialFailure(t *testing.T) {
	t.Parallel()
	// A port that was free a moment ago: nothing listens there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := startProxy(t, addr)
	// The reset may come before Dial returns.
	if c, err := net.DialTimeout("tcp", p.Addr(), timeout); err == nil {
		defer c.Close()
		if _, err := readUntilError(t, c); !isBroken(err) {
			t.Errorf("Read() through a proxy whose target refuses error = %v, want ECONNRESET or EOF", err)
		}
	} else if !isBroken(err) {
		t.Errorf("Dial() of a proxy whose target refuses error = %v, want ECONNRESET or success", err)
	}
	waitOpen(t, p, 0)
	if got := p.Conns(); got != 1 {
		t.Errorf("Conns() = %d, want 1", got)
	}
}

func TestProxyStartBadTarget(t *testing.T) {
	t.Parallel()
	if p, err := Start("no port"); err == nil {
		p.Close()
		t.Error(`Start("no port") error = nil, want an error`)
	}
}

// TestProxyCloseLeavesNoGoroutines is not parallel: it counts the
// goroutines of the whole process, which only stays still while the
// parallel tests wait.
func TestProxyCloseLeavesNoGoroutines(t *testing.T) {
	tg := startTarget(t)
	// The target's goroutine runs already; let the runtime settle.
	before := runtime.NumGoroutine()

	p, err := Start(tg.addr())
	if err != nil {
		t.Fatal(err)
	}
	// One connection forwarding, one blackholed, one reset, one cut
	// armed, one half closed, and one that never got a round trip.
	var clients []net.Conn
	for range 5 {
		c, s := connect(t, p, tg)
		clients = append(clients, c)
		_ = s
	}
	links := p.current()
	links[0].blackhole(0)
	links[1].count()
	links[1].abort()
	links[2].armed.Store(uint32(Both))
	clients[3].(*net.TCPConn).CloseWrite()
	late, err := net.DialTimeout("tcp", p.Addr(), timeout)
	if err != nil {
		t.Fatal(err)
	}
	defer late.Close()

	if err := p.Close(); err != nil {
		t.Fatalf("Close() error = %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close() error = %v", err)
	}
	if n := p.Open(); n != 0 {
		t.Errorf("Open() after Close = %d, want 0", n)
	}
	// Close waited for the proxy's goroutines; give them the moment they
	// need to be gone from the count after their last deferred call.
	deadline := time.Now().Add(timeout)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines after Close, %d before:\n%s", runtime.NumGoroutine(), before, buf)
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		t.Error("Dial() after Close succeeded")
	}
	for i, c := range clients {
		if _, err := readUntilError(t, c); err == nil || isTimeout(err) {
			t.Errorf("client %d Read() after Close error = %v", i, err)
		}
	}
}
