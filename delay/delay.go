package delay

import (
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"github.com/gojabber/xmpp"
)

// NS is the namespace of XEP-0203.
const NS = "urn:xmpp:delay"

// Delay is a <delay/> element.
type Delay struct {
	// Stamp is when the stanza was originally sent. Required.
	Stamp time.Time
	// From is the entity that delayed the stanza; zero if absent.
	From xmpp.JID
	// Reason is the element's text; empty if absent.
	Reason string
}

type delayXML struct {
	XMLName xml.Name `xml:"urn:xmpp:delay delay"`
	From    string   `xml:"from,attr,omitempty"`
	Stamp   string   `xml:"stamp,attr"`
	Reason  string   `xml:",chardata"`
}

// FormatStamp formats t as an XEP-0082 DateTime in UTC, with fractional
// seconds only when t has them: 2002-09-10T23:08:25Z.
func FormatStamp(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

// ParseStamp parses an XEP-0082 DateTime, CCYY-MM-DDThh:mm:ss[.sss]TZD,
// where TZD is Z or ±hh:mm. The result keeps the offset it was given. A
// string that is not such a DateTime is an *xmpp.MalformedError for
// XEP-0082.
func ParseStamp(s string) (time.Time, error) {
	// time.Parse accepts a lower-case t and z; XEP-0082 does not.
	if len(s) < 20 || s[10] != 'T' || strings.ContainsAny(s, "tz") {
		return time.Time{}, &xmpp.MalformedError{Spec: "XEP-0082", Reason: fmt.Sprintf("stamp %q is not a DateTime", s)}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, &xmpp.MalformedError{Spec: "XEP-0082", Reason: fmt.Sprintf("stamp %q", s), Err: err}
	}
	return t, nil
}

// malformed returns the error for an element raw ("" for one being built)
// that breaks XEP-0203.
func malformed(raw string, err error, format string, args ...any) *xmpp.MalformedError {
	return &xmpp.MalformedError{Spec: "XEP-0203", Reason: fmt.Sprintf(format, args...), Raw: raw, Err: err}
}

// Element returns d as an element. A zero Stamp is an *xmpp.MalformedError.
func (d Delay) Element() (xmpp.Element, error) {
	if d.Stamp.IsZero() {
		return xmpp.Element{}, malformed("", nil, "<delay/> needs a stamp")
	}
	return xmpp.MarshalElement(delayXML{From: d.From.String(), Stamp: FormatStamp(d.Stamp), Reason: d.Reason})
}

// Parse reads a <delay/> element: another element, a missing or unparsable
// stamp, or an unparsable from, is an *xmpp.MalformedError for XEP-0203
// (wrapping the XEP-0082 one of a bad stamp).
func Parse(el xmpp.Element) (Delay, error) {
	if el.Name.Space != NS || el.Name.Local != "delay" {
		return Delay{}, malformed(el.Raw, nil, "<%s xmlns='%s'> is not <delay/>", el.Name.Local, el.Name.Space)
	}
	stamp, err := ParseStamp(el.Attr("stamp"))
	if err != nil {
		return Delay{}, malformed(el.Raw, err, "stamp")
	}
	d := Delay{Stamp: stamp, Reason: el.Text()}
	if f := el.Attr("from"); f != "" {
		if d.From, err = xmpp.ParseJID(f); err != nil {
			return Delay{}, malformed(el.Raw, err, "from %q", f)
		}
	}
	return d, nil
}

// From returns the first valid <delay/> among m's extensions.
func From(m *xmpp.Message) (Delay, bool) {
	return FromElements(m.Extensions)
}

// FromElements returns the first valid <delay/> among els, for presences
// and forwarded stanzas.
func FromElements(els []xmpp.Element) (Delay, bool) {
	for _, el := range els {
		if el.Name.Space == NS && el.Name.Local == "delay" {
			if d, err := Parse(el); err == nil {
				return d, true
			}
		}
	}
	return Delay{}, false
}
