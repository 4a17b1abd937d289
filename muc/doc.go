// Package muc is group chat: Multi-User Chat, XEP-0045 version 1.35
// (https://xmpp.org/extensions/xep-0045.html), with Direct MUC Invitations,
// XEP-0249 version 1.2, and MUC Self-Ping, XEP-0410 version 1.1.
//
// # Use
//
// Create a [Manager] on the session's [xmpp.Mux] with [New] before Dial,
// with an Options.OnEvent for what happens in the rooms, then [Manager.Join]
// rooms:
//
//	mux := xmpp.NewMux()
//	rooms := muc.New(mux, &muc.Options{OnEvent: func(s xmpp.Session, e muc.Event) { ... }})
//	c, err := xmpp.Dial(ctx, jid, password, &xmpp.Options{Handler: mux, OnStatus: rooms.OnStatus, ...})
//	...
//	room, err := rooms.Join(ctx, c, xmpp.MustParseJID("room@conference.example.org"), "bot", nil)
//	...
//	room.Send(ctx, "hello")
//
// Join blocks until the room has confirmed the join with the user's own
// presence (status code 110), or refused it with a typed error (a
// [*JoinError] matching ErrNickConflict, ErrNotAuthorized, ErrMembersOnly,
// ErrBanned, ErrRoomNotFound, ErrCreationNotAllowed or ErrRoomFull), or
// until ctx ends or Options.Timeout passes ([ErrNoAnswer]): it never hangs.
// It may be called from a handler and from OnEvent: the presences it waits
// for are taken on the session's reader goroutine (xmpp.Mux.WatchPresences).
//
// # Events
//
// Every room's events arrive at Options.OnEvent, one shape for all
// ([Event] with its [EventType]), in the order of the stanzas they come
// from, on the handler goroutine: occupants joining, leaving and changing,
// nickname changes (303), kicks (307), bans (301), removals (321, 322,
// 332), the subject, groupchat messages (history marked Delayed, the
// user's own reflected messages marked Own, found by their origin-id,
// XEP-0359), private messages, errors and invitations (mediated, §7.8.2,
// and direct, XEP-0249).
//
// A kick, a ban, a removal (including a service shutdown, 332) or the
// destruction of the room ends the user's stay: the event has Self set,
// the Room's calls return ErrNotJoined, and the Manager never rejoins such
// a room by itself; the application may Join it again. Only a room the
// user lost without being told (a new stream, a silent eviction found by
// a self-ping, below) is rejoined automatically.
//
// # Surviving the network
//
// With xmpp.Options.Reconnect, pass the session's status changes to
// [Manager.HandleStatus], or set xmpp.Options.OnStatus to
// [Manager.OnStatus]. After a resumed stream (XEP-0198) nothing is
// rejoined, since the server kept the user in the rooms. After a new
// stream, every room the session was in is rejoined, asking only for the
// history since the last message seen ([Options].HistoryMargin before it);
// messages seen before are dropped by their stanza-id, so none is delivered
// twice, and [EventRejoined] tells the application. With
// Options.SelfPingInterval, a room silent for that long is pinged (XEP-0410)
// and rejoined if the service says the user is no longer in it.
//
// # History and archives
//
// A room with an archive (its disco#info lists urn:xmpp:mam:2) is joined
// without history by default; fetch the history with package mam, giving
// the room's JID as the archive (mam.Archive.Fetch).
//
// # Creating and configuring rooms
//
// Joining a room that does not exist creates it (Room.Created, status
// 201). [Room.CreateInstant] accepts the default configuration (an instant
// room, §10.1.2); [Room.Configure] fetches the configuration form, lets a
// function change its fields with package forms (XEP-0004), and submits it
// (a reserved room, §10.1.3; also later, to reconfigure a room). Prosody keeps a new
// room locked (others get item-not-found) until then; ejabberd does not.
package muc
