package upload

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gojabber/xmpp"
)

// NS is the namespace of XEP-0363 version 1.1, also the service discovery
// feature of an upload service and the FORM_TYPE of its XEP-0128 form.
const NS = "urn:xmpp:http:upload:0"

// MaxURLLength bounds the PUT and GET URLs of a slot, in bytes. The XEP sets
// no limit; 8 KiB is far beyond what upload services hand out.
const MaxURLLength = 8 << 10

// maxHeaderLength bounds one header value of a slot.
const maxHeaderLength = 8 << 10

// File describes a file to upload: its name (without any directory), its
// exact size in bytes, and its media type. An empty ContentType is sent as
// "application/octet-stream".
type File struct {
	Name        string
	Size        int64
	ContentType string
}

func (f File) contentType() string {
	if f.ContentType == "" {
		return "application/octet-stream"
	}
	return f.ContentType
}

// Slot is what an upload service grants (XEP-0363 §4): the URL to PUT the
// file to, with the headers to send along, and the URL to GET it from
// afterwards, the one to share.
type Slot struct {
	PutURL string
	GetURL string
	// Header holds the <header/> elements of the slot that §4 allows,
	// Authorization, Cookie and Expires, with newlines removed from their
	// values; every other header the service names is dropped, as §4
	// requires.
	Header http.Header
}

// allowedHeaders are the only headers §4 lets a slot set on the PUT.
var allowedHeaders = map[string]bool{"Authorization": true, "Cookie": true, "Expires": true}

// requestElement returns the <request/> of a slot request (§4).
func requestElement(f File) (xmpp.Element, error) {
	if f.Name == "" || strings.ContainsAny(f.Name, "/\\") {
		return xmpp.Element{}, fmt.Errorf("%w: %q (want a file name without a directory)", ErrBadFileName, f.Name)
	}
	if f.Size < 0 {
		return xmpp.Element{}, fmt.Errorf("upload: negative file size %d", f.Size)
	}
	return xmpp.MarshalElement(struct {
		XMLName     xml.Name `xml:"urn:xmpp:http:upload:0 request"`
		Filename    string   `xml:"filename,attr"`
		Size        int64    `xml:"size,attr"`
		ContentType string   `xml:"content-type,attr"`
	}{Filename: f.Name, Size: f.Size, ContentType: f.contentType()})
}

func malformed(raw, reason string, err error) *xmpp.MalformedError {
	return &xmpp.MalformedError{Spec: "XEP-0363", Reason: reason, Raw: raw, Err: err}
}

// checkURL reports why u is not a usable slot URL: empty, too long, not an
// absolute http or https URL, or one with user information.
func checkURL(u string) (string, error) {
	switch {
	case u == "":
		return "empty url", nil
	case len(u) > MaxURLLength:
		return fmt.Sprintf("url of %d bytes, more than %d", len(u), MaxURLLength), nil
	}
	p, err := url.Parse(u)
	if err != nil {
		return "url does not parse", err
	}
	if (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return fmt.Sprintf("url %q is not an absolute http(s) URL", u), nil
	}
	if p.User != nil {
		return fmt.Sprintf("url %q holds user information", u), nil
	}
	return "", nil
}

// ParseSlot reads the <slot/> of a slot request's result (XEP-0363 §4).
// Another element, a missing <put/> or <get/>, or a URL that is empty,
// longer than MaxURLLength or not an absolute http(s) URL is an
// *xmpp.MalformedError. Headers other than Authorization, Cookie and
// Expires are dropped; newlines are removed from the values of those kept.
func ParseSlot(el xmpp.Element) (*Slot, error) {
	if el.Name.Space != NS || el.Name.Local != "slot" {
		if el.IsZero() {
			return nil, malformed("", "result without <slot/>", nil)
		}
		return nil, malformed(el.Raw, fmt.Sprintf("result payload <%s xmlns='%s'>, want <slot xmlns='%s'/>", el.Name.Local, el.Name.Space, NS), nil)
	}
	put, okPut := el.Child(NS, "put")
	get, okGet := el.Child(NS, "get")
	if !okPut || !okGet {
		return nil, malformed(el.Raw, "<slot/> without <put/> or <get/>", nil)
	}
	s := &Slot{PutURL: put.Attr("url"), GetURL: get.Attr("url"), Header: http.Header{}}
	for what, u := range map[string]string{"put": s.PutURL, "get": s.GetURL} {
		if reason, err := checkURL(u); reason != "" {
			return nil, malformed(el.Raw, "<"+what+"/>: "+reason, err)
		}
	}
	for h := range put.Children() {
		if h.Name.Space != NS || h.Name.Local != "header" {
			continue
		}
		name := http.CanonicalHeaderKey(strings.TrimSpace(h.Attr("name")))
		if !allowedHeaders[name] {
			continue
		}
		v := strings.Map(func(r rune) rune {
			if r == '\n' || r == '\r' {
				return -1
			}
			return r
		}, h.Text())
		v = strings.TrimSpace(v)
		if len(v) > maxHeaderLength || !validHeaderValue(v) {
			return nil, malformed(el.Raw, fmt.Sprintf("<header name='%s'/> value is not a valid HTTP header value", name), nil)
		}
		s.Header.Add(name, v)
	}
	return s, nil
}

// validHeaderValue reports whether v may be an HTTP field value (RFC 9110
// §5.5): no control characters other than horizontal tab.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// fileTooLarge returns the service's limit from the <file-too-large/>
// application condition of a slot request's error (§4), if there is one.
// A limit that is missing or not a number is returned as 0 with true.
func fileTooLarge(se *xmpp.StanzaError) (int64, bool) {
	for _, ext := range se.Extensions {
		if ext.Name.Space != NS || ext.Name.Local != "file-too-large" {
			continue
		}
		var max int64
		if m, ok := ext.Child(NS, "max-file-size"); ok {
			if n, err := strconv.ParseInt(strings.TrimSpace(m.Text()), 10, 64); err == nil && n >= 0 {
				max = n
			}
		}
		return max, true
	}
	return 0, false
}

// retryAfter returns the stamp of the <retry/> application condition of a
// quota error (§4), or "".
func retryAfter(se *xmpp.StanzaError) string {
	for _, ext := range se.Extensions {
		if ext.Name.Space == NS && ext.Name.Local == "retry" {
			return ext.Attr("stamp")
		}
	}
	return ""
}
