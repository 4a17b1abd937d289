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
	mux.HandleMessage(func(s xmpp.Session, m *xmpp.Message) {
		if id, ok := sid.From(m, s.JID().Bare()); ok {
			fmt.Println("archived as", id.ID)
		}
	})
	c, err := xmpp.Dial(ctx, "alice@example.com", "password", &xmpp.Options{Handler: mux})
	if err != nil {
		return
	}
	defer c.Close()

	m := &xmpp.Message{Header: xmpp.Header{To: xmpp.MustParseJID("bob@example.com")}, Type: xmpp.MessageChat, Body: "hi"}
	sid.AddOrigin(m)
	_ = c.Send(ctx, m)
}
