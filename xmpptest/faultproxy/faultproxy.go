package faultproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// CutMinSize is the smallest chunk that CutMidStanza cuts: smaller chunks
// pass whole while a cut is armed.
const CutMinSize = 64

// dialTimeout bounds the connection to the target for each accepted
// connection.
const dialTimeout = 10 * time.Second

// bufSize is the size of each direction's copy buffer.
const bufSize = 32 << 10

// Direction selects the direction of traffic a cut applies to.
type Direction uint8

// Directions, which may be combined with |.
const (
	// ToServer is the traffic from the connecting client to the target.
	ToServer Direction = 1 << iota
	// ToClient is the traffic from the target to the connecting client.
	ToClient
	// Both is the traffic in either direction.
	Both = ToServer | ToClient
)

func (d Direction) String() string {
	switch d {
	case ToServer:
		return "client→server"
	case ToClient:
		return "server→client"
	case Both:
		return "both"
	}
	return fmt.Sprintf("Direction(%d)", uint8(d))
}

// Proxy forwards the TCP connections it accepts on 127.0.0.1 to one target
// and breaks them on command. Start creates one; Close stops it.
type Proxy struct {
	target string
	ln     net.Listener
	ctx    context.Context // ends with Close; bounds dialing the target
	cancel context.CancelFunc
	wg     sync.WaitGroup // the accept loop and every link's goroutines

	conns atomic.Int64 // connections accepted
	cuts  atomic.Int64 // connections cut by a fault

	mu     sync.Mutex // guards links and closed; never held across I/O
	links  map[*link]struct{}
	closed bool
}

// Start starts a Proxy that listens on 127.0.0.1 on a free port and
// forwards every connection it accepts to target, a host:port. The target
// is dialled anew for each accepted connection; if that fails, the accepted
// connection is closed.
func Start(target string) (*Proxy, error) {
	if _, _, err := net.SplitHostPort(target); err != nil {
		return nil, fmt.Errorf("faultproxy: bad target: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Proxy{
		target: target,
		ln:     ln,
		ctx:    ctx,
		cancel: cancel,
		links:  make(map[*link]struct{}),
	}
	p.wg.Go(p.accept)
	return p, nil
}

// Addr returns the address the proxy listens on, "127.0.0.1:port".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Conns returns how many connections the proxy has accepted so far.
func (p *Proxy) Conns() int { return int(p.conns.Load()) }

// Cuts returns how many connections a fault (Reset, Blackhole or an armed
// CutMidStanza) has broken so far; each connection counts once.
func (p *Proxy) Cuts() int { return int(p.cuts.Load()) }

// Open returns how many accepted connections are still open: those being
// connected to the target, and those forwarding or blackholed whose two
// sides are not both closed yet. Once a peer has closed its side of a
// blackholed connection, only the other peer's close (or Close, or the
// blackhole's hold time) ends it; Open thus shows whether a peer closed a
// connection whose close the blackhole hid from the other.
func (p *Proxy) Open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.links)
}

// Close stops listening, aborts every connection open through the proxy
// (with RST) and waits for the proxy's goroutines to exit. It is idempotent
// and returns nil.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.wg.Wait()
		return nil
	}
	p.closed = true
	links := p.snapshot()
	p.mu.Unlock()
	p.cancel()
	p.ln.Close()
	for _, l := range links {
		l.abort()
	}
	p.wg.Wait()
	return nil
}

// Reset aborts every connection open through the proxy: both sides are
// closed with a TCP RST (SO_LINGER 0), so each peer's next read or write
// fails with ECONNRESET (or, for a read, io.EOF on some systems), and
// whatever the proxy had read but not yet forwarded is lost.
func (p *Proxy) Reset() {
	for _, l := range p.current() {
		l.count()
		l.abort()
	}
}

// Blackhole silently stops forwarding on every connection open through the
// proxy, in both directions, without closing either socket: neither peer
// gets a FIN or RST, and each notices only through its own timeouts. Data
// arriving from either side is read and thrown away, and a peer's FIN or
// RST is not passed on. If hold is positive, the blackholed connections are
// aborted with RST after hold, as when a dead path comes back and each
// peer's next packet meets a connection the other no longer knows;
// otherwise they stay until Close, or until both peers have closed them.
func (p *Proxy) Blackhole(hold time.Duration) {
	for _, l := range p.current() {
		l.count()
		l.blackhole(hold)
	}
}

// CutMidStanza arms a cut on every connection open through the proxy: the
// next chunk of at least CutMinSize bytes that the proxy reads from either
// side, in one of the directions dir, is forwarded only up to its first half
// (a strict, non-empty prefix), and the connection is then aborted on both
// sides with RST. Smaller chunks are forwarded whole until then. With TLS,
// that cut is inside a TLS record and so inside the stanza it carries; see
// the package documentation. A connection that never carries such a chunk
// is never cut.
func (p *Proxy) CutMidStanza(dir Direction) {
	for _, l := range p.current() {
		l.armed.Or(uint32(dir & Both))
	}
}

