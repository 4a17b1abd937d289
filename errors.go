package xmpp

import (
	"errors"
	"fmt"
)

// Stanza error types (RFC 6120 §8.3.2).
const (
	ErrorTypeAuth     = "auth"
	ErrorTypeCancel   = "cancel"
	ErrorTypeContinue = "continue"
	ErrorTypeModify   = "modify"
	ErrorTypeWait     = "wait"
)

// StanzaError is an <error/> child of a stanza (RFC 6120 §8.3). A reply of
// type "error" to SendIQ is returned as a *StanzaError.
type StanzaError struct {
	// Type is one of the ErrorType constants.
	Type string
	// Condition is the defined condition's element name, e.g.
	// "service-unavailable" (RFC 6120 §8.3.3).
	Condition string
	// Text is the optional human-readable description.
	Text string
	// Lang is the xml:lang of Text, if any.
	Lang string
	// By is the by attribute: the entity that generated the error.
	By JID
	// Extensions are application-specific condition elements (§8.3.2).
	Extensions []Element
}

func (e *StanzaError) Error() string {
	if e.Text != "" {
		return fmt.Sprintf("xmpp: stanza error %s (%s): %s", e.Condition, e.Type, e.Text)
	}
	return fmt.Sprintf("xmpp: stanza error %s (%s)", e.Condition, e.Type)
}

// Stream error conditions used by the library (RFC 6120 §4.9.3).
const (
	CondBadFormat           = "bad-format"
	CondConflict            = "conflict"
	CondInvalidNamespace    = "invalid-namespace"
	CondInvalidXML          = "invalid-xml"
	CondNotAuthorized       = "not-authorized"
	CondNotWellFormed       = "not-well-formed"
	CondPolicyViolation     = "policy-violation"
	CondRestrictedXML       = "restricted-xml"
	CondSeeOtherHost        = "see-other-host"
	CondUnsupportedEncoding = "unsupported-encoding"
	CondUnsupportedVersion  = "unsupported-version"
	CondUndefinedCondition  = "undefined-condition"
)

// StreamError is a stream-level error (RFC 6120 §4.9): either one the peer
// sent in <stream:error/>, or one the decoder found in the peer's XML, in
// which case Err holds the detail and Offset the byte offset in the stream.
type StreamError struct {
	// Condition is the defined condition, e.g. "not-well-formed".
	Condition string
	// Text is the optional human-readable description.
	Text string
	// SeeOtherHost is the host to reconnect to, for "see-other-host".
	SeeOtherHost string
	// Offset is the byte offset in the input where a local decoding error
	// was found, or -1.
	Offset int64
	// Err is the underlying cause of a locally detected error, if any.
	Err error
}

func (e *StreamError) Error() string {
	switch {
	case e.Err != nil && e.Offset >= 0:
		return fmt.Sprintf("xmpp: stream error %s at byte %d: %v", e.Condition, e.Offset, e.Err)
	case e.Err != nil:
		return fmt.Sprintf("xmpp: stream error %s: %v", e.Condition, e.Err)
	case e.Text != "":
		return fmt.Sprintf("xmpp: stream error %s: %s", e.Condition, e.Text)
	}
	return "xmpp: stream error " + e.Condition
}

func (e *StreamError) Unwrap() error { return e.Err }

// Sentinel errors.
var (
	// ErrInvalidJID is wrapped by every JID parsing error.
	ErrInvalidJID = errors.New("xmpp: invalid JID")

	// ErrMalformed matches, with errors.Is, every *MalformedError: a
	// payload that breaks its specification.
	ErrMalformed = errors.New("xmpp: malformed payload")
)

// MalformedError is a payload that does not follow its specification: an
// element a feature package was asked to read (a reply, a push, a message
// extension) or to build from values that the specification does not allow.
// Every feature package returns one for bad input, so that errors.Is(err,
// ErrMalformed) tells bad input from a failed round trip, and errors.As
// finds which specification was broken.
type MalformedError struct {
	// Spec names the specification that the payload breaks, e.g.
	// "XEP-0030" or "RFC 6121".
	Spec string
	// Reason says what is wrong.
	Reason string
	// Raw is the offending element as received, "" if there was none
	// (a missing payload, or a value being built).
	Raw string
	// Err is the underlying error, e.g. a JID or time parsing error or
	// the *MalformedError of a nested payload; it may be nil.
	Err error
}

// Error returns "xmpp: malformed <Spec> payload: <Reason>", followed by the
// underlying error if there is one.
func (e *MalformedError) Error() string {
	s := "xmpp: malformed " + e.Spec + " payload: " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *MalformedError) Unwrap() error { return e.Err }

// Is reports whether target is ErrMalformed.
func (e *MalformedError) Is(target error) bool { return target == ErrMalformed }
