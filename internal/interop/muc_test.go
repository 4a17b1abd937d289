package interop_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/muc"
	"github.com/gojabber/xmpp/xmpptest"
)

// TestSlixmppMUC: slixmpp (python3-slixmpp, testdata/peer.py in muc mode)
// is another occupant of a room our client created. It sees our messages,
// subject and kick; we see its join, messages and nick change.
func TestSlixmppMUC(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, srv *xmpptest.Server) {
		ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
		defer cancel()
		ourJID, ourPass := addUser(t, srv, "mucours")
		peerJID, peerPass := addUser(t, srv, "mucpeer")
		events := make(chan muc.Event, 256)
		mux := xmpp.NewMux()
		rooms := muc.New(mux, &muc.Options{OnEvent: func(_ xmpp.Session, e muc.Event) { events <- e }})
		c, err := xmpp.Dial(ctx, ourJID, ourPass, &xmpp.Options{Server: srv.C2SAddr, TLSConfig: srv.TLSConfig(), Handler: mux})
		if err != nil {
			t.Fatalf("Dial = %v", err)
		}
		defer c.Close()
		room := xmpp.MustParseJID(fmt.Sprintf("interop-%d@conference.%s", userSeq.Add(1), srv.Domain))
		r, err := rooms.Join(ctx, c, room, "Go", nil)
		if err != nil {
			t.Fatalf("Join = %v", err)
		}
		if err := r.CreateInstant(ctx); err != nil {
			t.Fatalf("CreateInstant = %v", err)
		}
		waitEvent := func(what string, match func(muc.Event) bool) muc.Event {
			t.Helper()
			timer := time.NewTimer(replyTimeout)
			defer timer.Stop()
			for {
				select {
				case e := <-events:
					if match(e) {
						return e
					}
				case <-timer.C:
					t.Fatalf("no %s within %v", what, replyTimeout)
				}
			}
		}

		p := startPeer(t, srv, peerJID, peerPass, "muc", room.String(), "Sli")
		p.expect(t, "JOINED Sli", replyTimeout)
		waitEvent("slixmpp's join", func(e muc.Event) bool { return e.Type == muc.EventJoined && e.Occupant.Nick == "Sli" })

		// Ours to slixmpp.
		if _, err := r.Send(ctx, "hello from Go <&>"); err != nil {
			t.Fatal(err)
		}
		if line := p.expect(t, "MSG ", replyTimeout); line != "MSG Go hello from Go <&>" {
			t.Fatalf("slixmpp got %q, want %q", line, "MSG Go hello from Go <&>")
		}
		if err := r.SetSubject(ctx, "interop subject"); err != nil {
			t.Fatal(err)
		}
		if line := p.expect(t, "SUBJECT interop", replyTimeout); line != "SUBJECT interop subject" {
			t.Fatalf("slixmpp got %q", line)
		}

		// Slixmpp's to us.
		fmt.Fprintln(p.stdin, "say hello from slixmpp")
		e := waitEvent("slixmpp's message", func(e muc.Event) bool { return e.Type == muc.EventMessage && !e.Own })
		if e.Occupant.Nick != "Sli" || e.Message.Body != "hello from slixmpp" {
			t.Fatalf("message from %q: %q, want Sli: hello from slixmpp", e.Occupant.Nick, e.Message.Body)
		}
		fmt.Fprintln(p.stdin, "nick Slix")
		e = waitEvent("slixmpp's nick change", func(e muc.Event) bool { return e.Type == muc.EventNickChanged })
		if e.Occupant.Nick != "Sli" || e.NewNick != "Slix" {
			t.Fatalf("nick change %q → %q, want Sli → Slix", e.Occupant.Nick, e.NewNick)
		}
		if _, ok := r.Occupant("Slix"); !ok {
			t.Fatalf("occupants %v without Slix", r.Occupants())
		}

		// Our kick, as slixmpp sees it.
		if err := r.Kick(ctx, "Slix", "interop over"); err != nil {
			t.Fatal(err)
		}
		if line := p.expect(t, "KICKED", replyTimeout); !strings.Contains(line, "interop over") {
			t.Fatalf("slixmpp got %q, want the kick with its reason", line)
		}
		waitEvent("the kick", func(e muc.Event) bool { return e.Type == muc.EventKicked && e.Occupant.Nick == "Slix" })
	})
}
