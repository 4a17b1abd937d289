package xmpp

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gojabber/xmpp/xmpptest/dnstest"
	"github.com/stretchr/testify/require"
)

// testCtx returns a context that ends with the test or after 10 s.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// testOptions returns Options trusting the test CA.
func testOptions(t *testing.T) *Options {
	return &Options{TLSConfig: clientTLS(t), Resource: "test"}
}

// connect negotiates over a fake server running script and closes the client
// at the end of the test.
func connect(t *testing.T, opts *Options, script func(s *fakeServer)) (*Client, *fakeServer) {
	t.Helper()
	conn, s := startFakeServer(t, script)
	c, err := NewClient(testCtx(t), conn, testJID, testPassword, opts)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c, s
}

func TestHappyPathSCRAM(t *testing.T) {
	t.Parallel()
	got := make(chan *Message, 1)
	opts := testOptions(t)
	opts.Handler = funcHandler{onMessage: func(c *Client, m *Message) { got <- m }}
	c, _ := connect(t, opts, func(s *fakeServer) {
		s.open(featStartTLS)
		s.startTLS()
		s.open(featMechs("SCRAM-SHA-1", "SCRAM-SHA-256", "PLAIN"))
		s.authSCRAM(false)
		s.open(featBind)
		s.bind()

		// Message round trip: the client sends one, the server echoes it.
		m := s.expect(NSClient, "message")
		if m.attr("to") != "bob@example.test" || !strings.Contains(m.Inner, "<body>hello</body>") {
			s.fail("message %v %s", m.Attrs, m.Inner)
		}
		s.send("<message from='bob@example.test/x' to='" + testJID + "/test' type='chat'><body>hi alice</body></message>")

		// IQ round trip.
		iq := s.expect(NSClient, "iq")
		if iq.attr("type") != IQGet.String() || iq.attr("to") != testDomain || iq.attr("id") == "" {
			s.fail("iq %v", iq.Attrs)
		}
		s.send("<iq type='result' from='" + testDomain + "' id='" + iq.attr("id") + "'><query xmlns='jabber:iq:version'><name>fake</name></query></iq>")
		s.closeStream()
	})
	require.Equal(t, testJID+"/test", c.JID().String())

	ctx := testCtx(t)
	require.NoError(t, c.Send(ctx, &Message{Header: Header{To: MustParseJID("bob@example.test")}, Type: MessageChat, Body: "hello"}))
	select {
	case m := <-got:
		require.Equal(t, "hi alice", m.Body)
		require.Equal(t, "bob@example.test/x", m.From.String())
	case <-ctx.Done():
		t.Fatal("no message")
	}

	reply, err := c.SendIQ(ctx, &IQ{
		Header: Header{To: MustParseJID(testDomain)}, Type: IQGet,
		Payload: Element{Name: xml.Name{Space: "jabber:iq:version", Local: "query"}, Raw: "<query xmlns='jabber:iq:version'/>"},
	})
	require.NoError(t, err)
	require.Equal(t, IQResult, reply.Type)
	require.Contains(t, reply.Payload.Raw, "<name>fake</name>")

	require.NoError(t, c.Close())
	<-c.Done()
	require.ErrorIs(t, c.Err(), net.ErrClosed)
	require.ErrorIs(t, c.Send(ctx, &Presence{}), net.ErrClosed)
	_, err = c.SendIQ(ctx, &IQ{Type: IQGet, Payload: Element{Name: xml.Name{Local: "ping", Space: "urn:xmpp:ping"}, Raw: "<ping xmlns='urn:xmpp:ping'/>"}})
	require.ErrorIs(t, err, net.ErrClosed)
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestHappyPathPLAINWithDebugRedaction(t *testing.T) {
	t.Parallel()
	var debug syncBuffer
	opts := testOptions(t)
	opts.Resource = ""
	opts.DebugWriter = &debug
	c, _ := connect(t, opts, func(s *fakeServer) {
		s.login()
		s.closeStream()
	})
	require.Equal(t, testJID+"/srv-assigned", c.JID().String())
	require.NoError(t, c.Close())

	out := debug.String()
	plain := base64.StdEncoding.EncodeToString([]byte("\x00" + testUser + "\x00" + testPassword))
	require.NotContains(t, out, plain, "debug output leaks the PLAIN payload")
	require.NotContains(t, out, testPassword)
	require.Contains(t, out, "SEND: <auth xmlns='"+nsSASL+"' mechanism='PLAIN'>[redacted]</auth>")
	require.Contains(t, out, "RECV: <success xmlns='"+nsSASL+"'>[redacted]</success>")
	require.Contains(t, out, "SEND: <starttls")
	require.Contains(t, out, "RECV: ")
	require.Contains(t, out, "</stream:stream>")
}

func TestSTARTTLSMissingSendsNoCredentials(t *testing.T) {
	t.Parallel()
	conn, s := startFakeServer(t, func(s *fakeServer) {
		s.open(featMechs("PLAIN", "SCRAM-SHA-1"))
		s.expectClosed()
	})
	_, err := NewClient(testCtx(t), conn, testJID, testPassword, testOptions(t))
	require.ErrorIs(t, err, ErrTLSRequired)
	s.wait()
	require.NotContains(t, s.receivedNames(), "auth")
}

func TestInsecureAllowPlaintext(t *testing.T) {
	t.Parallel()
	opts := testOptions(t)
	opts.InsecureAllowPlaintext = true
	c, _ := connect(t, opts, func(s *fakeServer) {
		s.open(featMechs("PLAIN"))
		s.authPLAIN()
		s.open(featBind)
		s.bind()
		s.closeStream()
	})
	require.Equal(t, testJID+"/test", c.JID().String())
}

func TestSTARTTLSNeverSkippedWhenOffered(t *testing.T) {
	t.Parallel()
	opts := testOptions(t)
	opts.InsecureAllowPlaintext = true
	c, s := connect(t, opts, func(s *fakeServer) {
		s.open("<starttls xmlns='" + nsTLS + "'/>" + featMechs("PLAIN")) // optional STARTTLS
		s.startTLS()
		s.open(featMechs("PLAIN"))
		s.authPLAIN()
		s.open(featBind)
		s.bind()
		s.closeStream()
	})
	require.NoError(t, c.Close())
	s.wait()
	require.Equal(t, "starttls", s.receivedNames()[0])
}

func TestSCRAMBadServerSignature(t *testing.T) {
	t.Parallel()
	conn := startFake(t, func(s *fakeServer) {
		s.open(featStartTLS)
		s.startTLS()
		s.open(featMechs("SCRAM-SHA-256"))
		s.authSCRAM(true)
		s.expectClosed()
	})
	c, err := NewClient(testCtx(t), conn, testJID, testPassword, testOptions(t))
	require.Error(t, err)
	require.Nil(t, c)
	var se *SASLError
	require.ErrorAs(t, err, &se)
	require.Equal(t, "SCRAM-SHA-256", se.Mechanism)
}

func TestSASLFailure(t *testing.T) {
	t.Parallel()
	conn := startFake(t, func(s *fakeServer) {
		s.open(featStartTLS)
		s.startTLS()
		s.open(featMechs("PLAIN"))
		s.expect(nsSASL, "auth")
		s.send("<failure xmlns='" + nsSASL + "'><not-authorized/><text xml:lang='en'>bad password</text></failure>")
		s.expectClosed()
	})
	_, err := NewClient(testCtx(t), conn, testJID, testPassword, testOptions(t))
	var se *SASLError
	require.ErrorAs(t, err, &se)
	require.Equal(t, SASLNotAuthorized, se.Condition)
	require.Equal(t, "bad password", se.Text)
	require.Equal(t, "PLAIN", se.Mechanism)
}

func TestSTARTTLSInjection(t *testing.T) {
	t.Parallel()
	conn := startFake(t, func(s *fakeServer) {
		s.open(featStartTLS)
		s.expect(nsTLS, "starttls")
		// One write: the injected features arrive with <proceed/>.
		s.send("<proceed xmlns='" + nsTLS + "'/><stream:features>" + featMechs("PLAIN") + "</stream:features>")
		s.expectClosed()
	})
	_, err := NewClient(testCtx(t), conn, testJID, testPassword, testOptions(t))
	require.ErrorIs(t, err, ErrProtocol)
	require.Contains(t, err.Error(), "after <proceed/>")
}

func TestSpoofedIQReplyIgnored(t *testing.T) {
	t.Parallel()
	c, _ := connect(t, testOptions(t), func(s *fakeServer) {
		s.login()
		iq := s.expect(NSClient, "iq")
		id := iq.attr("id")
		// Wrong sender, then a bare JID when the full one was asked, then
		// no from (the request went to a remote JID): all ignored.
		s.send("<iq type='result' id='" + id + "' from='mallory@example.test/x'><spoofed xmlns='x'/></iq>")
		s.send("<iq type='result' id='" + id + "' from='bob@example.test'><spoofed xmlns='x'/></iq>")
		s.send("<iq type='result' id='" + id + "'><spoofed xmlns='x'/></iq>")
		s.send("<iq type='result' id='" + id + "' from='bob@example.test/res'><real xmlns='x'/></iq>")
		s.closeStream()
	})
	reply, err := c.SendIQ(testCtx(t), &IQ{
		Header: Header{To: MustParseJID("bob@example.test/res")}, Type: IQGet,
		Payload: Element{Name: xml.Name{Space: "urn:xmpp:ping", Local: "ping"}, Raw: "<ping xmlns='urn:xmpp:ping'/>"},
	})
	require.NoError(t, err)
	require.Contains(t, reply.Payload.Raw, "real")
}

func TestIQReplyMatching(t *testing.T) {
	t.Parallel()
	c := &Client{jid: MustParseJID(testJID + "/r"), domain: MustParseJID(testDomain)}
	j := MustParseJID
	tests := []struct {
		to, from string
		want     bool
	}{
		{"", "", true},
		{"", testJID, true},
		{"", testJID + "/r", true},
		{"", testDomain, true},
		{"", "bob@example.test", false},
		{"", testJID + "/other", false},
		{testDomain, "", true},
		{testDomain, testDomain, true},
		{testJID, "", true},
		{testJID, testJID, true},
		{testJID, testJID + "/r", false},
		{"bob@example.test", "bob@example.test", true},
		{"bob@example.test", "bob@example.test/x", false},
		{"bob@example.test", "", false},
		{"bob@example.test/x", "bob@example.test", false},
		{"pubsub.example.test", "", false},
	}
	for _, tt := range tests {
		var to, from JID
		if tt.to != "" {
			to = j(tt.to)
		}
		if tt.from != "" {
			from = j(tt.from)
		}
		if got := c.replyFrom(to, from); got != tt.want {
			t.Errorf("replyFrom(to=%q, from=%q) = %v, want %v", tt.to, tt.from, got, tt.want)
		}
	}
}

func TestIQError(t *testing.T) {
	t.Parallel()
	c, _ := connect(t, testOptions(t), func(s *fakeServer) {
		s.login()
		iq := s.expect(NSClient, "iq")
		s.send("<iq type='error' id='" + iq.attr("id") + "'><error type='cancel'><item-not-found xmlns='" + NSStanzas + "'/></error></iq>")
		s.closeStream()
	})
	_, err := c.SendIQ(testCtx(t), &IQ{
		Type:    IQGet,
		Payload: Element{Name: xml.Name{Space: "jabber:iq:roster", Local: "query"}, Raw: "<query xmlns='jabber:iq:roster'/>"},
	})
	var se *StanzaError
	require.ErrorAs(t, err, &se)
	require.Equal(t, ErrItemNotFound, se.Condition)
	require.Equal(t, ErrorTypeCancel, se.Type)

	_, err = c.SendIQ(testCtx(t), &IQ{Type: IQResult})
	require.ErrorIs(t, err, ErrInvalidIQ)
	_, err = c.SendIQ(testCtx(t), nil)
	require.ErrorIs(t, err, ErrNilStanza)
}

func pendingCount(c *Client) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

func TestSendIQCancelForgets(t *testing.T) {
	t.Parallel()
	sent := make(chan string, 1)
	c, _ := connect(t, testOptions(t), func(s *fakeServer) {
		s.login()
		iq := s.expect(NSClient, "iq")
		sent <- iq.attr("id")
		s.closeStream()
	})
	ctx, cancel := context.WithCancel(testCtx(t))
	errc := make(chan error, 1)
	go func() {
		_, err := c.SendIQ(ctx, &IQ{Header: Header{ID: "q1"}, Type: IQGet, Payload: pingPayload()})
		errc <- err
	}()
	require.Equal(t, "q1", <-sent)
	require.Equal(t, 1, pendingCount(c))
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)
	require.Equal(t, 0, pendingCount(c))
	// The session is still usable.
	select {
	case <-c.Done():
		t.Fatal("session ended after a cancelled SendIQ")
	default:
	}
}

