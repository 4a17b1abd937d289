package fake

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gojabber/xmpp"
)

// Timeout bounds every step that waits on the client: the negotiation in
// Start, each write of Send, an Expect whose ctx has no earlier deadline, and
// the wait for the client's </stream:stream> in Close.
const Timeout = 5 * time.Second

// Namespaces of stream negotiation (RFC 6120 §5–§7).
const (
	nsTLS  = "urn:ietf:params:xml:ns:xmpp-tls"
	nsSASL = "urn:ietf:params:xml:ns:xmpp-sasl"
	nsBind = "urn:ietf:params:xml:ns:xmpp-bind"
)

// password is what the client logs in with; the server accepts any.
const password = "fake-password"

// defaultResource is bound when neither the JID given to Start nor
// Options.Resource has one.
const defaultResource = "fake"

// Server is the server end of one client connection, past negotiation: the
// test writes raw XML to the client with Send and reads what the client sent
// with Next, Expect and ExpectIQ.
//
// A reader goroutine reads the client's stream from the moment the resource
// is bound and queues every element, without limit, so the client never
// blocks on a server that is not reading. When the client ends its stream,
// the server answers with </stream:stream>.
//
// Send, Expect and ExpectIQ report failures with the testing.TB given to
// Start and must be called from the test's goroutine. Next, AnswerIQs,
// Close and JID are safe for concurrent use.
type Server struct {
	tb  testing.TB
	jid xmpp.JID // bound full JID; immutable after Start

	raw  net.Conn      // server end of the pipe
	conn net.Conn      // TLS over raw once negotiated
	dec  *xmpp.Decoder // owned by negotiate, then by the reader goroutine

	wmu     sync.Mutex // guards writes to conn, endSent and closed; never held with mu
	endSent bool
	closed  bool // Close has been called

	mu     sync.Mutex // guards queue and answer
	queue  []item
	answer func(*xmpp.IQ) (string, bool)
	avail  chan struct{} // capacity 1: the queue grew

	readDone  chan struct{} // closed when the reader goroutine has exited
	end       error         // why reading ended; written before readDone is closed
	closeOnce sync.Once
}

// item is one result of the decoder: a value or a non-fatal error.
type item struct {
	v   any
	err error
}

// Start connects a new client to a new fake server over net.Pipe and returns
// both once the client is logged in as jid.
//
// The server negotiates as RFC 6120 describes: STARTTLS (required), with a
// certificate for the JID's domain issued by a CA made in-process; SASL
// PLAIN, accepting any password for the JID's localpart; and resource
// binding, binding the resource the client asks for (Options.Resource, else
// the resourcepart of jid), or "fake" when it asks for none. With
// Options.DirectTLS, the TLS handshake comes first and STARTTLS is not
// offered.
//
// opts are the client's options, nil meaning the defaults; they are not
// modified. Start fills in TLSConfig: a clone of the one given, or a new one,
// with RootCAs set to the fake CA and ServerName to the JID's domain.
// Options.Mechanisms, if set, must allow PLAIN.
//
// The client is closed, then the server, in tb.Cleanup. Start fails the test
// with tb.Fatal if the negotiation does not succeed within Timeout.
func Start(tb testing.TB, jid string, opts *xmpp.Options) (*xmpp.Client, *Server) {
	tb.Helper()
	j, err := xmpp.ParseJID(jid)
	if err != nil {
		tb.Fatalf("fake.Start: %v", err)
	}
	if j.Local() == "" {
		tb.Fatalf("fake.Start: JID %q has no localpart", jid)
	}
	auth, err := ca()
	if err != nil {
		tb.Fatalf("fake.Start: making CA: %v", err)
	}
	leaf, err := auth.leaf(j.Domain())
	if err != nil {
		tb.Fatalf("fake.Start: making certificate: %v", err)
	}

	var o xmpp.Options
	if opts != nil {
		o = *opts
	}
	if o.TLSConfig != nil {
		o.TLSConfig = o.TLSConfig.Clone()
	} else {
		o.TLSConfig = &tls.Config{}
	}
	o.TLSConfig.RootCAs = auth.pool
	o.TLSConfig.ServerName = j.Domain()
	resource := o.Resource
	if resource == "" {
		resource = j.Resource()
	}

	cc, sc := net.Pipe()
	s := &Server{
		tb:       tb,
		raw:      sc,
		conn:     sc,
		avail:    make(chan struct{}, 1),
		readDone: make(chan struct{}),
	}
	srvCfg := &tls.Config{
		Certificates:           []tls.Certificate{*leaf},
		NextProtos:             []string{"xmpp-client"},
		SessionTicketsDisabled: true, // no writes after the handshake
	}
	negErr := make(chan error, 1)
	go func() { negErr <- s.negotiate(j, o.DirectTLS, srvCfg) }()

	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	o.Resource = resource
	c, cerr := xmpp.NewClient(ctx, cc, j.Bare().String(), password, &o)
	if cerr != nil {
		sc.Close()
	}
	serr := <-negErr
	if cerr != nil || serr != nil {
		cc.Close()
		sc.Close()
		tb.Fatalf("fake.Start(%q): client: %v; server: %v", jid, cerr, serr)
	}
	go s.read()
	tb.Cleanup(s.Close)
	tb.Cleanup(func() { c.Close() })
	return c, s
}

