package sid

import (
	"crypto/rand"
	"encoding/xml"
	"fmt"

	"github.com/gojabber/xmpp"
)

// NS is the namespace of XEP-0359, also its service discovery feature.
const NS = "urn:xmpp:sid:0"

// malformed returns the error for an element raw ("" for one being built)
// that breaks XEP-0359.
func malformed(raw string, err error, format string, args ...any) *xmpp.MalformedError {
	return &xmpp.MalformedError{Spec: "XEP-0359", Reason: fmt.Sprintf(format, args...), Raw: raw, Err: err}
}

// StanzaID is a <stanza-id/> element: the unique ID that the entity By gave
// the stanza.
type StanzaID struct {
	ID string
	By xmpp.JID
}

// OriginID is an <origin-id/> element: the unique ID the sender gave the
// stanza.
type OriginID struct {
	ID string
}

type stanzaIDXML struct {
	XMLName xml.Name `xml:"urn:xmpp:sid:0 stanza-id"`
	ID      string   `xml:"id,attr"`
	By      string   `xml:"by,attr"`
}

type originIDXML struct {
	XMLName xml.Name `xml:"urn:xmpp:sid:0 origin-id"`
	ID      string   `xml:"id,attr"`
}

// Element returns s as an element. The id and by are required: without
// them Element returns an *xmpp.MalformedError.
func (s StanzaID) Element() (xmpp.Element, error) {
	if s.ID == "" || s.By.IsZero() {
		return xmpp.Element{}, malformed("", nil, "<stanza-id/> needs id and by")
	}
	return xmpp.MarshalElement(stanzaIDXML{ID: s.ID, By: s.By.String()})
}

// Element returns o as an element. The id is required: without it Element
// returns an *xmpp.MalformedError.
func (o OriginID) Element() (xmpp.Element, error) {
	if o.ID == "" {
		return xmpp.Element{}, malformed("", nil, "<origin-id/> needs an id")
	}
	return xmpp.MarshalElement(originIDXML{ID: o.ID})
}

// Parse reads a <stanza-id/> element; another element, a missing id or a
// missing or unparsable by is an *xmpp.MalformedError.
func Parse(el xmpp.Element) (StanzaID, error) {
	if el.Name.Space != NS || el.Name.Local != "stanza-id" {
		return StanzaID{}, malformed(el.Raw, nil, "<%s xmlns='%s'> is not <stanza-id/>", el.Name.Local, el.Name.Space)
	}
	id, by := el.Attr("id"), el.Attr("by")
	if id == "" || by == "" {
		return StanzaID{}, malformed(el.Raw, nil, "<stanza-id/> without id or by")
	}
	j, err := xmpp.ParseJID(by)
	if err != nil {
		return StanzaID{}, malformed(el.Raw, err, "by %q", by)
	}
	return StanzaID{ID: id, By: j}, nil
}

// ParseOrigin reads an <origin-id/> element; another element, or one
// without an id, is an *xmpp.MalformedError.
func ParseOrigin(el xmpp.Element) (OriginID, error) {
	if el.Name.Space != NS || el.Name.Local != "origin-id" {
		return OriginID{}, malformed(el.Raw, nil, "<%s xmlns='%s'> is not <origin-id/>", el.Name.Local, el.Name.Space)
	}
	id := el.Attr("id")
	if id == "" {
		return OriginID{}, malformed(el.Raw, nil, "<origin-id/> without id")
	}
	return OriginID{ID: id}, nil
}

// From returns the stanza-id in m that was set by the entity by, typically
// the account's bare JID for its archive or a room's JID. Stanza-ids of
// other entities are ignored: they may be forged (§6). The caller must also
// have checked that by supports urn:xmpp:sid:0, as only then does it strip
// forged stanza-ids naming itself.
//
// If m holds two or more stanza-ids by the same entity with different ids,
// From returns false: one of them is forged, and nothing tells which.
// Prosody 0.12 does not strip a stanza-id that a local sender put into a
// chat message to another local user; it appends its own, so the forged
// one comes first.
func From(m *xmpp.Message, by xmpp.JID) (StanzaID, bool) {
	if by.IsZero() {
		return StanzaID{}, false
	}
	var found StanzaID
	ok := false
	for _, el := range m.Extensions {
		if el.Name.Space != NS || el.Name.Local != "stanza-id" {
			continue
		}
		s, err := Parse(el)
		if err != nil || s.By != by {
			continue
		}
		if ok && s.ID != found.ID {
			return StanzaID{}, false
		}
		found, ok = s, true
	}
	return found, ok
}

// OriginFrom returns the origin-id in m.
func OriginFrom(m *xmpp.Message) (OriginID, bool) {
	for _, el := range m.Extensions {
		if el.Name.Space == NS && el.Name.Local == "origin-id" {
			o, err := ParseOrigin(el)
			return o, err == nil
		}
	}
	return OriginID{}, false
}

// NewOriginID returns an origin-id with a new random id of 128 bits
// (crypto/rand), unique as the XEP requires.
func NewOriginID() OriginID {
	return OriginID{ID: rand.Text()}
}

// AddOrigin gives m a new origin-id, replacing any it had, and returns the
// id. If m has no id, it gets the same value, as many clients expect.
func AddOrigin(m *xmpp.Message) string {
	o := NewOriginID()
	el, err := o.Element()
	if err != nil {
		panic(err) // unreachable: the id is never empty
	}
	exts := m.Extensions[:0:0]
	for _, e := range m.Extensions {
		if e.Name.Space != NS || e.Name.Local != "origin-id" {
			exts = append(exts, e)
		}
	}
	m.Extensions = append(exts, el)
	if m.ID == "" {
		m.ID = o.ID
	}
	return o.ID
}
