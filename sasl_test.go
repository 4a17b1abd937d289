package xmpp

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// ---- helpers ----

// wantSASLError fails the test unless err is a *SASLError with condition
// cond (any condition if cond is empty).
func wantSASLError(t *testing.T, what string, err error, cond SASLCondition) {
	t.Helper()
	var se *SASLError
	if !errors.As(err, &se) {
		t.Fatalf("%s = %v (%T), want *SASLError", what, err, err)
	}
	if cond != "" && se.Condition != cond {
		t.Fatalf("%s condition = %q, want %q (err %v)", what, se.Condition, cond, err)
	}
}

// testSCRAMClient returns a SCRAM client with a fixed nonce.
func testSCRAMClient(mech, user, pass, nonce string) *scramClient {
	c := newSCRAM(mech, saslCredentials{Username: user, Password: pass}, "n", nil)
	c.nonce = nonce
	return c
}

// ---- RFC test vectors ----

func TestSCRAMVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rfc, mech, nonce, serverFirst, clientFinal, serverFinal string
	}{
		{
			rfc:         "RFC 5802 §5",
			mech:        mechSCRAMSHA1,
			nonce:       "fyko+d2lbbFgONRv9qkxdawL",
			serverFirst: "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
			clientFinal: "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
			serverFinal: "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
		},
		{
			rfc:         "RFC 7677 §3",
			mech:        mechSCRAMSHA256,
			nonce:       "rOprNGfwEbeRWgbNEkqO",
			serverFirst: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
			clientFinal: "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
			serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
		},
	}
	for _, tt := range tests {
		for _, finalInChallenge := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/challenge=%v", tt.rfc, finalInChallenge), func(t *testing.T) {
				t.Parallel()
				c := testSCRAMClient(tt.mech, "user", "pencil", tt.nonce)
				first, err := c.Start()
				if err != nil {
					t.Fatalf("Start() error %v", err)
				}
				if want := "n,,n=user,r=" + tt.nonce; string(first) != want {
					t.Fatalf("Start() = %q, want %q", first, want)
				}
				final, err := c.Next([]byte(tt.serverFirst))
				if err != nil {
					t.Fatalf("Next(%q) error %v", tt.serverFirst, err)
				}
				if string(final) != tt.clientFinal {
					t.Fatalf("Next(%q) = %q, want %q", tt.serverFirst, final, tt.clientFinal)
				}
				if finalInChallenge {
					resp, err := c.Next([]byte(tt.serverFinal))
					if err != nil || resp == nil || len(resp) != 0 {
						t.Fatalf("Next(%q) = %q, %v, want empty response", tt.serverFinal, resp, err)
					}
					if err := c.Finish(nil); err != nil {
						t.Fatalf("Finish(nil) after verified challenge = %v", err)
					}
					return
				}
				if err := c.Finish([]byte(tt.serverFinal)); err != nil {
					t.Fatalf("Finish(%q) = %v", tt.serverFinal, err)
				}
			})
		}
	}
}

// ---- a tiny SCRAM server ----

type testSCRAMServer struct {
	hash        func() hash.Hash
	password    string
	salt        []byte
	iterations  int
	nonceSuffix string
	cbData      map[string][]byte // channel binding data by type, server side

	gs2Header, clientFirstBare, serverFirst, nonce string
	authzid, username                              string
}

func newTestSCRAMServer(h func() hash.Hash, password string) *testSCRAMServer {
	return &testSCRAMServer{
		hash:        h,
		password:    password,
		salt:        []byte("0123456789abcdef"),
		iterations:  4096,
		nonceSuffix: "srvNonce+/",
	}
}

// first handles the client-first-message.
func (s *testSCRAMServer) first(msg []byte) ([]byte, error) {
	m := string(msg)
	// gs2-cbind-flag "," [authzid] ","
	i := strings.IndexByte(m, ',')
	if i < 0 {
		return nil, errors.New("no gs2 flag")
	}
	j := strings.IndexByte(m[i+1:], ',')
	if j < 0 {
		return nil, errors.New("no gs2 authzid")
	}
	s.gs2Header = m[:i+1+j+1]
	if a := m[i+1 : i+1+j]; a != "" {
		s.authzid = strings.TrimPrefix(a, "a=")
	}
	s.clientFirstBare = m[len(s.gs2Header):]
	user, rest, ok := strings.Cut(s.clientFirstBare, ",r=")
	if !ok || !strings.HasPrefix(user, "n=") {
		return nil, fmt.Errorf("bad client-first-bare %q", s.clientFirstBare)
	}
	s.username = user[2:]
	s.nonce = rest + s.nonceSuffix
	s.serverFirst = "r=" + s.nonce + ",s=" + base64.StdEncoding.EncodeToString(s.salt) + ",i=" + strconv.Itoa(s.iterations)
	return []byte(s.serverFirst), nil
}

