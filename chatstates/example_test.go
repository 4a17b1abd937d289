package chatstates_test

import (
	"context"
	"fmt"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/chatstates"
)

// Tell a contact that the user is typing, and show the contact's states.
func Example() {
	ctx := context.Background()
	mux := xmpp.NewMux()
	chatstates.Register(mux)
	mux.HandleMessage(func(_ xmpp.Session, m *xmpp.Message) {
		if s, ok := chatstates.From(m); ok {
			fmt.Println(m.From, "is", s)
		}
	})
	c, err := xmpp.Dial(ctx, "alice@example.com", "password", &xmpp.Options{Handler: mux})
	if err != nil {
		return
	}
	defer c.Close()

	m := &xmpp.Message{Header: xmpp.Header{To: xmpp.MustParseJID("bob@example.com")}, Type: xmpp.MessageChat}
	if err := chatstates.Add(m, chatstates.Composing); err == nil {
		_ = c.Send(ctx, m)
	}
}
