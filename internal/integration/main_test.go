package integration_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/xmpptest"
)

// opTimeout bounds every blocking call of a test: a dial, a send, a wait
// for a stanza.
const opTimeout = 20 * time.Second

// The shared servers, started by the first test that needs one and stopped
// in TestMain. Tests must not change their state: they log in as the
// default users with server-assigned resources and address each other by
// full JID, so tests running in parallel do not see each other's stanzas.
var (
	prosody       = &xmpptest.Shared{Kind: xmpptest.KindProsody}
	prosodyTLS12  = &xmpptest.Shared{Kind: xmpptest.KindProsody, Options: &xmpptest.Options{TLS12Only: true}}
	ejabberd      = &xmpptest.Shared{Kind: xmpptest.KindEjabberd}
	ejabberdTLS12 = &xmpptest.Shared{Kind: xmpptest.KindEjabberd, Options: &xmpptest.Options{TLS12Only: true}}
	// prosodyExample serves example.test, a domain only the DNS server of
	// TestSRV knows; its certificate covers the domain.
	prosodyExample = &xmpptest.Shared{Kind: xmpptest.KindProsody, Options: &xmpptest.Options{Domain: "example.test"}}
	sharedServers  = []*xmpptest.Shared{prosody, prosodyTLS12, ejabberd, ejabberdTLS12, prosodyExample}
	defaultServers = []struct {
		name   string
		shared *xmpptest.Shared
	}{
		{"prosody", prosody},
		{"ejabberd", ejabberd},
	}
)

func TestMain(m *testing.M) {
	code := m.Run()
	var wg sync.WaitGroup
	var failed atomic.Bool
	for _, s := range sharedServers {
		wg.Go(func() {
			if err := s.Stop(); err != nil {
				fmt.Fprintln(os.Stderr, err)
				failed.Store(true)
			}
		})
	}
	wg.Wait()
	if failed.Load() && code == 0 {
		code = 1 // a server that would not stop is a failure
	}
	os.Exit(code)
}

// testCtx returns a context that ends after opTimeout or with the test.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), opTimeout)
	t.Cleanup(cancel)
	return ctx
}

// tlsVariant is a way to get a TLS version: a server limited to TLS 1.2, or
// a client limiting itself.
type tlsVariant struct {
	name    string
	version uint16 // the version the connection must end up with
	// tls12Server selects the TLS12Only server instead of the default one.
	tls12Server bool
	// clientMax caps the client's TLSConfig.MaxVersion; 0 leaves it.
	clientMax uint16
}

var tlsVariants = []tlsVariant{
	{name: "TLS1.3", version: tls.VersionTLS13},
	{name: "TLS1.2-server", version: tls.VersionTLS12, tls12Server: true},
	{name: "TLS1.2-client", version: tls.VersionTLS12, clientMax: tls.VersionTLS12},
}

// transport is STARTTLS on the c2s port or direct TLS (XEP-0368).
type transport struct {
	name      string
	directTLS bool
}

var transports = []transport{
	{name: "starttls", directTLS: false},
	{name: "directtls", directTLS: true},
}

// server returns the shared server of kind for the TLS variant.
func (v tlsVariant) server(t *testing.T, kind string) *xmpptest.Server {
	t.Helper()
	switch {
	case kind == xmpptest.KindProsody && v.tls12Server:
		return prosodyTLS12.Server(t)
	case kind == xmpptest.KindProsody:
		return prosody.Server(t)
	case v.tls12Server:
		return ejabberdTLS12.Server(t)
	default:
		return ejabberd.Server(t)
	}
}

// conn is what a test wants of a login.
type conn struct {
	srv       *xmpptest.Server
	user      string
	password  string // default: the user's password on srv
	directTLS bool
	clientMax uint16   // TLSConfig.MaxVersion, 0 for none
	mechs     []string // Options.Mechanisms
	// onMessage and onPresence, if set, handle the inbound messages and
	// presences, through a Mux that is the Options Handler.
	onMessage  func(xmpp.Session, *xmpp.Message)
	onPresence func(xmpp.Session, *xmpp.Presence)
}

// messageHandler returns a Handler that gives every inbound message to f.
func messageHandler(f func(xmpp.Session, *xmpp.Message)) *xmpp.Mux {
	mux := xmpp.NewMux()
	mux.HandleMessage(f)
	return mux
}

// session is a login attempt and what it left behind.
type session struct {
	client *xmpp.Client    // nil if the login failed
	wire   *wireLog        // the raw XML, from Options.DebugWriter
	tlsVer *tlsVersionSeen // the negotiated TLS version
}

