package xmpp_test

import (
	"errors"
	"fmt"
	"log"
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

// DecodeStanza decodes a stanza carried inside another element, such as
// the message in a XEP-0297 <forwarded/>.
func ExampleDecodeStanza() {
	forwarded, err := xmpp.ParseElement(`<forwarded xmlns='urn:xmpp:forward:0'>` +
		`<message xmlns='jabber:client' from='romeo@example.net/orchard' type='chat'><body>Hi</body></message>` +
		`</forwarded>`)
	if err != nil {
		log.Fatal(err)
	}
	inner, _ := forwarded.Child(xmpp.NSClient, "message")
	s, err := xmpp.DecodeStanza(inner)
	if err != nil {
		log.Fatal(err)
	}
	m := s.(*xmpp.Message)
	fmt.Println(m.Type, m.From, m.Body)

	_, err = xmpp.DecodeStanza(forwarded)
	fmt.Println(errors.Is(err, xmpp.ErrUnsupportedStanza))
	// Output:
	// chat romeo@example.net/orchard Hi
	// true
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
