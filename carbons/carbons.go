package carbons

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/delay"
	"github.com/gojabber/xmpp/forward"
)

// NS is the namespace of XEP-0280, which the server announces in its
// service discovery features.
const NS = "urn:xmpp:carbons:2"

// nsHints is the namespace of XEP-0334: Message Processing Hints.
const nsHints = "urn:xmpp:hints"

// Errors of [Unwrap]. A malformed carbon is an *xmpp.MalformedError instead,
// matching xmpp.ErrMalformed.
var (
	// ErrNotCarbon means the message holds no <received/> or <sent/>.
	ErrNotCarbon = errors.New("carbons: not a carbon")
	// ErrForged means the message looks like a carbon but does not come
	// from the account's bare JID, and must be ignored.
	ErrForged = errors.New("carbons: carbon not from the account's bare JID")
)

// Direction says which way a copied message went.
type Direction int

const (
	// Received is a copy of a message another resource received.
	Received Direction = iota + 1
	// Sent is a copy of a message another resource sent.
	Sent
)

func (d Direction) String() string {
	switch d {
	case Received:
		return "received"
	case Sent:
		return "sent"
	}
	return fmt.Sprintf("Direction(%d)", int(d))
}

// Carbon is an unwrapped carbon copy.
type Carbon struct {
	Direction Direction
	// Message is the copied message, as the other resource got or sent it.
	Message *xmpp.Message
	// Delay is the forwarded <delay/>, if the server added one.
	Delay *delay.Delay
}

var (
	enable     = mustParse("<enable xmlns='" + NS + "'/>")
	disable    = mustParse("<disable xmlns='" + NS + "'/>")
	private    = mustParse("<private xmlns='" + NS + "'/>")
	noCopy     = mustParse("<no-copy xmlns='" + nsHints + "'/>")
	directions = map[string]Direction{"received": Received, "sent": Sent}
)

func mustParse(raw string) xmpp.Element {
	el, err := xmpp.ParseElement(raw)
	if err != nil {
		panic(err)
	}
	return el
}

// Enable turns carbons on for the session s. A server without carbons
// answers with a *xmpp.StanzaError.
func Enable(ctx context.Context, s xmpp.Session) error {
	_, err := s.SendIQ(ctx, &xmpp.IQ{Type: xmpp.IQSet, Payload: enable})
	return err
}

// Disable turns carbons off for the session s.
func Disable(ctx context.Context, s xmpp.Session) error {
	_, err := s.SendIQ(ctx, &xmpp.IQ{Type: xmpp.IQSet, Payload: disable})
	return err
}

// Unwrap returns the carbon m carries, if m was received by the session
// bound to account (any JID of the account will do; its bare JID is used).
// It returns an error wrapping ErrNotCarbon for an ordinary message,
// ErrForged for a carbon whose outer from is not the account's bare JID,
// and an *xmpp.MalformedError (XEP-0280) for one that cannot be decoded.
func Unwrap(m *xmpp.Message, account xmpp.JID) (Carbon, error) {
	var wrapper xmpp.Element
	var dir Direction
	for _, el := range m.Extensions {
		if el.Name.Space == NS {
			if d, ok := directions[el.Name.Local]; ok {
				wrapper, dir = el, d
				break
			}
		}
	}
	if dir == 0 {
		return Carbon{}, ErrNotCarbon
	}
	if account.IsZero() || m.From != account.Bare() {
		return Carbon{}, fmt.Errorf("%w: from %q", ErrForged, m.From.String())
	}
	fw, ok := wrapper.Child(forward.NS, "forwarded")
	if !ok {
		return Carbon{}, &xmpp.MalformedError{Spec: "XEP-0280", Reason: fmt.Sprintf("<%s/> without <forwarded/>", dir), Raw: wrapper.Raw}
	}
	f, err := forward.Parse(fw)
	if err != nil {
		return Carbon{}, &xmpp.MalformedError{Spec: "XEP-0280", Reason: fmt.Sprintf("<%s/>", dir), Raw: wrapper.Raw, Err: err}
	}
	return Carbon{Direction: dir, Message: f.Message, Delay: f.Delay}, nil
}

// From returns the carbon m carries, or false when m is none or is forged
// or malformed; see [Unwrap].
func From(m *xmpp.Message, account xmpp.JID) (Carbon, bool) {
	cb, err := Unwrap(m, account)
	return cb, err == nil
}

// Stats counts the messages a handler installed by [Register] dropped.
// Its methods are safe for concurrent use.
type Stats struct {
	forged    atomic.Uint64
	malformed atomic.Uint64
}

// Forged returns how many carbons were dropped for not coming from the
// account's bare JID.
func (s *Stats) Forged() uint64 { return s.forged.Load() }

// Malformed returns how many carbons from the right sender were dropped as
// undecodable.
func (s *Stats) Malformed() uint64 { return s.malformed.Load() }

// Register intercepts carbons on mux (xmpp.Mux.InterceptMessage): it calls h
// with each carbon the session receives, unwrapped, and drops forged and
// malformed ones, counting them in the returned Stats. The wrapping message
// is consumed either way, so the other message handlers of mux never see a
// carbon, forged or not, as a message of its own. h gets the session the
// carbon came on. Carbons stay off until [Enable] is called.
func Register(mux *xmpp.Mux, h func(s xmpp.Session, cb Carbon)) *Stats {
	stats := new(Stats)
	mux.InterceptMessage(func(s xmpp.Session, m *xmpp.Message) bool {
		cb, err := Unwrap(m, s.JID())
		switch {
		case err == nil:
			h(s, cb)
		case errors.Is(err, ErrForged):
			stats.forged.Add(1)
		case errors.Is(err, xmpp.ErrMalformed):
			stats.malformed.Add(1)
		default: // not a carbon
			return false
		}
		return true
	})
	return stats
}

// HasPrivate reports whether m carries <private/>.
func HasPrivate(m *xmpp.Message) bool {
	for _, el := range m.Extensions {
		if el.Name.Space == NS && el.Name.Local == "private" {
			return true
		}
	}
	return false
}

// AddPrivate marks m so that the server does not copy it to the account's
// other resources: it adds <private/> and, as the XEP's example does, the
// <no-copy/> hint of XEP-0334. It leaves m alone if it is already
// private.
func AddPrivate(m *xmpp.Message) {
	if HasPrivate(m) {
		return
	}
	m.Extensions = append(m.Extensions, private)
	for _, el := range m.Extensions {
		if el.Name.Space == nsHints && el.Name.Local == "no-copy" {
			return
		}
	}
	m.Extensions = append(m.Extensions, noCopy)
}
