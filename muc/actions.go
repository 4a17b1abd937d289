package muc

import (
	"context"
	"fmt"
	"strings"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/forms"
	"github.com/gojabber/xmpp/sid"
)

// checkJoined returns ErrNotJoined unless the user is in the room; r.mu
// is not held.
func (r *Room) checkJoined() error {
	if !r.Joined() {
		return fmt.Errorf("%w: %s", ErrNotJoined, r.jid)
	}
	return nil
}

// Send sends a groupchat message with the body to the room (§7.4) and
// returns its id. The message carries an origin-id (XEP-0359), which is
// also its id, so that the reflection of it is an EventMessage with Own
// set, however the room changes the stanza.
func (r *Room) Send(ctx context.Context, body string) (string, error) {
	m := &xmpp.Message{Type: xmpp.MessageGroupchat, Body: body}
	if err := r.SendMessage(ctx, m); err != nil {
		return "", err
	}
	return m.ID, nil
}

// SendMessage sends m to the room as a groupchat message: it sets To and
// Type, and gives m an origin-id (XEP-0359) as Send does.
func (r *Room) SendMessage(ctx context.Context, m *xmpp.Message) error {
	if err := r.checkJoined(); err != nil {
		return err
	}
	m.To, m.Type = r.jid, xmpp.MessageGroupchat
	id := sid.AddOrigin(m)
	r.mu.Lock()
	r.own.add(id)
	r.mu.Unlock()
	if err := r.s.Send(ctx, m); err != nil {
		return fmt.Errorf("muc: send to %s: %w", r.jid, err)
	}
	return nil
}

// SendPrivate sends a private message to the occupant nick (§7.5), as
// type chat to its occupant JID.
func (r *Room) SendPrivate(ctx context.Context, nick, body string) error {
	if err := r.checkJoined(); err != nil {
		return err
	}
	to, err := r.jid.WithResource(nick)
	if err != nil {
		return fmt.Errorf("muc: private message to %q: %w", nick, err)
	}
	m := &xmpp.Message{Header: xmpp.Header{To: to}, Type: xmpp.MessageChat, Body: body,
		Extensions: []xmpp.Element{mustElement("<x xmlns='" + NSUser + "'/>")}}
	sid.AddOrigin(m)
	if err := r.s.Send(ctx, m); err != nil {
		return fmt.Errorf("muc: private message to %s: %w", to, err)
	}
	return nil
}

func mustElement(raw string) xmpp.Element {
	el, err := xmpp.ParseElement(raw)
	if err != nil {
		panic(err)
	}
	return el
}

// SetSubject changes the room's subject (§8.1) and waits until the room
// has reflected it, or refused it (forbidden, for a user the room does not
// allow to change it).
func (r *Room) SetSubject(ctx context.Context, subject string) error {
	if err := r.checkJoined(); err != nil {
		return err
	}
	ctx, cancel := r.m.bound(ctx)
	defer cancel()
	m := &xmpp.Message{Header: xmpp.Header{To: r.jid}, Type: xmpp.MessageGroupchat, Subject: subject}
	sid.AddOrigin(m)
	id := m.ID
	w := r.addWaiter(func(st xmpp.Stanza, _ *userX) (bool, error) {
		msg, ok := st.(*xmpp.Message)
		switch {
		case !ok:
			return false, nil
		case msg.Type == xmpp.MessageError && msg.ID == id:
			return true, fmt.Errorf("muc: set subject of %s: %w", r.jid, stanzaError(msg.Error))
		case msg.Type == xmpp.MessageGroupchat && msg.BodyText() == "" && msg.Subject == subject:
			return true, nil
		}
		return false, nil
	})
	if err := r.s.Send(ctx, m); err != nil {
		r.dropWaiter(w)
		return fmt.Errorf("muc: set subject of %s: %w", r.jid, err)
	}
	return r.wait(ctx, w, "set subject of")
}

