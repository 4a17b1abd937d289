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
	defaultMaxStanzaSize = 256 << 10
	defaultHandlerQueue  = 256
	// defaultNegotiationTimeout bounds one connection's negotiation.
	defaultNegotiationTimeout = 30 * time.Second
	defaultPort               = 5222
	// closeTimeout bounds how long Close waits to write </stream:stream> and
	// for the server's reply to it before closing the connection.
	closeTimeout = 2 * time.Second
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
	ErrInvalidIQ = errors.New("xmpp: invalid IQ")

	// ErrNegotiationTimeout is the cause of a negotiation that took longer
	// than Options.NegotiationTimeout.
	ErrNegotiationTimeout = errors.New("xmpp: negotiation timed out")
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
	// "no-mechanism" before sending credentials.
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

	// HandlerQueue is how many inbound stanzas may wait for the handler
	// goroutine. When it is full, the reader goroutine blocks, which also
	// holds back replies to SendIQ; a handler that calls SendIQ should use a
	// context with a deadline. Default 0: 256.
	HandlerQueue int

	// NegotiationTimeout bounds each connection's negotiation (TLS, SASL,
	// binding) on top of the ctx given to Dial or NewClient, so that a server
	// that stops answering cannot hang a caller whose ctx has no deadline.
	// Default 0: 30 seconds. A negative value means no limit beyond ctx.
	NegotiationTimeout time.Duration

	// OnMessage is called for every inbound <message/>. Default nil: messages
	// are dropped.
	OnMessage func(c *Client, m *Message)

	// OnPresence is called for every inbound <presence/>. Default nil:
	// presences are dropped.
	OnPresence func(c *Client, p *Presence)

	// OnIQ is called for every inbound IQ of type get or set (results and
	// errors go to SendIQ). A non-nil reply is sent, with Type "result", ID
	// and To (the request's sender) filled in where empty. A returned error
	// is sent as an IQ error: a *StanzaError (found with errors.As) as is,
	// anything else as internal-server-error without its text. (nil, nil) is
	// answered with service-unavailable (RFC 6120 §8.4), and so is every
	// request when OnIQ is nil (the default).
	OnIQ func(c *Client, iq *IQ) (*IQ, error)

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
	// server's <failed/> is logged and the session goes on without it.
	// Default false. Resuming a session after a broken connection is not
	// done yet; the state it needs is exposed.
	StreamManagement bool

	// MaxUnacked bounds how many sent stanzas may wait for the server's
	// acknowledgement with StreamManagement; when that many wait, Send and
	// SendIQ fail with ErrUnackedFull without writing. Default 0: 500.
	MaxUnacked int

	// AckEvery is how often, in stanzas sent, the client asks the server for
	// an acknowledgement with StreamManagement (it writes <r/> after every
	// AckEvery-th unacknowledged stanza). Default 0: 10.
	AckEvery int
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
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxStanzaSize <= 0 {
		c.MaxStanzaSize = defaultMaxStanzaSize
	}
	if c.HandlerQueue <= 0 {
		c.HandlerQueue = defaultHandlerQueue
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
	return c
}

