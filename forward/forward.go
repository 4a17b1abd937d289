package forward

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/delay"
)

// NS is the namespace of XEP-0297.
const NS = "urn:xmpp:forward:0"

// ErrMalformed is wrapped by the errors of [Parse] and [Forwarded.Element].
var ErrMalformed = errors.New("forward: malformed element")

// Forwarded is a <forwarded/> element holding a message.
type Forwarded struct {
	// Delay is the optional <delay/>; nil if absent.
	Delay *delay.Delay
	// Message is the forwarded message.
	Message *xmpp.Message
}

// Element returns f as an element: <forwarded/> with the <delay/>, if any,
// then the message in the jabber:client namespace.
func (f Forwarded) Element() (xmpp.Element, error) {
	if f.Message == nil {
		return xmpp.Element{}, fmt.Errorf("%w: <forwarded/> needs a message", ErrMalformed)
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
// or an element of another name is an error wrapping ErrMalformed; a
// message that breaks the stanza rules is also reported as the
// *xmpp.BadStanzaError the decoder returned.
func Parse(el xmpp.Element) (Forwarded, error) {
	if el.Name.Space != NS || el.Name.Local != "forwarded" {
		return Forwarded{}, fmt.Errorf("%w: <%s xmlns='%s'> is not <forwarded/>", ErrMalformed, el.Name.Local, el.Name.Space)
	}
	var f Forwarded
	for c := range el.Children() {
		switch {
		case c.Name.Space == delay.NS && c.Name.Local == "delay" && f.Delay == nil:
			d, err := delay.Parse(c)
			if err != nil {
				return Forwarded{}, fmt.Errorf("%w: %w", ErrMalformed, err)
			}
			f.Delay = &d
		case c.Name.Space == xmpp.NSClient && c.Name.Local == "message":
			if f.Message != nil {
				return Forwarded{}, fmt.Errorf("%w: more than one message", ErrMalformed)
			}
			m, err := DecodeMessage(c)
			if err != nil {
				return Forwarded{}, err
			}
			f.Message = m
		}
	}
	if f.Message == nil {
		return Forwarded{}, fmt.Errorf("%w: no {%s}message inside", ErrMalformed, xmpp.NSClient)
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
// Message with xmpp.DecodeStanza, as if it had come on the stream.
func DecodeMessage(el xmpp.Element) (*xmpp.Message, error) {
	if el.Name.Space != xmpp.NSClient || el.Name.Local != "message" {
		return nil, fmt.Errorf("%w: <%s xmlns='%s'> is not a message", ErrMalformed, el.Name.Local, el.Name.Space)
	}
	v, err := xmpp.DecodeStanza(el)
	if err != nil {
		return nil, fmt.Errorf("%w: inner message: %w", ErrMalformed, err)
	}
	m, ok := v.(*xmpp.Message)
	if !ok {
		return nil, fmt.Errorf("%w: inner element decoded as %T", ErrMalformed, v)
	}
	return m, nil
}