// SetPresence changes the user's presence in the room (§7.7): show and
// status, broadcast to the occupants. It does not wait.
func (r *Room) SetPresence(ctx context.Context, show xmpp.Show, status string) error {
	if err := r.checkJoined(); err != nil {
		return err
	}
	r.mu.Lock()
	r.opts.Show, r.opts.Status = show, status
	to, _ := r.jid.WithResource(r.nick)
	r.mu.Unlock()
	if err := r.s.Send(ctx, &xmpp.Presence{Header: xmpp.Header{To: to}, Show: show, Status: status}); err != nil {
		return fmt.Errorf("muc: presence in %s: %w", r.jid, err)
	}
	return nil
}

// ChangeNick changes the user's nickname (§7.6) and waits until the room
// has confirmed it with the user's presence under the new nickname. A
// nickname in use is a *JoinError matching ErrNickConflict.
func (r *Room) ChangeNick(ctx context.Context, nick string) error {
	if err := r.checkJoined(); err != nil {
		return err
	}
	to, err := r.jid.WithResource(nick)
	if err != nil || nick == "" {
		return fmt.Errorf("muc: invalid nickname %q: %w", nick, xmpp.ErrInvalidJID)
	}
	ctx, cancel := r.m.bound(ctx)
	defer cancel()
	w := r.addWaiter(func(st xmpp.Stanza, x *userX) (bool, error) {
		p, ok := st.(*xmpp.Presence)
		switch {
		case !ok || p.From.Resource() != nick:
			return false, nil
		case p.Type == xmpp.PresenceError:
			return true, &JoinError{Room: r.jid, Nick: nick, Err: stanzaError(p.Error)}
		case p.Type == xmpp.PresenceAvailable && x != nil && hasCode(x.codes, StatusSelf):
			return true, nil
		}
		return false, nil
	})
	r.mu.Lock()
	show, status := r.opts.Show, r.opts.Status
	r.mu.Unlock()
	if err := r.s.Send(ctx, &xmpp.Presence{Header: xmpp.Header{To: to}, Show: show, Status: status}); err != nil {
		r.dropWaiter(w)
		return fmt.Errorf("muc: change nick in %s: %w", r.jid, err)
	}
	return r.wait(ctx, w, "change nick in")
}

// Leave exits the room (§7.14) with an optional status text, and waits
// for the room's unavailable presence for the user (the event EventLeft
// with Self set). The Room is done with even if the wait fails.
func (r *Room) Leave(ctx context.Context, status string) error {
	r.mu.Lock()
	if r.state == stateGone {
		r.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrNotJoined, r.jid)
	}
	r.state = stateLeaving
	to, _ := r.jid.WithResource(r.nick)
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.state = stateGone
		r.mu.Unlock()
		r.m.forget(r)
	}()
	ctx, cancel := r.m.bound(ctx)
	defer cancel()
	w := r.addWaiter(func(st xmpp.Stanza, x *userX) (bool, error) {
		p, ok := st.(*xmpp.Presence)
		if ok && p.Type == xmpp.PresenceUnavailable && (p.From == to || x != nil && hasCode(x.codes, StatusSelf)) {
			return true, nil
		}
		return false, nil
	})
	if err := r.s.Send(ctx, &xmpp.Presence{Header: xmpp.Header{To: to}, Type: xmpp.PresenceUnavailable, Status: status}); err != nil {
		r.dropWaiter(w)
		return fmt.Errorf("muc: leave %s: %w", r.jid, err)
	}
	return r.wait(ctx, w, "leave")
}

// IsOwn reports whether msg, a groupchat message from the room, is the
// user's own, reflected: its origin-id is one that Send or SendMessage
// gave, or it comes from the user's nickname.
func (r *Room) IsOwn(msg *xmpp.Message) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if o, ok := sid.OriginFrom(msg); ok && r.own.has(o.ID) {
		return true
	}
	return msg.From.Bare() == r.jid && msg.From.Resource() == r.nick
}