func pingPayload() Element {
	return Element{Name: xml.Name{Space: "urn:xmpp:ping", Local: "ping"}, Raw: "<ping xmlns='urn:xmpp:ping'/>"}
}

func TestConnDeathFailsPendingIQs(t *testing.T) {
	t.Parallel()
	const n = 5
	c, _ := connect(t, testOptions(t), func(s *fakeServer) {
		s.login()
		for range n {
			s.expect(NSClient, "iq")
		}
		// Die without </stream:stream>.
		s.raw.Close()
	})
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = c.SendIQ(testCtx(t), &IQ{Type: IQGet, Payload: pingPayload()})
		})
	}
	wg.Wait()
	<-c.Done()
	cause := c.Err()
	require.Error(t, cause)
	require.NotErrorIs(t, cause, ErrClosed)
	for i, err := range errs {
		require.Error(t, err, "SendIQ %d", i)
		require.ErrorIs(t, err, net.ErrClosed)
		require.Contains(t, err.Error(), cause.Error())
	}
	require.Equal(t, 0, pendingCount(c))
}

func TestServerClosesStream(t *testing.T) {
	t.Parallel()
	c, s := connect(t, testOptions(t), func(s *fakeServer) {
		s.login()
		s.send("</stream:stream>")
		if e := s.next(); e != nil {
			s.fail("want </stream:stream>, got %v", e.XMLName)
		}
	})
	<-c.Done()
	require.ErrorIs(t, c.Err(), io.EOF)
	s.wait()
	require.Equal(t, "/stream", s.receivedNames()[len(s.receivedNames())-1])
}

