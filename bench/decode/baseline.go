package decode

import "encoding/xml"

// The encoding/xml baseline: structs shaped like gojabber's stanza types,
// attributes as strings, subject/body/status/thread as text with xml:lang,
// the error, and every other child kept as name, attributes and inner XML
// through `xml:",any"`. The mellium path decodes into the same structs.

type langText struct {
	Lang  string `xml:"http://www.w3.org/XML/1998/namespace lang,attr,omitempty"`
	Value string `xml:",chardata"`
}

type thread struct {
	Parent string `xml:"parent,attr,omitempty"`
	Value  string `xml:",chardata"`
}

type extension struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Inner   []byte     `xml:",innerxml"`
}

type stanzaError struct {
	Type       string      `xml:"type,attr"`
	By         string      `xml:"by,attr,omitempty"`
	Text       *langText   `xml:"urn:ietf:params:xml:ns:xmpp-stanzas text"`
	Conditions []extension `xml:",any"`
}

type header struct {
	ID   string `xml:"id,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	From string `xml:"from,attr,omitempty"`
	To   string `xml:"to,attr,omitempty"`
	Lang string `xml:"http://www.w3.org/XML/1998/namespace lang,attr,omitempty"`
}

type message struct {
	XMLName xml.Name `xml:"message"`
	header
	Subjects   []langText   `xml:"subject"`
	Bodies     []langText   `xml:"body"`
	Thread     *thread      `xml:"thread"`
	Error      *stanzaError `xml:"error"`
	Extensions []extension  `xml:",any"`
}

type presence struct {
	XMLName xml.Name `xml:"presence"`
	header
	Show       string       `xml:"show,omitempty"`
	Statuses   []langText   `xml:"status"`
	Priority   int8         `xml:"priority,omitempty"`
	Error      *stanzaError `xml:"error"`
	Extensions []extension  `xml:",any"`
}

type iq struct {
	XMLName xml.Name `xml:"iq"`
	header
	Error   *stanzaError `xml:"error"`
	Payload []extension  `xml:",any"`
}

// body returns the body without its own xml:lang.
func (m *message) body() string {
	for _, b := range m.Bodies {
		if b.Lang == "" {
			return b.Value
		}
	}
	return ""
}

func (h *header) attrs() Attrs { return Attrs{h.ID, h.Type, h.From, h.To} }

// decodeBaseline decodes the element started by se into a new struct.
func decodeBaseline(d interface {
	DecodeElement(v any, start *xml.StartElement) error
	Skip() error
}, se *xml.StartElement) (Kind, string, Attrs, error) {
	switch se.Name.Local {
	case "message":
		m := new(message)
		if err := d.DecodeElement(m, se); err != nil {
			return Other, "", Attrs{}, err
		}
		return Message, m.body(), m.attrs(), nil
	case "presence":
		p := new(presence)
		err := d.DecodeElement(p, se)
		return Presence, "", p.attrs(), err
	case "iq":
		q := new(iq)
		err := d.DecodeElement(q, se)
		return IQ, "", q.attrs(), err
	}
	return Other, "", Attrs{}, d.Skip()
}
