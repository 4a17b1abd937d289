package disco

import (
	"context"
	"encoding/xml"
	"fmt"
	"slices"
	"strings"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/forms"
)

// Namespaces of XEP-0030 and of the data forms of XEP-0128.
const (
	NSInfo  = "http://jabber.org/protocol/disco#info"
	NSItems = "http://jabber.org/protocol/disco#items"
	// NSData is the namespace of the extended information forms
	// (XEP-0004 data forms) kept in Info.Forms; it is forms.NS.
	NSData = forms.NS
)

// Identity is an entity's identity in a disco#info reply (XEP-0030 §3.1).
// Category and Type are required, from the registry of the XMPP Registrar
// (e.g. "client" / "pc", "server" / "im"); Name is a human-readable name in
// language Lang (the xml:lang of the identity, "" when absent).
type Identity struct {
	Category string
	Type     string
	Name     string
	Lang     string
}

// Info is what a disco#info reply says about an entity, or one of its nodes
// (XEP-0030 §3.1).
type Info struct {
	// Identities in the order the entity sent them.
	Identities []Identity
	// Features are the var attributes of the <feature/> elements, in the
	// order the entity sent them: the namespaces and other features the
	// entity supports.
	Features []string
	// Forms are the XEP-0128 extended information forms (jabber:x:data <x/>
	// elements), kept as they were received; see Info.Form.
	Forms []xmpp.Element
}

// Form returns the extended information form (XEP-0128) of info whose
// FORM_TYPE is formType, e.g. "http://jabber.org/network/serverinfo" for the
// contact addresses of XEP-0157, parsed. Forms that do not parse, and forms
// of another type than result, are skipped.
func (info Info) Form(formType string) (*forms.Form, bool) {
	for _, el := range info.Forms {
		f, err := forms.Parse(el)
		if err == nil && f.Type == forms.TypeResult && f.FormType() == formType {
			return f, true
		}
	}
	return nil, false
}

// HasFeature reports whether info lists feature.
func (info Info) HasFeature(feature string) bool {
	return slices.Contains(info.Features, feature)
}

// HasIdentity reports whether info lists an identity of the given category
// and type.
func (info Info) HasIdentity(category, typ string) bool {
	return slices.ContainsFunc(info.Identities, func(id Identity) bool {
		return id.Category == category && id.Type == typ
	})
}

// Item is an item in a disco#items reply (XEP-0030 §4.1): an entity, or a
// node of one, with an optional human-readable name.
type Item struct {
	JID  xmpp.JID
	Node string
	Name string
}

// GetInfo asks to (or its node, when node is not "") for its identities and
// features (XEP-0030 §3.1). A zero to asks the user's own account. An error
// reply is returned as an *xmpp.StanzaError: item-not-found for an unknown
// node, service-unavailable for an entity that does not answer disco. A reply
// that does not follow XEP-0030 (no payload or a wrong one, an identity
// without category or type, a feature without var) is an
// *xmpp.MalformedError.
func GetInfo(ctx context.Context, s xmpp.Session, to xmpp.JID, node string) (Info, error) {
	r, err := query(ctx, s, to, NSInfo, node)
	if err != nil {
		return Info{}, err
	}
	return parseInfo(r.Payload)
}

// GetItems asks to (or its node, when node is not "") for its items
// (XEP-0030 §4.1). A zero to asks the user's own account. A reply that does
// not follow XEP-0030 (no payload or a wrong one, an item without a valid
// jid) is an *xmpp.MalformedError.
func GetItems(ctx context.Context, s xmpp.Session, to xmpp.JID, node string) ([]Item, error) {
	r, err := query(ctx, s, to, NSItems, node)
	if err != nil {
		return nil, err
	}
	return parseItems(r.Payload)
}

func query(ctx context.Context, s xmpp.Session, to xmpp.JID, space, node string) (*xmpp.IQ, error) {
	var b strings.Builder
	b.WriteString("<query xmlns='" + space + "'")
	writeAttr(&b, "node", node)
	b.WriteString("/>")
	el, err := xmpp.ParseElement(b.String())
	if err != nil {
		return nil, err
	}
	return s.SendIQ(ctx, &xmpp.IQ{Header: xmpp.Header{To: to}, Type: xmpp.IQGet, Payload: el})
}

// parseInfo reads a disco#info <query/>.
func parseInfo(el xmpp.Element) (Info, error) {
	if el.Name != (xml.Name{Space: NSInfo, Local: "query"}) {
		return Info{}, wrongPayload(el, NSInfo)
	}
	var info Info
	for ch := range el.Children() {
		switch ch.Name {
		case xml.Name{Space: NSInfo, Local: "identity"}:
			id := Identity{
				Category: ch.Attr("category"),
				Type:     ch.Attr("type"),
				Name:     ch.Attr("name"),
				Lang:     ch.Attr("xml:lang"),
			}
			if id.Category == "" || id.Type == "" {
				return Info{}, &xmpp.MalformedError{Spec: "XEP-0030", Reason: "identity without category or type", Raw: el.Raw}
			}
			info.Identities = append(info.Identities, id)
		case xml.Name{Space: NSInfo, Local: "feature"}:
			v := ch.Attr("var")
			if v == "" {
				return Info{}, &xmpp.MalformedError{Spec: "XEP-0030", Reason: "feature without var", Raw: el.Raw}
			}
			info.Features = append(info.Features, v)
		case xml.Name{Space: NSData, Local: "x"}:
			info.Forms = append(info.Forms, ch)
		}
	}
	return info, nil
}

// parseItems reads a disco#items <query/>.
func parseItems(el xmpp.Element) ([]Item, error) {
	if el.Name != (xml.Name{Space: NSItems, Local: "query"}) {
		return nil, wrongPayload(el, NSItems)
	}
	items := []Item{}
	for ch := range el.Children() {
		if ch.Name != (xml.Name{Space: NSItems, Local: "item"}) {
			continue
		}
		j, err := xmpp.ParseJID(ch.Attr("jid"))
		if err != nil {
			return nil, &xmpp.MalformedError{Spec: "XEP-0030", Reason: fmt.Sprintf("item jid %q", ch.Attr("jid")), Raw: el.Raw, Err: err}
		}
		items = append(items, Item{JID: j, Node: ch.Attr("node"), Name: ch.Attr("name")})
	}
	return items, nil
}

func wrongPayload(el xmpp.Element, space string) error {
	if el.IsZero() {
		return &xmpp.MalformedError{Spec: "XEP-0030", Reason: "result without <query xmlns='" + space + "'/>"}
	}
	return &xmpp.MalformedError{Spec: "XEP-0030",
		Reason: fmt.Sprintf("result payload is {%s}%s, want {%s}query", el.Name.Space, el.Name.Local, space),
		Raw:    el.Raw,
	}
}

// writeAttr writes ` name='value'` when value is not "".
func writeAttr(b *strings.Builder, name, value string) {
	if value == "" {
		return
	}
	b.WriteString(" " + name + "='")
	xml.EscapeText(b, []byte(value)) // a strings.Builder never fails
	b.WriteByte('\'')
}
