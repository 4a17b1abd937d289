package xmpp

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for [Options] fields left zero.
const (
	defaultMaxStanzaSize     = 256 << 10
	defaultHandlerQueueBytes = 4 << 20
	// defaultNegotiationTimeout bounds one connection's negotiation.
	defaultNegotiationTimeout = 30 * time.Second
	defaultPort               = 5222
	// closeTimeout bounds how long Close waits to write </stream:stream> and
	// for the server's reply to it before closing the connection.
	closeTimeout = 2 * time.Second
	// closeGrace is how much longer Close waits for the session's
	// goroutines, the handler goroutine included.
	closeGrace = time.Second
)

// Sentinel errors. Each is wrapped with more detail where it is returned;
// test with errors.Is.
var (
	// ErrTLSRequired is returned by Dial and NewClient when the server offers
	// no STARTTLS and Options.InsecureAllowPlaintext is false. It is returned
	// before any credentials are sent.
	ErrTLSRequired = errors.New("xmpp: server does not offer STARTTLS and plaintext is not allowed")

	// ErrClosed is the cause of a session ended by Close, and is returned by
	// Send and SendIQ after Close. It wraps net.ErrClosed.
	ErrClosed = fmt.Errorf("xmpp: client closed: %w", net.ErrClosed)

	// ErrProtocol is wrapped by errors for a server that breaks the stream
	// negotiation rules of RFC 6120: an unexpected element, missing required
	// features, or bytes injected after <proceed/>.
	ErrProtocol = errors.New("xmpp: protocol violation")

	// ErrInvalidIQ is returned by SendIQ for an IQ it cannot send: one whose
	// type is not get or set, or whose id is already waiting for a reply.
	// Encoder.Encode (and so Send) wraps it for an IQ without a type.
	ErrInvalidIQ = errors.New("xmpp: invalid IQ")

	// ErrNegotiationTimeout is the cause of a negotiation that took longer
	// than Options.NegotiationTimeout.
	ErrNegotiationTimeout = errors.New("xmpp: negotiation timed out")

	// ErrHandlerQueueFull is wrapped by the error of a SendIQ or RequestAck
	// that waited for its answer while the handlers fell behind by more
	// than twice Options.HandlerQueueBytes: the answer was not read, and
	// the reader stopped reading until the handlers catch up. Nothing
	// inbound was dropped. The request itself was sent.
	ErrHandlerQueueFull = errors.New("xmpp: handler queue full; the answer was not read")
)

