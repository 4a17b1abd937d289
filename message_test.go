package xmpp

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReply(t *testing.T) {
	t.Parallel()
	bob := MustParseJID("bob@example.test/phone")
	room := MustParseJID("room@conference.example.test/bob")
	tests := []struct {
		name     string
		in       *Message
		wantType MessageType
		wantTo   JID
	}{
		{"chat", &Message{Header: Header{From: bob}, Type: MessageChat, Thread: "t1"}, MessageChat, bob},
		{"normal", &Message{Header: Header{From: bob}, Type: MessageNormal}, MessageNormal, bob},
		{"no-type", &Message{Header: Header{From: bob}}, MessageNormal, bob},
		{"groupchat", &Message{Header: Header{From: room}, Type: MessageGroupchat, Thread: "t2"}, MessageGroupchat, room.Bare()},
		{"headline", &Message{Header: Header{From: bob}, Type: MessageHeadline}, MessageNormal, bob},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.in.ID, tt.in.Body, tt.in.ThreadParent = "id1", "question", "parent"
			r := tt.in.Reply("answer")
			require.Equal(t, &Message{
				Header: Header{To: tt.wantTo}, Type: tt.wantType,
				Body:   "answer",
				Thread: tt.in.Thread,
			}, r, "Reply of %+v", tt.in)
		})
	}
}

func TestMe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body   string
		bodies []Text
		isMe   bool
		me     string
	}{
		{"/me shrugs", nil, true, "shrugs"},
		{"/me  spaces kept", nil, true, " spaces kept"},
		{"/me", nil, false, ""},
		{"/meow", nil, false, ""},
		{" /me late", nil, false, ""},
		{"/ME shouts", nil, false, ""},
		{"", []Text{{Lang: "de", Value: "/me winkt"}}, true, "winkt"},
	}
	for _, tt := range tests {
		m := &Message{Body: tt.body, Bodies: tt.bodies}
		require.Equal(t, tt.isMe, m.IsMe(), "IsMe(%q)", tt.body)
		require.Equal(t, tt.me, m.MeText(), "MeText(%q)", tt.body)
	}
}
