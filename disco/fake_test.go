package disco_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/disco"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

const peer = "bob@example.test/laptop"

// answer makes s answer every IQ request with reply(iq) and returns the
// requests it answered.
func answer(s *fake.Server, reply func(iq *xmpp.IQ) string) func() []*xmpp.IQ {
	var mu sync.Mutex
	var got []*xmpp.IQ
	s.AnswerIQs(func(iq *xmpp.IQ) (string, bool) {
		mu.Lock()
		got = append(got, iq)
		mu.Unlock()
		return reply(iq), true
	})
	return func() []*xmpp.IQ {
		mu.Lock()
		defer mu.Unlock()
		return got
	}
}

func errorReply(iq *xmpp.IQ, typ, condition string) string {
	return "<iq type='error' id='" + iq.ID + "' from='" + iq.To.String() + "'><error type='" + typ + "'><" +
		condition + " xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
}

// A peer's disco#info request is answered with exactly the features of
// the handlers on the Mux; other requests get service-unavailable.
func TestPeerRequests(t *testing.T) {
	t.Parallel()
	mux := xmpp.NewMux()
	mux.HandleIQ(xmpp.IQGet, "urn:xmpp:ping", "ping", func(xmpp.Session, *xmpp.IQ) (*xmpp.IQ, error) { return &xmpp.IQ{}, nil })
	disco.Register(mux, disco.Identity{Category: "client", Type: "bot", Name: "test"})
	_, s := fake.Start(t, "alice@example.test/phone", &xmpp.Options{Handler: mux})

	s.Send(`<iq type='get' id='info1' from='` + peer + `' to='alice@example.test/phone'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	r := s.ExpectIQ(t.Context(), 0, "", "")
	require.Equal(t, xmpp.IQResult, r.Type, "reply %+v", r)
	require.Equal(t, "info1", r.ID)
	require.Equal(t, peer, r.To.String())
	require.Equal(t, `<query xmlns='http://jabber.org/protocol/disco#info'>`+
		`<identity category='client' type='bot' name='test'/>`+
		`<feature var='http://jabber.org/protocol/disco#info'/>`+
		`<feature var='http://jabber.org/protocol/disco#items'/>`+
		`<feature var='urn:xmpp:ping'/>`+
		`</query>`, r.Payload.Raw)

	s.Send(`<iq type='get' id='items1' from='` + peer + `'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`)
	r = s.ExpectIQ(t.Context(), 0, "", "")
	require.Equal(t, xmpp.IQResult, r.Type, "reply %+v", r)
	require.Equal(t, `<query xmlns='http://jabber.org/protocol/disco#items'/>`, r.Payload.Raw)

	s.Send(`<iq type='get' id='node1' from='` + peer + `'><query xmlns='http://jabber.org/protocol/disco#info' node='unknown'/></iq>`)
	r = s.ExpectIQ(t.Context(), 0, "", "")
	require.Equal(t, xmpp.IQError, r.Type)
	require.Equal(t, xmpp.ErrItemNotFound, r.Error.Condition)

	s.Send(`<iq type='get' id='other1' from='` + peer + `'><query xmlns='urn:example:unknown'/></iq>`)
	r = s.ExpectIQ(t.Context(), 0, "", "")
	require.Equal(t, xmpp.IQError, r.Type)
	require.Equal(t, "other1", r.ID)
	require.Equal(t, xmpp.ErrServiceUnavailable, r.Error.Condition)
}

func TestGetInfo(t *testing.T) {
	t.Parallel()
	c, s := fake.Start(t, "alice@example.test/phone", nil)
	requests := answer(s, func(iq *xmpp.IQ) string {
		return fake.Result(iq, `<query xmlns='http://jabber.org/protocol/disco#info' node='n1'>`+
			`<identity category='client' type='pc' name='Psi' xml:lang='en'/>`+
			`<feature var='urn:xmpp:ping'/>`+
			`<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>urn:x</value></field></x>`+
			`</query>`)
	})
	info, err := disco.GetInfo(t.Context(), c, xmpp.MustParseJID(peer), "n1")
	require.NoError(t, err)
	require.Equal(t, []disco.Identity{{Category: "client", Type: "pc", Name: "Psi", Lang: "en"}}, info.Identities)
	require.Equal(t, []string{"urn:xmpp:ping"}, info.Features)
	require.Len(t, info.Forms, 1)

	reqs := requests()
	require.Len(t, reqs, 1)
	require.Equal(t, xmpp.IQGet, reqs[0].Type)
	require.Equal(t, peer, reqs[0].To.String())
	require.Equal(t, `<query xmlns='http://jabber.org/protocol/disco#info' node='n1'/>`, reqs[0].Payload.Raw)
}

func TestGetItems(t *testing.T) {
	t.Parallel()
	c, s := fake.Start(t, "alice@example.test/phone", nil)
	requests := answer(s, func(iq *xmpp.IQ) string {
		return fake.Result(iq, `<query xmlns='http://jabber.org/protocol/disco#items'>`+
			`<item jid='conference.example.test' name='Rooms'/><item jid='example.test' node='announce'/></query>`)
	})
	items, err := disco.GetItems(t.Context(), c, xmpp.MustParseJID("example.test"), "")
	require.NoError(t, err)
	require.Equal(t, []disco.Item{
		{JID: xmpp.MustParseJID("conference.example.test"), Name: "Rooms"},
		{JID: xmpp.MustParseJID("example.test"), Node: "announce"},
	}, items)
	require.Equal(t, `<query xmlns='http://jabber.org/protocol/disco#items'/>`, requests()[0].Payload.Raw)
}

func TestGetErrors(t *testing.T) {
	t.Parallel()
	replies := map[string]func(iq *xmpp.IQ) string{
		"item-not-found": func(iq *xmpp.IQ) string { return errorReply(iq, "cancel", "item-not-found") },
		"no-payload":     func(iq *xmpp.IQ) string { return fake.Result(iq, "") },
		"wrong-payload":  func(iq *xmpp.IQ) string { return fake.Result(iq, `<query xmlns='jabber:iq:version'/>`) },
		"bad-identity": func(iq *xmpp.IQ) string {
			return fake.Result(iq, `<query xmlns='`+iq.Payload.Name.Space+`'><identity/><item/></query>`)
		},
		"bad-feature-var": func(iq *xmpp.IQ) string {
			return fake.Result(iq, `<query xmlns='`+iq.Payload.Name.Space+`'><feature/><item jid='@'/></query>`)
		},
	}
	for name, reply := range replies {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, s := fake.Start(t, "alice@example.test/phone", nil)
			answer(s, reply)
			to := xmpp.MustParseJID(peer)
			_, infoErr := disco.GetInfo(t.Context(), c, to, "")
			_, itemsErr := disco.GetItems(t.Context(), c, to, "")
			for _, err := range []error{infoErr, itemsErr} {
				if name == "item-not-found" {
					var se *xmpp.StanzaError
					require.True(t, errors.As(err, &se), "error %v (%T), want a *xmpp.StanzaError", err, err)
					require.Equal(t, xmpp.ErrItemNotFound, se.Condition)
					continue
				}
				fake.RequireMalformed(t, err, "XEP-0030", "disco.GetInfo or GetItems (%s)", name)
			}
		})
	}
}

// staticNode is a NodeHandler with fixed answers.
type staticNode struct {
	info  disco.Info
	items []disco.Item
	err   error
}

func (n staticNode) NodeInfo(xmpp.Session, xmpp.JID, string) (disco.Info, error) {
	return n.info, n.err
}
func (n staticNode) NodeItems(xmpp.Session, xmpp.JID, string) ([]disco.Item, error) {
	return n.items, n.err
}

// HandleNode gives a node its own answers, errors included, and a nil
// NodeHandler removes the node again.
func TestHandleNode(t *testing.T) {
	t.Parallel()
	mux := xmpp.NewMux()
	h := disco.Register(mux)
	h.HandleNode("list", staticNode{
		info:  disco.Info{Identities: []disco.Identity{{Category: "automation", Type: "command-list"}}},
		items: []disco.Item{{JID: xmpp.MustParseJID("alice@example.test/phone"), Node: "a&b", Name: "A"}},
	})
	h.HandleNode("secret", staticNode{err: &xmpp.StanzaError{Type: xmpp.ErrorTypeCancel, Condition: xmpp.ErrForbidden}})
	h.HandleNode("gone", staticNode{})
	h.HandleNode("gone", nil)
	_, s := fake.Start(t, "alice@example.test/phone", &xmpp.Options{Handler: mux})

	tests := []struct {
		query string
		want  string               // payload of the result
		cond  xmpp.StanzaCondition // or the error's condition
	}{
		{query: `<query xmlns='http://jabber.org/protocol/disco#info' node='list'/>`,
			want: `<query xmlns='http://jabber.org/protocol/disco#info' node='list'><identity category='automation' type='command-list'/></query>`},
		{query: `<query xmlns='http://jabber.org/protocol/disco#items' node='list'/>`,
			want: `<query xmlns='http://jabber.org/protocol/disco#items' node='list'><item jid='alice@example.test/phone' node='a&amp;b' name='A'/></query>`},
		{query: `<query xmlns='http://jabber.org/protocol/disco#items' node='secret'/>`, cond: xmpp.ErrForbidden},
		{query: `<query xmlns='http://jabber.org/protocol/disco#info' node='gone'/>`, cond: xmpp.ErrItemNotFound},
	}
	for i, tt := range tests {
		id := "q" + string(rune('0'+i))
		s.Send(`<iq type='get' id='` + id + `' from='` + peer + `'>` + tt.query + `</iq>`)
		r := s.ExpectIQ(t.Context(), 0, "", "")
		if tt.cond != "" {
			require.Equal(t, xmpp.IQError, r.Type, "reply to %s", tt.query)
			require.Equal(t, tt.cond, r.Error.Condition, "reply to %s", tt.query)
			continue
		}
		require.Equal(t, xmpp.IQResult, r.Type, "reply to %s: %+v", tt.query, r)
		require.Equal(t, tt.want, r.Payload.Raw)
	}
}
