package integration_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
)

// inbox returns a buffered channel and a handler that feeds it. The handler
// never blocks: stanzas beyond the buffer are dropped, and the test waiting
// for them times out.
func inbox[T any]() (chan T, func(xmpp.Session, T)) {
	ch := make(chan T, 64)
	return ch, func(_ xmpp.Session, v T) {
		select {
		case ch <- v:
		default:
		}
	}
}

// largeBody returns a body of n bytes whose lines are numbered, so that a
// lost, repeated or reordered piece shows.
func largeBody(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%06d lorem ipsum dolor sit amet, consectetur adipiscing elit\n", i)
	}
	return b.String()[:n]
}

// TestMessages sends chat messages between two clients on the same server,
// in both directions, and checks what arrives: body, type chat, from the
// sender's full JID (RFC 6120 §8.1.2.1), to the recipient's.
func TestMessages(t *testing.T) {
	t.Parallel()
	bodies := []struct{ name, body string }{
		{"ascii", "hello"},
		{"special", `quotes ' and ", markup <b>not bold</b> & entities &amp; &lt;`},
		{"unicode", "emoji 😀🎉👩‍💻, CJK 日本語 中文 한국어, RTL עברית, tab\tand\nnewline"},
		{"100KB", largeBody(100 << 10)},
	}
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			aliceIn, onAlice := inbox[*xmpp.Message]()
			bobIn, onBob := inbox[*xmpp.Message]()
			alice := mustLogin(t, conn{srv: srv, user: "alice", onMessage: onAlice})
			bob := mustLogin(t, conn{srv: srv, user: "bob", onMessage: onBob})

			for _, dir := range []struct {
				name     string
				from, to *xmpp.Client
				in       chan *xmpp.Message
			}{
				{"alice-to-bob", alice, bob, bobIn},
				{"bob-to-alice", bob, alice, aliceIn},
			} {
				for _, b := range bodies {
					// Subtests in sequence: each waits for its own message.
					t.Run(dir.name+"/"+b.name, func(t *testing.T) {
						id := "msg-" + dir.name + "-" + b.name
						err := dir.from.Send(testCtx(t), &xmpp.Message{
							Header: xmpp.Header{ID: id, To: dir.to.JID()}, Type: xmpp.MessageChat,
							Body: b.body,
						})
						require.NoError(t, err, "Send")
						m := waitFor(t, dir.in, "message "+id, func(m *xmpp.Message) bool {
							return m.From == dir.from.JID() && m.ID == id
						})
						require.Equal(t, xmpp.MessageChat, m.Type, "type")
						require.Equal(t, dir.to.JID().String(), m.To.String(), "to")
						require.Equal(t, len(b.body), len(m.Body), "body length")
						require.Equal(t, b.body, m.Body, "body")
					})
				}
			}
		})
	}
}

// TestPresenceOnClose checks that a client's directed presence reaches its
// recipient, and that when the client ends its session, the server tells the
// recipient with presence of type unavailable from the client's full JID
// (RFC 6121 §4.6.3).
func TestPresenceOnClose(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			bobIn, onBob := inbox[*xmpp.Presence]()
			bob := mustLogin(t, conn{srv: srv, user: "bob", onPresence: onBob})
			alice := mustLogin(t, conn{srv: srv, user: "alice"})
			fromAlice := func(p *xmpp.Presence) bool { return p.From == alice.JID() }

			err := alice.Send(testCtx(t), &xmpp.Presence{Header: xmpp.Header{To: bob.JID()}, Status: "directed"})
			require.NoError(t, err, "Send directed presence")
			p := waitFor(t, bobIn, "available presence from "+alice.JID().String(), fromAlice)
			require.Equal(t, xmpp.PresenceAvailable, p.Type, "presence type")
			require.Equal(t, "directed", p.Status)

			require.NoError(t, alice.Close())
			require.ErrorIs(t, alice.Err(), xmpp.ErrClosed)
			p = waitFor(t, bobIn, "unavailable presence from "+alice.JID().String(), fromAlice)
			require.Equal(t, xmpp.PresenceUnavailable, p.Type, "presence type after alice.Close")
		})
	}
}

