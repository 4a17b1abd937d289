package adhoc_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/adhoc"
	"github.com/gojabber/xmpp/disco"
	"github.com/gojabber/xmpp/forms"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

const (
	botJID    = "bot@example.test/box"
	requester = "alice@example.test/phone"
	stranger  = "mallory@example.test/x"
)

// twoStages is a command of two stages: a form with field "a", then one
// with field "b" that may go back; the result echoes both.
func twoStages(r *adhoc.Request) (*adhoc.Stage, error) {
	switch r.Stage {
	case 0:
		return &adhoc.Stage{Form: &forms.Form{Type: forms.TypeForm, Fields: []forms.Field{{Var: "a"}}},
			Actions: []adhoc.Action{adhoc.ActionNext, adhoc.ActionPrev}}, nil
	case 1:
		if r.Form == nil {
			return nil, adhoc.ErrBadPayload
		}
		return &adhoc.Stage{Form: &forms.Form{Type: forms.TypeForm, Fields: []forms.Field{{Var: "b"}}},
			Actions: []adhoc.Action{adhoc.ActionPrev, adhoc.ActionComplete}, Default: adhoc.ActionComplete}, nil
	}
	return &adhoc.Stage{Done: true, Notes: []adhoc.Note{{Text: r.Previous[0].Value("a") + "+" + r.Form.Value("b")}}}, nil
}

// bot starts a client with Commands offering twoStages as "two" and an
// "admin" command only the admin may see, behind a fake server.
func bot(t *testing.T, opts *adhoc.Options, now func() time.Time) (*fake.Server, *adhoc.Commands) {
	t.Helper()
	mux := xmpp.NewMux()
	d := disco.Register(mux, disco.Identity{Category: "client", Type: "bot"})
	c := adhoc.Register(mux, d, opts)
	if now != nil {
		adhoc.SetClock(c, now)
	}
	require.NoError(t, c.Add(adhoc.Command{Node: "two", Name: "Two stages", Handler: twoStages}))
	require.NoError(t, c.Add(adhoc.Command{Node: "admin", Name: "Admin only",
		Handler: func(*adhoc.Request) (*adhoc.Stage, error) { return &adhoc.Stage{Done: true}, nil },
		Allow:   func(from xmpp.JID) bool { return from.Bare().String() == "admin@example.test" }}))
	require.ErrorIs(t, c.Add(adhoc.Command{Node: "x"}), adhoc.ErrInvalidCommand)
	require.ErrorIs(t, c.Add(adhoc.Command{Node: adhoc.NS, Handler: twoStages}), adhoc.ErrInvalidCommand)
	_, s := fake.Start(t, botJID, &xmpp.Options{Handler: mux})
	return s, c
}

var idSeq struct {
	sync.Mutex
	n int
}

// ask sends the IQ set <command/> from `from` with the given attributes and
// children, and returns the bot's answer.
func ask(t *testing.T, s *fake.Server, from, attrs, children string) *xmpp.IQ {
	t.Helper()
	idSeq.Lock()
	idSeq.n++
	id := "c" + strings.Repeat("x", idSeq.n%3) + string(rune('a'+idSeq.n%26))
	idSeq.Unlock()
	s.Send(`<iq type='set' id='` + id + `' from='` + from + `' to='` + botJID + `'><command xmlns='` + adhoc.NS + `' ` + attrs + `>` + children + `</command></iq>`)
	r := s.ExpectIQ(t.Context(), 0, "", "")
	require.Equal(t, id, r.ID)
	return r
}

func parse(t *testing.T, r *xmpp.IQ) *adhoc.Payload {
	t.Helper()
	require.Equal(t, xmpp.IQResult, r.Type, "reply %+v, error %+v", r, r.Error)
	p, err := adhoc.Parse(r.Payload)
	require.NoError(t, err)
	return p
}

// requireCondition checks that r is an error with the defined condition and
// the XEP-0050 condition c on the wire.
func requireCondition(t *testing.T, r *xmpp.IQ, cond xmpp.StanzaCondition, c adhoc.Condition) {
	t.Helper()
	require.Equal(t, xmpp.IQError, r.Type, "reply %+v", r)
	require.Equal(t, cond, r.Error.Condition)
	if c == "" {
		require.Empty(t, r.Error.Extensions)
		return
	}
	require.Len(t, r.Error.Extensions, 1)
	require.Equal(t, "<"+string(c)+" xmlns='"+adhoc.NS+"'/>", r.Error.Extensions[0].Raw)
}

