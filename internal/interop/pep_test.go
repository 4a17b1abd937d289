package interop_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/avatar"
	"github.com/gojabber/xmpp/caps"
	"github.com/gojabber/xmpp/disco"
	"github.com/gojabber/xmpp/nick"
	"github.com/gojabber/xmpp/pubsub"
	"github.com/gojabber/xmpp/xmpptest"
)

// writePNG writes a w×h PNG into the test's temp dir and returns its path
// and bytes.
func writePNG(t *testing.T, name string, w, h int, shade uint8) (string, []byte) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.RGBA{R: shade, G: uint8(x * 8), B: uint8(y * 8), A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, buf.Bytes()
}

// say writes a command line to the peer's stdin.
func (p *peer) say(t *testing.T, line string) {
	t.Helper()
	if _, err := fmt.Fprintln(p.stdin, line); err != nil {
		t.Fatalf("peer command %q: %v", line, err)
	}
}

// expectLine waits up to replyTimeout for the stdout line want, ignoring
// others.
func (p *peer) expectLine(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(replyTimeout)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			t.Fatalf("peer printed no %q within %v; stderr:\n%s", want, replyTimeout, p.stderr)
		}
		if p.expect(t, want, left) == want {
			return
		}
	}
}

// TestSlixmppPEP: our client and slixmpp (testdata/peer.py in pep mode,
// with +notify for avatars and nicknames through its caps) are contacts.
// slixmpp gets the avatar (XEP-0084) we set with avatar.SetFromFile, fetches
// its data and finds the SHA-1 id, and the nickname (XEP-0172) we publish;
// we get, as PEP events (XEP-0163), the avatar and nickname slixmpp
// publishes, and fetch its avatar's data.
func TestSlixmppPEP(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, srv *xmpptest.Server) {
		ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
		defer cancel()
		ourJID, ourPass := addUser(t, srv, "pepours")
		peerJID, peerPass := addUser(t, srv, "peppeer")
		peerBare := xmpp.MustParseJID(peerJID)

		events := make(chan *pubsub.ItemsEvent, 64)
		presences := make(chan *xmpp.Presence, 64)
		mux := xmpp.NewMux()
		pubsub.Register(mux, func(_ xmpp.Session, e pubsub.Event) {
			if ie, ok := e.(*pubsub.ItemsEvent); ok && ie.From == peerBare {
				select {
				case events <- ie:
				default:
					t.Errorf("event channel full, dropped %s", ie.Node)
				}
			}
		})
		nick.Notify(mux)
		avatar.Notify(mux)
		mux.HandlePresence(func(s xmpp.Session, p *xmpp.Presence) {
			if p.From.Bare() != peerBare {
				return
			}
			if p.Type == xmpp.PresenceSubscribe { // slixmpp subscribes back
				ctx, cancel := context.WithTimeout(context.Background(), replyTimeout)
				defer cancel()
				if err := xmpp.ApproveSubscription(ctx, s, peerBare); err != nil {
					t.Errorf("ApproveSubscription(%s) = %v", peerBare, err)
				}
			}
			select {
			case presences <- p:
			default:
			}
		})
		h := disco.Register(mux)
		c, err := xmpp.Dial(ctx, ourJID, ourPass, &xmpp.Options{Server: srv.C2SAddr, TLSConfig: srv.TLSConfig(), Handler: mux})
		if err != nil {
			t.Fatalf("Dial = %v", err)
		}
		defer c.Close()
		presence := xmpp.Available("", "", 0)
		presence.Extensions = append(presence.Extensions, caps.Advertise(mux, h, "https://github.com/gojabber/xmpp"))
		if err := c.Send(ctx, presence); err != nil {
			t.Fatalf("initial presence: %v", err)
		}

		p := startPeer(t, srv, peerJID, peerPass, "pep")
		// Mutual subscription (RFC 6121 §3.1), which PEP needs (XEP-0163
		// §1): slixmpp approves our request and asks back; we approve.
		if err := xmpp.Subscribe(ctx, c, peerBare); err != nil {
			t.Fatalf("Subscribe = %v", err)
		}
		p.expectLine(t, "SUBSCRIBED "+c.JID().Bare().String())
		// ejabberd 23.01 notifies a contact only once the sessions have
		// exchanged presence as contacts: both send it again.
		if err := c.Send(ctx, presence); err != nil {
			t.Fatal(err)
		}
		p.say(t, "presence")
		waitAvailable := func() {
			t.Helper()
			timer := time.NewTimer(replyTimeout)
			defer timer.Stop()
			for {
				select {
				case pr := <-presences:
					if pr.Type == xmpp.PresenceAvailable && pr.From == p.JID {
						return
					}
				case <-timer.C:
					t.Fatalf("no presence from %s within %v", p.JID, replyTimeout)
				}
			}
		}
		waitAvailable()

		// (a) slixmpp sees our avatar and nickname.
		path, data := writePNG(t, "ours.png", 24, 16, 200)
		info, err := avatar.SetFromFile(ctx, c, path, nil)
		if err != nil {
			t.Fatalf("SetFromFile = %v", err)
		}
		if info.ID != avatar.ID(data) {
			t.Fatalf("SetFromFile id %s, want %s", info.ID, avatar.ID(data))
		}
		ours := c.JID().Bare().String()
		p.expectLine(t, fmt.Sprintf("AVATARMETA %s %s image/png %d 24 16", ours, info.ID, len(data)))
		p.expectLine(t, fmt.Sprintf("AVATARDATA %s %s %s %d", ours, info.ID, info.ID, len(data)))
		const ourNick = "Gö <&> 🦫"
		if err := nick.Publish(ctx, c, ourNick); err != nil {
			t.Fatalf("nick.Publish = %v", err)
		}
		p.expectLine(t, fmt.Sprintf("NICK %s %s", ours, ourNick))

		// (b) we see slixmpp's avatar and nickname.
		waitEvent := func(node string) *pubsub.ItemsEvent {
			t.Helper()
			timer := time.NewTimer(replyTimeout)
			defer timer.Stop()
			for {
				select {
				case e := <-events:
					if e.Node == node && len(e.Items) > 0 {
						return e
					}
				case <-timer.C:
					t.Fatalf("no %s event from %s within %v", node, peerBare, replyTimeout)
				}
			}
		}
		theirPath, theirData := writePNG(t, "theirs.png", 16, 16, 50)
		theirID := avatar.ID(theirData)
		p.say(t, "avatar "+theirPath+" image/png 16 16")
		p.expectLine(t, "PUBLISHED avatar "+theirID)
		e := waitEvent(avatar.NSMetadata)
		infos, err := avatar.ParseMetadata(e.Items[0].Payload)
		if err != nil {
			t.Fatalf("ParseMetadata(slixmpp's metadata) = %v", err)
		}
		want := avatar.Info{ID: theirID, Type: "image/png", Bytes: len(theirData), Width: 16, Height: 16}
		if len(infos) != 1 || infos[0] != want {
			t.Fatalf("slixmpp's metadata = %+v, want [%+v]", infos, want)
		}
		got, err := avatar.Data(ctx, c, peerBare, theirID)
		if err != nil {
			t.Fatalf("avatar.Data(%s, %s) = %v", peerBare, theirID, err)
		}
		if !bytes.Equal(got, theirData) {
			t.Fatalf("avatar.Data(%s) = %d bytes, want the %d published", peerBare, len(got), len(theirData))
		}

		const theirNick = "Slix 🐍 & co"
		p.say(t, "nick "+theirNick)
		p.expectLine(t, "PUBLISHED nick")
		e = waitEvent(nick.NS)
		if n, ok := nick.Parse(e.Items[0].Payload); !ok || n != theirNick {
			t.Fatalf("nick event = %q, %v, want %q", n, ok, theirNick)
		}
	})
}
