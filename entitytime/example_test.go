package entitytime_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/entitytime"
)

// Get asks an entity, here the user's server, for its clock; the difference
// with the local clock shows skew.
func ExampleGet() {
	ctx := context.Background()
	c, err := xmpp.Dial(ctx, "alice@example.com", "secret", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	t, offset, err := entitytime.Get(ctx, c, xmpp.MustParseJID("example.com"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("server time %s (UTC%+v), skew %v\n", t.Format(time.RFC3339), offset, time.Until(t).Round(time.Second))
}

// RegisterClock answers time requests with UTC, so that the user's time
// zone stays private.
func ExampleRegisterClock() {
	mux := xmpp.NewMux()
	entitytime.RegisterClock(mux, func() time.Time { return time.Now().UTC() })
	c, err := xmpp.Dial(context.Background(), "alice@example.com", "secret", &xmpp.Options{Handler: mux})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	<-c.Done()
}
