package xmpp

// SASL client mechanisms for stream negotiation (RFC 6120 §6): SCRAM-SHA-1,
// SCRAM-SHA-256 and SCRAM-SHA-512 with and without channel binding
// (RFC 5802, RFC 7677; SHA-512 by analogy), PLAIN (RFC 4616), EXTERNAL
// (RFC 4422 Appendix A) and ANONYMOUS (RFC 4505).
//
// This file knows nothing about XML or base64: mechanisms exchange raw bytes
// and the session encodes them on the wire.

import (
	"bytes"
	"crypto"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// SASL mechanism names. RFC 4422 §3.1: names are case-sensitive upper case.
const (
	mechSCRAMSHA512Plus = "SCRAM-SHA-512-PLUS"
	mechSCRAMSHA256Plus = "SCRAM-SHA-256-PLUS"
	mechSCRAMSHA1Plus   = "SCRAM-SHA-1-PLUS"
	mechSCRAMSHA512     = "SCRAM-SHA-512"
	mechSCRAMSHA256     = "SCRAM-SHA-256"
	mechSCRAMSHA1       = "SCRAM-SHA-1"
	mechPlain           = "PLAIN"
	mechExternal        = "EXTERNAL"
	mechAnonymous       = "ANONYMOUS"
)

// Channel binding types (RFC 5929, RFC 9266) as named in the gs2 header and
// in XEP-0440 <sasl-channel-binding/>.
const (
	cbTLSExporter       = "tls-exporter"
	cbTLSServerEndPoint = "tls-server-end-point"
	cbTLSUnique         = "tls-unique"
)

// cbExporterLabel and cbExporterLen are the RFC 9266 §2 exporter parameters.
const (
	cbExporterLabel = "EXPORTER-Channel-Binding"
	cbExporterLen   = 32
)

// SCRAM limits.
const (
	// scramMinIterations is the smallest iteration count accepted from a
	// server. RFC 7677 §4 and RFC 5802 §5.1 ask for at least 4096; a lower
	// count is a downgrade an active attacker could use to speed up an
	// offline dictionary attack on a captured exchange.
	scramMinIterations = 4096
	// scramMaxIterations is the largest iteration count accepted from a
	// server. It bounds the CPU a hostile server can make us spend on
	// PBKDF2 (600,000 is the 2023 OWASP recommendation for
	// PBKDF2-HMAC-SHA-256 and costs well under a second).
	scramMaxIterations = 600_000
	// scramNonceBytes is the number of random bytes in a client nonce
	// before base64 encoding.
	scramNonceBytes = 24
)

// SASLCondition is the condition of a failed SASL authentication: a
// defined condition of RFC 6120 §6.5 the server sent in <failure/>, a
// SCRAM server-error value (RFC 5802 §7), or one of the library's own. It
// is an error, which a *SASLError matches under errors.Is:
//
//	if errors.Is(err, xmpp.SASLNotAuthorized) { ... }
type SASLCondition string

// Error returns the condition with the package prefix, e.g.
// "xmpp: sasl not-authorized".
func (c SASLCondition) Error() string { return "xmpp: sasl " + string(c) }

// The SASL failure conditions of RFC 6120 §6.5, and SASLNoMechanism.
const (
	SASLAborted              SASLCondition = "aborted"                // §6.5.1
	SASLAccountDisabled      SASLCondition = "account-disabled"       // §6.5.2
	SASLCredentialsExpired   SASLCondition = "credentials-expired"    // §6.5.3
	SASLEncryptionRequired   SASLCondition = "encryption-required"    // §6.5.4
	SASLIncorrectEncoding    SASLCondition = "incorrect-encoding"     // §6.5.5
	SASLInvalidAuthzid       SASLCondition = "invalid-authzid"        // §6.5.6
	SASLInvalidMechanism     SASLCondition = "invalid-mechanism"      // §6.5.7
	SASLMalformedRequest     SASLCondition = "malformed-request"      // §6.5.8
	SASLMechanismTooWeak     SASLCondition = "mechanism-too-weak"     // §6.5.9
	SASLNotAuthorized        SASLCondition = "not-authorized"         // §6.5.10
	SASLTemporaryAuthFailure SASLCondition = "temporary-auth-failure" // §6.5.11

	// SASLNoMechanism is the library's own condition for a login that
	// cannot start: no mechanism is offered by the server, allowed by
	// Options.Mechanisms and usable on the connection. It is reported
	// before any credentials are sent.
	SASLNoMechanism SASLCondition = "no-mechanism"
)

// Local SASLError conditions besides SASLNoMechanism. They are distinct
// from the RFC 6120 §6.5 conditions a server sends in <failure/>, which the
// session reports with their element name as Condition.
//
// A SCRAM server-final "e=" error (RFC 5802 §7 server-error-value, e.g.
// "invalid-proof", "channel-bindings-dont-match") is reported with the value
// as Condition.
const (
	// saslCondMalformed: a server message does not parse, violates the
	// mechanism's grammar, carries an unsupported mandatory extension
	// ("m="), or arrives when none is expected.
	saslCondMalformed SASLCondition = "malformed-challenge"
	// saslCondInvalidNonce: the SCRAM server nonce does not extend ours.
	saslCondInvalidNonce SASLCondition = "invalid-nonce"
	// saslCondIterationCount: the SCRAM iteration count is outside
	// [scramMinIterations, scramMaxIterations].
	saslCondIterationCount SASLCondition = "iteration-count-out-of-range"
	// saslCondServerSignature: the SCRAM server signature is wrong.
	saslCondServerSignature SASLCondition = "invalid-server-signature"
	// saslCondUnverified: the server reported success but never proved
	// knowledge of the password (no SCRAM server-final was received).
	saslCondUnverified SASLCondition = "server-not-verified"
	// saslCondChannelBinding: channel binding data cannot be computed.
	saslCondChannelBinding SASLCondition = "channel-binding-unavailable"
	// saslCondCredentials: the username, authzid or password cannot be
	// encoded for the mechanism (invalid UTF-8, NUL, empty after
	// preparation).
	saslCondCredentials SASLCondition = "invalid-credentials"
	// saslCondInternal: a local failure (random source, key derivation).
	saslCondInternal SASLCondition = "internal-error"
)

// SASLError is a failed SASL authentication (RFC 6120 §6.5).
//
// Condition is either the defined condition the server sent in <failure/>
// (e.g. SASLNotAuthorized), a SCRAM server-error value from "e=", or one of
// the local conditions: SASLNoMechanism, "malformed-challenge",
// "invalid-nonce", "iteration-count-out-of-range",
// "invalid-server-signature", "server-not-verified",
// "channel-binding-unavailable", "invalid-credentials", "internal-error".
// A *SASLError matches its Condition under errors.Is.
type SASLError struct {
	// Mechanism is the mechanism in use, or empty if none was selected.
	Mechanism string
	// Condition is the failure condition (see the type documentation).
	Condition SASLCondition
	// Text is an optional human-readable description.
	Text string
	// Err is the underlying cause, if any.
	Err error
}

func (e *SASLError) Error() string {
	var b strings.Builder
	b.WriteString("xmpp: sasl ")
	if e.Mechanism != "" {
		b.WriteString(e.Mechanism)
		b.WriteByte(' ')
	}
	b.WriteString("failed: ")
	b.WriteString(string(e.Condition))
	if e.Text != "" {
		b.WriteString(": ")
		b.WriteString(e.Text)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns Err.
func (e *SASLError) Unwrap() error { return e.Err }

// Is reports whether target is the SASLCondition e.Condition.
func (e *SASLError) Is(target error) bool {
	c, ok := target.(SASLCondition)
	return ok && c == e.Condition
}

// saslCredentials is what selectSASL and the mechanisms need from the
// session.
type saslCredentials struct {
	// Username is the authentication identity: the JID localpart, already
	// PRECIS-normalised.
	Username string
	// Authzid is the authorization identity, usually empty.
	Authzid string
	// Password is the password (SCRAM and PLAIN).
	Password string
	// TLS is the state of the TLS connection, or nil without TLS.
	TLS *tls.ConnectionState
	// ChannelBindingTypes are the types the server advertised with
	// XEP-0440 <sasl-channel-binding/>; nil if it advertised none.
	ChannelBindingTypes []string
	// HaveClientCert reports whether a client certificate was presented in
	// the TLS handshake (a precondition for EXTERNAL).
	HaveClientCert bool
	// InsecurePlain allows PLAIN without TLS.
	InsecurePlain bool
}

// saslMechanism is one client-side SASL exchange. Byte slices are raw, not
// base64.
type saslMechanism interface {
	// Name is the mechanism name as sent in <auth mechanism=.../>.
	Name() string
	// Start returns the initial response. A nil slice means no initial
	// response; a non-nil empty slice is an empty one (sent as "=").
	Start() ([]byte, error)
	// Next returns the response to a server <challenge/>.
	Next(challenge []byte) ([]byte, error)
	// Finish is called with the additional data of <success/> (possibly
	// empty). It fails if the mechanism has not authenticated the server
	// where it should have: a SCRAM login whose server signature was never
	// verified fails.
	Finish(additional []byte) error
}

// defaultSASLMechanisms returns the mechanisms allowed when the user does
// not restrict them, most preferred first. ANONYMOUS is deliberately absent.
func defaultSASLMechanisms() []string {
	return []string{
		mechExternal,
		mechSCRAMSHA512Plus, mechSCRAMSHA256Plus, mechSCRAMSHA1Plus,
		mechSCRAMSHA512, mechSCRAMSHA256, mechSCRAMSHA1,
		mechPlain,
	}
}

// scramPlusOrder and scramOrder are the SCRAM preference orders.
var (
	scramPlusOrder = [...]string{mechSCRAMSHA512Plus, mechSCRAMSHA256Plus, mechSCRAMSHA1Plus}
	scramOrder     = [...]string{mechSCRAMSHA512, mechSCRAMSHA256, mechSCRAMSHA1}
)

// selectSASL chooses the strongest mechanism that will actually work.
//
// The rule, which Options.Mechanisms documents for users:
//
// Mechanisms lists the SASL mechanisms that may be used (RFC 6120 §6).
// Names are case-sensitive. Nil or empty means SCRAM-SHA-512-PLUS,
// SCRAM-SHA-256-PLUS, SCRAM-SHA-1-PLUS, SCRAM-SHA-512, SCRAM-SHA-256,
// SCRAM-SHA-1, PLAIN and EXTERNAL; ANONYMOUS is used only when listed.
// The order of the list does not matter: among the mechanisms both offered
// by the server and allowed, the client picks, in this order:
//
//  1. EXTERNAL, if a TLS client certificate was presented.
//  2. SCRAM-SHA-512-PLUS, SCRAM-SHA-256-PLUS, SCRAM-SHA-1-PLUS, if a channel
//     binding the server will accept is available: on TLS 1.2, tls-unique
//     (the RFC 5929 default), or if the server advertises binding types
//     (XEP-0440) the first of tls-exporter, tls-server-end-point, tls-unique
//     that it advertises and the connection supports; on TLS 1.3, only
//     tls-exporter or tls-server-end-point advertised by the server
//     (servers predating RFC 9266 offer -PLUS on TLS 1.3 but accept only
//     tls-unique, which TLS 1.3 cannot provide). If Mechanisms names only
//     -PLUS mechanisms and no binding is known to be accepted, the version's
//     default is tried anyway: tls-exporter on TLS 1.3 (RFC 9266),
//     tls-unique on TLS 1.2.
//  3. SCRAM-SHA-512, SCRAM-SHA-256, SCRAM-SHA-1. The gs2 header says "n"
//     (no binding) when the server offered a -PLUS mechanism or there is no
//     usable binding, and "y" (binding supported but not offered, RFC 5802
//     §6) otherwise.
//  4. PLAIN, only over TLS unless InsecurePlain is set.
//  5. ANONYMOUS, only when listed.
//
// If nothing qualifies, the error is a *SASLError with Condition
// SASLNoMechanism.
func selectSASL(offered, allowed []string, cr saslCredentials) (saslMechanism, error) {
	explicit := len(allowed) > 0
	if !explicit {
		allowed = defaultSASLMechanisms()
	}
	usable := func(m string) bool {
		return slices.Contains(offered, m) && slices.Contains(allowed, m)
	}

	if cr.HaveClientCert && usable(mechExternal) {
		return &externalMech{authzid: cr.Authzid}, nil
	}

	if cr.TLS != nil {
		onlyPlus := explicit && !slices.ContainsFunc(allowed, func(m string) bool { return !isSCRAMPlus(m) })
		for _, m := range scramPlusOrder {
			if !usable(m) {
				continue
			}
			typ, data, ok := chooseChannelBinding(cr.TLS, cr.ChannelBindingTypes, onlyPlus)
			if !ok {
				break
			}
			return newSCRAM(m, cr, "p="+typ, data), nil
		}
	}

	for _, m := range scramOrder {
		if !usable(m) {
			continue
		}
		flag := "n"
		if cr.TLS != nil && !slices.ContainsFunc(offered, isSCRAMPlus) && anyChannelBinding(cr.TLS) {
			flag = "y"
		}
		return newSCRAM(m, cr, flag, nil), nil
	}

	if usable(mechPlain) && (cr.TLS != nil || cr.InsecurePlain) {
		return &plainMech{cr: cr}, nil
	}
	if usable(mechAnonymous) {
		return &anonymousMech{}, nil
	}

	text := fmt.Sprintf("offered %q, allowed %q", offered, allowed)
	if cr.TLS == nil && usable(mechPlain) {
		text += "; PLAIN refused without TLS"
	}
	return nil, &SASLError{Condition: SASLNoMechanism, Text: text}
}

// isSCRAMPlus reports whether m is a SCRAM mechanism with channel binding,
// including SCRAM variants this package does not implement.
func isSCRAMPlus(m string) bool {
	return strings.HasPrefix(m, "SCRAM-") && strings.HasSuffix(m, "-PLUS")
}

// chooseChannelBinding picks the channel binding type for a -PLUS
// mechanism, as documented on selectSASL, and returns its data.
func chooseChannelBinding(cs *tls.ConnectionState, advertised []string, force bool) (typ string, data []byte, ok bool) {
	try := func(t string) bool {
		d, err := channelBindingData(cs, t)
		if err != nil {
			return false
		}
		typ, data = t, d
		return true
	}
	if advertised != nil {
		for _, t := range [...]string{cbTLSExporter, cbTLSServerEndPoint, cbTLSUnique} {
			if slices.Contains(advertised, t) && try(t) {
				return typ, data, true
			}
		}
	} else if cs.Version < tls.VersionTLS13 && try(cbTLSUnique) {
		return typ, data, true
	}
	if force {
		def := cbTLSUnique
		if cs.Version >= tls.VersionTLS13 {
			def = cbTLSExporter
		}
		if try(def) {
			return typ, data, true
		}
	}
	return "", nil, false
}

// anyChannelBinding reports whether the connection supports some channel
// binding type.
func anyChannelBinding(cs *tls.ConnectionState) bool {
	for _, t := range [...]string{cbTLSExporter, cbTLSServerEndPoint, cbTLSUnique} {
		if _, err := channelBindingData(cs, t); err == nil {
			return true
		}
	}
	return false
}

var errNoChannelBinding = errors.New("channel binding type unavailable on this connection")

// channelBindingData returns the channel binding data of type typ for the
// connection.
func channelBindingData(cs *tls.ConnectionState, typ string) (data []byte, err error) {
	if cs == nil {
		return nil, errNoChannelBinding
	}
	switch typ {
	case cbTLSUnique:
		// RFC 5929 §3. Not defined for TLS 1.3 (RFC 8446 §C.5); Go leaves
		// TLSUnique nil there and on resumptions without EMS.
		if cs.Version >= tls.VersionTLS13 || len(cs.TLSUnique) == 0 {
			return nil, errNoChannelBinding
		}
		return bytes.Clone(cs.TLSUnique), nil
	case cbTLSExporter:
		// RFC 9266 §2: label "EXPORTER-Channel-Binding", zero-length
		// context, 32 bytes. On TLS 1.2 Go refuses without Extended Master
		// Secret, as RFC 9266 §4.2 requires. A hand-built ConnectionState
		// has no exporter; treat its panic as "unavailable".
		defer func() {
			if recover() != nil {
				data, err = nil, errNoChannelBinding
			}
		}()
		d, err := cs.ExportKeyingMaterial(cbExporterLabel, []byte{}, cbExporterLen)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errNoChannelBinding, err)
		}
		return d, nil
	case cbTLSServerEndPoint:
		if len(cs.PeerCertificates) == 0 {
			return nil, errNoChannelBinding
		}
		return serverEndPoint(cs.PeerCertificates[0])
	}
	return nil, errNoChannelBinding
}

// serverEndPoint returns the tls-server-end-point channel binding data of
// the server certificate (RFC 5929 §4.1): its hash with the certificate's
// signature hash function, SHA-256 if that is MD5 or SHA-1. Certificates
// whose signature algorithm has no single hash (Ed25519) or is unknown have
// no defined binding.
func serverEndPoint(cert *x509.Certificate) ([]byte, error) {
	var h crypto.Hash
	switch cert.SignatureAlgorithm {
	case x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1,
		x509.SHA256WithRSA, x509.SHA256WithRSAPSS, x509.DSAWithSHA256, x509.ECDSAWithSHA256:
		h = crypto.SHA256
	case x509.SHA384WithRSA, x509.SHA384WithRSAPSS, x509.ECDSAWithSHA384:
		h = crypto.SHA384
	case x509.SHA512WithRSA, x509.SHA512WithRSAPSS, x509.ECDSAWithSHA512:
		h = crypto.SHA512
	default:
		return nil, fmt.Errorf("%w: no tls-server-end-point hash for %v", errNoChannelBinding, cert.SignatureAlgorithm)
	}
	hh := h.New()
	hh.Write(cert.Raw)
	return hh.Sum(nil), nil
}

// saslFail returns a *SASLError for mechanism mech.
func saslFail(mech string, cond SASLCondition, text string, err error) *SASLError {
	return &SASLError{Mechanism: mech, Condition: cond, Text: text, Err: err}
}

// ---- SCRAM (RFC 5802) ----

// scramState is the position in a SCRAM exchange.
type scramState int

const (
	scramInitial   scramState = iota // Start not yet called
	scramSentFirst                   // client-first sent, awaiting server-first
	scramSentFinal                   // client-final sent, awaiting server-final
	scramVerified                    // server-final verified
	scramFailed                      // an error occurred; every call fails
)

// scramClient is a SCRAM client (RFC 5802 §5) for one hash function.
type scramClient struct {
	name     string
	hash     func() hash.Hash
	username string
	authzid  string
	password string
	gs2Flag  string // "n", "y" or "p=<cb-name>"
	cbData   []byte // channel binding data for "p="

	// nonce is the client nonce; if empty, Start generates one. Tests set
	// it to reproduce published vectors.
	nonce string

	state           scramState
	gs2Header       string
	clientFirstBare string
	serverSignature []byte
}

func newSCRAM(name string, cr saslCredentials, gs2Flag string, cbData []byte) *scramClient {
	var h func() hash.Hash
	switch strings.TrimSuffix(name, "-PLUS") {
	case mechSCRAMSHA1:
		h = sha1.New
	case mechSCRAMSHA256:
		h = sha256.New
	case mechSCRAMSHA512:
		h = sha512.New
	default:
		panic("xmpp: unknown SCRAM mechanism " + name) // programming error
	}
	return &scramClient{
		name:     name,
		hash:     h,
		username: cr.Username,
		authzid:  cr.Authzid,
		password: cr.Password,
		gs2Flag:  gs2Flag,
		cbData:   cbData,
	}
}

func (s *scramClient) Name() string { return s.name }

// abort ends the exchange: every later call fails.
func (s *scramClient) abort() {
	s.state = scramFailed
	clear(s.serverSignature)
	s.serverSignature = nil
}

func (s *scramClient) fail(cond SASLCondition, text string, err error) error {
	s.abort()
	return saslFail(s.name, cond, text, err)
}

// scramEscape encodes a saslname (RFC 5802 §5.1): "=" as "=3D" and "," as
// "=2C".
func scramEscape(name string) string {
	if !strings.ContainsAny(name, "=,") {
		return name
	}
	return strings.NewReplacer("=", "=3D", ",", "=2C").Replace(name)
}

// Start returns the client-first-message (RFC 5802 §7):
// gs2-header client-first-message-bare.
func (s *scramClient) Start() ([]byte, error) {
	if s.state != scramInitial {
		return nil, s.fail(saslCondInternal, "Start called twice", nil)
	}
	for _, v := range [...]string{s.username, s.authzid} {
		if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			return nil, s.fail(saslCondCredentials, "username or authzid is not valid UTF-8 without NUL", nil)
		}
	}
	if s.username == "" {
		return nil, s.fail(saslCondCredentials, "empty username", nil)
	}
	if strings.HasPrefix(s.gs2Flag, "p=") && len(s.cbData) == 0 {
		return nil, s.fail(saslCondChannelBinding, s.gs2Flag[2:], nil)
	}
	if s.nonce == "" {
		b := make([]byte, scramNonceBytes)
		if _, err := rand.Read(b); err != nil {
			return nil, s.fail(saslCondInternal, "reading random nonce", err)
		}
		// Standard base64 is printable and has no ",".
		s.nonce = base64.StdEncoding.EncodeToString(b)
	}
	s.gs2Header = s.gs2Flag + ","
	if s.authzid != "" {
		s.gs2Header += "a=" + scramEscape(s.authzid)
	}
	s.gs2Header += ","
	s.clientFirstBare = "n=" + scramEscape(s.username) + ",r=" + s.nonce
	s.state = scramSentFirst
	return []byte(s.gs2Header + s.clientFirstBare), nil
}

