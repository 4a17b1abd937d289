package xmpp

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// maxPart is the maximum length in bytes of each part of a JID after
// preparation and enforcement (RFC 7622 §3.1).
const maxPart = 1023

// maxDomain and maxLabel are the DNS limits on a domain name and on one of
// its labels, in octets of the A-label (ASCII) form (RFC 1035 §2.3.4), which
// RFC 7622 §3.2 says naturally apply to a domainpart.
const (
	maxDomain = 253
	maxLabel  = 63
)

// Names of the three parts of a JID, as reported in JIDError.Part.
const (
	partLocal    = "localpart"
	partDomain   = "domainpart"
	partResource = "resourcepart"
)

// JID is an XMPP address (RFC 7622): [localpart@]domainpart[/resourcepart].
//
// A JID is an immutable, comparable value. Every JID returned by this
// package is in canonical form (its parts have gone through the
// preparation and enforcement of RFC 7622 §3.2–§3.4), so two JIDs are the
// same address exactly when they are == (RFC 7622 §3.2.3, §3.3.3, §3.4.3),
// and a JID may be used as a map key. The zero value is the empty JID, which
// is not a valid address but stands for "no address", for example an
// absent to or from attribute.
type JID struct {
	s    string // the canonical string form
	lend uint16 // length of the localpart, 0 if none
	dend uint16 // end of the domainpart in s
}

// JIDError describes why a string is not a valid JID, or one of its parts
// not a valid part. It matches ErrInvalidJID under errors.Is, and Err, if
// not nil, is also in its chain.
type JIDError struct {
	// Part is the part that was rejected: "localpart", "domainpart" or
	// "resourcepart".
	Part string
	// Input is the rejected part as it was given, before preparation.
	Input string
	// Err is the reason, e.g. an error from the PRECIS (RFC 8264) or IDNA
	// (RFC 5891) machinery.
	Err error
}

func (e *JIDError) Error() string {
	in := e.Input
	if len(in) > 64 {
		in = in[:64] + "…"
	}
	if e.Err == nil {
		return fmt.Sprintf("%v: %s %q", ErrInvalidJID, e.Part, in)
	}
	return fmt.Sprintf("%v: %s %q: %v", ErrInvalidJID, e.Part, in, e.Err)
}

// Unwrap returns ErrInvalidJID and Err.
func (e *JIDError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrInvalidJID}
	}
	return []error{ErrInvalidJID, e.Err}
}

var (
	errEmpty       = errors.New("empty")
	errTooLong     = fmt.Errorf("longer than %d bytes", maxPart)
	errUTF8        = errors.New("invalid UTF-8")
	errUnstable    = errors.New("preparation is not idempotent")
	errNumericTLD  = errors.New("all-numeric top-level label in a name that is not an IPv4 address")
	errIPv6Bracket = errors.New("IPv6 address not enclosed in brackets")
	errIPLiteral   = errors.New("invalid IP literal")
	errEmptyLabel  = errors.New("empty label")
)

// ParseJID parses s as an XMPP address and returns it in canonical form.
//
// s is split as RFC 7622 §3.1 says: the resourcepart is whatever follows
// the first '/', and the localpart whatever precedes the first '@' before
// that '/', so "a@b/c@d" has the resourcepart "c@d". An empty localpart or
// resourcepart after its separator is an error. Then each part is prepared
// and enforced:
//
//   - the localpart with the PRECIS UsernameCaseMapped profile (RFC 8265
//     §3.3), which lowercases it, and without the characters " & ' / : < > @
//     that RFC 7622 §3.3.1 prohibits;
//   - the domainpart (RFC 7622 §3.2) by removing one trailing dot, then as
//     a dotted-decimal IPv4 address, an IPv6 address in brackets (in the
//     canonical text form of RFC 5952, without a zone), or an
//     internationalized domain name: width-folded, lowercased and
//     NFC-normalised with U+3002 and its variants read as dots (RFC 5895
//     §2), checked against IDNA2008 (RFC 5891 §4, RFC 5892) and the DNS
//     limits of 63 octets a label and 253 in all in A-label form, with every
//     A-label ("xn--…") converted to its U-label as §3.2.1 requires. A name
//     whose last label is all digits but is not an IPv4 address is rejected
//     (RFC 3696 §2);
//   - the resourcepart with the PRECIS OpaqueString profile (RFC 8265 §4.2),
//     which preserves case.
//
// Each part must be 1 to 1023 bytes long after preparation.
//
// Already canonical ASCII input, which is what servers send, is accepted
// without allocating, and the returned JID's String is s itself.
//
// Every error is a *JIDError and matches ErrInvalidJID.
func ParseJID(s string) (JID, error) {
	if j, ok := parseFast(s); ok {
		return j, nil
	}
	return parseSlow(s)
}