func (s *testSCRAMServer) mac(key []byte, msg string) []byte {
	m := hmac.New(s.hash, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// final handles the client-final-message and returns the server-final.
func (s *testSCRAMServer) final(msg []byte) ([]byte, error) {
	m := string(msg)
	without, proofB64, ok := strings.Cut(m, ",p=")
	if !ok {
		return nil, errors.New("no proof")
	}
	cPart, rPart, ok := strings.Cut(without, ",r=")
	if !ok || !strings.HasPrefix(cPart, "c=") {
		return nil, errors.New("bad client-final")
	}
	if rPart != s.nonce {
		return []byte("e=other-error"), nil
	}
	wantCbind := []byte(s.gs2Header)
	if typ, ok := strings.CutPrefix(s.gs2Header, "p="); ok {
		typ = typ[:strings.IndexByte(typ, ',')]
		d, ok := s.cbData[typ]
		if !ok {
			return []byte("e=unsupported-channel-binding-type"), nil
		}
		wantCbind = append(wantCbind, d...)
	}
	if cPart[2:] != base64.StdEncoding.EncodeToString(wantCbind) {
		return []byte("e=channel-bindings-dont-match"), nil
	}
	salted, err := pbkdf2.Key(s.hash, s.password, s.salt, s.iterations, s.hash().Size())
	if err != nil {
		return nil, err
	}
	authMessage := s.clientFirstBare + "," + s.serverFirst + "," + without
	clientKey := s.mac(salted, "Client Key")
	h := s.hash()
	h.Write(clientKey)
	storedKey := h.Sum(nil)
	proof, err := base64.StdEncoding.DecodeString(proofB64)
	if err != nil || len(proof) != len(clientKey) {
		return []byte("e=invalid-encoding"), nil
	}
	gotClientKey := make([]byte, len(proof))
	subtle.XORBytes(gotClientKey, proof, s.mac(storedKey, authMessage))
	h = s.hash()
	h.Write(gotClientKey)
	if !hmac.Equal(h.Sum(nil), storedKey) {
		return []byte("e=invalid-proof"), nil
	}
	return []byte("v=" + base64.StdEncoding.EncodeToString(s.mac(s.mac(salted, "Server Key"), authMessage))), nil
}

// runSCRAM runs a full exchange of c against s, with the server-final in
// <success/>.
func runSCRAM(c saslMechanism, s *testSCRAMServer) error {
	first, err := c.Start()
	if err != nil {
		return err
	}
	sf, err := s.first(first)
	if err != nil {
		return err
	}
	cf, err := c.Next(sf)
	if err != nil {
		return err
	}
	sfin, err := s.final(cf)
	if err != nil {
		return err
	}
	return c.Finish(sfin)
}

func TestSCRAMRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		mech string
		h    func() hash.Hash
	}{
		{mechSCRAMSHA1, sha1.New},
		{mechSCRAMSHA256, sha256.New},
		{mechSCRAMSHA512, sha512.New},
	} {
		t.Run(tt.mech, func(t *testing.T) {
			t.Parallel()
			cr := saslCredentials{Username: "a,b=c", Authzid: "admin=x,y", Password: "pässwörd\u00A0ok"}
			c := newSCRAM(tt.mech, cr, "n", nil)
			// The server stores the SASLprep'ed password.
			s := newTestSCRAMServer(tt.h, "pässwörd ok")
			if err := runSCRAM(c, s); err != nil {
				t.Fatalf("SCRAM round trip = %v", err)
			}
			if s.username != "a=2Cb=3Dc" || s.authzid != "admin=3Dx=2Cy" {
				t.Errorf("server saw n=%q a=%q, want escaped names", s.username, s.authzid)
			}
			// A wrong password fails on the server side.
			c = newSCRAM(tt.mech, saslCredentials{Username: "u", Password: "wrong"}, "n", nil)
			err := runSCRAM(c, newTestSCRAMServer(tt.h, "right"))
			wantSASLError(t, "wrong password", err, "invalid-proof")
		})
	}
}

func TestSCRAMUsernameEscape(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"a,b=c": "a=2Cb=3Dc",
		"user":  "user",
		"==,,":  "=3D=3D=2C=2C",
		"":      "",
	} {
		if got := scramEscape(in); got != want {
			t.Errorf("scramEscape(%q) = %q, want %q", in, got, want)
		}
	}
	c := testSCRAMClient(mechSCRAMSHA256, "a,b=c", "p", "NONCE")
	first, err := c.Start()
	if err != nil || string(first) != "n,,n=a=2Cb=3Dc,r=NONCE" {
		t.Errorf("Start() = %q, %v, want %q", first, err, "n,,n=a=2Cb=3Dc,r=NONCE")
	}
}

func TestSCRAMRandomNonce(t *testing.T) {
	t.Parallel()
	c1 := newSCRAM(mechSCRAMSHA256, saslCredentials{Username: "u", Password: "p"}, "y", nil)
	c2 := newSCRAM(mechSCRAMSHA256, saslCredentials{Username: "u", Password: "p"}, "y", nil)
	a, err1 := c1.Start()
	b, err2 := c2.Start()
	if err1 != nil || err2 != nil {
		t.Fatalf("Start() errors %v, %v", err1, err2)
	}
	if !strings.HasPrefix(string(a), "y,,n=u,r=") || bytes.Equal(a, b) {
		t.Fatalf("Start() = %q and %q, want distinct y,,n=u,r=... messages", a, b)
	}
	nonce := strings.TrimPrefix(string(a), "y,,n=u,r=")
	if len(nonce) < 32 || strings.ContainsAny(nonce, ", ") {
		t.Errorf("nonce %q: want ≥ 32 printable characters without ','", nonce)
	}
}