const submitA = `<x xmlns='jabber:x:data' type='submit'><field var='a'><value>1</value></field></x>`
const submitB = `<x xmlns='jabber:x:data' type='submit'><field var='b'><value>2</value></field></x>`

func TestCommandStages(t *testing.T) {
	t.Parallel()
	s, c := bot(t, nil, nil)

	p := parse(t, ask(t, s, requester, `node='two' action='execute'`, ""))
	require.Equal(t, adhoc.StatusExecuting, p.Status)
	require.NotEmpty(t, p.SessionID)
	require.Equal(t, []adhoc.Action{adhoc.ActionNext}, p.Actions, "no prev at the first stage")
	require.Equal(t, adhoc.ActionNext, p.Default)
	id := p.SessionID
	sess := `node='two' sessionid='` + id + `'`

	requireCondition(t, ask(t, s, requester, sess+` action='prev'`, ""), xmpp.ErrBadRequest, adhoc.ErrBadAction)
	requireCondition(t, ask(t, s, requester, sess+` action='complete'`, ""), xmpp.ErrBadRequest, adhoc.ErrBadAction)
	requireCondition(t, ask(t, s, requester, sess+` action='jump'`, ""), xmpp.ErrBadRequest, adhoc.ErrMalformedAction)
	requireCondition(t, ask(t, s, requester, sess, ""), xmpp.ErrBadRequest, adhoc.ErrBadPayload) // the handler's
	requireCondition(t, ask(t, s, requester, sess, `<x xmlns='jabber:x:data' type='nonsense'/>`), xmpp.ErrBadRequest, adhoc.ErrBadPayload)
	requireCondition(t, ask(t, s, stranger, sess, submitA), xmpp.ErrBadRequest, adhoc.ErrBadSessionID)
	requireCondition(t, ask(t, s, requester, `node='admin' sessionid='`+id+`'`, submitA), xmpp.ErrForbidden, "")

	// execute is the default, next; a cancel form counts as submit.
	p = parse(t, ask(t, s, requester, sess, strings.Replace(submitA, "submit", "cancel", 1)))
	require.Equal(t, adhoc.StatusExecuting, p.Status)
	require.Equal(t, id, p.SessionID)
	require.Equal(t, []adhoc.Action{adhoc.ActionPrev, adhoc.ActionComplete}, p.Actions)
	require.Equal(t, adhoc.ActionComplete, p.Default)
	require.Equal(t, "b", p.Form.Fields[0].Var)

	// prev shows stage 1 again, with the value submitted.
	p = parse(t, ask(t, s, requester, sess+` action='prev'`, ""))
	require.Equal(t, adhoc.StatusExecuting, p.Status)
	require.Equal(t, []adhoc.Action{adhoc.ActionNext}, p.Actions)
	require.Equal(t, "1", p.Form.Value("a"), "remembered value")

	p = parse(t, ask(t, s, requester, sess+` action='next'`, strings.Replace(submitA, ">1<", ">3<", 1)))
	require.Equal(t, "b", p.Form.Fields[0].Var)
	p = parse(t, ask(t, s, requester, sess+` action='complete'`, submitB))
	require.Equal(t, adhoc.StatusCompleted, p.Status)
	require.Equal(t, id, p.SessionID)
	require.Equal(t, []adhoc.Note{{Type: adhoc.NoteInfo, Text: "3+2"}}, p.Notes)
	require.Nil(t, p.Actions)
	require.Zero(t, c.Sessions())

	requireCondition(t, ask(t, s, requester, sess, submitB), xmpp.ErrNotAllowed, adhoc.ErrSessionExpired)
	requireCondition(t, ask(t, s, requester, `node='two' sessionid='nonsense'`, ""), xmpp.ErrBadRequest, adhoc.ErrBadSessionID)
	requireCondition(t, ask(t, s, requester, `node='two' action='next'`, ""), xmpp.ErrBadRequest, adhoc.ErrBadSessionID)

	// cancel ends a session at any stage.
	p = parse(t, ask(t, s, requester, `node='two'`, ""))
	require.Equal(t, 1, c.Sessions())
	p = parse(t, ask(t, s, requester, `node='two' action='cancel' sessionid='`+p.SessionID+`'`, ""))
	require.Equal(t, adhoc.StatusCanceled, p.Status)
	require.Zero(t, c.Sessions())
}

