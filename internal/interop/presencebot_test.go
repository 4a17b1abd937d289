package interop_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/chatstates"
	"github.com/gojabber/xmpp/disco"
	"github.com/gojabber/xmpp/ping"
	"github.com/gojabber/xmpp/receipts"
	"github.com/gojabber/xmpp/version"
	"github.com/gojabber/xmpp/xmpptest"
)

// buildExample builds examples/<name> into a temporary directory.
func buildExample(t *testing.T, name string) string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(here), "..", "..")
	bin := filepath.Join(t.TempDir(), name)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./examples/"+name)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build ./examples/%s:\n%s", name, out)
	return bin
}

// TestPresenceBot runs examples/presencebot against a real server and checks
// everything its doc promises: it accepts a subscription and subscribes back,
// answers ping, version and disco, and replies to chat with a receipt and a
// chat state.
func TestPresenceBot(t *testing.T) {
	t.Parallel()
	bin := buildExample(t, "presencebot")
	for _, s := range servers {
		t.Run(s.Kind, func(t *testing.T) {
			t.Parallel()
			srv := s.Server(t)
			testPresenceBot(t, srv, bin)
		})
	}
}

func testPresenceBot(t *testing.T, srv *xmpptest.Server, bin string) {
	botFull, logs := startExampleBot(t, srv, bin, "bot")
	userJID, userPass := addUser(t, srv, "user")

	// The user: tracks presence, answers the bot's subscription request.
	mux := xmpp.NewMux()
	tracker := xmpp.NewPresenceTracker(mux)
	asked := make(chan xmpp.JID, 4)
	mux.HandlePresence(func(_ xmpp.Session, p *xmpp.Presence) {
		if p.Type == xmpp.PresenceSubscribe {
			asked <- p.From
		}
	})
	msgs := make(chan *xmpp.Message, 16)
	mux.HandleMessage(func(_ xmpp.Session, m *xmpp.Message) { msgs <- m })
	lctx, lcancel := context.WithTimeout(context.Background(), loginTimeout)
	defer lcancel()
	c, err := xmpp.Dial(lctx, userJID, userPass, &xmpp.Options{
		Server: srv.C2SAddr, TLSConfig: srv.TLSConfig(),
		Handler: mux,
	})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.Send(lctx, &xmpp.Presence{}))

	// Subscription: the bot approves and asks back.
	bot := botFull.Bare()
	require.NoError(t, xmpp.Subscribe(lctx, c, bot))
	select {
	case from := <-asked:
		require.Equal(t, bot, from.Bare(), "subscription request from the bot")
		require.NoError(t, xmpp.ApproveSubscription(lctx, c, from))
	case <-time.After(replyTimeout):
		t.Fatalf("the bot did not subscribe back; its log:\n%s", logs)
	}
	require.Eventually(t, func() bool {
		p, ok := tracker.Best(bot)
		return ok && p.Show == xmpp.ShowChat
	}, replyTimeout, 10*time.Millisecond, "the bot's presence (show chat) reaches the user")

	// Ping, version, disco.
	require.NoError(t, ping.Ping(lctx, c, botFull))
	v, err := version.Get(lctx, c, botFull)
	require.NoError(t, err)
	require.Equal(t, "presencebot", v.Name)
	info, err := disco.GetInfo(lctx, c, botFull, "")
	require.NoError(t, err)
	for _, f := range []string{"urn:xmpp:ping", "jabber:iq:version", receipts.NS, chatstates.NS} {
		require.True(t, info.HasFeature(f), "disco#info lists %s: %v", f, info.Features)
	}

	// Chat: a receipt and a reply with a chat state.
	m := &xmpp.Message{Header: xmpp.Header{ID: "q1", To: botFull}, Type: xmpp.MessageChat, Body: "hello <bot> & co"}
	require.True(t, receipts.AddRequest(m))
	require.NoError(t, c.Send(lctx, m))
	var gotReceipt, gotReply bool
	deadline := time.After(replyTimeout)
	for !gotReceipt || !gotReply {
		select {
		case in := <-msgs:
			if r, ok := receipts.From(in); ok {
				require.Equal(t, "q1", r.ID, "receipt id")
				gotReceipt = true
			}
			if in.Body != "" {
				require.Equal(t, "you said: hello <bot> & co", in.Body)
				st, ok := chatstates.From(in)
				require.True(t, ok, "the reply carries a chat state")
				require.Equal(t, chatstates.Active, st)
				gotReply = true
			}
		case <-deadline:
			t.Fatalf("receipt %v, reply %v; the bot's log:\n%s", gotReceipt, gotReply, logs)
		}
	}
}
