package xmpp_test

import (
	"errors"
	"fmt"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
)

func TestMalformedError(t *testing.T) {
	t.Parallel()
	_, cause := strconv.Atoi("x")
	for _, tc := range []struct {
		err  *xmpp.MalformedError
		want string
	}{
		{&xmpp.MalformedError{Spec: "XEP-0030", Reason: "feature without var"}, "xmpp: malformed XEP-0030 payload: feature without var"},
		{&xmpp.MalformedError{Spec: "XEP-0059", Reason: "<max/>", Err: cause}, "xmpp: malformed XEP-0059 payload: <max/>: " + cause.Error()},
	} {
		require.Equal(t, tc.want, tc.err.Error(), "%#v.Error()", tc.err)
		wrapped := fmt.Errorf("query: %w", tc.err)
		require.ErrorIs(t, wrapped, xmpp.ErrMalformed, "errors.Is(%v, ErrMalformed)", wrapped)
		me, ok := errors.AsType[*xmpp.MalformedError](wrapped)
		require.True(t, ok, "errors.As(%v) found no *MalformedError", wrapped)
		require.Equal(t, tc.err.Spec, me.Spec)
		require.Equal(t, tc.err.Err, errors.Unwrap(tc.err), "Unwrap(%v)", tc.err)
	}
	require.NotErrorIs(t, errors.New("xmpp: malformed payload"), xmpp.ErrMalformed, "another error with the same text")
	require.NotErrorIs(t, &xmpp.StanzaError{Condition: "bad-request"}, xmpp.ErrMalformed)
}

// Every feature package returns an *xmpp.MalformedError for bad input:
// errors.Is tells it from a failed round trip, errors.As names the
// specification.
func ExampleMalformedError() {
	// As disco.GetInfo returns it for a reply with a <feature/> without var.
	var err error = fmt.Errorf("disco: %w", &xmpp.MalformedError{
		Spec:   "XEP-0030",
		Reason: "feature without var",
		Raw:    "<query xmlns='http://jabber.org/protocol/disco#info'><feature/></query>",
	})
	var se *xmpp.StanzaError
	switch me, ok := errors.AsType[*xmpp.MalformedError](err); {
	case ok:
		fmt.Println("the peer broke", me.Spec+":", me.Reason)
	case errors.As(err, &se):
		fmt.Println("the peer refused:", se.Condition)
	}
	fmt.Println(errors.Is(err, xmpp.ErrMalformed))
	// Output:
	// the peer broke XEP-0030: feature without var
	// true
}
