package sid

import (
	"crypto/rand"
	"encoding/xml"
	"errors"
	"fmt"

	"github.com/gojabber/xmpp"
)

// NS is the namespace of XEP-0359, also its service discovery feature.
const NS = "urn:xmpp:sid:0"

// ErrMalformed is wrapped by the errors of [Parse], [ParseOrigin] and the
// Element methods.
var ErrMalformed = errors.New("sid: malformed element")

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

// Element returns s as an element. The id and by are required.
func (s StanzaID) Element() (xmpp.Element, error) {
	if s.ID == "" || s.By.IsZero() {
		return xmpp.Element{}, fmt.Errorf("%w: <stanza-id/> needs id and by", ErrMalformed)
	}
	return xmpp.MarshalElement(stanzaIDXML{ID: s.ID, By: s.By.String()})
}

// Element returns o as an element. The id is required.
func (o OriginID) Element() (xmpp.Element, error) {
	if o.ID == "" {
		return xmpp.Element{}, fmt.Errorf("%w: <origin-id/> needs an id", ErrMalformed)
	}
	return xmpp.MarshalElement(originIDXML{ID: o.ID})
}

// Parse reads a <stanza-id/> element; a missing id or a missing or
// unparsable by is an error.
func Parse(el xmpp.Element) (StanzaID, error) {
	if el.Name.Space != NS || el.Name.Local != "stanza-id" {
		return StanzaID{}, fmt.Errorf("%w: <%s xmlns='%s'> is not <stanza-id/>", ErrMalformed, el.Name.Local, el.Name.Space)
	}
	id, by := el.Attr("id"), el.Attr("by")
	if id == "" || by == "" {
		return StanzaID{}, fmt.Errorf("%w: <stanza-id/> without id or by", ErrMalformed)
	}
	j, err := xmpp.ParseJID(by)
	if err != nil {
		return StanzaID{}, fmt.Errorf("%w: by: %w", ErrMalformed, err)
	}
	return StanzaID{ID: id, By: j}, nil
}

// ParseOrigin reads an <origin-id/> element.
func ParseOrigin(el xmpp.Element) (OriginID, error) {
	if el.Name.Space != NS || el.Name.Local != "origin-id" {
		return OriginID{}, fmt.Errorf("%w: <%s xmlns='%s'> is not <origin-id/>", ErrMalformed, el.Name.Local, el.Name.Space)
	}
	id := el.Attr("id")
	if id == "" {
		return OriginID{}, fmt.Errorf("%w: <origin-id/> without id", ErrMalformed)
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
