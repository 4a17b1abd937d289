// Package vcard implements XEP-0054: vcard-temp, version 1.2
// (https://xmpp.org/extensions/xep-0054.html): the user's vCard, stored by
// the server, and other entities' vCards.
//
// A [VCard] has the common fields as Go values and keeps every other child
// element as it came, so a vCard read with [Get] and written back with [Set]
// loses nothing.
package vcard

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/gojabber/xmpp"
)

// NS is the namespace of vcard-temp.
const NS = "vcard-temp"

// Photo is the PHOTO of a vCard: an image inline, or a URL.
type Photo struct {
	// Type is the image's media type, e.g. "image/png".
	Type string
	// Data is the image (BINVAL).
	Data []byte
	// URL is the image's address (EXTVAL), for a photo not inline.
	URL string
}

// VCard is a vCard (XEP-0054 §3).
type VCard struct {
	// FN is the formatted name.
	FN string
	// Nickname is the NICKNAME.
	Nickname string
	// URL is the URL.
	URL string
	// Desc is the DESC, free text.
	Desc string
	// Photo is the PHOTO, nil when there is none.
	Photo *Photo
	// Extra are the other children of <vCard/>, kept as received and
	// written back by Set after the fields above.
	Extra []xmpp.Element
}

// Get returns the vCard of jid (§3.2), or the user's own with a zero jid
// (§3.1). An entity without a vCard may answer with an empty one, or with
// an *xmpp.StanzaError (item-not-found, service-unavailable). A photo whose
// BINVAL is not base64 is an *xmpp.MalformedError.
func Get(ctx context.Context, s xmpp.Session, jid xmpp.JID) (*VCard, error) {
	el, err := xmpp.ParseElement("<vCard xmlns='" + NS + "'/>")
	if err != nil {
		return nil, err
	}
	r, err := s.SendIQ(ctx, &xmpp.IQ{Header: xmpp.Header{To: jid}, Type: xmpp.IQGet, Payload: el})
	if err != nil {
		return nil, err
	}
	if r.Payload.IsZero() {
		return &VCard{}, nil // §3.2: an empty result is no vCard
	}
	return Parse(r.Payload)
}

// Set stores v as the user's vCard (§3.3), replacing the whole vCard.
func Set(ctx context.Context, s xmpp.Session, v *VCard) error {
	el, err := v.Element()
	if err != nil {
		return err
	}
	_, err = s.SendIQ(ctx, &xmpp.IQ{Type: xmpp.IQSet, Payload: el})
	return err
}

// Parse reads a <vCard xmlns='vcard-temp'/> element.
func Parse(el xmpp.Element) (*VCard, error) {
	if el.Name != (xml.Name{Space: NS, Local: "vCard"}) {
		return nil, &xmpp.MalformedError{Spec: "XEP-0054", Reason: fmt.Sprintf("{%s}%s is not a vCard", el.Name.Space, el.Name.Local), Raw: el.Raw}
	}
	v := &VCard{}
	for c := range el.Children() {
		if c.Name.Space != NS {
			v.Extra = append(v.Extra, c)
			continue
		}
		switch c.Name.Local {
		case "FN":
			v.FN = c.Text()
		case "NICKNAME":
			v.Nickname = c.Text()
		case "URL":
			v.URL = c.Text()
		case "DESC":
			v.Desc = c.Text()
		case "PHOTO":
			p := &Photo{}
			if t, ok := c.Child(NS, "TYPE"); ok {
				p.Type = strings.TrimSpace(t.Text())
			}
			if u, ok := c.Child(NS, "EXTVAL"); ok {
				p.URL = strings.TrimSpace(u.Text())
			}
			if b, ok := c.Child(NS, "BINVAL"); ok {
				data, err := base64.StdEncoding.DecodeString(stripSpace(b.Text()))
				if err != nil {
					return nil, &xmpp.MalformedError{Spec: "XEP-0054", Reason: "PHOTO BINVAL is not base64", Raw: el.Raw, Err: err}
				}
				p.Data = data
			}
			v.Photo = p
		default:
			v.Extra = append(v.Extra, c)
		}
	}
	return v, nil
}

// stripSpace removes the white space that base64 text may be wrapped with.
func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
}

// Element returns v as a <vCard/> element.
func (v *VCard) Element() (xmpp.Element, error) {
	var w strings.Builder
	w.WriteString("<vCard xmlns='" + NS + "'>")
	text(&w, "FN", v.FN)
	text(&w, "NICKNAME", v.Nickname)
	text(&w, "URL", v.URL)
	text(&w, "DESC", v.Desc)
	if p := v.Photo; p != nil {
		w.WriteString("<PHOTO>")
		text(&w, "TYPE", p.Type)
		if len(p.Data) > 0 {
			text(&w, "BINVAL", base64.StdEncoding.EncodeToString(p.Data))
		}
		text(&w, "EXTVAL", p.URL)
		w.WriteString("</PHOTO>")
	}
	for _, x := range v.Extra {
		w.WriteString(x.Raw)
	}
	w.WriteString("</vCard>")
	return xmpp.ParseElement(w.String())
}

func text(w *strings.Builder, name, v string) {
	if v != "" {
		w.WriteString("<" + name + ">")
		xml.EscapeText(w, []byte(v)) // never fails on a strings.Builder
		w.WriteString("</" + name + ">")
	}
}
