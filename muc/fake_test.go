package muc_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/muc"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

// Tests against the scripted server, for what no real server does: a room
// that never answers, a rewritten nickname (210), creation not allowed, a
// join made from a handler, malformed room stanzas.

const roomJID = "room@conference.example.test"

type session struct {
	c      *xmpp.Client
	s      *fake.Server
	rooms  *muc.Manager
	mux    *xmpp.Mux
	events chan muc.Event
}

func start(t *testing.T, opts *muc.Options) *session {
	t.Helper()
	ss := &session{mux: xmpp.NewMux(), events: make(chan muc.Event, 64)}
	var o muc.Options
	if opts != nil {
		o = *opts
	}
	o.OnEvent = func(_ xmpp.Session, e muc.Event) { ss.events <- e }
	ss.rooms = muc.New(ss.mux, &o)
	ss.c, ss.s = fake.Start(t, "alice@example.test/phone", &xmpp.Options{Handler: ss.mux})
	return ss
}

// answerDisco makes the fake room answer disco#info with item-not-found,
// as for a room that does not exist yet.
func (ss *session) answerDisco() {
	ss.s.AnswerIQs(func(iq *xmpp.IQ) (string, bool) {
		if iq.Payload.Name.Space != "http://jabber.org/protocol/disco#info" {
			return "", false
		}
		return "<iq type='error' id='" + iq.ID + "' from='" + iq.To.String() + "'><error type='cancel'>" +
			"<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>", true
	})
}

type joined struct {
	r   *muc.Room
	err error
}

func (ss *session) join(ctx context.Context, nick string, opts *muc.JoinOptions) <-chan joined {
	ch := make(chan joined, 1)
	go func() {
		r, err := ss.rooms.Join(ctx, ss.c, xmpp.MustParseJID(roomJID), nick, opts)
		ch <- joined{r, err}
	}()
	return ch
}

func wait(t *testing.T, ch <-chan joined) joined {
	t.Helper()
	select {
	case j := <-ch:
		return j
	case <-time.After(2 * fake.Timeout):
		t.Fatal("Join did not return")
		return joined{}
	}
}

// expectJoin reads the client's join presence.
func (ss *session) expectJoin(t *testing.T) *xmpp.Presence {
	t.Helper()
	return ss.s.Expect(t.Context(), func(v any) bool {
		p, ok := v.(*xmpp.Presence)
		return ok && p.To.Bare().String() == roomJID
	}).(*xmpp.Presence)
}

// A room that never answers: Join ends with ctx, never hangs, with an
// error wrapping ErrNoAnswer and the context's; the room is not tracked.
func TestJoinNoAnswer(t *testing.T) {
	t.Parallel()
	for _, disco := range []bool{false, true} {
		ss := start(t, nil)
		if disco {
			ss.answerDisco()
		}
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		j := wait(t, ss.join(ctx, "alice", nil))
		require.ErrorIs(t, j.err, muc.ErrNoAnswer, "Join(disco answered %v)", disco)
		require.ErrorIs(t, j.err, context.DeadlineExceeded)
		require.Less(t, time.Since(start), 5*time.Second)
		_, tracked := ss.rooms.Room(ss.c, xmpp.MustParseJID(roomJID))
		require.False(t, tracked)
	}
}

// Options.Timeout bounds a Join whose ctx has no deadline.
func TestJoinTimeoutOption(t *testing.T) {
	t.Parallel()
	ss := start(t, &muc.Options{Timeout: 200 * time.Millisecond})
	ss.answerDisco()
	j := wait(t, ss.join(context.Background(), "alice", nil))
	require.ErrorIs(t, j.err, muc.ErrNoAnswer)
}

