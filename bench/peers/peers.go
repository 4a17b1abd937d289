// Package peers logs in with each library under test and gives them one
// small interface for the session benchmarks: send a chat message, receive
// chat messages, close.
//
// Against a real server (Prosody, ejabberd) every library uses STARTTLS with
// the test CA, and the strongest SASL mechanism it supports that the server
// accepts from a Go TLS 1.3 client (see Mechanism). Against the scripted
// plaintext server every library uses SASL PLAIN without TLS, with whatever
// option it needs to allow that.
package peers

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	gojabber "github.com/gojabber/xmpp"
	goxmpp "github.com/xmppo/go-xmpp"
	gosrc "gosrc.io/xmpp"
	gosrcstanza "gosrc.io/xmpp/stanza"
	"mellium.im/sasl"
	"mellium.im/xmlstream"
	mellium "mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"
)

// Libraries lists the libraries with a client session, in report order.
var Libraries = []string{"gojabber", "go-xmpp", "mellium", "gosrc"}

// Target says where and as whom to log in.
type Target struct {
	Addr     string // host:port of the c2s listener
	Server   string // "prosody", "ejabberd" or "scripted"
	Domain   string
	User     string // localpart
	Password string
	// Resource is the resource to request; "" means the library's default
	// (gosrc and go-xmpp: "bench"; gojabber, mellium: server-assigned).
	Resource string
	// TLS is the client TLS configuration (RootCAs with the test CA,
	// ServerName the domain); nil means a plaintext server.
	TLS *tls.Config
}

// JID returns the bare JID of the target's user.
func (t Target) JID() string { return t.User + "@" + t.Domain }

// Session is a logged-in client of one library.
type Session interface {
	// Send sends a chat message.
	Send(ctx context.Context, to, body string) error
	// Close ends the session.
	Close() error
}

// OnMessage receives inbound messages with a body. It runs on the
// library's own receive path and must not block for long.
type OnMessage func(from, body string)

// Mechanism returns the SASL mechanism lib is configured to use against
// server, with the reason when it is not the strongest one offered.
func Mechanism(lib, server string) string {
	if server == "scripted" {
		return "PLAIN (no TLS)"
	}
	switch lib {
	case "gojabber":
		if server == "ejabberd" {
			return "SCRAM-SHA-512 (library default; -PLUS skipped on TLS 1.3: ejabberd 23.01 has no tls-exporter)"
		}
		return "SCRAM-SHA-1 (library default; Prosody 0.12 offers no -PLUS on TLS 1.3)"
	case "go-xmpp":
		if server == "ejabberd" {
			return "SCRAM-SHA-512 (forced: its default SCRAM-SHA-512-PLUS uses tls-exporter, which ejabberd 23.01 rejects)"
		}
		return "SCRAM-SHA-1 (library default)"
	case "mellium":
		if server == "ejabberd" {
			return "SCRAM-SHA-256 (strongest it has without -PLUS: its -PLUS uses tls-exporter on TLS 1.3)"
		}
		return "SCRAM-SHA-1"
	case "gosrc":
		return "PLAIN (the only password mechanism gosrc.io/xmpp v0.5.1 implements)"
	}
	return "?"
}

// Open logs lib in to t. onMsg may be nil.
func Open(ctx context.Context, lib string, t Target, onMsg OnMessage) (Session, error) {
	switch lib {
	case "gojabber":
		return openOurs(ctx, t, onMsg)
	case "go-xmpp":
		return openGoXMPP(ctx, t, onMsg)
	case "mellium":
		return openMellium(ctx, t, onMsg)
	case "gosrc":
		return openGosrc(ctx, t, onMsg)
	}
	return nil, fmt.Errorf("peers: unknown library %q", lib)
}

// --- gojabber ---

type ours struct{ c *gojabber.Client }

// OursOptions returns the Options gojabber logs in with.
func OursOptions(t Target) *gojabber.Options {
	o := &gojabber.Options{Server: t.Addr, TLSConfig: t.TLS, Resource: t.Resource}
	if t.TLS == nil {
		o.InsecureAllowPlaintext = true
	}
	return o
}

// oursHandler hands the inbound messages with a body to an OnMessage, and
// leaves the rest to the session's defaults.
type oursHandler OnMessage

func (h oursHandler) OnMessage(_ gojabber.Session, m *gojabber.Message) {
	if m.Body != "" {
		h(m.From.String(), m.Body)
	}
}

