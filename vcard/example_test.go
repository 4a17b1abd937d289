package vcard_test

import (
	"context"
	"fmt"
	"log"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/vcard"
)

func ExampleGet() {
	var c *xmpp.Client // logged in
	v, err := vcard.Get(context.Background(), c, xmpp.MustParseJID("juliet@example.com"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(v.FN, v.Nickname)
}