// query sends an IQ with a #admin or #owner query to the room.
func (r *Room) query(ctx context.Context, typ xmpp.IQType, what, inner, space string) (*xmpp.IQ, error) {
	el, err := element("<query xmlns='" + space + "'>" + inner + "</query>")
	if err != nil {
		return nil, err
	}
	reply, err := r.s.SendIQ(ctx, &xmpp.IQ{Header: xmpp.Header{To: r.jid}, Type: typ, Payload: el})
	if err != nil {
		return nil, fmt.Errorf("muc: %s in %s: %w", what, r.jid, err)
	}
	return reply, nil
}

func reasonElement(reason string) string {
	if reason == "" {
		return ""
	}
	return "<reason>" + esc(reason) + "</reason>"
}

// SetRole changes the role of the occupant nick (§8.2–§8.6, §9.6–§9.7):
// RoleNone kicks it, RoleVisitor revokes its voice, RoleParticipant
// grants voice (or revokes moderator), RoleModerator makes it a
// moderator. The room's error is a *xmpp.StanzaError (not-allowed,
// forbidden, item-not-found).
func (r *Room) SetRole(ctx context.Context, nick string, role Role, reason string) error {
	_, err := r.query(ctx, xmpp.IQSet, "set role", "<item nick='"+esc(nick)+"' role='"+esc(string(role))+"'>"+reasonElement(reason)+"</item>", NSAdmin)
	return err
}

// Kick kicks the occupant nick out of the room (§8.2): SetRole with
// RoleNone.
func (r *Room) Kick(ctx context.Context, nick, reason string) error {
	return r.SetRole(ctx, nick, RoleNone, reason)
}

// SetAffiliation changes the affiliation of the user with the bare JID j
// (§9.1–§9.4, §10.3–§10.7): AffiliationOutcast bans, AffiliationMember,
// AffiliationAdmin and AffiliationOwner grant, AffiliationNone revokes.
func (r *Room) SetAffiliation(ctx context.Context, j xmpp.JID, aff Affiliation, reason string) error {
	_, err := r.query(ctx, xmpp.IQSet, "set affiliation", "<item jid='"+esc(j.Bare().String())+"' affiliation='"+esc(string(aff))+"'>"+reasonElement(reason)+"</item>", NSAdmin)
	return err
}

// Ban bans the user with the bare JID j (§9.1): SetAffiliation with
// AffiliationOutcast.
func (r *Room) Ban(ctx context.Context, j xmpp.JID, reason string) error {
	return r.SetAffiliation(ctx, j, AffiliationOutcast, reason)
}

// Affiliations fetches the list of users with the affiliation aff (§9.5,
// §9.8, §10.5, §10.8): outcasts, members, admins or owners.
func (r *Room) Affiliations(ctx context.Context, aff Affiliation) ([]Item, error) {
	reply, err := r.query(ctx, xmpp.IQGet, "get affiliations", "<item affiliation='"+esc(string(aff))+"'/>", NSAdmin)
	if err != nil {
		return nil, err
	}
	return parseItems(reply.Payload, NSAdmin)
}

// Roles fetches the occupants with the role role (§8.5, §9.8): voice list
// or moderators.
func (r *Room) Roles(ctx context.Context, role Role) ([]Item, error) {
	reply, err := r.query(ctx, xmpp.IQGet, "get roles", "<item role='"+esc(string(role))+"'/>", NSAdmin)
	if err != nil {
		return nil, err
	}
	return parseItems(reply.Payload, NSAdmin)
}

