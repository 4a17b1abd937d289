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
// To keep a slowly arriving element from being parsed over and over, a
// small resumable framer finds where it ends before the full parse runs
// again; the parser alone decides what is valid.
package xmltok
