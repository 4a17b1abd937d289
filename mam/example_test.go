package mam_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/mam"
	"github.com/gojabber/xmpp/rsm"
)

// Read the last day of the conversation with bob from the account's own
// archive, 50 messages a page, oldest first.
func ExampleArchive_Fetch() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	mux := xmpp.NewMux()
	archive := mam.Register(mux, nil)
	mux.HandleMessage(func(_ xmpp.Session, m *xmpp.Message) {
		// Archive results never get here: the Archive consumes them.
		fmt.Printf("%s: %s\n", m.From, m.Body)
	})
	c, err := xmpp.Dial(ctx, "alice@example.com", "password", &xmpp.Options{Handler: mux})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	q := mam.Query{
		With:  xmpp.MustParseJID("bob@example.com"),
		Start: time.Now().Add(-24 * time.Hour),
		RSM:   rsm.Set{Max: 50},
	}
	page, err := archive.Fetch(ctx, c, xmpp.JID{}, q)
	for err == nil {
		for _, r := range page.Messages {
			fmt.Printf("%s %s: %s\n", r.Stamp.Format(time.Kitchen), r.Message.From, r.Message.Body)
		}
		if page.Complete {
			return
		}
		page, err = page.Next(ctx)
	}
	log.Fatal(err)
}

// Page backwards from the newest messages, as a chat window scrolling up
// does.
func ExamplePage_Prev() {
	ctx := context.Background()
	var (
		archive *mam.Archive // from mam.Register
		c       xmpp.Session // an *xmpp.Client from xmpp.Dial
	)
	page, err := archive.Fetch(ctx, c, xmpp.JID{}, mam.Query{RSM: rsm.Set{Max: 20, LastPage: true}})
	for err == nil && len(page.Messages) > 0 {
		fmt.Println("show", len(page.Messages), "older messages above")
		if page.Complete {
			break // the start of the archive
		}
		page, err = page.Prev(ctx)
	}
}
