package dnstest_test

import (
	"context"
	"fmt"
	"log"

	"github.com/gojabber/xmpp/xmpptest/dnstest"
)

func Example() {
	srv, err := dnstest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	srv.AddSRV("_xmpp-client._tcp.example.com", 10, 0, 5222, "xmpp.example.com")

	_, recs, err := srv.Resolver().LookupSRV(context.Background(), "xmpp-client", "tcp", "example.com")
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range recs {
		fmt.Println(r.Target, r.Port)
	}
	// Output: xmpp.example.com. 5222
}
