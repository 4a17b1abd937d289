package integration_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/mam"
	"github.com/gojabber/xmpp/rsm"
	"github.com/gojabber/xmpp/xmpptest"
)

// mamMessages is how many messages TestMAM archives; mamSplit of them are
// sent before a clock second boundary, the rest after it.
const (
	mamMessages = 25
	mamSplit    = 10
	// clockMargin is ten ticks of a coarse clock at HZ=100.
	clockMargin = 100 * time.Millisecond
)

// TestMAM archives messages alice sends to bob and reads them back from
// alice's archive with XEP-0313: all at once, page by page forwards and
// backwards with XEP-0059, by time range and after an archive id.
func TestMAM(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			aliceUser, bobUser := freshUser(t, srv, "mamalice"), freshUser(t, srv, "mambob")
			bob := xmpp.MustParseJID(srv.JID(bobUser))

			mux := xmpp.NewMux()
			archive := mam.Register(mux, nil)
			// An application handler on the same Mux: it must be able to
			// tell archive results from new messages.
			var mu sync.Mutex
			var live []*xmpp.Message
			mux.HandleMessage(func(_ xmpp.Session, m *xmpp.Message) {
				if !mam.HasResult(m) {
					mu.Lock()
					live = append(live, m)
					mu.Unlock()
				}
			})
			alice := mustLogin(t, conn{srv: srv, user: aliceUser, onMessage: mux.OnMessage})

			bodies := make([]string, mamMessages)
			send := func(from, to int) {
				for i := from; i < to; i++ {
					bodies[i] = fmt.Sprintf("mam %02d <&> 😀", i+1)
					err := alice.Send(testCtx(t), &xmpp.Message{
						Header: xmpp.Header{ID: fmt.Sprintf("mam-%02d", i+1), To: bob}, Type: xmpp.MessageChat,
						Body: bodies[i],
					})
					require.NoError(t, err, "Send %d", i+1)
				}
			}
			withBob := mam.Query{With: bob}

			// The first messages, then a wait for the next second of the
			// clock after their stamps (servers may store whole seconds),
			// so that a time range can split the two groups.
			send(0, mamSplit)
			first := waitArchived(t, archive, alice, withBob, mamSplit)
			split := first[mamSplit-1].Stamp.Truncate(time.Second).Add(time.Second)
			// Waiting for the clock, not for the server. The margin is for
			// servers that read a coarse clock: Prosody stamps with
			// time(2), which on Linux lags the clock by up to a tick.
			if d := time.Until(split.Add(clockMargin)); d > 0 {
				time.Sleep(d)
			}
			send(mamSplit, mamMessages)
			all := waitArchived(t, archive, alice, withBob, mamMessages)

			ids := make([]string, len(all))
			for i, r := range all {
				ids[i] = r.ID
				require.Equal(t, bodies[i], r.Message.Body, "result %d body", i)
				require.Equal(t, fmt.Sprintf("mam-%02d", i+1), r.Message.ID, "result %d message id", i)
				require.Equal(t, alice.JID().Bare(), r.Message.From.Bare(), "result %d from %s", i, r.Message.From)
				require.Equal(t, bob, r.Message.To, "result %d to %s", i, r.Message.To)
				require.Equal(t, alice.JID().Bare(), r.By, "result %d by %s", i, r.By)
				require.NotEmpty(t, r.ID, "result %d archive id", i)
				require.False(t, r.Stamp.IsZero(), "result %d stamp", i)
				if i > 0 {
					require.False(t, r.Stamp.Before(all[i-1].Stamp), "result %d stamp %v before %v", i, r.Stamp, all[i-1].Stamp)
				}
			}
			require.Len(t, uniq(ids), mamMessages, "archive ids are unique")
			require.False(t, all[mamSplit-1].Stamp.After(split), "stamp of message %d after the split", mamSplit)
			require.False(t, all[mamSplit].Stamp.Before(split), "stamp of message %d before the split", mamSplit+1)

			t.Run("forward", func(t *testing.T) {
				p, err := archive.Fetch(testCtx(t), alice, xmpp.JID{}, mam.Query{With: bob, RSM: rsm.Set{Max: 10}})
				require.NoError(t, err)
				var got []string
				var sizes []int
				var completes []bool
				for {
					got = append(got, resultIDs(p)...)
					sizes = append(sizes, len(p.Messages))
					completes = append(completes, p.Complete)
					if p.Complete || len(sizes) > 5 {
						break
					}
					p, err = p.Next(testCtx(t))
					require.NoError(t, err, "Next after page %d", len(sizes))
				}
				require.Equal(t, []int{10, 10, 5}, sizes, "page sizes")
				require.Equal(t, []bool{false, false, true}, completes, "complete flags")
				require.Equal(t, ids, got, "ids of the pages in order")
			})

			t.Run("backward", func(t *testing.T) {
				p, err := archive.Fetch(testCtx(t), alice, xmpp.JID{}, mam.Query{With: bob, RSM: rsm.Set{Max: 10, LastPage: true}})
				require.NoError(t, err)
				var pages [][]string
				var completes []bool
				for {
					pages = append(pages, resultIDs(p))
					completes = append(completes, p.Complete)
					if p.Complete || len(pages) > 5 {
						break
					}
					p, err = p.Prev(testCtx(t))
					require.NoError(t, err, "Prev after page %d", len(pages))
				}
				require.Equal(t, [][]string{ids[15:], ids[5:15], ids[:5]}, pages, "pages from the last one back")
				require.Equal(t, []bool{false, false, true}, completes, "complete flags")
			})

			t.Run("start", func(t *testing.T) {
				p, err := archive.Fetch(testCtx(t), alice, xmpp.JID{}, mam.Query{With: bob, Start: split})
				require.NoError(t, err)
				require.Equal(t, ids[mamSplit:], resultIDs(p))
				require.True(t, p.Complete)
			})

			t.Run("end", func(t *testing.T) {
				p, err := archive.Fetch(testCtx(t), alice, xmpp.JID{}, mam.Query{With: bob, End: split.Add(-time.Microsecond)})
				require.NoError(t, err)
				require.Equal(t, ids[:mamSplit], resultIDs(p))
				require.True(t, p.Complete)
			})

			t.Run("rsm-after", func(t *testing.T) {
				p, err := archive.Fetch(testCtx(t), alice, xmpp.JID{}, mam.Query{With: bob, RSM: rsm.Set{After: ids[mamSplit-1]}})
				require.NoError(t, err)
				require.Equal(t, ids[mamSplit:], resultIDs(p))
				require.True(t, p.Complete)
			})

			if srv.Kind == xmpptest.KindProsody { // urn:xmpp:mam:2#extended
				t.Run("after-id", func(t *testing.T) {
					p, err := archive.Fetch(testCtx(t), alice, xmpp.JID{}, mam.Query{With: bob, AfterID: ids[mamSplit-1], BeforeID: ids[20]})
					require.NoError(t, err)
					require.Equal(t, ids[mamSplit:20], resultIDs(p))
				})
			}

			t.Run("concurrent", func(t *testing.T) {
				// Two queries at once on one session: each gets its own
				// results, routed by queryid.
				var wg sync.WaitGroup
				pages := make([]*mam.Page, 2)
				errs := make([]error, 2)
				for i, q := range []mam.Query{
					{With: bob, RSM: rsm.Set{Max: 7}},
					{With: bob, RSM: rsm.Set{Max: 7, LastPage: true}},
				} {
					wg.Go(func() { pages[i], errs[i] = archive.Fetch(testCtx(t), alice, xmpp.JID{}, q) })
				}
				wg.Wait()
				require.NoError(t, errs[0])
				require.NoError(t, errs[1])
				require.Equal(t, ids[:7], resultIDs(pages[0]))
				require.Equal(t, ids[mamMessages-7:], resultIDs(pages[1]))
			})

			require.Zero(t, archive.Ignored(), "results ignored as spoofed or late")
			mu.Lock()
			defer mu.Unlock()
			require.Empty(t, live, "messages other than archive results")
		})
	}
}

