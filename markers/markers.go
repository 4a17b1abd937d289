package markers

import (
	"encoding/xml"
	"fmt"

	"github.com/gojabber/xmpp"
)

// NS is the namespace of XEP-0333, also its service discovery feature.
const NS = "urn:xmpp:chat-markers:0"

// Kind is the kind of a marker, named as its element.
type Kind string

// The marker kinds.
const (
	KindMarkable     Kind = "markable"     // the sender asks for markers
	KindReceived     Kind = "received"     // the message reached a client
	KindDisplayed    Kind = "displayed"    // the message was shown to the user
	KindAcknowledged Kind = "acknowledged" // the user acted on the message
)

// Marker is a chat marker. ID names the marked message; it is empty for
// KindMarkable and required for the others.
type Marker struct {
	Kind Kind
	ID   string
}

type markerXML struct {
	XMLName xml.Name
	ID      string `xml:"id,attr,omitempty"`
}

func (k Kind) valid() bool {
	switch k {
	case KindMarkable, KindReceived, KindDisplayed, KindAcknowledged:
		return true
	}
	return false
}

// Element returns mk as an element for a message's Extensions. An unknown
// kind, a markable with an id or another marker without one is an
// *xmpp.MalformedError.
func (mk Marker) Element() (xmpp.Element, error) {
	if err := mk.check(""); err != nil {
		return xmpp.Element{}, err
	}
	return xmpp.MarshalElement(markerXML{XMLName: xml.Name{Space: NS, Local: string(mk.Kind)}, ID: mk.ID})
}

// check returns an *xmpp.MalformedError, with raw the element mk was read
// from ("" for one being built), if mk breaks XEP-0333.
func (mk Marker) check(raw string) error {
	switch {
	case !mk.Kind.valid():
		return malformed(raw, "unknown marker %q", string(mk.Kind))
	case mk.Kind == KindMarkable && mk.ID != "":
		return malformed(raw, "<markable/> takes no id")
	case mk.Kind != KindMarkable && mk.ID == "":
		return malformed(raw, "<%s/> needs an id", mk.Kind)
	}
	return nil
}

func malformed(raw, format string, args ...any) *xmpp.MalformedError {
	return &xmpp.MalformedError{Spec: "XEP-0333", Reason: fmt.Sprintf(format, args...), Raw: raw}
}

// Parse reads a marker element. Another element, or a received, displayed
// or acknowledged marker without an id, is an *xmpp.MalformedError; an id
// on markable is ignored.
func Parse(el xmpp.Element) (Marker, error) {
	k := Kind(el.Name.Local)
	if el.Name.Space != NS || !k.valid() {
		return Marker{}, malformed(el.Raw, "<%s xmlns='%s'> is not a chat marker", el.Name.Local, el.Name.Space)
	}
	mk := Marker{Kind: k}
	if k != KindMarkable {
		mk.ID = el.Attr("id")
	}
	return mk, mk.check(el.Raw)
}

// From returns the first valid marker in m.
func From(m *xmpp.Message) (Marker, bool) {
	for _, el := range m.Extensions {
		if el.Name.Space == NS {
			if mk, err := Parse(el); err == nil {
				return mk, true
			}
		}
	}
	return Marker{}, false
}

// HasMarkable reports whether m asks for markers: whether it carries
// <markable/>.
func HasMarkable(m *xmpp.Message) bool {
	for _, el := range m.Extensions {
		if el.Name.Space == NS && el.Name.Local == string(KindMarkable) {
			return true
		}
	}
	return false
}

var markable = func() xmpp.Element {
	el, err := xmpp.ParseElement("<markable xmlns='" + NS + "'/>")
	if err != nil {
		panic(err)
	}
	return el
}()

// AddMarkable adds <markable/> to m unless it has one. It reports false, and
// leaves m alone, when m has no id, which markers need to name it.
func AddMarkable(m *xmpp.Message) bool {
	if m.ID == "" {
		return false
	}
	if !HasMarkable(m) {
		m.Extensions = append(m.Extensions, markable)
	}
	return true
}

// Reply returns a message carrying a marker of kind k for m, addressed to
// m's sender with m's type, or false when m is not markable, has no id or no
// sender, or k is not received, displayed or acknowledged. Markers are
// never sent for messages of type error.
func Reply(m *xmpp.Message, k Kind) (*xmpp.Message, bool) {
	if k == KindMarkable || m.ID == "" || m.From.IsZero() || m.Type == xmpp.MessageError || !HasMarkable(m) {
		return nil, false
	}
	el, err := Marker{Kind: k, ID: m.ID}.Element()
	if err != nil {
		return nil, false
	}
	to := m.From
	if m.Type == xmpp.MessageGroupchat {
		to = m.From.Bare() // to the room, not the occupant
	}
	return &xmpp.Message{Header: xmpp.Header{To: to}, Type: m.Type, Extensions: []xmpp.Element{el}}, true
}

// Register adds the chat markers feature to mux.
func Register(mux *xmpp.Mux) {
	mux.AddFeature(NS)
}