// login dials c.srv and returns the session and Dial's error. A client is
// closed when the test ends.
func login(t *testing.T, c conn) (*session, error) {
	t.Helper()
	s := &session{wire: &wireLog{}, tlsVer: &tlsVersionSeen{}}
	cfg := c.srv.TLSConfig()
	cfg.MaxVersion = c.clientMax
	cfg.VerifyConnection = s.tlsVer.record
	addr := c.srv.C2SAddr
	if c.directTLS {
		addr = c.srv.DirectTLSAddr
	}
	password := c.password
	if password == "" {
		password = c.srv.Password(c.user)
	}
	mux := xmpp.NewMux()
	if c.onMessage != nil {
		mux.HandleMessage(c.onMessage)
	}
	if c.onPresence != nil {
		mux.HandlePresence(c.onPresence)
	}
	client, err := xmpp.Dial(testCtx(t), c.srv.JID(c.user), password, &xmpp.Options{
		Server:      addr,
		DirectTLS:   c.directTLS,
		TLSConfig:   cfg,
		Mechanisms:  c.mechs,
		DebugWriter: s.wire,
		Handler:     mux,
	})
	if err != nil {
		return s, err
	}
	t.Cleanup(func() { client.Close() })
	s.client = client
	return s, nil
}

// mustLogin is login that fails the test on error, with the wire log and
// the server's log tail.
func mustLogin(t *testing.T, c conn) *xmpp.Client {
	t.Helper()
	s, err := login(t, c)
	require.NoError(t, err, "Dial(%s@%s)\nwire:\n%s\nserver log:\n%s", c.user, c.srv.Domain, s.wire, c.srv.LogTail(20))
	return s.client
}

// tlsVersionSeen records the TLS version from tls.Config.VerifyConnection.
type tlsVersionSeen struct {
	mu  sync.Mutex
	ver uint16
}

func (v *tlsVersionSeen) record(cs tls.ConnectionState) error {
	v.mu.Lock()
	v.ver = cs.Version
	v.mu.Unlock()
	return nil
}

func (v *tlsVersionSeen) get() uint16 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.ver
}

// wireLog is an Options.DebugWriter that keeps each write as one chunk.
// The library writes every chunk it reads or sends in one Write call,
// "SEND: " or "RECV: ", the bytes, and a newline; the bytes may hold part of
// an element or several.
type wireLog struct {
	mu     sync.Mutex
	chunks []wireChunk
}

type wireChunk struct {
	sent bool
	data string
}

func (w *wireLog) Write(p []byte) (int, error) {
	s := strings.TrimSuffix(string(p), "\n")
	var c wireChunk
	switch {
	case strings.HasPrefix(s, "SEND: "):
		c = wireChunk{sent: true, data: s[len("SEND: "):]}
	case strings.HasPrefix(s, "RECV: "):
		c = wireChunk{data: s[len("RECV: "):]}
	default:
		c = wireChunk{data: "?? " + s}
	}
	w.mu.Lock()
	w.chunks = append(w.chunks, c)
	w.mu.Unlock()
	return len(p), nil
}

// stream returns what was sent, or received, as one string.
func (w *wireLog) stream(sent bool) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var b strings.Builder
	for _, c := range w.chunks {
		if c.sent == sent {
			b.WriteString(c.data)
		}
	}
	return b.String()
}

func (w *wireLog) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var b strings.Builder
	for _, c := range w.chunks {
		if c.sent {
			b.WriteString("SEND: ")
		} else {
			b.WriteString("RECV: ")
		}
		b.WriteString(c.data)
		b.WriteByte('\n')
	}
	return b.String()
}

var (
	mechanismsRE = regexp.MustCompile(`(?s)<mechanisms\b[^>]*>(.*?)</mechanisms>`)
	mechanismRE  = regexp.MustCompile(`<mechanism>\s*([^<\s]+)\s*</mechanism>`)
	authRE       = regexp.MustCompile(`<auth\b[^>]*\bmechanism=['"]([^'"]+)['"]`)
)

// offeredMechanisms returns the SASL mechanisms of the last <mechanisms/>
// feature the server sent (RFC 6120 §6.4.1), in the server's order.
func (w *wireLog) offeredMechanisms() []string {
	all := mechanismsRE.FindAllStringSubmatch(w.stream(false), -1)
	if len(all) == 0 {
		return nil
	}
	var mechs []string
	for _, m := range mechanismRE.FindAllStringSubmatch(all[len(all)-1][1], -1) {
		mechs = append(mechs, m[1])
	}
	return mechs
}

// authMechanisms returns the mechanism of every <auth/> the client sent.
func (w *wireLog) authMechanisms() []string {
	var mechs []string
	for _, m := range authRE.FindAllStringSubmatch(w.stream(true), -1) {
		mechs = append(mechs, m[1])
	}
	return mechs
}

// waitFor receives from ch until match accepts a value, or fails the test
// after opTimeout.
func waitFor[T any](t *testing.T, ch <-chan T, what string, match func(T) bool) T {
	t.Helper()
	timer := time.NewTimer(opTimeout)
	defer timer.Stop()
	for {
		select {
		case v := <-ch:
			if match(v) {
				return v
			}
		case <-timer.C:
			t.Fatalf("timed out after %v waiting for %s", opTimeout, what)
		}
	}
}

// tlsName is tls.VersionName, shorter.
func tlsName(v uint16) string {
	if v == 0 {
		return "none"
	}
	return strings.ReplaceAll(tls.VersionName(v), " ", "")
}
