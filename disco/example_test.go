package disco_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/disco"
)

// GetInfo asks an entity, here the user's server, what it is and what it
// supports.
func ExampleGetInfo() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := xmpp.Dial(ctx, "alice@example.com", "secret", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	info, err := disco.GetInfo(ctx, c, xmpp.MustParseJID("example.com"), "")
	if err != nil {
		log.Fatal(err)
	}
	for _, id := range info.Identities {
		fmt.Printf("%s/%s %q\n", id.Category, id.Type, id.Name)
	}
	if info.HasFeature("urn:xmpp:ping") {
		fmt.Println("the server answers pings")
	}
}

// GetItems lists the services of a server: chat rooms, pubsub, upload.
func ExampleGetItems() {
	ctx := context.Background()
	c, err := xmpp.Dial(ctx, "alice@example.com", "secret", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	items, err := disco.GetItems(ctx, c, xmpp.MustParseJID("example.com"), "")
	if err != nil {
		log.Fatal(err)
	}
	for _, it := range items {
		fmt.Println(it.JID, it.Node, it.Name)
	}
}

// Register answers disco#info requests with the features of every handler
// on the same Mux: a peer learns exactly what the client implements.
func ExampleRegister() {
	mux := xmpp.NewMux()
	disco.Register(mux, disco.Identity{Category: "client", Type: "bot", Name: "echobot"})
	c, err := xmpp.Dial(context.Background(), "bot@example.com", "secret", &xmpp.Options{
		Handler: mux,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	<-c.Done()
}
