package xmpp

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMuxRoutesIQByTypeAndPayload(t *testing.T) {
	t.Parallel()
	m := NewMux()
	ping := mustElement(t, `<ping xmlns='urn:xmpp:ping'/>`)
	m.HandleIQ(IQGet, "urn:xmpp:ping", "ping", func(c Session, iq *IQ) (*IQ, error) {
		return &IQ{Header: Header{ID: "answered"}}, nil
	})
	got, err := m.OnIQ(nil, &IQ{Type: IQGet, Payload: ping})
	require.NoError(t, err)
	require.Equal(t, "answered", got.ID)

	// Same payload, other type: no handler, so (nil, nil) → service-unavailable.
	got, err = m.OnIQ(nil, &IQ{Type: IQSet, Payload: ping})
	require.NoError(t, err)
	require.Nil(t, got)
	got, err = m.OnIQ(nil, &IQ{Type: IQGet, Payload: mustElement(t, `<query xmlns='jabber:iq:version'/>`)})
	require.NoError(t, err)
	require.Nil(t, got)
}

func TestMuxCallsHandlersInOrder(t *testing.T) {
	t.Parallel()
	m := NewMux()
	var order []int
	for i := range 3 {
		m.HandleMessage(func(Session, *Message) { order = append(order, i) })
		m.HandlePresence(func(Session, *Presence) { order = append(order, 10+i) })
	}
	m.OnMessage(nil, &Message{})
	m.OnPresence(nil, &Presence{})
	require.Equal(t, []int{0, 1, 2, 10, 11, 12}, order)
}

func TestMuxFeatures(t *testing.T) {
	t.Parallel()
	m := NewMux()
	m.HandleIQ(IQGet, "urn:xmpp:time", "time", func(Session, *IQ) (*IQ, error) { return nil, nil })
	m.HandleIQ(IQGet, "jabber:iq:version", "query", func(Session, *IQ) (*IQ, error) { return nil, nil })
	m.HandleIQ(IQSet, "jabber:iq:roster", "query", func(Session, *IQ) (*IQ, error) { return nil, nil })
	m.AddFeature("urn:xmpp:receipts")
	m.AddFeature("urn:xmpp:time")
	require.Equal(t, []string{"jabber:iq:version", "urn:xmpp:receipts", "urn:xmpp:time"}, m.Features())
}

func TestMuxInterceptConsumes(t *testing.T) {
	t.Parallel()
	m := NewMux()
	var seen []string
	m.HandleMessage(func(_ Session, msg *Message) { seen = append(seen, "handler:"+msg.ID) })
	m.InterceptMessage(func(_ Session, msg *Message) bool {
		seen = append(seen, "first:"+msg.ID)
		return msg.ID == "protocol"
	})
	m.InterceptMessage(func(_ Session, msg *Message) bool {
		seen = append(seen, "second:"+msg.ID)
		return false
	})
	m.OnMessage(nil, &Message{Header: Header{ID: "protocol"}})
	m.OnMessage(nil, &Message{Header: Header{ID: "chat"}})
	require.Equal(t, []string{"first:protocol", "first:chat", "second:chat", "handler:chat"}, seen)
}

// A Mux whose OnMessage is wrapped (so the session cannot call its
// WatchMessage) still runs the Watch functions, before the interceptors.
func TestMuxOnMessageRunsWatch(t *testing.T) {
	t.Parallel()
	m := NewMux()
	var order []string
	m.Watch(func(_ Session, msg *Message) bool {
		order = append(order, "watch "+msg.Body)
		return msg.Body == "result"
	})
	m.InterceptMessage(func(_ Session, msg *Message) bool {
		order = append(order, "intercept "+msg.Body)
		return false
	})
	m.HandleMessage(func(_ Session, msg *Message) { order = append(order, "handle "+msg.Body) })
	m.OnMessage(nil, &Message{Body: "result"})
	m.OnMessage(nil, &Message{Body: "chat"})
	want := []string{"watch result", "watch chat", "intercept chat", "handle chat"}
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Errorf("OnMessage order = %q, want %q", order, want)
	}
}
