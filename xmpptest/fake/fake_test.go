package fake_test

import (
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

const alice = "alice@example.test/res"

func TestStartBindsResource(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		jid, resource, want string
	}{
		{alice, "", alice},
		{alice, "other", "alice@example.test/other"},
		{"alice@example.test", "", "alice@example.test/fake"},
		{"bob@127.0.0.1/x", "", "bob@127.0.0.1/x"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			c, s := fake.Start(t, tc.jid, &xmpp.Options{Resource: tc.resource})
			if got := c.JID().String(); got != tc.want {
				t.Errorf("Start(%q, Resource %q): client JID = %s, want %s", tc.jid, tc.resource, got, tc.want)
			}
			if got := s.JID().String(); got != tc.want {
				t.Errorf("Start(%q, Resource %q): server JID = %s, want %s", tc.jid, tc.resource, got, tc.want)
			}
		})
	}
}

func TestStartDirectTLS(t *testing.T) {
	t.Parallel()
	c, _ := fake.Start(t, alice, &xmpp.Options{DirectTLS: true})
	if got := c.JID().String(); got != alice {
		t.Errorf("JID() = %s, want %s", got, alice)
	}
}

func TestMessageReachesHandler(t *testing.T) {
	t.Parallel()
	got := make(chan *xmpp.Message, 1)
	mux := xmpp.NewMux()
	mux.HandleMessage(func(_ xmpp.Session, m *xmpp.Message) { got <- m })
	_, s := fake.Start(t, alice, &xmpp.Options{Handler: mux})
	s.Send(`<message from='bob@example.test/x' to='` + alice + `' type='chat'><body>hi &amp; bye</body></message>`)
	select {
	case m := <-got:
		if m.Body != "hi & bye" || m.From.String() != "bob@example.test/x" {
			t.Errorf("handler got from %s body %q, want from bob@example.test/x body %q", m.From, m.Body, "hi & bye")
		}
	case <-time.After(fake.Timeout):
		t.Fatal("the message handler was not called")
	}
}

func TestIQWithoutHandler(t *testing.T) {
	t.Parallel()
	_, s := fake.Start(t, alice, nil)
	s.Send(`<iq type='get' id='q1' from='example.test'><query xmlns='jabber:iq:version'/></iq>`)
	iq := s.ExpectIQ(t.Context(), xmpp.IQError, "", "")
	if iq.ID != "q1" || iq.To.String() != "example.test" {
		t.Errorf("reply id %q to %q, want id q1 to example.test", iq.ID, iq.To)
	}
	if iq.Error == nil || iq.Error.Condition != xmpp.ErrServiceUnavailable {
		t.Errorf("reply error = %v, want service-unavailable", iq.Error)
	}
}

func TestSendIQIgnoresSpoofedReply(t *testing.T) {
	t.Parallel()
	c, s := fake.Start(t, alice, nil)
	type result struct {
		iq  *xmpp.IQ
		err error
	}
	done := make(chan result, 1)
	go func() {
		payload, _ := xmpp.ParseElement(`<query xmlns='http://jabber.org/protocol/disco#info'/>`)
		iq, err := c.SendIQ(t.Context(), &xmpp.IQ{
			Header: xmpp.Header{To: xmpp.MustParseJID("pubsub.example.test")}, Type: xmpp.IQGet,
			Payload: payload,
		})
		done <- result{iq, err}
	}()
	req := s.ExpectIQ(t.Context(), xmpp.IQGet, "http://jabber.org/protocol/disco#info", "query")
	// A reply with the right id from someone else must be ignored.
	s.Send(`<iq type='result' id='` + req.ID + `' from='mallory@evil.test'><query xmlns='http://jabber.org/protocol/disco#info'><feature var='spoofed'/></query></iq>`)
	s.Send(`<iq type='result' id='` + req.ID + `' from='example.test'><query xmlns='http://jabber.org/protocol/disco#info'><feature var='spoofed'/></query></iq>`)
	select {
	case r := <-done:
		t.Fatalf("SendIQ returned after spoofed replies: %v, %v", r.iq, r.err)
	case <-time.After(20 * time.Millisecond):
	}
	s.Send(fake.Result(req, `<query xmlns='http://jabber.org/protocol/disco#info'><feature var='real'/></query>`))
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("SendIQ: %v", r.err)
		}
		if f, _ := r.iq.Payload.Child("http://jabber.org/protocol/disco#info", "feature"); f.Attr("var") != "real" {
			t.Errorf("SendIQ got %s, want the real reply", r.iq.Payload.Raw)
		}
	case <-time.After(fake.Timeout):
		t.Fatal("SendIQ did not return")
	}
}

