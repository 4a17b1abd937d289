package carbons_test

import (
	"context"
	"fmt"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/carbons"
)

// Keep this client in step with the account's other clients.
func Example() {
	ctx := context.Background()
	mux := xmpp.NewMux()
	stats := carbons.Register(mux, func(s xmpp.Session, cb carbons.Carbon) {
		switch cb.Direction {
		case carbons.Received:
			fmt.Println(cb.Message.From, "wrote:", cb.Message.Body)
		case carbons.Sent:
			fmt.Println("I wrote to", cb.Message.To, ":", cb.Message.Body)
		}
	})
	c, err := xmpp.Dial(ctx, "alice@example.com", "password", &xmpp.Options{Handler: mux})
	if err != nil {
		return
	}
	defer c.Close()
	if err := carbons.Enable(ctx, c); err != nil {
		fmt.Println("no carbons:", err)
	}
	// ...
	fmt.Println("forged carbons dropped:", stats.Forged())
}