func TestSCRAMServerFirstErrors(t *testing.T) {
	t.Parallel()
	const nonce = "fyko+d2lbbFgONRv9qkxdawL"
	const good = "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"
	tests := []struct {
		name, msg string
		cond      SASLCondition
	}{
		{"empty", "", saslCondMalformed},
		{"garbage", "hello", saslCondMalformed},
		{"mandatory extension", "m=foo," + good, saslCondMalformed},
		{"missing nonce", "s=QSXCR+Q6sek8bf92,i=4096", saslCondMalformed},
		{"missing salt", "r=fyko+d2lbbFgONRv9qkxdawL3rfc,i=4096", saslCondMalformed},
		{"missing iterations", "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92", saslCondMalformed},
		{"wrong order", "s=QSXCR+Q6sek8bf92,r=fyko+d2lbbFgONRv9qkxdawL3rfc,i=4096", saslCondMalformed},
		{"bad base64 salt", "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=!!!,i=4096", saslCondMalformed},
		{"unpadded salt", "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf9,i=4096", saslCondMalformed},
		{"empty salt", "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=,i=4096", saslCondMalformed},
		{"nonce not extended", "r=fyko+d2lbbFgONRv9qkxdawL,s=QSXCR+Q6sek8bf92,i=4096", saslCondInvalidNonce},
		{"nonce replaced", "r=XXXX+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4096", saslCondInvalidNonce},
		{"nonce prefix of ours", "r=fyko,s=QSXCR+Q6sek8bf92,i=4096", saslCondInvalidNonce},
		{"non-printable nonce", "r=fyko+d2lbbFgONRv9qkxdawL\x01,s=QSXCR+Q6sek8bf92,i=4096", saslCondMalformed},
		{"iterations 1000", "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=1000", saslCondIterationCount},
		{"iterations 10M", "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=10000000", saslCondIterationCount},
		{"iterations overflow", "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=99999999999999999999999", saslCondIterationCount},
		{"iterations negative", "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=-4096", saslCondMalformed},
		{"iterations leading zero", "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=04096", saslCondMalformed},
		{"iterations empty", "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=", saslCondMalformed},
		{"bad attribute", good + ",xx", saslCondMalformed},
		{"trailing comma", good + ",", saslCondMalformed},
		{"invalid UTF-8", good + ",x=\xff", saslCondMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := testSCRAMClient(mechSCRAMSHA1, "user", "pencil", nonce)
			if _, err := c.Start(); err != nil {
				t.Fatal(err)
			}
			_, err := c.Next([]byte(tt.msg))
			wantSASLError(t, fmt.Sprintf("Next(%q)", tt.msg), err, tt.cond)
			// After a failure the exchange cannot succeed.
			if err := c.Finish([]byte("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=")); err == nil {
				t.Errorf("Finish after failed Next = nil, want error")
			}
		})
	}
	// Extensions after i= are ignored.
	c := testSCRAMClient(mechSCRAMSHA1, "user", "pencil", nonce)
	c.Start()
	if _, err := c.Next([]byte(good + ",x=ext")); err != nil {
		t.Errorf("Next(with extension) = %v, want nil", err)
	}
}

func TestSCRAMServerFinalErrors(t *testing.T) {
	t.Parallel()
	const nonce = "fyko+d2lbbFgONRv9qkxdawL"
	const serverFirst = "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"
	tests := []struct {
		name, msg string
		cond      SASLCondition
	}{
		{"wrong signature", "v=rmF9pqV8S7suAoZWja4dJRkFsKA=", saslCondServerSignature},
		{"short signature", "v=AAAA", saslCondServerSignature},
		{"server error", "e=invalid-proof", "invalid-proof"},
		{"server error ext", "e=channel-bindings-dont-match,x=y", "channel-bindings-dont-match"},
		{"empty server error", "e=", saslCondMalformed},
		{"bad base64", "v=###", saslCondMalformed},
		{"empty verifier", "v=", saslCondMalformed},
		{"no verifier", "x=abc", saslCondMalformed},
		{"garbage", "garbage", saslCondMalformed},
	}
	for _, tt := range tests {
		for _, inChallenge := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/challenge=%v", tt.name, inChallenge), func(t *testing.T) {
				t.Parallel()
				c := testSCRAMClient(mechSCRAMSHA1, "user", "pencil", nonce)
				c.Start()
				if _, err := c.Next([]byte(serverFirst)); err != nil {
					t.Fatal(err)
				}
				if inChallenge {
					_, err := c.Next([]byte(tt.msg))
					wantSASLError(t, fmt.Sprintf("Next(%q)", tt.msg), err, tt.cond)
					err = c.Finish(nil)
					wantSASLError(t, "Finish(nil) after failed challenge", err, "")
					return
				}
				err := c.Finish([]byte(tt.msg))
				wantSASLError(t, fmt.Sprintf("Finish(%q)", tt.msg), err, tt.cond)
			})
		}
	}
}

func TestSCRAMUnverifiedSuccess(t *testing.T) {
	t.Parallel()
	const serverFirst = "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"
	// <success/> with no server-final: must fail.
	c := testSCRAMClient(mechSCRAMSHA1, "user", "pencil", "fyko+d2lbbFgONRv9qkxdawL")
	c.Start()
	c.Next([]byte(serverFirst))
	wantSASLError(t, "Finish(nil) without server-final", c.Finish(nil), saslCondUnverified)
	// <success/> right after the client-first.
	c = testSCRAMClient(mechSCRAMSHA1, "user", "pencil", "fyko+d2lbbFgONRv9qkxdawL")
	c.Start()
	wantSASLError(t, "Finish(nil) after Start", c.Finish(nil), saslCondUnverified)
	// <success/> before anything.
	c = testSCRAMClient(mechSCRAMSHA1, "user", "pencil", "fyko+d2lbbFgONRv9qkxdawL")
	wantSASLError(t, "Finish(nil) before Start", c.Finish(nil), saslCondUnverified)
	// A challenge after verification.
	c = testSCRAMClient(mechSCRAMSHA1, "user", "pencil", "fyko+d2lbbFgONRv9qkxdawL")
	c.Start()
	c.Next([]byte(serverFirst))
	c.Next([]byte("v=rmF9pqV8S7suAoZWja4dJRkFsKQ="))
	_, err := c.Next([]byte("v=rmF9pqV8S7suAoZWja4dJRkFsKQ="))
	wantSASLError(t, "Next after verification", err, saslCondMalformed)
}