// Options configure a session. A nil *Options means all defaults. Dial and
// NewClient copy the Options (and clone TLSConfig), so changing them later has
// no effect on a running session.
//
// Handlers are Options fields, not methods to call after login, so that they
// exist before the first stanza can arrive: nothing the server sends between
// resource binding and the moment Dial returns is lost.
type Options struct {
	// Resource is the resourcepart to request at resource binding (RFC 6120
	// §7). Default: the resourcepart of the JID given to Dial/NewClient, and
	// if that is empty too, one assigned by the server. If the server
	// answers <conflict/>, binding is retried once with a server-assigned
	// resource.
	Resource string

	// Server is the host:port to connect to, skipping the DNS SRV lookup.
	// Default "": Dial looks up _xmpps-client._tcp and _xmpp-client._tcp SRV
	// records of the JID's domain and falls back to domain:5222. NewClient
	// ignores it.
	Server string

	// DirectTLS makes the connection to Server start with TLS (XEP-0368),
	// offering ALPN "xmpp-client", instead of STARTTLS. For NewClient, it
	// means the handshake is done on the given conn first. Default false.
	// With SRV lookup, each record says which kind it is, and this field is
	// ignored.
	DirectTLS bool

	// Transport is how the session reaches its server: TCP (the default),
	// WebSocket (RFC 7395) or BOSH (XEP-0206). With WebSocket or BOSH,
	// Server, DirectTLS and the SRV lookup are not used: the session
	// connects to URL.
	Transport Transport

	// URL is the endpoint of the WebSocket (wss://…) or BOSH (https://…)
	// transport. Default "": the endpoint that the domain's host-meta
	// (XEP-0156, https://domain/.well-known/host-meta and host-meta.json,
	// fetched over verified TLS) names for Transport. A ws:// or http://
	// URL needs InsecureAllowPlaintext. Ignored with TransportTCP.
	URL string

	// TLSConfig is the TLS configuration, cloned before use. Default: a
	// config with the system roots. Whatever is given, ServerName defaults to
	// the JID's domainpart (also after a see-other-host redirect) and
	// MinVersion to TLS 1.2; certificates are verified unless this config
	// itself sets InsecureSkipVerify. If it holds client certificates
	// (Certificates or GetClientCertificate), SASL EXTERNAL may be used.
	TLSConfig *tls.Config

	// Resolver is used for the SRV lookup and, by the default DialFunc, to
	// resolve the host names of the targets. Default nil:
	// net.DefaultResolver.
	Resolver *net.Resolver

	// DialFunc opens the TCP connection. Default: the DialContext of a
	// net.Dialer that uses Resolver. The network is always "tcp".
	DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

	// Mechanisms lists the SASL mechanisms the client may use, by name (e.g.
	// "SCRAM-SHA-256"). Default nil: the library's default set. Among the
	// mechanisms that are both offered by the server and allowed, the
	// strongest one that can work with the connection is chosen: SCRAM
	// -PLUS variants (when a channel binding type is available) before plain
	// SCRAM, stronger hashes first, PLAIN last and only inside TLS (or with
	// InsecureAllowPlaintext); EXTERNAL only with a client certificate. If
	// none is usable, Dial/NewClient return a *SASLError with Condition
	// SASLNoMechanism before sending credentials. ANONYMOUS is never used
	// unless listed; a JID without a localpart can use nothing else.
	Mechanisms []string

	// InsecureAllowPlaintext lets the session continue without TLS when the
	// server does not offer STARTTLS, and then allows PLAIN, which sends the
	// password in clear. Default false: such a server gets ErrTLSRequired
	// before any credentials are sent. STARTTLS is never skipped when it is
	// offered, whatever this field says.
	InsecureAllowPlaintext bool

	// Logger receives events (connection, negotiation steps, dropped
	// stanzas, handler panics). Default nil: silent. Passwords and SASL data
	// are never logged.
	Logger *slog.Logger

	// DebugWriter, if set, receives a copy of the raw XML in both directions,
	// one line per read or write on the (decrypted) connection, prefixed
	// "SEND: " or "RECV: ". A read may hold part of an element or several.
	// The payloads of the SASL elements <auth/>, <response/>, <challenge/>
	// and <success/> are replaced by "[redacted]"; nothing else is redacted,
	// so the output holds message bodies and other private data. Writes to
	// it are serialized. Default nil: no copy.
	DebugWriter io.Writer

	// MaxStanzaSize is the largest top-level element the server may send, in
	// bytes, including stream features during negotiation; a bigger one ends
	// the session with a *StreamError. Default 0: 256 KiB.
	MaxStanzaSize int

	// HandlerQueueBytes bounds the inbound stanzas waiting for the handler
	// goroutine, in bytes (their text plus a small fixed overhead each). The
	// reader never waits for a handler: it queues what it reads and goes on,
	// so IQ replies, stream management acks and pings are read however slow
	// the handlers are, and a handler may call SendIQ with
	// context.Background(). When the queue holds more than this, the reader
	// stops reading from the connection (TCP then holds the server back;
	// nothing is lost) until the handlers have worked it down to half, except
	// while a SendIQ or RequestAck waits for its answer: then it reads on, up
	// to twice this bound. Past that, the waiting calls fail with an error
	// wrapping ErrHandlerQueueFull (their answer is still unread) and the
	// reader stops. While the reader is stopped, the link counts as alive for
	// Options.PingIdle. Default 0: 4 MiB.
	HandlerQueueBytes int

	// NegotiationTimeout bounds each connection's negotiation (TLS, SASL,
	// binding) on top of the ctx given to Dial or NewClient, so that a server
	// that stops answering cannot hang a caller whose ctx has no deadline.
	// Default 0: 30 seconds. A negative value means no limit beyond ctx.
	NegotiationTimeout time.Duration

	// Handler receives the inbound messages, presences and IQ requests
	// (results and errors go to SendIQ), usually a *Mux. Default nil:
	// messages and presences are dropped, and IQ requests are answered
	// with service-unavailable (RFC 6120 §8.4).
	Handler Handler

	// KeepAlive, if positive, makes the session write a whitespace
	// keepalive (a single space, RFC 6120 §4.6.1) whenever nothing has been
	// written for this long, so that NATs and proxies keep an idle
	// connection open. Default 0: off.
	KeepAlive time.Duration

	// PingIdle, if positive, turns on dead-link detection: when nothing has
	// been received from the server for this long, the client sends it an
	// XEP-0199 ping, and if no reply (a result or an error) arrives within
	// PingTimeout, the session ends with a cause wrapping ErrDeadLink and
	// Done is closed. This also catches a server or network that silently
	// stops answering without closing the connection, which TCP alone may
	// take many minutes to notice. A session is thus declared dead at most
	// about PingIdle + PingTimeout after the last thing it received.
	// Default 0: off.
	PingIdle time.Duration

	// PingTimeout is how long the ping of PingIdle waits for its reply.
	// Default 0: 30 seconds. Only used when PingIdle is positive.
	PingTimeout time.Duration

	// StreamManagement enables XEP-0198 Stream Management (urn:xmpp:sm:3)
	// when the server offers it: after resource binding the client asks for
	// a resumable session, counts and acknowledges the stanzas it receives,
	// and keeps the stanzas it sends until the server acknowledges them (see
	// [Client.StreamManagement], [Client.Unacked], [Client.RequestAck]). A
	// server's <failed/> is logged and the session goes on without it. A
	// session that ended with a broken connection can be resumed with
	// [Resume], or automatically with Reconnect. Default false.
	StreamManagement bool

	// MaxUnacked bounds how many sent stanzas may wait for the server's
	// acknowledgement with StreamManagement; when that many wait, Send and
	// SendIQ fail with ErrUnackedFull without writing. Default 0: 500.
	MaxUnacked int

	// AckEvery is how often, in stanzas sent, the client asks the server for
	// an acknowledgement with StreamManagement (it writes <r/> after every
	// AckEvery-th unacknowledged stanza). Default 0: 10.
	AckEvery int

	// Reconnect, if not nil, keeps the session alive across broken
	// connections: see [ReconnectOptions]. Default nil: a broken connection
	// ends the session (Done is closed) and the application reconnects
	// itself, with [Resume] or Dial.
	Reconnect *ReconnectOptions

	// OnStatus, if set, is called when the session's [Status] changes:
	// with Reconnect, StatusReconnecting when the connection broke (err says
	// why), then StatusResumed or StatusConnected when a new connection is
	// up; StatusClosed (err is the cause, as Err returns it) when the session
	// has ended for good, with or without Reconnect. It runs on the handler
	// goroutine, in order with the stanzas around the change (stanzas read on
	// a new connection come after its StatusResumed or StatusConnected), one
	// call at a time; the Client may be used from it. The calls are queued
	// apart from the HandlerQueueBytes bound and never dropped; StatusClosed
	// is the last one, and is made even after Close (unless a handler is
	// still blocked when the queue is drained). Default nil.
	OnStatus func(c *Client, s Status, err error)

	// panicLogger is where a recovered handler panic is logged: Logger, or
	// slog.Default() when Logger is nil, so that a panic is never silent.
	panicLogger *slog.Logger
}