// The service rewrites the nickname (status 210): Join returns the room
// with the nickname the service assigned, and the self event has it.
func TestJoinNickRewritten(t *testing.T) {
	t.Parallel()
	ss := start(t, nil)
	ss.answerDisco()
	ch := ss.join(t.Context(), "alice", nil)
	p := ss.expectJoin(t)
	require.Equal(t, "alice", p.To.Resource())
	x, ok := findX(p, muc.NS)
	require.True(t, ok, "join presence has <x xmlns='%s'/>", muc.NS)
	require.NotContains(t, x.Raw, "history", "a room without an archive gets the service's default history")
	ss.s.Send(`<presence from='` + roomJID + `/bob' to='alice@example.test/phone'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant'/></x></presence>` +
		`<presence from='` + roomJID + `/Alice the Second' to='alice@example.test/phone'><x xmlns='http://jabber.org/protocol/muc#user'>` +
		`<item affiliation='member' role='participant'/><status code='110'/><status code='210'/></x></presence>` +
		`<message type='groupchat' from='` + roomJID + `' to='alice@example.test/phone'><subject>Hi</subject></message>`)
	j := wait(t, ch)
	require.NoError(t, j.err)
	require.Equal(t, "Alice the Second", j.r.Nick())
	require.Equal(t, "Hi", j.r.Subject())
	require.Equal(t, []int{110, 210}, j.r.Codes())
	require.Equal(t, muc.AffiliationMember, j.r.Self().Affiliation)
	require.Len(t, j.r.Occupants(), 2)

	var types []muc.EventType
	for len(types) < 3 {
		e := <-ss.events
		types = append(types, e.Type)
		if e.Type == muc.EventJoined && e.Self {
			require.Equal(t, "Alice the Second", e.Occupant.Nick)
			require.Contains(t, e.Codes, muc.StatusNickRewritten)
		}
	}
	require.Equal(t, []muc.EventType{muc.EventJoined, muc.EventJoined, muc.EventSubject}, types, "events in stanza order")
}

func findX(p *xmpp.Presence, space string) (xmpp.Element, bool) {
	for _, el := range p.Extensions {
		if el.Name.Space == space && el.Name.Local == "x" {
			return el, true
		}
	}
	return xmpp.Element{}, false
}

// Error presences no real server here sends are typed too: creation not
// allowed (not-allowed), room full (service-unavailable), and an unknown
// condition is still a *JoinError with the stanza error.
func TestJoinErrorsScripted(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		condition string
		want      error
	}{
		{"not-allowed", muc.ErrCreationNotAllowed},
		{"service-unavailable", muc.ErrRoomFull},
		{"item-not-found", muc.ErrRoomNotFound},
		{"undefined-condition", xmpp.ErrUndefinedCondition},
	} {
		ss := start(t, nil)
		ss.answerDisco()
		ch := ss.join(t.Context(), "alice", nil)
		ss.expectJoin(t)
		ss.s.Send(`<presence type='error' from='` + roomJID + `/alice' to='alice@example.test/phone'><error type='cancel'><` + tt.condition + ` xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>`)
		j := wait(t, ch)
		require.ErrorIs(t, j.err, tt.want, "Join answered %s", tt.condition)
		var je *muc.JoinError
		require.ErrorAs(t, j.err, &je)
		require.Equal(t, "alice", je.Nick)
	}
}

// Join called from a handler (here OnEvent, on the handler goroutine)
// completes: the presences it waits for are read without that goroutine.
func TestJoinFromHandler(t *testing.T) {
	t.Parallel()
	ss := &session{mux: xmpp.NewMux(), events: make(chan muc.Event, 64)}
	result := make(chan error, 1)
	ss.mux.HandleMessage(func(s xmpp.Session, m *xmpp.Message) {
		if m.Body != "join" {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), fake.Timeout)
		defer cancel()
		_, err := ss.rooms.Join(ctx, s, xmpp.MustParseJID(roomJID), "alice", &muc.JoinOptions{History: &muc.History{}})
		result <- err
	})
	ss.rooms = muc.New(ss.mux, nil)
	ss.c, ss.s = fake.Start(t, "alice@example.test/phone", &xmpp.Options{Handler: ss.mux})
	ss.answerDisco()
	ss.s.Send(`<message from='bob@example.test/x' to='alice@example.test/phone'><body>join</body></message>`)
	ss.expectJoin(t)
	ss.s.Send(`<presence from='` + roomJID + `/alice' to='alice@example.test/phone'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant'/><status code='110'/></x></presence>` +
		`<message type='groupchat' from='` + roomJID + `' to='alice@example.test/phone'><subject/></message>`)
	select {
	case err := <-result:
		require.NoError(t, err)
	case <-time.After(2 * fake.Timeout):
		t.Fatal("Join from a handler did not return")
	}
}

