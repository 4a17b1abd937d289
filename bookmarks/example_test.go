package bookmarks_test

import (
	"context"
	"fmt"
	"log"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/bookmarks"
)

// After login: find the rooms to join.
func ExampleOpen() {
	var c *xmpp.Client // logged in
	ctx := context.Background()
	store, err := bookmarks.Open(ctx, c)
	if err != nil {
		log.Fatal(err)
	}
	list, err := store.List(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, b := range bookmarks.Autojoin(list) {
		fmt.Println("join", b.JID, "as", b.Nick) // e.g. with package muc
	}
}