func TestInboundIQWithoutHandler(t *testing.T) {
	t.Parallel()
	checked := make(chan struct{})
	_, srv := connect(t, testOptions(t), func(s *fakeServer) {
		s.login()
		s.send("<iq type='get' id='srv1' from='bob@example.test/x'><query xmlns='jabber:iq:version'/></iq>")
		r := s.expect(NSClient, "iq")
		if r.attr("type") != IQError.String() || r.attr("id") != "srv1" || r.attr("to") != "bob@example.test/x" ||
			!strings.Contains(r.Inner, "<service-unavailable") {
			s.fail("reply %v %s", r.Attrs, r.Inner)
		}
		close(checked)
		s.closeStream()
	})
	awaitStep(t, checked, srv)
}

func TestOnIQReplies(t *testing.T) {
	t.Parallel()
	checked := make(chan struct{})
	opts := testOptions(t)
	opts.Handler = funcHandler{onIQ: func(c *Client, iq *IQ) (*IQ, error) {
		switch iq.ID {
		case "ok":
			return &IQ{Payload: Element{Name: xml.Name{Space: "x", Local: "pong"}, Raw: "<pong xmlns='x'/>"}}, nil
		case "forbidden":
			return nil, fmt.Errorf("no: %w", &StanzaError{Type: ErrorTypeAuth, Condition: ErrForbidden})
		case "internal":
			return nil, errors.New("secret detail")
		case "bare":
			return nil, fmt.Errorf("lookup: %w", ErrItemNotFound)
		case "panic":
			panic("boom")
		}
		return nil, nil
	}}
	_, srv := connect(t, opts, func(s *fakeServer) {
		s.login()
		for _, tc := range []struct {
			id   string
			typ  IQType
			want string
		}{
			{"ok", IQResult, "<pong"},
			{"forbidden", IQError, "<forbidden"},
			{"internal", IQError, "<internal-server-error"},
			{"bare", IQError, "<item-not-found"},
			{"panic", IQError, "<internal-server-error"},
			{"nil", IQError, "<service-unavailable"},
		} {
			s.send("<iq type='set' id='" + tc.id + "' from='bob@example.test/x'><q xmlns='x'/></iq>")
			r := s.expect(NSClient, "iq")
			if r.attr("id") != tc.id || r.attr("type") != tc.typ.String() || r.attr("to") != "bob@example.test/x" ||
				!strings.Contains(r.Inner, tc.want) || strings.Contains(r.Inner, "secret") {
				s.fail("%s: reply %v %s", tc.id, r.Attrs, r.Inner)
			}
		}
		close(checked)
		s.closeStream()
	})
	awaitStep(t, checked, srv)
}

