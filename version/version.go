package version

import (
	"context"
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/gojabber/xmpp"
)

// NS is the namespace of XEP-0092.
const NS = "jabber:iq:version"

// Info is an entity's software version (§2).
type Info struct {
	// Name is the software's natural-language name.
	Name string
	// Version is the software's version.
	Version string
	// OS is the operating system, "" when the entity did not say.
	OS string
}

var request = func() xmpp.Element {
	el, err := xmpp.ParseElement("<query xmlns='" + NS + "'/>")
	if err != nil {
		panic(err) // a constant
	}
	return el
}()

// Get asks to for its software version (§2). A zero to asks the user's own
// server. An error reply is returned as an *xmpp.StanzaError, e.g.
// service-unavailable from an entity that does not say; a reply that does
// not follow XEP-0092 (no <query xmlns='jabber:iq:version'/>, or one
// without the <name/> or <version/> that §2 requires) as an
// *xmpp.MalformedError.
func Get(ctx context.Context, s xmpp.Session, to xmpp.JID) (Info, error) {
	r, err := s.SendIQ(ctx, &xmpp.IQ{Header: xmpp.Header{To: to}, Type: xmpp.IQGet, Payload: request})
	if err != nil {
		return Info{}, err
	}
	return parse(r.Payload)
}

func parse(el xmpp.Element) (Info, error) {
	if el.Name != (xml.Name{Space: NS, Local: "query"}) {
		if el.IsZero() {
			return Info{}, &xmpp.MalformedError{Spec: "XEP-0092", Reason: "result without <query xmlns='" + NS + "'/>"}
		}
		return Info{}, &xmpp.MalformedError{Spec: "XEP-0092", Reason: fmt.Sprintf("result payload is {%s}%s", el.Name.Space, el.Name.Local), Raw: el.Raw}
	}
	var info Info
	var hasName, hasVersion bool
	for ch := range el.Children() {
		if ch.Name.Space != NS {
			continue
		}
		switch ch.Name.Local {
		case "name":
			info.Name, hasName = ch.Text(), true
		case "version":
			info.Version, hasVersion = ch.Text(), true
		case "os":
			info.OS = ch.Text()
		}
	}
	if !hasName || !hasVersion {
		return Info{}, &xmpp.MalformedError{Spec: "XEP-0092", Reason: "result without <name/> or <version/>", Raw: el.Raw}
	}
	return info, nil
}

// Register makes mux answer software version requests with name, version
// and, if not empty, os (§2), and adds jabber:iq:version to its features
// (§3). Characters that XML cannot carry are replaced with U+FFFD.
func Register(mux *xmpp.Mux, name, version, os string) {
	var b strings.Builder
	b.WriteString("<query xmlns='" + NS + "'>")
	writeElement(&b, "name", name)
	writeElement(&b, "version", version)
	if os != "" {
		writeElement(&b, "os", os)
	}
	b.WriteString("</query>")
	reply, err := xmpp.ParseElement(b.String())
	mux.HandleIQ(xmpp.IQGet, NS, "query", func(xmpp.Session, *xmpp.IQ) (*xmpp.IQ, error) {
		if err != nil {
			return nil, err // not reached: EscapeText makes valid text
		}
		return &xmpp.IQ{Payload: reply}, nil
	})
}

func writeElement(b *strings.Builder, name, text string) {
	b.WriteString("<" + name + ">")
	xml.EscapeText(b, []byte(text))
	b.WriteString("</" + name + ">")
}
