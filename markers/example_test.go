package markers_test

import (
	"context"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/markers"
)

// Tell the sender of each markable message that it was displayed.
func Example() {
	ctx := context.Background()
	mux := xmpp.NewMux()
	markers.Register(mux)
	mux.HandleMessage(func(s xmpp.Session, m *xmpp.Message) {
		if r, ok := markers.Reply(m, markers.KindDisplayed); ok {
			_ = s.Send(ctx, r)
		}
	})
	c, err := xmpp.Dial(ctx, "alice@example.com", "password", &xmpp.Options{Handler: mux})
	if err != nil {
		return
	}
	defer c.Close()

	m := &xmpp.Message{Header: xmpp.Header{ID: "m1", To: xmpp.MustParseJID("bob@example.com")}, Type: xmpp.MessageChat, Body: "Read me"}
	markers.AddMarkable(m)
	_ = c.Send(ctx, m)
}