func TestHandlersInOrderAndSendIQFromHandler(t *testing.T) {
	t.Parallel()
	var (
		mu    sync.Mutex
		order []string
	)
	all := make(chan struct{})
	opts := testOptions(t)
	opts.Handler = funcHandler{onMessage: func(c *Client, m *Message) {
		if m.Body == "1" {
			// A round trip from inside a handler: the reader keeps routing
			// replies while this handler waits.
			r, err := c.SendIQ(testCtx(t), &IQ{Type: IQGet, Payload: pingPayload()})
			if err != nil || r.Type != IQResult {
				t.Errorf("SendIQ from handler = %v, %v", r, err)
			}
		}
		mu.Lock()
		order = append(order, m.Body)
		if len(order) == 4 {
			close(all)
		}
		mu.Unlock()
	}, onPresence: func(c *Client, p *Presence) {
		mu.Lock()
		order = append(order, "presence")
		mu.Unlock()
	}}
	connect(t, opts, func(s *fakeServer) {
		s.login()
		s.send("<message from='bob@example.test/x'><body>1</body></message>")
		s.send("<presence from='bob@example.test/x'/>")
		s.send("<message from='bob@example.test/x'><body>2</body></message>")
		iq := s.expect(NSClient, "iq")
		s.send("<iq type='result' id='" + iq.attr("id") + "'/>")
		s.send("<message from='bob@example.test/x'><body>3</body></message>")
		s.closeStream()
	})
	select {
	case <-all:
	case <-time.After(10 * time.Second):
		t.Fatal("handlers did not all run")
	}
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []string{"1", "presence", "2", "3"}, order)
}

