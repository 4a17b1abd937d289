package uri

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/gojabber/xmpp"
)

// spec is the MalformedError.Spec of every error of this package.
const spec = "RFC 5122"

// URI is a parsed xmpp: URI or IRI (RFC 5122 §2.2). Its fields hold decoded
// values: JIDs in canonical form and strings without percent-encoding.
//
// The zero value is not a valid identifier: at least one of JID and Auth
// must be set. A URI is not safe for concurrent modification; one that is
// only read may be shared.
type URI struct {
	// Auth is the authority component (RFC 5122 §2.3): the account the
	// application is asked to act from, written "//node@domain" before the
	// path. The zero JID means there is none, and the application uses its
	// configured account. When set it must have a localpart; its
	// resourcepart, if any, is not part of the identifier.
	Auth xmpp.JID
	// JID is the path component (RFC 5122 §2.4): the entity the identifier
	// names or acts upon. It may be zero only when Auth is set.
	JID xmpp.JID
	// Action is the querytype (RFC 5122 §2.5), such as ActionMessage; ""
	// means none. A URI with no Action and no Params has no query
	// component.
	Action string
	// Params are the key=value pairs of the query component, in order. A
	// key may occur more than once.
	Params []Param
	// Fragment is the fragment identifier (RFC 5122 §2.6), "" for none. Its
	// meaning is left to the application.
	Fragment string
}

// Param is one key=value pair of a query component (RFC 5122 §2.5).
type Param struct {
	// Key is the key, such as "body".
	Key string
	// Value is the value, decoded; it may be "".
	Value string
}

// Get returns the value of the first parameter named key, or "" if there is
// none.
func (u *URI) Get(key string) string {
	v, _ := u.Lookup(key)
	return v
}