func TestSCRAMCredentialErrors(t *testing.T) {
	t.Parallel()
	for _, cr := range []saslCredentials{
		{Username: "", Password: "p"},
		{Username: "a\x00b", Password: "p"},
		{Username: "\xff", Password: "p"},
		{Username: "u", Authzid: "\xff", Password: "p"},
	} {
		_, err := newSCRAM(mechSCRAMSHA256, cr, "n", nil).Start()
		wantSASLError(t, fmt.Sprintf("Start(%+q)", cr.Username), err, saslCondCredentials)
	}
	// -PLUS without binding data.
	_, err := newSCRAM(mechSCRAMSHA256Plus, saslCredentials{Username: "u"}, "p=tls-unique", nil).Start()
	wantSASLError(t, "Start(-PLUS without data)", err, saslCondChannelBinding)
	// A password that SASLprep maps to nothing.
	c := testSCRAMClient(mechSCRAMSHA1, "user", "\u00AD", "fyko+d2lbbFgONRv9qkxdawL")
	c.Start()
	_, err = c.Next([]byte("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"))
	wantSASLError(t, "Next with empty prepared password", err, saslCondCredentials)
}

func TestSCRAMPreparePassword(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"pencil":          "pencil",
		"I\u00ADX":        "IX",   // soft hyphen mapped to nothing (RFC 4013 §3)
		"a\u00A0b":        "a b",  // no-break space to SPACE
		"\u2168":          "IX",   // NFKC
		"\u00AA":          "a",    // NFKC
		"caf\u0065\u0301": "café", // NFC composition
	} {
		got, err := scramPreparePassword(in)
		if err != nil || got != want {
			t.Errorf("scramPreparePassword(%+q) = %+q, %v, want %+q", in, got, err, want)
		}
	}
	if _, err := scramPreparePassword("\xff"); err == nil {
		t.Errorf("scramPreparePassword(invalid UTF-8) = nil error, want error")
	}
}

// ---- channel binding over real TLS ----

type tlsPair struct {
	client, server tls.ConnectionState
	certDER        []byte
}

var testCert = sync.OnceValues(func() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "example.net"},
		DNSNames:     []string{"example.net"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true,

		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
})

// handshake runs a TLS handshake of the given version over net.Pipe and
// returns both sides' connection states.
func handshake(t *testing.T, version uint16) tlsPair {
	t.Helper()
	cert, err := testCert()
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert.Leaf)
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv := tls.Server(c2, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: version, MaxVersion: version})
	errc := make(chan error, 1)
	go func() { errc <- srv.HandshakeContext(ctx) }()
	cli := tls.Client(c1, &tls.Config{RootCAs: roots, ServerName: "example.net", MinVersion: version, MaxVersion: version})
	if err := cli.HandshakeContext(ctx); err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("server handshake: %v", err)
	}
	return tlsPair{client: cli.ConnectionState(), server: srv.ConnectionState(), certDER: cert.Certificate[0]}
}

// serverCBData computes the channel binding data from the server's side of
// the connection, independently of the client code.
func serverCBData(t *testing.T, p tlsPair) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	if p.server.Version < tls.VersionTLS13 {
		m[cbTLSUnique] = p.server.TLSUnique
	}
	ekm, err := p.server.ExportKeyingMaterial("EXPORTER-Channel-Binding", []byte{}, 32)
	if err != nil {
		t.Fatalf("server ExportKeyingMaterial: %v", err)
	}
	m[cbTLSExporter] = ekm
	sum := sha256.Sum256(p.certDER) // the test certificate is ECDSA-with-SHA256
	m[cbTLSServerEndPoint] = sum[:]
	return m
}

