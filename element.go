package xmpp

import (
	"encoding/xml"
	"fmt"
	"iter"
	"strings"

	"github.com/gojabber/xmpp/internal/xmltok"
)

// The methods of Element read Raw on demand. They assume Raw is what a
// Decoder, ParseElement or MarshalElement produced: one well-formed element
// declaring every namespace it uses. On other text they return zero values.

// Attr returns the value of the root's attribute named local that has no
// namespace, or "" when there is none.
func (e Element) Attr(local string) string {
	s := e.Raw
	i := strings.IndexByte(s, '<') + 1
	if i == 0 {
		return ""
	}
	i = nameEnd(s, i)
	for i < len(s) {
		for i < len(s) && isXMLSpace(s[i]) {
			i++
		}
		if i >= len(s) || s[i] == '>' || s[i] == '/' {
			return ""
		}
		ns := i
		i = nameEnd(s, i)
		name := s[ns:i]
		for i < len(s) && s[i] != '\'' && s[i] != '"' {
			i++
		}
		if i >= len(s) {
			return ""
		}
		q := s[i]
		j := strings.IndexByte(s[i+1:], q)
		if j < 0 {
			return ""
		}
		v := s[i+1 : i+1+j]
		i += j + 2
		if name == local {
			if strings.ContainsAny(v, "&\t\n\r") {
				return string(xmltok.AppendValue(nil, v, xmltok.FlagEscaped|xmltok.FlagAttrValue))
			}
			return v
		}
	}
	return ""
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// nameEnd returns the end of the name at s[i].
func nameEnd(s string, i int) int {
	for i < len(s) && !isXMLSpace(s[i]) && s[i] != '=' && s[i] != '>' && s[i] != '/' {
		i++
	}
	return i
}

// Text returns the character data directly inside the root element,
// unescaped, without that of its children.
func (e Element) Text() string {
	s := e.Raw
	i := strings.IndexByte(s, '<')
	if i < 0 {
		return ""
	}
	i, self := skipTag(s, i)
	if self {
		return ""
	}
	depth := 1
	var buf []byte
	var one string
	pieces := 0
	add := func(raw string, fl uint8) {
		pieces++
		if pieces == 1 && fl&xmltok.FlagEscaped == 0 {
			one = raw
			return
		}
		if pieces == 2 {
			buf = append(buf, one...)
		}
		buf = xmltok.AppendValue(buf, raw, fl)
	}
	for i < len(s) && depth > 0 {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			break
		}
		if j > 0 && depth == 1 {
			raw := s[i : i+j]
			var fl uint8
			if strings.ContainsAny(raw, "&\r") {
				fl = xmltok.FlagEscaped
			}
			add(raw, fl)
		}
		i += j
		switch {
		case strings.HasPrefix(s[i:], "</"):
			depth--
			i += strings.IndexByte(s[i:], '>') + 1
		case strings.HasPrefix(s[i:], "<![CDATA["):
			k := strings.Index(s[i:], "]]>")
			if k < 0 {
				return ""
			}
			if depth == 1 {
				raw := s[i+9 : i+k]
				var fl uint8 = xmltok.FlagCDATA
				if strings.IndexByte(raw, '\r') >= 0 {
					fl |= xmltok.FlagEscaped
				}
				add(raw, fl)
			}
			i += k + 3
		default:
			var self bool
			i, self = skipTag(s, i)
			if !self {
				depth++
			}
		}
	}
	switch {
	case pieces == 0:
		return ""
	case pieces == 1 && buf == nil:
		return one
	}
	return string(buf)
}

// skipTag returns the end of the start tag at s[i] and whether it closes
// itself.
func skipTag(s string, i int) (int, bool) {
	var q byte
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '\'' || c == '"':
			q = c
		case c == '>':
			return i + 1, s[i-1] == '/'
		}
	}
	return i, true
}

// Child returns the first child element of the root with the given
// namespace and local name.
func (e Element) Child(space, local string) (Element, bool) {
	for c := range e.Children() {
		if c.Name.Space == space && c.Name.Local == local {
			return c, true
		}
	}
	return Element{}, false
}

// Children iterates over the child elements of the root, in document
// order. A child that relies on namespace declarations of the root gets
// them added to its start tag.
func (e Element) Children() iter.Seq[Element] {
	return func(yield func(Element) bool) {
		var p xmltok.Parser
		toks, err := p.Parse([]byte(e.Raw))
		if err != nil {
			return
		}
		c := codec{uris: p.URIs()}
		for k := firstChild(toks, 0); k >= 0; k = afterChild(toks, 0, k) {
			if !yield(c.element(e.Raw, toks, k)) {
				return
			}
		}
	}
}

// Decode unmarshals the element into v with encoding/xml.
func (e Element) Decode(v any) error {
	return xml.Unmarshal([]byte(e.Raw), v)
}

// ParseElement returns the element whose XML text is raw. The text must be
// one element, well-formed, declaring every prefix it uses, within the
// default Limits and the restrictions of RFC 6120 §11.1; surrounding
// whitespace is dropped. An element without a default namespace
// declaration is in no namespace.
func ParseElement(raw string) (Element, error) {
	var p xmltok.Parser
	toks, err := p.Parse([]byte(raw))
	if err != nil {
		return Element{}, fmt.Errorf("xmpp: bad element: %w", err)
	}
	c := codec{uris: p.URIs()}
	return c.element(raw, toks, 0), nil
}

// MarshalElement marshals v with encoding/xml and returns the result as an
// Element.
func MarshalElement(v any) (Element, error) {
	b, err := xml.Marshal(v)
	if err != nil {
		return Element{}, err
	}
	return ParseElement(string(b))
}
