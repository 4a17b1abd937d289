// Command adhocbot is a bot that offers two ad-hoc commands (XEP-0050),
// which any client with ad-hoc support (Gajim, Psi, Conversations, …) finds
// in the bot's command list:
//
//   - "echo", a single stage: a form with one text field, answered by a
//     note that repeats the text;
//   - "convert", two stages: the first asks for a quantity (temperature or
//     length), the second for a value and its unit, with "prev" allowed;
//     the result is a table of the value in every unit.
//
// It also answers XEP-0030 disco queries and XEP-0199 pings.
//
//	adhocbot -jid bot@example.com -password secret [-server host:port]
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/adhoc"
	"github.com/gojabber/xmpp/disco"
	"github.com/gojabber/xmpp/ping"
)

func main() {
	jid := flag.String("jid", os.Getenv("XMPP_JID"), "the bot's JID")
	password := flag.String("password", os.Getenv("XMPP_PASSWORD"), "the bot's password")
	server := flag.String("server", os.Getenv("XMPP_SERVER"), "host:port (default: SRV lookup)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	mux := xmpp.NewMux()
	ping.Register(mux)
	d := disco.Register(mux, disco.Identity{Category: "client", Type: "bot", Name: "adhocbot"})
	cmds := adhoc.Register(mux, d, nil)
	for _, cmd := range []adhoc.Command{
		{Node: "echo", Name: "Echo a text", Handler: echo},
		{Node: "convert", Name: "Convert units", Handler: convert},
	} {
		if err := cmds.Add(cmd); err != nil {
			log.Fatal(err)
		}
	}

	c, err := xmpp.Dial(ctx, *jid, *password, &xmpp.Options{Server: *server, Handler: mux})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.Send(ctx, xmpp.Available("", "Ask me for my commands", 0)); err != nil {
		log.Fatal(err)
	}
	log.Printf("online as %s", c.JID())
	select {
	case <-ctx.Done():
	case <-c.Done():
		log.Fatal(c.Err())
	}
}
