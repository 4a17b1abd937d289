package chatstates

import (
	"fmt"

	"github.com/gojabber/xmpp"
)

// NS is the namespace of XEP-0085, also its service discovery feature.
const NS = "http://jabber.org/protocol/chatstates"

// State is a chat state (XEP-0085), named as its element.
type State string

// The chat states.
const (
	Active    State = "active"    // the user takes part in the chat
	Composing State = "composing" // the user is writing a message
	Paused    State = "paused"    // the user stopped writing for a while
	Inactive  State = "inactive"  // the user has not taken part for a while
	Gone      State = "gone"      // the user has ended the chat
)

// elements holds the one element of each state, built once.
var elements = func() map[State]xmpp.Element {
	m := make(map[State]xmpp.Element, 5)
	for _, s := range []State{Active, Composing, Paused, Inactive, Gone} {
		el, err := xmpp.ParseElement("<" + string(s) + " xmlns='" + NS + "'/>")
		if err != nil {
			panic(err)
		}
		m[s] = el
	}
	return m
}()

// Valid reports whether s is one of the five chat states.
func (s State) Valid() bool {
	_, ok := elements[s]
	return ok
}

// Element returns the state's element, to add to a message's Extensions. It
// fails with an *xmpp.MalformedError for a State that is not one of the five
// constants.
func (s State) Element() (xmpp.Element, error) {
	el, ok := elements[s]
	if !ok {
		return xmpp.Element{}, &xmpp.MalformedError{Spec: "XEP-0085", Reason: fmt.Sprintf("unknown chat state %q", string(s))}
	}
	return el, nil
}

// Parse returns the chat state that el is. Any other element is an
// *xmpp.MalformedError.
func Parse(el xmpp.Element) (State, error) {
	s := State(el.Name.Local)
	if el.Name.Space != NS || !s.Valid() {
		return "", &xmpp.MalformedError{Spec: "XEP-0085", Reason: fmt.Sprintf("<%s xmlns='%s'> is not a chat state", el.Name.Local, el.Name.Space), Raw: el.Raw}
	}
	return s, nil
}

// From returns the chat state m carries. A message carries at most one
// chat state; if a sender put in more, the first valid one is returned.
func From(m *xmpp.Message) (State, bool) {
	for _, el := range m.Extensions {
		if el.Name.Space == NS {
			if s, err := Parse(el); err == nil {
				return s, true
			}
		}
	}
	return "", false
}

// Add adds the chat state s to m, replacing any chat state m had (a message
// carries at most one).
func Add(m *xmpp.Message, s State) error {
	el, err := s.Element()
	if err != nil {
		return err
	}
	exts := m.Extensions[:0:0]
	for _, e := range m.Extensions {
		if e.Name.Space != NS {
			exts = append(exts, e)
		}
	}
	m.Extensions = append(exts, el)
	return nil
}

// Register adds the chat states feature to mux: a client that sends and
// understands chat states advertises it.
func Register(mux *xmpp.Mux) {
	mux.AddFeature(NS)
}
