package private_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"log"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/private"
)

func ExampleGet() {
	var c *xmpp.Client // logged in
	el, err := private.Get(context.Background(), c, xml.Name{Space: "urn:example:prefs", Local: "prefs"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(el.Raw)
}
