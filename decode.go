package xmpp

import "io"

// STUB: replaced by the decoder implementation (owner: codec helper).

// Limits bound what a Decoder accepts from the peer. A zero field means the
// default.
type Limits struct {
	MaxStanzaSize int // bytes of one top-level element; default 256 KiB
	MaxDepth      int // element nesting inside a stanza; default 64
	MaxAttrs      int // attributes on one element; default 64
}

// StreamHeader holds the attributes of a <stream:stream> open tag (RFC 6120 §4.7).
type StreamHeader struct {
	From, To JID
	ID       string
	Version  string
	Lang     string
	// Namespace is the default namespace the header declares, e.g. jabber:client.
	Namespace string
}

// Decoder reads an XMPP stream. Not safe for concurrent use.
type Decoder struct{ r io.Reader }

func NewDecoder(r io.Reader) *Decoder            { return &Decoder{r: r} }
func (d *Decoder) SetLimits(l Limits)            {}
func (d *Decoder) Header() (StreamHeader, error) { panic("todo") }
func (d *Decoder) Next() (any, error)            { panic("todo") }
func (d *Decoder) Reset()                        {}
func (d *Decoder) Buffered() int                 { return 0 }