func TestCloseFromHandler(t *testing.T) {
	t.Parallel()
	closed := make(chan error, 1)
	opts := testOptions(t)
	opts.Handler = funcHandler{onMessage: func(c *Client, m *Message) { closed <- c.Close() }}
	c, _ := connect(t, opts, func(s *fakeServer) {
		s.login()
		s.send("<message from='bob@example.test/x'><body>bye</body></message>")
		s.closeStream()
	})
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Close from a handler deadlocked")
	}
	<-c.Done()
	require.ErrorIs(t, c.Err(), ErrClosed)
}

func TestBindConflictRetried(t *testing.T) {
	t.Parallel()
	c, _ := connect(t, testOptions(t), func(s *fakeServer) {
		s.open(featStartTLS)
		s.startTLS()
		s.open(featMechs("PLAIN"))
		s.authPLAIN()
		s.open(featBind + "<session xmlns='" + nsSession + "'/>")
		e := s.expect(NSClient, "iq")
		if !strings.Contains(e.Inner, "<resource>test</resource>") {
			s.fail("first bind %s", e.Inner)
		}
		s.send("<iq type='error' id='" + e.attr("id") + "'><error type='cancel'><conflict xmlns='" + NSStanzas + "'/></error></iq>")
		if got := s.bind(); got != testJID+"/srv-assigned" {
			s.fail("second bind bound %s", got)
		}
		// Legacy session, required (no <optional/>).
		e = s.expect(NSClient, "iq")
		if !strings.Contains(e.Inner, nsSession) {
			s.fail("want session request, got %s", e.Inner)
		}
		s.send("<iq type='result' id='" + e.attr("id") + "'/>")
		s.closeStream()
	})
	require.Equal(t, testJID+"/srv-assigned", c.JID().String())
}

func TestOptionalSessionSkipped(t *testing.T) {
	t.Parallel()
	// The legacy session of RFC 3921 §3 is established only when the
	// server advertises it without <optional/> (RFC 6121 Appendix E).
	for _, tt := range []struct {
		name    string
		feature string
		want    int // session IQs the server receives
	}{
		{"optional", "<session xmlns='" + nsSession + "'><optional/></session>", 0},
		{"required", "<session xmlns='" + nsSession + "'/>", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var sessionIQs int // written by the script, read after s.wait
			c, s := connect(t, testOptions(t), func(s *fakeServer) {
				s.open(featStartTLS)
				s.startTLS()
				s.open(featMechs("PLAIN"))
				s.authPLAIN()
				s.open(featBind + tt.feature)
				s.bind()
				// Answer every session request, so that a client that
				// sends one when it must not is not stuck waiting, and
				// count them until the client ends the stream.
				for e := s.next(); e != nil; e = s.next() {
					if e.is(NSClient, "iq") && strings.Contains(e.Inner, nsSession) {
						sessionIQs++
						s.send("<iq type='result' id='" + e.attr("id") + "'/>")
					}
				}
				s.send("</stream:stream>")
			})
			require.NoError(t, c.Close())
			s.wait()
			require.Equal(t, tt.want, sessionIQs, "session IQs sent with %s", tt.feature)
		})
	}
}

func TestDirectTLS(t *testing.T) {
	t.Parallel()
	opts := testOptions(t)
	opts.DirectTLS = true
	c, _ := connect(t, opts, func(s *fakeServer) {
		s.handshake()
		if p := s.conn.(*tls.Conn).ConnectionState().NegotiatedProtocol; p != "xmpp-client" {
			s.fail("ALPN %q, want xmpp-client", p)
		}
		s.open(featMechs("PLAIN"))
		s.authPLAIN()
		s.open(featBind)
		s.bind()
		s.closeStream()
	})
	require.Equal(t, testJID+"/test", c.JID().String())
}

