package muc

import (
	"context"
	"fmt"
	"strings"

	"github.com/gojabber/xmpp"
)

// Invitation is an invitation to a room: mediated, sent on by the room
// (§7.8.2), or direct, from the inviter (XEP-0249).
type Invitation struct {
	// Room is the room's bare JID.
	Room xmpp.JID
	// From is who invites: the inviter's JID (for a mediated invitation
	// as the room tells it, which may be zero in anonymous rooms; for a
	// direct one the sender of the message).
	From xmpp.JID
	// Reason and Password are the inviter's reason and the room's
	// password, if given.
	Reason   string
	Password string
	// Continue is set for an invitation to continue a one-to-one chat in
	// the room (XEP-0249 §3, §7.8.2 <continue/>); Thread is that chat's
	// thread, for direct invitations.
	Continue bool
	Thread   string
	// Direct is set for a direct invitation (XEP-0249).
	Direct bool
}

// directInvitation reads a direct invitation (XEP-0249 §2) from msg.
func directInvitation(msg *xmpp.Message) (*Invitation, bool) {
	for _, el := range msg.Extensions {
		if el.Name.Space != NSConference || el.Name.Local != "x" {
			continue
		}
		room, err := xmpp.ParseJID(el.Attr("jid"))
		if err != nil || room.Local() == "" {
			return nil, false
		}
		inv := &Invitation{Room: room.Bare(), From: msg.From, Reason: el.Attr("reason"), Password: el.Attr("password"),
			Thread: el.Attr("thread"), Continue: el.Attr("continue") == "true" || el.Attr("continue") == "1", Direct: true}
		return inv, true
	}
	return nil, false
}

// InviteDirect sends the user j a direct invitation (XEP-0249 §2) to
// inv.Room, with inv's reason, password, thread and continue flag.
func InviteDirect(ctx context.Context, s xmpp.Session, j xmpp.JID, inv Invitation) error {
	var b strings.Builder
	b.WriteString("<x xmlns='" + NSConference + "' jid='" + esc(inv.Room.Bare().String()) + "'")
	if inv.Reason != "" {
		b.WriteString(" reason='" + esc(inv.Reason) + "'")
	}
	if inv.Password != "" {
		b.WriteString(" password='" + esc(inv.Password) + "'")
	}
	if inv.Continue {
		b.WriteString(" continue='true'")
	}
	if inv.Thread != "" {
		b.WriteString(" thread='" + esc(inv.Thread) + "'")
	}
	b.WriteString("/>")
	x, err := element(b.String())
	if err != nil {
		return err
	}
	if err := s.Send(ctx, &xmpp.Message{Header: xmpp.Header{To: j}, Extensions: []xmpp.Element{x}}); err != nil {
		return fmt.Errorf("muc: invite %s to %s: %w", j, inv.Room, err)
	}
	return nil
}

// Decline declines a mediated invitation (§7.8.2): the room passes the
// decline on to the inviter inv.From.
func Decline(ctx context.Context, s xmpp.Session, inv Invitation, reason string) error {
	to := ""
	if !inv.From.IsZero() {
		to = " to='" + esc(inv.From.String()) + "'"
	}
	x, err := element("<x xmlns='" + NSUser + "'><decline" + to + ">" + reasonElement(reason) + "</decline></x>")
	if err != nil {
		return err
	}
	if err := s.Send(ctx, &xmpp.Message{Header: xmpp.Header{To: inv.Room}, Extensions: []xmpp.Element{x}}); err != nil {
		return fmt.Errorf("muc: decline invitation to %s: %w", inv.Room, err)
	}
	return nil
}
