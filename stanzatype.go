package xmpp

import "strconv"

// The stanza types are small integers rather than strings so that a
// misspelt type does not compile: an untyped string constant such as
// "chta" would convert silently to a named string type. Each type's String
// method returns its value on the wire.

// MessageType is the type attribute of a <message/> (RFC 6121 §5.2.2).
type MessageType uint8

// Message types (RFC 6121 §5.2.2). The zero value is MessageNormal: a
// message without a type attribute is a normal message, and the Encoder
// writes MessageNormal as no type attribute.
const (
	MessageNormal MessageType = iota
	MessageChat
	MessageGroupchat
	MessageHeadline
	MessageError
)

var messageTypes = [...]string{
	MessageNormal:    "normal",
	MessageChat:      "chat",
	MessageGroupchat: "groupchat",
	MessageHeadline:  "headline",
	MessageError:     "error",
}

// String returns the type's value on the wire, e.g. "chat"; MessageNormal
// is "normal".
func (t MessageType) String() string {
	if int(t) < len(messageTypes) {
		return messageTypes[t]
	}
	return "MessageType(" + strconv.Itoa(int(t)) + ")"
}

// parseMessageType returns the message type of the attribute value s. An
// absent, empty or unknown value is MessageNormal: RFC 6121 §5.2.2 asks a
// recipient to treat a message of an unknown type as normal.
func parseMessageType(s string) MessageType {
	switch s {
	case "chat":
		return MessageChat
	case "groupchat":
		return MessageGroupchat
	case "headline":
		return MessageHeadline
	case "error":
		return MessageError
	}
	return MessageNormal
}

// PresenceType is the type attribute of a <presence/> (RFC 6121 §4.7.1).
type PresenceType uint8

// Presence types (RFC 6121 §4.7.1). The zero value is PresenceAvailable:
// a presence without a type attribute announces availability, and the
// Encoder writes PresenceAvailable as no type attribute.
const (
	PresenceAvailable PresenceType = iota
	PresenceUnavailable
	PresenceSubscribe
	PresenceSubscribed
	PresenceUnsubscribe
	PresenceUnsubscribed
	PresenceProbe
	PresenceError
)

var presenceTypes = [...]string{
	PresenceAvailable:    "available",
	PresenceUnavailable:  "unavailable",
	PresenceSubscribe:    "subscribe",
	PresenceSubscribed:   "subscribed",
	PresenceUnsubscribe:  "unsubscribe",
	PresenceUnsubscribed: "unsubscribed",
	PresenceProbe:        "probe",
	PresenceError:        "error",
}

// String returns the type's value on the wire, e.g. "unavailable".
// PresenceAvailable, which has no value on the wire (it is the absence of
// the attribute), is "available".
func (t PresenceType) String() string {
	if int(t) < len(presenceTypes) {
		return presenceTypes[t]
	}
	return "PresenceType(" + strconv.Itoa(int(t)) + ")"
}

// attr returns the type attribute's value for t, "" for PresenceAvailable.
func (t PresenceType) attr() string {
	if t == PresenceAvailable {
		return ""
	}
	return t.String()
}

// parsePresenceType returns the presence type of the attribute value s; an
// absent or empty attribute is PresenceAvailable. ok is false for a value
// RFC 6121 §4.7.1 does not define, "available" included.
func parsePresenceType(s string) (t PresenceType, ok bool) {
	if s == "" {
		return PresenceAvailable, true
	}
	for i := PresenceUnavailable; int(i) < len(presenceTypes); i++ {
		if presenceTypes[i] == s {
			return i, true
		}
	}
	return PresenceAvailable, false
}

// IQType is the type attribute of an <iq/> (RFC 6120 §8.2.3). Its zero
// value means no type, which no IQ on the wire may have: the Encoder
// refuses it.
type IQType uint8

// IQ types (RFC 6120 §8.2.3).
const (
	IQGet IQType = iota + 1
	IQSet
	IQResult
	IQError
)

var iqTypes = [...]string{
	IQGet:    "get",
	IQSet:    "set",
	IQResult: "result",
	IQError:  "error",
}

// String returns the type's value on the wire, e.g. "get"; the zero value
// is "".
func (t IQType) String() string {
	if int(t) < len(iqTypes) {
		return iqTypes[t]
	}
	return "IQType(" + strconv.Itoa(int(t)) + ")"
}

// parseIQType returns the IQ type of the attribute value s; ok is false
// for an absent, empty or undefined value.
func parseIQType(s string) (t IQType, ok bool) {
	switch s {
	case "get":
		return IQGet, true
	case "set":
		return IQSet, true
	case "result":
		return IQResult, true
	case "error":
		return IQError, true
	}
	return 0, false
}

// Show is the <show/> of an available presence (RFC 6121 §4.7.2.1). The
// empty Show means plainly available and is not written.
type Show string

// Show values (RFC 6121 §4.7.2.1).
const (
	ShowAway Show = "away"
	ShowChat Show = "chat"
	ShowDND  Show = "dnd"
	ShowXA   Show = "xa"
)
