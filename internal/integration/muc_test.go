package integration_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/forms"
	"github.com/gojabber/xmpp/mam"
	"github.com/gojabber/xmpp/muc"
	"github.com/gojabber/xmpp/xmpptest"
)

// MUC (XEP-0045, XEP-0249, XEP-0410) against the real servers' MUC
// services at conference.<domain>, with two or three of our own clients in
// a room. Prosody locks a room it creates until the owner submits the
// configuration; ejabberd opens it at once: mucCreate copes with both.

// mucUser is one of our clients with a muc.Manager.
type mucUser struct {
	c      *xmpp.Client
	rooms  *muc.Manager
	events chan muc.Event
	name   string
}

// mucEvents is the size of a mucUser's event channel.
const mucEvents = 1024

// mucLogin logs a fresh user in on srv with a muc.Manager; opts, if not
// nil, configure the Manager (OnEvent is set here), and edit the session's
// options.
func mucLogin(t *testing.T, srv *xmpptest.Server, prefix string, opts *muc.Options, edit func(*xmpp.Options)) *mucUser {
	t.Helper()
	return mucLoginMux(t, srv, prefix, opts, edit, nil)
}

// mucLoginMux is mucLogin with pre, if not nil, called on the Mux before
// the muc.Manager is registered on it.
func mucLoginMux(t *testing.T, srv *xmpptest.Server, prefix string, opts *muc.Options, edit func(*xmpp.Options), pre func(*xmpp.Mux)) *mucUser {
	t.Helper()
	user := freshUser(t, srv, prefix)
	u := &mucUser{events: make(chan muc.Event, mucEvents), name: user}
	var o muc.Options
	if opts != nil {
		o = *opts
	}
	o.OnEvent = func(_ xmpp.Session, e muc.Event) {
		select {
		case u.events <- e:
		default:
			t.Errorf("%s: event channel full, dropped %v", user, e.Type)
		}
	}
	mux := xmpp.NewMux()
	if pre != nil {
		pre(mux)
	}
	u.rooms = muc.New(mux, &o)
	xo := &xmpp.Options{Server: srv.C2SAddr, TLSConfig: srv.TLSConfig(), Handler: mux, OnStatus: u.rooms.OnStatus}
	if edit != nil {
		edit(xo)
	}
	c, err := xmpp.Dial(testCtx(t), srv.JID(user), srv.Password(user), xo)
	require.NoError(t, err, "Dial(%s)", user)
	t.Cleanup(func() { c.Close() })
	u.c = c
	return u
}

// waitEvent waits for an event of u that match accepts.
func (u *mucUser) waitEvent(t *testing.T, what string, match func(muc.Event) bool) muc.Event {
	t.Helper()
	return waitFor(t, u.events, u.name+": "+what, match)
}

// noEvent checks that u gets no event that match accepts within d.
func (u *mucUser) noEvent(t *testing.T, d time.Duration, what string, match func(muc.Event) bool) {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case e := <-u.events:
			if match(e) {
				t.Fatalf("%s: unexpected %s: %+v", u.name, what, e)
			}
		case <-timer.C:
			return
		}
	}
}

// mucRoom returns a new room JID on srv's MUC service.
func mucRoom(srv *xmpptest.Server, prefix string) xmpp.JID {
	return xmpp.MustParseJID(prefix + "-" + strings.ToLower(rand.Text()[:10]) + "@conference." + srv.Domain)
}

// mucCreate creates room with u as its owner, accepting the default
// configuration (which unlocks it on Prosody).
func mucCreate(t *testing.T, u *mucUser, room xmpp.JID, nick string) *muc.Room {
	t.Helper()
	r, err := u.rooms.Join(testCtx(t), u.c, room, nick, nil)
	require.NoError(t, err, "Join(%s) to create it", room)
	require.True(t, r.Created(), "Join(%s) created the room (201), codes %v", room, r.Codes())
	require.NoError(t, r.CreateInstant(testCtx(t)), "CreateInstant(%s)", room)
	return r
}

func isType(typ muc.EventType) func(muc.Event) bool {
	return func(e muc.Event) bool { return e.Type == typ }
}

