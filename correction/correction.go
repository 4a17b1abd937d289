package correction

import (
	"encoding/xml"
	"fmt"

	"github.com/gojabber/xmpp"
)

// NS is the namespace of XEP-0308, also its service discovery feature.
const NS = "urn:xmpp:message-correct:0"

// Replace is the <replace/> element: its message corrects the one whose id
// is ID.
type Replace struct {
	ID string
}

type replaceXML struct {
	XMLName xml.Name `xml:"urn:xmpp:message-correct:0 replace"`
	ID      string   `xml:"id,attr"`
}

// Element returns r as an element for a message's Extensions. An empty ID
// is an *xmpp.MalformedError.
func (r Replace) Element() (xmpp.Element, error) {
	if r.ID == "" {
		return xmpp.Element{}, malformed("", "<replace/> needs an id")
	}
	return xmpp.MarshalElement(replaceXML{ID: r.ID})
}

// malformed returns the error for an element raw ("" for one being built)
// that breaks XEP-0308.
func malformed(raw, reason string) *xmpp.MalformedError {
	return &xmpp.MalformedError{Spec: "XEP-0308", Reason: reason, Raw: raw}
}

// Parse reads a <replace/> element. Another element, or one without an
// id, is an *xmpp.MalformedError.
func Parse(el xmpp.Element) (Replace, error) {
	if el.Name.Space != NS || el.Name.Local != "replace" {
		return Replace{}, malformed(el.Raw, fmt.Sprintf("<%s xmlns='%s'> is not <replace/>", el.Name.Local, el.Name.Space))
	}
	id := el.Attr("id")
	if id == "" {
		return Replace{}, malformed(el.Raw, "<replace/> without id")
	}
	return Replace{ID: id}, nil
}

// From returns the id of the message that m corrects, if m is a valid
// correction.
func From(m *xmpp.Message) (Replace, bool) {
	for _, el := range m.Extensions {
		if el.Name.Space == NS && el.Name.Local == "replace" {
			r, err := Parse(el)
			return r, err == nil
		}
	}
	return Replace{}, false
}

// Add makes m a correction of the message with the given id: it adds a
// <replace/> element, replacing any m already had. m keeps its own id, which
// the XEP requires to be new; the caller sets the corrected Body.
func Add(m *xmpp.Message, id string) error {
	el, err := Replace{ID: id}.Element()
	if err != nil {
		return err
	}
	exts := m.Extensions[:0:0]
	for _, e := range m.Extensions {
		if e.Name.Space != NS || e.Name.Local != "replace" {
			exts = append(exts, e)
		}
	}
	m.Extensions = append(exts, el)
	return nil
}

// Applies reports whether corr is a correction of orig that a receiver may
// apply: corr carries a <replace/> naming orig's id and comes from the same
// full JID as orig (Business Rules).
func Applies(orig, corr *xmpp.Message) bool {
	r, ok := From(corr)
	return ok && orig.ID != "" && r.ID == orig.ID && orig.From == corr.From
}

// Register adds the message correction feature to mux; a client that
// understands corrections must advertise it (§2).
func Register(mux *xmpp.Mux) {
	mux.AddFeature(NS)
}
