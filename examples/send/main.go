// Command send is a small sendxmpp: it logs in, sends one chat message to
// each recipient and exits.
//
//	echo "build done" | send -jid me@example.com bob@example.com carol@example.com
//	send -jid me@example.com -m "hello" bob@example.com
//	send -jid me@example.com -file report.pdf bob@example.com
//
// The password comes from -password or the XMPP_PASSWORD environment
// variable. The message is -m, or standard input when -m is not given.
// With -file, the file is uploaded to the server's HTTP File Upload
// service (XEP-0363) instead, and each recipient gets a message with its
// URL as an out-of-band link (XEP-0066), which clients show inline; -m is
// then sent as a message of its own before it, if given.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/oob"
	"github.com/gojabber/xmpp/upload"
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
	text := flag.String("m", "", "the message (default: standard input, unless -file is given)")
	file := flag.String("file", "", "a file to upload (XEP-0363) and send as a link")
	timeout := flag.Duration("timeout", 30*time.Second, "give up after this long")
	flag.Parse()
	if *jid == "" || flag.NArg() == 0 {
		flag.Usage()
		return fmt.Errorf("need -jid and at least one recipient")
	}
	body := *text
	if body == "" && *file == "" {
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
		if body == "" {
			break
		}
		if err := c.Send(ctx, &xmpp.Message{Header: xmpp.Header{To: j}, Type: xmpp.MessageChat, Body: body}); err != nil {
			c.Close()
			return err
		}
	}
	if *file != "" {
		if err := sendFile(ctx, c, *file, to); err != nil {
			c.Close()
			return err
		}
	}
	return c.Close()
}

// sendFile uploads the file once and sends its link to every recipient.
func sendFile(ctx context.Context, c *xmpp.Client, path string, to []xmpp.JID) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	name := filepath.Base(path)
	uf := upload.File{Name: name, Size: st.Size(), ContentType: mime.TypeByExtension(filepath.Ext(name))}
	if len(to) == 1 {
		_, err := upload.SendFile(ctx, c, to[0], uf, f, nil)
		return err
	}
	slot, err := upload.Upload(ctx, c, uf, f, nil)
	if err != nil {
		return err
	}
	for _, j := range to {
		m := &xmpp.Message{Header: xmpp.Header{To: j}, Type: xmpp.MessageChat, Body: slot.GetURL}
		if err := oob.Add(m, oob.Link{URL: slot.GetURL}); err != nil {
			return err
		}
		if err := c.Send(ctx, m); err != nil {
			return err
		}
	}
	return nil
}