// withDefaults returns a copy of o (which may be nil) with zero fields set to
// their defaults.
func (o *Options) withDefaults() Options {
	var c Options
	if o != nil {
		c = *o
	}
	c.Mechanisms = slices.Clone(c.Mechanisms)
	if c.TLSConfig != nil {
		c.TLSConfig = c.TLSConfig.Clone()
	}
	if c.DialFunc == nil {
		d := &net.Dialer{Resolver: c.Resolver}
		c.DialFunc = d.DialContext
	}
	c.panicLogger = c.Logger
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
		c.panicLogger = slog.Default()
	}
	if c.MaxStanzaSize <= 0 {
		c.MaxStanzaSize = defaultMaxStanzaSize
	}
	if c.HandlerQueueBytes <= 0 {
		c.HandlerQueueBytes = defaultHandlerQueueBytes
	}
	if c.NegotiationTimeout == 0 {
		c.NegotiationTimeout = defaultNegotiationTimeout
	}
	if c.MaxUnacked <= 0 {
		c.MaxUnacked = defaultMaxUnacked
	}
	if c.AckEvery <= 0 {
		c.AckEvery = defaultAckEvery
	}
	if c.PingTimeout <= 0 {
		c.PingTimeout = defaultPingTimeout
	}
	if c.Reconnect != nil {
		r := c.Reconnect.withDefaults()
		c.Reconnect = &r
	}
	return c
}

// Client is a logged-in XMPP session: a negotiated stream with a bound
// resource. All its methods are safe for concurrent use, including from
// handlers.
//
// # Goroutines
//
// Each goroutine of a Client has one job, and none waits on user code for
// anything the session itself needs:
//
//   - The owner (run) has the session's lifecycle: it waits for the current
//     connection to end, then reconnects (Options.Reconnect) or ends the
//     session. It alone stores a new link, changes the status after login,
//     queues the OnStatus and OnUnacked events, and closes Done.
//   - One reader per connection (readLoop) owns the link's decoder. It
//     hands IQ replies to SendIQ, handles XEP-0198 <r/> and <a/>, stream
//     errors and the end of the stream, and queues every other stanza for
//     the handlers without waiting (see Options.HandlerQueueBytes for the
//     bound).
//   - With stream management, a short-lived writer answers each burst of
//     the server's <r/> (writeAck), so the reader never waits for the write
//     lock; with Options.KeepAlive or PingIdle, one goroutine per
//     connection writes keepalives and dead-link pings.
//   - The handler goroutine (dispatch) runs the Handler and the OnStatus and
//     OnUnacked callbacks, one at a time, in arrival order. A handler may
//     block, and may call any method, SendIQ included.
//
// # Locks
//
// writeSem, a channel of capacity 1 so that waiting for it can be given up,
// is the write lock: it guards the current link's encoder and the fields
// marked so. mu and smState.mu guard state, are never held across I/O, and
// are never held while waiting for writeSem. Lock order: writeSem, then mu,
// then smState.mu.
type Client struct {
	opts     Options
	log      *slog.Logger
	password string // kept only with Options.Reconnect
	domain   JID    // the account's domain; immutable

	// ctx is cancelled by Close: it ends a reconnection in progress and,
	// through link.bound, the writes of a flush or retransmission.
	ctx    context.Context
	cancel context.CancelFunc

	// cur is the current connection; the owner replaces it, with writeSem
	// held, when the session reconnects.
	cur atomic.Pointer[link]

	// available is set while the last broadcast presence sent (one without
	// To) was available, so that Close ends the presence session with
	// unavailable presence (RFC 6121 §4.5.1).
	available atomic.Bool

	// writeSem (capacity 1) is the write lock; see the type's doc.
	writeSem chan struct{}
	// outbox holds the stanzas sent while reconnecting, oldest first; they
	// are written on the next connection. Guarded by writeSem.
	outbox []queued
	// presence is the last broadcast presence sent, restored after a full
	// reconnect when it was available. Guarded by writeSem.
	presence *Presence

	mu      sync.Mutex // guards the fields below; never held across I/O
	jid     JID        // bound full JID; changes only on a full reconnect
	pending map[string]*pendingIQ
	cause   error  // why the session ends; the first one set wins
	status  Status // StatusReconnecting while no connection is up
	// overflow is closed, and replaced, when the reader gives up on the
	// calls waiting for an answer because the handler queue is over twice
	// its bound (see waitRoom).
	overflow chan struct{}

	// waiters counts the calls waiting for something only the reader can
	// read: SendIQ replies, RequestAck's <a/>. While it is not zero a
	// paused reader reads on; wake (capacity 1) tells it a call started.
	waiters atomic.Int32
	wake    chan struct{}

	watcher      Watcher       // Options.Handler, if it is one; immutable
	inbox        *inbox        // readers and owner → handler goroutine
	quit         chan struct{} // closed when Close starts
	done         chan struct{} // closed by the owner once the session has ended
	dispatchDone chan struct{} // closed when the handler goroutine exits
	inHandler    atomic.Bool   // a handler is running
	closeOnce    sync.Once

	// unanswered counts the resumed links in a row that ended before the
	// server answered anything on them; the owner's alone.
	unanswered int
}

// link is one connection of a session: the transport, its codec and its
// stream management state. A Client has one link at a time.
type link struct {
	conn     net.Conn // transport (the *tls.Conn once TLS is up); deadlines and Close only
	raw      net.Conn // the TCP connection under conn; closed directly on failure
	dec      *Decoder // owned by the link's reader goroutine
	enc      *Encoder // guarded by the Client's writeSem
	endSent  bool     // </stream:stream> written; guarded by writeSem
	features Element  // the stream features after SASL; immutable
	// sm is nil unless stream management is enabled; immutable. A resumed
	// link carries on with the previous link's state.
	sm *smState

	dead       chan struct{} // closed by shutdown, with the conn
	readerDone chan struct{} // closed when the link's reader has exited
	shutOnce   sync.Once
	err        error // why the link ended, the first one set; guarded by Client.mu

	// ackPending is set while a writeAck goroutine is about to answer the
	// server's <r/> on this link; later <r/>s are covered by its answer.
	// It belongs to the link, so a resumed stream starts without it.
	ackPending atomic.Bool

	// lastRead and lastWrite are the times (UnixNano) of the last element
	// read and the last successful write, for the keepalive goroutine.
	lastRead  atomic.Int64
	lastWrite atomic.Int64
	// paused is set while the reader has stopped reading because the
	// handler queue is full; the link is not silent then, only unread.
	paused atomic.Bool

	// goodbye is the unavailable presence Close wrote on this link, which is
	// never handed to OnUnacked.
	goodbye atomic.Pointer[Presence]

	// resumed is set for a link that resumed a stream; immutable.
	resumed bool
	// asked is set when the client wrote something the server must answer
	// (<r/> or a ping), and answered when the server showed that it reads
	// this link: an <a/> acknowledging new stanzas (or answering when none
	// were pending), or an IQ reply.
	asked, answered atomic.Bool
}

