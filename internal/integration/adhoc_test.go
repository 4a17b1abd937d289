package integration_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/adhoc"
	"github.com/gojabber/xmpp/disco"
	"github.com/gojabber/xmpp/forms"
)

// The XEP-0133 commands the test runs on each server as the admin.
const (
	nodeOnlineUsers = "http://jabber.org/protocol/admin#get-online-users-list"
	nodeUserStats   = "http://jabber.org/protocol/admin#user-stats"
)

// formValues returns every value of every field of f, items included.
func formValues(f *forms.Form) []string {
	if f == nil {
		return nil
	}
	var vs []string
	for _, fl := range f.Fields {
		vs = append(vs, fl.Values...)
	}
	for _, it := range f.Items {
		for _, fl := range it {
			vs = append(vs, fl.Values...)
		}
	}
	return vs
}

// TestAdhocServerCommands lists the server's commands as the admin and as
// an ordinary user, and runs an admin command in stages: Prosody's
// mod_admin_adhoc and ejabberd's mod_configure (XEP-0133 over XEP-0050).
func TestAdhocServerCommands(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			domain := xmpp.MustParseJID(srv.Domain)
			admin := featureLogin(t, srv, "admin", xmpp.Options{})
			alice := featureLogin(t, srv, "alice", xmpp.Options{})

			info, err := disco.GetInfo(testCtx(t), admin, domain, "")
			require.NoError(t, err)
			require.True(t, info.HasFeature(adhoc.NS), "server features %v", info.Features)

			cmds, err := adhoc.List(testCtx(t), admin, domain)
			require.NoError(t, err)
			var nodes []string
			for _, it := range cmds {
				nodes = append(nodes, it.Node)
			}
			t.Logf("admin commands: %v", nodes)
			require.Contains(t, nodes, nodeOnlineUsers)

			userCmds, err := adhoc.List(testCtx(t), alice, domain)
			if err == nil {
				for _, it := range userCmds {
					require.NotEqual(t, nodeOnlineUsers, it.Node, "alice sees an admin command")
				}
			}

			ni, err := disco.GetInfo(testCtx(t), admin, domain, nodeOnlineUsers)
			require.NoError(t, err)
			require.True(t, ni.HasIdentity("automation", "command-node"), "identities %+v", ni.Identities)
			require.True(t, ni.HasFeature(adhoc.NS), "features %v", ni.Features)

			// The list of online users: two stages on Prosody (a form for
			// the maximum number of items, then the result), one on
			// ejabberd.
			r, err := adhoc.Execute(testCtx(t), admin, domain, nodeOnlineUsers)
			require.NoError(t, err)
			t.Logf("online users, stage 1: status %s, actions %v default %q, form %v", r.Status, r.Actions, r.Default, r.Form != nil)
			if r.Status == adhoc.StatusExecuting {
				require.NotEmpty(t, r.SessionID)
				require.NotNil(t, r.Form, "stage 1 has a form")
				if fl, ok := r.Form.Field("max_items"); ok && len(fl.Options) > 0 {
					require.NoError(t, r.Form.Set("max_items", fl.Options[0].Value))
				}
				sid := r.SessionID
				r, err = r.Complete(testCtx(t), r.Form)
				require.NoError(t, err)
				require.Equal(t, sid, r.SessionID)
			}
			require.Equal(t, adhoc.StatusCompleted, r.Status)
			require.NotNil(t, r.Form, "result form")
			require.True(t, slices.ContainsFunc(formValues(r.Form), func(v string) bool { return strings.HasPrefix(v, srv.JID("alice")) }),
				"alice not among the online users %v", formValues(r.Form))

			// User statistics: a form asking for the account, then the
			// result, with alice's resource online (XEP-0133 §4.21).
			r, err = adhoc.Execute(testCtx(t), admin, domain, nodeUserStats)
			require.NoError(t, err)
			require.Equal(t, adhoc.StatusExecuting, r.Status)
			require.NotEmpty(t, r.SessionID)
			require.NotNil(t, r.Form)
			require.Equal(t, forms.TypeForm, r.Form.Type)
			require.True(t, r.Allowed(adhoc.ActionComplete) || r.Allowed(adhoc.ActionNext), "actions %v", r.Actions)
			require.NoError(t, r.Form.Set("accountjid", srv.JID("alice")))
			sid := r.SessionID
			done, err := r.Do(testCtx(t), adhoc.ActionExecute, r.Form)
			require.NoError(t, err)
			t.Logf("user stats: status %s, notes %v, values %v", done.Status, done.Notes, formValues(done.Form))
			require.Equal(t, adhoc.StatusCompleted, done.Status)
			require.Equal(t, sid, done.SessionID)
			require.NotNil(t, done.Form, "result form")
			require.True(t, slices.ContainsFunc(formValues(done.Form), func(v string) bool { return strings.Contains(v, alice.JID().String()) || v == alice.JID().Resource() }),
				"alice's resource %s not in %v", alice.JID().Resource(), formValues(done.Form))

			// A request in the ended session.
			_, err = done.Next(testCtx(t), nil)
			t.Logf("request in the ended session: %v", err)

			// A command canceled at its first stage.
			r, err = adhoc.Execute(testCtx(t), admin, domain, nodeOnlineUsers)
			require.NoError(t, err)
			c, err := r.Cancel(testCtx(t))
			require.NoError(t, err)
			require.Equal(t, adhoc.StatusCanceled, c.Status)

			// The ordinary user may not run it.
			_, err = adhoc.Execute(testCtx(t), alice, domain, nodeOnlineUsers)
			require.Error(t, err)
			t.Logf("alice: %v", err)
			requireStanzaError(t, err, xmpp.ErrForbidden)

			// An unknown node.
			_, err = adhoc.Execute(testCtx(t), admin, domain, "urn:example:no-such-command")
			require.Error(t, err)
			t.Logf("unknown node: %v", err)
		})
	}
}