// TestMUCBasics: alice creates a room, bob and carol join; they see each
// other come, talk (own messages recognised), set the subject, send a
// private message, change nick, change presence, get kicked, and leave.
func TestMUCBasics(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			alice, bob, carol := mucLogin(t, srv, "mucalice", nil, nil), mucLogin(t, srv, "mucbob", nil, nil), mucLogin(t, srv, "muccarol", nil, nil)
			room := mucRoom(srv, "basics")
			ar := mucCreate(t, alice, room, "Alice")
			self := ar.Self()
			require.Equal(t, muc.AffiliationOwner, self.Affiliation, "owner's affiliation")
			require.Equal(t, muc.RoleModerator, self.Role, "owner's role")
			require.Equal(t, "Alice", ar.Nick())

			br, err := bob.rooms.Join(testCtx(t), bob.c, room, "Bob", nil)
			require.NoError(t, err, "bob Join")
			require.Equal(t, []string{"Alice", "Bob"}, nicks(br.Occupants()), "occupants bob sees")
			require.Equal(t, muc.RoleParticipant, br.Self().Role)
			alice.waitEvent(t, "bob joined", func(e muc.Event) bool { return e.Type == muc.EventJoined && e.Occupant.Nick == "Bob" })
			cr, err := carol.rooms.Join(testCtx(t), carol.c, room, "Carol", &muc.JoinOptions{Show: xmpp.ShowAway, Status: "busy"})
			require.NoError(t, err, "carol Join")
			e := bob.waitEvent(t, "carol joined", func(e muc.Event) bool { return e.Type == muc.EventJoined && e.Occupant.Nick == "Carol" })
			require.Equal(t, xmpp.ShowAway, e.Occupant.Show)
			require.Equal(t, "busy", e.Occupant.Status)

			// A groupchat message: everyone gets it, the sender marked Own.
			id, err := br.Send(testCtx(t), "hello <room> & all")
			require.NoError(t, err)
			own := bob.waitEvent(t, "own message", isType(muc.EventMessage))
			require.True(t, own.Own, "bob's reflected message is Own")
			require.Equal(t, "hello <room> & all", own.Message.Body)
			got := carol.waitEvent(t, "bob's message", isType(muc.EventMessage))
			require.False(t, got.Own, "carol: bob's message is not Own")
			require.Equal(t, "Bob", got.Occupant.Nick)
			require.NotEmpty(t, id)

			// Subject.
			require.NoError(t, ar.SetSubject(testCtx(t), "Today: tests"))
			e = carol.waitEvent(t, "subject", isType(muc.EventSubject))
			require.Equal(t, "Today: tests", e.Subject)
			require.Equal(t, "Today: tests", cr.Subject())

			// Private message.
			require.NoError(t, cr.SendPrivate(testCtx(t), "Bob", "psst"))
			e = bob.waitEvent(t, "private message", isType(muc.EventPrivateMessage))
			require.Equal(t, "psst", e.Message.Body)
			require.Equal(t, "Carol", e.Occupant.Nick)

			// Nick change.
			require.NoError(t, br.ChangeNick(testCtx(t), "Robert"))
			require.Equal(t, "Robert", br.Nick())
			e = carol.waitEvent(t, "nick change", isType(muc.EventNickChanged))
			require.Equal(t, "Bob", e.Occupant.Nick)
			require.Equal(t, "Robert", e.NewNick)
			_, ok := cr.Occupant("Robert")
			require.True(t, ok, "carol sees Robert")
			_, ok = cr.Occupant("Bob")
			require.False(t, ok, "carol no longer sees Bob")
			// A nick in use.
			err = br.ChangeNick(testCtx(t), "Carol")
			require.ErrorIs(t, err, muc.ErrNickConflict)
			require.ErrorIs(t, err, xmpp.ErrConflict)

			// Presence change.
			require.NoError(t, cr.SetPresence(testCtx(t), xmpp.ShowDND, "meeting"))
			e = alice.waitEvent(t, "carol's presence", func(e muc.Event) bool { return e.Type == muc.EventChanged && e.Occupant.Nick == "Carol" })
			require.Equal(t, xmpp.ShowDND, e.Occupant.Show)
			require.Equal(t, xmpp.ShowAway, e.Previous.Show)

			// Kick.
			require.NoError(t, ar.Kick(testCtx(t), "Robert", "enough"))
			e = bob.waitEvent(t, "kicked", isType(muc.EventKicked))
			require.True(t, e.Self, "bob's kick is Self")
			require.Equal(t, "enough", e.Reason)
			require.False(t, br.Joined(), "bob is out")
			_, err = br.Send(testCtx(t), "still here?")
			require.ErrorIs(t, err, muc.ErrNotJoined)
			e = carol.waitEvent(t, "bob kicked", isType(muc.EventKicked))
			require.False(t, e.Self)
			require.Equal(t, "Robert", e.Occupant.Nick)

			// Leave.
			require.NoError(t, cr.Leave(testCtx(t), "bye"))
			e = alice.waitEvent(t, "carol left", isType(muc.EventLeft))
			require.Equal(t, "Carol", e.Occupant.Nick)
			require.Equal(t, []string{"Alice"}, nicks(ar.Occupants()))
			_, ok = carol.rooms.Room(carol.c, room)
			require.False(t, ok, "carol's Manager forgot the room")
		})
	}
}

func nicks(occ []muc.Occupant) []string {
	var n []string
	for _, o := range occ {
		n = append(n, o.Nick)
	}
	return n
}

// mucJoinErr joins room as u and returns the error, which must be one.
func mucJoinErr(t *testing.T, u *mucUser, room xmpp.JID, nick string, opts *muc.JoinOptions) error {
	t.Helper()
	r, err := u.rooms.Join(testCtx(t), u.c, room, nick, opts)
	require.Error(t, err, "Join(%s as %s) succeeded", room, nick)
	require.Nil(t, r)
	var je *muc.JoinError
	require.ErrorAs(t, err, &je, "Join(%s as %s) = %v, want a *JoinError", room, nick, err)
	_, tracked := u.rooms.Room(u.c, room)
	require.False(t, tracked, "a refused room is not tracked")
	return err
}

