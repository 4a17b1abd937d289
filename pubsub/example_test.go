package pubsub_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/caps"
	"github.com/gojabber/xmpp/disco"
	"github.com/gojabber/xmpp/pubsub"
)

// A client that follows its contacts' moods (XEP-0107) over PEP: Notify
// before caps.Advertise, then initial presence with the caps element.
func ExampleRegister() {
	const moodNS = "http://jabber.org/protocol/mood"
	mux := xmpp.NewMux()
	pubsub.Register(mux, func(_ xmpp.Session, e pubsub.Event) {
		switch e := e.(type) {
		case *pubsub.ItemsEvent:
			for _, it := range e.Items {
				fmt.Println(e.From, "published", it.ID, it.Payload.Raw)
			}
		case *pubsub.RetractEvent:
			fmt.Println(e.From, "retracted", e.IDs)
		}
	})
	pubsub.Notify(mux, moodNS)
	h := disco.Register(mux)
	c, err := xmpp.Dial(context.Background(), "alice@example.com", "secret", &xmpp.Options{Handler: mux})
	if err != nil {
		log.Fatal(err)
	}
	p := xmpp.Available("", "", 0)
	p.Extensions = append(p.Extensions, caps.Advertise(mux, h, "https://example.com/client"))
	if err := c.Send(context.Background(), p); err != nil {
		log.Fatal(err)
	}
}

func ExamplePublish() {
	var c *xmpp.Client // logged in
	ctx := context.Background()
	payload, _ := xmpp.ParseElement("<geoloc xmlns='http://jabber.org/protocol/geoloc'><locality>Paris</locality></geoloc>")
	// A zero service JID is the user's own PEP service, which creates the
	// node on first publish.
	id, err := pubsub.Publish(ctx, c, xmpp.JID{}, "http://jabber.org/protocol/geoloc", pubsub.Item{Payload: payload})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("published as", id)
}

func ExamplePublishWith() {
	var c *xmpp.Client // logged in
	ctx := context.Background()
	payload, _ := xmpp.ParseElement("<storage xmlns='urn:example:private'/>")
	// Private data (XEP-0223): only if the service enforces the options.
	_, err := pubsub.PublishWith(ctx, c, xmpp.JID{}, "urn:example:private", pubsub.Item{ID: "current", Payload: payload},
		pubsub.Config{pubsub.AccessModel: "whitelist", pubsub.PersistItems: "true"})
	switch {
	case errors.Is(err, pubsub.ErrNotSupported):
		fmt.Println("the server cannot keep it private")
	case err != nil:
		log.Fatal(err)
	}
}

func ExampleGetItems() {
	var c *xmpp.Client // logged in
	ctx := context.Background()
	service := xmpp.MustParseJID("pubsub.example.com")
	page, err := pubsub.GetItems(ctx, c, service, "news", pubsub.Query{MaxItems: 10})
	if errors.Is(err, xmpp.ErrItemNotFound) {
		fmt.Println("no such node")
		return
	}
	if err != nil {
		log.Fatal(err)
	}
	for _, it := range page.Items {
		fmt.Println(it.ID, it.Publisher)
	}
}