// Lookup returns the value of the first parameter named key, and whether
// there is one.
func (u *URI) Lookup(key string) (string, bool) {
	for _, p := range u.Params {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// Values returns the values of every parameter named key, in order, or nil
// if there is none.
func (u *URI) Values(key string) []string {
	var vs []string
	for _, p := range u.Params {
		if p.Key == key {
			vs = append(vs, p.Value)
		}
	}
	return vs
}

// Add appends the parameter key=value and returns u, so that calls chain.
func (u *URI) Add(key, value string) *URI {
	u.Params = append(u.Params, Param{Key: key, Value: value})
	return u
}

// GetJID returns the value of the first parameter named key parsed as a JID,
// for keys that hold addresses (the "from" of a message, the "jid" of an
// invitation). It returns the zero JID and no error if there is no such
// parameter; an invalid address is an *xmpp.MalformedError that matches
// xmpp.ErrInvalidJID.
func (u *URI) GetJID(key string) (xmpp.JID, error) {
	v, ok := u.Lookup(key)
	if !ok {
		return xmpp.JID{}, nil
	}
	j, err := xmpp.ParseJID(v)
	if err != nil {
		return xmpp.JID{}, &xmpp.MalformedError{Spec: spec, Reason: fmt.Sprintf("parameter %q is not a JID", key), Err: err}
	}
	return j, nil
}

// Parse parses s as an xmpp: URI or IRI (RFC 5122 §2.2, §3.3).
//
// The scheme name is matched without regard to case. Percent-encoded octets
// are decoded in every component and must form UTF-8; in the IRI form,
// characters outside US-ASCII may also appear as they are, where RFC 3987
// allows them (ucschar). The node, domain and resource identifiers are then
// prepared as a JID (RFC 5122 §2.8, RFC 7622), so the authority and
// the path come out in canonical form whichever way they were written, with
// a domain given as A-labels ("xn--…") turned into U-labels.
//
// In a querytype, key or value, Parse also accepts the characters that
// RFC 3986 §3.4 allows in a query other than the delimiters ';' and '='
// (such as the '@' of a JID, which the examples of XEP-0045 write as it
// is), though RFC 5122 §2.2 asks for them to be percent-encoded; String and
// IRI encode them.
//
// A query component without a querytype or pairs ("xmpp:a@example.com?"),
// and an empty fragment ("…#"), are the same as none.
//
// Every error is an *xmpp.MalformedError with Spec "RFC 5122" and Raw s.
// When an address is not a valid JID, its Err is the *xmpp.JIDError, so the
// error also matches xmpp.ErrInvalidJID.
func Parse(s string) (*URI, error) {
	p := parser{raw: s}
	u, err := p.parse()
	if err != nil {
		return nil, err
	}
	return u, nil
}

// parser holds the input for its error messages.
type parser struct {
	raw string
}

func (p *parser) fail(reason string, err error) error {
	return &xmpp.MalformedError{Spec: spec, Reason: reason, Raw: p.raw, Err: err}
}

func (p *parser) parse() (*URI, error) {
	s := p.raw
	const scheme = "xmpp:"
	if len(s) < len(scheme) || !strings.EqualFold(s[:len(scheme)], scheme) {
		return nil, p.fail(`not an xmpp: identifier (no "xmpp:" scheme)`, nil)
	}
	s = s[len(scheme):]
	u := new(URI)
	var err error

	// The fragment starts at the first '#', the query at the first '?'
	// before it (RFC 3986 §3).
	if i := strings.IndexByte(s, '#'); i >= 0 {
		if u.Fragment, err = p.decode(s[i+1:], "fragment", classFragment); err != nil {
			return nil, err
		}
		s = s[:i]
	}
	if i := strings.IndexByte(s, '?'); i >= 0 {
		if err := p.query(u, s[i+1:]); err != nil {
			return nil, err
		}
		s = s[:i]
	}

	// The authority, if any, runs from "//" to the next '/' (RFC 5122 §2.3).
	if rest, ok := strings.CutPrefix(s, "//"); ok {
		auth, path, hasPath := strings.Cut(rest, "/")
		if u.Auth, err = p.address(auth, "authority", false); err != nil {
			return nil, err
		}
		if u.Auth.Local() == "" {
			return nil, p.fail("authority without a node identifier", nil)
		}
		if !hasPath {
			return u, nil
		}
		s = path
	}
	if u.JID, err = p.address(s, "path", true); err != nil {
		return nil, err
	}
	return u, nil
}

// address parses [node "@"] host ["/" resid], the resource only if res.
func (p *parser) address(s, what string, res bool) (xmpp.JID, error) {
	rest, resource, hasRes := strings.Cut(s, "/")
	if hasRes && !res {
		return xmpp.JID{}, p.fail(what+" has a resource identifier", nil)
	}
	node, host, hasNode := strings.Cut(rest, "@")
	if !hasNode {
		node, host = "", rest
	}
	var loc, dom, rsc string
	var err error
	if hasNode {
		if loc, err = p.decode(node, what+" node identifier", classNode); err != nil {
			return xmpp.JID{}, err
		}
		if loc == "" {
			return xmpp.JID{}, p.fail("invalid "+what, &xmpp.JIDError{Part: "localpart", Err: errEmpty})
		}
	}
	if dom, err = p.decode(host, what+" host", classHost); err != nil {
		return xmpp.JID{}, err
	}
	if hasRes {
		if rsc, err = p.decode(resource, what+" resource identifier", classResource); err != nil {
			return xmpp.JID{}, err
		}
		if rsc == "" {
			return xmpp.JID{}, p.fail("invalid "+what, &xmpp.JIDError{Part: "resourcepart", Err: errEmpty})
		}
	}
	j, err := xmpp.NewJID(loc, dom, rsc)
	if err != nil {
		return xmpp.JID{}, p.fail("invalid "+what, err)
	}
	return j, nil
}

var errEmpty = errors.New("empty")

// query parses querytype *( ";" key "=" value ) (RFC 5122 §2.5).
func (p *parser) query(u *URI, q string) error {
	typ, pairs, _ := strings.Cut(q, ";")
	var err error
	if u.Action, err = p.decode(typ, "querytype", classQueryIn); err != nil {
		return err
	}
	if q == typ {
		return nil
	}
	n := strings.Count(pairs, ";") + 1
	u.Params = make([]Param, 0, n)
	for pair := range strings.SplitSeq(pairs, ";") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok {
			return p.fail(fmt.Sprintf("query pair %q without '='", pair), nil)
		}
		var prm Param
		if prm.Key, err = p.decode(k, "query key", classQueryIn); err != nil {
			return err
		}
		if prm.Value, err = p.decode(v, fmt.Sprintf("value of query key %q", prm.Key), classQueryIn); err != nil {
			return err
		}
		u.Params = append(u.Params, prm)
	}
	return nil
}

// decode checks that s holds only the characters that the class allows in
// US-ASCII, percent-encoded octets and ucschar, and decodes it.
func (p *parser) decode(s, what string, class uint8) (string, error) {
	clean := true
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) || unhex(s[i+1]) < 0 || unhex(s[i+2]) < 0 {
				return "", p.fail(fmt.Sprintf("bad percent-encoding in %s", what), nil)
			}
			clean = false
			i += 3
		case c < utf8.RuneSelf:
			if asciiClass[c]&class == 0 {
				return "", p.fail(fmt.Sprintf("character %q not allowed in %s", c, what), nil)
			}
			i++
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				return "", p.fail(fmt.Sprintf("invalid UTF-8 in %s", what), nil)
			}
			if !isUCS(r) {
				return "", p.fail(fmt.Sprintf("character %U not allowed in %s", r, what), nil)
			}
			i += n
		}
	}
	if clean {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			b.WriteByte(byte(unhex(s[i+1])<<4 | unhex(s[i+2])))
			i += 2
		} else {
			b.WriteByte(s[i])
		}
	}
	out := b.String()
	if !utf8.ValidString(out) {
		return "", p.fail(fmt.Sprintf("percent-encoded octets in %s are not UTF-8", what), nil)
	}
	return out, nil
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}