func TestSCRAMPlusChannelBinding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		version    uint16
		advertised []string
		allowed    []string
		wantType   string
	}{
		{tls.VersionTLS12, nil, nil, cbTLSUnique},
		{tls.VersionTLS12, []string{cbTLSUnique}, nil, cbTLSUnique},
		{tls.VersionTLS12, []string{cbTLSUnique, cbTLSExporter}, nil, cbTLSExporter},
		{tls.VersionTLS12, []string{cbTLSServerEndPoint, cbTLSUnique}, nil, cbTLSServerEndPoint},
		{tls.VersionTLS13, []string{cbTLSExporter}, nil, cbTLSExporter},
		{tls.VersionTLS13, []string{cbTLSServerEndPoint}, nil, cbTLSServerEndPoint},
		{tls.VersionTLS13, nil, []string{mechSCRAMSHA512Plus}, cbTLSExporter}, // explicit choice
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s/%v/%v", tls.VersionName(tt.version), tt.advertised, tt.allowed)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := handshake(t, tt.version)
			cr := saslCredentials{Username: "juliet", Password: "r0m30", TLS: &p.client, ChannelBindingTypes: tt.advertised}
			mech, err := selectSASL(defaultSASLMechanisms(), tt.allowed, cr)
			if err != nil {
				t.Fatalf("selectSASL = %v", err)
			}
			sc, ok := mech.(*scramClient)
			if !ok || sc.Name() != mechSCRAMSHA512Plus || sc.gs2Flag != "p="+tt.wantType {
				t.Fatalf("selectSASL = %s %q, want %s p=%s", mech.Name(), sc.gs2Flag, mechSCRAMSHA512Plus, tt.wantType)
			}
			s := newTestSCRAMServer(sha512.New, "r0m30")
			s.cbData = serverCBData(t, p)
			if err := runSCRAM(mech, s); err != nil {
				t.Fatalf("SCRAM-SHA-512-PLUS with %s = %v", tt.wantType, err)
			}
			if !strings.HasPrefix(s.gs2Header, "p="+tt.wantType+",") {
				t.Errorf("server saw gs2 header %q", s.gs2Header)
			}

			// The same binding from a different connection is refused.
			other := handshake(t, tt.version)
			s = newTestSCRAMServer(sha512.New, "r0m30")
			s.cbData = serverCBData(t, other)
			if tt.wantType == cbTLSServerEndPoint {
				return // same certificate: same binding, as RFC 5929 intends
			}
			mech, _ = selectSASL(defaultSASLMechanisms(), tt.allowed, cr)
			wantSASLError(t, "SCRAM-PLUS across connections", runSCRAM(mech, s), "channel-bindings-dont-match")
		})
	}
}

func TestSASLServerEndPointHash(t *testing.T) {
	t.Parallel()
	raw := []byte("not really a certificate")
	s256, s384, s512 := sha256.Sum256(raw), sha512.Sum384(raw), sha512.Sum512(raw)
	for _, tt := range []struct {
		alg  x509.SignatureAlgorithm
		want []byte
	}{
		{x509.MD5WithRSA, s256[:]},
		{x509.SHA1WithRSA, s256[:]},
		{x509.ECDSAWithSHA1, s256[:]},
		{x509.SHA256WithRSA, s256[:]},
		{x509.ECDSAWithSHA256, s256[:]},
		{x509.SHA256WithRSAPSS, s256[:]},
		{x509.SHA384WithRSA, s384[:]},
		{x509.ECDSAWithSHA384, s384[:]},
		{x509.SHA512WithRSAPSS, s512[:]},
		{x509.ECDSAWithSHA512, s512[:]},
		{x509.PureEd25519, nil},
		{x509.UnknownSignatureAlgorithm, nil},
	} {
		got, err := serverEndPoint(&x509.Certificate{Raw: raw, SignatureAlgorithm: tt.alg})
		if tt.want == nil {
			if err == nil {
				t.Errorf("serverEndPoint(%v) = %x, want error", tt.alg, got)
			}
			continue
		}
		if err != nil || !bytes.Equal(got, tt.want) {
			t.Errorf("serverEndPoint(%v) = %x, %v, want %x", tt.alg, got, err, tt.want)
		}
	}
}

func TestSASLChannelBindingData(t *testing.T) {
	t.Parallel()
	// A hand-built state has no exporter and no tls-unique: nothing is
	// available, and nothing panics.
	cs := &tls.ConnectionState{Version: tls.VersionTLS12}
	for _, typ := range []string{cbTLSUnique, cbTLSExporter, cbTLSServerEndPoint, "tls-unique-for-telnet"} {
		if d, err := channelBindingData(cs, typ); err == nil {
			t.Errorf("channelBindingData(empty state, %s) = %x, want error", typ, d)
		}
	}
	if _, err := channelBindingData(nil, cbTLSUnique); err == nil {
		t.Errorf("channelBindingData(nil, tls-unique) = nil error")
	}
	p := handshake(t, tls.VersionTLS13)
	if _, err := channelBindingData(&p.client, cbTLSUnique); err == nil {
		t.Errorf("channelBindingData(TLS 1.3, tls-unique) = nil error, want error")
	}
}

// ---- selection ----

