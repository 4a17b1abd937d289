package upload_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/oob"
	"github.com/gojabber/xmpp/upload"
)

// A file sent to a contact in one call: discovery, slot, PUT and the
// message with the link.
func ExampleSendFile() {
	ctx := context.Background()
	c, err := xmpp.Dial(ctx, "romeo@montague.example", "secret", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	f, err := os.Open("balcony.jpg")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		log.Fatal(err)
	}
	file := upload.File{Name: "balcony.jpg", Size: st.Size(), ContentType: "image/jpeg"}
	m, err := upload.SendFile(ctx, c, xmpp.MustParseJID("juliet@capulet.example"), file, f, &upload.Options{
		Progress: func(done, total int64) { fmt.Printf("\r%d/%d bytes", done, total) },
	})
	var tooLarge *upload.FileTooLargeError
	switch {
	case errors.As(err, &tooLarge):
		log.Fatalf("the server takes files of at most %d bytes", tooLarge.Max)
	case err != nil:
		log.Fatal(err)
	}
	fmt.Println("\nsent", m.Body)
}

// The receiving side: messages with an out-of-band link are fetched, at
// most 10 MiB each.
func ExampleDownload() {
	mux := xmpp.NewMux()
	mux.HandleMessage(func(s xmpp.Session, m *xmpp.Message) {
		link, ok := oob.From(m)
		if !ok {
			return
		}
		out, err := os.CreateTemp("", "download-*")
		if err != nil {
			log.Print(err)
			return
		}
		defer out.Close()
		n, err := upload.Download(context.Background(), s, link.URL, out, 10<<20, nil)
		if errors.Is(err, upload.ErrTooLarge) {
			log.Printf("%s: larger than 10 MiB, not fetched", link.URL)
			return
		}
		if err != nil {
			log.Print(err)
			return
		}
		log.Printf("%s from %s: %d bytes in %s", link.URL, m.From, n, out.Name())
	})
	c, err := xmpp.Dial(context.Background(), "juliet@capulet.example", "secret", &xmpp.Options{Handler: mux})
	if err != nil {
		log.Fatal(err)
	}
	<-c.Done()
}

// The steps one at a time, to share the URL in another way than a chat
// message.
func ExampleUpload() {
	ctx := context.Background()
	c, err := xmpp.Dial(ctx, "romeo@montague.example", "secret", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	svc, err := upload.Discover(ctx, c)
	if err != nil {
		log.Fatal(err) // upload.ErrNoService if the server has none
	}
	fmt.Printf("%s takes files up to %d bytes\n", svc.JID, svc.MaxFileSize)

	f, err := os.Open("notes.txt")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	slot, err := upload.Upload(ctx, c, upload.File{Name: "notes.txt", Size: st.Size(), ContentType: "text/plain"}, f, &upload.Options{Service: svc})
	if err != nil {
		log.Fatal(err)
	}
	m := &xmpp.Message{Header: xmpp.Header{To: xmpp.MustParseJID("room@conference.montague.example")}, Type: xmpp.MessageGroupchat, Body: slot.GetURL}
	if err := oob.Add(m, oob.Link{URL: slot.GetURL, Desc: "meeting notes"}); err != nil {
		log.Fatal(err)
	}
	if err := c.Send(ctx, m); err != nil {
		log.Fatal(err)
	}
}
