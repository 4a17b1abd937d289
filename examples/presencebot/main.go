// Command presencebot is a presence-aware bot: it keeps its roster, accepts
// every subscription request (and subscribes back), answers XEP-0199 ping,
// XEP-0092 version and XEP-0030 disco queries, and replies to chat messages
// with a delivery receipt (XEP-0184) and a chat state (XEP-0085).
//
//	presencebot -jid bot@example.com -password secret [-server host:port]
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/chatstates"
	"github.com/gojabber/xmpp/disco"
	"github.com/gojabber/xmpp/ping"
	"github.com/gojabber/xmpp/receipts"
	"github.com/gojabber/xmpp/version"
)

func main() {
	jid := flag.String("jid", os.Getenv("XMPP_JID"), "the bot's JID")
	password := flag.String("password", os.Getenv("XMPP_PASSWORD"), "the bot's password")
	server := flag.String("server", os.Getenv("XMPP_SERVER"), "host:port (default: SRV lookup)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	mux := xmpp.NewMux()
	roster := xmpp.NewRoster(mux)
	ping.Register(mux)
	version.Register(mux, "presencebot", "1.0", "")
	receipts.Register(mux, true) // answers receipt requests by itself
	chatstates.Register(mux)
	disco.Register(mux, disco.Identity{Category: "client", Type: "bot", Name: "presencebot"})
	mux.HandlePresence(func(s xmpp.Session, p *xmpp.Presence) {
		if p.Type == xmpp.PresenceSubscribe {
			log.Printf("%s asks to subscribe: approving", p.From.Bare())
			if err := xmpp.ApproveSubscription(ctx, s, p.From); err != nil {
				log.Print(err)
			}
			if err := xmpp.Subscribe(ctx, s, p.From); err != nil {
				log.Print(err)
			}
		}
	})
	mux.HandleMessage(func(s xmpp.Session, m *xmpp.Message) {
		if m.Type != xmpp.MessageChat || m.Body == "" {
			return
		}
		reply := m.Reply("you said: " + m.Body)
		if err := chatstates.Add(reply, chatstates.Active); err != nil {
			log.Print(err)
		}
		if err := s.Send(ctx, reply); err != nil {
			log.Print(err)
		}
	})

	c, err := xmpp.Dial(ctx, *jid, *password, &xmpp.Options{
		Server: *server, Handler: mux,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := roster.Fetch(ctx, c); err != nil {
		log.Fatal(err)
	}
	if err := c.Send(ctx, xmpp.Available("chat", "Ask me anything", 0)); err != nil {
		log.Fatal(err)
	}
	log.Printf("online as %s with %d contacts", c.JID(), len(roster.Items()))
	select {
	case <-ctx.Done():
	case <-c.Done():
		log.Fatal(c.Err())
	}
}