// waitArchived fetches the archive until it holds n messages matching q,
// for servers that write the archive after routing the message. It fails
// the test after opTimeout.
func waitArchived(t *testing.T, a *mam.Archive, c *xmpp.Client, q mam.Query, n int) []mam.Result {
	t.Helper()
	deadline := time.Now().Add(opTimeout)
	for {
		p, err := a.Fetch(testCtx(t), c, xmpp.JID{}, q)
		require.NoError(t, err, "Fetch")
		if len(p.Messages) >= n {
			require.Len(t, p.Messages, n, "archived messages")
			require.True(t, p.Complete, "a page with all %d messages is complete", n)
			require.Equal(t, p.Messages[0].ID, p.RSM.First, "RSM first")
			require.Equal(t, p.Messages[n-1].ID, p.RSM.Last, "RSM last")
			return p.Messages
		}
		if time.Now().After(deadline) {
			t.Fatalf("archive holds %d messages after %v, want %d", len(p.Messages), opTimeout, n)
		}
		time.Sleep(20 * time.Millisecond) // a bounded poll
	}
}

func resultIDs(p *mam.Page) []string {
	ids := make([]string, len(p.Messages))
	for i, r := range p.Messages {
		ids[i] = r.ID
	}
	return ids
}

func uniq(s []string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, v := range s {
		m[v] = true
	}
	return m
}
