package muc

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gojabber/xmpp"
)

// Namespaces of XEP-0045 and of the XEPs it is used with.
const (
	// NS is the namespace of the <x/> of a join presence (§7.2).
	NS = "http://jabber.org/protocol/muc"
	// NSUser is the namespace of the <x/> the room adds to occupant
	// presences and to its messages (§7.2.3).
	NSUser = NS + "#user"
	// NSAdmin is the namespace of moderator and admin requests (§8, §9).
	NSAdmin = NS + "#admin"
	// NSOwner is the namespace of owner requests (§10).
	NSOwner = NS + "#owner"
	// NSConference is the namespace of direct invitations, XEP-0249.
	NSConference = "jabber:x:conference"
	// NSSelfPing is the feature of services that answer self-pings
	// themselves (XEP-0410 §4).
	NSSelfPing = "http://jabber.org/protocol/muc#self-ping-optimization"

	nsPing  = "urn:xmpp:ping"  // XEP-0199
	nsData  = "jabber:x:data"  // XEP-0004
	nsMAM   = "urn:xmpp:mam:2" // XEP-0313
	nsDelay = "urn:xmpp:delay" // XEP-0203
	nsSID   = "urn:xmpp:sid:0" // XEP-0359
	spec    = "XEP-0045"       // for MalformedError
	spec249 = "XEP-0249"       // for MalformedError
)

// Status codes of XEP-0045 §15.6 that this package acts on.
const (
	StatusNonAnonymous  = 100 // any occupant may see real JIDs
	StatusSelf          = 110 // the presence is about the user's own occupant
	StatusLogged        = 170 // the room is logged
	StatusCreated       = 201 // a new room was created
	StatusBanned        = 301 // banned
	StatusNickChanged   = 303 // the occupant changed its nickname
	StatusKicked        = 307 // kicked
	StatusNickRewritten = 210 // the service assigned or changed the nickname
	StatusAffiliation   = 321 // removed by an affiliation change
	StatusMembersOnly   = 322 // removed because the room became members-only
	StatusShutdown      = 332 // removed because the service is shutting down
	StatusConfigChanged = 104 // the room configuration changed
)

// Role is an occupant's role in the room, for the length of its visit
// (§5.1).
type Role string

// Roles (§5.1).
const (
	RoleNone        Role = "none"
	RoleVisitor     Role = "visitor"
	RoleParticipant Role = "participant"
	RoleModerator   Role = "moderator"
)

// Affiliation is a user's long-lived standing in the room (§5.2).
type Affiliation string

// Affiliations (§5.2).
const (
	AffiliationNone    Affiliation = "none"
	AffiliationOutcast Affiliation = "outcast" // banned
	AffiliationMember  Affiliation = "member"
	AffiliationAdmin   Affiliation = "admin"
	AffiliationOwner   Affiliation = "owner"
)

// Occupant is someone in a room, as its last presence there describes it.
type Occupant struct {
	// Nick is the occupant's nickname, the resourcepart of its occupant
	// JID.
	Nick string
	// JID is the occupant JID, room@service/nick.
	JID xmpp.JID
	// RealJID is the occupant's full JID, known in non-anonymous rooms and
	// to moderators of semi-anonymous ones (§7.2.3, §7.2.4); zero
	// otherwise.
	RealJID     xmpp.JID
	Role        Role
	Affiliation Affiliation
	Show        xmpp.Show
	Status      string
}

// Item is an <item/> of a #user, #admin or #owner element: a user with an
// affiliation or role, as in an affiliation list (§9.5) or a presence
// (§7.2.3).
type Item struct {
	// JID is the user's real (bare or full) JID, if given.
	JID xmpp.JID
	// Nick is the user's nickname, if given.
	Nick        string
	Affiliation Affiliation
	Role        Role
	// Reason is the reason given for a change, if any.
	Reason string
	// Actor is the nickname, or failing that the JID, of who made the
	// change, if the room says.
	Actor string
}

// userX is the <x xmlns='…#user'/> of a presence or message.
type userX struct {
	items    []Item
	codes    []int
	destroy  *Destroyed
	invite   *Invitation
	decline  *Declined
	password string
}