// bound makes the end of ctx, by deadline or by cancellation, end a write on
// l in progress, with the write lock held; it returns the function that
// undoes it. A write cut short this way breaks the link.
func (l *link) bound(ctx context.Context) (stop func()) {
	if d, ok := ctx.Deadline(); ok {
		l.conn.SetWriteDeadline(d)
	}
	fired := make(chan struct{})
	s := context.AfterFunc(ctx, func() {
		l.conn.SetWriteDeadline(time.Now())
		close(fired)
	})
	return func() {
		if !s() {
			<-fired
		}
		l.conn.SetWriteDeadline(time.Time{})
	}
}

// isDead reports whether the link has been shut down.
func (l *link) isDead() bool {
	select {
	case <-l.dead:
		return true
	default:
		return false
	}
}

// queued is a stanza sent while reconnecting, with the SendIQ waiting for
// its reply if it is an IQ request.
type queued struct {
	s Stanza
	p *pendingIQ
}

// pendingIQ is a SendIQ waiting for its reply.
type pendingIQ struct {
	to JID          // the request's To, for matching the reply's From
	ch chan iqReply // capacity 1; receives the reply or why none will come
	// on is the link the request was written to, nil while it waits in the
	// outbox; guarded by Client.mu.
	on *link
}

// iqReply is the outcome of a SendIQ: a reply, or an error wrapping
// ErrDisconnected when the request was lost with its connection.
type iqReply struct {
	iq  *IQ
	err error
}

// Dial connects to the server of jid's domain, negotiates TLS, authenticates
// with password and binds a resource (RFC 6120).
//
// Without Options.Server, the targets found by SRV lookup are tried in order
// until one works; the errors of all failed attempts are joined. A *SASLError
// stops the search at once, as another host will not accept a wrong
// password. A see-other-host stream error during negotiation is followed
// once, to host[:port] (port 5222 when none is given), keeping the kind of
// connection (STARTTLS or direct TLS) and the TLS server name of the
// original.
//
// A JID without a localpart, just a domain, logs in with SASL ANONYMOUS
// (RFC 4505) if Options.Mechanisms lists it, and only then; the server
// assigns the session its JID, which Client.JID reports:
//
//	c, err := xmpp.Dial(ctx, "anon.example.com", "", &xmpp.Options{
//		Mechanisms: []string{"ANONYMOUS"},
//	})
//
// ctx bounds connecting and negotiating; once Dial has returned, cancelling
// it has no effect on the session. With Options.Reconnect, the first
// connection is not retried: Dial returns its error, and only a session
// that was once up reconnects.
func Dial(ctx context.Context, jid, password string, opts *Options) (*Client, error) {
	o := opts.withDefaults()
	j, err := ParseJID(jid)
	if err != nil {
		return nil, err
	}
	n, err := dialStream(ctx, j, password, &o, nil)
	if err != nil {
		return nil, err
	}
	return newClient(ctx, n, password, &o, nil)
}

// dialStream dials the server of j's domain and negotiates a stream over the
// first target that works; with res, it resumes a session instead of
// binding a resource.
func dialStream(ctx context.Context, j JID, password string, o *Options, res *resumeReq) (*negotiated, error) {
	if o.Transport != TransportTCP {
		conn, err := dialFramed(ctx, j, o)
		if err != nil {
			return nil, err
		}
		return negotiateConn(ctx, conn, j, password, o, res)
	}
	var targets []dialTarget
	if o.Server != "" {
		t, err := parseHostPort(o.Server)
		if err != nil {
			return nil, err
		}
		t.DirectTLS = o.DirectTLS
		targets = []dialTarget{t}
	} else {
		targets = resolveTargets(ctx, o.Resolver, j.Domain())
	}
	var errs []error
	redirected := false
	for i := 0; i < len(targets); i++ {
		t := targets[i]
		n, err := connectTarget(ctx, t, j, password, o, res)
		if err == nil {
			return n, nil
		}
		errs = append(errs, err)
		var sasl *SASLError
		if errors.As(err, &sasl) || errors.Is(err, ErrResumeFailed) || ctx.Err() != nil {
			break
		}
		var se *StreamError
		if !redirected && errors.As(err, &se) && se.Condition == CondSeeOtherHost {
			redirected = true
			nt, perr := parseHostPort(se.SeeOtherHost)
			if perr != nil {
				errs = append(errs, fmt.Errorf("%w: see-other-host %q: %w", ErrProtocol, se.SeeOtherHost, perr))
				continue
			}
			nt.DirectTLS = t.DirectTLS
			o.Logger.Info("xmpp: following see-other-host", "host", nt.Host, "port", nt.Port)
			// Try the new host next, then the remaining targets.
			targets = append(targets[:i+1], append([]dialTarget{nt}, targets[i+1:]...)...)
		}
	}
	if len(errs) == 0 {
		// An SRV record with target "." (RFC 2782): no service here.
		return nil, fmt.Errorf("%w: %s", ErrNoService, j.Domain())
	}
	return nil, errors.Join(errs...)
}

// connectTarget connects to one target and negotiates over it.
func connectTarget(ctx context.Context, t dialTarget, j JID, password string, o *Options, res *resumeReq) (*negotiated, error) {
	addr := net.JoinHostPort(t.Host, strconv.Itoa(int(t.Port)))
	o.Logger.Debug("xmpp: connecting", "addr", addr, "direct_tls", t.DirectTLS)
	conn, err := o.DialFunc(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("xmpp: dial %s: %w", addr, err)
	}
	oo := *o
	oo.DirectTLS = t.DirectTLS
	n, err := negotiateConn(ctx, conn, j, password, &oo, res)
	if err != nil {
		return nil, fmt.Errorf("xmpp: %s: %w", addr, err)
	}
	return n, nil
}