// TestMUCJoinErrors: every refusal a real server produces is a typed
// error: nickname in use, password required and wrong, members-only,
// banned, locked room (Prosody), room full (ejabberd).
func TestMUCJoinErrors(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			alice, bob := mucLogin(t, srv, "mucealice", nil, nil), mucLogin(t, srv, "mucebob", nil, nil)

			t.Run("conflict", func(t *testing.T) {
				room := mucRoom(srv, "conflict")
				mucCreate(t, alice, room, "Alice")
				err := mucJoinErr(t, bob, room, "Alice", nil)
				require.ErrorIs(t, err, muc.ErrNickConflict)
				require.ErrorIs(t, err, xmpp.ErrConflict)
			})
			t.Run("password", func(t *testing.T) {
				room := mucRoom(srv, "password")
				ar := mucCreate(t, alice, room, "Alice")
				require.NoError(t, ar.Configure(testCtx(t), func(f *forms.Form) error {
					// Prosody has only the secret; ejabberd also the flag.
					if _, ok := f.Field("muc#roomconfig_passwordprotectedroom"); ok {
						if err := f.SetBool("muc#roomconfig_passwordprotectedroom", true); err != nil {
							return err
						}
					}
					return f.Set("muc#roomconfig_roomsecret", "s3cret")
				}))
				require.ErrorIs(t, mucJoinErr(t, bob, room, "Bob", nil), muc.ErrNotAuthorized)
				require.ErrorIs(t, mucJoinErr(t, bob, room, "Bob", &muc.JoinOptions{Password: "wrong"}), xmpp.ErrNotAuthorized)
				br, err := bob.rooms.Join(testCtx(t), bob.c, room, "Bob", &muc.JoinOptions{Password: "s3cret"})
				require.NoError(t, err, "Join with the password")
				require.Contains(t, br.Info().Features, "muc_passwordprotected")
			})
			t.Run("membersonly", func(t *testing.T) {
				room := mucRoom(srv, "members")
				ar := mucCreate(t, alice, room, "Alice")
				require.NoError(t, ar.Configure(testCtx(t), func(f *forms.Form) error {
					return f.SetBool("muc#roomconfig_membersonly", true)
				}))
				require.ErrorIs(t, mucJoinErr(t, bob, room, "Bob", nil), muc.ErrMembersOnly)
				require.NoError(t, ar.SetAffiliation(testCtx(t), bob.c.JID(), muc.AffiliationMember, "welcome"))
				members, err := ar.Affiliations(testCtx(t), muc.AffiliationMember)
				require.NoError(t, err)
				require.Len(t, members, 1)
				require.Equal(t, bob.c.JID().Bare(), members[0].JID.Bare())
				br, err := bob.rooms.Join(testCtx(t), bob.c, room, "Bob", nil)
				require.NoError(t, err, "Join as a member")
				require.Equal(t, muc.AffiliationMember, br.Self().Affiliation)
			})
			t.Run("banned", func(t *testing.T) {
				room := mucRoom(srv, "banned")
				ar := mucCreate(t, alice, room, "Alice")
				br, err := bob.rooms.Join(testCtx(t), bob.c, room, "Bob", nil)
				require.NoError(t, err)
				require.NoError(t, ar.Ban(testCtx(t), bob.c.JID(), "spam"))
				e := bob.waitEvent(t, "banned", func(e muc.Event) bool { return e.Type == muc.EventBanned && e.Room == br })
				require.True(t, e.Self)
				require.Equal(t, "spam", e.Reason)
				outcasts, err := ar.Affiliations(testCtx(t), muc.AffiliationOutcast)
				require.NoError(t, err)
				require.Len(t, outcasts, 1)
				err = mucJoinErr(t, bob, room, "Bob", nil)
				require.ErrorIs(t, err, muc.ErrBanned)
				require.ErrorIs(t, err, xmpp.ErrForbidden)
			})
			t.Run("full", func(t *testing.T) {
				room := mucRoom(srv, "full")
				ar := mucCreate(t, alice, room, "Alice")
				form, err := ar.Config(testCtx(t))
				require.NoError(t, err)
				field, ok := form.Field("muc#roomconfig_maxusers")
				if !ok {
					t.Skipf("%s has no muc#roomconfig_maxusers", s.name)
				}
				limit := 0
				for _, o := range field.Options {
					if n, err := strconv.Atoi(o.Value); err == nil && (limit == 0 || n < limit) {
						limit = n
					}
				}
				require.NotZero(t, limit, "options of muc#roomconfig_maxusers: %+v", field.Options)
				require.NoError(t, form.Set("muc#roomconfig_maxusers", strconv.Itoa(limit)))
				require.NoError(t, ar.SubmitConfig(testCtx(t), form))
				for i := 1; i < limit; i++ {
					u := mucLogin(t, srv, "mucfull", nil, nil)
					_, err := u.rooms.Join(testCtx(t), u.c, room, "user"+strconv.Itoa(i), nil)
					require.NoError(t, err, "occupant %d of %d", i+1, limit)
				}
				err = mucJoinErr(t, bob, room, "Bob", nil)
				require.ErrorIs(t, err, muc.ErrRoomFull)
				// ejabberd 23.01 says resource-constraint, not the
				// service-unavailable of §7.2.12.
				require.True(t, errors.Is(err, xmpp.ErrServiceUnavailable) || errors.Is(err, xmpp.ErrResourceConstraint), "condition of %v", err)
			})
			t.Run("locked", func(t *testing.T) {
				if s.name != "prosody" {
					t.Skip("ejabberd does not lock new rooms")
				}
				room := mucRoom(srv, "locked")
				ar, err := alice.rooms.Join(testCtx(t), alice.c, room, "Alice", nil)
				require.NoError(t, err)
				require.True(t, ar.Created())
				require.ErrorIs(t, mucJoinErr(t, bob, room, "Bob", nil), muc.ErrRoomNotFound)
				require.NoError(t, ar.CreateInstant(testCtx(t)))
				_, err = bob.rooms.Join(testCtx(t), bob.c, room, "Bob", nil)
				require.NoError(t, err, "Join once unlocked")
			})
		})
	}
}

