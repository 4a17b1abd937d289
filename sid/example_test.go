package sid_test

import (
	"context"
	"fmt"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/sid"
)

// Read the archive ID the account's server gave each message, trusting only
// the one the server itself set.
func Example() {
	ctx := context.Background()
	mux := xmpp.NewMux()
	mux.HandleMessage(func(c *xmpp.Client, m *xmpp.Message) {
		if s, ok := sid.From(m, c.JID().Bare()); ok {
			fmt.Println("archived as", s.ID)
		}
	})
	c, err := xmpp.Dial(ctx, "alice@example.com", "password", &xmpp.Options{OnMessage: mux.OnMessage, OnIQ: mux.OnIQ})
	if err != nil {
		return
	}
	defer c.Close()

	m := &xmpp.Message{Header: xmpp.Header{To: xmpp.MustParseJID("bob@example.com")}, Type: xmpp.MessageChat, Body: "hi"}
	sid.AddOrigin(m)
	_ = c.Send(ctx, m)
}