// Next handles the server-first-message, returning the client-final-message,
// and a server-final-message sent as a challenge, returning an empty
// response.
func (s *scramClient) Next(challenge []byte) ([]byte, error) {
	switch s.state {
	case scramSentFirst:
		return s.clientFinal(challenge)
	case scramSentFinal:
		if err := s.verifyServerFinal(challenge); err != nil {
			return nil, err
		}
		return []byte{}, nil
	case scramFailed:
		return nil, saslFail(s.name, saslCondInternal, "exchange already failed", nil)
	}
	return nil, s.fail(saslCondMalformed, "unexpected challenge", nil)
}

// Finish verifies the server-final-message in the <success/> data, or, if
// that is empty, that one was verified in a challenge.
func (s *scramClient) Finish(additional []byte) error {
	switch s.state {
	case scramSentFinal:
		if len(additional) == 0 {
			return s.fail(saslCondUnverified, "success without server signature", nil)
		}
		return s.verifyServerFinal(additional)
	case scramVerified:
		if len(additional) == 0 {
			return nil
		}
		// RFC 6120 §6.3.10 allows the data again in <success/>; check it
		// against what was already verified.
		return s.verifyServerFinal(additional)
	case scramFailed:
		return saslFail(s.name, saslCondInternal, "exchange already failed", nil)
	}
	return s.fail(saslCondUnverified, "success before the SCRAM exchange completed", nil)
}