// mucKick ends the session of the full JID j on the server side, as an
// admin does; the client is not told if its link is blackholed.
func mucKick(t *testing.T, srv *xmpptest.Server, j xmpp.JID) {
	t.Helper()
	var err error
	var out string
	if srv.Kind == xmpptest.KindProsody {
		out, err = srv.Ctl(testCtx(t), "shell", "c2s", "close", j.String())
	} else {
		out, err = srv.Ctl(testCtx(t), "kick_session", j.Local(), j.Domain(), j.Resource(), "test")
	}
	require.NoError(t, err, "kick %s: %s", j, out)
}

// TestMUCReconnect: a bot in three rooms behind a fault proxy, with stream
// management and Options.Reconnect, its status changes passed to the
// muc.Manager. A reset link is resumed: nothing is rejoined and no
// message is delivered twice. Then the link is blackholed and the server
// ends the session, so the resumption is refused: the bot logs in anew
// and rejoins the three rooms, gets what was said while it was out, and
// not one message twice.
func TestMUCReconnect(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			alice := mucLogin(t, srv, "mucralice", nil, nil)
			proxy := faultProxy(t, srv)
			statuses := make(chan xmpp.Status, 16)
			var bot *mucUser
			bot = mucLogin(t, srv, "mucrbot", nil, func(o *xmpp.Options) {
				o.Server = proxy.Addr()
				o.StreamManagement = true
				o.PingIdle, o.PingTimeout = 300*time.Millisecond, time.Second
				o.Reconnect = &xmpp.ReconnectOptions{MinDelay: 20 * time.Millisecond, MaxDelay: 200 * time.Millisecond}
				o.OnStatus = func(c *xmpp.Client, st xmpp.Status, err error) {
					bot.rooms.OnStatus(c, st, err)
					statuses <- st
				}
			})
			require.True(t, bot.c.StreamManagement().Resumable)

			var rooms []*muc.Room
			for i := range 3 {
				room := mucRoom(srv, "reconnect"+strconv.Itoa(i))
				rooms = append(rooms, mucCreate(t, alice, room, "Alice"))
				_, err := bot.rooms.Join(testCtx(t), bot.c, room, "Bot", nil)
				require.NoError(t, err)
				alice.waitEvent(t, "bot joined", func(e muc.Event) bool { return e.Type == muc.EventJoined && e.Occupant.Nick == "Bot" })
			}
			got := map[string]int{} // "room|body" → deliveries to the bot
			say := func(round string) {
				for _, r := range rooms {
					_, err := r.Send(testCtx(t), round+" in "+r.JID().Local())
					require.NoError(t, err)
				}
			}
			receive := func(round string, delayed bool) {
				for range rooms {
					e := bot.waitEvent(t, round, func(e muc.Event) bool {
						if e.Type == muc.EventMessage {
							got[e.Room.JID().Local()+"|"+e.Message.Body]++
							return strings.HasPrefix(e.Message.Body, round+" ")
						}
						return false
					})
					require.Equal(t, delayed, e.Delayed, "%s delayed", e.Message.Body)
				}
			}
			say("one")
			receive("one", false)

			// Resumed: no rejoin, no duplicate.
			proxy.Reset()
			require.Equal(t, xmpp.StatusReconnecting, waitFor(t, statuses, "reconnecting", func(xmpp.Status) bool { return true }))
			require.Equal(t, xmpp.StatusResumed, waitFor(t, statuses, "resumed", func(xmpp.Status) bool { return true }))
			say("two")
			receive("two", false)
			bot.noEvent(t, 500*time.Millisecond, "event after a resumption", func(e muc.Event) bool {
				return e.Type == muc.EventRejoined || e.Type == muc.EventJoined || e.Type == muc.EventMessage
			})
			alice.noEvent(t, 0, "bot left or joined", func(e muc.Event) bool {
				return (e.Type == muc.EventLeft || e.Type == muc.EventJoined) && e.Occupant.Nick == "Bot"
			})

			// Refused: blackhole the link, end the session on the server,
			// talk while the bot is out.
			proxy.Blackhole(0)
			mucKick(t, srv, bot.c.JID())
			out := map[*muc.Room]bool{}
			for len(out) < len(rooms) {
				e := alice.waitEvent(t, "bot out of the rooms", func(e muc.Event) bool {
					return e.Type == muc.EventLeft && e.Occupant.Nick == "Bot"
				})
				out[e.Room] = true
			}
			say("three")
			require.Equal(t, xmpp.StatusReconnecting, waitFor(t, statuses, "reconnecting", func(xmpp.Status) bool { return true }))
			require.Equal(t, xmpp.StatusConnected, waitFor(t, statuses, "connected anew", func(xmpp.Status) bool { return true }))
			rejoined := map[xmpp.JID]bool{}
			for len(rejoined) < len(rooms) {
				e := bot.waitEvent(t, "rejoined", func(e muc.Event) bool {
					if e.Type == muc.EventMessage {
						got[e.Room.JID().Local()+"|"+e.Message.Body]++
					}
					return e.Type == muc.EventRejoined
				})
				require.Equal(t, muc.ReasonReconnect, e.Reason)
				require.True(t, e.Self)
				rejoined[e.Room.JID()] = true
			}
			// History since the last message seen: "three", perhaps "two"
			// again, which must be dropped.
			deadline := time.Now().Add(opTimeout)
			for time.Now().Before(deadline) {
				n := 0
				for _, r := range rooms {
					n += got[r.JID().Local()+"|three in "+r.JID().Local()]
				}
				if n >= len(rooms) {
					break
				}
				select {
				case e := <-bot.events:
					if e.Type == muc.EventMessage {
						require.True(t, e.Delayed, "%q after the rejoin is history", e.Message.Body)
						got[e.Room.JID().Local()+"|"+e.Message.Body]++
					}
				case <-time.After(100 * time.Millisecond):
				}
			}
			bot.noEvent(t, 500*time.Millisecond, "more messages", func(e muc.Event) bool {
				if e.Type == muc.EventMessage {
					got[e.Room.JID().Local()+"|"+e.Message.Body]++
				}
				return false
			})
			for _, r := range rooms {
				for _, round := range []string{"one", "two", "three"} {
					k := r.JID().Local() + "|" + round + " in " + r.JID().Local()
					require.Equal(t, 1, got[k], "deliveries of %q (all: %v)", k, got)
				}
				require.True(t, r.Joined())
			}
			for _, r := range bot.rooms.Rooms(bot.c) {
				require.True(t, r.Joined(), "bot in %s", r.JID())
			}
			require.Len(t, bot.rooms.Rooms(bot.c), 3)
		})
	}
}

