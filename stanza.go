package xmpp

import (
	"encoding/xml"
)

// Namespaces used by the stanza codec (RFC 6120 §4.8.3, §8.3.2).
const (
	NSClient   = "jabber:client"
	NSStream   = "http://etherx.jabber.org/streams"
	NSStanzas  = "urn:ietf:params:xml:ns:xmpp-stanzas"
	NSStreams  = "urn:ietf:params:xml:ns:xmpp-streams"
	nsXML      = "http://www.w3.org/XML/1998/namespace"
	nsTLS      = "urn:ietf:params:xml:ns:xmpp-tls"
	nsSASL     = "urn:ietf:params:xml:ns:xmpp-sasl"
	nsBind     = "urn:ietf:params:xml:ns:xmpp-bind"
	nsSession  = "urn:ietf:params:xml:ns:xmpp-session"
	nsFeatures = NSStream // <stream:features/>
)

// Stanza is a *Message, *Presence or *IQ: the three kinds of stanza of
// RFC 6120 §8. Every stanza carries a [Header].
type Stanza interface {
	// StanzaHeader returns the stanza's common attributes for reading and
	// writing.
	StanzaHeader() *Header
}

// Header holds the attributes common to all stanzas (RFC 6120 §8.1)
// except the type, whose values differ with the kind of stanza and which
// Message, Presence and IQ therefore hold themselves, typed.
type Header struct {
	ID   string
	From JID
	To   JID
	// Lang is the stanza's xml:lang, empty when absent.
	Lang string
}

// StanzaHeader implements [Stanza].
func (h *Header) StanzaHeader() *Header { return h }

// Text is a human-readable string in a language (an element with xml:lang).
type Text struct {
	// Lang is the element's own xml:lang; empty means the stanza's language.
	Lang  string
	Value string
}

// Message is a <message/> stanza (RFC 6121 §5).
//
// Subject and Body hold the variant without its own xml:lang, that is the one
// in the stanza's language; the other language variants are kept, in document
// order, in Subjects and Bodies, so re-encoding loses nothing. A message whose
// only body has its own xml:lang therefore has an empty Body and one entry in
// Bodies; [Message.BodyText] picks a body whatever its language.
type Message struct {
	Header
	// Type is the message type; the zero value is MessageNormal, which is
	// written as no type attribute.
	Type     MessageType
	Subject  string
	Body     string
	Subjects []Text // xml:lang variants of <subject/> other than Subject
	Bodies   []Text // xml:lang variants of <body/> other than Body
	Thread   string
	// ThreadParent is the parent attribute of <thread/> (RFC 6121 §5.2.5).
	ThreadParent string
	// Error is set on a message of type "error".
	Error *StanzaError
	// Extensions are the other child elements, in document order.
	Extensions []Element

	// offered is set once the Watch functions of a Mux have seen the
	// message (see Mux.Watch), so that they see it once.
	offered *Mux
}

// Presence is a <presence/> stanza (RFC 6121 §4).
type Presence struct {
	Header
	// Type is the presence type; the zero value is PresenceAvailable,
	// which is written as no type attribute.
	Type     PresenceType
	Show     Show
	Status   string
	Statuses []Text // xml:lang variants of <status/> other than Status
	// Priority is -128..127; HasPriority tells a zero from an absent one.
	Priority    int8
	HasPriority bool
	Error       *StanzaError
	Extensions  []Element

	// offered is as for Message.
	offered *Mux
}

// IQ is an <iq/> stanza (RFC 6120 §8.2.3). A get or set carries exactly one
// payload; a result carries zero or one.
type IQ struct {
	Header
	// Type is the IQ type. It is required (RFC 6120 §8.2.3): the Encoder
	// refuses an IQ whose Type is the zero value.
	Type IQType
	// Payload is the child element; its zero value means none.
	Payload Element
	// Error is set on an IQ of type "error".
	Error *StanzaError
}

// Element is an XML element kept as its source text: the library's lossless
// representation of any payload it has no typed field for.
//
// Raw is a complete, well-formed element that declares every namespace it
// uses, so it can be written into any stream or handed to encoding/xml. Build
// an Element with [ParseElement] or [MarshalElement]; an Element written as a
// struct literal is checked by the Encoder before it is sent, and refused if
// Raw is not exactly one well-formed element. Compare Elements by Name and
// Raw rather than with ==, which also sees whether Raw was checked.
// Elements returned by a [Decoder] are immutable and stay valid after further
// calls to Next.
type Element struct {
	// Name is the element's namespace and local name.
	Name xml.Name
	// Raw is the element's XML text.
	Raw string

	// wellFormed is set by the constructors that have checked Raw (the
	// Decoder, ParseElement, MarshalElement); the Encoder checks any other
	// Element before writing it.
	wellFormed bool
}

// IsZero reports whether e is the zero Element (no element).
func (e Element) IsZero() bool { return e.Raw == "" }

// BodyText returns the body in the stanza's language, or when there is none
// the first body in another language.
func (m *Message) BodyText() string {
	if m.Body != "" || len(m.Bodies) == 0 {
		return m.Body
	}
	return m.Bodies[0].Value
}
