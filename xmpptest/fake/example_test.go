package fake_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

// In a test, pass its *testing.T to Start. The example runs outside a test,
// so it passes this stand-in instead, and calls its cleanups when done.
type exampleT struct {
	testing.TB // only for its unexported method; never called
	cleanups   []func()
}

func (t *exampleT) Helper()                        {}
func (t *exampleT) Cleanup(f func())               { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }
func (t *exampleT) done() {
	for _, f := range slices.Backward(t.cleanups) {
		f()
	}
}

func Example() {
	t := &exampleT{}
	defer t.done()
	ctx := context.Background()

	got := make(chan *xmpp.Message, 1)
	mux := xmpp.NewMux()
	mux.HandleMessage(func(_ xmpp.Session, m *xmpp.Message) { got <- m })
	c, s := fake.Start(t, "alice@example.test/phone", &xmpp.Options{Handler: mux})

	// The server writes whatever the test wants, forged or not.
	s.Send(`<message from='bob@example.test/laptop' type='chat'><body>Hello, Alice.</body></message>`)
	m := <-got
	fmt.Printf("message from %s: %s\n", m.From, m.Body)

	// The client's requests are read from the server side, and answered.
	reply := make(chan string, 1)
	go func() {
		payload, _ := xmpp.ParseElement(`<query xmlns='jabber:iq:version'/>`)
		iq, err := c.SendIQ(ctx, &xmpp.IQ{
			Header: xmpp.Header{To: xmpp.MustParseJID("bob@example.test/laptop")}, Type: xmpp.IQGet,
			Payload: payload,
		})
		if err != nil {
			reply <- err.Error()
			return
		}
		name, _ := iq.Payload.Child("jabber:iq:version", "name")
		reply <- name.Text()
	}()
	req := s.ExpectIQ(ctx, xmpp.IQGet, "jabber:iq:version", "query")
	fmt.Printf("client asked %s for its version\n", req.To)

	// A reply from someone else is ignored; the real one is taken.
	s.Send(`<iq type='result' id='` + req.ID + `' from='mallory@evil.test'>` +
		`<query xmlns='jabber:iq:version'><name>forged</name></query></iq>`)
	s.Send(fake.Result(req, `<query xmlns='jabber:iq:version'><name>Psi</name></query>`))
	fmt.Println("SendIQ returned:", <-reply)

	// Output:
	// message from bob@example.test/laptop: Hello, Alice.
	// client asked bob@example.test/laptop for its version
	// SendIQ returned: Psi
}