// negotiate plays the server's side of RFC 6120 §5–§7 over s.raw.
func (s *Server) negotiate(j xmpp.JID, directTLS bool, cfg *tls.Config) (err error) {
	s.raw.SetDeadline(time.Now().Add(Timeout))
	defer func() {
		if err != nil {
			s.raw.Close()
			return
		}
		s.raw.SetDeadline(time.Time{})
	}()
	domain := j.Domain()
	if !directTLS {
		s.dec = xmpp.NewDecoder(s.conn)
		if err := s.open(domain, "<starttls xmlns='"+nsTLS+"'><required/></starttls>"); err != nil {
			return err
		}
		if _, err := s.element(nsTLS, "starttls"); err != nil {
			return err
		}
		if err := s.write("<proceed xmlns='" + nsTLS + "'/>"); err != nil {
			return err
		}
		if s.dec.Buffered() != 0 {
			return errors.New("client sent data after <starttls/> before the TLS handshake")
		}
	}
	tc := tls.Server(s.raw, cfg)
	if err := tc.Handshake(); err != nil {
		return fmt.Errorf("TLS handshake: %w", err)
	}
	s.conn = tc
	s.dec = xmpp.NewDecoder(s.conn)

	if err := s.open(domain, "<mechanisms xmlns='"+nsSASL+"'><mechanism>PLAIN</mechanism></mechanisms>"); err != nil {
		return err
	}
	auth, err := s.element(nsSASL, "auth")
	if err != nil {
		return err
	}
	if m := auth.Attr("mechanism"); m != "PLAIN" {
		return fmt.Errorf("SASL mechanism %q, want PLAIN", m)
	}
	payload, err := base64.StdEncoding.DecodeString(strings.TrimSpace(auth.Text()))
	if err != nil {
		return fmt.Errorf("SASL PLAIN payload: %w", err)
	}
	// message = [authzid] NUL authcid NUL passwd (RFC 4616 §2)
	parts := strings.Split(string(payload), "\x00")
	if len(parts) != 3 || parts[1] != j.Local() {
		s.write("<failure xmlns='" + nsSASL + "'><not-authorized/></failure>")
		return fmt.Errorf("SASL PLAIN: want authcid %q", j.Local())
	}
	if err := s.write("<success xmlns='" + nsSASL + "'/>"); err != nil {
		return err
	}
	s.dec.Reset() // RFC 6120 §6.4.6: a new stream

	if err := s.open(domain, "<bind xmlns='"+nsBind+"'/>"); err != nil {
		return err
	}
	v, err := s.dec.Next()
	if err != nil {
		return fmt.Errorf("reading bind request: %w", err)
	}
	iq, ok := v.(*xmpp.IQ)
	if !ok || iq.Type != xmpp.IQSet || iq.Payload.Name != (xml.Name{Space: nsBind, Local: "bind"}) {
		return fmt.Errorf("want resource binding request, got %s", describe(v))
	}
	res := defaultResource
	if r, ok := iq.Payload.Child(nsBind, "resource"); ok && r.Text() != "" {
		res = r.Text()
	}
	full, err := j.Bare().WithResource(res)
	if err != nil {
		return fmt.Errorf("binding resource %q: %w", res, err)
	}
	s.jid = full
	return s.write("<iq type='result' id='" + escape(iq.ID) + "'><bind xmlns='" + nsBind + "'><jid>" +
		escape(full.String()) + "</jid></bind></iq>")
}