// Join from a handler while the handlers are behind by more than
// HandlerQueueBytes: Join tells the session it expects the self-presence
// (Client.Expect), so the reader reads on to it instead of pausing.
func TestJoinFromHandlerWhileBehind(t *testing.T) {
	t.Parallel()
	ss := &session{mux: xmpp.NewMux(), events: make(chan muc.Event, 64)}
	result := make(chan error, 1)
	var chats atomic.Int32
	ss.mux.HandleMessage(func(s xmpp.Session, m *xmpp.Message) {
		if m.Body != "join" {
			if m.From.Bare().String() == "bob@example.test" {
				chats.Add(1)
			}
			return
		}
		time.Sleep(300 * time.Millisecond) // the reader pauses meanwhile
		ctx, cancel := context.WithTimeout(context.Background(), fake.Timeout)
		defer cancel()
		start := time.Now()
		_, err := ss.rooms.Join(ctx, s, xmpp.MustParseJID(roomJID), "alice", &muc.JoinOptions{History: &muc.History{}})
		if d := time.Since(start); err == nil && d >= 4*time.Second {
			// The subject was not read: Join waited out SubjectTimeout.
			err = fmt.Errorf("Join took %v", d)
		}
		result <- err
	})
	ss.rooms = muc.New(ss.mux, nil)
	ss.c, ss.s = fake.Start(t, "alice@example.test/phone", &xmpp.Options{Handler: ss.mux, HandlerQueueBytes: 8 << 10})
	ss.answerDisco()
	// About 11 KB of chat behind "join": over the bound, under twice it.
	var b strings.Builder
	b.WriteString(`<message from='bob@example.test/x' to='alice@example.test/phone'><body>join</body></message>`)
	for i := range 25 {
		fmt.Fprintf(&b, `<message from='bob@example.test/x' to='alice@example.test/phone'><body>%d %s</body></message>`, i, strings.Repeat("y", 200))
	}
	ss.s.Send(b.String())
	ss.expectJoin(t)
	ss.s.Send(`<presence from='` + roomJID + `/alice' to='alice@example.test/phone'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant'/><status code='110'/></x></presence>` +
		`<message type='groupchat' from='` + roomJID + `' to='alice@example.test/phone'><subject/></message>`)
	select {
	case err := <-result:
		require.NoError(t, err)
	case <-time.After(2 * fake.Timeout):
		t.Fatal("Join from a handler did not return")
	}
	require.Eventually(t, func() bool { return chats.Load() == 25 }, fake.Timeout, time.Millisecond)
}

