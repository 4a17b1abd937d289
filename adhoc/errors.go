package adhoc

import (
	"errors"

	"github.com/gojabber/xmpp"
)

// Condition is one of the specific error conditions of XEP-0050 (§4.4): an
// element of the commands namespace that a stanza error carries after its
// defined condition. It is an error itself, which an *Error matches under
// errors.Is; a HandlerFunc may return one, and the Commands answer it as
// the stanza error of [Condition.StanzaError].
type Condition string

// The specific conditions of §4.4.
const (
	// ErrMalformedAction: the responder does not understand the action.
	ErrMalformedAction Condition = "malformed-action"
	// ErrBadAction: the responder cannot accept the action at this stage.
	ErrBadAction Condition = "bad-action"
	// ErrBadLocale: the responder cannot accept the language (§3.7).
	ErrBadLocale Condition = "bad-locale"
	// ErrBadPayload: the responder cannot accept the payload, e.g. a form
	// without a required field.
	ErrBadPayload Condition = "bad-payload"
	// ErrBadSessionID: the responder cannot accept the session id.
	ErrBadSessionID Condition = "bad-sessionid"
	// ErrSessionExpired: the session is no longer active: completed,
	// canceled or timed out.
	ErrSessionExpired Condition = "session-expired"
)

// Error returns the condition with the package prefix, e.g.
// "adhoc: bad-sessionid".
func (c Condition) Error() string { return "adhoc: " + string(c) }

// StanzaCondition returns the defined condition that goes with c (§4.4):
// not-allowed for ErrSessionExpired, bad-request for the others.
func (c Condition) StanzaCondition() xmpp.StanzaCondition {
	if c == ErrSessionExpired {
		return xmpp.ErrNotAllowed
	}
	return xmpp.ErrBadRequest
}

// StanzaError returns the stanza error that reports c (§4.4): the defined
// condition of [Condition.StanzaCondition] with its error type (cancel for
// ErrSessionExpired, modify for the others), c as the application-specific
// condition, and text as the description ("" for none).
func (c Condition) StanzaError(text string) *xmpp.StanzaError {
	typ := xmpp.ErrorTypeModify
	if c == ErrSessionExpired {
		typ = xmpp.ErrorTypeCancel
	}
	el, err := xmpp.ParseElement("<" + string(c) + " xmlns='" + NS + "'/>")
	se := &xmpp.StanzaError{Type: typ, Condition: c.StanzaCondition(), Text: text}
	if err == nil { // only a Condition that is no XML name fails
		se.Extensions = []xmpp.Element{el}
	}
	return se
}

// Error is a stanza error reply that carries a specific condition of
// XEP-0050 (§4.4). It wraps the stanza error, so that errors.As finds the
// *xmpp.StanzaError and errors.Is its defined condition, and it matches its
// Condition under errors.Is:
//
//	if errors.Is(err, adhoc.ErrSessionExpired) { ... start again ... }
type Error struct {
	// Condition is the specific condition.
	Condition Condition
	// Stanza is the stanza error as received.
	Stanza *xmpp.StanzaError
}

// Error returns "adhoc: <condition>: " followed by the stanza error.
func (e *Error) Error() string { return "adhoc: " + string(e.Condition) + ": " + e.Stanza.Error() }

// Unwrap returns the stanza error.
func (e *Error) Unwrap() error { return e.Stanza }

// Is reports whether target is e's Condition.
func (e *Error) Is(target error) bool {
	c, ok := target.(Condition)
	return ok && c == e.Condition
}

// wrapError returns err as an *Error when it holds a *xmpp.StanzaError with
// an application-specific condition of the commands namespace, and
// unchanged otherwise.
func wrapError(err error) error {
	var se *xmpp.StanzaError
	if !errors.As(err, &se) {
		return err
	}
	for _, el := range se.Extensions {
		if el.Name.Space == NS {
			return &Error{Condition: Condition(el.Name.Local), Stanza: se}
		}
	}
	return err
}