// TestMUCSelfPing: with XEP-0410 self-pings on, a bot that the room
// removed without the bot hearing of it (its client drops the kick
// presence, as a lost stanza or a restarted service would) finds out with
// its next self-ping and rejoins; while it is in the room, the pings
// change nothing.
func TestMUCSelfPing(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			alice := mucLogin(t, srv, "mucpalice", nil, nil)
			var dropped atomic.Int32
			bot := mucLoginMux(t, srv, "mucpbot", &muc.Options{SelfPingInterval: 300 * time.Millisecond}, nil, func(mux *xmpp.Mux) {
				mux.WatchPresences(func(_ xmpp.Session, p *xmpp.Presence) bool {
					if p.Type == xmpp.PresenceUnavailable && p.From.Resource() == "Bot" {
						dropped.Add(1)
						return true // lost
					}
					return false
				})
			})
			room := mucRoom(srv, "selfping")
			ar := mucCreate(t, alice, room, "Alice")
			br, err := bot.rooms.Join(testCtx(t), bot.c, room, "Bot", nil)
			require.NoError(t, err)
			bot.noEvent(t, time.Second, "a rejoin while joined", isType(muc.EventRejoined))

			require.NoError(t, ar.Kick(testCtx(t), "Bot", "silently"))
			e := bot.waitEvent(t, "rejoined", isType(muc.EventRejoined))
			require.Equal(t, muc.ReasonSelfPing, e.Reason)
			require.Same(t, br, e.Room)
			require.EqualValues(t, 1, dropped.Load(), "kick presences dropped")
			require.True(t, br.Joined())
			alice.waitEvent(t, "bot back", func(e muc.Event) bool { return e.Type == muc.EventJoined && e.Occupant.Nick == "Bot" })
		})
	}
}

