package caps_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/caps"
	"github.com/gojabber/xmpp/disco"
	"github.com/gojabber/xmpp/ping"
)

// Ver computes the verification string of service discovery information;
// this is the example of XEP-0115 §5.2.
func ExampleVer() {
	info := disco.Info{
		Identities: []disco.Identity{{Category: "client", Type: "pc", Name: "Exodus 0.9.1"}},
		Features: []string{
			"http://jabber.org/protocol/caps",
			"http://jabber.org/protocol/disco#info",
			"http://jabber.org/protocol/disco#items",
			"http://jabber.org/protocol/muc",
		},
	}
	fmt.Println(caps.Ver(info))
	// Output: QgayPKawpkPSDYmwT/WM94uAlu0=
}

// Advertise the client's capabilities in its presence, and learn those of
// its contacts from theirs.
func ExampleResolver() {
	ctx := context.Background()
	mux := xmpp.NewMux()
	ping.Register(mux)
	h := disco.Register(mux, disco.Identity{Category: "client", Type: "pc", Name: "gojabber"})
	c2 := caps.Advertise(mux, h, "https://github.com/gojabber/xmpp")

	resolver := caps.NewResolver(caps.NewCache(0))
	mux.HandlePresence(func(s xmpp.Session, p *xmpp.Presence) {
		if _, ok := caps.Parse(p); !ok {
			return
		}
		// Resolve asks the contact: not on the handler goroutine.
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			info, err := resolver.Resolve(ctx, s, p)
			if err != nil {
				log.Printf("caps of %s: %v", p.From, err)
				return
			}
			log.Printf("%s supports pings: %v", p.From, info.HasFeature(ping.NS))
		}()
	})

	c, err := xmpp.Dial(ctx, "alice@example.com", "secret", &xmpp.Options{Handler: mux})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.Send(ctx, &xmpp.Presence{Extensions: []xmpp.Element{c2}}); err != nil {
		log.Fatal(err)
	}
	<-c.Done()
}