func TestCommandAccess(t *testing.T) {
	t.Parallel()
	s, _ := bot(t, nil, nil)
	requireCondition(t, ask(t, s, requester, `node='admin'`, ""), xmpp.ErrForbidden, "")
	requireCondition(t, ask(t, s, requester, `node='nope'`, ""), xmpp.ErrItemNotFound, "")
	requireCondition(t, ask(t, s, requester, `node='two' action='dance'`, ""), xmpp.ErrBadRequest, adhoc.ErrMalformedAction)
	p := parse(t, ask(t, s, "admin@example.test/desk", `node='admin'`, ""))
	require.Equal(t, adhoc.StatusCompleted, p.Status)
}

// The commands node lists what the requester may run; command nodes have
// their identity, or forbidden.
func TestCommandDisco(t *testing.T) {
	t.Parallel()
	s, _ := bot(t, nil, nil)
	tests := []struct {
		from, query string
		want        string
		cond        xmpp.StanzaCondition
	}{
		{requester, `<query xmlns='http://jabber.org/protocol/disco#items' node='` + adhoc.NS + `'/>`,
			`<query xmlns='http://jabber.org/protocol/disco#items' node='` + adhoc.NS + `'><item jid='` + botJID + `' node='two' name='Two stages'/></query>`, ""},
		{"admin@example.test/desk", `<query xmlns='http://jabber.org/protocol/disco#items' node='` + adhoc.NS + `'/>`,
			`<query xmlns='http://jabber.org/protocol/disco#items' node='` + adhoc.NS + `'><item jid='` + botJID + `' node='two' name='Two stages'/><item jid='` + botJID + `' node='admin' name='Admin only'/></query>`, ""},
		{requester, `<query xmlns='http://jabber.org/protocol/disco#info' node='` + adhoc.NS + `'/>`,
			`<query xmlns='http://jabber.org/protocol/disco#info' node='` + adhoc.NS + `'><identity category='automation' type='command-list'/><feature var='` + adhoc.NS + `'/></query>`, ""},
		{requester, `<query xmlns='http://jabber.org/protocol/disco#info' node='two'/>`,
			`<query xmlns='http://jabber.org/protocol/disco#info' node='two'><identity category='automation' type='command-node' name='Two stages'/><feature var='` + adhoc.NS + `'/><feature var='jabber:x:data'/></query>`, ""},
		{requester, `<query xmlns='http://jabber.org/protocol/disco#info' node='admin'/>`, "", xmpp.ErrForbidden},
		{requester, `<query xmlns='http://jabber.org/protocol/disco#info'/>`, "", ""},
	}
	for i, tt := range tests {
		id := "d" + string(rune('a'+i))
		s.Send(`<iq type='get' id='` + id + `' from='` + tt.from + `'>` + tt.query + `</iq>`)
		r := s.ExpectIQ(t.Context(), 0, "", "")
		if tt.cond != "" {
			require.Equal(t, xmpp.IQError, r.Type, "reply to %s", tt.query)
			require.Equal(t, tt.cond, r.Error.Condition)
			continue
		}
		require.Equal(t, xmpp.IQResult, r.Type, "reply to %s: %+v", tt.query, r.Error)
		if tt.want == "" { // the client itself: lists the feature
			require.Contains(t, r.Payload.Raw, `<feature var='`+adhoc.NS+`'/>`)
			continue
		}
		require.Equal(t, tt.want, r.Payload.Raw)
	}
}

func TestSessionLimits(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Unix(1000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	s, c := bot(t, &adhoc.Options{MaxSessions: 3, MaxSessionsPerRequester: 2, Timeout: time.Minute}, clock)

	first := parse(t, ask(t, s, requester, `node='two'`, "")).SessionID
	parse(t, ask(t, s, requester, `node='two'`, ""))
	requireCondition(t, ask(t, s, requester, `node='two'`, ""), xmpp.ErrResourceConstraint, "")
	parse(t, ask(t, s, "bob@example.test/a", `node='two'`, ""))
	requireCondition(t, ask(t, s, "carol@example.test/a", `node='two'`, ""), xmpp.ErrResourceConstraint, "")
	require.Equal(t, 3, c.Sessions())

	// A request renews the deadline; idle sessions expire.
	advance(50 * time.Second)
	parse(t, ask(t, s, requester, `node='two' sessionid='`+first+`'`, submitA))
	advance(50 * time.Second)
	parse(t, ask(t, s, "bob@example.test/a", `node='two'`, "")) // the two idle ones are swept
	parse(t, ask(t, s, "carol@example.test/a", `node='two'`, ""))
	require.Equal(t, 3, c.Sessions(), "the first session, bob's new one and carol's")
	advance(2 * time.Minute)
	requireCondition(t, ask(t, s, requester, `node='two' sessionid='`+first+`'`, submitB), xmpp.ErrNotAllowed, adhoc.ErrSessionExpired)
}