// TestMUCInvitations: mediated invitations (§7.8.2) and their declines,
// direct invitations (XEP-0249), and a room destroyed with an alternate
// venue (§10.9).
func TestMUCInvitations(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			alice, bob := mucLogin(t, srv, "mucialice", nil, nil), mucLogin(t, srv, "mucibob", nil, nil)
			// Invitations go to bare JIDs: available resources get them.
			for _, u := range []*mucUser{alice, bob} {
				require.NoError(t, u.c.Send(testCtx(t), xmpp.Available("", "", 0)))
			}
			room := mucRoom(srv, "invite")
			ar := mucCreate(t, alice, room, "Alice")

			require.NoError(t, ar.Invite(testCtx(t), bob.c.JID().Bare(), "come in"))
			e := bob.waitEvent(t, "mediated invitation", isType(muc.EventInvited))
			require.False(t, e.Invite.Direct)
			require.Equal(t, room, e.Invite.Room)
			// ejabberd names the inviter by JID; Prosody 0.12, in a
			// semi-anonymous room, by occupant JID.
			aliceOccupant, _ := room.WithResource("Alice")
			require.Contains(t, []xmpp.JID{alice.c.JID().Bare(), alice.c.JID(), aliceOccupant}, e.Invite.From, "inviter")
			require.Equal(t, "come in", e.Invite.Reason)
			require.Nil(t, e.Room, "bob is not in the room")
			require.NoError(t, muc.Decline(testCtx(t), bob.c, *e.Invite, "busy"))
			e = alice.waitEvent(t, "decline", isType(muc.EventDeclined))
			require.Equal(t, bob.c.JID().Bare(), e.Decline.From.Bare())
			require.Equal(t, "busy", e.Decline.Reason)

			require.NoError(t, ar.InviteDirect(testCtx(t), bob.c.JID().Bare(), "direct"))
			e = bob.waitEvent(t, "direct invitation", isType(muc.EventInvited))
			require.True(t, e.Invite.Direct)
			require.Equal(t, room, e.Invite.Room)
			require.Equal(t, "direct", e.Invite.Reason)
			require.Equal(t, alice.c.JID(), e.Invite.From)
			br, err := bob.rooms.Join(testCtx(t), bob.c, e.Invite.Room, "Bob", &muc.JoinOptions{Password: e.Invite.Password})
			require.NoError(t, err)

			alt := mucRoom(srv, "alternate")
			require.NoError(t, ar.Destroy(testCtx(t), "moving", alt))
			e = bob.waitEvent(t, "destroyed", isType(muc.EventDestroyed))
			require.True(t, e.Self)
			require.Equal(t, alt, e.Destroyed.Alternate)
			require.Equal(t, "moving", e.Destroyed.Reason)
			require.False(t, br.Joined())
		})
	}
}

// buildMUCBot builds examples/mucbot into a temporary directory.
func buildMUCBot(t *testing.T) string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(here), "..", "..")
	bin := filepath.Join(t.TempDir(), "mucbot")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./examples/mucbot")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build ./examples/mucbot:\n%s", out)
	return bin
}

// botLog is the log of a running mucbot, line by line.
type botLog struct {
	mu    sync.Mutex
	lines []string
	fresh chan struct{}
}

func (l *botLog) add(s string) {
	l.mu.Lock()
	l.lines = append(l.lines, s)
	l.mu.Unlock()
	select {
	case l.fresh <- struct{}{}:
	default:
	}
}

// waitLine waits for a line containing s, after the first skip lines.
func (l *botLog) waitLine(t *testing.T, s string) {
	t.Helper()
	deadline := time.After(opTimeout)
	for {
		l.mu.Lock()
		for _, line := range l.lines {
			if strings.Contains(line, s) {
				l.mu.Unlock()
				return
			}
		}
		l.mu.Unlock()
		select {
		case <-l.fresh:
		case <-deadline:
			t.Fatalf("mucbot never logged %q; log:\n%s", s, l)
		}
	}
}

func (l *botLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// TestMUCBot runs examples/mucbot as a program against the real servers:
// it joins the room given on its command line, answers !ping and !help in
// the room and in private, never answers itself, logs occupants joining,
// and rejoins after a kick.
func TestMUCBot(t *testing.T) {
	t.Parallel()
	bin := buildMUCBot(t)
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			alice, bob := mucLogin(t, srv, "mucbalice", nil, nil), mucLogin(t, srv, "mucbbob", nil, nil)
			room := mucRoom(srv, "bot")
			ar := mucCreate(t, alice, room, "Alice")
			botUser := freshUser(t, srv, "mucbot")

			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			t.Cleanup(cancel)
			cmd := exec.CommandContext(ctx, bin, "-jid", srv.JID(botUser), "-password", srv.Password(botUser),
				"-server", srv.C2SAddr, "-room", room.String(), "-nick", "Bot", "-rejoin-delay", "200ms")
			cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+srv.CAFile)
			cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
			cmd.WaitDelay = 5 * time.Second
			stderr, err := cmd.StderrPipe()
			require.NoError(t, err)
			require.NoError(t, cmd.Start())
			logs := &botLog{fresh: make(chan struct{}, 1)}
			t.Cleanup(func() {
				cancel()
				cmd.Wait()
				if t.Failed() {
					t.Logf("mucbot log:\n%s", logs)
				}
			})
			go func() {
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					logs.add(sc.Text())
				}
			}()
			logs.waitLine(t, "mucbot in "+room.String()+" as Bot")
			alice.waitEvent(t, "bot joined", func(e muc.Event) bool { return e.Type == muc.EventJoined && e.Occupant.Nick == "Bot" })

			answer := func(u *mucUser, want string) {
				t.Helper()
				e := u.waitEvent(t, "answer "+want, func(e muc.Event) bool {
					return e.Type == muc.EventMessage && e.Occupant.Nick == "Bot"
				})
				require.Equal(t, want, e.Message.Body)
			}
			_, err = ar.Send(testCtx(t), "!ping")
			require.NoError(t, err)
			answer(alice, "pong")
			_, err = ar.Send(testCtx(t), "!help")
			require.NoError(t, err)
			e := alice.waitEvent(t, "help", func(e muc.Event) bool { return e.Type == muc.EventMessage && e.Occupant.Nick == "Bot" })
			require.Contains(t, e.Message.Body, "!ping")
			require.NoError(t, ar.SendPrivate(testCtx(t), "Bot", "!ping"))
			e = alice.waitEvent(t, "private pong", isType(muc.EventPrivateMessage))
			require.Equal(t, "pong", e.Message.Body)
			require.Equal(t, "Bot", e.Occupant.Nick)

			_, err = bob.rooms.Join(testCtx(t), bob.c, room, "Bob", nil)
			require.NoError(t, err)
			logs.waitLine(t, "occupant joined: Bob")

			require.NoError(t, ar.Kick(testCtx(t), "Bot", "out"))
			logs.waitLine(t, "kicked from "+room.String())
			alice.waitEvent(t, "bot back", func(e muc.Event) bool { return e.Type == muc.EventJoined && e.Occupant.Nick == "Bot" })
			_, err = ar.Send(testCtx(t), "!ping")
			require.NoError(t, err)
			answer(alice, "pong")
			// The bot answered nothing of its own, nor twice.
			alice.noEvent(t, 300*time.Millisecond, "another bot message", func(e muc.Event) bool {
				return e.Type == muc.EventMessage && e.Occupant.Nick == "Bot"
			})
		})
	}
}