func TestSeeOtherHostFollowedOnceInDial(t *testing.T) {
	t.Parallel()
	var dialed []string
	var mu sync.Mutex
	opts := testOptions(t)
	opts.Server = "first.test:5222"
	opts.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		dialed = append(dialed, addr)
		mu.Unlock()
		switch addr {
		case "first.test:5222":
			return startFake(t, func(s *fakeServer) {
				s.open(featStartTLS)
				s.startTLS()
				s.expectHeader()
				s.sendHeader()
				s.send("<stream:error><see-other-host xmlns='" + NSStreams + "'>second.test:5333</see-other-host></stream:error></stream:stream>")
				s.expectClosed()
			}), nil
		case "second.test:5333":
			return startFake(t, func(s *fakeServer) {
				s.login()
				s.closeStream()
			}), nil
		}
		return nil, fmt.Errorf("unexpected dial %s", addr)
	}
	c, err := Dial(testCtx(t), testJID, testPassword, opts)
	require.NoError(t, err)
	defer c.Close()
	require.Equal(t, testJID+"/test", c.JID().String())
	mu.Lock()
	require.Equal(t, []string{"first.test:5222", "second.test:5333"}, dialed)
	mu.Unlock()
}

func TestSeeOtherHostNotFollowedTwice(t *testing.T) {
	t.Parallel()
	redirect := func(to string) func(s *fakeServer) {
		return func(s *fakeServer) {
			s.open(featStartTLS)
			s.startTLS()
			s.expectHeader()
			s.sendHeader()
			s.send("<stream:error><see-other-host xmlns='" + NSStreams + "'>" + to + "</see-other-host></stream:error></stream:stream>")
			s.expectClosed()
		}
	}
	var dialed []string
	var mu sync.Mutex
	opts := testOptions(t)
	opts.Server = "first.test"
	opts.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		dialed = append(dialed, addr)
		mu.Unlock()
		return startFake(t, redirect("third.test")), nil
	}
	_, err := Dial(testCtx(t), testJID, testPassword, opts)
	var se *StreamError
	require.ErrorAs(t, err, &se)
	require.Equal(t, CondSeeOtherHost, se.Condition)
	mu.Lock()
	require.Equal(t, []string{"first.test:5222", "third.test:5222"}, dialed)
	mu.Unlock()
}

func TestSeeOtherHostInNewClient(t *testing.T) {
	t.Parallel()
	conn := startFake(t, func(s *fakeServer) {
		s.expectHeader()
		s.sendHeader()
		s.send("<stream:error><see-other-host xmlns='" + NSStreams + "'>other.test</see-other-host></stream:error></stream:stream>")
		s.expectClosed()
	})
	_, err := NewClient(testCtx(t), conn, testJID, testPassword, testOptions(t))
	var se *StreamError
	require.ErrorAs(t, err, &se)
	require.Equal(t, CondSeeOtherHost, se.Condition)
	require.Equal(t, "other.test", se.SeeOtherHost)
}

func TestDialStopsOnSASLError(t *testing.T) {
	t.Parallel()
	var dials int
	var mu sync.Mutex
	opts := testOptions(t)
	opts.Server = "only.test:1"
	opts.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		dials++
		mu.Unlock()
		return startFake(t, func(s *fakeServer) {
			s.open(featStartTLS)
			s.startTLS()
			s.open(featMechs("PLAIN"))
			s.expect(nsSASL, "auth")
			s.send("<failure xmlns='" + nsSASL + "'><not-authorized/></failure>")
			s.expectClosed()
		}), nil
	}
	_, err := Dial(testCtx(t), testJID, testPassword, opts)
	var se *SASLError
	require.ErrorAs(t, err, &se)
	require.Equal(t, 1, dials)
}

func TestNegotiationContextCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(testCtx(t))
	conn := startFake(t, func(s *fakeServer) {
		s.expectHeader()
		cancel() // and never answer
		s.expectClosed()
	})
	_, err := NewClient(ctx, conn, testJID, testPassword, testOptions(t))
	require.ErrorIs(t, err, context.Canceled)
}

// TestNegotiationTimeout: a server that stops answering cannot hang a caller
// whose ctx has no deadline.
func TestNegotiationTimeout(t *testing.T) {
	t.Parallel()
	conn := startFake(t, func(s *fakeServer) {
		s.expectHeader() // and never answer
		s.expectClosed()
	})
	o := testOptions(t)
	o.NegotiationTimeout = 200 * time.Millisecond
	start := time.Now()
	_, err := NewClient(context.Background(), conn, testJID, testPassword, o)
	require.ErrorIs(t, err, ErrNegotiationTimeout)
	require.Less(t, time.Since(start), 10*time.Second)
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	// Not parallel: it counts the process's goroutines.
	before := runtime.NumGoroutine()
	for range 3 {
		func() {
			client, server := net.Pipe()
			s := &fakeServer{t: t, raw: server, conn: server, tlsCfg: serverTLS(t), done: make(chan struct{})}
			s.br = bufio.NewReader(server)
			go func() {
				defer close(s.done)
				defer server.Close()
				defer func() {
					if r := recover(); r != nil {
						s.err = r.(fsAbort).err
					}
				}()
				s.login()
				s.send("<message from='bob@example.test/x'><body>queued</body></message>")
				s.closeStream()
			}()
			c, err := NewClient(testCtx(t), client, testJID, testPassword, testOptions(t))
			require.NoError(t, err)
			require.NoError(t, c.Close())
			<-s.done
			require.NoError(t, s.err)
		}()
	}
	awaitGoroutines(t, before, 2*time.Second)
}

