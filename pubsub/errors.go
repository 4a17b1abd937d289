package pubsub

import (
	"errors"

	"github.com/gojabber/xmpp"
)

// Condition is an application-specific error condition of XEP-0060: the
// name of the element in the NSErrors namespace that a service adds to a
// stanza error (§7.1.3, §6.1.3 and the other error cases; schema in §20.5).
// It is an error, which an *[Error] matches under errors.Is:
//
//	if errors.Is(err, pubsub.ErrPreconditionNotMet) { ... }
type Condition string

// Error returns the condition with the package prefix.
func (c Condition) Error() string { return "pubsub: " + string(c) }

// The application conditions of XEP-0060 (§20.5).
const (
	ErrClosedNode                   Condition = "closed-node"
	ErrConfigurationRequired        Condition = "configuration-required"
	ErrInvalidJID                   Condition = "invalid-jid"
	ErrInvalidOptions               Condition = "invalid-options"
	ErrInvalidPayload               Condition = "invalid-payload"
	ErrInvalidSubID                 Condition = "invalid-subid"
	ErrItemForbidden                Condition = "item-forbidden"
	ErrItemRequired                 Condition = "item-required"
	ErrJIDRequired                  Condition = "jid-required"
	ErrMaxItemsExceeded             Condition = "max-items-exceeded"
	ErrMaxNodesExceeded             Condition = "max-nodes-exceeded"
	ErrNodeIDRequired               Condition = "nodeid-required"
	ErrNotInRosterGroup             Condition = "not-in-roster-group"
	ErrNotSubscribed                Condition = "not-subscribed"
	ErrPayloadTooBig                Condition = "payload-too-big"
	ErrPayloadRequired              Condition = "payload-required"
	ErrPendingSubscription          Condition = "pending-subscription"
	ErrPreconditionNotMet           Condition = "precondition-not-met"
	ErrPresenceSubscriptionRequired Condition = "presence-subscription-required"
	ErrSubIDRequired                Condition = "subid-required"
	ErrTooManySubscriptions         Condition = "too-many-subscriptions"
	ErrUnsupported                  Condition = "unsupported"
	ErrUnsupportedAccessModel       Condition = "unsupported-access-model"
)

// ErrNotSupported matches, under errors.Is, every error that says a feature
// is not supported: an *Error with condition unsupported (whose Feature
// names it), a stanza error feature-not-implemented or
// service-unavailable (RFC 6120 §8.3.3.19: the service does not offer the
// request's kind, as Prosody 0.12's PEP answers for the list of an
// entity's affiliations), and the errors of
// calls that found, before sending, that the service lacks what they need
// (PublishWith without publish-options support).
var ErrNotSupported = errors.New("pubsub: not supported")

// Error is a stanza error of a pubsub service, with its application
// condition. It unwraps to the *xmpp.StanzaError, so that errors.Is(err,
// xmpp.ErrItemNotFound) and the like hold too.
type Error struct {
	// Stanza is the stanza error as received.
	Stanza *xmpp.StanzaError
	// Condition is the application condition, "" when there was none.
	Condition Condition
	// Feature is the feature attribute of an unsupported condition: the
	// pubsub feature the service lacks, e.g. "publish-options".
	Feature string
}

// Error describes the stanza error and the application condition.
func (e *Error) Error() string {
	s := e.Stanza.Error()
	if e.Condition != "" {
		s += " [pubsub " + string(e.Condition)
		if e.Feature != "" {
			s += " feature " + e.Feature
		}
		s += "]"
	}
	return s
}

// Unwrap returns the stanza error.
func (e *Error) Unwrap() error { return e.Stanza }

// Is reports whether target is e's Condition, or ErrNotSupported for an
// unsupported condition or a feature-not-implemented or
// service-unavailable stanza error.
func (e *Error) Is(target error) bool {
	if target == ErrNotSupported {
		return e.Condition == ErrUnsupported || e.Stanza.Condition == xmpp.ErrFeatureNotImplemented ||
			e.Stanza.Condition == xmpp.ErrServiceUnavailable
	}
	c, ok := target.(Condition)
	return ok && c == e.Condition
}

// notSupported is the error of a call that found the service lacks a
// feature.
type notSupported struct{ feature, what string }

func (e *notSupported) Error() string {
	return "pubsub: " + e.what + " not supported (no feature " + e.feature + ")"
}
func (e *notSupported) Is(target error) bool { return target == ErrNotSupported }

// wrap turns a *xmpp.StanzaError in err into an *Error with its
// application condition; other errors are returned as they are.
func wrap(err error) error {
	var se *xmpp.StanzaError
	if !errors.As(err, &se) {
		return err
	}
	e := &Error{Stanza: se}
	for _, x := range se.Extensions {
		if x.Name.Space == NSErrors {
			e.Condition = Condition(x.Name.Local)
			e.Feature = x.Attr("feature")
			break
		}
	}
	return e
}