// TestMUCArchive: a room with an archive is joined without history by
// default; its history comes from the archive (mam with the room's JID),
// without the messages already seen live.
func TestMUCArchive(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			alice := mucLogin(t, srv, "mucaalice", nil, nil)
			var archive *mam.Archive
			bob := mucLoginMux(t, srv, "mucabob", nil, nil, func(mux *xmpp.Mux) { archive = mam.Register(mux, nil) })
			room := mucRoom(srv, "archive")
			ar := mucCreate(t, alice, room, "Alice")
			for i := range 3 {
				_, err := ar.Send(testCtx(t), "before "+strconv.Itoa(i))
				require.NoError(t, err)
				alice.waitEvent(t, "own message", isType(muc.EventMessage))
			}
			br, err := bob.rooms.Join(testCtx(t), bob.c, room, "Bob", nil)
			require.NoError(t, err)
			require.Contains(t, br.Info().Features, "urn:xmpp:mam:2", "the room has an archive")
			bob.noEvent(t, 300*time.Millisecond, "history on joining", isType(muc.EventMessage))

			_, err = ar.Send(testCtx(t), "live")
			require.NoError(t, err)
			bob.waitEvent(t, "live message", isType(muc.EventMessage))

			var bodies []string
			deadline := time.Now().Add(opTimeout)
			for len(bodies) < 3 && time.Now().Before(deadline) {
				res, err := br.FetchHistory(testCtx(t), archive, 10)
				require.NoError(t, err)
				for _, r := range res {
					require.Equal(t, room, r.By)
					bodies = append(bodies, r.Message.Body)
				}
			}
			require.Equal(t, []string{"before 0", "before 1", "before 2"}, bodies, "archive without the live message")
			res, err := br.FetchHistory(testCtx(t), archive, 10)
			require.NoError(t, err)
			require.Empty(t, res, "a second fetch has nothing new")
		})
	}
}

// TestMUCRoles: voice revoked and granted, moderator and admin granted,
// and removals: a non-member when the room becomes members-only (322), a
// member whose membership is revoked in a members-only room (321).
func TestMUCRoles(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			alice, bob, carol := mucLogin(t, srv, "muclalice", nil, nil), mucLogin(t, srv, "muclbob", nil, nil), mucLogin(t, srv, "muclcarol", nil, nil)
			room := mucRoom(srv, "roles")
			ar := mucCreate(t, alice, room, "Alice")
			br, err := bob.rooms.Join(testCtx(t), bob.c, room, "Bob", nil)
			require.NoError(t, err)
			cr, err := carol.rooms.Join(testCtx(t), carol.c, room, "Carol", nil)
			require.NoError(t, err)
			selfChanged := func(u *mucUser, what string, ok func(muc.Occupant) bool) {
				t.Helper()
				u.waitEvent(t, what, func(e muc.Event) bool { return e.Type == muc.EventChanged && e.Self && ok(e.Occupant) })
			}
			require.NoError(t, ar.SetRole(testCtx(t), "Bob", muc.RoleVisitor, "hush"))
			selfChanged(bob, "voice revoked", func(o muc.Occupant) bool { return o.Role == muc.RoleVisitor })
			require.NoError(t, ar.SetRole(testCtx(t), "Bob", muc.RoleParticipant, ""))
			selfChanged(bob, "voice granted", func(o muc.Occupant) bool { return o.Role == muc.RoleParticipant })
			require.NoError(t, ar.SetRole(testCtx(t), "Bob", muc.RoleModerator, ""))
			selfChanged(bob, "moderator", func(o muc.Occupant) bool { return o.Role == muc.RoleModerator })
			mods, err := ar.Roles(testCtx(t), muc.RoleModerator)
			require.NoError(t, err)
			require.Contains(t, nicksOf(mods), "Bob")
			require.NoError(t, ar.SetAffiliation(testCtx(t), bob.c.JID(), muc.AffiliationAdmin, ""))
			selfChanged(bob, "admin", func(o muc.Occupant) bool { return o.Affiliation == muc.AffiliationAdmin })
			require.Equal(t, muc.AffiliationAdmin, br.Self().Affiliation)

			// Members-only: carol, no member, is removed (322).
			require.NoError(t, ar.Configure(testCtx(t), func(f *forms.Form) error {
				return f.SetBool("muc#roomconfig_membersonly", true)
			}))
			e := carol.waitEvent(t, "removed", func(e muc.Event) bool { return e.Type == muc.EventRemoved && e.Self })
			require.Contains(t, e.Codes, muc.StatusMembersOnly)
			require.False(t, cr.Joined())

			// Bob's affiliation revoked in a members-only room (321).
			require.NoError(t, ar.SetAffiliation(testCtx(t), bob.c.JID(), muc.AffiliationNone, "bye"))
			e = bob.waitEvent(t, "removed", func(e muc.Event) bool { return e.Type == muc.EventRemoved && e.Self })
			require.Contains(t, e.Codes, muc.StatusAffiliation)
			require.False(t, br.Joined())
		})
	}
}