// scramServerFirst is a parsed server-first-message.
type scramServerFirst struct {
	nonce      string
	salt       []byte
	iterations int
}

// scramAttrs splits a SCRAM message into its attribute/value pairs,
// checking the attr-val grammar (RFC 5802 §7): ALPHA "=" value, where value
// has no ",".
func scramAttrs(msg []byte) ([][2]string, error) {
	if !utf8.Valid(msg) {
		return nil, errors.New("not UTF-8")
	}
	var out [][2]string
	for part := range strings.SplitSeq(string(msg), ",") {
		if len(part) < 2 || part[1] != '=' || !isASCIIAlpha(part[0]) {
			return nil, fmt.Errorf("bad attribute %q", truncate(part))
		}
		if strings.IndexByte(part, 0) >= 0 {
			return nil, errors.New("NUL in attribute value")
		}
		out = append(out, [2]string{part[:1], part[2:]})
	}
	return out, nil
}

func isASCIIAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// truncate shortens server-controlled text quoted in errors.
func truncate(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	n := max
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// parseServerFirst parses a server-first-message (RFC 5802 §7):
//
//	[reserved-mext ","] nonce "," salt "," iteration-count ["," extensions]
//
// checking that the nonce extends clientNonce and the iteration count is in
// bounds. Errors are *SASLError with mechanism mech.
func parseServerFirst(mech string, msg []byte, clientNonce string) (scramServerFirst, error) {
	var sf scramServerFirst
	attrs, err := scramAttrs(msg)
	if err != nil {
		return sf, saslFail(mech, saslCondMalformed, "server-first-message", err)
	}
	if len(attrs) > 0 && attrs[0][0] == "m" {
		return sf, saslFail(mech, saslCondMalformed, "unsupported mandatory extension in server-first-message", nil)
	}
	if len(attrs) < 3 || attrs[0][0] != "r" || attrs[1][0] != "s" || attrs[2][0] != "i" {
		return sf, saslFail(mech, saslCondMalformed, "server-first-message lacks r=, s=, i= in order", nil)
	}
	sf.nonce = attrs[0][1]
	for i := 0; i < len(sf.nonce); i++ {
		if c := sf.nonce[i]; c < 0x21 || c > 0x7e { // printable, "," already excluded
			return sf, saslFail(mech, saslCondMalformed, "non-printable server nonce", nil)
		}
	}
	if len(sf.nonce) <= len(clientNonce) || !strings.HasPrefix(sf.nonce, clientNonce) {
		return sf, saslFail(mech, saslCondInvalidNonce, "server nonce does not extend the client nonce", nil)
	}
	sf.salt, err = base64.StdEncoding.Strict().DecodeString(attrs[1][1])
	if err != nil {
		return sf, saslFail(mech, saslCondMalformed, "salt is not base64", err)
	}
	if len(sf.salt) == 0 {
		return sf, saslFail(mech, saslCondMalformed, "empty salt", nil)
	}
	is := attrs[2][1]
	if is == "" || strings.Trim(is, "0123456789") != "" || is[0] == '0' {
		return sf, saslFail(mech, saslCondMalformed, fmt.Sprintf("bad iteration count %q", truncate(is)), nil)
	}
	n, err := strconv.Atoi(is)
	if err != nil || n < scramMinIterations || n > scramMaxIterations {
		return sf, saslFail(mech, saslCondIterationCount,
			fmt.Sprintf("iteration count %s outside [%d, %d]", truncate(is), scramMinIterations, scramMaxIterations), nil)
	}
	sf.iterations = n
	return sf, nil
}

// clientFinal handles the server-first-message and returns the
// client-final-message (RFC 5802 §3).
func (s *scramClient) clientFinal(msg []byte) ([]byte, error) {
	sf, err := parseServerFirst(s.name, msg, s.nonce)
	if err != nil {
		s.abort()
		return nil, err
	}
	password, err := scramPreparePassword(s.password)
	if err != nil {
		return nil, s.fail(saslCondCredentials, "password", err)
	}

	cbind := make([]byte, 0, len(s.gs2Header)+len(s.cbData))
	cbind = append(cbind, s.gs2Header...)
	if strings.HasPrefix(s.gs2Flag, "p=") {
		cbind = append(cbind, s.cbData...)
	}
	withoutProof := "c=" + base64.StdEncoding.EncodeToString(cbind) + ",r=" + sf.nonce
	authMessage := []byte(s.clientFirstBare + "," + string(msg) + "," + withoutProof)

	size := s.hash().Size()
	salted, err := pbkdf2.Key(s.hash, password, sf.salt, sf.iterations, size)
	if err != nil {
		return nil, s.fail(saslCondInternal, "PBKDF2", err)
	}
	defer clear(salted)

	clientKey := s.hmac(salted, []byte("Client Key"))
	defer clear(clientKey)
	h := s.hash()
	h.Write(clientKey)
	storedKey := h.Sum(nil)
	defer clear(storedKey)
	clientSig := s.hmac(storedKey, authMessage)
	defer clear(clientSig)
	proof := make([]byte, size)
	subtle.XORBytes(proof, clientKey, clientSig)

	serverKey := s.hmac(salted, []byte("Server Key"))
	defer clear(serverKey)
	s.serverSignature = s.hmac(serverKey, authMessage)

	s.state = scramSentFinal
	return []byte(withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof)), nil
}

