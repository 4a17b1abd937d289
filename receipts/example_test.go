package receipts_test

import (
	"context"
	"fmt"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/receipts"
)

// A client that answers receipt requests by itself and asks for a receipt
// on what it sends.
func Example() {
	ctx := context.Background()
	mux := xmpp.NewMux()
	receipts.Register(mux, true) // advertise urn:xmpp:receipts, answer requests
	mux.HandleMessage(func(_ xmpp.Session, m *xmpp.Message) {
		if r, ok := receipts.From(m); ok {
			fmt.Println("delivered:", r.ID)
		}
	})
	c, err := xmpp.Dial(ctx, "alice@example.com", "password", &xmpp.Options{Handler: mux})
	if err != nil {
		return
	}
	defer c.Close()

	m := &xmpp.Message{
		Header: xmpp.Header{ID: "msg-1", To: xmpp.MustParseJID("bob@example.com")}, Type: xmpp.MessageChat,
		Body: "Did you get this?",
	}
	receipts.AddRequest(m)
	_ = c.Send(ctx, m)
}