// current returns the links open now.
func (p *Proxy) current() []*link {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.snapshot()
}

// snapshot returns the links; p.mu must be held.
func (p *Proxy) snapshot() []*link {
	links := make([]*link, 0, len(p.links))
	for l := range p.links {
		links = append(links, l)
	}
	return links
}

// accept is the accept loop; it exits when the listener is closed.
func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors or a connection aborted before
			// Accept: wait a little and go on, unless closed meanwhile.
			select {
			case <-p.ctx.Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		p.conns.Add(1)
		l := &link{p: p, client: c.(*net.TCPConn)}
		if !p.add(l) {
			abortConn(l.client)
			continue
		}
		p.wg.Go(l.run)
	}
}

// add registers a link; it reports false once the proxy is closed.
func (p *Proxy) add(l *link) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.links[l] = struct{}{}
	return true
}

func (p *Proxy) remove(l *link) {
	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
}

// link is one proxied connection: the accepted client side and the dialled
// server side, with one goroutine copying each way.
type link struct {
	p      *Proxy
	client *net.TCPConn
	// server is set by run once the target answered, before a second
	// goroutine starts; guarded by mu until then.
	mu       sync.Mutex
	server   *net.TCPConn
	aborted  bool      // abort was called; guarded by mu
	deadline time.Time // end of a blackhole's hold time; guarded by mu

	blackholed atomic.Bool
	armed      atomic.Uint32 // the Directions armed for a cut
	counted    atomic.Bool   // counted in p.cuts
}

// run connects to the target and copies both ways until both directions
// are done, then closes both sides.
func (l *link) run() {
	defer l.p.remove(l)
	ctx, cancel := context.WithTimeout(l.p.ctx, dialTimeout)
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", l.p.target)
	cancel()
	if err != nil {
		abortConn(l.client)
		return
	}
	server := c.(*net.TCPConn)
	l.mu.Lock()
	if l.aborted {
		l.mu.Unlock()
		abortConn(server)
		abortConn(l.client)
		return
	}
	l.server = server
	if !l.deadline.IsZero() {
		server.SetReadDeadline(l.deadline)
	}
	l.mu.Unlock()

	var wg sync.WaitGroup
	wg.Go(func() { l.pump(ToServer, l.client, server) })
	l.pump(ToClient, server, l.client)
	wg.Wait()
	l.client.Close()
	server.Close()
}

// pump copies from src to dst, the direction dir, until src ends or the
// link is broken.
func (l *link) pump(dir Direction, src, dst *net.TCPConn) {
	buf := make([]byte, bufSize)
	for {
		n, err := src.Read(buf)
		if n > 0 && !l.blackholed.Load() {
			data := buf[:n]
			if n >= CutMinSize && l.armed.Load()&uint32(dir) != 0 {
				l.count()
				dst.Write(data[:n/2])
				l.abort()
				return
			}
			if _, werr := dst.Write(data); werr != nil {
				l.abort()
				return
			}
		}
		if err == nil {
			continue
		}
		switch {
		case l.blackholed.Load():
			// A peer's close stays on its side of the blackhole. The
			// hold time's read deadline ends the whole link.
			if errors.Is(err, io.EOF) {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				l.abort()
			}
			return
		case errors.Is(err, io.EOF):
			// A clean close: pass the FIN on, and let the other
			// direction run until its own end.
			dst.CloseWrite()
			return
		default:
			l.abort()
			return
		}
	}
}

// count counts the link as cut, once.
func (l *link) count() {
	if !l.counted.Swap(true) {
		l.p.cuts.Add(1)
	}
}

// blackhole stops forwarding; with hold > 0, the read deadlines on both
// sides end the link after hold.
func (l *link) blackhole(hold time.Duration) {
	l.blackholed.Store(true)
	if hold <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.deadline = time.Now().Add(hold)
	l.client.SetReadDeadline(l.deadline)
	if l.server != nil {
		l.server.SetReadDeadline(l.deadline)
	}
}

// abort closes both sides with RST. Blocked reads and writes return at
// once; run then finishes the link.
func (l *link) abort() {
	l.mu.Lock()
	l.aborted = true
	server := l.server
	l.mu.Unlock()
	abortConn(l.client)
	if server != nil {
		abortConn(server)
	}
}

// abortConn closes c so that the peer gets a RST instead of a FIN.
func abortConn(c *net.TCPConn) {
	c.SetLinger(0)
	c.Close()
}