// isUCS reports whether r is a ucschar of RFC 3987 §2.2, which an IRI may
// carry without percent-encoding where a URI allows unreserved characters,
// other than the bidirectional formatting characters that RFC 3987 §4.1
// forbids in an IRI (LRM, RLM, LRE, RLE, PDF, LRO, RLO, and the isolates
// added to Unicode since, LRI, RLI, FSI, PDI): those are always
// percent-encoded.
func isUCS(r rune) bool {
	switch {
	case r == 0x200E, r == 0x200F, r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return false
	case r < 0xA0:
		return false
	case r <= 0xD7FF:
		return true
	case r < 0xF900:
		return false
	case r <= 0xFDCF:
		return true
	case r < 0xFDF0:
		return false
	case r <= 0xFFEF:
		return true
	case r < 0x10000:
		return false
	case r >= 0xE0000 && r < 0xE1000, r >= 0xF0000:
		return false
	}
	return r&0xFFFF <= 0xFFFD
}

// Character classes of US-ASCII in each component. Every class allows the
// unreserved characters of RFC 3986 §2.3 (and RFC 5122 iunreserved).
const (
	// classNode: nodeallow of RFC 5122 §2.2, which leaves out the
	// characters that a localpart may not contain (" & ' / : < > @).
	classNode uint8 = 1 << iota
	// classResource: resallow of RFC 5122 §2.2.
	classResource
	// classHost: the reg-name and IP-literal of RFC 3986 §3.2.2
	// (sub-delims, and '[' ']' ':' for an IPv6 address).
	classHost
	// classQuery: querytype, key and value of RFC 5122 §2.2, which allow
	// unreserved characters only.
	classQuery
	// classQueryIn: what Parse accepts in a querytype, key or value: the
	// query characters of RFC 3986 §3.4 other than the delimiters ';' and
	// '=', because the examples of XEP-0045 and others write JIDs in
	// values with a literal '@'.
	classQueryIn
	// classFragment: the fragment of RFC 3986 §3.5, pchar / "/" / "?".
	classFragment
)