func TestSelectSASL(t *testing.T) {
	t.Parallel()
	p12 := handshake(t, tls.VersionTLS12)
	p13 := handshake(t, tls.VersionTLS13)
	bare12 := &tls.ConnectionState{Version: tls.VersionTLS12} // no bindings available

	all := []string{
		mechSCRAMSHA1, mechSCRAMSHA256, mechSCRAMSHA512,
		mechSCRAMSHA1Plus, mechSCRAMSHA256Plus, mechSCRAMSHA512Plus,
		mechPlain, mechExternal, mechAnonymous,
	}
	noPlus := []string{mechSCRAMSHA1, mechSCRAMSHA256, mechPlain}
	tests := []struct {
		name       string
		offered    []string
		allowed    []string
		tls        *tls.ConnectionState
		advertised []string
		cert       bool
		insecure   bool
		want       string // mechanism, or "" for error
		wantFlag   string // gs2 flag for SCRAM
	}{
		{name: "no TLS", offered: all, want: mechSCRAMSHA512, wantFlag: "n"},
		{name: "no TLS only PLUS", offered: []string{mechSCRAMSHA256Plus}},
		{name: "no TLS explicit PLUS", offered: all, allowed: []string{mechSCRAMSHA256Plus}},
		{name: "no TLS PLAIN refused", offered: []string{mechPlain}},
		{name: "no TLS PLAIN insecure", offered: []string{mechPlain}, insecure: true, want: mechPlain},
		{name: "TLS1.2", offered: all, tls: &p12.client, want: mechSCRAMSHA512Plus, wantFlag: "p=tls-unique"},
		{name: "TLS1.2 SHA-1 only", offered: []string{mechSCRAMSHA1Plus, mechSCRAMSHA1}, tls: &p12.client, want: mechSCRAMSHA1Plus, wantFlag: "p=tls-unique"},
		{name: "TLS1.2 no PLUS offered", offered: noPlus, tls: &p12.client, want: mechSCRAMSHA256, wantFlag: "y"},
		{name: "TLS1.2 XEP-0440 exporter", offered: all, tls: &p12.client, advertised: []string{cbTLSUnique, cbTLSExporter}, want: mechSCRAMSHA512Plus, wantFlag: "p=tls-exporter"},
		{name: "TLS1.2 XEP-0440 end-point", offered: all, tls: &p12.client, advertised: []string{cbTLSServerEndPoint}, want: mechSCRAMSHA512Plus, wantFlag: "p=tls-server-end-point"},
		{name: "TLS1.2 XEP-0440 unknown only", offered: all, tls: &p12.client, advertised: []string{"tls-unique-for-telnet"}, want: mechSCRAMSHA512, wantFlag: "n"},
		{name: "TLS1.2 XEP-0440 empty", offered: all, tls: &p12.client, advertised: []string{}, want: mechSCRAMSHA512, wantFlag: "n"},
		{name: "TLS1.2 no bindings", offered: all, tls: bare12, want: mechSCRAMSHA512, wantFlag: "n"},
		{name: "TLS1.2 no bindings no PLUS", offered: noPlus, tls: bare12, want: mechSCRAMSHA256, wantFlag: "n"},
		{name: "TLS1.2 no bindings explicit PLUS", offered: all, allowed: []string{mechSCRAMSHA256Plus}, tls: bare12},
		{name: "TLS1.2 unknown PLUS offered", offered: []string{"SCRAM-SHA3-512-PLUS", mechSCRAMSHA256}, tls: &p12.client, want: mechSCRAMSHA256, wantFlag: "n"},
		{name: "TLS1.3 no XEP-0440", offered: all, tls: &p13.client, want: mechSCRAMSHA512, wantFlag: "n"},
		{name: "TLS1.3 XEP-0440 tls-unique", offered: all, tls: &p13.client, advertised: []string{cbTLSUnique}, want: mechSCRAMSHA512, wantFlag: "n"},
		{name: "TLS1.3 XEP-0440 exporter", offered: all, tls: &p13.client, advertised: []string{cbTLSUnique, cbTLSExporter, cbTLSServerEndPoint}, want: mechSCRAMSHA512Plus, wantFlag: "p=tls-exporter"},
		{name: "TLS1.3 XEP-0440 end-point", offered: all, tls: &p13.client, advertised: []string{cbTLSServerEndPoint, cbTLSUnique}, want: mechSCRAMSHA512Plus, wantFlag: "p=tls-server-end-point"},
		{name: "TLS1.3 no PLUS offered", offered: noPlus, tls: &p13.client, want: mechSCRAMSHA256, wantFlag: "y"},
		{name: "TLS1.3 explicit PLUS", offered: all, allowed: []string{mechSCRAMSHA256Plus}, tls: &p13.client, want: mechSCRAMSHA256Plus, wantFlag: "p=tls-exporter"},
		{name: "TLS1.3 explicit PLUS and SCRAM", offered: all, allowed: []string{mechSCRAMSHA256Plus, mechSCRAMSHA256}, tls: &p13.client, want: mechSCRAMSHA256, wantFlag: "n"},
		{name: "TLS1.3 explicit PLUS not offered", offered: noPlus, allowed: []string{mechSCRAMSHA256Plus}, tls: &p13.client},
		{name: "allowed SHA-1 only", offered: all, allowed: []string{mechSCRAMSHA1}, tls: &p12.client, want: mechSCRAMSHA1, wantFlag: "n"},
		{name: "allowed empty is default", offered: all, allowed: []string{}, tls: &p12.client, want: mechSCRAMSHA512Plus, wantFlag: "p=tls-unique"},
		{name: "allowed PLAIN over TLS", offered: all, allowed: []string{mechPlain}, tls: &p13.client, want: mechPlain},
		{name: "PLAIN only over TLS", offered: []string{mechPlain, mechAnonymous}, tls: &p13.client, want: mechPlain},
		{name: "EXTERNAL with cert", offered: all, tls: &p13.client, cert: true, want: mechExternal},
		{name: "EXTERNAL without cert", offered: []string{mechExternal, mechSCRAMSHA1}, tls: &p13.client, want: mechSCRAMSHA1, wantFlag: "y"},
		{name: "EXTERNAL without cert only", offered: []string{mechExternal}, tls: &p13.client},
		{name: "EXTERNAL not offered", offered: []string{mechSCRAMSHA256Plus}, tls: &p12.client, cert: true, want: mechSCRAMSHA256Plus, wantFlag: "p=tls-unique"},
		{name: "EXTERNAL not allowed", offered: all, allowed: []string{mechSCRAMSHA256}, tls: &p13.client, cert: true, want: mechSCRAMSHA256, wantFlag: "n"},
		{name: "ANONYMOUS not by default", offered: []string{mechAnonymous}, tls: &p13.client},
		{name: "ANONYMOUS allowed", offered: []string{mechAnonymous, mechPlain}, allowed: []string{mechAnonymous}, tls: &p13.client, want: mechAnonymous},
		{name: "ANONYMOUS last", offered: all, allowed: []string{mechAnonymous, mechPlain}, tls: &p13.client, want: mechPlain},
		{name: "case-sensitive", offered: []string{"scram-sha-256", "plain"}, tls: &p13.client},
		{name: "nothing offered", offered: nil, tls: &p13.client},
		{name: "unknown allowed", offered: all, allowed: []string{"DIGEST-MD5"}, tls: &p13.client},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cr := saslCredentials{
				Username: "u", Password: "p",
				TLS: tt.tls, ChannelBindingTypes: tt.advertised,
				HaveClientCert: tt.cert, InsecurePlain: tt.insecure,
			}
			mech, err := selectSASL(tt.offered, tt.allowed, cr)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("selectSASL(%q, %q) = %s, want no-mechanism error", tt.offered, tt.allowed, mech.Name())
				}
				wantSASLError(t, "selectSASL", err, SASLNoMechanism)
				return
			}
			if err != nil {
				t.Fatalf("selectSASL(%q, %q) = %v, want %s", tt.offered, tt.allowed, err, tt.want)
			}
			if mech.Name() != tt.want {
				t.Fatalf("selectSASL(%q, %q) = %s, want %s", tt.offered, tt.allowed, mech.Name(), tt.want)
			}
			if sc, ok := mech.(*scramClient); ok && sc.gs2Flag != tt.wantFlag {
				t.Errorf("selectSASL(%q, %q) gs2 flag = %q, want %q", tt.offered, tt.allowed, sc.gs2Flag, tt.wantFlag)
			}
		})
	}
}

