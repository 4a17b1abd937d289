package correction_test

import (
	"context"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/correction"
)

// Send a message, then correct a typo in it.
func Example() {
	ctx := context.Background()
	mux := xmpp.NewMux()
	correction.Register(mux)
	c, err := xmpp.Dial(ctx, "alice@example.com", "password", &xmpp.Options{Handler: mux})
	if err != nil {
		return
	}
	defer c.Close()

	bob := xmpp.MustParseJID("bob@example.com")
	_ = c.Send(ctx, &xmpp.Message{Header: xmpp.Header{ID: "m1", To: bob}, Type: xmpp.MessageChat, Body: "Helo"})

	fix := &xmpp.Message{Header: xmpp.Header{ID: "m2", To: bob}, Type: xmpp.MessageChat, Body: "Hello"}
	if err := correction.Add(fix, "m1"); err == nil {
		_ = c.Send(ctx, fix)
	}
}
