// Command mucbot joins a group chat room (XEP-0045) and answers commands
// there:
//
//	mucbot -jid bot@example.com -password secret -room room@conference.example.com [-nick mucbot] [-server host:port]
//
// In the room it answers "!ping" with "pong" and "!help" with the list of
// commands, in the room or, for a private message, privately; it never
// answers its own messages nor the history replayed on joining. It logs
// the occupants that join and leave. Kicked, it joins again after
// -rejoin-delay; after a reconnection it keeps its room (stream
// resumption) or rejoins it (a new stream), and it pings itself in the
// room (XEP-0410) to find a silent eviction.
//
// The password may also come from the XMPP_PASSWORD environment variable.
// Certificates are verified against the system roots; point SSL_CERT_FILE
// at a CA file to trust a test server's certificate.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/muc"
	"github.com/gojabber/xmpp/ping"
)

const help = "commands: !ping (answers pong), !help (this text)"

func main() {
	jid := flag.String("jid", os.Getenv("XMPP_JID"), "the bot's JID")
	password := flag.String("password", os.Getenv("XMPP_PASSWORD"), "the bot's password")
	server := flag.String("server", os.Getenv("XMPP_SERVER"), "host:port to connect to (default: SRV lookup)")
	roomFlag := flag.String("room", "", "the room's JID, room@conference.example.com")
	nick := flag.String("nick", "mucbot", "the bot's nickname in the room")
	rejoinDelay := flag.Duration("rejoin-delay", 5*time.Second, "how long to wait before joining again after a kick")
	flag.Parse()
	room, err := xmpp.ParseJID(*roomFlag)
	if err != nil {
		log.Fatalf("-room: %v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	mux := xmpp.NewMux()
	ping.Register(mux) // answers XEP-0410 self-pings the room forwards
	var rooms *muc.Manager
	join := func(s xmpp.Session) {
		r, err := rooms.Join(ctx, s, room, *nick, nil)
		if err != nil {
			log.Printf("join %s: %v", room, err)
			return
		}
		log.Printf("mucbot in %s as %s, %d occupants", r.JID(), r.Nick(), len(r.Occupants()))
	}
	rooms = muc.New(mux, &muc.Options{
		SelfPingInterval: time.Minute,
		OnEvent: func(s xmpp.Session, e muc.Event) {
			switch e.Type {
			case muc.EventJoined:
				if !e.Self {
					log.Printf("occupant joined: %s", e.Occupant.Nick)
				}
			case muc.EventLeft:
				if !e.Self {
					log.Printf("occupant left: %s", e.Occupant.Nick)
				}
			case muc.EventRejoined:
				log.Printf("rejoined %s (%s)", e.Room.JID(), e.Reason)
			case muc.EventKicked, muc.EventBanned, muc.EventRemoved, muc.EventDestroyed:
				if !e.Self {
					log.Printf("occupant %s: %s", e.Type, e.Occupant.Nick)
					return
				}
				log.Printf("%s from %s: %q", e.Type, e.Room.JID(), e.Reason)
				if e.Type == muc.EventKicked {
					time.AfterFunc(*rejoinDelay, func() { join(s) })
				}
			case muc.EventMessage:
				if e.Own || e.Delayed {
					return
				}
				if answer, ok := command(e.Message.Body); ok {
					if _, err := e.Room.Send(ctx, answer); err != nil {
						log.Printf("send: %v", err)
					}
				}
			case muc.EventPrivateMessage:
				if answer, ok := command(e.Message.Body); ok {
					if err := e.Room.SendPrivate(ctx, e.Occupant.Nick, answer); err != nil {
						log.Printf("private message: %v", err)
					}
				}
			case muc.EventError:
				log.Printf("room error: %v", e.Err)
			}
		},
	})
	c, err := xmpp.Dial(ctx, *jid, *password, &xmpp.Options{
		Server:           *server,
		Handler:          mux,
		StreamManagement: true,
		PingIdle:         time.Minute,
		Reconnect:        &xmpp.ReconnectOptions{},
		OnStatus: func(c *xmpp.Client, st xmpp.Status, err error) {
			log.Printf("session %v (%v)", st, err)
			rooms.OnStatus(c, st, err)
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	log.Printf("mucbot online as %s", c.JID())
	join(c)
	select {
	case <-ctx.Done():
	case <-c.Done():
		log.Fatal(c.Err())
	}
	for _, r := range rooms.Rooms(c) {
		lctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := r.Leave(lctx, "bye"); err != nil {
			log.Printf("leave %s: %v", r.JID(), err)
		}
		cancel()
	}
}

// command answers a command, reporting false for a message that is none.
func command(body string) (string, bool) {
	switch strings.TrimSpace(body) {
	case "!ping":
		return "pong", true
	case "!help":
		return help, true
	}
	return "", false
}
