package oob

import (
	"encoding/xml"
	"fmt"
	"net/url"

	"github.com/gojabber/xmpp"
)

// NS is the namespace of the message form of XEP-0066 (§3).
const NS = "jabber:x:oob"

// MaxURLLength bounds the URLs Parse accepts, in bytes, so that a peer
// cannot make the receiver keep an unbounded string as a link. The XEP
// sets no limit; 8 KiB is far beyond what upload services hand out.
const MaxURLLength = 8 << 10

// Link is an out-of-band link: a URL and an optional description of what
// it points at (XEP-0066 §3).
type Link struct {
	URL  string
	Desc string
}

type xXML struct {
	XMLName xml.Name `xml:"jabber:x:oob x"`
	URL     string   `xml:"url"`
	Desc    string   `xml:"desc,omitempty"`
}

func malformed(raw, reason string, err error) *xmpp.MalformedError {
	return &xmpp.MalformedError{Spec: "XEP-0066", Reason: reason, Raw: raw, Err: err}
}

// checkURL reports why u is not a usable link: empty, too long, or not an
// absolute URL with a scheme and a host.
func checkURL(u string) (string, error) {
	switch {
	case u == "":
		return "<x xmlns='jabber:x:oob'/> without <url/>", nil
	case len(u) > MaxURLLength:
		return fmt.Sprintf("url of %d bytes, more than %d", len(u), MaxURLLength), nil
	}
	p, err := url.Parse(u)
	if err != nil {
		return "url does not parse", err
	}
	if p.Scheme == "" || p.Host == "" {
		return fmt.Sprintf("url %q is not absolute", u), nil
	}
	return "", nil
}

// Element returns l as an <x xmlns='jabber:x:oob'/> element for a message's
// Extensions. A URL that Parse would reject is an *xmpp.MalformedError.
func (l Link) Element() (xmpp.Element, error) {
	if reason, err := checkURL(l.URL); reason != "" {
		return xmpp.Element{}, malformed("", reason, err)
	}
	return xmpp.MarshalElement(xXML{URL: l.URL, Desc: l.Desc})
}

// Parse reads an <x xmlns='jabber:x:oob'/> element. Another element, or one
// whose <url/> is missing, empty, longer than MaxURLLength or not an
// absolute URL, is an *xmpp.MalformedError. Surrounding white space in the
// url and desc is dropped.
func Parse(el xmpp.Element) (Link, error) {
	if el.Name.Space != NS || el.Name.Local != "x" {
		return Link{}, malformed(el.Raw, fmt.Sprintf("<%s xmlns='%s'> is not <x xmlns='jabber:x:oob'/>", el.Name.Local, el.Name.Space), nil)
	}
	var l Link
	if u, ok := el.Child(NS, "url"); ok {
		l.URL = trim(u.Text())
	}
	if d, ok := el.Child(NS, "desc"); ok {
		l.Desc = trim(d.Text())
	}
	if reason, err := checkURL(l.URL); reason != "" {
		return Link{}, malformed(el.Raw, reason, err)
	}
	return l, nil
}

func trim(s string) string {
	// Only XML white space (XML 1.0 §2.3): a URL holds none of it.
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// From returns the first valid out-of-band link of m, if it has one.
// Invalid <x xmlns='jabber:x:oob'/> elements are skipped.
func From(m *xmpp.Message) (Link, bool) {
	for _, el := range m.Extensions {
		if el.Name.Space == NS && el.Name.Local == "x" {
			if l, err := Parse(el); err == nil {
				return l, true
			}
		}
	}
	return Link{}, false
}

// All returns every valid out-of-band link of m, in document order.
func All(m *xmpp.Message) []Link {
	var ls []Link
	for _, el := range m.Extensions {
		if el.Name.Space == NS && el.Name.Local == "x" {
			if l, err := Parse(el); err == nil {
				ls = append(ls, l)
			}
		}
	}
	return ls
}

// Has reports whether m carries a valid out-of-band link.
func Has(m *xmpp.Message) bool {
	_, ok := From(m)
	return ok
}

// Add adds l to m's extensions, after any link m already has; an invalid
// URL is an *xmpp.MalformedError and leaves m unchanged. The body is the
// caller's: for a file that clients should show inline, set it to l.URL
// (the convention of clients that show files inline).
func Add(m *xmpp.Message, l Link) error {
	el, err := l.Element()
	if err != nil {
		return err
	}
	m.Extensions = append(m.Extensions, el)
	return nil
}

// Inline reports whether m is a file message of the convention of
// XEP-0363 clients: it carries a link whose URL is also its whole body, which
// clients may display inline instead of the body text.
func Inline(m *xmpp.Message) (Link, bool) {
	for _, l := range All(m) {
		if l.URL == trim(m.Body) {
			return l, true
		}
	}
	return Link{}, false
}
