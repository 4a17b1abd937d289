package pubsub_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/pubsub"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

// service is a scripted pubsub service: answer gets each request and
// returns the reply's raw XML.
func service(t *testing.T, answer func(iq *xmpp.IQ) string) (*xmpp.Client, *[]*xmpp.IQ) {
	t.Helper()
	c, s := fake.Start(t, "alice@example.test/phone", nil)
	var mu sync.Mutex
	var seen []*xmpp.IQ
	s.AnswerIQs(func(iq *xmpp.IQ) (string, bool) {
		mu.Lock()
		seen = append(seen, iq)
		mu.Unlock()
		return answer(iq), true
	})
	return c, &seen
}

const discoWithPublishOptions = "<query xmlns='http://jabber.org/protocol/disco#info'><identity category='pubsub' type='pep'/>" +
	"<feature var='http://jabber.org/protocol/pubsub#publish-options'/></query>"

func errorReply(iq *xmpp.IQ, cond, app string) string {
	from := ""
	if !iq.To.IsZero() {
		from = " from='" + iq.To.String() + "'"
	}
	return "<iq type='error' id='" + iq.ID + "'" + from + "><error type='cancel'><" + cond + " xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>" + app + "</error></iq>"
}

func TestPublishAssignedID(t *testing.T) {
	t.Parallel()
	c, seen := service(t, func(iq *xmpp.IQ) string {
		return fake.Result(iq, "<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='n'><item id='abc123'/></publish></pubsub>")
	})
	id, err := pubsub.Publish(context.Background(), c, xmpp.JID{}, "n", pubsub.Item{Payload: mustElement(t, "<x xmlns='urn:t'/>")})
	require.NoError(t, err)
	require.Equal(t, "abc123", id, "Publish(no id) = %q, want the service's", id)
	require.Contains(t, (*seen)[0].Payload.Raw, "<item><x xmlns")
}

func TestPublishWithNotSupported(t *testing.T) {
	t.Parallel()
	c, seen := service(t, func(iq *xmpp.IQ) string {
		return fake.Result(iq, "<query xmlns='http://jabber.org/protocol/disco#info'><identity category='pubsub' type='pep'/></query>")
	})
	_, err := pubsub.PublishWith(context.Background(), c, xmpp.JID{}, "n", pubsub.Item{ID: "1"}, pubsub.Config{pubsub.AccessModel: "whitelist"})
	require.ErrorIs(t, err, pubsub.ErrNotSupported)
	require.Len(t, *seen, 1, "nothing published after disco")
}

func TestPublishWithRetriesOnce(t *testing.T) {
	t.Parallel()
	const preconditionNotMet = "<precondition-not-met xmlns='http://jabber.org/protocol/pubsub#errors'/>"
	for _, tt := range []struct {
		name        string
		failPublish int // publishes answered with precondition-not-met
		wantErr     bool
		wantIQs     []string
	}{
		{"met", 0, false, []string{"disco", "publish"}},
		{"reconfigured", 1, false, []string{"disco", "publish", "configure", "publish"}},
		{"still not met", 2, true, []string{"disco", "publish", "configure", "publish"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			publishes := 0
			c, seen := service(t, func(iq *xmpp.IQ) string {
				switch {
				case iq.Payload.Name.Local == "query":
					return fake.Result(iq, discoWithPublishOptions)
				case strings.Contains(iq.Payload.Raw, "<publish "):
					publishes++
					if publishes <= tt.failPublish {
						return errorReply(iq, "conflict", preconditionNotMet)
					}
					return fake.Result(iq, "")
				}
				return fake.Result(iq, "")
			})
			id, err := pubsub.PublishWith(context.Background(), c, xmpp.JID{}, "urn:xmpp:bookmarks:1", pubsub.Item{ID: "room@muc"},
				pubsub.Config{pubsub.AccessModel: "whitelist", pubsub.PersistItems: "true"})
			if tt.wantErr {
				require.ErrorIs(t, err, pubsub.ErrPreconditionNotMet)
				require.ErrorIs(t, err, xmpp.ErrConflict)
			} else {
				require.NoError(t, err)
				require.Equal(t, "room@muc", id)
			}
			var got []string
			for _, iq := range *seen {
				switch {
				case iq.Payload.Name.Local == "query":
					got = append(got, "disco")
				case strings.Contains(iq.Payload.Raw, "<publish "):
					require.Contains(t, iq.Payload.Raw, "http://jabber.org/protocol/pubsub#publish-options")
					got = append(got, "publish")
				case strings.Contains(iq.Payload.Raw, "<configure "):
					require.Equal(t, pubsub.NSOwner, iq.Payload.Name.Space)
					require.Contains(t, iq.Payload.Raw, "whitelist")
					got = append(got, "configure")
				}
			}
			require.Equal(t, tt.wantIQs, got)
		})
	}
}

func TestCreateInstant(t *testing.T) {
	t.Parallel()
	c, _ := service(t, func(iq *xmpp.IQ) string {
		return fake.Result(iq, "<pubsub xmlns='http://jabber.org/protocol/pubsub'><create node='25e3d37dabbab9541f7523321421edc5bfeb2dae'/></pubsub>")
	})
	node, err := pubsub.Create(context.Background(), c, xmpp.MustParseJID("pubsub.example.test"), "", nil)
	require.NoError(t, err)
	require.Equal(t, "25e3d37dabbab9541f7523321421edc5bfeb2dae", node)
}

func TestErrorFromService(t *testing.T) {
	t.Parallel()
	c, _ := service(t, func(iq *xmpp.IQ) string {
		return errorReply(iq, "unexpected-request", "<not-subscribed xmlns='http://jabber.org/protocol/pubsub#errors'/>")
	})
	err := pubsub.Unsubscribe(context.Background(), c, xmpp.MustParseJID("pubsub.example.test"), "n", c.JID(), "")
	require.ErrorIs(t, err, pubsub.ErrNotSubscribed)
	require.ErrorIs(t, err, xmpp.ErrUnexpectedRequest)
}

func TestRegisterDeliversInOrder(t *testing.T) {
	t.Parallel()
	mux := xmpp.NewMux()
	events := make(chan pubsub.Event, 16)
	pubsub.Register(mux, func(_ xmpp.Session, e pubsub.Event) { events <- e })
	other := make(chan *xmpp.Message, 16)
	mux.HandleMessage(func(_ xmpp.Session, m *xmpp.Message) { other <- m })
	_, s := fake.Start(t, "alice@example.test/phone", &xmpp.Options{Handler: mux})
	s.Send("<message from='bob@example.test'>" + ev + "<items node='n'><item id='1'/></items></event></message>")
	s.Send("<message from='bob@example.test'>" + ev + "<items node='n'><retract id='1'/></items></event></message>")
	s.Send("<message from='bob@example.test'>" + ev + "<items/></event></message>") // malformed: dropped
	s.Send("<message from='bob@example.test'>" + ev + "<purge node='n'/></event></message>")
	s.Send("<message from='bob@example.test'><body>hi</body></message>")
	for _, want := range []string{"items n 1:", "retract n 1", "purge n"} {
		require.Equal(t, want, summary(<-events))
	}
	m := <-other
	require.Equal(t, "hi", m.Body, "only the chat message reaches the handlers")
}