// Destroyed says a room was destroyed (§10.9).
type Destroyed struct {
	// Alternate is the room the owner suggests instead, if any.
	Alternate xmpp.JID
	// Reason is the owner's reason, if any.
	Reason string
	// Password is the alternate room's password, if any.
	Password string
}

// Declined is a declined mediated invitation, sent on by the room (§7.8.2).
type Declined struct {
	// Room is the room the invitation was for.
	Room xmpp.JID
	// From is who declined.
	From   xmpp.JID
	Reason string
}

func hasCode(codes []int, c int) bool { return slices.Contains(codes, c) }

func malformed(raw, format string, args ...any) *xmpp.MalformedError {
	return &xmpp.MalformedError{Spec: spec, Reason: fmt.Sprintf(format, args...), Raw: raw}
}

// findUserX returns the #user <x/> among els.
func findUserX(els []xmpp.Element) (xmpp.Element, bool) {
	for _, el := range els {
		if el.Name.Space == NSUser && el.Name.Local == "x" {
			return el, true
		}
	}
	return xmpp.Element{}, false
}

// parseUserX reads a #user <x/> (§7.2.3, §7.8, §10.9). Unknown children
// are ignored; a bad JID or status code is an *xmpp.MalformedError.
func parseUserX(el xmpp.Element) (userX, error) {
	var x userX
	for c := range el.Children() {
		if c.Name.Space != NSUser {
			continue
		}
		switch c.Name.Local {
		case "item":
			it, err := parseItem(c)
			if err != nil {
				return x, err
			}
			x.items = append(x.items, it)
		case "status":
			n, err := strconv.Atoi(c.Attr("code"))
			if err != nil || n < 100 || n > 999 {
				return x, malformed(c.Raw, "status code %q", c.Attr("code"))
			}
			x.codes = append(x.codes, n)
		case "destroy":
			d := &Destroyed{Password: childText(c, NSUser, "password"), Reason: childText(c, NSUser, "reason")}
			if j := c.Attr("jid"); j != "" {
				alt, err := xmpp.ParseJID(j)
				if err != nil {
					return x, malformed(c.Raw, "destroy jid %q", j)
				}
				d.Alternate = alt
			}
			x.destroy = d
		case "invite":
			inv := &Invitation{Reason: childText(c, NSUser, "reason")}
			if f := c.Attr("from"); f != "" {
				j, err := xmpp.ParseJID(f)
				if err != nil {
					return x, malformed(c.Raw, "invite from %q", f)
				}
				inv.From = j
			}
			if _, ok := c.Child(NSUser, "continue"); ok {
				inv.Continue = true
			}
			x.invite = inv
		case "decline":
			d := &Declined{Reason: childText(c, NSUser, "reason")}
			if f := c.Attr("from"); f != "" {
				j, err := xmpp.ParseJID(f)
				if err != nil {
					return x, malformed(c.Raw, "decline from %q", f)
				}
				d.From = j
			}
			x.decline = d
		case "password":
			x.password = c.Text()
		}
	}
	return x, nil
}

// parseItem reads an <item/> of any of the MUC namespaces.
func parseItem(c xmpp.Element) (Item, error) {
	it := Item{
		Nick:        c.Attr("nick"),
		Affiliation: Affiliation(c.Attr("affiliation")),
		Role:        Role(c.Attr("role")),
	}
	if j := c.Attr("jid"); j != "" {
		real, err := xmpp.ParseJID(j)
		if err != nil {
			return it, malformed(c.Raw, "item jid %q", j)
		}
		it.JID = real
	}
	for cc := range c.Children() {
		switch cc.Name.Local {
		case "reason":
			it.Reason = cc.Text()
		case "actor":
			it.Actor = cc.Attr("nick")
			if it.Actor == "" {
				it.Actor = cc.Attr("jid")
			}
		}
	}
	return it, nil
}

func childText(el xmpp.Element, space, local string) string {
	c, ok := el.Child(space, local)
	if !ok {
		return ""
	}
	return c.Text()
}

// esc escapes s for XML text and attribute values in single quotes.
func esc(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\'':
			b.WriteString("&apos;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// element builds an Element from XML text this package wrote.
func element(raw string) (xmpp.Element, error) {
	el, err := xmpp.ParseElement(raw)
	if err != nil {
		return xmpp.Element{}, fmt.Errorf("muc: building %.40q: %w", raw, err)
	}
	return el, nil
}