func nicksOf(items []muc.Item) []string {
	var n []string
	for _, it := range items {
		n = append(n, it.Nick)
	}
	return n
}

// TestMUCOwner: owner status granted and revoked (XEP-0045 §10.3, §10.4).
// Bob, an admin, is made an owner, then an admin again; carol, another
// occupant, sees each change as an EventChanged with the new affiliation
// and the old one in Previous; the owner list has bob only while he is
// one, and only then may he fetch the room's configuration.
func TestMUCOwner(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			alice, bob, carol := mucLogin(t, srv, "mucoalice", nil, nil), mucLogin(t, srv, "mucobob", nil, nil), mucLogin(t, srv, "mucocarol", nil, nil)
			room := mucRoom(srv, "owner")
			ar := mucCreate(t, alice, room, "Alice")
			br, err := bob.rooms.Join(testCtx(t), bob.c, room, "Bob", nil)
			require.NoError(t, err)
			cr, err := carol.rooms.Join(testCtx(t), carol.c, room, "Carol", nil)
			require.NoError(t, err)
			bobChanged := func(what string, aff muc.Affiliation) muc.Event {
				t.Helper()
				return carol.waitEvent(t, what, func(e muc.Event) bool {
					return e.Type == muc.EventChanged && !e.Self && e.Occupant.Nick == "Bob" && e.Occupant.Affiliation == aff
				})
			}
			owners := func() []xmpp.JID {
				t.Helper()
				items, err := ar.Affiliations(testCtx(t), muc.AffiliationOwner)
				require.NoError(t, err, "Affiliations(owner)")
				var js []xmpp.JID
				for _, it := range items {
					js = append(js, it.JID.Bare())
				}
				return js
			}

			require.NoError(t, ar.SetAffiliation(testCtx(t), bob.c.JID(), muc.AffiliationAdmin, ""))
			bobChanged("bob made admin", muc.AffiliationAdmin)
			_, err = br.Config(testCtx(t))
			require.ErrorIs(t, err, xmpp.ErrForbidden, "Config() by an admin")

			// Granted (§10.3): admin → owner.
			require.NoError(t, ar.SetAffiliation(testCtx(t), bob.c.JID(), muc.AffiliationOwner, "co-owner"))
			e := bobChanged("bob made owner", muc.AffiliationOwner)
			require.Equal(t, muc.AffiliationAdmin, e.Previous.Affiliation, "carol: Bob's previous affiliation")
			require.Equal(t, muc.RoleModerator, e.Occupant.Role, "carol: an owner's role")
			o, ok := cr.Occupant("Bob")
			require.True(t, ok)
			require.Equal(t, muc.AffiliationOwner, o.Affiliation, "carol's Room: Bob's affiliation")
			bob.waitEvent(t, "own owner status", func(e muc.Event) bool {
				return e.Type == muc.EventChanged && e.Self && e.Occupant.Affiliation == muc.AffiliationOwner
			})
			require.Equal(t, muc.AffiliationOwner, br.Self().Affiliation)
			require.ElementsMatch(t, []xmpp.JID{alice.c.JID().Bare(), bob.c.JID().Bare()}, owners(), "owners")
			_, err = br.Config(testCtx(t))
			require.NoError(t, err, "Config() by an owner")

			// Revoked (§10.4): owner → admin.
			require.NoError(t, ar.SetAffiliation(testCtx(t), bob.c.JID(), muc.AffiliationAdmin, ""))
			e = bobChanged("bob admin again", muc.AffiliationAdmin)
			require.Equal(t, muc.AffiliationOwner, e.Previous.Affiliation, "carol: Bob's previous affiliation")
			bob.waitEvent(t, "own owner status revoked", func(e muc.Event) bool {
				return e.Type == muc.EventChanged && e.Self && e.Occupant.Affiliation == muc.AffiliationAdmin
			})
			require.Equal(t, muc.AffiliationAdmin, br.Self().Affiliation)
			require.True(t, br.Joined(), "bob stays in the room")
			require.Equal(t, []xmpp.JID{alice.c.JID().Bare()}, owners(), "owners after the revocation")
			_, err = br.Config(testCtx(t))
			require.ErrorIs(t, err, xmpp.ErrForbidden, "Config() by a former owner")
		})
	}
}
