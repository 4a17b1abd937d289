package oob_test

import (
	"fmt"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/oob"
)

func ExampleAdd() {
	const url = "https://upload.example/a1b2/cat.jpg"
	m := &xmpp.Message{Header: xmpp.Header{To: xmpp.MustParseJID("juliet@capulet.example")}, Type: xmpp.MessageChat, Body: url}
	if err := oob.Add(m, oob.Link{URL: url}); err != nil {
		fmt.Println(err)
	}
	fmt.Println(m.Extensions[0].Raw)
	// Output: <x xmlns="jabber:x:oob"><url>https://upload.example/a1b2/cat.jpg</url></x>
}

func ExampleFrom() {
	mux := xmpp.NewMux()
	mux.HandleMessage(func(_ xmpp.Session, m *xmpp.Message) {
		if link, ok := oob.Inline(m); ok {
			fmt.Println("a file to show inline:", link.URL)
		} else if link, ok := oob.From(m); ok {
			fmt.Println("a link:", link.URL, link.Desc)
		}
	})
}
