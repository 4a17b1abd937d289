package muc

import (
	"errors"
	"fmt"

	"github.com/gojabber/xmpp"
)

// Errors of Join and of the other calls, to test with errors.Is. A join
// refused by the room is a *JoinError, which matches both the sentinel of
// its condition below and the xmpp.StanzaCondition itself (errors.Is(err,
// xmpp.ErrConflict) holds as well as errors.Is(err, ErrNickConflict)).
var (
	// ErrNickConflict: the nickname is in use or reserved by someone else
	// (conflict, §7.2.9).
	ErrNickConflict = errors.New("muc: nickname in use")
	// ErrNotAuthorized: the room needs a password and none, or a wrong
	// one, was given (not-authorized, §7.2.6).
	ErrNotAuthorized = errors.New("muc: password required or wrong")
	// ErrMembersOnly: the room is members-only and the user is not a
	// member (registration-required, §7.2.7).
	ErrMembersOnly = errors.New("muc: members-only room")
	// ErrBanned: the user is banned from the room (forbidden, §7.2.8).
	ErrBanned = errors.New("muc: banned from the room")
	// ErrRoomNotFound: the room is locked (created but not yet
	// configured) or does not exist and cannot be created by joining
	// (item-not-found, §7.2.11).
	ErrRoomNotFound = errors.New("muc: room locked or nonexistent")
	// ErrCreationNotAllowed: the service does not let the user create the
	// room (not-allowed, §7.2.10).
	ErrCreationNotAllowed = errors.New("muc: room creation not allowed")
	// ErrRoomFull: the room has its maximum number of occupants
	// (service-unavailable, §7.2.12; ejabberd 23.01 answers
	// resource-constraint instead).
	ErrRoomFull = errors.New("muc: room full")

	// ErrNoAnswer is wrapped, with the context's error, by the error of a
	// call that waited for the room in vain: a Join, Leave or ChangeNick
	// whose answer did not come before ctx ended or Options.Timeout.
	ErrNoAnswer = errors.New("muc: no answer from the room")
	// ErrNotJoined is returned by the calls of a Room that has been left,
	// or that the user was removed from.
	ErrNotJoined = errors.New("muc: not in the room")
	// ErrAlreadyJoined is returned by Join for a room the session is in,
	// or is joining.
	ErrAlreadyJoined = errors.New("muc: already in the room")
	// ErrSessionEnded is wrapped by the error of a call whose session
	// ended while it waited.
	ErrSessionEnded = errors.New("muc: session ended")
)

// JoinError is a join (or nickname change) the room refused with an error
// presence (§7.2.6–§7.2.12).
type JoinError struct {
	// Room is the room's bare JID, and Nick the nickname asked for.
	Room xmpp.JID
	Nick string
	// Err is the room's error.
	Err *xmpp.StanzaError
}

func (e *JoinError) Error() string {
	return fmt.Sprintf("muc: join %s as %q: %v", e.Room, e.Nick, e.Err)
}

// Unwrap returns the room's *xmpp.StanzaError.
func (e *JoinError) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel of the error's condition.
func (e *JoinError) Is(target error) bool {
	return e.Err != nil && conditionError(e.Err.Condition) == target && target != nil
}

// conditionError maps a join error condition to its sentinel.
func conditionError(c xmpp.StanzaCondition) error {
	switch c {
	case xmpp.ErrConflict:
		return ErrNickConflict
	case xmpp.ErrNotAuthorized:
		return ErrNotAuthorized
	case xmpp.ErrRegistrationRequired:
		return ErrMembersOnly
	case xmpp.ErrForbidden:
		return ErrBanned
	case xmpp.ErrItemNotFound:
		return ErrRoomNotFound
	case xmpp.ErrNotAllowed:
		return ErrCreationNotAllowed
	case xmpp.ErrServiceUnavailable, xmpp.ErrResourceConstraint:
		return ErrRoomFull
	}
	return nil
}