// awaitGoroutines waits up to d for the process to run no more goroutines
// than before, or fails with every goroutine's stack.
func awaitGoroutines(t *testing.T, before int, d time.Duration) {
	t.Helper()
	var after int
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if after = runtime.NumGoroutine(); after <= before {
			return
		}
	}
	buf := make([]byte, 1<<20)
	t.Fatalf("goroutines: %d before, %d after Close\n%s", before, after, buf[:runtime.Stack(buf, true)])
}

// awaitStep waits until the script closes step, or fails.
func awaitStep(t *testing.T, step chan struct{}, s *fakeServer) {
	t.Helper()
	select {
	case <-step:
	case <-s.done:
		select {
		case <-step:
		default:
			t.Fatalf("fake server stopped early: %v", s.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("fake server did not reach the step")
	}
}

func TestDialSRVOrderAndFallback(t *testing.T) {
	t.Parallel()
	dns, err := dnstest.Start()
	require.NoError(t, err)
	t.Cleanup(dns.Close)
	dns.AddSRV("_xmpps-client._tcp."+testDomain, 5, 0, 5223, "direct."+testDomain)
	dns.AddSRV("_xmpp-client._tcp."+testDomain, 10, 0, 5222, "starttls."+testDomain)

	var mu sync.Mutex
	var dialed []string
	opts := testOptions(t)
	opts.Resolver = dns.Resolver()
	opts.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		dialed = append(dialed, addr)
		mu.Unlock()
		switch addr {
		case "direct." + testDomain + ":5223":
			// Direct TLS, but the server breaks off after the handshake.
			return startFake(t, func(s *fakeServer) {
				s.handshake()
				s.expectHeader()
				s.sendHeader()
				s.send("<stream:error><internal-server-error xmlns='" + NSStreams + "'/></stream:error></stream:stream>")
				s.expectClosed()
			}), nil
		case "starttls." + testDomain + ":5222":
			return startFake(t, func(s *fakeServer) {
				s.login()
				s.closeStream()
			}), nil
		}
		return nil, fmt.Errorf("unexpected dial %s", addr)
	}
	c, err := Dial(testCtx(t), testJID, testPassword, opts)
	require.NoError(t, err)
	defer c.Close()
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []string{"direct." + testDomain + ":5223", "starttls." + testDomain + ":5222"}, dialed)
}

func TestDialJoinsErrors(t *testing.T) {
	t.Parallel()
	dns, err := dnstest.Start()
	require.NoError(t, err)
	t.Cleanup(dns.Close)
	dns.AddSRV("_xmpp-client._tcp."+testDomain, 10, 0, 5222, "a."+testDomain)
	dns.AddSRV("_xmpp-client._tcp."+testDomain, 20, 0, 5222, "b."+testDomain)
	errA, errB := errors.New("refused a"), errors.New("refused b")
	opts := testOptions(t)
	opts.Resolver = dns.Resolver()
	opts.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if strings.HasPrefix(addr, "a.") {
			return nil, errA
		}
		return nil, errB
	}
	_, err = Dial(testCtx(t), testJID, testPassword, opts)
	require.ErrorIs(t, err, errA)
	require.ErrorIs(t, err, errB)
}

// pipeClient negotiates over net.Pipe, which has no buffer: a write blocks
// until the server reads it.
func pipeClient(t *testing.T, opts *Options, script func(s *fakeServer)) (*Client, *fakeServer) {
	t.Helper()
	client, server := net.Pipe()
	s := &fakeServer{t: t, raw: server, conn: server, br: bufio.NewReader(server), tlsCfg: serverTLS(t), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer server.Close()
		defer func() {
			if r := recover(); r != nil {
				s.err = r.(fsAbort).err
			}
		}()
		script(s)
	}()
	c, err := NewClient(testCtx(t), client, testJID, testPassword, opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		c.Close()
		<-s.done
		if s.err != nil {
			t.Errorf("fake server: %v", s.err)
		}
	})
	return c, s
}