func (s *scramClient) hmac(key, msg []byte) []byte {
	m := hmac.New(s.hash, key)
	m.Write(msg)
	return m.Sum(nil)
}

// parseServerFinal parses a server-final-message (RFC 5802 §7):
//
//	(server-error / verifier) ["," extensions]
//
// returning the decoded verifier, or a *SASLError whose Condition is the
// server-error value.
func parseServerFinal(mech string, msg []byte) ([]byte, error) {
	attrs, err := scramAttrs(msg)
	if err != nil {
		return nil, saslFail(mech, saslCondMalformed, "server-final-message", err)
	}
	switch attrs[0][0] {
	case "e":
		cond := attrs[0][1]
		if cond == "" {
			return nil, saslFail(mech, saslCondMalformed, "empty server-error", nil)
		}
		return nil, saslFail(mech, SASLCondition(truncate(cond)), "server-error in server-final-message", nil)
	case "v":
		v, err := base64.StdEncoding.Strict().DecodeString(attrs[0][1])
		if err != nil || len(v) == 0 {
			return nil, saslFail(mech, saslCondMalformed, "verifier is not base64", err)
		}
		return v, nil
	}
	return nil, saslFail(mech, saslCondMalformed, "server-final-message lacks v= or e=", nil)
}

// verifyServerFinal checks the server signature in a server-final-message.
func (s *scramClient) verifyServerFinal(msg []byte) error {
	v, err := parseServerFinal(s.name, msg)
	if err != nil {
		s.abort()
		return err
	}
	if !hmac.Equal(v, s.serverSignature) {
		return s.fail(saslCondServerSignature, "server signature mismatch", nil)
	}
	s.state = scramVerified
	return nil
}

