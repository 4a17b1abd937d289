// Package decode drives the benchmark corpus through the decoding path of
// each library: gojabber's Decoder, plain encoding/xml, go-xmpp's
// Client.Recv, mellium's Session.Serve and gosrc's stanza.NextPacket.
//
// Every decoder calls visit once per stanza it hands to its user, with the
// body of each message in the stream's language ("" when it has none, or
// when the library cannot tell which body that is) and the stanza's id, type,
// from and to attributes as the library reports them ("" for what it does
// not report), so that the stanza count, the bodies' checksum and the
// attributes' checksums can be compared with the corpus' own statistics and
// with plain encoding/xml.
package decode

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"

	"github.com/gojabber/xmpp"
	gosrc "gosrc.io/xmpp/stanza"
)

// Kind says what a stanza is.
type Kind byte

const (
	Message  Kind = 'm'
	Presence Kind = 'p'
	IQ       Kind = 'i'
	Other    Kind = '?'
	// Failed is a stanza the library returned an error for, after which
	// decoding could go on.
	Failed Kind = 'x'
)

// Attrs are a stanza's header attributes as a library reports them.
type Attrs struct{ ID, Type, From, To string }

// Visit receives each stanza a decoder returns to its user. Every value
// passed already exists in the library's own result: visiting allocates
// nothing.
type Visit func(k Kind, body string, a Attrs)

// oursAttrs returns the attributes of a stanza with header h and type typ,
// the type as its attribute on the wire: "" for a normal message and an
// available presence, which have none (the corpus has no type='normal').
func oursAttrs(h *xmpp.Header, typ fmt.Stringer) Attrs {
	t := ""
	switch typ {
	case xmpp.MessageNormal, xmpp.PresenceAvailable:
	default:
		t = typ.String()
	}
	return Attrs{h.ID, t, h.From.String(), h.To.String()}
}

func gosrcAttrs(a gosrc.Attrs) Attrs { return Attrs{a.Id, string(a.Type), a.From, a.To} }

// Ours decodes with github.com/gojabber/xmpp's Decoder.Next, the path its
// Client's reader goroutine uses.
func Ours(data []byte, visit Visit) error {
	d := xmpp.NewDecoder(bytes.NewReader(data))
	for {
		v, err := d.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch v := v.(type) {
		case *xmpp.Message:
			visit(Message, v.Body, oursAttrs(&v.Header, v.Type))
		case *xmpp.Presence:
			visit(Presence, "", oursAttrs(&v.Header, v.Type))
		case *xmpp.IQ:
			visit(IQ, "", oursAttrs(&v.Header, v.Type))
		default:
			visit(Other, "", Attrs{})
		}
	}
}

// EncodingXML decodes with plain encoding/xml the way Go XMPP code built on
// the standard library does: xml.Decoder.Token up to the stream header, then
// DecodeElement of every top-level element into a freshly allocated struct
// (see baseline.go).
func EncodingXML(data []byte, visit Visit) error {
	d := xml.NewDecoder(bytes.NewReader(data))
	return decodeStd(d, true, visit)
}

// decodeStd reads top-level elements from d; when header is true it first
// skips tokens up to and including the stream's open tag.
func decodeStd(d *xml.Decoder, header bool, visit Visit) error {
	if header {
		for {
			tok, err := d.Token()
			if err != nil {
				return err
			}
			if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "stream" {
				break
			}
		}
	}
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			k, body, a, err := decodeBaseline(d, &t)
			if err != nil {
				return err
			}
			visit(k, body, a)
		case xml.EndElement:
			return nil // </stream:stream>
		}
	}
}

// Gosrc decodes with gosrc.io/xmpp/stanza.NextPacket over an xml.Decoder,
// exactly the call gosrc's Client.recv loop makes on its transport's
// decoder, after stanza.InitStream has read the stream header as the
// transport does at connection time.
func Gosrc(data []byte, visit Visit) error {
	d := xml.NewDecoder(bytes.NewReader(data))
	if _, err := gosrc.InitStream(d); err != nil {
		return err
	}
	for {
		p, err := gosrc.NextPacket(d)
		if err != nil {
			// gosrc v0.5.1's Message.UnmarshalXML stops at the first
			// </message>, so a carbon copy (XEP-0280: a message forwarded
			// inside a message) fails with "did not consume entire
			// <message> element", which also leaves the xml.Decoder
			// unusable: gosrc's Client disconnects. The benchmark runs gosrc
			// on the corpus without carbons.
			return err
		}
		switch p := p.(type) {
		case gosrc.Message:
			visit(Message, p.Body, gosrcAttrs(p.Attrs))
		case gosrc.Presence:
			visit(Presence, "", gosrcAttrs(p.Attrs))
		case *gosrc.IQ:
			visit(IQ, "", gosrcAttrs(p.Attrs))
		case gosrc.StreamClosePacket:
			return nil
		default:
			return fmt.Errorf("gosrc: unexpected packet %T", p)
		}
	}
}
