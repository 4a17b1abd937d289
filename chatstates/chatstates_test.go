package chatstates_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/chatstates"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

func TestElements(t *testing.T) {
	t.Parallel()
	for _, s := range []chatstates.State{chatstates.Active, chatstates.Composing, chatstates.Paused, chatstates.Inactive, chatstates.Gone} {
		el, err := s.Element()
		require.NoError(t, err)
		require.Equal(t, "<"+string(s)+" xmlns='http://jabber.org/protocol/chatstates'/>", el.Raw)
		got, err := chatstates.Parse(el)
		require.NoError(t, err)
		require.Equal(t, s, got)
	}
	_, err := chatstates.State("typing").Element()
	fake.RequireMalformed(t, err, "XEP-0085", "chatstates.State(\"typing\").Element()")
}

func TestFrom(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, raw string
		want      chatstates.State
		ok        bool
	}{
		{"composing", `<message from='a@b/c' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`, chatstates.Composing, true},
		{"with body", `<message from='a@b/c' type='chat'><body>hi</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>`, chatstates.Active, true},
		{"unknown state first", `<message><typing xmlns='http://jabber.org/protocol/chatstates'/><gone xmlns='http://jabber.org/protocol/chatstates'/></message>`, chatstates.Gone, true},
		{"unknown only", `<message><typing xmlns='http://jabber.org/protocol/chatstates'/></message>`, "", false},
		{"wrong namespace", `<message><composing xmlns='jabber:x:event'/></message>`, "", false},
		{"none", `<message><body>hi</body></message>`, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := chatstates.From(fake.Message(t, tc.raw))
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.want, got)
		})
	}
	_, err := chatstates.Parse(xmpp.Element{})
	fake.RequireMalformed(t, err, "XEP-0085", "chatstates.Parse(xmpp.Element{})")
}

func TestAdd(t *testing.T) {
	t.Parallel()
	m := &xmpp.Message{Body: "hi"}
	m.Extensions = append(m.Extensions, fake.Element(t, `<x xmlns='jabber:x:oob'/>`))
	require.NoError(t, chatstates.Add(m, chatstates.Composing))
	require.NoError(t, chatstates.Add(m, chatstates.Active))
	require.Len(t, m.Extensions, 2, "other extensions kept, one state")
	got, ok := chatstates.From(m)
	require.True(t, ok)
	require.Equal(t, chatstates.Active, got)
	fake.RequireMalformed(t, chatstates.Add(m, "bogus"), "XEP-0085", "chatstates.Add(m, \"bogus\")")
}

func TestRegister(t *testing.T) {
	t.Parallel()
	mux := xmpp.NewMux()
	chatstates.Register(mux)
	require.Equal(t, []string{chatstates.NS}, mux.Features())
}