// parseSlow is ParseJID without the fast path.
func parseSlow(s string) (JID, error) {
	rest, res, hasRes := strings.Cut(s, "/")
	loc, dom, hasLoc := strings.Cut(rest, "@")
	if !hasLoc {
		loc, dom = "", rest
	}
	return build(loc, dom, res, hasLoc, hasRes)
}

// MustParseJID is like ParseJID but panics if s is not a valid JID. It is
// meant for constants in programs and tests, never for input from the
// network.
func MustParseJID(s string) JID {
	j, err := ParseJID(s)
	if err != nil {
		panic(err)
	}
	return j
}

// NewJID returns the JID made of the given parts, each prepared and enforced
// as in ParseJID. An empty local or resource means the JID has no such
// part; the domain is required. Because the parts are not split, local and
// domain must not contain '@' or '/', but resource may.
//
// Every error is a *JIDError and matches ErrInvalidJID.
func NewJID(local, domain, resource string) (JID, error) {
	return build(local, domain, resource, local != "", resource != "")
}

// WithResource returns j with its resourcepart replaced by resource,
// prepared with the OpaqueString profile (RFC 7622 §3.4). An empty resource
// returns j.Bare().
func (j JID) WithResource(resource string) (JID, error) {
	b := j.Bare()
	if resource == "" {
		return b, nil
	}
	if b.IsZero() {
		return JID{}, &JIDError{Part: partDomain, Err: errEmpty}
	}
	r, err := prepResource(resource)
	if err != nil {
		return JID{}, &JIDError{Part: partResource, Input: resource, Err: err}
	}
	return JID{s: b.s + "/" + r, lend: b.lend, dend: b.dend}, nil
}

// build prepares the parts and assembles the canonical JID.
func build(loc, dom, res string, hasLoc, hasRes bool) (JID, error) {
	var err error
	if hasLoc {
		in := loc
		if loc, err = prepLocal(loc); err != nil {
			return JID{}, &JIDError{Part: partLocal, Input: in, Err: err}
		}
	}
	in := dom
	if dom, err = prepDomain(dom); err != nil {
		return JID{}, &JIDError{Part: partDomain, Input: in, Err: err}
	}
	if hasRes {
		in := res
		if res, err = prepResource(res); err != nil {
			return JID{}, &JIDError{Part: partResource, Input: in, Err: err}
		}
	}
	var b strings.Builder
	b.Grow(len(loc) + 1 + len(dom) + 1 + len(res))
	if hasLoc {
		b.WriteString(loc)
		b.WriteByte('@')
	}
	b.WriteString(dom)
	dend := b.Len()
	if hasRes {
		b.WriteByte('/')
		b.WriteString(res)
	}
	return JID{s: b.String(), lend: uint16(len(loc)), dend: uint16(dend)}, nil
}

// stable runs prep and then checks that its output is a fixed point, so
// that ParseJID(j.String()) == j holds for every JID built from it.
func stable(s string, prep func(string) (string, error)) (string, error) {
	if s == "" {
		return "", errEmpty
	}
	if !utf8.ValidString(s) {
		return "", errUTF8
	}
	out, err := prep(s)
	if err != nil {
		return "", err
	}
	if out == "" {
		return "", errEmpty
	}
	if len(out) > maxPart {
		return "", errTooLong
	}
	if again, err := prep(out); err != nil || again != out {
		return "", errUnstable
	}
	return out, nil
}

// prepLocal enforces the localpart rules of RFC 7622 §3.3.
func prepLocal(s string) (string, error) { return stable(s, enforceLocal) }

func enforceLocal(s string) (string, error) {
	out, err := precis.UsernameCaseMapped.String(s)
	if err != nil {
		return "", err
	}
	if i := strings.IndexAny(out, `"&'/:<>@`); i >= 0 {
		return "", fmt.Errorf("prohibited character %q (RFC 7622 §3.3.1)", out[i])
	}
	return out, nil
}

// prepResource enforces the resourcepart rules of RFC 7622 §3.4.
func prepResource(s string) (string, error) {
	return stable(s, precis.OpaqueString.String)
}

// prepDomain enforces the domainpart rules of RFC 7622 §3.2.
func prepDomain(s string) (string, error) {
	// §3.2: the one final label separator is stripped before any other
	// canonicalisation step.
	s = strings.TrimSuffix(s, ".")
	return stable(s, enforceDomain)
}

// idnaProfile checks IDNA2008 validity for registration (RFC 5891 §4):
// no mapping is done by it, STD3 ASCII rules, hyphen, joiner and Bidi rules
// (RFC 5893), and DNS lengths on the A-label form.
var idnaProfile = idna.New(idna.ValidateForRegistration())

