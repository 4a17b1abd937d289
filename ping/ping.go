package ping

import (
	"context"

	"github.com/gojabber/xmpp"
)

// NS is the namespace of XEP-0199.
const NS = "urn:xmpp:ping"

var request = func() xmpp.Element {
	el, err := xmpp.ParseElement("<ping xmlns='" + NS + "'/>")
	if err != nil {
		panic(err) // a constant
	}
	return el
}()

// Ping sends a ping to to and waits for the answer (§4.2–§4.4): nil for a
// result. A zero to pings the user's own server. An error reply is returned
// as an *xmpp.StanzaError, e.g. service-unavailable from an entity that
// does not support pings or a full JID that is not online. Mind that
// servers answer pings to the bare JID of their users on the users' behalf,
// even for accounts that do not exist (§4.3), so a result from a bare JID
// says nothing about the user.
func Ping(ctx context.Context, s xmpp.Session, to xmpp.JID) error {
	_, err := s.SendIQ(ctx, &xmpp.IQ{Header: xmpp.Header{To: to}, Type: xmpp.IQGet, Payload: request})
	return err
}

// Register makes mux answer pings with an empty result (§4.1, §4.4) and
// adds urn:xmpp:ping to its features (§5).
func Register(mux *xmpp.Mux) {
	mux.HandleIQ(xmpp.IQGet, NS, "ping", func(xmpp.Session, *xmpp.IQ) (*xmpp.IQ, error) {
		return &xmpp.IQ{}, nil
	})
}
