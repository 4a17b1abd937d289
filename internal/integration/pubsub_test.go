package integration_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/caps"
	"github.com/gojabber/xmpp/disco"
	"github.com/gojabber/xmpp/pubsub"
	"github.com/gojabber/xmpp/rsm"
	"github.com/gojabber/xmpp/xmpptest"
)

// psClient is a client with a pubsub event channel.
type psClient struct {
	*xmpp.Client
	events   chan pubsub.Event
	wire     *wireLog
	presence *xmpp.Presence // the initial presence, with caps

	mu        sync.Mutex
	presences []*xmpp.Presence // every presence received; guarded by mu
}

// waitPresence waits until a presence that match accepts has arrived
// (before the call or after it).
func (pc *psClient) waitPresence(t *testing.T, what string, match func(*xmpp.Presence) bool) {
	t.Helper()
	deadline := time.Now().Add(opTimeout)
	for {
		pc.mu.Lock()
		found := slices.ContainsFunc(pc.presences, match)
		pc.mu.Unlock()
		if found {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: timed out after %v waiting for %s", pc.JID(), opTimeout, what)
		}
		time.Sleep(10 * time.Millisecond) // a bounded poll
	}
}

// psLogin logs user in with pubsub.Register on a Mux, the +notify features
// of notify, disco and caps, and sends initial presence with caps.
func psLogin(t *testing.T, srv *xmpptest.Server, user string, notify ...string) *psClient {
	t.Helper()
	mux := xmpp.NewMux()
	pc := &psClient{events: make(chan pubsub.Event, 256), wire: &wireLog{}}
	pubsub.Register(mux, func(_ xmpp.Session, e pubsub.Event) { offer(pc.events, e) })
	mux.HandlePresence(func(_ xmpp.Session, p *xmpp.Presence) {
		pc.mu.Lock()
		pc.presences = append(pc.presences, p)
		pc.mu.Unlock()
	})
	for _, n := range notify {
		pubsub.Notify(mux, n)
	}
	h := disco.Register(mux)
	c, err := xmpp.Dial(testCtx(t), srv.JID(user), srv.Password(user), &xmpp.Options{
		Server: srv.C2SAddr, TLSConfig: srv.TLSConfig(), DebugWriter: pc.wire, Handler: mux,
	})
	require.NoError(t, err, "Dial(%s)", user)
	t.Cleanup(func() { c.Close() })
	pc.Client = c
	p := xmpp.Available("", "", 0)
	p.Extensions = append(p.Extensions, caps.Advertise(mux, h, "https://github.com/gojabber/xmpp"))
	require.NoError(t, c.Send(testCtx(t), p), "initial presence")
	pc.presence = p
	return pc
}

// befriend makes a and b subscribed to each other's presence (RFC 6121
// §3.1), as PEP needs (XEP-0163 §1).
func befriend(t *testing.T, a, b *psClient) {
	t.Helper()
	ctx := testCtx(t)
	for _, pair := range [][2]*psClient{{a, b}, {b, a}} {
		from, to := pair[0], pair[1]
		require.NoError(t, xmpp.Subscribe(ctx, from, to.JID().Bare()))
		to.waitPresence(t, "subscription request", func(p *xmpp.Presence) bool {
			return p.Type == xmpp.PresenceSubscribe && p.From.Bare() == from.JID().Bare()
		})
		require.NoError(t, xmpp.ApproveSubscription(ctx, to, from.JID().Bare()))
		from.waitPresence(t, "subscription approval", func(p *xmpp.Presence) bool {
			// Prosody 0.12 sends the contact's presence, not subscribed.
			return (p.Type == xmpp.PresenceSubscribed || p.Type == xmpp.PresenceAvailable) && p.From.Bare() == to.JID().Bare()
		})
	}
}

// next waits for the next event about node.
func (pc *psClient) next(t *testing.T, node string) pubsub.Event {
	t.Helper()
	return waitFor(t, pc.events, "pubsub event on "+node, func(e pubsub.Event) bool {
		_, n := e.Source()
		return n == node
	})
}

