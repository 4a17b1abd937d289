package xmpp

import "strings"

// Message helpers (RFC 6121 §5, XEP-0245).

// Reply returns a message answering m with body: to m's sender (its bare
// JID for a groupchat message, which goes to the room), of the same type
// for chat, groupchat and normal messages (normal for any other type), in
// the same thread (RFC 6121 §5.2.5).
func (m *Message) Reply(body string) *Message {
	r := &Message{Header: Header{To: m.From}, Type: m.Type, Body: body, Thread: m.Thread}
	switch m.Type {
	case MessageGroupchat:
		r.To = m.From.Bare()
	case MessageChat, MessageNormal:
	default:
		r.Type = MessageNormal
	}
	return r
}

// mePrefix starts the body of a /me action (XEP-0245 §2).
const mePrefix = "/me "

// IsMe reports whether m is a /me action (XEP-0245): its body starts with
// "/me ".
func (m *Message) IsMe() bool {
	return strings.HasPrefix(m.BodyText(), mePrefix)
}

// MeText returns the action of a /me message, the body after "/me ", to be
// shown after the sender's name; it returns "" when m is not a /me action.
func (m *Message) MeText() string {
	s, ok := strings.CutPrefix(m.BodyText(), mePrefix)
	if !ok {
		return ""
	}
	return s
}