// dotMapper maps the ideographic full stops that RFC 5895 §2 step 5 treats
// as label separators to '.'.
var dotMapper = strings.NewReplacer("\u3002", ".", "\uff0e", ".", "\uff61", ".")

func enforceDomain(s string) (string, error) {
	if s[0] == '[' {
		if s[len(s)-1] != ']' {
			return "", errIPLiteral
		}
		a, err := netip.ParseAddr(s[1 : len(s)-1])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", errIPLiteral
		}
		return "[" + a.String() + "]", nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		if !a.Is4() {
			return "", errIPv6Bracket
		}
		return a.String(), nil
	}
	// The mappings of RFC 5892 and RFC 5895 §2, as RFC 7622 §3.2.2 asks:
	// width folding, lowercasing, NFC, then label separators.
	s = width.Fold.String(s)
	// Σ maps to σ wherever it is, as in the localpart (RFC 8265 §3.3.2)
	// and UTS #46; a Caser is not safe for concurrent use.
	s = cases.Lower(language.Und, cases.HandleFinalSigma(false)).String(s)
	s = norm.NFC.String(s)
	s = dotMapper.Replace(s)
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return "", errEmptyLabel
	}
	a, err := idnaProfile.ToASCII(s)
	if err != nil {
		return "", err
	}
	u, err := idnaProfile.ToUnicode(a)
	if err != nil {
		return "", err
	}
	// x/net/idna accepts the code points UTS #46 marks NV8 (valid there
	// but not in IDNA2008), such as symbols. The PRECIS IdentifierClass
	// is derived from the same properties as IDNA2008 (RFC 8264 §9,
	// RFC 5892 §2), so it rejects them.
	if !isASCII(u) {
		v, err := idna2008.String(u)
		if err == nil && v != u {
			err = errUnstable
		}
		if err != nil {
			return "", fmt.Errorf("not valid in IDNA2008 (RFC 5892): %w", err)
		}
	}
	last := u[strings.LastIndexByte(u, '.')+1:]
	if allDigits(last) {
		return "", errNumericTLD
	}
	return u, nil
}

// idna2008 rejects the code points that RFC 5892 disallows and x/net/idna
// lets through; see enforceDomain.
var idna2008 = precis.NewIdentifier()

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Byte classes for the fast path: an ASCII byte is in a class when the
// part's preparation maps it to itself and accepts it.
const (
	// cLocal: UsernameCaseMapped accepts 0x21–0x7E (ASCII7, RFC 8264 §9.11)
	// and lowercases A–Z; RFC 7622 §3.3.1 prohibits " & ' / : < > @.
	cLocal = 1 << iota
	// cResource: OpaqueString accepts 0x21–0x7E and the space (RFC 8264
	// §9.11, §9.14) and maps neither.
	cResource
	// cLDH: the letters, digits and hyphen of an NR-LDH label (RFC 5890
	// §2.3.1), lowercase only.
	cLDH
)

var byteClass = func() (t [256]uint8) {
	for c := 0x20; c <= 0x7e; c++ {
		t[c] |= cResource
		if c != ' ' && !strings.ContainsRune(`"&'/:<>@`, rune(c)) && (c < 'A' || c > 'Z') {
			t[c] |= cLocal
		}
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' {
			t[c] |= cLDH
		}
	}
	return t
}()

// parseFast accepts s when it is a JID already in canonical form that can be
// seen to be so without any Unicode machinery, and returns it without
// allocating. When it returns false, s may still be valid: the slow path
// decides.
func parseFast(s string) (JID, bool) {
	at, slash := -1, len(s)
	// ldh collects the classes of the bytes since the '@' (or the start),
	// with '.' counted as LDH: the domainpart's when the loop ends.
	ldh := uint8(cLDH)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '/' {
			slash = i
			break
		}
		cl := byteClass[c]
		ldh &= cl | dotLDH[c]
		if cl&cLocal == 0 {
			switch {
			case c == '@' && at < 0:
				at, ldh = i, cLDH
			case c == '.' || c == '[' || c == ']' || c == ':':
				// Allowed in a domainpart; checked below.
			default:
				return JID{}, false
			}
		}
	}
	if at == 0 || at > maxPart {
		return JID{}, false
	}
	if slash < len(s) {
		res := s[slash+1:]
		if res == "" || len(res) > maxPart {
			return JID{}, false
		}
		for i := 0; i < len(res); i++ {
			if byteClass[res[i]]&cResource == 0 {
				return JID{}, false
			}
		}
	}
	if d := s[at+1 : slash]; ldh == 0 && !fastDomain(d) || ldh != 0 && !fastLDHDomain(d) {
		return JID{}, false
	}
	// The localpart bytes were checked by the loop above, but it let
	// '.', '[', ']' and ':' through; only ':' is prohibited there.
	if at > 0 && strings.IndexByte(s[:at], ':') >= 0 {
		return JID{}, false
	}
	return JID{s: s, lend: uint16(max(at, 0)), dend: uint16(slash)}, true
}

