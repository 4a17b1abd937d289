package integration_test

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/caps"
	"github.com/gojabber/xmpp/disco"
	"github.com/gojabber/xmpp/entitytime"
	"github.com/gojabber/xmpp/last"
	"github.com/gojabber/xmpp/ping"
	"github.com/gojabber/xmpp/version"
	"github.com/gojabber/xmpp/xmpptest"
)

// featureLogin logs user in to srv with opts (Server, TLSConfig and
// DebugWriter are set here) and closes the client when the test ends.
func featureLogin(t *testing.T, srv *xmpptest.Server, user string, opts xmpp.Options) *xmpp.Client {
	t.Helper()
	wire := &wireLog{}
	opts.Server = srv.C2SAddr
	opts.TLSConfig = srv.TLSConfig()
	opts.DebugWriter = wire
	c, err := xmpp.Dial(testCtx(t), srv.JID(user), srv.Password(user), &opts)
	require.NoError(t, err, "Dial(%s@%s)\nwire:\n%s\nserver log:\n%s", user, srv.Domain, wire, srv.LogTail(20))
	t.Cleanup(func() { c.Close() })
	return c
}

// requireStanzaError fails the test unless err is a *xmpp.StanzaError with
// the condition.
func requireStanzaError(t *testing.T, err error, condition xmpp.StanzaCondition) {
	t.Helper()
	var se *xmpp.StanzaError
	require.True(t, errors.As(err, &se), "error %v (%T), want a *xmpp.StanzaError %s", err, err, condition)
	require.ErrorIs(t, err, condition, "condition of %v", se)
}

// TestFeaturesServer uses the feature packages against the server itself:
// XEP-0030 disco#info and disco#items, XEP-0199 ping, XEP-0092 version,
// XEP-0202 time and XEP-0012 last activity (the server's uptime).
func TestFeaturesServer(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			alice := featureLogin(t, srv, "alice", xmpp.Options{})
			domain := xmpp.MustParseJID(srv.Domain)

			t.Run("disco-info", func(t *testing.T) {
				t.Parallel()
				info, err := disco.GetInfo(testCtx(t), alice, domain, "")
				require.NoError(t, err)
				t.Logf("%s: identities %+v, %d features, %d forms", domain, info.Identities, len(info.Features), len(info.Forms))
				require.True(t, info.HasIdentity("server", "im"), "identities %+v", info.Identities)
				for _, f := range []string{disco.NSInfo, disco.NSItems, ping.NS, version.NS, entitytime.NS, last.NS} {
					require.True(t, info.HasFeature(f), "feature %s missing from %v", f, info.Features)
				}
				// What a server sends verifies against its own hash: no
				// duplicate features or identities.
				require.True(t, caps.Verify(info, caps.Ver(info), caps.HashSHA1), "info %+v is ill-formed per XEP-0115 §5.4", info)
			})

			t.Run("disco-info-unknown-node", func(t *testing.T) {
				t.Parallel()
				_, err := disco.GetInfo(testCtx(t), alice, domain, "urn:gojabber:no-such-node")
				var se *xmpp.StanzaError
				require.True(t, errors.As(err, &se), "error %v (%T), want a *xmpp.StanzaError", err, err)
				t.Logf("unknown node: %s (%s)", se.Condition, se.Type)
			})

			t.Run("disco-items", func(t *testing.T) {
				t.Parallel()
				items, err := disco.GetItems(testCtx(t), alice, domain, "")
				require.NoError(t, err)
				t.Logf("%s: items %+v", domain, items)
				if muc := srv.Env["XMPP_MUC_DOMAIN"]; muc != "" {
					var jids []string
					for _, it := range items {
						jids = append(jids, it.JID.String())
					}
					require.Contains(t, jids, muc, "the MUC service among the items")
				}
			})

			t.Run("ping", func(t *testing.T) {
				t.Parallel()
				require.NoError(t, ping.Ping(testCtx(t), alice, domain))
				require.NoError(t, ping.Ping(testCtx(t), alice, xmpp.JID{}), "ping without to")
				// The server answers for the bare JIDs of its domain, even
				// without such an account (XEP-0199 §4.3).
				require.NoError(t, ping.Ping(testCtx(t), alice, xmpp.MustParseJID("nobody-here@"+srv.Domain)))
				err := ping.Ping(testCtx(t), alice, xmpp.MustParseJID(srv.JID("bob")+"/no-such-resource"))
				requireStanzaError(t, err, xmpp.ErrServiceUnavailable)
			})

			t.Run("version", func(t *testing.T) {
				t.Parallel()
				v, err := version.Get(testCtx(t), alice, domain)
				require.NoError(t, err)
				t.Logf("%s: %+v", domain, v)
				require.Contains(t, strings.ToLower(v.Name), s.name)
				require.NotEmpty(t, v.Version)
			})

			t.Run("time", func(t *testing.T) {
				t.Parallel()
				before := time.Now()
				got, offset, err := entitytime.Get(testCtx(t), alice, domain)
				require.NoError(t, err)
				after := time.Now()
				t.Logf("%s: %s, offset %v", domain, got.Format(time.RFC3339Nano), offset)
				// Same machine, same clock; the server may truncate to
				// the second.
				require.False(t, got.Before(before.Add(-time.Second)), "server time %v before the request at %v", got, before)
				require.False(t, got.After(after.Add(time.Second)), "server time %v after the reply at %v", got, after)
				_, zoneOffset := got.Zone()
				require.Equal(t, offset, time.Duration(zoneOffset)*time.Second, "zone of the returned time")
			})

			t.Run("last", func(t *testing.T) {
				t.Parallel()
				uptime, status, err := last.Get(testCtx(t), alice, domain)
				require.NoError(t, err)
				t.Logf("%s: up for %v, status %q", domain, uptime, status)
				require.Less(t, uptime, 24*time.Hour, "uptime of a server started by this test binary")
			})
		})
	}
}