// TestIQ makes IQ round trips to the server: XEP-0199 ping, XEP-0092
// software version, and requests the server must answer with an error
// (RFC 6120 §8.3, RFC 6121 §8.5), which SendIQ returns as a
// *xmpp.StanzaError.
func TestIQ(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			alice := mustLogin(t, conn{srv: srv, user: "alice"})
			domain, err := xmpp.ParseJID(srv.Domain)
			require.NoError(t, err)
			payload := func(raw string) xmpp.Element {
				el, err := xmpp.ParseElement(raw)
				require.NoError(t, err, "ParseElement(%q)", raw)
				return el
			}
			get := func(to xmpp.JID, raw string) (*xmpp.IQ, error) {
				return alice.SendIQ(testCtx(t), &xmpp.IQ{
					Header: xmpp.Header{To: to}, Type: xmpp.IQGet,
					Payload: payload(raw),
				})
			}

			t.Run("ping", func(t *testing.T) {
				r, err := get(domain, `<ping xmlns='urn:xmpp:ping'/>`)
				require.NoError(t, err, "ping %s", domain)
				require.Equal(t, xmpp.IQResult, r.Type)
				require.Equal(t, domain.String(), r.From.String())
			})

			t.Run("version", func(t *testing.T) {
				r, err := get(domain, `<query xmlns='jabber:iq:version'/>`)
				require.NoError(t, err, "version of %s", domain)
				require.Equal(t, xmpp.IQResult, r.Type)
				require.Equal(t, "jabber:iq:version", r.Payload.Name.Space, "payload %s", r.Payload.Raw)
				require.Equal(t, "query", r.Payload.Name.Local)
				name, ok := r.Payload.Child("jabber:iq:version", "name")
				require.True(t, ok, "no <name/> in %s", r.Payload.Raw)
				version, _ := r.Payload.Child("jabber:iq:version", "version")
				require.Contains(t, strings.ToLower(name.Text()), s.name, "server name")
				require.NotEmpty(t, version.Text(), "server version in %s", r.Payload.Raw)
				t.Logf("%s: %s %s", domain, name.Text(), version.Text())
			})

			// want is the condition RFC 6120 §8.4 and RFC 6121 §8.5 ask
			// for, or "" where the servers differ: with federation
			// disabled, Prosody answers an IQ to a remote domain with
			// not-allowed and ejabberd with forbidden.
			errCases := []struct {
				name string
				to   string
				raw  string
				want xmpp.StanzaCondition
			}{
				{"unknown-namespace", srv.Domain, `<query xmlns='urn:example:no-such-namespace'/>`, xmpp.ErrServiceUnavailable},
				// Not a ping: both servers answer a ping to any bare JID
				// of their domain, even one with no account.
				{"unknown-user", "nobody-here@" + srv.Domain, `<query xmlns='jabber:iq:version'/>`, xmpp.ErrServiceUnavailable},
				{"unknown-resource", srv.JID("bob") + "/no-such-resource", `<ping xmlns='urn:xmpp:ping'/>`, xmpp.ErrServiceUnavailable},
				{"unknown-domain", "no-such-domain.invalid", `<ping xmlns='urn:xmpp:ping'/>`, ""},
			}
			for _, tc := range errCases {
				t.Run(tc.name, func(t *testing.T) {
					to, err := xmpp.ParseJID(tc.to)
					require.NoError(t, err)
					r, err := get(to, tc.raw)
					require.Error(t, err, "IQ to %s answered %+v", to, r)
					var se *xmpp.StanzaError
					require.True(t, errors.As(err, &se), "error %v (%T) is not a *StanzaError", err, err)
					require.NotEmpty(t, se.Condition)
					require.NotEmpty(t, se.Type)
					if tc.want != "" {
						require.Equal(t, tc.want, se.Condition, "condition; error %v", se)
					}
					t.Logf("IQ %s to %s: %s (%s) %q", tc.raw, to, se.Condition, se.Type, se.Text)
					// The session goes on after an error reply.
					_, err = get(domain, `<ping xmlns='urn:xmpp:ping'/>`)
					require.NoError(t, err, "ping after the error")
				})
			}
		})
	}
}