// scramPreparePassword applies the mapping and normalisation steps of
// SASLprep (RFC 4013 §2.1-2.2) that RFC 5802 §2.2 asks for: non-ASCII spaces
// to SPACE, "commonly mapped to nothing" characters removed, NFKC. ASCII
// passwords are unchanged. Prohibited-output and bidi checks are left to the
// server.
func scramPreparePassword(p string) (string, error) {
	if !utf8.ValidString(p) {
		return "", errors.New("password is not valid UTF-8")
	}
	ascii := true
	for i := 0; i < len(p); i++ {
		if p[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return p, nil
	}
	var b strings.Builder
	for _, r := range p {
		switch {
		case r == 0x00A0 || r == 0x1680 || 0x2000 <= r && r <= 0x200B ||
			r == 0x202F || r == 0x205F || r == 0x3000: // RFC 3454 C.1.2
			b.WriteByte(' ')
		case r == 0x00AD || r == 0x034F || r == 0x1806 || 0x180B <= r && r <= 0x180D ||
			0x200C <= r && r <= 0x200D || r == 0x2060 || 0xFE00 <= r && r <= 0xFE0F ||
			r == 0xFEFF: // RFC 3454 B.1
		default:
			b.WriteRune(r)
		}
	}
	out := norm.NFKC.String(b.String())
	if out == "" {
		return "", errors.New("password is empty after SASLprep")
	}
	return out, nil
}

// ---- PLAIN (RFC 4616) ----

type plainMech struct{ cr saslCredentials }

func (*plainMech) Name() string { return mechPlain }

// Start returns "authzid NUL authcid NUL passwd".
func (m *plainMech) Start() ([]byte, error) {
	for _, v := range [...]string{m.cr.Authzid, m.cr.Username, m.cr.Password} {
		if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			return nil, saslFail(mechPlain, saslCondCredentials, "credentials must be UTF-8 without NUL", nil)
		}
	}
	if m.cr.Username == "" || m.cr.Password == "" {
		return nil, saslFail(mechPlain, saslCondCredentials, "empty username or password", nil)
	}
	return []byte(m.cr.Authzid + "\x00" + m.cr.Username + "\x00" + m.cr.Password), nil
}