// open reads the client's stream header and answers with a header and the
// given features.
func (s *Server) open(domain, features string) error {
	h, err := s.dec.Header()
	if err != nil {
		return fmt.Errorf("reading stream header: %w", err)
	}
	if h.To.String() != domain {
		return fmt.Errorf("stream header to=%q, want %q", h.To.String(), domain)
	}
	return s.write("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='" + xmpp.NSStream +
		"' from='" + escape(domain) + "' id='fake' version='1.0' xml:lang='en'><stream:features>" + features + "</stream:features>")
}

// element reads the next top-level element and checks its name.
func (s *Server) element(space, local string) (*xmpp.Element, error) {
	v, err := s.dec.Next()
	if err != nil {
		return nil, fmt.Errorf("reading <%s/>: %w", local, err)
	}
	el, ok := v.(*xmpp.Element)
	if !ok || el.Name.Space != space || el.Name.Local != local {
		return nil, fmt.Errorf("want <%s xmlns='%s'/>, got %s", local, space, describe(v))
	}
	return el, nil
}

// describe names what the decoder returned, for error messages.
func describe(v any) string {
	switch v := v.(type) {
	case *xmpp.Element:
		return v.Raw
	case *xmpp.IQ:
		return fmt.Sprintf("<iq type=%q id=%q> with <%s xmlns=%q/>", v.Type, v.ID, v.Payload.Name.Local, v.Payload.Name.Space)
	}
	return fmt.Sprintf("%T", v)
}

// write writes raw to the connection, bounded by Timeout.
func (s *Server) write(raw string) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.writeLocked(raw)
}

func (s *Server) writeLocked(raw string) error {
	s.conn.SetWriteDeadline(time.Now().Add(Timeout))
	_, err := io.WriteString(s.conn, raw)
	return err
}

// writeEnd writes </stream:stream> unless it was written already.
func (s *Server) writeEnd() {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if !s.endSent {
		s.endSent = true
		s.writeLocked("</stream:stream>")
	}
}

// read is the reader goroutine: it queues what the client sends until its
// stream ends, then drains the connection until the client closes it.
func (s *Server) read() {
	defer close(s.readDone)
	for {
		v, err := s.dec.Next()
		if err != nil {
			if _, ok := errors.AsType[*xmpp.BadStanzaError](err); ok {
				s.push(item{err: err})
				continue
			}
			if errors.Is(err, io.EOF) {
				s.writeEnd() // RFC 6120 §4.4
			}
			s.end = err
			break
		}
		if iq, ok := v.(*xmpp.IQ); ok && (iq.Type == xmpp.IQGet || iq.Type == xmpp.IQSet) {
			s.mu.Lock()
			f := s.answer
			s.mu.Unlock()
			if f != nil {
				if reply, ok := f(iq); ok {
					s.write(reply) // an error ends the stream, and the reader with it
					continue
				}
			}
		}
		s.push(item{v: v})
	}
	// Keep reading, so that the client's writes (a TLS close_notify) do not
	// block on the pipe.
	io.Copy(io.Discard, s.conn)
}

func (s *Server) push(it item) {
	s.mu.Lock()
	s.queue = append(s.queue, it)
	s.mu.Unlock()
	select {
	case s.avail <- struct{}{}:
	default:
	}
}

// JID returns the full JID bound to the client.
func (s *Server) JID() xmpp.JID { return s.jid }

// Send writes raw to the client as it is: one or more stanzas or other
// top-level elements, or any bytes at all for tests of hostile input.
//
// If the client has closed the connection, maybe in the middle of the write
// because of what it read, the rest of raw is dropped without error: the
// client's Err says why it ended. Send fails the test with tb.Fatal if it is
// called after Close, or if the write does not complete within Timeout,
// which happens when the client stopped reading.
func (s *Server) Send(raw string) {
	s.tb.Helper()
	s.wmu.Lock()
	closed := s.closed
	err := s.writeLocked(raw)
	s.wmu.Unlock()
	switch {
	case closed:
		s.tb.Fatalf("fake: Send(%.80q) after Close", raw)
	case err != nil && !errors.Is(err, io.ErrClosedPipe):
		s.tb.Fatalf("fake: Send(%.80q): %v", raw, err)
	}
}

