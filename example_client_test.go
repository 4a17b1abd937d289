package xmpp_test

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"
	"time"

	"github.com/gojabber/xmpp"
)

// Dial looks up the server of the JID's domain, negotiates TLS, logs in and
// binds a resource. The Handler goes in the Options so that it is in place
// before the first stanza arrives.
func ExampleDial() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	mux := xmpp.NewMux()
	mux.HandleMessage(func(s xmpp.Session, m *xmpp.Message) {
		fmt.Printf("%s: %s\n", m.From, m.Body)
	})
	c, err := xmpp.Dial(ctx, "alice@example.com", "secret", &xmpp.Options{
		Resource: "laptop",
		Logger:   slog.New(slog.NewTextHandler(os.Stderr, nil)),
		Handler:  mux,
	})
	if err != nil {
		if errors.Is(err, xmpp.SASLNotAuthorized) {
			log.Fatal("wrong password")
		}
		var saslErr *xmpp.SASLError
		if errors.As(err, &saslErr) {
			log.Fatalf("login refused: %s", saslErr.Condition)
		}
		log.Fatal(err)
	}
	defer c.Close()
	log.Printf("logged in as %s", c.JID())

	// Wait until the server or the network ends the session.
	<-c.Done()
	log.Print(c.Err())
}

// A JID that is only a domain logs in anonymously (SASL ANONYMOUS, RFC
// 4505), which must be allowed in Options.Mechanisms; the server picks the
// session's JID.
func ExampleDial_anonymous() {
	c, err := xmpp.Dial(context.Background(), "anon.example.com", "", &xmpp.Options{
		Mechanisms: []string{"ANONYMOUS"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	log.Printf("logged in as %s", c.JID())
}

// Options.Server skips the SRV lookup, for a server at a known address such
// as a test server on loopback.
func ExampleDial_server() {
	c, err := xmpp.Dial(context.Background(), "alice@localhost", "alice-pass", &xmpp.Options{
		Server: "127.0.0.1:25222",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
}

func ExampleClient_Send() {
	ctx := context.Background()
	c, err := xmpp.Dial(ctx, "alice@example.com", "secret", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// Initial presence, then a chat message.
	if err := c.Send(ctx, &xmpp.Presence{}); err != nil {
		log.Fatal(err)
	}
	err = c.Send(ctx, &xmpp.Message{
		Header: xmpp.Header{To: xmpp.MustParseJID("bob@example.com")}, Type: xmpp.MessageChat,
		Body: "Hello, Bob!",
	})
	if err != nil {
		log.Fatal(err)
	}
}

// SendIQ waits for the reply to a get or set; a reply of type error comes
// back as a *StanzaError, which errors.Is matches against its condition.
func ExampleClient_SendIQ() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := xmpp.Dial(ctx, "alice@example.com", "secret", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	ping := xmpp.Element{
		Name: xml.Name{Space: "urn:xmpp:ping", Local: "ping"},
		Raw:  "<ping xmlns='urn:xmpp:ping'/>",
	}
	_, err = c.SendIQ(ctx, &xmpp.IQ{
		Header:  xmpp.Header{To: xmpp.MustParseJID("example.com")},
		Type:    xmpp.IQGet,
		Payload: ping,
	})
	var stanzaErr *xmpp.StanzaError
	switch {
	case errors.Is(err, xmpp.ErrServiceUnavailable), errors.Is(err, xmpp.ErrFeatureNotImplemented):
		log.Print("the server does not answer pings")
	case errors.As(err, &stanzaErr):
		log.Printf("server answered %s", stanzaErr.Condition)
	case err != nil:
		log.Fatal(err)
	default:
		log.Print("pong")
	}
}

// echoHandler is a Handler of its own, without a Mux: it echoes chat
// messages, logs presence and answers pings.
type echoHandler struct{}

func (echoHandler) OnMessage(s xmpp.Session, m *xmpp.Message) {
	if m.Type == xmpp.MessageChat && m.Body != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Send(ctx, &xmpp.Message{
			Header: xmpp.Header{To: m.From}, Type: xmpp.MessageChat,
			Body: m.Body,
		})
	}
}

func (echoHandler) OnPresence(s xmpp.Session, p *xmpp.Presence) {
	log.Printf("%s is %q", p.From, p.Show)
}

func (echoHandler) OnIQ(s xmpp.Session, iq *xmpp.IQ) (*xmpp.IQ, error) {
	if iq.Type == xmpp.IQGet && iq.Payload.Name.Space == "urn:xmpp:ping" {
		return &xmpp.IQ{}, nil // an empty result: ID, type and To are filled in
	}
	return nil, &xmpp.StanzaError{Type: xmpp.ErrorTypeCancel, Condition: xmpp.ErrFeatureNotImplemented}
}

// A Handler's methods run one at a time, in arrival order, on a goroutine
// of the session's own: they may call Send and SendIQ. OnIQ answers
// requests; returning (nil, nil) answers service-unavailable. Most programs
// use a Mux, which lets feature packages share the session.
func ExampleHandler() {
	opts := &xmpp.Options{Handler: echoHandler{}}
	c, err := xmpp.Dial(context.Background(), "bot@example.com", "secret", opts)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	<-c.Done()
}

// With Options.Reconnect a session outlives broken connections: it resumes
// its stream when it can (with StreamManagement nothing is lost or sent
// twice) and logs in anew otherwise. OnStatus reports each change; Done is
// closed only when the session ends for good, e.g. on a wrong password.
func ExampleReconnectOptions() {
	opts := &xmpp.Options{
		StreamManagement: true,
		PingIdle:         time.Minute, // also notice a link that went silent
		Reconnect: &xmpp.ReconnectOptions{
			MaxDelay: 30 * time.Second,
			OnUnacked: func(c *xmpp.Client, stanzas []xmpp.Stanza) {
				log.Printf("%d stanzas may not have been delivered", len(stanzas))
			},
		},
		OnStatus: func(c *xmpp.Client, s xmpp.Status, err error) {
			log.Printf("session %v (%v)", s, err)
		},
	}
	c, err := xmpp.Dial(context.Background(), "sensor-17@example.com", "secret", opts)
	if err != nil {
		log.Fatal(err) // the first connection is not retried
	}
	defer c.Close()
	<-c.Done()
	log.Print("session ended for good: ", c.Err())
}