func (*plainMech) Next([]byte) ([]byte, error) {
	return nil, saslFail(mechPlain, saslCondMalformed, "unexpected challenge", nil)
}

func (*plainMech) Finish([]byte) error { return nil }

// ---- EXTERNAL (RFC 4422 Appendix A; XEP-0178) ----

type externalMech struct{ authzid string }

func (*externalMech) Name() string { return mechExternal }

// Start returns the authzid, or an empty (non-nil) response.
func (m *externalMech) Start() ([]byte, error) {
	if !utf8.ValidString(m.authzid) || strings.IndexByte(m.authzid, 0) >= 0 {
		return nil, saslFail(mechExternal, saslCondCredentials, "authzid must be UTF-8 without NUL", nil)
	}
	return []byte(m.authzid), nil
}

func (*externalMech) Next([]byte) ([]byte, error) {
	return nil, saslFail(mechExternal, saslCondMalformed, "unexpected challenge", nil)
}

func (*externalMech) Finish([]byte) error { return nil }

// ---- ANONYMOUS (RFC 4505) ----

type anonymousMech struct{}

func (*anonymousMech) Name() string { return mechAnonymous }

// Start returns an empty trace.
func (*anonymousMech) Start() ([]byte, error) { return []byte{}, nil }

func (*anonymousMech) Next([]byte) ([]byte, error) {
	return nil, saslFail(mechAnonymous, saslCondMalformed, "unexpected challenge", nil)
}

func (*anonymousMech) Finish([]byte) error { return nil }
