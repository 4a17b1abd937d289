package version_test

import (
	"context"
	"fmt"
	"log"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/version"
)

// Get asks an entity, here the user's server, for its software version.
func ExampleGet() {
	ctx := context.Background()
	c, err := xmpp.Dial(ctx, "alice@example.com", "secret", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	v, err := version.Get(ctx, c, xmpp.MustParseJID("example.com"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s %s on %s\n", v.Name, v.Version, v.OS)
}

// Register answers software version requests; an empty os keeps the
// operating system private.
func ExampleRegister() {
	mux := xmpp.NewMux()
	version.Register(mux, "echobot", "1.2.0", "")
	c, err := xmpp.Dial(context.Background(), "bot@example.com", "secret", &xmpp.Options{Handler: mux})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	<-c.Done()
}
