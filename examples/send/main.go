// Command send is a small sendxmpp: it logs in, sends one chat message to
// each recipient and exits.
//
//	echo "build done" | send -jid me@example.com bob@example.com carol@example.com
//	send -jid me@example.com -m "hello" bob@example.com
//
// The password comes from -password or the XMPP_PASSWORD environment
// variable. The message is -m, or standard input when -m is not given.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/gojabber/xmpp"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "send:", err)
		os.Exit(1)
	}
}

func run() error {
	jid := flag.String("jid", os.Getenv("XMPP_JID"), "your JID")
	password := flag.String("password", os.Getenv("XMPP_PASSWORD"), "your password (default $XMPP_PASSWORD)")
	server := flag.String("server", os.Getenv("XMPP_SERVER"), "host:port to connect to (default: SRV lookup)")
	text := flag.String("m", "", "the message (default: standard input)")
	timeout := flag.Duration("timeout", 30*time.Second, "give up after this long")
	flag.Parse()
	if *jid == "" || flag.NArg() == 0 {
		flag.Usage()
		return fmt.Errorf("need -jid and at least one recipient")
	}
	body := *text
	if body == "" {
		b, err := io.ReadAll(io.LimitReader(os.Stdin, 1<<20))
		if err != nil {
			return err
		}
		body = strings.TrimRight(string(b), "\n")
	}
	var to []xmpp.JID
	for _, a := range flag.Args() {
		j, err := xmpp.ParseJID(a)
		if err != nil {
			return err
		}
		to = append(to, j)
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	c, err := xmpp.Dial(ctx, *jid, *password, &xmpp.Options{Server: *server})
	if err != nil {
		return err
	}
	for _, j := range to {
		if err := c.Send(ctx, &xmpp.Message{Header: xmpp.Header{To: j}, Type: xmpp.MessageChat, Body: body}); err != nil {
			c.Close()
			return err
		}
	}
	return c.Close()
}