func (oursHandler) OnPresence(gojabber.Session, *gojabber.Presence) {}

func (oursHandler) OnIQ(gojabber.Session, *gojabber.IQ) (*gojabber.IQ, error) { return nil, nil }

func openOurs(ctx context.Context, t Target, onMsg OnMessage) (Session, error) {
	o := OursOptions(t)
	if onMsg != nil {
		o.Handler = oursHandler(onMsg)
	}
	c, err := gojabber.Dial(ctx, t.JID(), t.Password, o)
	if err != nil {
		return nil, err
	}
	// Initial presence (RFC 6121 §4.2), as the other libraries send on
	// login (go-xmpp, gosrc) or as their examples do (mellium): without it
	// the server does not deliver messages sent to the bare JID.
	if err := c.Send(ctx, &gojabber.Presence{}); err != nil {
		c.Close()
		return nil, err
	}
	return ours{c}, nil
}

func (s ours) Send(ctx context.Context, to, body string) error {
	j, err := gojabber.ParseJID(to)
	if err != nil {
		return err
	}
	m := &gojabber.Message{Body: body}
	m.To = j
	m.Type = gojabber.MessageChat
	return s.c.Send(ctx, m)
}

func (s ours) Close() error { return s.c.Close() }

// --- go-xmpp ---

// GoXMPPOptions returns the options go-xmpp logs in with.
func GoXMPPOptions(t Target) goxmpp.Options {
	// go-xmpp honours HTTP_PROXY for its TCP connection: make sure it
	// connects to loopback directly.
	os.Unsetenv("HTTP_PROXY")
	os.Unsetenv("http_proxy")
	o := goxmpp.Options{
		Host:        t.Addr,
		User:        t.JID(),
		Password:    t.Password,
		DialTimeout: 10 * time.Second,
		NoTLS:       true, // no direct TLS: STARTTLS below
		StartTLS:    t.TLS != nil,
		TLSConfig:   t.TLS,
		Resource:    "bench",
	}
	if t.Resource != "" {
		o.Resource = t.Resource
	}
	if t.TLS == nil {
		o.InsecureAllowUnencryptedAuth = true
	}
	if t.Server == "ejabberd" {
		o.Mechanism = "SCRAM-SHA-512"
	}
	return o
}

type goXMPP struct {
	c    *goxmpp.Client
	done chan struct{}
	mu   sync.Mutex // go-xmpp's Send is not documented as concurrency safe
}

func openGoXMPP(ctx context.Context, t Target, onMsg OnMessage) (Session, error) {
	c, err := GoXMPPOptions(t).NewClient()
	if err != nil {
		return nil, err
	}
	s := &goXMPP{c: c, done: make(chan struct{})}
	// A go-xmpp user must run a Recv loop to receive anything.
	go func() {
		defer close(s.done)
		for {
			v, err := c.Recv()
			if err != nil {
				return
			}
			if m, ok := v.(goxmpp.Chat); ok && onMsg != nil && m.Text != "" {
				onMsg(m.Remote, m.Text)
			}
		}
	}()
	return s, nil
}

func (s *goXMPP) Send(_ context.Context, to, body string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.c.Send(goxmpp.Chat{Remote: to, Type: "chat", Text: body})
	return err
}

func (s *goXMPP) Close() error {
	err := s.c.Close()
	return err
}

// --- mellium ---

// MelliumLogin negotiates a mellium client session over a new TCP
// connection to t: STARTTLS when t.TLS is set, SASL, resource binding.
func MelliumLogin(ctx context.Context, t Target) (*mellium.Session, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", t.Addr)
	if err != nil {
		return nil, err
	}
	origin, err := jid.Parse(t.JID())
	if err != nil {
		return nil, err
	}
	if t.Resource != "" {
		origin, err = origin.WithResource(t.Resource)
	}
	if err != nil {
		return nil, err
	}
	var feats []mellium.StreamFeature
	state := mellium.SessionState(0)
	mechs := []sasl.Mechanism{sasl.ScramSha256, sasl.ScramSha1, sasl.Plain}
	if t.TLS != nil {
		feats = append(feats, mellium.StartTLS(t.TLS))
	} else {
		// mellium only authenticates on a session it considers secure; on
		// the plaintext scripted server, say it is.
		state = mellium.Secure
		mechs = []sasl.Mechanism{sasl.Plain}
	}
	feats = append(feats, mellium.SASL("", t.Password, mechs...), mellium.BindResource())
	s, err := mellium.NewSession(ctx, origin.Domain(), origin, conn, state,
		mellium.NewNegotiator(func(*mellium.Session, *mellium.StreamConfig) mellium.StreamConfig {
			return mellium.StreamConfig{Features: feats}
		}))
	if err != nil {
		conn.Close()
		return nil, err
	}
	return s, nil
}

