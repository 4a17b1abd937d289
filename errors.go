package xmpp

import (
	"errors"
	"fmt"
)

// ErrorType is the type attribute of a stanza <error/>: what the sender of
// the failed stanza may do about it (RFC 6120 §8.3.2).
type ErrorType string

// Stanza error types (RFC 6120 §8.3.2).
const (
	ErrorTypeAuth     ErrorType = "auth"     // retry after providing credentials
	ErrorTypeCancel   ErrorType = "cancel"   // do not retry: the error cannot be remedied
	ErrorTypeContinue ErrorType = "continue" // proceed: the condition was only a warning
	ErrorTypeModify   ErrorType = "modify"   // retry after changing the data sent
	ErrorTypeWait     ErrorType = "wait"     // retry after waiting: the error is temporary
)

// StanzaCondition is the defined condition of a stanza error: the name of
// the condition element in <error/> (RFC 6120 §8.3.3). It is an error
// itself, so that errors.Is finds a condition in the chain of an error
// holding a *StanzaError:
//
//	if errors.Is(err, xmpp.ErrItemNotFound) { ... }
//
// A condition a peer sends that RFC 6120 does not define is kept as it is.
type StanzaCondition string

// Error returns the condition with the package prefix, e.g.
// "xmpp: item-not-found".
func (c StanzaCondition) Error() string { return "xmpp: " + string(c) }

// defaultType returns the error type RFC 6120 §8.3.3 gives the condition
// (where it allows two, the first).
func (c StanzaCondition) defaultType() ErrorType {
	switch c {
	case ErrBadRequest, ErrJIDMalformed, ErrNotAcceptable, ErrPolicyViolation, ErrRedirect:
		return ErrorTypeModify
	case ErrForbidden, ErrNotAuthorized, ErrRegistrationRequired, ErrSubscriptionRequired:
		return ErrorTypeAuth
	case ErrRecipientUnavailable, ErrRemoteServerTimeout, ErrResourceConstraint, ErrUnexpectedRequest:
		return ErrorTypeWait
	}
	return ErrorTypeCancel
}

// The defined stanza error conditions of RFC 6120 §8.3.3.
const (
	ErrBadRequest            StanzaCondition = "bad-request"             // §8.3.3.1
	ErrConflict              StanzaCondition = "conflict"                // §8.3.3.2
	ErrFeatureNotImplemented StanzaCondition = "feature-not-implemented" // §8.3.3.3
	ErrForbidden             StanzaCondition = "forbidden"               // §8.3.3.4
	ErrGone                  StanzaCondition = "gone"                    // §8.3.3.5
	ErrInternalServerError   StanzaCondition = "internal-server-error"   // §8.3.3.6
	ErrItemNotFound          StanzaCondition = "item-not-found"          // §8.3.3.7
	ErrJIDMalformed          StanzaCondition = "jid-malformed"           // §8.3.3.8
	ErrNotAcceptable         StanzaCondition = "not-acceptable"          // §8.3.3.9
	ErrNotAllowed            StanzaCondition = "not-allowed"             // §8.3.3.10
	ErrNotAuthorized         StanzaCondition = "not-authorized"          // §8.3.3.11
	ErrPolicyViolation       StanzaCondition = "policy-violation"        // §8.3.3.12
	ErrRecipientUnavailable  StanzaCondition = "recipient-unavailable"   // §8.3.3.13
	ErrRedirect              StanzaCondition = "redirect"                // §8.3.3.14
	ErrRegistrationRequired  StanzaCondition = "registration-required"   // §8.3.3.15
	ErrRemoteServerNotFound  StanzaCondition = "remote-server-not-found" // §8.3.3.16
	ErrRemoteServerTimeout   StanzaCondition = "remote-server-timeout"   // §8.3.3.17
	ErrResourceConstraint    StanzaCondition = "resource-constraint"     // §8.3.3.18
	ErrServiceUnavailable    StanzaCondition = "service-unavailable"     // §8.3.3.19
	ErrSubscriptionRequired  StanzaCondition = "subscription-required"   // §8.3.3.20
	ErrUndefinedCondition    StanzaCondition = "undefined-condition"     // §8.3.3.21
	ErrUnexpectedRequest     StanzaCondition = "unexpected-request"      // §8.3.3.22
)