// parseHostPort parses host[:port], defaulting the port to 5222.
func parseHostPort(s string) (dialTarget, error) {
	host, port := s, ""
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
	}
	if host == "" {
		return dialTarget{}, fmt.Errorf("%w: %q", ErrBadAddress, s)
	}
	t := dialTarget{Host: host, Port: defaultPort}
	if port != "" {
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil || n == 0 {
			return dialTarget{}, fmt.Errorf("%w: invalid port in %q", ErrBadAddress, s)
		}
		t.Port = uint16(n)
	}
	return t, nil
}

// NewClient negotiates a session over conn, which must be a fresh connection
// to the server of jid's domain: TLS (STARTTLS, or a direct TLS handshake
// first when Options.DirectTLS is set), SASL with password, and resource
// binding (RFC 6120 §5–§7). Options.Server is ignored. A see-other-host
// stream error is returned as a *StreamError, not followed. With
// Options.Reconnect, new connections are made as Dial makes them (Server,
// SRV, DialFunc), as conn cannot be opened again.
//
// ctx bounds the negotiation. On error, conn is closed.
func NewClient(ctx context.Context, conn net.Conn, jid, password string, opts *Options) (*Client, error) {
	o := opts.withDefaults()
	j, err := ParseJID(jid)
	if err != nil {
		conn.Close()
		return nil, err
	}
	n, err := negotiateConn(ctx, conn, j, password, &o, nil)
	if err != nil {
		return nil, err
	}
	return newClient(ctx, n, password, &o, nil)
}

// negotiateConn negotiates over conn within Options.NegotiationTimeout,
// closing conn on error.
func negotiateConn(ctx context.Context, conn net.Conn, j JID, password string, o *Options, res *resumeReq) (*negotiated, error) {
	if o.NegotiationTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, o.NegotiationTimeout, ErrNegotiationTimeout)
		defer cancel()
	}
	n, err := negotiate(ctx, conn, j, password, o, res)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return n, nil
}

// newLink makes a link of a negotiated stream. With res, the stream was
// resumed: the link carries on with the previous stream management state.
func newLink(n *negotiated, res *resumeReq) *link {
	l := &link{conn: n.conn, raw: n.raw, dec: n.dec, enc: n.enc, features: n.features,
		dead: make(chan struct{}), readerDone: make(chan struct{})}
	l.enc.markIO = true
	l.resumed = res != nil
	switch {
	case res != nil:
		l.sm = res.sm
	case n.sm != nil:
		l.sm = &smState{info: *n.sm, ackSeen: make(chan struct{})}
	}
	now := time.Now().UnixNano()
	l.lastRead.Store(now)
	l.lastWrite.Store(now)
	return l
}

