package forward

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/delay"
)

// NS is the namespace of XEP-0297.
const NS = "urn:xmpp:forward:0"

// malformed returns the error for an element raw ("" for one being built)
// that breaks XEP-0297.
func malformed(raw string, err error, format string, args ...any) *xmpp.MalformedError {
	return &xmpp.MalformedError{Spec: "XEP-0297", Reason: fmt.Sprintf(format, args...), Raw: raw, Err: err}
}

// Forwarded is a <forwarded/> element holding a message.
type Forwarded struct {
	// Delay is the optional <delay/>; nil if absent.
	Delay *delay.Delay
	// Message is the forwarded message.
	Message *xmpp.Message
}

// Element returns f as an element: <forwarded/> with the <delay/>, if any,
// then the message in the jabber:client namespace. A nil Message is an
// *xmpp.MalformedError.
func (f Forwarded) Element() (xmpp.Element, error) {
	if f.Message == nil {
		return xmpp.Element{}, malformed("", nil, "<forwarded/> needs a message")
	}
	var b strings.Builder
	b.WriteString("<forwarded xmlns='" + NS + "'>")
	if f.Delay != nil {
		d, err := f.Delay.Element()
		if err != nil {
			return xmpp.Element{}, err
		}
		b.WriteString(d.Raw)
	}
	var buf bytes.Buffer
	if err := xmpp.NewEncoder(&buf).Encode(f.Message); err != nil {
		return xmpp.Element{}, fmt.Errorf("forward: encoding the message: %w", err)
	}
	const open = "<message"
	raw := buf.String()
	if !strings.HasPrefix(raw, open) {
		return xmpp.Element{}, fmt.Errorf("forward: encoder wrote %.20q", raw)
	}
	b.WriteString(open + " xmlns='" + xmpp.NSClient + "'")
	b.WriteString(raw[len(open):])
	b.WriteString("</forwarded>")
	return xmpp.ParseElement(b.String())
}

// Parse reads a <forwarded/> element holding a {jabber:client}message and
// an optional <delay/>. A missing or undecodable message, a malformed delay,
// or an element of another name is an *xmpp.MalformedError for XEP-0297; for
// a message that breaks the stanza rules it wraps the *xmpp.BadStanzaError
// the decoder returned.
func Parse(el xmpp.Element) (Forwarded, error) {
	if el.Name.Space != NS || el.Name.Local != "forwarded" {
		return Forwarded{}, malformed(el.Raw, nil, "<%s xmlns='%s'> is not <forwarded/>", el.Name.Local, el.Name.Space)
	}
	var f Forwarded
	for c := range el.Children() {
		switch {
		case c.Name.Space == delay.NS && c.Name.Local == "delay" && f.Delay == nil:
			d, err := delay.Parse(c)
			if err != nil {
				return Forwarded{}, malformed(el.Raw, err, "delay")
			}
			f.Delay = &d
		case c.Name.Space == xmpp.NSClient && c.Name.Local == "message":
			if f.Message != nil {
				return Forwarded{}, malformed(el.Raw, nil, "more than one message")
			}
			m, err := DecodeMessage(c)
			if err != nil {
				return Forwarded{}, err
			}
			f.Message = m
		}
	}
	if f.Message == nil {
		return Forwarded{}, malformed(el.Raw, nil, "no {%s}message inside", xmpp.NSClient)
	}
	return f, nil
}

// From returns the first <forwarded/> among m's extensions that parses.
func From(m *xmpp.Message) (Forwarded, bool) {
	for _, el := range m.Extensions {
		if el.Name.Space == NS && el.Name.Local == "forwarded" {
			if f, err := Parse(el); err == nil {
				return f, true
			}
		}
	}
	return Forwarded{}, false
}

// DecodeMessage decodes el, a {jabber:client}message element, into a
// Message with xmpp.DecodeStanza, as if it had come on the stream. An
// element that is not a message, or does not decode, is an
// *xmpp.MalformedError for XEP-0297.
func DecodeMessage(el xmpp.Element) (*xmpp.Message, error) {
	if el.Name.Space != xmpp.NSClient || el.Name.Local != "message" {
		return nil, malformed(el.Raw, nil, "<%s xmlns='%s'> is not a message", el.Name.Local, el.Name.Space)
	}
	v, err := xmpp.DecodeStanza(el)
	if err != nil {
		return nil, malformed(el.Raw, err, "inner message")
	}
	m, ok := v.(*xmpp.Message)
	if !ok {
		return nil, malformed(el.Raw, nil, "inner element decoded as %T", v)
	}
	return m, nil
}
