package xmpp_test

import (
	"fmt"
	"os"

	"github.com/gojabber/xmpp"
)

// Every string is escaped, so a body cannot add markup.
func ExampleEncoder() {
	e := xmpp.NewEncoder(os.Stdout)
	err := e.Encode(&xmpp.Message{
		Header: xmpp.Header{ID: "m1", To: xmpp.MustParseJID("juliet@example.com")}, Type: xmpp.MessageChat,
		Body: "</body><evil/> & more",
	})
	fmt.Println()
	fmt.Println(err)
	// Output:
	// <message id='m1' type='chat' to='juliet@example.com'><body>&lt;/body&gt;&lt;evil/&gt; &amp; more</body></message>
	// <nil>
}

// A Mux lets several handlers share a session; features register IQ
// handlers by payload name and the Mux answers the rest with
// service-unavailable.
func ExampleMux() {
	mux := xmpp.NewMux()
	mux.HandleIQ(xmpp.IQGet, "urn:xmpp:ping", "ping", func(s xmpp.Session, iq *xmpp.IQ) (*xmpp.IQ, error) {
		return &xmpp.IQ{}, nil // an empty result
	})
	mux.HandleMessage(func(s xmpp.Session, m *xmpp.Message) {
		fmt.Println("message from", m.From)
	})
	opts := &xmpp.Options{Handler: mux}
	_ = opts // pass to xmpp.Dial
	fmt.Println(mux.Features())
	// Output: [urn:xmpp:ping]
}
