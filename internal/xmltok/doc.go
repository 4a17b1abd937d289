// Package xmltok is the tokenizer under the XMPP stream decoder: a
// streaming reader of the restricted XML that RFC 6120 §11 allows, over any
// io.Reader, with no dependency on the network.
//
// A Tokenizer reads the stream header (an optional XML declaration and the
// open tag of <stream:stream>), then one top-level element per call to
// Next, then the header's end tag. Each element comes whole: its bytes and a
// flat list of tokens that index into them, both reused by the next call, so
// that reading allocates nothing in the steady state.
//
// Everything RFC 6120 §11.1 forbids is an *Error with the stream error
// condition to send: comments, processing instructions, DTDs and entity
// references other than the five predefined ones are restricted-xml;
// syntax errors, mismatched tags, bad UTF-8, characters outside the XML
// Char production, undeclared prefixes and duplicate attributes are
// not-well-formed; exceeded limits are policy-violation, found without
// buffering more than the size limit plus a little.
//
// When the data ends inside an element, the parse goes on, once more has
// arrived, from the token the data ended in. To keep a slowly arriving
// element, or one long token, from being scanned over and over, a small
// resumable framer then finds where the element ends before the parse goes
// on; the parser alone decides what is valid.
//
// A Tokenizer waiting for input after everything it read was consumed holds
// no read buffer: see Tokenizer.BufferSize.
package xmltok
