package ping_test

import (
	"context"
	"errors"
	"log"
	"time"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/ping"
)

// Ping the server to check that the session is alive.
func ExamplePing() {
	c, err := xmpp.Dial(context.Background(), "alice@example.com", "secret", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	err = ping.Ping(ctx, c, xmpp.MustParseJID("example.com"))
	var se *xmpp.StanzaError
	switch {
	case errors.As(err, &se):
		log.Printf("the server answered with an error: %s", se.Condition)
	case err != nil:
		log.Fatalf("no answer: %v", err)
	default:
		log.Printf("round trip: %v", time.Since(start))
	}
}

// Register answers the pings of the server and of other clients.
func ExampleRegister() {
	mux := xmpp.NewMux()
	ping.Register(mux)
	c, err := xmpp.Dial(context.Background(), "alice@example.com", "secret", &xmpp.Options{Handler: mux})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	<-c.Done()
}