// Client is a logged-in XMPP session: a negotiated stream with a bound
// resource. All its methods are safe for concurrent use, including from
// handlers.
//
// A Client runs two goroutines: a reader, which routes IQ replies to SendIQ
// and queues other stanzas, and a handler goroutine, which calls the Options
// handlers one at a time in arrival order. Both exit when the session ends;
// Done is closed then and Err says why. With Options.KeepAlive or PingIdle a
// third goroutine writes keepalives and pings; it exits with the session too.
//
// With Options.StreamManagement the reader also answers the server's
// XEP-0198 ack requests itself; <r/> and <a/> never reach the handlers.
type Client struct {
	jid    JID // bound full JID; immutable
	domain JID // the account's domain; immutable
	opts   Options
	log    *slog.Logger
	conn   net.Conn // transport (the *tls.Conn once TLS is up); deadlines and Close only
	raw    net.Conn // the TCP connection under conn; closed directly on failure

	features Element  // the stream features after SASL; immutable
	sm       *smState // nil unless stream management is enabled; immutable

	// available is set while the last broadcast presence sent (one without
	// To) was available, so that Close ends the presence session with
	// unavailable presence (RFC 6121 §4.5.1).
	available atomic.Bool

	dec *Decoder // owned by the reader goroutine

	// writeSem (capacity 1) is the write lock: holding it means owning enc,
	// endSent and write deadlines on conn. Lock order: writeSem, then mu.
	// Never wait for writeSem while holding mu.
	writeSem chan struct{}
	enc      *Encoder
	endSent  bool // </stream:stream> written; guarded by writeSem

	mu      sync.Mutex // guards pending and cause; never held across I/O
	pending map[string]*pendingIQ
	cause   error // why the session ends; the first one set wins

	queue        chan Stanza   // reader → handler goroutine; closed by the reader
	quit         chan struct{} // closed when Close starts: stop running handlers
	dead         chan struct{} // closed by shutdown, with the conn: stop enqueueing
	done         chan struct{} // closed after the reader exited and conn is closed
	dispatchDone chan struct{} // closed when the handler goroutine exits
	inHandler    atomic.Bool   // a handler is running

	// lastRead and lastWrite are the times (UnixNano) of the last element
	// read and the last successful write, for the keepalive goroutine.
	lastRead  atomic.Int64
	lastWrite atomic.Int64
	closeOnce sync.Once
	shutOnce  sync.Once
}

// pendingIQ is a SendIQ waiting for its reply.
type pendingIQ struct {
	to JID      // the request's To, for matching the reply's From
	ch chan *IQ // capacity 1; receives the reply
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
// ctx bounds connecting and negotiating; once Dial has returned, cancelling
// it has no effect on the session.
func Dial(ctx context.Context, jid, password string, opts *Options) (*Client, error) {
	o := opts.withDefaults()
	j, err := ParseJID(jid)
	if err != nil {
		return nil, err
	}
	return dial(ctx, j, password, o, nil)
}

// dial is Dial with parsed arguments; with res, it resumes a session
// instead of binding a resource.
func dial(ctx context.Context, j JID, password string, o Options, res *resumeReq) (*Client, error) {
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
		c, err := dialTarget1(ctx, t, j, password, &o, res)
		if err == nil {
			return c, nil
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
		return nil, fmt.Errorf("xmpp: domain %s offers no XMPP client service", j.Domain())
	}
	return nil, errors.Join(errs...)
}

// dialTarget1 connects to one target and negotiates over it.
func dialTarget1(ctx context.Context, t dialTarget, j JID, password string, o *Options, res *resumeReq) (*Client, error) {
	addr := net.JoinHostPort(t.Host, strconv.Itoa(int(t.Port)))
	o.Logger.Debug("xmpp: connecting", "addr", addr, "direct_tls", t.DirectTLS)
	conn, err := o.DialFunc(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("xmpp: dial %s: %w", addr, err)
	}
	oo := *o
	oo.DirectTLS = t.DirectTLS
	c, err := newClient(ctx, conn, j, password, &oo, res)
	if err != nil {
		return nil, fmt.Errorf("xmpp: %s: %w", addr, err)
	}
	return c, nil
}

// parseHostPort parses host[:port], defaulting the port to 5222.
func parseHostPort(s string) (dialTarget, error) {
	host, port := s, ""
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
	}
	if host == "" {
		return dialTarget{}, fmt.Errorf("xmpp: invalid server address %q", s)
	}
	t := dialTarget{Host: host, Port: defaultPort}
	if port != "" {
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil || n == 0 {
			return dialTarget{}, fmt.Errorf("xmpp: invalid port in server address %q", s)
		}
		t.Port = uint16(n)
	}
	return t, nil
}

