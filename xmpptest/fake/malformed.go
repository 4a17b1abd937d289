package fake

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gojabber/xmpp"
)

// RequireMalformed fails the test unless err matches xmpp.ErrMalformed and
// is an *xmpp.MalformedError for the specification spec (e.g. "XEP-0030"),
// which it returns. format and args describe the call that returned err,
// e.g. "Parse(%s)", raw, for the failure message.
func RequireMalformed(tb testing.TB, err error, spec, format string, args ...any) *xmpp.MalformedError {
	tb.Helper()
	call := fmt.Sprintf(format, args...)
	if !errors.Is(err, xmpp.ErrMalformed) {
		tb.Fatalf("%s = %v, want an error matching xmpp.ErrMalformed", call, err)
	}
	me, ok := errors.AsType[*xmpp.MalformedError](err)
	if !ok {
		tb.Fatalf("%s = %v (%T), want an *xmpp.MalformedError", call, err, err)
	}
	if me.Spec != spec {
		tb.Fatalf("%s = %v, want a malformed %s payload", call, err, spec)
	}
	return me
}
