package muc

import (
	"time"

	"github.com/gojabber/xmpp"
)

// EventType says what happened in a room.
type EventType uint8

// Event types. An event about the user's own occupant has Self set.
const (
	// EventJoined: an occupant entered the room; with Self, the user's
	// own join completed (Join returns too).
	EventJoined EventType = iota + 1
	// EventRejoined: the user is back in the room after the session was
	// re-established (a new stream after a reconnect) or after a
	// self-ping (XEP-0410) found it had been silently removed. Reason
	// says which. Occupants that left meanwhile get EventLeft before it.
	EventRejoined
	// EventLeft: an occupant left; with Self, Leave completed.
	EventLeft
	// EventChanged: an occupant's presence, role, affiliation or real JID
	// changed. Previous holds what it was.
	EventChanged
	// EventNickChanged: an occupant changed its nickname (303) from
	// Occupant.Nick to NewNick.
	EventNickChanged
	// EventKicked: an occupant was kicked (307).
	EventKicked
	// EventBanned: an occupant was banned (301).
	EventBanned
	// EventRemoved: an occupant was removed because of an affiliation
	// change (321), because the room became members-only (322), or
	// because the service is shutting down (332); Codes says which, and
	// Reason gives the service's reason, if any. With Self, the user is
	// no longer in the room, as after EventKicked, EventBanned and
	// EventDestroyed: the Room's calls return ErrNotJoined, and the
	// Manager forgets it and does not rejoin it, neither after a new
	// stream nor after a self-ping; call Join again for a new Room (after
	// a shutdown, once the service is back).
	EventRemoved
	// EventDestroyed: the room was destroyed (§10.9); Destroyed tells the
	// alternate venue, if any. The user is no longer in the room.
	EventDestroyed
	// EventSubject: the subject changed (or, during a join, was told):
	// Subject, set by Occupant.Nick (empty when the room set it).
	EventSubject
	// EventMessage: a groupchat message. Delayed is set for history sent
	// at join time (or after a rejoin), Own for the user's own message
	// reflected by the room.
	EventMessage
	// EventPrivateMessage: a private message from an occupant (type chat
	// from room@service/nick, §7.5).
	EventPrivateMessage
	// EventStatus: a message from the room carrying only status codes,
	// such as 104 (configuration changed).
	EventStatus
	// EventError: the room sent an error message or presence that no call
	// was waiting for; Err holds it. With Self, the user is no longer in
	// the room (a rejoin failed).
	EventError
	// EventInvited: an invitation to a room, mediated (§7.8.2) or direct
	// (XEP-0249); Invite describes it. Room is nil unless the user is in
	// that room already.
	EventInvited
	// EventDeclined: someone declined the user's mediated invitation
	// (§7.8.2); Decline describes it.
	EventDeclined
)

var eventNames = [...]string{
	EventJoined: "joined", EventRejoined: "rejoined", EventLeft: "left", EventChanged: "changed",
	EventNickChanged: "nick-changed", EventKicked: "kicked", EventBanned: "banned",
	EventRemoved: "removed", EventDestroyed: "destroyed", EventSubject: "subject",
	EventMessage: "message", EventPrivateMessage: "private-message", EventStatus: "status",
	EventError: "error", EventInvited: "invited", EventDeclined: "declined",
}

func (t EventType) String() string {
	if int(t) < len(eventNames) && eventNames[t] != "" {
		return eventNames[t]
	}
	return "EventType(" + itoa(int(t)) + ")"
}

// Rejoin reasons, in Event.Reason of EventRejoined.
const (
	ReasonReconnect = "reconnect" // a new stream after the link broke
	ReasonSelfPing  = "self-ping" // XEP-0410 found the user gone
)

// Event is something that happened in a room, passed to Options.OnEvent.
// Only the fields its Type mentions are set, besides Type, Room and
// Stanza.
type Event struct {
	Type EventType
	// Room is the room, nil for an invitation to a room the user is not in.
	Room *Room
	// Self is set when the event concerns the user's own occupant.
	Self bool
	// Occupant is whom the event is about, as it is now (for EventLeft,
	// EventKicked and the like, as it was last).
	Occupant Occupant
	// Previous is the occupant before an EventChanged.
	Previous Occupant
	// NewNick is the new nickname of an EventNickChanged.
	NewNick string
	// Codes are the status codes of the stanza (§15.6).
	Codes []int
	// Reason is the reason given for a kick, ban or removal, the text of
	// an invitation's reason, or for EventRejoined one of the Reason
	// constants. Actor is who kicked or banned, if the room says.
	Reason, Actor string
	// Message is the message of EventMessage, EventPrivateMessage and
	// EventSubject; Subject the subject of EventSubject.
	Message *xmpp.Message
	Subject string
	// Delayed is set for a message the room sent as history (it has a
	// <delay/>, XEP-0203); Stamp is then when it was sent.
	Delayed bool
	Stamp   time.Time
	// Own is set for a groupchat message the user sent, reflected by the
	// room: its origin-id (XEP-0359) is one this package gave a message
	// sent with Room.Send, or it comes from the user's own nickname.
	Own bool
	// Destroyed tells the alternate venue of EventDestroyed.
	Destroyed *Destroyed
	// Invite is the invitation of EventInvited, Decline the decline of
	// EventDeclined.
	Invite  *Invitation
	Decline *Declined
	// Err is the error of EventError.
	Err error
	// Stanza is the stanza the event came from, nil for events of no
	// single stanza (an EventLeft found at a rejoin).
	Stanza xmpp.Stanza
}