// Next returns the next top-level element the client sent, in order, as
// xmpp.Decoder.Next returns it: a *xmpp.Message, *xmpp.Presence or *xmpp.IQ
// for a stanza, an *xmpp.Element for anything else. A stanza the decoder
// rejects is returned as a (nil, *xmpp.BadStanzaError), and the stream goes
// on.
//
// After the client ended its stream, and everything before was returned,
// Next returns io.EOF; after the connection broke, the error it broke with.
// If ctx ends first, Next returns ctx.Err().
func (s *Server) Next(ctx context.Context) (any, error) {
	for {
		s.mu.Lock()
		if len(s.queue) > 0 {
			it := s.queue[0]
			s.queue[0] = item{}
			s.queue = s.queue[1:]
			s.mu.Unlock()
			return it.v, it.err
		}
		s.mu.Unlock()
		select {
		case <-s.avail:
		case <-s.readDone:
			s.mu.Lock()
			empty := len(s.queue) == 0
			s.mu.Unlock()
			if empty {
				return nil, s.end
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Expect reads what the client sent until match reports true for an element,
// and returns that element; the ones before it are dropped. A nil match
// matches anything. Elements are those Next returns; bad stanzas are skipped.
//
// Expect fails the test with tb.Fatal if ctx ends, Timeout passes, or the
// client's stream ends before a match.
func (s *Server) Expect(ctx context.Context, match func(any) bool) any {
	s.tb.Helper()
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	var skipped []string
	for {
		v, err := s.Next(ctx)
		if err != nil {
			if _, ok := errors.AsType[*xmpp.BadStanzaError](err); ok {
				continue
			}
			s.tb.Fatalf("fake: Expect: %v; skipped %d elements: %s", err, len(skipped), strings.Join(skipped, ", "))
		}
		if match == nil || match(v) {
			return v
		}
		skipped = append(skipped, describe(v))
	}
}

// ExpectIQ is Expect for an IQ of the given type whose payload is named
// {space, local}; a zero typ or an empty space or local matches any value.
func (s *Server) ExpectIQ(ctx context.Context, typ xmpp.IQType, space, local string) *xmpp.IQ {
	s.tb.Helper()
	return s.Expect(ctx, func(v any) bool {
		iq, ok := v.(*xmpp.IQ)
		return ok && (typ == 0 || iq.Type == typ) &&
			(space == "" || iq.Payload.Name.Space == space) &&
			(local == "" || iq.Payload.Name.Local == local)
	}).(*xmpp.IQ)
}

// AnswerIQs makes the server answer IQ requests (get or set) from the client
// by itself: for each one, f is called on the reader goroutine, and if it
// returns ok, reply is written to the client and the request is not queued
// for Next. nil f stops the answering. f must return promptly, as the client
// waits while it runs, and must not call Send or Expect; it may use Result.
func (s *Server) AnswerIQs(f func(iq *xmpp.IQ) (reply string, ok bool)) {
	s.mu.Lock()
	s.answer = f
	s.mu.Unlock()
}

// Result returns the raw XML of a result to the IQ request iq, from the
// entity the request was sent to (no from when iq.To is empty), with payload
// as its child; payload is raw XML and may be empty.
func Result(iq *xmpp.IQ, payload string) string {
	var b strings.Builder
	b.WriteString("<iq type='result' id='")
	b.WriteString(escape(iq.ID))
	b.WriteString("'")
	if !iq.To.IsZero() {
		b.WriteString(" from='")
		b.WriteString(escape(iq.To.String()))
		b.WriteString("'")
	}
	if !iq.From.IsZero() {
		b.WriteString(" to='")
		b.WriteString(escape(iq.From.String()))
		b.WriteString("'")
	}
	b.WriteString(">")
	b.WriteString(payload)
	b.WriteString("</iq>")
	return b.String()
}

// Close ends the stream: it writes </stream:stream> (unless it did already),
// waits up to Timeout for the client to end its stream and close the
// connection, then closes the connection and waits for the reader goroutine
// to exit. Close is idempotent; Start registers it with tb.Cleanup.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.wmu.Lock()
		s.closed = true
		s.wmu.Unlock()
		s.writeEnd()
		t := time.NewTimer(Timeout)
		defer t.Stop()
		select {
		case <-s.readDone:
		case <-t.C:
		}
		s.raw.Close()
		<-s.readDone
	})
}

// escape escapes s for XML text or an attribute value in either quotes.
func escape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