type melliumSession struct {
	s    *mellium.Session
	done chan error
}

// melliumBody is the echobot example's message struct (mellium's
// echobot_example_test.go): the stanza header plus the body.
type melliumBody struct {
	stanza.Message
	Body string `xml:"body"`
}

func openMellium(ctx context.Context, t Target, onMsg OnMessage) (Session, error) {
	s, err := MelliumLogin(ctx, t)
	if err != nil {
		return nil, err
	}
	// Initial presence, as the echobot example sends before serving.
	if err := s.Send(ctx, stanza.Presence{Type: stanza.AvailablePresence}.Wrap(nil)); err != nil {
		s.Close()
		return nil, err
	}
	m := &melliumSession{s: s, done: make(chan error, 1)}
	go func() {
		m.done <- s.Serve(mellium.HandlerFunc(func(r xmlstream.TokenReadEncoder, start *xml.StartElement) error {
			if start.Name.Local != "message" || onMsg == nil {
				return nil
			}
			var msg melliumBody
			// The whole element, start tag included: DecodeElement with
			// start on the handler's reader, as mellium's echobot example
			// does, fails with "unexpected end element" (see
			// decode.melliumElement).
			d := xml.NewTokenDecoder(xmlstream.MultiReader(xmlstream.Token(start.Copy()), r))
			if err := d.Decode(&msg); err != nil {
				return err
			}
			if msg.Body != "" {
				onMsg(msg.From.String(), msg.Body)
			}
			return nil
		}))
	}()
	return m, nil
}

func (m *melliumSession) Send(ctx context.Context, to, body string) error {
	j, err := jid.Parse(to)
	if err != nil {
		return err
	}
	return m.s.Encode(ctx, melliumBody{
		Message: stanza.Message{To: j, Type: stanza.ChatMessage},
		Body:    body,
	})
}

func (m *melliumSession) Close() error {
	err := m.s.Close()
	select {
	case <-m.done:
	case <-time.After(2 * time.Second):
	}
	if c := m.s.Conn(); c != nil {
		c.Close()
	}
	return err
}

// --- gosrc ---

type gosrcSession struct{ c *gosrc.Client }

func openGosrc(ctx context.Context, t Target, onMsg OnMessage) (Session, error) {
	cfg := &gosrc.Config{
		TransportConfiguration: gosrc.TransportConfiguration{
			Address:   t.Addr,
			Domain:    t.Domain,
			TLSConfig: t.TLS,
		},
		Jid:        t.JID() + "/" + cmp.Or(t.Resource, "bench"),
		Credential: gosrc.Password(t.Password),
		Insecure:   t.TLS == nil,
		// gosrc sends a whitespace keepalive every KeepaliveInterval
		// (default 30 s); keep the default.
	}
	r := gosrc.NewRouter()
	if onMsg != nil {
		r.HandleFunc("message", func(_ gosrc.Sender, p gosrcstanza.Packet) {
			if m, ok := p.(gosrcstanza.Message); ok && m.Body != "" {
				onMsg(m.From, m.Body)
			}
		})
	}
	var errMu sync.Mutex
	var lastErr error
	c, err := gosrc.NewClient(cfg, r, func(err error) {
		errMu.Lock()
		lastErr = err
		errMu.Unlock()
	})
	if err != nil {
		return nil, err
	}
	if err := c.Connect(); err != nil {
		errMu.Lock()
		defer errMu.Unlock()
		return nil, errors.Join(err, lastErr)
	}
	return gosrcSession{c}, nil
}

func (s gosrcSession) Send(_ context.Context, to, body string) error {
	m := gosrcstanza.NewMessage(gosrcstanza.Attrs{To: to, Type: gosrcstanza.MessageTypeChat})
	m.Body = body
	return s.c.Send(m)
}

func (s gosrcSession) Close() error { return s.c.Disconnect() }

// TLSConfig returns a client TLS configuration trusting the CA in caFile
// and verifying domain.
func TLSConfig(caFile, domain string) (*tls.Config, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("peers: no certificate in " + caFile)
	}
	return &tls.Config{RootCAs: pool, ServerName: domain}, nil
}