// psNode returns a node name unique to the test.
func psNode(t *testing.T, prefix string) string {
	return prefix + "-" + strings.ToLower(strings.NewReplacer("/", "-", "#", "-").Replace(t.Name())) + "-" + freshSuffix()
}

var psSeq atomic.Int64

func freshSuffix() string {
	return strings.ToLower(fmt.Sprint(psSeq.Add(1)))
}

// psServices are the pubsub services of a server the node tests run on:
// the account's PEP service on both, ejabberd's pubsub component too.
func psServices(srv *xmpptest.Server) []string {
	if srv.Kind == xmpptest.KindEjabberd {
		return []string{"pep", "pubsub." + srv.Domain}
	}
	return []string{"pep"}
}

// TestPubSubNode runs the life of a node with an explicit subscriber:
// create with configuration, subscribe, owner lists, publish (assigned id),
// events in order, items by id, max_items and RSM, retract, reconfigure,
// purge, unsubscribe, delete, and the typed errors on the way (XEP-0060).
func TestPubSubNode(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			for _, svc := range psServices(srv) {
				t.Run(svc, func(t *testing.T) {
					t.Parallel()
					testPubSubNode(t, srv, svc)
				})
			}
		})
	}
}

func testPubSubNode(t *testing.T, srv *xmpptest.Server, svc string) {
	ctx := testCtx(t)
	alice := psLogin(t, srv, freshUser(t, srv, "ps-a"))
	bob := psLogin(t, srv, freshUser(t, srv, "ps-b"))
	service := alice.JID().Bare()
	if svc != "pep" {
		service = xmpp.MustParseJID(svc)
	}
	node := psNode(t, "urn:xmpp:gojabber:test")

	got, err := pubsub.Create(ctx, alice, service, node, pubsub.Config{
		pubsub.AccessModel: "open", pubsub.MaxItems: "10", pubsub.PersistItems: "true",
		pubsub.NotifyRetract: "true", pubsub.NotifyDelete: "true", pubsub.NotifyConfig: "true",
	})
	require.NoError(t, err, "Create")
	require.Equal(t, node, got)
	_, err = pubsub.Create(ctx, alice, service, node, nil)
	require.ErrorIs(t, err, xmpp.ErrConflict, "Create of an existing node")

	sub, err := pubsub.Subscribe(ctx, bob, service, node, bob.JID(), nil)
	require.NoError(t, err, "Subscribe")
	require.Equal(t, pubsub.StateSubscribed, sub.State)
	require.Equal(t, bob.JID(), sub.JID)
	subs, err := pubsub.Subscriptions(ctx, bob, service, node)
	require.NoError(t, err, "Subscriptions")
	require.Len(t, subs, 1)
	require.Equal(t, bob.JID(), subs[0].JID)

	owned, err := pubsub.NodeSubscriptions(ctx, alice, service, node)
	if srv.Kind == xmpptest.KindEjabberd && svc == "pep" {
		// ejabberd's PEP has no subscription management.
		requireUnsupported(t, err, "manage-subscriptions")
	} else {
		require.NoError(t, err, "NodeSubscriptions")
		require.Contains(t, subJIDs(owned), bob.JID().String())
	}
	affs, err := pubsub.NodeAffiliations(ctx, alice, service, node)
	require.NoError(t, err, "NodeAffiliations")
	require.Contains(t, affs, pubsub.Affiliation{JID: alice.JID().Bare(), Affiliation: pubsub.AffiliationOwner})
	require.NoError(t, pubsub.SetAffiliations(ctx, alice, service, node, []pubsub.Affiliation{{JID: bob.JID().Bare(), Affiliation: pubsub.AffiliationPublisher}}), "SetAffiliations")
	affs, err = pubsub.NodeAffiliations(ctx, alice, service, node)
	require.NoError(t, err, "NodeAffiliations after set")
	require.Contains(t, affs, pubsub.Affiliation{JID: bob.JID().Bare(), Affiliation: pubsub.AffiliationPublisher})
	mine, err := pubsub.Affiliations(ctx, alice, service, "")
	if srv.Kind == xmpptest.KindProsody {
		// Prosody 0.12's PEP does not list an entity's affiliations.
		require.ErrorIs(t, err, pubsub.ErrNotSupported, "Affiliations")
		require.ErrorIs(t, err, xmpp.ErrServiceUnavailable, "Affiliations")
	} else {
		require.NoError(t, err, "Affiliations")
		require.Contains(t, mine, pubsub.Affiliation{Node: node, Affiliation: pubsub.AffiliationOwner})
	}

	// Publish: five with ids, one without; bob sees them in order.
	var ids []string
	for i := 1; i <= 6; i++ {
		id := fmt.Sprintf("i%d", i)
		if i == 6 {
			id = ""
		}
		payload := mustParseElement(t, fmt.Sprintf("<entry xmlns='urn:xmpp:gojabber:test'>n&lt;%d&gt;</entry>", i))
		got, err := pubsub.Publish(ctx, alice, service, node, pubsub.Item{ID: id, Payload: payload})
		require.NoError(t, err, "Publish %d", i)
		if id != "" {
			require.Equal(t, id, got)
		} else {
			require.NotEmpty(t, got, "the id the service assigned")
		}
		ids = append(ids, got)
	}
	for i, id := range ids {
		e := bob.next(t, node)
		ie, ok := e.(*pubsub.ItemsEvent)
		require.True(t, ok, "event %d is %T, want *ItemsEvent", i, e)
		require.Len(t, ie.Items, 1)
		require.Equal(t, id, ie.Items[0].ID, "event %d", i)
		require.Equal(t, fmt.Sprintf("n<%d>", i+1), ie.Items[0].Payload.Text(), "event %d payload", i)
		require.Equal(t, service, ie.From)
	}

	page, err := pubsub.GetItems(ctx, bob, service, node, pubsub.Query{})
	require.NoError(t, err, "GetItems")
	require.ElementsMatch(t, ids, itemIDs(page.Items))
	page, err = pubsub.GetItems(ctx, bob, service, node, pubsub.Query{IDs: []string{"i2", "i4"}})
	require.NoError(t, err, "GetItems by id")
	require.ElementsMatch(t, []string{"i2", "i4"}, itemIDs(page.Items))
	page, err = pubsub.GetItems(ctx, bob, service, node, pubsub.Query{MaxItems: 2})
	require.NoError(t, err, "GetItems max_items")
	require.Len(t, page.Items, 2)
	require.Subset(t, ids[4:], itemIDs(page.Items), "max_items gives the most recent")
	t.Run("rsm", func(t *testing.T) {
		page, err := pubsub.GetItems(ctx, bob, service, node, pubsub.Query{RSM: rsm.Set{Max: 4}})
		require.NoError(t, err)
		if srv.Kind == xmpptest.KindProsody {
			// Prosody 0.12 does not page items: it ignores <set/> and
			// answers with all of them, without a result set.
			require.Nil(t, page.RSM, "RSM result from Prosody")
			require.ElementsMatch(t, ids, itemIDs(page.Items))
			return
		}
		require.NotNil(t, page.RSM, "an RSM result")
		require.Len(t, page.Items, 4)
		next, err := pubsub.GetItems(ctx, bob, service, node, pubsub.Query{RSM: rsm.Set{Max: 4, After: page.RSM.Last}})
		require.NoError(t, err)
		require.Len(t, next.Items, 2)
		require.ElementsMatch(t, ids, append(itemIDs(page.Items), itemIDs(next.Items)...))
	})
	_, err = pubsub.GetItems(ctx, alice, service, node+"-none", pubsub.Query{})
	require.ErrorIs(t, err, xmpp.ErrItemNotFound, "GetItems of an unknown node")
	var pe *pubsub.Error
	require.True(t, errors.As(err, &pe), "%T is a *pubsub.Error", err)

	require.NoError(t, pubsub.Retract(ctx, alice, service, node, "i1", true), "Retract")
	e := bob.next(t, node)
	re, ok := e.(*pubsub.RetractEvent)
	require.True(t, ok, "event is %T, want *RetractEvent", e)
	require.Equal(t, []string{"i1"}, re.IDs)

	require.NoError(t, pubsub.Configure(ctx, alice, service, node, pubsub.Config{pubsub.Title: "Kitchen"}), "Configure")
	if srv.Kind == xmpptest.KindEjabberd { // Prosody 0.12 sends no configuration notifications
		e = bob.next(t, node)
		ce, ok := e.(*pubsub.ConfigEvent)
		require.True(t, ok, "event is %T, want *ConfigEvent", e)
		if ce.Config != nil {
			require.Equal(t, "Kitchen", ce.Config.Value(pubsub.Title))
		}
	}
	form, err := pubsub.GetConfig(ctx, alice, service, node)
	require.NoError(t, err, "GetConfig")
	require.Equal(t, "Kitchen", form.Value(pubsub.Title))
	require.Equal(t, "open", form.Value(pubsub.AccessModel))

	if svc != "pep" { // on PEP services only the owner publishes

		// bob, a publisher but no owner, publishes with options the node
		// does not have: precondition-not-met, and the reconfiguration is
		// refused.
		_, err = pubsub.PublishWith(ctx, bob, service, node, pubsub.Item{ID: "b1", Payload: mustParseElement(t, "<entry xmlns='urn:xmpp:gojabber:test'/>")},
			pubsub.Config{pubsub.AccessModel: "whitelist"})
		require.ErrorIs(t, err, pubsub.ErrPreconditionNotMet, "PublishWith by a publisher")
		require.ErrorIs(t, err, xmpp.ErrForbidden, "reconfiguration by a publisher")
	}
	// alice, the owner: the node is reconfigured and the item published.
	id, err := pubsub.PublishWith(ctx, alice, service, node, pubsub.Item{ID: "a1", Payload: mustParseElement(t, "<entry xmlns='urn:xmpp:gojabber:test'/>")},
		pubsub.Config{pubsub.AccessModel: "whitelist"})
	require.NoError(t, err, "PublishWith by the owner")
	require.Equal(t, "a1", id)
	require.Contains(t, alice.wire.stream(false), "precondition-not-met", "the first publish failed the precondition")
	require.Equal(t, 2, strings.Count(alice.wire.stream(true), "<publish-options>"), "publishes with options")
	form, err = pubsub.GetConfig(ctx, alice, service, node)
	require.NoError(t, err, "GetConfig")
	require.Equal(t, "whitelist", form.Value(pubsub.AccessModel))

	require.NoError(t, pubsub.Purge(ctx, alice, service, node), "Purge")
	waitFor(t, bob.events, "purge event", func(e pubsub.Event) bool { _, ok := e.(*pubsub.PurgeEvent); return ok })
	page, err = pubsub.GetItems(ctx, alice, service, node, pubsub.Query{})
	require.NoError(t, err, "GetItems after Purge")
	require.Empty(t, page.Items)

	require.NoError(t, pubsub.Unsubscribe(ctx, bob, service, node, bob.JID(), ""), "Unsubscribe")
	err = pubsub.Unsubscribe(ctx, bob, service, node, bob.JID(), "")
	require.ErrorIs(t, err, pubsub.ErrNotSubscribed, "second Unsubscribe: %v", err)
	_, err = pubsub.Subscribe(ctx, bob, service, node, bob.JID(), nil)
	require.NoError(t, err, "Subscribe again")

	require.NoError(t, pubsub.Delete(ctx, alice, service, node), "Delete")
	waitFor(t, bob.events, "delete event", func(e pubsub.Event) bool { _, ok := e.(*pubsub.DeleteEvent); return ok })
	_, err = pubsub.GetItems(ctx, alice, service, node, pubsub.Query{})
	require.ErrorIs(t, err, xmpp.ErrItemNotFound, "GetItems after Delete")
}

