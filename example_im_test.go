package xmpp_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/gojabber/xmpp"
)

// A Roster is made with the Mux before Dial, so that no roster push is lost;
// Fetch loads the roster, and the pushes keep it current. Keep the Roster
// (and its Mux) for the next session: with a server that supports roster
// versioning, the next Fetch only asks for the changes.
func ExampleRoster_Fetch() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	mux := xmpp.NewMux()
	roster := xmpp.NewRoster(mux)
	roster.OnChange = func(it xmpp.RosterItem) {
		log.Printf("roster: %s is now %s", it.JID, it.Subscription)
	}
	c, err := xmpp.Dial(ctx, "alice@example.com", "secret", &xmpp.Options{Handler: mux})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	if err := roster.Fetch(ctx, c); err != nil {
		log.Fatal(err)
	}
	for _, it := range roster.Items() {
		fmt.Printf("%s (%s) %s %v\n", it.JID, it.Name, it.Subscription, it.Groups)
	}
	// Initial presence, after the roster: contacts now see alice online.
	if err := c.Send(ctx, xmpp.Available("", "", 0)); err != nil {
		log.Fatal(err)
	}
}

// Subscribing is a handshake (RFC 6121 §3.1): alice asks bob, bob's client
// approves with ApproveSubscription, and each roster push in between tells
// alice how far it got. Here alice approves every request she receives, and
// asks for a subscription in return.
func ExampleSubscribe() {
	ctx := context.Background()
	mux := xmpp.NewMux()
	roster := xmpp.NewRoster(mux)
	mux.HandlePresence(func(s xmpp.Session, p *xmpp.Presence) {
		if p.Type != xmpp.PresenceSubscribe {
			return
		}
		// Handlers run one at a time: bound what they wait for.
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := xmpp.ApproveSubscription(ctx, s, p.From); err != nil {
			log.Print(err)
			return
		}
		if it, ok := roster.Item(p.From); !ok || it.Subscription == xmpp.SubscriptionNone || it.Subscription == xmpp.SubscriptionFrom {
			if err := xmpp.Subscribe(ctx, s, p.From); err != nil {
				log.Print(err)
			}
		}
	})
	c, err := xmpp.Dial(ctx, "alice@example.com", "secret", &xmpp.Options{Handler: mux})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := roster.Fetch(ctx, c); err != nil {
		log.Fatal(err)
	}

	bob := xmpp.MustParseJID("bob@example.com")
	if err := xmpp.Subscribe(ctx, c, bob); err != nil {
		log.Fatal(err)
	}
	<-c.Done()
}

// A PresenceTracker follows the presence the server forwards: each
// contact's online resources, and which one is the most available.
func ExamplePresenceTracker() {
	ctx := context.Background()
	mux := xmpp.NewMux()
	presence := xmpp.NewPresenceTracker(mux)
	presence.OnChange = func(p xmpp.Presence) {
		if best, ok := presence.Best(p.From); ok {
			log.Printf("%s: %q %s (priority %d)", p.From.Bare(), best.Show, best.Status, best.Priority)
		} else {
			log.Printf("%s: offline", p.From.Bare())
		}
	}
	c, err := xmpp.Dial(ctx, "alice@example.com", "secret", &xmpp.Options{Handler: mux})
	if err != nil {
		log.Fatal(err)
	}
	// Close sends unavailable presence, as available presence was sent.
	defer c.Close()

	// Broadcast presence, with the status in two languages.
	p := xmpp.Available(xmpp.ShowAway, "Out for lunch", 5)
	p.Statuses = []xmpp.Text{{Lang: "de", Value: "Mittagspause"}}
	if err := c.Send(ctx, p); err != nil {
		log.Fatal(err)
	}
	// Directed presence: one entity, without a subscription.
	p = xmpp.Available("", "", 0)
	p.To = xmpp.MustParseJID("room@conference.example.com/alice")
	if err := c.Send(ctx, p); err != nil {
		log.Fatal(err)
	}
	<-c.Done()
}

// An echo bot: Reply addresses the sender, keeps the type and the thread.
// A /me action (XEP-0245) is echoed as one.
func ExampleMessage_Reply() {
	mux := xmpp.NewMux()
	mux.HandleMessage(func(s xmpp.Session, m *xmpp.Message) {
		if m.Type == xmpp.MessageError || m.BodyText() == "" {
			return
		}
		reply := m.Reply("echo: " + m.BodyText())
		if m.IsMe() {
			reply = m.Reply("/me echoes " + m.MeText())
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Send(ctx, reply); err != nil {
			log.Print(err)
		}
	})
	c, err := xmpp.Dial(context.Background(), "echobot@example.com", "secret", &xmpp.Options{Handler: mux})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	<-c.Done()
}
