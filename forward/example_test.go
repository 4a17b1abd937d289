package forward_test

import (
	"fmt"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/forward"
)

// Show a message a trusted contact forwarded.
func ExampleFrom() {
	mux := xmpp.NewMux()
	mux.HandleMessage(func(_ xmpp.Session, m *xmpp.Message) {
		if f, ok := forward.From(m); ok {
			fmt.Printf("%s forwarded a message from %s: %s\n", m.From, f.Message.From, f.Message.Body)
		}
	})
}