func parseItems(el xmpp.Element, space string) ([]Item, error) {
	if el.Name.Space != space || el.Name.Local != "query" {
		return nil, malformed(el.Raw, "reply is not a <query xmlns='%s'/>", space)
	}
	var items []Item
	for c := range el.Children() {
		if c.Name.Local != "item" {
			continue
		}
		it, err := parseItem(c)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return items, nil
}

// Invite sends a mediated invitation to the room for the user j (§7.8.2),
// through the room, which adds the password of a protected room.
func (r *Room) Invite(ctx context.Context, j xmpp.JID, reason string) error {
	x, err := element("<x xmlns='" + NSUser + "'><invite to='" + esc(j.String()) + "'>" + reasonElement(reason) + "</invite></x>")
	if err != nil {
		return err
	}
	if err := r.s.Send(ctx, &xmpp.Message{Header: xmpp.Header{To: r.jid}, Extensions: []xmpp.Element{x}}); err != nil {
		return fmt.Errorf("muc: invite %s to %s: %w", j, r.jid, err)
	}
	return nil
}

// InviteDirect sends a direct invitation to the room for the user j
// (XEP-0249), with the room's password if it has one.
func (r *Room) InviteDirect(ctx context.Context, j xmpp.JID, reason string) error {
	r.mu.Lock()
	password := r.opts.Password
	r.mu.Unlock()
	return InviteDirect(ctx, r.s, j, Invitation{Room: r.jid, Reason: reason, Password: password})
}

// Destroy destroys the room (§10.9); the occupants get EventDestroyed,
// with alternate (which may be zero) as the room to go to instead.
func (r *Room) Destroy(ctx context.Context, reason string, alternate xmpp.JID) error {
	var b strings.Builder
	b.WriteString("<destroy")
	if !alternate.IsZero() {
		b.WriteString(" jid='" + esc(alternate.String()) + "'")
	}
	b.WriteString(">" + reasonElement(reason) + "</destroy>")
	_, err := r.query(ctx, xmpp.IQSet, "destroy", b.String(), NSOwner)
	return err
}

// CreateInstant accepts the default configuration of a room the user just
// created (§10.1.2), which unlocks it on services that lock new rooms.
func (r *Room) CreateInstant(ctx context.Context) error {
	_, err := r.query(ctx, xmpp.IQSet, "create instant room", "<x xmlns='"+nsData+"' type='submit'/>", NSOwner)
	return err
}

// Config fetches the room's configuration form (§10.2), a form of
// FORM_TYPE http://jabber.org/protocol/muc#roomconfig (fields such as
// muc#roomconfig_membersonly, muc#roomconfig_passwordprotectedroom,
// muc#roomconfig_roomsecret, muc#roomconfig_maxusers, §15.5.3).
func (r *Room) Config(ctx context.Context) (*forms.Form, error) {
	reply, err := r.query(ctx, xmpp.IQGet, "get configuration", "", NSOwner)
	if err != nil {
		return nil, err
	}
	x, ok := reply.Payload.Child(nsData, "x")
	if !ok {
		return nil, malformed(reply.Payload.Raw, "configuration reply without a form")
	}
	f, err := forms.Parse(x)
	if err != nil {
		return nil, fmt.Errorf("muc: configuration form of %s: %w", r.jid, err)
	}
	return f, nil
}

// SubmitConfig submits f, the room's configuration form filled in, as a
// form of type submit (forms.Form.Submit) after validating it (§10.2). A
// form the room rejects is a *xmpp.StanzaError (not-acceptable,
// bad-request).
func (r *Room) SubmitConfig(ctx context.Context, f *forms.Form) error {
	if err := f.Validate(); err != nil {
		return fmt.Errorf("muc: configuration of %s: %w", r.jid, err)
	}
	el, err := f.Submit().Element()
	if err != nil {
		return fmt.Errorf("muc: configuration of %s: %w", r.jid, err)
	}
	_, err = r.query(ctx, xmpp.IQSet, "submit configuration", el.Raw, NSOwner)
	return err
}

// Configure fetches the room's configuration form, lets edit change its
// fields (with forms.Form.Set), and submits it (§10.2): a reserved room
// (§10.1.3) when called right after the join that created the room.
func (r *Room) Configure(ctx context.Context, edit func(*forms.Form) error) error {
	f, err := r.Config(ctx)
	if err != nil {
		return err
	}
	if err := edit(f); err != nil {
		return fmt.Errorf("muc: configuration of %s: %w", r.jid, err)
	}
	return r.SubmitConfig(ctx, f)
}
