package xmpp

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fake server speaks just enough XMPP, with encoding/xml rather than the
// package's own codec, to script what a test needs, including what no real
// server would do.

const (
	testDomain   = "example.test"
	testUser     = "alice"
	testPassword = "pencil-🔑"
	testJID      = testUser + "@" + testDomain
)

// testPKI is a CA and a server certificate for testDomain, made once per
// test binary.
var testPKI = sync.OnceValues(func() (*testCerts, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "gojabber test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: testDomain},
		DNSNames:     []string{testDomain},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &testCerts{
		roots:  pool,
		server: tls.Certificate{Certificate: [][]byte{der, caDER}, PrivateKey: key},
	}, nil
})

type testCerts struct {
	roots  *x509.CertPool
	server tls.Certificate
}

// clientTLS is a client TLS config trusting the test CA. ServerName is left
// for the client to default to the JID's domain.
func clientTLS(t *testing.T) *tls.Config {
	pki, err := testPKI()
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{RootCAs: pki.roots}
}

func serverTLS(t *testing.T) *tls.Config {
	pki, err := testPKI()
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pki.server}, NextProtos: []string{"xmpp-client"}}
}

// fsElement is a top-level element the fake server received.
type fsElement struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Inner   string     `xml:",innerxml"`
}

func (e *fsElement) attr(local string) string {
	for _, a := range e.Attrs {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

func (e *fsElement) is(space, local string) bool {
	return e != nil && e.XMLName.Space == space && e.XMLName.Local == local
}

// fakeServer is one scripted server connection.
type fakeServer struct {
	t      *testing.T
	raw    net.Conn
	conn   net.Conn
	br     *bufio.Reader
	dec    *xml.Decoder
	tlsCfg *tls.Config

	mu       sync.Mutex
	received []string // local names of every element received, in order
	done     chan struct{}
	err      error
}

// fsAbort is panicked by script helpers to stop the script on an error.
type fsAbort struct{ err error }

// startFake runs script on the server end of a fresh loopback TCP
// connection and returns the client end. The test fails if the script does.
func startFake(t *testing.T, script func(s *fakeServer)) net.Conn {
	t.Helper()
	c, _ := startFakeServer(t, script)
	return c
}

func startFakeServer(t *testing.T, script func(s *fakeServer)) (net.Conn, *fakeServer) {
	t.Helper()
	client, server := tcpPair(t)
	s := &fakeServer{t: t, raw: server, conn: server, br: bufio.NewReader(server), tlsCfg: serverTLS(t), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer s.raw.Close()
		defer func() {
			if r := recover(); r != nil {
				a, ok := r.(fsAbort)
				if !ok {
					panic(r)
				}
				s.err = a.err
			}
		}()
		script(s)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			s.raw.Close()
			<-s.done
			t.Errorf("fake server: script did not finish")
		}
		if s.err != nil {
			t.Errorf("fake server: %v", s.err)
		}
	})
	return client, s
}

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := ln.Accept()
		ch <- res{c, err}
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { client.Close(); r.c.Close() })
	return client, r.c
}

func (s *fakeServer) fail(format string, args ...any) {
	panic(fsAbort{fmt.Errorf(format, args...)})
}

// wait returns once the script has finished.
func (s *fakeServer) wait() { <-s.done }

// receivedNames returns the local names of the elements received so far.
func (s *fakeServer) receivedNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.received...)
}

func (s *fakeServer) send(raw string) {
	s.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(s.conn, raw); err != nil {
		s.fail("write %q: %v", raw, err)
	}
}

// expectHeader reads the client's stream header, starting a new XML
// document, and checks it.
func (s *fakeServer) expectHeader() {
	s.dec = xml.NewDecoder(s.br)
	for {
		tok := s.token()
		switch tok := tok.(type) {
		case xml.ProcInst, xml.CharData:
			continue
		case xml.StartElement:
			if tok.Name.Space != NSStream || tok.Name.Local != "stream" {
				s.fail("want stream header, got %v", tok.Name)
			}
			attrs := map[string]string{}
			for _, a := range tok.Attr {
				attrs[a.Name.Local] = a.Value
			}
			if attrs["to"] != testDomain || attrs["version"] != "1.0" {
				s.fail("bad stream header attributes %v", attrs)
			}
			return
		default:
			s.fail("want stream header, got %T %v", tok, tok)
		}
	}
}

func (s *fakeServer) token() xml.Token {
	s.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	tok, err := s.dec.Token()
	if err != nil {
		s.fail("read: %v", err)
	}
	return xml.CopyToken(tok)
}

// sendHeader writes the server's stream header.
func (s *fakeServer) sendHeader() {
	s.send("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='" + NSStream +
		"' from='" + testDomain + "' id='" + rand.Text() + "' version='1.0' xml:lang='en'>")
}

// open reads the client's header and answers with a header and features.
func (s *fakeServer) open(features string) {
	s.expectHeader()
	s.sendHeader()
	s.send("<stream:features>" + features + "</stream:features>")
}

