package xmpp_test

// The encoding/xml baseline: a stanza decoder written the way Go XMPP code
// built on the standard library does it, to measure the package's Decoder
// and Encoder against. It reads the stream with xml.Decoder.Token up to the
// <stream:stream> open tag, then for every element at depth 1 calls
// DecodeElement into a freshly allocated struct shaped like the package's
// own stanza types: attributes as strings, subject/body/status/thread as
// text with xml:lang, the error, and every other child element kept as
// name, attributes and inner XML through `xml:",any"`.

import (
	"encoding/xml"
	"fmt"
	"io"
)

const (
	baselineNSStream  = "http://etherx.jabber.org/streams"
	baselineNSStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"
)

// baselineText is an element holding text in a language: body, subject,
// status.
type baselineText struct {
	Lang  string `xml:"http://www.w3.org/XML/1998/namespace lang,attr,omitempty"`
	Value string `xml:",chardata"`
}

type baselineThread struct {
	Parent string `xml:"parent,attr,omitempty"`
	Value  string `xml:",chardata"`
}

// baselineExtension is any element the structs have no field for.
type baselineExtension struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Inner   []byte     `xml:",innerxml"`
}

type baselineError struct {
	Type string        `xml:"type,attr"`
	By   string        `xml:"by,attr,omitempty"`
	Text *baselineText `xml:"urn:ietf:params:xml:ns:xmpp-stanzas text"`
	// Conditions holds the defined condition and any application-specific
	// condition elements.
	Conditions []baselineExtension `xml:",any"`
}

type baselineMessage struct {
	XMLName    xml.Name            `xml:"jabber:client message"`
	ID         string              `xml:"id,attr,omitempty"`
	Type       string              `xml:"type,attr,omitempty"`
	From       string              `xml:"from,attr,omitempty"`
	To         string              `xml:"to,attr,omitempty"`
	Lang       string              `xml:"http://www.w3.org/XML/1998/namespace lang,attr,omitempty"`
	Subjects   []baselineText      `xml:"subject"`
	Bodies     []baselineText      `xml:"body"`
	Thread     *baselineThread     `xml:"thread"`
	Error      *baselineError      `xml:"error"`
	Extensions []baselineExtension `xml:",any"`
}

type baselinePresence struct {
	XMLName    xml.Name            `xml:"jabber:client presence"`
	ID         string              `xml:"id,attr,omitempty"`
	Type       string              `xml:"type,attr,omitempty"`
	From       string              `xml:"from,attr,omitempty"`
	To         string              `xml:"to,attr,omitempty"`
	Lang       string              `xml:"http://www.w3.org/XML/1998/namespace lang,attr,omitempty"`
	Show       string              `xml:"show,omitempty"`
	Statuses   []baselineText      `xml:"status"`
	Priority   *int8               `xml:"priority"`
	Error      *baselineError      `xml:"error"`
	Extensions []baselineExtension `xml:",any"`
}

type baselineIQ struct {
	XMLName xml.Name           `xml:"jabber:client iq"`
	ID      string             `xml:"id,attr,omitempty"`
	Type    string             `xml:"type,attr,omitempty"`
	From    string             `xml:"from,attr,omitempty"`
	To      string             `xml:"to,attr,omitempty"`
	Lang    string             `xml:"http://www.w3.org/XML/1998/namespace lang,attr,omitempty"`
	Error   *baselineError     `xml:"error"`
	Payload *baselineExtension `xml:",any"`
}

// decodeEncodingXML reads an XMPP stream from r with encoding/xml and calls
// fn with each top-level element in order: a *baselineMessage,
// *baselinePresence, *baselineIQ or, for anything else, a
// *baselineExtension. It returns nil at </stream:stream>.
func decodeEncodingXML(r io.Reader, fn func(stanza any)) error {
	d := xml.NewDecoder(r)
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		if start, ok := tok.(xml.StartElement); ok {
			if start.Name != (xml.Name{Space: baselineNSStream, Local: "stream"}) {
				return fmt.Errorf("stream starts with %v", start.Name)
			}
			break
		}
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		if err != nil {
			return err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			var v any
			switch tok.Name.Local {
			case "message":
				v = new(baselineMessage)
			case "presence":
				v = new(baselinePresence)
			case "iq":
				v = new(baselineIQ)
			default:
				v = new(baselineExtension)
			}
			if err := d.DecodeElement(v, &tok); err != nil {
				return err
			}
			fn(v)
		case xml.EndElement:
			return nil // </stream:stream>
		}
	}
}
