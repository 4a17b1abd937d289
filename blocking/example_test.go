package blocking_test

import (
	"context"
	"fmt"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/blocking"
)

// Block a spammer, and follow changes made by the account's other clients.
func Example() {
	ctx := context.Background()
	mux := xmpp.NewMux()
	blocking.Register(mux, func(s xmpp.Session, ch blocking.Change) {
		fmt.Println("block list changed: block =", ch.Block, ch.JIDs)
	})
	c, err := xmpp.Dial(ctx, "alice@example.com", "password", &xmpp.Options{Handler: mux})
	if err != nil {
		return
	}
	defer c.Close()

	if err := blocking.Block(ctx, c, xmpp.MustParseJID("spammer@example.net")); err != nil {
		fmt.Println("block:", err)
	}
	blocked, err := blocking.List(ctx, c) // also subscribes to pushes
	if err == nil {
		fmt.Println("blocked:", blocked)
	}
}