func TestSendContextEndsBlockedWrite(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	c, _ := pipeClient(t, testOptions(t), func(s *fakeServer) {
		s.login()
		<-release // read nothing more
	})
	defer close(release)
	ctx, cancel := context.WithTimeout(testCtx(t), 100*time.Millisecond)
	defer cancel()
	err := c.Send(ctx, &Message{Header: Header{To: MustParseJID("bob@example.test")}, Body: "stuck"})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	// A write cut short leaves half a stanza on the wire: the session ends.
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("session still running after a broken write")
	}
	require.Error(t, c.Err())
	require.ErrorIs(t, c.Send(testCtx(t), &Presence{}), net.ErrClosed)
}

func TestSendWaitingForWriteLockHonoursContext(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	c, _ := pipeClient(t, testOptions(t), func(s *fakeServer) {
		s.login()
		<-release
	})
	defer close(release)
	// Hold the write lock as a stuck writer would.
	c.writeSem <- struct{}{}
	ctx, cancel := context.WithTimeout(testCtx(t), 50*time.Millisecond)
	defer cancel()
	err := c.Send(ctx, &Presence{})
	<-c.writeSem
	require.ErrorIs(t, err, context.DeadlineExceeded)
	select {
	case <-c.Done():
		t.Fatal("session ended though nothing was written")
	default:
	}
}

func TestStanzaTooBigEndsSession(t *testing.T) {
	t.Parallel()
	opts := testOptions(t)
	opts.MaxStanzaSize = 1024
	c, _ := connect(t, opts, func(s *fakeServer) {
		s.login()
		s.send("<message from='bob@example.test/x'><body>" + strings.Repeat("x", 4096) + "</body></message>")
		s.expectClosed()
	})
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("oversized stanza did not end the session")
	}
	var se *StreamError
	require.ErrorAs(t, c.Err(), &se)
}

func TestCloseBoundedWhenServerSilent(t *testing.T) {
	t.Parallel()
	c, _ := connect(t, testOptions(t), func(s *fakeServer) {
		s.login()
		s.expectClosed() // never answers </stream:stream>
	})
	requireCloseBounded(t, c)
	require.ErrorIs(t, c.Err(), ErrClosed)
}

// debugLogger logs everything, at debug level, to w.
func debugLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func TestLogsCarryNoSecrets(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	opts := testOptions(t)
	opts.Logger = debugLogger(&logs)
	for _, mech := range []string{"PLAIN", "SCRAM-SHA-256"} {
		c, _ := connect(t, opts, func(s *fakeServer) {
			s.open(featStartTLS)
			s.startTLS()
			s.open(featMechs(mech))
			if mech == "PLAIN" {
				s.authPLAIN()
			} else {
				s.authSCRAM(false)
			}
			s.open(featBind)
			s.bind()
			s.closeStream()
		})
		require.NoError(t, c.Close())
	}
	out := logs.String()
	require.Contains(t, out, "session established")
	require.NotContains(t, out, testPassword)
	require.NotContains(t, out, base64.StdEncoding.EncodeToString([]byte("\x00"+testUser+"\x00"+testPassword)))
}

func TestSCRAMPlusWithAdvertisedChannelBinding(t *testing.T) {
	t.Parallel()
	c, _ := connect(t, testOptions(t), func(s *fakeServer) {
		s.open(featStartTLS)
		s.startTLS()
		// XEP-0440: the server says which channel binding types it supports.
		s.open(featMechs("SCRAM-SHA-256", "SCRAM-SHA-256-PLUS", "PLAIN") +
			"<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'><channel-binding type='tls-exporter'/></sasl-channel-binding>")
		s.authSCRAMMech("SCRAM-SHA-256-PLUS", false)
		s.open(featBind)
		s.bind()
		s.closeStream()
	})
	require.Equal(t, testJID+"/test", c.JID().String())
}

func TestBadIQAnsweredAndSessionGoesOn(t *testing.T) {
	t.Parallel()
	got := make(chan string, 1)
	opts := testOptions(t)
	opts.Handler = funcHandler{onMessage: func(c *Client, m *Message) { got <- m.Body }}
	connect(t, opts, func(s *fakeServer) {
		s.login()
		// Two payloads: the decoder rejects it as bad-request.
		s.send("<iq type='get' id='bad1' from='bob@example.test/x'><a xmlns='x'/><b xmlns='x'/></iq>")
		r := s.expect(NSClient, "iq")
		if r.attr("type") != IQError.String() || r.attr("id") != "bad1" || !strings.Contains(r.Inner, "<bad-request") {
			s.fail("reply %v %s", r.Attrs, r.Inner)
		}
		s.send("<message from='bob@example.test/x'><body>still here</body></message>")
		s.closeStream()
	})
	select {
	case b := <-got:
		require.Equal(t, "still here", b)
	case <-time.After(10 * time.Second):
		t.Fatal("session did not go on after a bad stanza")
	}
}