// Malformed room stanzas are an EventError with an *xmpp.MalformedError,
// never a panic, and the room goes on.
func TestMalformedRoomStanzas(t *testing.T) {
	t.Parallel()
	ss := start(t, nil)
	ss.answerDisco()
	ch := ss.join(t.Context(), "alice", nil)
	ss.expectJoin(t)
	ss.s.Send(`<presence from='` + roomJID + `/alice' to='alice@example.test/phone'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant'/><status code='110'/></x></presence>` +
		`<message type='groupchat' from='` + roomJID + `' to='alice@example.test/phone'><subject/></message>`)
	j := wait(t, ch)
	require.NoError(t, j.err)
	ss.s.Send(`<presence from='` + roomJID + `/eve' to='alice@example.test/phone'><x xmlns='http://jabber.org/protocol/muc#user'><status code='abc'/></x></presence>` +
		`<presence from='` + roomJID + `/eve' to='alice@example.test/phone'><x xmlns='http://jabber.org/protocol/muc#user'><item jid='@@bad' role='participant'/></x></presence>` +
		`<message type='groupchat' from='` + roomJID + `/bob' to='alice@example.test/phone'><body>still fine</body></message>`)
	var errs int
	for {
		e := <-ss.events
		if e.Type == muc.EventError {
			require.ErrorIs(t, e.Err, xmpp.ErrMalformed)
			errs++
		}
		if e.Type == muc.EventMessage {
			require.Equal(t, "still fine", e.Message.Body)
			break
		}
	}
	require.Equal(t, 2, errs)
	require.True(t, j.r.Joined())
}

// answerRoom makes the fake room answer disco#info with item-not-found
// and self-pings (XEP-0410) with a result, counting the pings.
func (ss *session) answerRoom(pings *atomic.Int32) {
	ss.s.AnswerIQs(func(iq *xmpp.IQ) (string, bool) {
		switch iq.Payload.Name.Space {
		case "http://jabber.org/protocol/disco#info":
			return "<iq type='error' id='" + iq.ID + "' from='" + iq.To.String() + "'><error type='cancel'>" +
				"<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>", true
		case "urn:xmpp:ping":
			pings.Add(1)
			return fake.Result(iq, ""), true
		}
		return "", false
	})
}

// enter joins the fake room as alice, with bob in it, and returns the
// Room once Join did.
func (ss *session) enter(t *testing.T) *muc.Room {
	t.Helper()
	ch := ss.join(t.Context(), "alice", nil)
	ss.expectJoin(t)
	ss.s.Send(`<presence from='` + roomJID + `/bob' to='alice@example.test/phone'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/></x></presence>` +
		`<presence from='` + roomJID + `/alice' to='alice@example.test/phone'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='participant'/><status code='110'/></x></presence>` +
		`<message type='groupchat' from='` + roomJID + `' to='alice@example.test/phone'><subject/></message>`)
	j := wait(t, ch)
	require.NoError(t, j.err)
	return j.r
}

// noJoin checks that the client sends no presence to the room within d.
func (ss *session) noJoin(t *testing.T, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	for {
		v, err := ss.s.Next(ctx)
		if err != nil {
			require.ErrorIs(t, err, context.DeadlineExceeded)
			return
		}
		if p, ok := v.(*xmpp.Presence); ok && p.To.Bare().String() == roomJID {
			t.Fatalf("client sent a presence to the room after a removal: %+v", p)
		}
	}
}

