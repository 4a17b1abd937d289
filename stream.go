package xmpp

import "io"

// STUB: the encoder (owner: lead).

// Encoder writes an XMPP stream. Not safe for concurrent use.
type Encoder struct{ w io.Writer }

// NewEncoder returns an Encoder that writes to w, one Write per stanza.
func NewEncoder(w io.Writer) *Encoder { return &Encoder{w: w} }

// WriteHeader writes the XML declaration and the <stream:stream> open tag.
func (e *Encoder) WriteHeader(h StreamHeader) error { panic("todo") }

// Encode writes a *Message, *Presence or *IQ.
func (e *Encoder) Encode(s Stanza) error { panic("todo") }

// EncodeElement writes a top-level element such as <starttls/> or <auth/>.
func (e *Encoder) EncodeElement(el Element) error { panic("todo") }

// WriteEnd writes </stream:stream>.
func (e *Encoder) WriteEnd() error { panic("todo") }
