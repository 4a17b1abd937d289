package last

import (
	"context"
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/gojabber/xmpp"
)

// NS is the namespace of XEP-0012.
const NS = "jabber:iq:last"

var request = func() xmpp.Element {
	el, err := xmpp.ParseElement("<query xmlns='" + NS + "'/>")
	if err != nil {
		panic(err) // a constant
	}
	return el
}()

// Get asks to for its last activity (§2): the time since then, in whole
// seconds, and the status text that came with it, if any. See the package
// documentation for what the time means for each kind of entity. A zero to
// asks the user's own server. An error reply is returned as an
// *xmpp.StanzaError: e.g. forbidden for a user whose presence the asker is
// not subscribed to (§3), service-unavailable for an entity that does not
// say. A reply that does not follow XEP-0012 (no <query
// xmlns='jabber:iq:last'/>, or one whose seconds attribute is missing or not
// a number of seconds) is an *xmpp.MalformedError.
func Get(ctx context.Context, s xmpp.Session, to xmpp.JID) (seconds time.Duration, status string, err error) {
	r, err := s.SendIQ(ctx, &xmpp.IQ{Header: xmpp.Header{To: to}, Type: xmpp.IQGet, Payload: request})
	if err != nil {
		return 0, "", err
	}
	return parse(r.Payload)
}

// maxSeconds is the largest seconds value a time.Duration holds.
const maxSeconds = math.MaxInt64 / int64(time.Second)

func parse(el xmpp.Element) (time.Duration, string, error) {
	if el.Name != (xml.Name{Space: NS, Local: "query"}) {
		if el.IsZero() {
			return 0, "", &xmpp.MalformedError{Spec: "XEP-0012", Reason: "result without <query xmlns='" + NS + "'/>"}
		}
		return 0, "", &xmpp.MalformedError{Spec: "XEP-0012", Reason: fmt.Sprintf("result payload is {%s}%s", el.Name.Space, el.Name.Local), Raw: el.Raw}
	}
	s := el.Attr("seconds")
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > maxSeconds || s[0] == '+' {
		return 0, "", &xmpp.MalformedError{Spec: "XEP-0012", Reason: fmt.Sprintf("seconds %q is not a non-negative integer", s), Raw: el.Raw}
	}
	return time.Duration(n) * time.Second, el.Text(), nil
}

// Register makes mux answer last activity requests with the time since
// idleSince() in whole seconds: the user's idle time, as a client answers
// for its full JID (§4). A zero idleSince() means the user is active now
// (seconds 0). It adds jabber:iq:last to the features of mux (§6).
//
// Idle time tells others when the user is away from the device; register
// only if the user agrees to share it (§8).
func Register(mux *xmpp.Mux, idleSince func() time.Time) {
	mux.HandleIQ(xmpp.IQGet, NS, "query", func(xmpp.Session, *xmpp.IQ) (*xmpp.IQ, error) {
		var secs int64
		if t := idleSince(); !t.IsZero() {
			secs = max(0, int64(time.Since(t)/time.Second))
		}
		el, err := xmpp.ParseElement("<query xmlns='" + NS + "' seconds='" + strconv.FormatInt(secs, 10) + "'/>")
		if err != nil {
			return nil, err
		}
		return &xmpp.IQ{Payload: el}, nil
	})
}