// NewClient negotiates a session over conn, which must be a fresh connection
// to the server of jid's domain: TLS (STARTTLS, or a direct TLS handshake
// first when Options.DirectTLS is set), SASL with password, and resource
// binding (RFC 6120 §5–§7). Options.Server is ignored. A see-other-host
// stream error is returned as a *StreamError, not followed.
//
// ctx bounds the negotiation. On error, conn is closed.
func NewClient(ctx context.Context, conn net.Conn, jid, password string, opts *Options) (*Client, error) {
	o := opts.withDefaults()
	j, err := ParseJID(jid)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return newClient(ctx, conn, j, password, &o, nil)
}

func newClient(ctx context.Context, conn net.Conn, j JID, password string, o *Options, res *resumeReq) (*Client, error) {
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
	c := &Client{
		jid:          n.jid,
		domain:       n.domain,
		features:     n.features,
		opts:         *o,
		log:          o.Logger,
		conn:         n.conn,
		raw:          n.raw,
		dec:          n.dec,
		enc:          n.enc,
		writeSem:     make(chan struct{}, 1),
		pending:      make(map[string]*pendingIQ),
		queue:        make(chan Stanza, o.HandlerQueue),
		quit:         make(chan struct{}),
		dead:         make(chan struct{}),
		done:         make(chan struct{}),
		dispatchDone: make(chan struct{}),
	}
	if n.sm != nil {
		c.sm = &smState{info: *n.sm, ackSeen: make(chan struct{})}
	}
	var resend []Stanza
	if res != nil {
		var err error
		if resend, err = c.resumed(res, n.resumedH); err != nil {
			n.raw.Close()
			return nil, err
		}
		// Retransmit before anything else can be written.
		c.writeSem <- struct{}{}
	}
	now := time.Now().UnixNano()
	c.lastRead.Store(now)
	c.lastWrite.Store(now)
	c.log.Info("xmpp: session established", "jid", c.jid.String(), "resumed", res != nil)
	go c.readLoop()
	go c.dispatch()
	if o.KeepAlive > 0 || o.PingIdle > 0 {
		go c.keepalive()
	}
	if res != nil {
		if err := c.retransmit(ctx, resend); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// JID returns the full JID bound to the session.
func (c *Client) JID() JID { return c.jid }

// StreamFeatures returns the <stream:features/> element the server sent
// after authentication (RFC 6120 §4.3.2), for checking optional features
// such as roster versioning (RFC 6121 §2.6.1) with [Element.Child].
func (c *Client) StreamFeatures() Element { return c.features }

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
// the stream is broken and the session ends.
//
// Sending broadcast available presence (a *Presence without To and Type)
// makes Close send unavailable presence; see Close.
//
// After the session has ended, Send returns an error wrapping net.ErrClosed
// (and the cause).
func (c *Client) Send(ctx context.Context, s Stanza) error {
	if s == nil {
		return errors.New("xmpp: Send of a nil stanza")
	}
	return c.write(ctx, func(e *Encoder) error {
		if err := c.encodeStanza(e, s, false); err != nil {
			return err
		}
		if p, ok := s.(*Presence); ok && p.To.IsZero() {
			// Broadcast presence starts or ends the presence session.
			switch p.Type {
			case PresenceAvailable:
				c.available.Store(true)
			case PresenceUnavailable:
				c.available.Store(false)
			}
		}
		return nil
	})
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
func (c *Client) SendIQ(ctx context.Context, iq *IQ) (*IQ, error) {
	if iq == nil || (iq.Type != IQGet && iq.Type != IQSet) {
		return nil, fmt.Errorf("%w: SendIQ needs type get or set", ErrInvalidIQ)
	}
	req := *iq
	if req.ID == "" {
		req.ID = newID()
	}
	p := &pendingIQ{to: req.To, ch: make(chan *IQ, 1)}

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

	if err := c.write(ctx, func(e *Encoder) error { return c.encodeStanza(e, &req, false) }); err != nil {
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

// iqResult turns a reply into SendIQ's results.
func iqResult(r *IQ) (*IQ, error) {
	if r.Type == IQError {
		if r.Error != nil {
			return nil, r.Error
		}
		return nil, &StanzaError{Type: ErrorTypeCancel, Condition: "undefined-condition"}
	}
	return r, nil
}

// forget removes a pending entry, if it is still p.
func (c *Client) forget(id string, p *pendingIQ) {
	c.mu.Lock()
	if c.pending[id] == p {
		delete(c.pending, id)
	}
	c.mu.Unlock()
}

// Close ends the session: if broadcast available presence was sent with
// Send (and not since ended with unavailable presence), it first sends
// <presence type='unavailable'/> (RFC 6121 §4.5.1); then it writes
// </stream:stream>, waits up to two seconds for the server's
// </stream:stream> (RFC 6120 §4.4), closes the
// connection and waits for the reader and handler goroutines to exit. Stanzas
// still queued for handlers are dropped. Close called from a handler, or while
// a handler runs, does not wait for that handler; the handler goroutine exits
// when it returns.
//
// After Close, Err returns ErrClosed (unless the session had already ended
// for another reason), and Send and SendIQ return errors wrapping
// net.ErrClosed. Close is idempotent and returns nil.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		close(c.quit)
		c.setCause(ErrClosed)
		timer := time.NewTimer(closeTimeout)
		defer timer.Stop()
		select {
		case c.writeSem <- struct{}{}:
			if !c.endSent {
				c.endSent = true
				c.conn.SetWriteDeadline(time.Now().Add(closeTimeout))
				if c.available.Swap(false) {
					unavailable := &Presence{Header: Header{Type: PresenceUnavailable}}
					if err := c.encodeStanza(c.enc, unavailable, false); err != nil {
						c.log.Debug("xmpp: writing unavailable presence", "err", err)
					}
				}
				if err := c.enc.WriteEnd(); err != nil {
					c.log.Debug("xmpp: writing </stream:stream>", "err", err)
				}
			}
			<-c.writeSem
		case <-c.done:
		case <-timer.C:
		}
		select {
		case <-c.done:
		case <-timer.C:
			c.log.Debug("xmpp: no </stream:stream> from server; closing")
		}
		c.shutdown(ErrClosed, false)
	})
	<-c.done
	if !c.inHandler.Load() {
		<-c.dispatchDone
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

// shutdown records err as the cause (unless one is set) and closes the
// connection, which makes the reader exit. Only after a clean end of the
// stream in both directions is the TLS layer closed with close_notify; in
// every other case the TCP connection is closed at once, as a TLS close can
// block for seconds on a peer that does not read.
func (c *Client) shutdown(err error, clean bool) {
	c.setCause(err)
	c.shutOnce.Do(func() {
		if clean {
			// crypto/tls gives close_notify its own 5 s write deadline,
			// replacing any set here: bound it by closing the TCP
			// connection under it instead.
			t := time.AfterFunc(100*time.Millisecond, func() { c.raw.Close() })
			c.conn.Close()
			t.Stop()
		}
		c.raw.Close()
		close(c.dead)
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

// write runs fn with the write lock held, turning ctx into a write deadline.
// A failed write breaks the stream, so it ends the session.
func (c *Client) write(ctx context.Context, fn func(*Encoder) error) error {
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
	cause := c.cause
	c.mu.Unlock()
	if cause != nil {
		return endedErr(cause)
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		c.conn.SetWriteDeadline(time.Now())
		close(fired)
	})
	err := fn(c.enc)
	if !stop() {
		<-fired
		if err == nil || errors.Is(err, ErrUnackedFull) {
			c.conn.SetWriteDeadline(time.Time{})
		}
	}
	if errors.Is(err, ErrUnackedFull) {
		return err // nothing was written
	}
	if err != nil {
		werr := fmt.Errorf("xmpp: write: %w", err)
		if cause := context.Cause(ctx); cause != nil && cause != ctx.Err() {
			// A deadline with its own cause (such as a dead-link ping's)
			// says best why the write failed.
			werr = fmt.Errorf("xmpp: write: %w (%w)", cause, err)
		}
		c.shutdown(werr, false)
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return werr
	}
	c.lastWrite.Store(time.Now().UnixNano())
	return nil
}

// newID returns a random stanza id.
func newID() string { return rand.Text() }