// dotLDH gives '.' the class cLDH, for parseFast.
var dotLDH = [256]uint8{'.': cLDH}

// fastLDHDomain is fastDomain for a d made only of LDH bytes and dots,
// label by label instead of byte by byte.
func fastLDHDomain(d string) bool {
	if d == "" || len(d) > maxDomain {
		return false
	}
	dom, l := d, d
	for {
		k := strings.IndexByte(d, '.')
		if k < 0 {
			l = d
		} else {
			l = d[:k]
		}
		if l == "" || len(l) > maxLabel || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		// "xn--" A-labels must become U-labels; other R-LDH labels are
		// invalid. Either way the slow path handles them.
		if len(l) >= 4 && l[2] == '-' && l[3] == '-' {
			return false
		}
		if k < 0 {
			break
		}
		d = d[k+1:]
	}
	if allDigits(l) {
		// An IPv4 address, or an error for the slow path.
		return fastDomain(dom)
	}
	return true
}

// fastDomain reports whether d is a canonical domainpart made of NR-LDH
// labels, a canonical IPv4 address or a canonical IPv6 address in brackets.
func fastDomain(d string) bool {
	if d == "" || len(d) > maxDomain {
		return false
	}
	if d[0] == '[' {
		if len(d) < 2 || d[len(d)-1] != ']' {
			return false
		}
		a, err := netip.ParseAddr(d[1 : len(d)-1])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return false
		}
		var buf [64]byte
		return string(a.AppendTo(buf[:0])) == d[1:len(d)-1]
	}
	start, digits := 0, true
	for i := 0; i <= len(d); i++ {
		if i < len(d) && d[i] != '.' {
			c := d[i]
			if byteClass[c]&cLDH == 0 {
				return false
			}
			digits = digits && c >= '0' && c <= '9'
			continue
		}
		l := d[start:i]
		if l == "" || len(l) > maxLabel || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		// "xn--" A-labels must become U-labels; other R-LDH labels are
		// invalid. Either way the slow path handles them.
		if len(l) >= 4 && l[2] == '-' && l[3] == '-' {
			return false
		}
		if i < len(d) {
			start, digits = i+1, true
		}
	}
	if digits {
		// A canonical IPv4 address (ParseAddr rejects leading zeros), or
		// else an error for the slow path to report.
		a, err := netip.ParseAddr(d)
		return err == nil && a.Is4()
	}
	return true
}

// Local returns the localpart of j (RFC 7622 §3.3), or "" if it has none.
func (j JID) Local() string { return j.s[:j.lend] }

// Domain returns the domainpart of j (RFC 7622 §3.2).
func (j JID) Domain() string {
	if j.lend == 0 {
		return j.s[:j.dend]
	}
	return j.s[j.lend+1 : j.dend]
}

// Resource returns the resourcepart of j (RFC 7622 §3.4), or "" if it has
// none.
func (j JID) Resource() string {
	if int(j.dend) >= len(j.s) {
		return ""
	}
	return j.s[j.dend+1:]
}

// Bare returns j without its resourcepart: the "bare JID" of RFC 7622 §3.1,
// which shares j's storage.
func (j JID) Bare() JID { return JID{s: j.s[:j.dend], lend: j.lend, dend: j.dend} }

// String returns j in its canonical string form, "" for the zero JID.
func (j JID) String() string { return j.s }

// IsZero reports whether j is the zero (empty) JID.
func (j JID) IsZero() bool { return j.s == "" }

// MarshalText implements encoding.TextMarshaler. The zero JID is empty
// text.
func (j JID) MarshalText() ([]byte, error) { return []byte(j.s), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseJID, except
// that empty text is the zero JID.
func (j *JID) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*j = JID{}
		return nil
	}
	v, err := ParseJID(string(text))
	if err != nil {
		return err
	}
	*j = v
	return nil
}

// MarshalXMLAttr implements xml.MarshalerAttr; the zero JID is no
// attribute at all.
func (j JID) MarshalXMLAttr(name xml.Name) (xml.Attr, error) {
	if j.IsZero() {
		return xml.Attr{}, nil
	}
	return xml.Attr{Name: name, Value: j.s}, nil
}

// UnmarshalXMLAttr implements xml.UnmarshalerAttr as UnmarshalText does.
func (j *JID) UnmarshalXMLAttr(attr xml.Attr) error {
	return j.UnmarshalText([]byte(attr.Value))
}
