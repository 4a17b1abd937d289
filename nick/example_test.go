package nick_test

import (
	"context"
	"log"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/nick"
)

func ExamplePublish() {
	var c *xmpp.Client // logged in
	if err := nick.Publish(context.Background(), c, "Alice"); err != nil {
		log.Fatal(err)
	}
}