// next reads the next top-level element; nil means the client ended the
// stream with </stream:stream>.
func (s *fakeServer) next() *fsElement {
	for {
		tok := s.token()
		switch tok := tok.(type) {
		case xml.CharData:
			continue
		case xml.EndElement:
			s.record("/stream")
			return nil
		case xml.StartElement:
			var e fsElement
			s.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			if err := s.dec.DecodeElement(&e, &tok); err != nil {
				s.fail("read element: %v", err)
			}
			s.record(e.XMLName.Local)
			return &e
		default:
			s.fail("unexpected token %T %v", tok, tok)
		}
	}
}

func (s *fakeServer) record(name string) {
	s.mu.Lock()
	s.received = append(s.received, name)
	s.mu.Unlock()
}

// expect reads the next element and checks its name.
func (s *fakeServer) expect(space, local string) *fsElement {
	e := s.next()
	if !e.is(space, local) {
		if e == nil {
			s.fail("want <%s xmlns='%s'/>, got end of stream", local, space)
		}
		s.fail("want <%s xmlns='%s'/>, got <%s xmlns='%s'>%s", local, space, e.XMLName.Local, e.XMLName.Space, e.Inner)
	}
	return e
}

// expectClosed reads until the client hangs up, recording what it sends.
func (s *fakeServer) expectClosed() {
	buf := make([]byte, 4096)
	for {
		s.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if s.dec != nil {
			// Record whole elements while the XML is readable.
			tok, err := s.dec.Token()
			if err == nil {
				if st, ok := tok.(xml.StartElement); ok {
					s.record(st.Name.Local)
				}
				continue
			}
			if isTimeout(err) {
				s.fail("client did not hang up")
			}
			s.dec = nil
			continue
		}
		_, err := s.br.Read(buf)
		if err != nil {
			if isTimeout(err) {
				s.fail("client did not hang up")
			}
			return
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// startTLS answers <starttls/> and runs the TLS handshake.
func (s *fakeServer) startTLS() {
	s.expect(nsTLS, "starttls")
	s.send("<proceed xmlns='" + nsTLS + "'/>")
	s.handshake()
}

func (s *fakeServer) handshake() {
	tc := tls.Server(&bufConn{Conn: s.raw, r: s.br}, s.tlsCfg)
	tc.SetDeadline(time.Now().Add(5 * time.Second))
	if err := tc.Handshake(); err != nil {
		s.fail("TLS handshake: %v", err)
	}
	tc.SetDeadline(time.Time{})
	s.conn = tc
	s.br = bufio.NewReader(tc)
}

// bufConn reads what a bufio.Reader holds before reading the conn.
type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufConn) Read(p []byte) (int, error) { return c.r.Read(p) }

const (
	featStartTLS = "<starttls xmlns='" + nsTLS + "'><required/></starttls>"
	featBind     = "<bind xmlns='" + nsBind + "'/>"
)

func featMechs(names ...string) string {
	var b strings.Builder
	b.WriteString("<mechanisms xmlns='" + nsSASL + "'>")
	for _, n := range names {
		b.WriteString("<mechanism>" + n + "</mechanism>")
	}
	b.WriteString("</mechanisms>")
	return b.String()
}

// saslPayload decodes the base64 text of a SASL element.
func (s *fakeServer) saslPayload(e *fsElement) []byte {
	text := strings.TrimSpace(e.Inner)
	if text == "=" {
		return []byte{}
	}
	b, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		s.fail("SASL payload %q: %v", text, err)
	}
	return b
}

// authPLAIN expects PLAIN with the test credentials and answers success.
func (s *fakeServer) authPLAIN() {
	e := s.expect(nsSASL, "auth")
	if m := e.attr("mechanism"); m != "PLAIN" {
		s.fail("mechanism %q, want PLAIN", m)
	}
	if got, want := string(s.saslPayload(e)), "\x00"+testUser+"\x00"+testPassword; got != want {
		s.fail("PLAIN payload %q, want %q", got, want)
	}
	s.send("<success xmlns='" + nsSASL + "'/>")
}

// authSCRAM plays the server side of SCRAM-SHA-256 (RFC 5802, RFC 7677)
// with the test credentials. If badSignature, it sends a wrong server
// signature in <success/>.
func (s *fakeServer) authSCRAM(badSignature bool) {
	s.authSCRAMMech("SCRAM-SHA-256", badSignature)
}

// authSCRAMMech is authSCRAM for SCRAM-SHA-256 or SCRAM-SHA-256-PLUS with
// tls-exporter channel binding (RFC 9266).
func (s *fakeServer) authSCRAMMech(mech string, badSignature bool) {
	e := s.expect(nsSASL, "auth")
	if m := e.attr("mechanism"); m != mech {
		s.fail("mechanism %q, want %s", m, mech)
	}
	first := string(s.saslPayload(e))
	// gs2-header is "n,," or "y,," (optionally with an authzid): up to the
	// second comma.
	i := strings.Index(first, ",")
	j := strings.Index(first[i+1:], ",")
	if i < 0 || j < 0 {
		s.fail("client-first %q", first)
	}
	gs2, bare := first[:i+j+2], first[i+j+2:]
	var cbData []byte
	switch plus := strings.HasSuffix(mech, "-PLUS"); {
	case plus && strings.HasPrefix(gs2, "p=tls-exporter,"):
		st := s.conn.(*tls.Conn).ConnectionState()
		var err error
		if cbData, err = st.ExportKeyingMaterial("EXPORTER-Channel-Binding", nil, 32); err != nil {
			s.fail("exporter: %v", err)
		}
	case plus:
		s.fail("client-first %q: want p=tls-exporter", first)
	case gs2[0] != 'n' && gs2[0] != 'y':
		s.fail("client-first %q uses channel binding, not offered", first)
	}
	attrs := fsSCRAMAttrs(bare)
	if attrs["n"] != testUser {
		s.fail("SCRAM username %q", attrs["n"])
	}
	salt := []byte("gojabber-salt")
	iter := 4096
	serverFirst := "r=" + attrs["r"] + rand.Text() + ",s=" + base64.StdEncoding.EncodeToString(salt) + fmt.Sprintf(",i=%d", iter)
	s.send("<challenge xmlns='" + nsSASL + "'>" + base64.StdEncoding.EncodeToString([]byte(serverFirst)) + "</challenge>")

	r := s.expect(nsSASL, "response")
	final := string(s.saslPayload(r))
	k := strings.LastIndex(final, ",p=")
	if k < 0 {
		s.fail("client-final %q", final)
	}
	withoutProof := final[:k]
	fa := fsSCRAMAttrs(final)
	if fa["c"] != base64.StdEncoding.EncodeToString(append([]byte(gs2), cbData...)) {
		s.fail("channel binding c=%q for gs2 header %q", fa["c"], gs2)
	}
	if fa["r"] != fsSCRAMAttrs(serverFirst)["r"] {
		s.fail("nonce mismatch")
	}
	proof, err := base64.StdEncoding.DecodeString(fa["p"])
	if err != nil {
		s.fail("proof: %v", err)
	}
	authMessage := bare + "," + serverFirst + "," + withoutProof
	salted, err := pbkdf2.Key(sha256.New, testPassword, salt, iter, sha256.Size)
	if err != nil {
		s.fail("pbkdf2: %v", err)
	}
	clientKey := fsHMAC(salted, "Client Key")
	storedKey := sha256.Sum256(clientKey)
	clientSig := fsHMAC(storedKey[:], authMessage)
	if len(proof) != len(clientSig) {
		s.fail("proof length %d", len(proof))
	}
	recovered := make([]byte, len(proof))
	subtle.XORBytes(recovered, proof, clientSig)
	if got := sha256.Sum256(recovered); !hmac.Equal(got[:], storedKey[:]) {
		s.send("<failure xmlns='" + nsSASL + "'><not-authorized/></failure>")
		s.fail("SCRAM proof does not verify")
	}
	serverSig := fsHMAC(fsHMAC(salted, "Server Key"), authMessage)
	if badSignature {
		serverSig[0] ^= 0xff
	}
	v := "v=" + base64.StdEncoding.EncodeToString(serverSig)
	s.send("<success xmlns='" + nsSASL + "'>" + base64.StdEncoding.EncodeToString([]byte(v)) + "</success>")
}

func fsHMAC(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func fsSCRAMAttrs(s string) map[string]string {
	m := map[string]string{}
	for _, f := range strings.Split(s, ",") {
		if len(f) >= 2 && f[1] == '=' {
			m[f[:1]] = f[2:]
		}
	}
	return m
}

// bind answers a resource binding request, binding the requested resource
// or "srv-assigned".
func (s *fakeServer) bind() string {
	e := s.expect(NSClient, "iq")
	if e.attr("type") != IQSet.String() || !strings.Contains(e.Inner, nsBind) {
		s.fail("want bind request, got %s", e.Inner)
	}
	var b struct {
		Resource string `xml:"resource"`
	}
	if err := xml.Unmarshal([]byte(e.Inner), &b); err != nil {
		s.fail("bind payload: %v", err)
	}
	res := b.Resource
	if res == "" {
		res = "srv-assigned"
	}
	full := testJID + "/" + res
	s.send("<iq type='result' id='" + e.attr("id") + "'><bind xmlns='" + nsBind + "'><jid>" + full + "</jid></bind></iq>")
	return full
}

// login runs a standard negotiation: STARTTLS, PLAIN, bind.
func (s *fakeServer) login() {
	s.open(featStartTLS)
	s.startTLS()
	s.open(featMechs("PLAIN"))
	s.authPLAIN()
	s.open(featBind)
	s.bind()
}

// closeStream expects the client's </stream:stream> (skipping anything
// else) and answers with its own.
func (s *fakeServer) closeStream() {
	for {
		if e := s.next(); e == nil {
			s.send("</stream:stream>")
			return
		}
	}
}