// StanzaError is an <error/> child of a stanza (RFC 6120 §8.3). A reply of
// type "error" to SendIQ is returned as a *StanzaError, which matches its
// Condition under errors.Is.
type StanzaError struct {
	// Type is one of the ErrorType constants.
	Type ErrorType
	// Condition is the defined condition, e.g. ErrServiceUnavailable
	// (RFC 6120 §8.3.3). The Encoder writes an empty Condition as
	// ErrUndefinedCondition.
	Condition StanzaCondition
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

// Is reports whether target is the StanzaCondition e.Condition, so that
// errors.Is(err, ErrItemNotFound) holds for an error carrying a stanza
// error of that condition.
func (e *StanzaError) Is(target error) bool {
	c, ok := target.(StanzaCondition)
	return ok && c == e.Condition
}

// StreamCondition is the defined condition of a stream error: the name of
// the condition element in <stream:error/> (RFC 6120 §4.9.3). Like
// StanzaCondition it is an error, which a *StreamError matches under
// errors.Is. A condition a peer sends that RFC 6120 does not define is
// kept as it is.
type StreamCondition string

// Error returns the condition with the package prefix, e.g.
// "xmpp: stream error see-other-host".
func (c StreamCondition) Error() string { return "xmpp: stream error " + string(c) }

// The defined stream error conditions of RFC 6120 §4.9.3.
const (
	CondBadFormat              StreamCondition = "bad-format"               // §4.9.3.1
	CondBadNamespacePrefix     StreamCondition = "bad-namespace-prefix"     // §4.9.3.2
	CondConflict               StreamCondition = "conflict"                 // §4.9.3.3
	CondConnectionTimeout      StreamCondition = "connection-timeout"       // §4.9.3.4
	CondHostGone               StreamCondition = "host-gone"                // §4.9.3.5
	CondHostUnknown            StreamCondition = "host-unknown"             // §4.9.3.6
	CondImproperAddressing     StreamCondition = "improper-addressing"      // §4.9.3.7
	CondInternalServerError    StreamCondition = "internal-server-error"    // §4.9.3.8
	CondInvalidFrom            StreamCondition = "invalid-from"             // §4.9.3.9
	CondInvalidNamespace       StreamCondition = "invalid-namespace"        // §4.9.3.10
	CondInvalidXML             StreamCondition = "invalid-xml"              // §4.9.3.11
	CondNotAuthorized          StreamCondition = "not-authorized"           // §4.9.3.12
	CondNotWellFormed          StreamCondition = "not-well-formed"          // §4.9.3.13
	CondPolicyViolation        StreamCondition = "policy-violation"         // §4.9.3.14
	CondRemoteConnectionFailed StreamCondition = "remote-connection-failed" // §4.9.3.15
	CondReset                  StreamCondition = "reset"                    // §4.9.3.16
	CondResourceConstraint     StreamCondition = "resource-constraint"      // §4.9.3.17
	CondRestrictedXML          StreamCondition = "restricted-xml"           // §4.9.3.18
	CondSeeOtherHost           StreamCondition = "see-other-host"           // §4.9.3.19
	CondSystemShutdown         StreamCondition = "system-shutdown"          // §4.9.3.20
	CondUndefinedCondition     StreamCondition = "undefined-condition"      // §4.9.3.21
	CondUnsupportedEncoding    StreamCondition = "unsupported-encoding"     // §4.9.3.22
	CondUnsupportedFeature     StreamCondition = "unsupported-feature"      // §4.9.3.23
	CondUnsupportedStanzaType  StreamCondition = "unsupported-stanza-type"  // §4.9.3.24
	CondUnsupportedVersion     StreamCondition = "unsupported-version"      // §4.9.3.25
)

// StreamError is a stream-level error (RFC 6120 §4.9): either one the peer
// sent in <stream:error/>, or one the decoder found in the peer's XML, in
// which case Err holds the detail and Offset the byte offset in the stream.
// It matches its Condition under errors.Is.
type StreamError struct {
	// Condition is the defined condition, e.g. CondNotWellFormed.
	Condition StreamCondition
	// Text is the optional human-readable description.
	Text string
	// SeeOtherHost is the host to reconnect to, for CondSeeOtherHost.
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
	return "xmpp: stream error " + string(e.Condition)
}

// Unwrap returns Err.
func (e *StreamError) Unwrap() error { return e.Err }

// Is reports whether target is the StreamCondition e.Condition.
func (e *StreamError) Is(target error) bool {
	c, ok := target.(StreamCondition)
	return ok && c == e.Condition
}

// Sentinel errors.
var (
	// ErrInvalidJID is wrapped by every JID parsing error.
	ErrInvalidJID = errors.New("xmpp: invalid JID")

	// ErrNilStanza is returned by Send and by Encoder.Encode for a nil
	// stanza, or a nil *Message, *Presence or *IQ.
	ErrNilStanza = errors.New("xmpp: nil stanza")

	// ErrUnsupportedStanza is wrapped by the error of Encoder.Encode (and
	// so of Send) for a Stanza that is not a *Message, *Presence or *IQ,
	// or whose Type is not one of its type's constants; and by the error
	// of DecodeStanza for an element that is not a stanza.
	ErrUnsupportedStanza = errors.New("xmpp: unsupported stanza")

	// ErrNoService is wrapped by the error of Dial when the domain says,
	// with an SRV target of ".", that it offers no XMPP client service
	// (RFC 6120 §3.2.1).
	ErrNoService = errors.New("xmpp: no XMPP client service for the domain")

	// ErrBadAddress is wrapped by the error of Dial for a host:port that
	// cannot be used: an invalid Options.Server, or an invalid
	// see-other-host from the server (RFC 6120 §4.9.3.19).
	ErrBadAddress = errors.New("xmpp: invalid server address")

	// ErrSessionRunning is wrapped by the error of Resume for a session
	// that has not ended.
	ErrSessionRunning = errors.New("xmpp: the session has not ended")

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
