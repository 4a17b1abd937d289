package interop_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/adhoc"
	"github.com/gojabber/xmpp/forms"
	"github.com/gojabber/xmpp/xmpptest"
)

// TestSlixmppAdhocBot runs the two-stage command of a slixmpp bot
// (xep_0050) with package adhoc: list, execute, next, complete.
func TestSlixmppAdhocBot(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, srv *xmpptest.Server) {
		aliceJID, alicePass := addUser(t, srv, "alice")
		botJID, botPass := addUser(t, srv, "bot")
		alice := login(t, srv, aliceJID, alicePass, make(inbox, 8))
		bot := startPeer(t, srv, botJID, botPass, "adhoc-bot")
		bot.expect(t, "COMMANDS", replyTimeout)

		ctx, cancel := context.WithTimeout(context.Background(), replyTimeout)
		defer cancel()
		items, err := adhoc.List(ctx, alice, bot.JID)
		require.NoError(t, err)
		require.Len(t, items, 1, "items %+v", items)
		require.Equal(t, "greet", items[0].Node)
		require.Equal(t, "Greet me", items[0].Name)

		r, err := adhoc.Execute(ctx, alice, bot.JID, "greet")
		require.NoError(t, err)
		require.Equal(t, adhoc.StatusExecuting, r.Status)
		require.NotEmpty(t, r.SessionID)
		require.True(t, r.Allowed(adhoc.ActionNext), "actions %v", r.Actions)
		require.NoError(t, r.Form.Set("name", "Alice"))
		r2, err := r.Next(ctx, r.Form)
		require.NoError(t, err)
		require.Equal(t, r.SessionID, r2.SessionID)
		require.Equal(t, []adhoc.Action{adhoc.ActionComplete}, r2.Actions)
		require.NoError(t, r2.Form.Set("mood", "happy"))
		done, err := r2.Complete(ctx, r2.Form)
		require.NoError(t, err)
		require.Equal(t, adhoc.StatusCompleted, done.Status)
		require.Equal(t, []adhoc.Note{{Type: adhoc.NoteInfo, Text: "greeted"}}, done.Notes)
		require.Equal(t, forms.TypeResult, done.Form.Type)
		require.Equal(t, "Hello Alice, you look happy", done.Form.Value("greeting"))

		r, err = adhoc.Execute(ctx, alice, bot.JID, "greet")
		require.NoError(t, err)
		c, err := r.Cancel(ctx)
		require.NoError(t, err)
		require.Equal(t, adhoc.StatusCanceled, c.Status)
	})
}

// startAdhocBot runs the examples/adhocbot binary bin as a new user of srv
// and returns its full JID once it is online.
func startAdhocBot(t *testing.T, srv *xmpptest.Server, bin string) xmpp.JID {
	t.Helper()
	j, _ := startExampleBot(t, srv, bin, "adhocbot")
	return j
}

// startExampleBot runs an example bot binary bin as a new user of srv
// (named after user), trusting the test CA through SSL_CERT_FILE, and
// returns its full JID once it says it is online, with its log so far and
// to come. The bot is stopped with an interrupt at the end of the test.
func startExampleBot(t *testing.T, srv *xmpptest.Server, bin, user string) (xmpp.JID, *lockedBuffer) {
	t.Helper()
	botJID, botPass := addUser(t, srv, user)
	ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, bin, "-jid", botJID, "-password", botPass, "-server", srv.C2SAddr)
	cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+srv.CAFile)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
	})
	online := make(chan string, 1)
	logs := &lockedBuffer{}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			fmt.Fprintln(logs, sc.Text())
			if _, full, ok := strings.Cut(sc.Text(), "online as "); ok {
				online <- strings.Fields(full)[0]
			}
		}
	}()
	select {
	case s := <-online:
		return xmpp.MustParseJID(s), logs
	case <-time.After(loginTimeout):
		t.Fatalf("the bot did not come online; its log:\n%s", logs)
	}
	return xmpp.JID{}, logs
}

// TestAdhocBotExample runs examples/adhocbot against a real server, and
// its commands with slixmpp (xep_0050) and with package adhoc.
func TestAdhocBotExample(t *testing.T) {
	t.Parallel()
	bin := buildExample(t, "adhocbot")
	forEachServer(t, func(t *testing.T, srv *xmpptest.Server) {
		bot := startAdhocBot(t, srv, bin)

		t.Run("slixmpp", func(t *testing.T) {
			t.Parallel()
			userJID, userPass := addUser(t, srv, "user")
			p := startPeer(t, srv, userJID, userPass, "adhoc-run", bot.String())
			for _, want := range []string{
				"ITEMS convert,echo",
				"ECHO1 executing complete",
				"ECHO2 completed ",
				"NOTES info:h\u00e9llo <&> \U0001F98A",
				"CONVERT1 executing next",
				"CONVERT2 executing complete,prev",
				"PREV executing next",
				"REMEMBERED length",
				"CONVERT2 executing complete,prev",
				"CONVERT3 completed ",
				"RESULT C=100.00;F=212.00;K=373.15",
				"ERROR not-allowed session-expired",
			} {
				tag, _, _ := strings.Cut(want, " ")
				got := p.expect(t, tag+" ", replyTimeout)
				require.Equal(t, want, got)
			}
			require.NoError(t, p.wait(t, replyTimeout), "the peer's exit")
		})

		t.Run("gojabber", func(t *testing.T) {
			t.Parallel()
			userJID, userPass := addUser(t, srv, "user")
			c := login(t, srv, userJID, userPass, make(inbox, 8))
			ctx, cancel := context.WithTimeout(context.Background(), replyTimeout)
			defer cancel()
			r, err := adhoc.Execute(ctx, c, bot, "convert")
			require.NoError(t, err)
			require.NoError(t, r.Form.Set("quantity", "length"))
			r, err = r.Next(ctx, r.Form)
			require.NoError(t, err)
			require.NoError(t, r.Form.Set("value", "1.5"))
			require.NoError(t, r.Form.Set("unit", "km"))
			_, err = r.Complete(ctx, &forms.Form{Type: forms.TypeSubmit, Fields: []forms.Field{{Var: "value", Values: []string{"x"}}, {Var: "unit", Values: []string{"km"}}}})
			require.ErrorIs(t, err, adhoc.ErrBadPayload, "a value that is no number")
			done, err := r.Complete(ctx, r.Form)
			require.NoError(t, err)
			require.Equal(t, adhoc.StatusCompleted, done.Status)
			var got []string
			for _, it := range done.Form.Items {
				got = append(got, it[0].Values[0]+"="+it[1].Values[0])
			}
			require.Equal(t, []string{"m=1500.00", "km=1.50", "ft=4921.26", "mi=0.93"}, got)
		})
	})
}