// pollCommand is a two-stage command for the bot of TestAdhocBetweenClients:
// stage 1 asks for a question and the number of answers, stage 2 for the
// answers; the result is a table.
func pollCommand(r *adhoc.Request) (*adhoc.Stage, error) {
	switch r.Stage {
	case 0:
		return &adhoc.Stage{
			Form: &forms.Form{Type: forms.TypeForm, Title: "New poll", Fields: []forms.Field{
				{Var: "question", Type: forms.FieldTextSingle, Required: true},
				{Var: "answers", Type: forms.FieldListSingle, Values: []string{"2"},
					Options: []forms.Option{{Value: "2"}, {Value: "3"}}},
			}},
			Actions: []adhoc.Action{adhoc.ActionNext},
		}, nil
	case 1:
		if r.Form == nil || r.Form.Value("question") == "" {
			return nil, adhoc.ErrBadPayload.StanzaError("a question is required")
		}
		n, _ := strconv.Atoi(r.Form.Value("answers"))
		f := &forms.Form{Type: forms.TypeForm, Title: r.Form.Value("question")}
		for i := range n {
			f.Fields = append(f.Fields, forms.Field{Var: fmt.Sprintf("answer%d", i+1), Required: true})
		}
		return &adhoc.Stage{Form: f, Actions: []adhoc.Action{adhoc.ActionPrev, adhoc.ActionComplete}}, nil
	}
	if r.Form == nil {
		return nil, adhoc.ErrBadPayload
	}
	res := &forms.Form{Type: forms.TypeResult, Title: r.Previous[0].Value("question"),
		Reported: []forms.Field{{Var: "answer"}}}
	for _, fl := range r.Form.Fields {
		res.Items = append(res.Items, []forms.Field{{Var: "answer", Values: fl.Values}})
	}
	return &adhoc.Stage{Done: true, Form: res, Notes: []adhoc.Note{{Type: adhoc.NoteInfo, Text: "poll created"}}}, nil
}