var asciiClass = func() (t [utf8.RuneSelf]uint8) {
	const all = classNode | classResource | classHost | classQuery | classQueryIn | classFragment
	set := func(chars string, class uint8) {
		for i := 0; i < len(chars); i++ {
			t[chars[i]] |= class
		}
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = all
		t[c-'a'+'A'] = all
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = all
	}
	set("-._~", all)
	set("!$()*+,;=", classNode)
	set("!$&'()*+,:;=", classResource)
	set("!$&'()*+,;=[]:", classHost)
	set("!$&'()*+,;=:@/?", classFragment)
	set("!$&'()*+,:@/?", classQueryIn)
	return t
}()

// String returns u in the URI form of RFC 5122 §3.3: the components in
// order, each percent-encoded where the URI grammar requires it (RFC 5122
// §2.7), which includes every octet outside US-ASCII, in the domain too (as
// in the RFC's example "xmpp:ji%C5%99i@%C4%8Dechy.example/v%20Praze"; the
// domain is not turned into A-labels).
//
// Parse(u.String()) returns a URI equal to u when u came from Parse, and
// when u has a JID or an Auth with a localpart and no resourcepart, and its
// strings are valid UTF-8. A URI with neither JID nor Auth, which Parse
// never returns, is written as "xmpp:" followed by its query and fragment,
// which Parse rejects.
func (u *URI) String() string { return u.format(false) }

// IRI returns u in the IRI form of RFC 5122 §2.2: as String, except that the
// characters outside US-ASCII that RFC 3987 allows (ucschar) are written as
// they are instead of percent-encoded (RFC 5122 §2.7).
func (u *URI) IRI() string { return u.format(true) }

// MarshalText implements encoding.TextMarshaler with the URI form.
func (u *URI) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with Parse.
func (u *URI) UnmarshalText(text []byte) error {
	v, err := Parse(string(text))
	if err != nil {
		return err
	}
	*u = *v
	return nil
}

func (u *URI) format(iri bool) string {
	var b strings.Builder
	b.WriteString("xmpp:")
	if !u.Auth.IsZero() {
		b.WriteString("//")
		writeAddr(&b, u.Auth.Bare(), iri)
		if !u.JID.IsZero() {
			b.WriteByte('/')
		}
	}
	writeAddr(&b, u.JID, iri)
	if u.Action != "" || len(u.Params) > 0 {
		b.WriteByte('?')
		escape(&b, u.Action, classQuery, iri)
		for _, p := range u.Params {
			b.WriteByte(';')
			escape(&b, p.Key, classQuery, iri)
			b.WriteByte('=')
			escape(&b, p.Value, classQuery, iri)
		}
	}
	if u.Fragment != "" {
		b.WriteByte('#')
		escape(&b, u.Fragment, classFragment, iri)
	}
	return b.String()
}

func writeAddr(b *strings.Builder, j xmpp.JID, iri bool) {
	if j.IsZero() {
		return
	}
	if l := j.Local(); l != "" {
		escape(b, l, classNode, iri)
		b.WriteByte('@')
	}
	escape(b, j.Domain(), classHost, iri)
	if r := j.Resource(); r != "" {
		b.WriteByte('/')
		escape(b, r, classResource, iri)
	}
}

// escape writes s, percent-encoding (with upper-case hex digits, RFC 3986
// §2.1) every octet that the class does not allow, and, unless iri, every
// octet outside US-ASCII.
func escape(b *strings.Builder, s string, class uint8, iri bool) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if asciiClass[c]&class != 0 {
				b.WriteByte(c)
			} else {
				b.WriteByte('%')
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&15])
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if iri && isUCS(r) {
			b.WriteString(s[i : i+n])
		} else {
			for _, c := range []byte(s[i : i+n]) {
				b.WriteByte('%')
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&15])
			}
		}
		i += n
	}
}
