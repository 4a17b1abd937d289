// Command echobot logs in, sends initial presence and echoes every chat
// message back to its sender.
//
//	echobot -jid bot@example.com -password secret [-server host:port]
//
// The password may also come from the XMPP_PASSWORD environment variable.
// Certificates are verified against the system roots; point SSL_CERT_FILE at a
// CA file to trust a test server's certificate.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"

	"github.com/gojabber/xmpp"
)

func main() {
	jid := flag.String("jid", os.Getenv("XMPP_JID"), "the bot's JID")
	password := flag.String("password", os.Getenv("XMPP_PASSWORD"), "the bot's password")
	server := flag.String("server", os.Getenv("XMPP_SERVER"), "host:port to connect to (default: SRV lookup)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	mux := xmpp.NewMux()
	mux.HandleMessage(func(s xmpp.Session, m *xmpp.Message) {
		if m.Type == xmpp.MessageChat && m.Body != "" {
			if err := s.Send(ctx, m.Reply(m.Body)); err != nil {
				log.Printf("echo to %s: %v", m.From, err)
			}
		}
	})
	c, err := xmpp.Dial(ctx, *jid, *password, &xmpp.Options{Server: *server, Handler: mux})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.Send(ctx, &xmpp.Presence{}); err != nil {
		log.Fatal(err)
	}
	log.Printf("echobot online as %s", c.JID())
	select {
	case <-ctx.Done():
	case <-c.Done():
		log.Fatal(c.Err())
	}
}