// bobClient is a client with every feature package registered on one Mux,
// advertising its capabilities.
type bobClient struct {
	client *xmpp.Client
	disco  *disco.Handler
	caps   xmpp.Element // the <c/> it advertises
	ver    string
	// nodeQueries counts the disco#info requests for a node it received.
	nodeQueries atomic.Int32
}

const (
	bobNode    = "https://github.com/gojabber/xmpp/internal/integration"
	bobName    = "gojabber-integration"
	bobVersion = "0.0.1-test"
	bobOS      = "plan9"
	bobIdle    = time.Hour
)

var bobZone = time.FixedZone("", 5*3600+45*60) // +05:45

func loginBob(t *testing.T, srv *xmpptest.Server) *bobClient {
	t.Helper()
	b := &bobClient{}
	mux := xmpp.NewMux()
	ping.Register(mux)
	version.Register(mux, bobName, bobVersion, bobOS)
	entitytime.RegisterClock(mux, func() time.Time { return time.Now().In(bobZone) })
	idleSince := time.Now().Add(-bobIdle)
	last.Register(mux, func() time.Time { return idleSince })
	b.disco = disco.Register(mux, disco.Identity{Category: "client", Type: "bot", Name: "gojabber test"})
	b.caps = caps.Advertise(mux, b.disco, bobNode)
	b.ver = b.caps.Attr("ver")
	b.client = featureLogin(t, srv, "bob", xmpp.Options{Handler: nodeCounter{mux, b}})
	return b
}

// nodeCounter is bob's Mux, counting the disco#info requests for a node.
type nodeCounter struct {
	*xmpp.Mux
	b *bobClient
}

func (h nodeCounter) OnIQ(s xmpp.Session, iq *xmpp.IQ) (*xmpp.IQ, error) {
	if iq.Payload.Name.Space == disco.NSInfo && iq.Payload.Attr("node") != "" {
		h.b.nodeQueries.Add(1)
	}
	return h.Mux.OnIQ(s, iq)
}