func TestDefaultSASLMechanisms(t *testing.T) {
	t.Parallel()
	d := defaultSASLMechanisms()
	if slices.Contains(d, mechAnonymous) {
		t.Errorf("defaultSASLMechanisms() = %q, must not contain ANONYMOUS", d)
	}
	d[0] = "MUTATED"
	if defaultSASLMechanisms()[0] == "MUTATED" {
		t.Errorf("defaultSASLMechanisms() returns shared state")
	}
}

func TestSASLSimpleMechanisms(t *testing.T) {
	t.Parallel()
	tlsState := &tls.ConnectionState{Version: tls.VersionTLS13}
	sel := func(m string, cr saslCredentials) saslMechanism {
		t.Helper()
		cr.TLS = tlsState
		mech, err := selectSASL([]string{m}, []string{m}, cr)
		if err != nil {
			t.Fatalf("selectSASL(%s) = %v", m, err)
		}
		return mech
	}

	plain := sel(mechPlain, saslCredentials{Username: "juliet", Password: "r0m30", Authzid: "romeo@example.net"})
	if got, err := plain.Start(); err != nil || string(got) != "romeo@example.net\x00juliet\x00r0m30" {
		t.Errorf("PLAIN Start() = %q, %v", got, err)
	}
	plain = sel(mechPlain, saslCredentials{Username: "juliet", Password: "r0m30"})
	if got, err := plain.Start(); err != nil || string(got) != "\x00juliet\x00r0m30" {
		t.Errorf("PLAIN Start() = %q, %v", got, err)
	}
	_, err := plain.Next([]byte("x"))
	wantSASLError(t, "PLAIN Next", err, saslCondMalformed)
	if err := plain.Finish(nil); err != nil {
		t.Errorf("PLAIN Finish(nil) = %v", err)
	}
	_, err = sel(mechPlain, saslCredentials{Username: "a\x00b", Password: "p"}).Start()
	wantSASLError(t, "PLAIN Start(NUL)", err, saslCondCredentials)
	_, err = sel(mechPlain, saslCredentials{Username: "a", Password: ""}).Start()
	wantSASLError(t, "PLAIN Start(empty password)", err, saslCondCredentials)

	ext := sel(mechExternal, saslCredentials{HaveClientCert: true})
	if got, err := ext.Start(); err != nil || got == nil || len(got) != 0 {
		t.Errorf("EXTERNAL Start() = %q (nil=%v), %v, want empty non-nil", got, got == nil, err)
	}
	ext = sel(mechExternal, saslCredentials{HaveClientCert: true, Authzid: "juliet@example.net"})
	if got, err := ext.Start(); err != nil || string(got) != "juliet@example.net" {
		t.Errorf("EXTERNAL Start() = %q, %v", got, err)
	}
	if err := ext.Finish(nil); err != nil {
		t.Errorf("EXTERNAL Finish(nil) = %v", err)
	}

	anon := sel(mechAnonymous, saslCredentials{})
	if got, err := anon.Start(); err != nil || got == nil || len(got) != 0 {
		t.Errorf("ANONYMOUS Start() = %q, %v, want empty non-nil", got, err)
	}
	_, err = anon.Next(nil)
	wantSASLError(t, "ANONYMOUS Next", err, saslCondMalformed)
}

