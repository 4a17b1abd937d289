package last_test

import (
	"context"
	"fmt"
	"log"
	"sync/atomic"
	"time"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/last"
)

// Get asked of a server returns its uptime.
func ExampleGet() {
	ctx := context.Background()
	c, err := xmpp.Dial(ctx, "alice@example.com", "secret", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	uptime, _, err := last.Get(ctx, c, xmpp.MustParseJID("example.com"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("server up for", uptime)
}

// Register answers with the user's idle time, here the time since the last
// message the user sent.
func ExampleRegister() {
	var lastInput atomic.Int64 // Unix nanoseconds
	lastInput.Store(time.Now().UnixNano())
	mux := xmpp.NewMux()
	last.Register(mux, func() time.Time { return time.Unix(0, lastInput.Load()) })

	ctx := context.Background()
	c, err := xmpp.Dial(ctx, "alice@example.com", "secret", &xmpp.Options{Handler: mux})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	err = c.Send(ctx, &xmpp.Message{Header: xmpp.Header{To: xmpp.MustParseJID("bob@example.com")}, Body: "hi"})
	if err != nil {
		log.Fatal(err)
	}
	lastInput.Store(time.Now().UnixNano())
	<-c.Done()
}