func TestAnswerIQs(t *testing.T) {
	t.Parallel()
	c, s := fake.Start(t, alice, nil)
	s.AnswerIQs(func(iq *xmpp.IQ) (string, bool) {
		if iq.Payload.Name.Space != "jabber:iq:version" {
			return "", false
		}
		return fake.Result(iq, `<query xmlns='jabber:iq:version'><name>fake</name></query>`), true
	})
	payload, _ := xmpp.ParseElement(`<query xmlns='jabber:iq:version'/>`)
	iq, err := c.SendIQ(t.Context(), &xmpp.IQ{Header: xmpp.Header{To: xmpp.MustParseJID("example.test")}, Type: xmpp.IQGet, Payload: payload})
	if err != nil {
		t.Fatalf("SendIQ: %v", err)
	}
	if name, _ := iq.Payload.Child("jabber:iq:version", "name"); name.Text() != "fake" {
		t.Errorf("SendIQ got %s, want name fake", iq.Payload.Raw)
	}
	// Not answered: reaches Next.
	go c.Send(t.Context(), &xmpp.Presence{})
	if _, ok := s.Expect(t.Context(), nil).(*xmpp.Presence); !ok {
		t.Error("Expect(nil) did not return the presence")
	}
}

func TestHostileInputEndsSession(t *testing.T) {
	t.Parallel()
	c, s := fake.Start(t, alice, nil)
	s.Send(`<!DOCTYPE x [<!ENTITY a "aaaa">]><message><body>&a;</body></message>`)
	select {
	case <-c.Done():
	case <-time.After(fake.Timeout):
		t.Fatal("client did not end the session")
	}
	if _, ok := errors.AsType[*xmpp.StreamError](c.Err()); !ok {
		t.Errorf("client Err() = %v, want a *StreamError", c.Err())
	}
	ctx, cancel := context.WithTimeout(t.Context(), fake.Timeout)
	defer cancel()
	for {
		_, err := s.Next(ctx)
		if err == nil {
			continue
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatal("Next did not report the end of the stream")
		}
		break
	}
}

func TestOversizeStanza(t *testing.T) {
	t.Parallel()
	c, s := fake.Start(t, alice, &xmpp.Options{MaxStanzaSize: 1000})
	// The client hangs up in the middle of the write; Send does not fail.
	s.Send("<message><body>" + strings.Repeat("a", 100000) + "</body></message>")
	select {
	case <-c.Done():
	case <-time.After(fake.Timeout):
		t.Fatal("client did not end the session")
	}
	if se, ok := errors.AsType[*xmpp.StreamError](c.Err()); !ok || se.Condition != xmpp.CondPolicyViolation {
		t.Errorf("client Err() = %v, want a policy-violation *StreamError", c.Err())
	}
}

func TestServerCloseEndsClient(t *testing.T) {
	t.Parallel()
	c, s := fake.Start(t, alice, nil)
	s.Close()
	select {
	case <-c.Done():
	case <-time.After(fake.Timeout):
		t.Fatal("client still running after Server.Close")
	}
	if err := c.Err(); !errors.Is(err, io.EOF) {
		t.Errorf("client Err() = %v, want io.EOF", err)
	}
	if _, err := s.Next(t.Context()); !errors.Is(err, io.EOF) {
		t.Errorf("Next after Close = %v, want io.EOF", err)
	}
}

func TestClientCloseIsFast(t *testing.T) {
	t.Parallel()
	c, s := fake.Start(t, alice, nil)
	start := time.Now()
	c.Close()
	if d := time.Since(start); d > time.Second {
		t.Errorf("Client.Close took %v", d)
	}
	if _, err := s.Next(t.Context()); !errors.Is(err, io.EOF) {
		t.Errorf("Next after the client closed = %v, want io.EOF", err)
	}
}

// TestNoGoroutineLeft is not parallel, so that the goroutines it counts are
// only its own: parallel tests wait until the sequential ones are done.
func TestNoGoroutineLeft(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 5 {
		t.Run("client closes", func(t *testing.T) {
			_, s := fake.Start(t, alice, nil)
			s.Send(`<message><body>x</body></message>`)
		})
		t.Run("server closes", func(t *testing.T) {
			_, s := fake.Start(t, alice, nil)
			s.Close()
		})
		t.Run("bad XML", func(t *testing.T) {
			c, s := fake.Start(t, alice, nil)
			s.Send(`<a><b></a>`)
			<-c.Done()
		})
	}
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines: %d before, %d after\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}

func BenchmarkStart(b *testing.B) {
	for b.Loop() {
		c, s := fake.Start(b, alice, nil)
		c.Close()
		s.Close()
	}
}
