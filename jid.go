package xmpp

import (
	"fmt"
	"strings"
)

// STUB: a minimal non-validating JID so other parts can be tested; replaced by
// the RFC 7622 implementation (owner: jid helper). Keep the method set.

// JID is an XMPP address (RFC 7622): [localpart@]domainpart[/resourcepart].
// It is a comparable value; the zero value is the empty JID.
type JID struct{ s string }

func ParseJID(s string) (JID, error) {
	if s == "" || strings.HasPrefix(s, "@") || strings.HasPrefix(s, "/") {
		return JID{}, fmt.Errorf("%w: %q", ErrInvalidJID, s)
	}
	return JID{s: s}, nil
}

func MustParseJID(s string) JID {
	j, err := ParseJID(s)
	if err != nil {
		panic(err)
	}
	return j
}

func NewJID(local, domain, resource string) (JID, error) {
	s := domain
	if local != "" {
		s = local + "@" + s
	}
	if resource != "" {
		s += "/" + resource
	}
	return ParseJID(s)
}

func (j JID) split() (l, d, r string) {
	s := j.s
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s, r = s[:i], s[i+1:]
	}
	if i := strings.IndexByte(s, '@'); i >= 0 {
		l, s = s[:i], s[i+1:]
	}
	return l, s, r
}

func (j JID) Local() string    { l, _, _ := j.split(); return l }
func (j JID) Domain() string   { _, d, _ := j.split(); return d }
func (j JID) Resource() string { _, _, r := j.split(); return r }
func (j JID) Bare() JID {
	if i := strings.IndexByte(j.s, '/'); i >= 0 {
		return JID{s: j.s[:i]}
	}
	return j
}
func (j JID) String() string   { return j.s }
func (j JID) IsZero() bool     { return j.s == "" }
func (j JID) Equal(o JID) bool { return j == o }