// newClient starts a session over a negotiated stream. With res, the
// stream resumed res.prev's session, whose unacknowledged stanzas it
// retransmits before returning.
func newClient(ctx context.Context, n *negotiated, password string, o *Options, res *resumeReq) (*Client, error) {
	c := &Client{
		jid:          n.jid,
		domain:       n.domain,
		opts:         *o,
		log:          o.Logger,
		writeSem:     make(chan struct{}, 1),
		pending:      make(map[string]*pendingIQ),
		overflow:     make(chan struct{}),
		wake:         make(chan struct{}, 1),
		inbox:        newInbox(o.HandlerQueueBytes),
		quit:         make(chan struct{}),
		done:         make(chan struct{}),
		dispatchDone: make(chan struct{}),
		status:       StatusConnected,
	}
	if o.Reconnect != nil {
		c.password = password
	}
	c.watcher, _ = o.Handler.(Watcher)
	c.ctx, c.cancel = context.WithCancel(context.Background())
	var resend []Stanza
	if res != nil {
		c.status = StatusResumed
		var err error
		if resend, err = resumedState(res.sm, n.resumedH); err != nil {
			n.raw.Close()
			c.cancel()
			return nil, err
		}
		c.available.Store(res.prev.available.Load())
		res.prev.writeSem <- struct{}{}
		c.presence = res.prev.presence
		<-res.prev.writeSem
	}
	// What the server sent between resource binding and the end of
	// negotiation comes first; it was sent before <enabled/>, so stream
	// management does not count it (XEP-0198 §4).
	for _, s := range n.early {
		c.inbox.push(s, stanzaSize(s))
	}
	l := newLink(n, res)
	c.cur.Store(l)
	go c.dispatch()
	if res != nil {
		// Retransmit before anything else can be written.
		c.writeSem <- struct{}{}
	}
	c.log.Info("xmpp: session established", "jid", c.jid.String(), "resumed", res != nil)
	c.startLink(l)
	go c.run(l)
	if res != nil {
		stop := l.bound(ctx)
		err := c.retransmit(l, resend)
		stop()
		<-c.writeSem
		if err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// startLink starts the goroutines of a link: its reader and, with
// Options.KeepAlive or PingIdle, its keepalive goroutine.
func (c *Client) startLink(l *link) {
	go c.readLoop(l)
	if c.opts.KeepAlive > 0 || c.opts.PingIdle > 0 {
		go c.keepalive(l)
	}
}

// run is the owner goroutine (see Client): it waits for each link to end,
// and reconnects or ends the session.
func (c *Client) run(l *link) {
	for {
		<-l.readerDone
		if c.opts.Reconnect == nil {
			break
		}
		c.mu.Lock()
		err := l.err
		c.mu.Unlock()
		next := c.reconnect(l, err)
		if next == nil {
			break
		}
		l = next
	}
	c.end(l)
}

// end ends the session after link l, the last one, ended: it fails the
// pending SendIQs, hands over what the server may not have received, queues
// StatusClosed as the handlers' last event and closes Done.
func (c *Client) end(l *link) {
	c.mu.Lock()
	if c.cause == nil {
		c.cause = l.err
	}
	cause := c.cause
	pending := c.pending
	c.pending = make(map[string]*pendingIQ)
	c.status = StatusClosed
	c.mu.Unlock()
	err := endedErr(cause)
	for _, p := range pending {
		p.ch <- iqReply{err: err} // capacity 1, and the entry was removed
	}
	if c.opts.Reconnect != nil {
		if lost := c.unsent(l); len(lost) > 0 {
			c.handOver(lost)
		}
	}
	c.log.Info("xmpp: session ended", "cause", cause)
	c.notify(StatusClosed, cause)
	c.inbox.close()
	close(c.done)
}

// JID returns the full JID bound to the session. With Options.Reconnect,
// a full reconnect (one that could not resume the stream) asks for the same
// resource again, but the server may assign another.
func (c *Client) JID() JID {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.jid
}

// TLSConfig returns a copy of Options.TLSConfig as the session was
// given it, or nil when it was given none (the system roots). Feature
// packages that open other TLS connections for the session, such as HTTP
// File Upload (XEP-0363), use it to trust what the session trusts.
func (c *Client) TLSConfig() *tls.Config { return c.opts.TLSConfig.Clone() }

// StreamFeatures returns the <stream:features/> element the server sent
// after authentication (RFC 6120 §4.3.2) on the current connection, for
// checking optional features such as roster versioning (RFC 6121 §2.6.1)
// with [Element.Child].
func (c *Client) StreamFeatures() Element { return c.cur.Load().features }

// Done returns a channel that is closed when the session has ended: the
// connection is closed, and every pending SendIQ has returned.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err returns why the session ended: nil while Done is not closed; an error
// wrapping ErrClosed (and so net.ErrClosed) after Close; otherwise the cause,
// e.g. a *StreamError the server sent, or an error wrapping io.EOF when the
// server closed the stream.
func (c *Client) Err() error {
	select {
	case <-c.done:
	default:
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cause
}

// Send writes a stanza. It returns when the stanza has been written to the
// connection, which says nothing about its delivery. ctx bounds the wait for
// other writers and the write itself; if ctx ends in the middle of a write,
// the stream is broken and the connection ends.
//
// Sending broadcast available presence (a *Presence without To and Type)
// makes Close send unavailable presence; see Close.
//
// With Options.Reconnect, while the session is reconnecting (and when the
// connection breaks during the write), the stanza is queued instead and
// written on the next connection, and Send returns nil; when
// ReconnectOptions.QueueSize stanzas are queued, Send returns an error
// wrapping ErrQueueFull. Queued stanzas the session could not write before
// it ended are handed to ReconnectOptions.OnUnacked.
//
// A *Message without an ID gets a new random one, written into m.ID before
// anything is sent, so that receipts (XEP-0184), corrections (XEP-0308) and
// markers (XEP-0333) can refer to it; do not send the same *Message from
// two goroutines at once.
//
// A nil stanza (or a nil *Message, *Presence or *IQ) is refused with an
// error wrapping ErrNilStanza, and a Stanza of another type with
// ErrUnsupportedStanza. A stanza that cannot be encoded (invalid text, see
// ErrInvalidText) is refused without writing anything; the session goes on.
// After the session has ended, Send returns an error wrapping net.ErrClosed
// (and the cause).
func (c *Client) Send(ctx context.Context, s Stanza) error {
	if err := checkStanza(s); err != nil {
		return err
	}
	if m, ok := s.(*Message); ok && m.ID == "" {
		m.ID = newID()
	}
	return c.send(ctx, s, nil)
}

// checkStanza refuses a nil stanza or one of a type the codec does not know.
func checkStanza(s Stanza) error {
	switch s := s.(type) {
	case nil:
		return fmt.Errorf("%w: Send of nil", ErrNilStanza)
	case *Message:
		if s == nil {
			return fmt.Errorf("%w: Send of a nil *Message", ErrNilStanza)
		}
	case *Presence:
		if s == nil {
			return fmt.Errorf("%w: Send of a nil *Presence", ErrNilStanza)
		}
	case *IQ:
		if s == nil {
			return fmt.Errorf("%w: Send of a nil *IQ", ErrNilStanza)
		}
	default:
		return fmt.Errorf("%w: %T", ErrUnsupportedStanza, s)
	}
	return nil
}

// send writes s on the current link, or queues it while reconnecting. p is
// the SendIQ waiting for the reply to s, if any.
func (c *Client) send(ctx context.Context, s Stanza, p *pendingIQ) error {
	for {
		err := c.write(ctx, func(l *link) error {
			if l == nil {
				return c.queueOut(s, p)
			}
			if err := c.writeOn(l, s, p, false); err != nil {
				return err
			}
			c.notePresence(s)
			return nil
		})
		if errors.Is(err, errLinkBroke) {
			// The connection broke in the middle of the write, so the
			// server did not get the stanza: queue it for the next one.
			continue
		}
		return err
	}
}

// writeOn writes s on l with the write lock held, recording l as where the
// request of p (if any) went, so that a break of l can fail it; a stanza
// that was not written was sent nowhere.
func (c *Client) writeOn(l *link, s Stanza, p *pendingIQ, force bool) error {
	if p != nil {
		// Before writing: l may break as soon as the stanza is out.
		c.mu.Lock()
		p.on = l
		c.mu.Unlock()
	}
	err := c.encodeStanza(l, s, force)
	if p != nil {
		if err != nil {
			c.mu.Lock()
			p.on = nil
			c.mu.Unlock()
		} else {
			// Written now: a reader paused past twice the handler queue
			// bound must look again, to fail this request rather than
			// leave it waiting (it may have been queued while
			// reconnecting, and flushed after the reader started).
			signal(c.wake)
		}
	}
	return err
}

// queueOut adds a stanza to the outbox, with writeSem held.
func (c *Client) queueOut(s Stanza, p *pendingIQ) error {
	if len(c.outbox) >= c.opts.Reconnect.QueueSize {
		return fmt.Errorf("%w (%d stanzas)", ErrQueueFull, len(c.outbox))
	}
	c.outbox = append(c.outbox, queued{s: s, p: p})
	c.notePresence(s)
	return nil
}

// notePresence records a broadcast presence sent, with writeSem held.
func (c *Client) notePresence(s Stanza) {
	p, ok := s.(*Presence)
	if !ok || !p.To.IsZero() {
		return
	}
	// Broadcast presence starts or ends the presence session.
	switch p.Type {
	case PresenceAvailable:
		c.available.Store(true)
		cp := *p
		c.presence = &cp
	case PresenceUnavailable:
		c.available.Store(false)
		c.presence = nil
	}
}

// SendIQ sends an IQ of type get or set and waits for its reply (RFC 6120
// §8.2.3). If iq.ID is empty, a random id is used; iq itself is not
// modified.
//
// The reply must carry the same id and come from the entity the request was
// sent to: the same JID as iq.To, bare or full exactly as sent. A reply
// without from is accepted only when iq.To is empty, the account's bare JID,
// or its domain; when iq.To is empty, a reply from the account's bare or
// full JID or the domain is accepted too. Other replies with a matching id
// are ignored as spoofed, and SendIQ keeps waiting.
//
// A reply of type error is returned as a *StanzaError (use errors.As). If
// ctx ends first, SendIQ returns ctx.Err() and forgets the request; if the
// session ends first, it returns the cause.
//
// With Options.Reconnect, a request is queued like a Send while the
// session is reconnecting. When the connection breaks after the request was
// written, SendIQ goes on waiting if the stream can be resumed, as the
// server then delivers the reply on the resumed stream; if it cannot be
// resumed (no stream management, or the server refused), SendIQ returns an
// error wrapping ErrDisconnected: the request may or may not have been
// processed.
func (c *Client) SendIQ(ctx context.Context, iq *IQ) (*IQ, error) {
	if iq == nil {
		return nil, fmt.Errorf("%w: SendIQ of a nil *IQ", ErrNilStanza)
	}
	if iq.Type != IQGet && iq.Type != IQSet {
		return nil, fmt.Errorf("%w: SendIQ needs type get or set", ErrInvalidIQ)
	}
	req := *iq
	if req.ID == "" {
		req.ID = newID()
	}
	p := &pendingIQ{to: req.To, ch: make(chan iqReply, 1)}

	c.mu.Lock()
	if c.cause != nil {
		cause := c.cause
		c.mu.Unlock()
		return nil, endedErr(cause)
	}
	if _, dup := c.pending[req.ID]; dup {
		c.mu.Unlock()
		return nil, fmt.Errorf("%w: id %q is already waiting for a reply", ErrInvalidIQ, req.ID)
	}
	c.pending[req.ID] = p // before writing: the reply may come at once
	c.mu.Unlock()
	defer c.waitForReader()()

	if err := c.send(ctx, &req, p); err != nil {
		c.forget(req.ID, p)
		return nil, err
	}
	select {
	case r := <-p.ch:
		return iqResult(r)
	case <-ctx.Done():
		c.forget(req.ID, p)
		return nil, ctx.Err()
	case <-c.done:
		select {
		case r := <-p.ch:
			return iqResult(r)
		default:
		}
		c.forget(req.ID, p)
		return nil, c.endedErr()
	}
}

// Expect tells the session that the caller is about to wait for stanzas
// that a Watch function (see [Watcher], [Mux.Watch]) collects on the
// reader goroutine, as muc.Join waits for its self-presence: until the
// returned function is called, the reader treats the caller as it treats a
// waiting SendIQ, and reads on past Options.HandlerQueueBytes (up to twice
// it) instead of pausing. Feature packages call it through an optional
// interface of the Session; call done exactly once.
func (c *Client) Expect() (done func()) {
	var once sync.Once
	end := c.waitForReader()
	return func() { once.Do(end) }
}

// waitForReader counts a call that waits for something only the reader can
// read, so that a reader paused by a full handler queue reads on, and
// returns the function that ends the count.
func (c *Client) waitForReader() (done func()) {
	c.waiters.Add(1)
	signal(c.wake)
	return func() { c.waiters.Add(-1) }
}

// iqResult turns a reply into SendIQ's results.
func iqResult(r iqReply) (*IQ, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.iq.Type == IQError {
		if r.iq.Error != nil {
			return nil, r.iq.Error
		}
		return nil, &StanzaError{Type: ErrorTypeCancel, Condition: ErrUndefinedCondition}
	}
	return r.iq, nil
}

// forget removes a pending entry, if it is still p.
func (c *Client) forget(id string, p *pendingIQ) {
	c.mu.Lock()
	if c.pending[id] == p {
		delete(c.pending, id)
	}
	c.mu.Unlock()
}

// failPending ends, with an error wrapping ErrDisconnected, every SendIQ
// whose request was written (on a link that is gone: it is called while
// reconnecting, without resumption), as its reply will not come. Requests
// still queued are left to wait.
func (c *Client) failPending(cause error) {
	c.failWritten(fmt.Errorf("%w: %w", ErrDisconnected, cause))
}

// failWritten ends with err every SendIQ whose request was written.
func (c *Client) failWritten(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, p := range c.pending {
		if p.on != nil {
			delete(c.pending, id)
			p.ch <- iqReply{err: err} // capacity 1, and the entry was removed
		}
	}
}

// Close ends the session: if broadcast available presence was sent with
// Send (and not since ended with unavailable presence), it first sends
// <presence type='unavailable'/> (RFC 6121 §4.5.1); then it writes
// </stream:stream>, waits for the server's </stream:stream> (RFC 6120 §4.4)
// and closes the connection. With Options.Reconnect, it also stops a
// reconnection in progress. Stanzas still queued for handlers are dropped;
// OnStatus still gets StatusClosed.
//
// Close is bounded whatever the state of the session: the goodbye (waiting
// for other writers, writing, and the server's answer) gets two seconds in
// all, after which the connection is closed anyway, so a server that stopped
// reading, a write stuck in a flush after reconnecting, or a silent server
// cannot hold it. It then waits up to one more second for the session's
// goroutines, the handler goroutine included; a handler that is still
// running then (or the handler that called Close) is not waited for, and
// the handler goroutine exits when it returns.
//
// After Close, Err returns ErrClosed (unless the session had already ended
// for another reason), and Send and SendIQ return errors wrapping
// net.ErrClosed. Close is idempotent and returns nil.
func (c *Client) Close() error {
	deadline := time.Now().Add(closeTimeout)
	c.closeOnce.Do(func() {
		c.setCause(ErrClosed) // before the owner can see quit
		close(c.quit)
		c.cancel() // ends reconnecting, and writes bound to c.ctx
		t := time.NewTimer(closeTimeout)
		defer t.Stop()
		l := c.cur.Load()
		select {
		case c.writeSem <- struct{}{}:
			l = c.cur.Load()
			if !l.endSent && !l.isDead() {
				l.endSent = true
				l.conn.SetWriteDeadline(deadline)
				if c.available.Swap(false) {
					unavailable := &Presence{Type: PresenceUnavailable}
					l.goodbye.Store(unavailable)
					if err := c.encodeStanza(l, unavailable, true); err != nil {
						c.log.Debug("xmpp: writing unavailable presence", "err", err)
					}
				}
				if err := l.enc.WriteEnd(); err != nil {
					c.log.Debug("xmpp: writing </stream:stream>", "err", err)
				}
			}
			<-c.writeSem
		case <-c.done:
		case <-t.C:
			c.log.Debug("xmpp: a write is stuck; closing without </stream:stream>")
		}
		if d := time.Until(deadline); d > 0 {
			t.Reset(d)
			select {
			case <-c.done:
			case <-l.dead:
			case <-t.C:
				c.log.Debug("xmpp: no </stream:stream> from server; closing")
			}
		}
		c.shutdown(l, ErrClosed, false)
		if cur := c.cur.Load(); cur != l {
			c.shutdown(cur, ErrClosed, false) // stored by a reconnect meanwhile
		}
	})
	t := time.NewTimer(max(time.Until(deadline), 0) + closeGrace)
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
		c.log.Warn("xmpp: Close: the session's goroutines did not end in time")
		return nil
	}
	if !c.inHandler.Load() {
		select {
		case <-c.dispatchDone:
		case <-t.C:
			c.log.Warn("xmpp: Close: a handler is still running; not waiting for it")
		}
	}
	return nil
}

// setCause records why the session ends, unless a cause is already set.
func (c *Client) setCause(err error) {
	c.mu.Lock()
	if c.cause == nil {
		c.cause = err
	}
	c.mu.Unlock()
}

// shutdown records err as why the link ended (and, without
// Options.Reconnect, as the session's cause), unless one is set, and closes
// the connection, which makes the link's reader exit. Only after a clean
// end of the stream in both directions is the TLS layer closed with
// close_notify; in every other case the TCP connection is closed at once,
// as a TLS close can block for seconds on a peer that does not read.
func (c *Client) shutdown(l *link, err error, clean bool) {
	c.mu.Lock()
	if l.err == nil {
		l.err = err
	}
	if c.opts.Reconnect == nil && c.cause == nil {
		c.cause = err
	}
	c.mu.Unlock()
	l.shutOnce.Do(func() {
		if clean {
			// crypto/tls gives close_notify its own 5 s write deadline,
			// replacing any set here: bound it by closing the TCP
			// connection under it instead.
			t := time.AfterFunc(100*time.Millisecond, func() { l.raw.Close() })
			l.conn.Close()
			t.Stop()
		}
		l.raw.Close()
		close(l.dead)
	})
}

// endedErr returns the error for an operation on an ended session.
func (c *Client) endedErr() error {
	c.mu.Lock()
	cause := c.cause
	c.mu.Unlock()
	return endedErr(cause)
}

func endedErr(cause error) error {
	if cause == nil || errors.Is(cause, net.ErrClosed) {
		return ErrClosed
	}
	return fmt.Errorf("xmpp: session ended: %w (%w)", cause, net.ErrClosed)
}

// errLinkBroke is returned by write, with Options.Reconnect, when the
// connection broke during fn: the link is shut down and the session is
// reconnecting.
var errLinkBroke = errors.New("xmpp: connection broke")

// write runs fn with the write lock held on the current link, turning ctx
// into a write deadline. While the session is reconnecting (or the link is
// already shut down, with Options.Reconnect), fn gets a nil link and writes
// nothing. A failed write breaks the stream, so it shuts the link down; with
// Options.Reconnect, write then returns errLinkBroke unless ctx ended.
func (c *Client) write(ctx context.Context, fn func(*link) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case c.writeSem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return c.endedErr()
	}
	defer func() { <-c.writeSem }()
	c.mu.Lock()
	cause, down := c.cause, c.status == StatusReconnecting
	c.mu.Unlock()
	if cause != nil {
		return endedErr(cause)
	}
	l := c.cur.Load()
	if down || l.isDead() {
		if c.opts.Reconnect == nil {
			return c.endedErr()
		}
		return fn(nil)
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		l.conn.SetWriteDeadline(time.Now())
		close(fired)
	})
	err := fn(l)
	if !stop() {
		<-fired
		if err == nil || !isIOError(err) {
			l.conn.SetWriteDeadline(time.Time{})
		}
	}
	if err == nil {
		l.lastWrite.Store(time.Now().UnixNano())
		return nil
	}
	if !isIOError(err) {
		return err // nothing was written
	}
	werr := fmt.Errorf("xmpp: write: %w", err)
	if cause := context.Cause(ctx); cause != nil && cause != ctx.Err() {
		// A deadline with its own cause (such as a dead-link ping's) says
		// best why the write failed.
		werr = fmt.Errorf("xmpp: write: %w (%w)", cause, err)
	}
	c.shutdown(l, werr, false)
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	if c.opts.Reconnect != nil {
		return errLinkBroke
	}
	return werr
}

// newID returns a random stanza id.
func newID() string { return rand.Text() }