// TestAdhocBetweenClients has bob run a bot with a two-stage command and
// alice discover and run it through the server, going back a stage once,
// and provoke the errors of XEP-0050 §4.4.
func TestAdhocBetweenClients(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			mux := xmpp.NewMux()
			d := disco.Register(mux, disco.Identity{Category: "client", Type: "bot", Name: "poll bot"})
			cmds := adhoc.Register(mux, d, nil)
			require.NoError(t, cmds.Add(adhoc.Command{Node: "poll", Name: "Create a poll", Handler: pollCommand}))
			bot := featureLogin(t, srv, "bob", xmpp.Options{Handler: mux})
			alice := featureLogin(t, srv, "alice", xmpp.Options{})
			to := bot.JID()

			info, err := disco.GetInfo(testCtx(t), alice, to, "")
			require.NoError(t, err)
			require.True(t, info.HasFeature(adhoc.NS), "bot features %v", info.Features)
			items, err := adhoc.List(testCtx(t), alice, to)
			require.NoError(t, err)
			require.Equal(t, []disco.Item{{JID: to, Node: "poll", Name: "Create a poll"}}, items)
			ni, err := disco.GetInfo(testCtx(t), alice, to, "poll")
			require.NoError(t, err)
			require.Equal(t, []disco.Identity{{Category: "automation", Type: "command-node", Name: "Create a poll"}}, ni.Identities)

			r, err := adhoc.Execute(testCtx(t), alice, to, "poll")
			require.NoError(t, err)
			require.Equal(t, adhoc.StatusExecuting, r.Status)
			require.Equal(t, []adhoc.Action{adhoc.ActionNext}, r.Actions)
			_, err = r.Next(testCtx(t), &forms.Form{Type: forms.TypeSubmit})
			require.ErrorIs(t, err, adhoc.ErrBadPayload)
			require.ErrorIs(t, err, xmpp.ErrBadRequest)
			_, err = r.Prev(testCtx(t))
			require.ErrorIs(t, err, adhoc.ErrBadAction)

			require.NoError(t, r.Form.Set("question", "Lunch?"))
			r2, err := r.Next(testCtx(t), r.Form)
			require.NoError(t, err)
			require.Equal(t, r.SessionID, r2.SessionID)
			require.Equal(t, "Lunch?", r2.Form.Title)
			require.Len(t, r2.Form.Fields, 2)

			back, err := r2.Prev(testCtx(t))
			require.NoError(t, err)
			require.Equal(t, "Lunch?", back.Form.Value("question"), "remembered value")
			require.NoError(t, back.Form.Set("answers", "3"))
			r3, err := back.Next(testCtx(t), back.Form)
			require.NoError(t, err)
			require.Len(t, r3.Form.Fields, 3)
			for i, v := range []string{"pizza", "soup", "salad"} {
				require.NoError(t, r3.Form.Set(fmt.Sprintf("answer%d", i+1), v))
			}
			done, err := r3.Do(testCtx(t), adhoc.ActionExecute, r3.Form) // the default: complete
			require.NoError(t, err)
			require.Equal(t, adhoc.StatusCompleted, done.Status)
			require.Equal(t, []adhoc.Note{{Type: adhoc.NoteInfo, Text: "poll created"}}, done.Notes)
			require.Equal(t, forms.TypeResult, done.Form.Type)
			require.Len(t, done.Form.Items, 3)

			_, err = done.Next(testCtx(t), nil)
			require.ErrorIs(t, err, adhoc.ErrSessionExpired)
			require.ErrorIs(t, err, xmpp.ErrNotAllowed)
			bogus := &adhoc.Payload{Node: "poll", SessionID: "no-such-session"}
			_, err = adhoc.Send(testCtx(t), alice, to, bogus)
			require.ErrorIs(t, err, adhoc.ErrBadSessionID)
			_, err = adhoc.Execute(testCtx(t), alice, to, "nope")
			requireStanzaError(t, err, xmpp.ErrItemNotFound)

			r, err = adhoc.Execute(testCtx(t), alice, to, "poll")
			require.NoError(t, err)
			c, err := r.Cancel(testCtx(t))
			require.NoError(t, err)
			require.Equal(t, adhoc.StatusCanceled, c.Status)
			require.Zero(t, cmds.Sessions())
		})
	}
}