func TestSASLErrorString(t *testing.T) {
	t.Parallel()
	cause := errors.New("cause")
	e := &SASLError{Mechanism: "SCRAM-SHA-1", Condition: SASLNotAuthorized, Text: "bad", Err: cause}
	if got, want := e.Error(), "xmpp: sasl SCRAM-SHA-1 failed: not-authorized: bad: cause"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(e, cause) {
		t.Errorf("errors.Is(SASLError, cause) = false")
	}
	if got, want := (&SASLError{Condition: SASLNoMechanism}).Error(), "xmpp: sasl failed: no-mechanism"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// ---- fuzzing ----

// FuzzSCRAMServerFirst checks that parsing any server-first-message either
// yields a valid result or a *SASLError, never a panic.
func FuzzSCRAMServerFirst(f *testing.F) {
	const nonce = "fyko+d2lbbFgONRv9qkxdawL"
	f.Add([]byte("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"))
	f.Add([]byte("m=x,r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4096"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		sf, err := parseServerFirst(mechSCRAMSHA256, msg, nonce)
		if err != nil {
			var se *SASLError
			if !errors.As(err, &se) || se.Condition == "" || se.Mechanism != mechSCRAMSHA256 {
				t.Fatalf("parseServerFirst(%q) error %v (%T), want *SASLError", msg, err, err)
			}
			return
		}
		if !strings.HasPrefix(sf.nonce, nonce) || len(sf.nonce) <= len(nonce) || len(sf.salt) == 0 ||
			sf.iterations < scramMinIterations || sf.iterations > scramMaxIterations {
			t.Fatalf("parseServerFirst(%q) = %+v, violates invariants", msg, sf)
		}
	})
}

// FuzzSCRAM runs a whole client exchange against arbitrary server messages.
func FuzzSCRAM(f *testing.F) {
	const nonce = "fyko+d2lbbFgONRv9qkxdawL"
	f.Add([]byte("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"), []byte("v=rmF9pqV8S7suAoZWja4dJRkFsKQ="))
	f.Add([]byte("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"), []byte("e=invalid-proof"))
	f.Fuzz(func(t *testing.T, serverFirst, serverFinal []byte) {
		typed := func(what string, err error) {
			var se *SASLError
			if err != nil && (!errors.As(err, &se) || se.Condition == "") {
				t.Fatalf("%s error %v (%T), want *SASLError", what, err, err)
			}
		}
		c := testSCRAMClient(mechSCRAMSHA1, "user", "pencil", nonce)
		if _, err := c.Start(); err != nil {
			t.Fatal(err)
		}
		_, err := c.Next(serverFirst)
		typed("Next(server-first)", err)
		if err != nil {
			if c.Finish(serverFinal) == nil {
				t.Fatalf("Finish succeeded after failed Next")
			}
			return
		}
		// Alternate between the two places a server-final may arrive.
		if len(serverFinal)%2 == 0 {
			_, err := c.Next(serverFinal)
			typed("Next(server-final)", err)
			ferr := c.Finish(nil)
			typed("Finish(nil)", ferr)
			if (err == nil) != (ferr == nil) {
				t.Fatalf("Next(server-final) = %v but Finish(nil) = %v", err, ferr)
			}
			return
		}
		typed("Finish(server-final)", c.Finish(serverFinal))
	})
}

// TestAnonymousDomainJID logs in with a JID that is only a domain: SASL
// ANONYMOUS (RFC 4505), allowed explicitly, and a server-assigned JID.
func TestAnonymousDomainJID(t *testing.T) {
	t.Parallel()
	const assigned = "x7k2q@" + testDomain + "/r1"
	conn, _ := startFakeServer(t, func(s *fakeServer) {
		s.open(featStartTLS)
		s.startTLS()
		s.open(featMechs("SCRAM-SHA-256", "PLAIN", "ANONYMOUS"))
		e := s.expect(nsSASL, "auth")
		if m := e.attr("mechanism"); m != mechAnonymous {
			s.fail("mechanism %q, want ANONYMOUS", m)
		}
		s.send("<success xmlns='" + nsSASL + "'/>")
		s.open(featBind)
		b := s.expect(NSClient, "iq")
		if b.attr("type") != IQSet.String() || !strings.Contains(b.Inner, nsBind) {
			s.fail("want bind request, got %s", b.Inner)
		}
		s.send("<iq type='result' id='" + b.attr("id") + "'><bind xmlns='" + nsBind + "'><jid>" + assigned + "</jid></bind></iq>")
		s.closeStream()
	})
	opts := testOptions(t)
	opts.Resource = ""
	opts.Mechanisms = []string{mechAnonymous, mechPlain}
	c, err := NewClient(testCtx(t), conn, testDomain, "", opts)
	require.NoError(t, err, "NewClient(%q) with ANONYMOUS", testDomain)
	require.Equal(t, assigned, c.JID().String())
	require.NoError(t, c.Close())
}

// TestDomainJIDNeedsAnonymous checks that a JID without a localpart is
// refused before anything is sent unless ANONYMOUS is allowed, and that it
// never logs in with another mechanism.
func TestDomainJIDNeedsAnonymous(t *testing.T) {
	t.Parallel()
	client, server := net.Pipe()
	t.Cleanup(func() { server.Close() })
	_, err := NewClient(testCtx(t), client, testDomain, "secret", testOptions(t))
	require.ErrorIs(t, err, ErrInvalidJID, "NewClient(%q) without ANONYMOUS", testDomain)

	conn, _ := startFakeServer(t, func(s *fakeServer) {
		s.open(featStartTLS)
		s.startTLS()
		s.open(featMechs("PLAIN"))
		s.expectClosed()
	})
	opts := testOptions(t)
	opts.Mechanisms = []string{mechAnonymous, mechPlain}
	_, err = NewClient(testCtx(t), conn, testDomain, "secret", opts)
	require.ErrorIs(t, err, SASLNoMechanism, "NewClient(%q) with only PLAIN offered", testDomain)
}
