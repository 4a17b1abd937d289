package correction

import (
	"encoding/xml"
	"errors"
	"fmt"

	"github.com/gojabber/xmpp"
)

// NS is the namespace of XEP-0308, also its service discovery feature.
const NS = "urn:xmpp:message-correct:0"

// ErrMalformed is wrapped by the errors of [Parse] and [Replace.Element].
var ErrMalformed = errors.New("correction: malformed element")

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
// is an error.
func (r Replace) Element() (xmpp.Element, error) {
	if r.ID == "" {
		return xmpp.Element{}, fmt.Errorf("%w: <replace/> needs an id", ErrMalformed)
	}
	return xmpp.MarshalElement(replaceXML{ID: r.ID})
}

// Parse reads a <replace/> element.
func Parse(el xmpp.Element) (Replace, error) {
	if el.Name.Space != NS || el.Name.Local != "replace" {
		return Replace{}, fmt.Errorf("%w: <%s xmlns='%s'> is not <replace/>", ErrMalformed, el.Name.Local, el.Name.Space)
	}
	id := el.Attr("id")
	if id == "" {
		return Replace{}, fmt.Errorf("%w: <replace/> without id", ErrMalformed)
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

// Correct makes m a correction of the message with the given id: it adds a
// <replace/> element, replacing any m already had. m keeps its own id, which
// the XEP requires to be new; the caller sets the corrected Body.
func Correct(m *xmpp.Message, id string) error {
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