// TestFeaturesClientToClient has alice use the feature packages on bob,
// through the server: bob answers with the handlers registered on its Mux,
// and what alice learns is exactly what bob registered.
func TestFeaturesClientToClient(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			bob := loginBob(t, srv)
			presences, onPresence := inbox[*xmpp.Presence]()
			aliceMux := xmpp.NewMux()
			aliceMux.HandlePresence(onPresence)
			alice := featureLogin(t, srv, "alice", xmpp.Options{Handler: aliceMux})
			to := bob.client.JID()

			t.Run("disco-info", func(t *testing.T) {
				want := bob.disco.Info()
				require.Equal(t, []string{
					"http://jabber.org/protocol/caps",
					disco.NSInfo, disco.NSItems,
					"jabber:iq:last", "jabber:iq:version", "urn:xmpp:ping", "urn:xmpp:time",
				}, want.Features, "bob's own features")
				info, err := disco.GetInfo(testCtx(t), alice, to, "")
				require.NoError(t, err)
				require.Equal(t, want.Identities, info.Identities)
				require.Equal(t, want.Features, info.Features, "exactly the features of bob's handlers")
				require.Equal(t, bob.ver, caps.Ver(info), "caps ver computed by alice")
				require.True(t, caps.Verify(info, bob.ver, caps.HashSHA1))

				// The node#ver of bob's caps gives the same information;
				// a node bob does not know is item-not-found.
				nodeInfo, err := disco.GetInfo(testCtx(t), alice, to, bobNode+"#"+bob.ver)
				require.NoError(t, err)
				require.Equal(t, info, nodeInfo)
				_, err = disco.GetInfo(testCtx(t), alice, to, bobNode+"#stale")
				requireStanzaError(t, err, xmpp.ErrItemNotFound)
			})

			t.Run("disco-items", func(t *testing.T) {
				items, err := disco.GetItems(testCtx(t), alice, to, "")
				require.NoError(t, err)
				require.Empty(t, items)
			})

			t.Run("ping", func(t *testing.T) {
				require.NoError(t, ping.Ping(testCtx(t), alice, to))
			})

			t.Run("version", func(t *testing.T) {
				v, err := version.Get(testCtx(t), alice, to)
				require.NoError(t, err)
				require.Equal(t, version.Info{Name: bobName, Version: bobVersion, OS: bobOS}, v)
			})

			t.Run("time", func(t *testing.T) {
				before := time.Now().Truncate(time.Millisecond)
				got, offset, err := entitytime.Get(testCtx(t), alice, to)
				require.NoError(t, err)
				require.Equal(t, 5*time.Hour+45*time.Minute, offset)
				require.False(t, got.Before(before) || got.After(time.Now()), "bob's time %v, asked at %v", got, before)
				require.Equal(t, "+05:45", got.Format("-07:00"), "zone of bob's time")
			})

			t.Run("last", func(t *testing.T) {
				idle, status, err := last.Get(testCtx(t), alice, to)
				if s.name == "ejabberd" {
					// ejabberd 23.01 does not route jabber:iq:last to a
					// full JID: it answers service-unavailable itself
					// (seen on the wire: the request never reaches bob,
					// even from another session of bob's account).
					requireStanzaError(t, err, xmpp.ErrServiceUnavailable)
					return
				}
				require.NoError(t, err)
				require.Empty(t, status)
				require.GreaterOrEqual(t, idle, bobIdle)
				require.Less(t, idle, bobIdle+2*opTimeout)
			})

			t.Run("unknown-payload", func(t *testing.T) {
				_, err := alice.SendIQ(testCtx(t), &xmpp.IQ{
					Header: xmpp.Header{To: to}, Type: xmpp.IQGet,
					Payload: mustParseElement(t, `<query xmlns='urn:gojabber:no-such-feature'/>`),
				})
				requireStanzaError(t, err, xmpp.ErrServiceUnavailable)
			})

			// bob sends alice a presence with its caps; alice resolves them
			// with one disco#info request, however many times she asks.
			t.Run("caps-resolver", func(t *testing.T) {
				err := bob.client.Send(testCtx(t), &xmpp.Presence{
					Header:     xmpp.Header{To: alice.JID()},
					Extensions: []xmpp.Element{bob.caps},
				})
				require.NoError(t, err)
				p := waitFor(t, presences, "presence from "+to.String(), func(p *xmpp.Presence) bool {
					_, ok := caps.Parse(p)
					return p.From == to && ok
				})
				c, _ := caps.Parse(p)
				require.Equal(t, caps.Caps{Node: bobNode, Ver: bob.ver, Hash: caps.HashSHA1}, c)

				before := bob.nodeQueries.Load()
				r := caps.NewResolver(caps.NewCache(16))
				var wg sync.WaitGroup
				results := make([]disco.Info, 4)
				errs := make([]error, 4)
				for i := range results {
					wg.Go(func() { results[i], errs[i] = r.Resolve(testCtx(t), alice, p) })
				}
				wg.Wait()
				for i := range results {
					require.NoError(t, errs[i], "Resolve #%d", i)
					require.Equal(t, bob.disco.Info().Features, results[i].Features, "Resolve #%d", i)
				}
				info, err := r.Resolve(testCtx(t), alice, p)
				require.NoError(t, err)
				require.Equal(t, bob.disco.Info(), info)
				require.Equal(t, int32(1), bob.nodeQueries.Load()-before, "disco#info requests for node#ver")
				_, ok := r.Cache().Get(caps.HashSHA1, bob.ver)
				require.True(t, ok, "bob's ver not cached")
			})
		})
	}
}

func mustParseElement(t *testing.T, raw string) xmpp.Element {
	t.Helper()
	el, err := xmpp.ParseElement(raw)
	require.NoError(t, err, "ParseElement(%q)", raw)
	return el
}