// The service shuts down (status 332, XEP-0045 §15.6): the user's own
// unavailable presence, with 110 or found by the nickname, is an
// EventRemoved with Self, the codes and the reason; the room is no longer
// joined nor tracked, a call waiting for the room fails with ErrNotJoined,
// nothing rejoins it (not a self-ping, not a new stream), and Join enters
// it again as a new Room.
func TestServiceShutdown(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		codes string
		want  []int
	}{
		{"with 110", `<status code='110'/><status code='332'/>`, []int{110, 332}},
		{"by nickname", `<status code='332'/>`, []int{332}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ss := start(t, &muc.Options{SelfPingInterval: 40 * time.Millisecond})
			var pings atomic.Int32
			ss.answerRoom(&pings)
			r := ss.enter(t)
			require.True(t, r.Joined())
			require.Eventually(t, func() bool { return pings.Load() > 0 }, fake.Timeout, 10*time.Millisecond, "self-pings of the silent room")

			// A nickname change in flight when the service goes away.
			nick := make(chan error, 1)
			go func() { nick <- r.ChangeNick(t.Context(), "alicia") }()
			ss.s.Expect(t.Context(), func(v any) bool {
				p, ok := v.(*xmpp.Presence)
				return ok && p.To.Resource() == "alicia"
			})

			ss.s.Send(`<presence type='unavailable' from='` + roomJID + `/alice' to='alice@example.test/phone'><x xmlns='http://jabber.org/protocol/muc#user'>` +
				`<item affiliation='none' role='none'><reason>maintenance</reason></item>` + tt.codes + `</x></presence>`)
			var e muc.Event
			for e = range ss.events {
				if e.Type != muc.EventJoined && e.Type != muc.EventSubject {
					break
				}
			}
			require.Equal(t, muc.EventRemoved, e.Type, "event of a 332 presence")
			require.True(t, e.Self, "EventRemoved.Self")
			require.Equal(t, tt.want, e.Codes)
			require.Contains(t, e.Codes, muc.StatusShutdown)
			require.Equal(t, "maintenance", e.Reason)
			require.Equal(t, "alice", e.Occupant.Nick)
			require.Same(t, r, e.Room)

			require.False(t, r.Joined(), "Joined() after a shutdown")
			_, tracked := ss.rooms.Room(ss.c, xmpp.MustParseJID(roomJID))
			require.False(t, tracked, "room tracked after a shutdown")
			require.Empty(t, ss.rooms.Rooms(ss.c))
			select {
			case err := <-nick:
				require.ErrorIs(t, err, muc.ErrNotJoined, "ChangeNick waiting at the shutdown")
			case <-time.After(2 * fake.Timeout):
				t.Fatal("ChangeNick did not return after the shutdown")
			}
			_, err := r.Send(t.Context(), "anyone?")
			require.ErrorIs(t, err, muc.ErrNotJoined)
			require.ErrorIs(t, r.Leave(t.Context(), ""), muc.ErrNotJoined)

			// No automatic rejoin: not after a new stream, not by a
			// self-ping (a ping already under way may still finish).
			ss.rooms.HandleStatus(ss.c, xmpp.StatusConnected)
			ss.noJoin(t, 100*time.Millisecond)
			before := pings.Load()
			ss.noJoin(t, 300*time.Millisecond)
			require.Equal(t, before, pings.Load(), "self-pings of a room the service closed")

			// The application may join again: a new Room.
			r2 := ss.enter(t)
			require.NotSame(t, r, r2)
			require.True(t, r2.Joined())
			require.False(t, r.Joined())
		})
	}
}

// The service shuts down while the user is joining: the unavailable self
// presence (110, 332) ends Join with an error wrapping ErrNotJoined at
// once, not at the timeout; the room is not tracked and no event tells of
// a room Join did not return.
func TestJoinShutdown(t *testing.T) {
	t.Parallel()
	ss := start(t, nil)
	ss.answerDisco()
	ctx, cancel := context.WithTimeout(t.Context(), fake.Timeout)
	defer cancel()
	ch := ss.join(ctx, "alice", nil)
	ss.expectJoin(t)
	ss.s.Send(`<presence from='` + roomJID + `/bob' to='alice@example.test/phone'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/></x></presence>` +
		`<presence type='unavailable' from='` + roomJID + `/alice' to='alice@example.test/phone'><x xmlns='http://jabber.org/protocol/muc#user'>` +
		`<item affiliation='none' role='none'/><status code='110'/><status code='332'/></x></presence>`)
	j := wait(t, ch)
	require.ErrorIs(t, j.err, muc.ErrNotJoined, "Join during a shutdown")
	require.NotErrorIs(t, j.err, muc.ErrNoAnswer, "Join ended by the shutdown, not the timeout")
	require.Nil(t, j.r)
	_, tracked := ss.rooms.Room(ss.c, xmpp.MustParseJID(roomJID))
	require.False(t, tracked)
	// No event tells of the removal.
	for {
		select {
		case e := <-ss.events:
			require.NotEqual(t, muc.EventRemoved, e.Type, "event of a Join that failed")
		case <-time.After(200 * time.Millisecond):
			return
		}
	}
}