// requireUnsupported fails the test unless err is a *pubsub.Error with
// condition unsupported for feature.
func requireUnsupported(t *testing.T, err error, feature string) {
	t.Helper()
	require.ErrorIs(t, err, pubsub.ErrNotSupported)
	var pe *pubsub.Error
	require.True(t, errors.As(err, &pe), "%T is a *pubsub.Error", err)
	require.Equal(t, pubsub.ErrUnsupported, pe.Condition, "condition of %v", err)
	require.Equal(t, feature, pe.Feature, "unsupported feature of %v", err)
}

func subJIDs(subs []pubsub.Subscription) []string {
	var s []string
	for _, sub := range subs {
		s = append(s, sub.JID.String())
	}
	return s
}

func itemIDs(items []pubsub.Item) []string {
	ids := []string{}
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	return ids
}

// TestPEPNotify: bob says +notify for a node in his caps; alice publishes to
// her PEP node, which the first publish creates (XEP-0163 §3), and bob gets
// the items without subscribing, in order, and the retraction; a second
// resource of bob, logging in later, gets the last item right after its
// initial presence (XEP-0163 §4.3.2). carol, a contact without +notify,
// gets nothing.
func TestPEPNotify(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			ctx := testCtx(t)
			node := psNode(t, "urn:xmpp:gojabber:pep")
			alice := psLogin(t, srv, freshUser(t, srv, "pep-a"))
			bobUser := freshUser(t, srv, "pep-b")
			bob := psLogin(t, srv, bobUser, node)
			carol := psLogin(t, srv, freshUser(t, srv, "pep-c"))
			befriend(t, alice, bob)
			befriend(t, alice, carol)
			// ejabberd 23.01 sends PEP notifications to a contact only
			// once the sessions have exchanged presence as contacts: both
			// broadcast their presence again.
			require.NoError(t, alice.Send(ctx, alice.presence))
			require.NoError(t, bob.Send(ctx, bob.presence))
			// bob's presence reached alice's account with his caps.
			alice.waitPresence(t, "bob's presence", func(p *xmpp.Presence) bool {
				return p.From == bob.JID() && p.Type == xmpp.PresenceAvailable
			})

			var ids []string
			for i := 1; i <= 3; i++ {
				payload := mustParseElement(t, fmt.Sprintf("<tune xmlns='urn:xmpp:gojabber:pep'><title>%d</title></tune>", i))
				id, err := pubsub.Publish(ctx, alice, xmpp.JID{}, node, pubsub.Item{Payload: payload})
				require.NoError(t, err, "Publish %d", i)
				require.NotEmpty(t, id)
				ids = append(ids, id)
			}
			defer func() {
				if t.Failed() {
					t.Logf("bob:\n%s", bob.wire)
				}
			}()
			var got []string
			for range ids {
				e := bob.next(t, node)
				ie, ok := e.(*pubsub.ItemsEvent)
				require.True(t, ok, "event %T, want *ItemsEvent", e)
				require.Equal(t, alice.JID().Bare(), ie.From)
				for _, it := range ie.Items {
					got = append(got, it.ID)
				}
			}
			require.Equal(t, ids, got, "items in publish order")

			bob2 := psLogin(t, srv, bobUser, node)
			e := bob2.next(t, node)
			ie, ok := e.(*pubsub.ItemsEvent)
			require.True(t, ok, "event %T, want *ItemsEvent", e)
			require.Equal(t, ids[len(ids)-1], ie.Items[0].ID, "the last item on login")

			// A node that the first publish creates keeps one item (both
			// servers' default max_items), so only the last can be
			// retracted.
			if srv.Kind == xmpptest.KindProsody {
				// ejabberd 23.01 notifies retractions to explicit
				// subscribers only (TestPubSubNode), not to +notify
				// contacts, even with pubsub#notify_retract.
				require.NoError(t, pubsub.Retract(ctx, alice, xmpp.JID{}, node, ids[2], true))
				e = bob.next(t, node)
				re, ok := e.(*pubsub.RetractEvent)
				require.True(t, ok, "event %T, want *RetractEvent", e)
				require.Equal(t, ids[2:], re.IDs)
			}

			barrier(t, carol.Client)
			require.Empty(t, carol.events, "carol, without +notify, got events")
		})
	}
}
