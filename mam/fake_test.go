package mam_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/mam"
	"github.com/gojabber/xmpp/rsm"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

// session is a client logged in to a fake server, with an Archive and an
// application message handler on its Mux.
type session struct {
	c       *xmpp.Client
	s       *fake.Server
	archive *mam.Archive

	mu   sync.Mutex
	live []*xmpp.Message // messages the application handler took as new
	seen int             // messages the application handler saw
}

func start(t *testing.T, opts *mam.Options) *session {
	t.Helper()
	mux := xmpp.NewMux()
	ss := &session{archive: mam.Register(mux, opts)}
	mux.HandleMessage(func(_ xmpp.Session, m *xmpp.Message) {
		ss.mu.Lock()
		defer ss.mu.Unlock()
		ss.seen++
		if !mam.HasResult(m) {
			ss.live = append(ss.live, m)
		}
	})
	ss.c, ss.s = fake.Start(t, "alice@example.test/phone", &xmpp.Options{Handler: mux})
	return ss
}

type fetched struct {
	page *mam.Page
	err  error
}

// fetch runs f (a Fetch, Next or Prev) on its own goroutine, as the fake
// server must be driven from the test's.
func fetch(f func(ctx context.Context) (*mam.Page, error)) <-chan fetched {
	ch := make(chan fetched, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), fake.Timeout)
		defer cancel()
		p, err := f(ctx)
		ch <- fetched{p, err}
	}()
	return ch
}

func wait(t *testing.T, ch <-chan fetched) fetched {
	t.Helper()
	select {
	case f := <-ch:
		return f
	case <-time.After(2 * fake.Timeout):
		t.Fatal("Fetch did not return")
		return fetched{}
	}
}

// resultMsg is an archive result message; from may be empty.
func resultMsg(from, queryID, id, body string) string {
	var attr string
	if from != "" {
		attr = " from='" + from + "'"
	}
	return `<message to='alice@example.test/phone'` + attr + `>` +
		`<result xmlns='urn:xmpp:mam:2' queryid='` + queryID + `' id='` + id + `'>` +
		`<forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='2025-01-02T03:04:05Z'/>` +
		`<message xmlns='jabber:client' from='alice@example.test/phone' to='bob@example.test' type='chat' id='m-` + id + `'>` +
		`<body>` + body + `</body></message></forwarded></result></message>`
}

func fin(complete bool, first, last string) string {
	set := "<set xmlns='http://jabber.org/protocol/rsm'/>"
	if first != "" {
		set = "<set xmlns='http://jabber.org/protocol/rsm'><first index='0'>" + first + "</first><last>" + last + "</last><count>2</count></set>"
	}
	return fmt.Sprintf("<fin xmlns='urn:xmpp:mam:2' complete='%t'>%s</fin>", complete, set)
}

func bodies(p *mam.Page) []string {
	var b []string
	for _, r := range p.Messages {
		b = append(b, r.Message.Body)
	}
	return b
}

// TestSpoofedResults queries the account's own archive and gets, among the
// real results, results from other JIDs and with another queryid: only the
// real ones are collected, and none reaches the application as a new
// message.
func TestSpoofedResults(t *testing.T) {
	t.Parallel()
	ss := start(t, nil)
	bob := xmpp.MustParseJID("bob@example.test")
	done := fetch(func(ctx context.Context) (*mam.Page, error) {
		return ss.archive.Fetch(ctx, ss.c, xmpp.JID{}, mam.Query{With: bob, RSM: rsm.Set{Max: 10}})
	})
	req := ss.s.ExpectIQ(t.Context(), xmpp.IQSet, mam.NS, "query")
	require.True(t, req.To.IsZero(), "query to %s, want the account (no to)", req.To)
	qid := req.Payload.Attr("queryid")
	require.NotEmpty(t, qid, "queryid")
	want, err := mam.Query{With: bob, RSM: rsm.Set{Max: 10}}.Element(qid)
	require.NoError(t, err)
	require.Equal(t, want.Raw, req.Payload.Raw, "query payload")

	ss.s.Send(resultMsg("", qid, "1", "one"))                              // no from: the account
	ss.s.Send(resultMsg("mallory@evil.test", qid, "e1", "forged"))         // another JID
	ss.s.Send(resultMsg("alice@example.test", "other", "e2", "forged"))    // another queryid
	ss.s.Send(resultMsg("alice@example.test/laptop", qid, "e3", "forged")) // a full JID of the account
	ss.s.Send(resultMsg("example.test", qid, "e4", "forged"))              // the server
	ss.s.Send(resultMsg("bob@example.test", qid, "e5", "forged"))          // the peer queried
	ss.s.Send(resultMsg("alice@example.test", qid, "2", "two"))            // the account's bare JID
	ss.s.Send(fake.Result(req, fin(true, "1", "2")))

	f := wait(t, done)
	require.NoError(t, f.err)
	require.Equal(t, []string{"one", "two"}, bodies(f.page))
	require.Equal(t, "1", f.page.Messages[0].ID)
	require.Equal(t, xmpp.MustParseJID("alice@example.test"), f.page.Messages[1].By, "By")
	require.Equal(t, time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), f.page.Messages[0].Stamp)
	require.True(t, f.page.Complete)
	require.Equal(t, rsm.Result{First: "1", FirstIndex: 0, Last: "2", Count: 2}, f.page.RSM)
	require.Equal(t, int64(5), ss.archive.Ignored(), "Ignored")

	// A result after its Fetch returned is ignored too.
	ss.s.Send(resultMsg("", qid, "3", "late"))
	ss.s.Send(`<message from='bob@example.test/x' type='chat'><body>new</body></message>`)
	require.Eventually(t, func() bool {
		ss.mu.Lock()
		defer ss.mu.Unlock()
		return ss.seen == 1
	}, fake.Timeout, time.Millisecond, "application handler saw the new message")
	require.Equal(t, int64(6), ss.archive.Ignored(), "Ignored")
	ss.mu.Lock()
	defer ss.mu.Unlock()
	require.Equal(t, 1, ss.seen, "the Archive consumes every result, forged ones too")
	require.Len(t, ss.live, 1, "messages taken as new")
	require.Equal(t, "new", ss.live[0].Body)
}

// TestRoomArchive queries another archive: only results from exactly that
// JID count, not from the account.
func TestRoomArchive(t *testing.T) {
	t.Parallel()
	ss := start(t, nil)
	room := xmpp.MustParseJID("room@conference.example.test")
	done := fetch(func(ctx context.Context) (*mam.Page, error) {
		return ss.archive.Fetch(ctx, ss.c, room, mam.Query{})
	})
	req := ss.s.ExpectIQ(t.Context(), xmpp.IQSet, mam.NS, "query")
	require.Equal(t, room, req.To, "query to %s", req.To)
	qid := req.Payload.Attr("queryid")
	ss.s.Send(resultMsg("", qid, "e1", "forged"))
	ss.s.Send(resultMsg("alice@example.test", qid, "e2", "forged"))
	ss.s.Send(resultMsg("room@conference.example.test/mallory", qid, "e3", "forged"))
	ss.s.Send(resultMsg("room@conference.example.test", qid, "r1", "room"))
	ss.s.Send(fake.Result(req, fin(true, "r1", "r1")))
	f := wait(t, done)
	require.NoError(t, f.err)
	require.Equal(t, []string{"room"}, bodies(f.page))
	require.Equal(t, room, f.page.Messages[0].By, "By")
	require.Equal(t, int64(3), ss.archive.Ignored())
}

// TestPaging checks the queries Next and Prev send: the same filters, the
// same page size, after the last or before the first id.
func TestPaging(t *testing.T) {
	t.Parallel()
	ss := start(t, nil)
	q := mam.Query{With: xmpp.MustParseJID("bob@example.test"), Start: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), RSM: rsm.Set{Max: 2}}
	serve := func(done <-chan fetched, wantSet rsm.Set, ids ...string) *mam.Page {
		t.Helper()
		req := ss.s.ExpectIQ(t.Context(), xmpp.IQSet, mam.NS, "query")
		qid := req.Payload.Attr("queryid")
		wq := q
		wq.RSM = wantSet
		want, err := wq.Element(qid)
		require.NoError(t, err)
		require.Equal(t, want.Raw, req.Payload.Raw)
		for _, id := range ids {
			ss.s.Send(resultMsg("", qid, id, "body "+id))
		}
		first, last := "", ""
		if len(ids) > 0 {
			first, last = ids[0], ids[len(ids)-1]
		}
		ss.s.Send(fake.Result(req, fin(false, first, last)))
		f := wait(t, done)
		require.NoError(t, f.err)
		return f.page
	}
	p := serve(fetch(func(ctx context.Context) (*mam.Page, error) {
		return ss.archive.Fetch(ctx, ss.c, xmpp.JID{}, q)
	}), rsm.Set{Max: 2}, "a", "b")
	next := serve(fetch(p.Next), rsm.Set{Max: 2, After: "b"}, "c", "d")
	require.Equal(t, []string{"body c", "body d"}, bodies(next))
	prev := serve(fetch(next.Prev), rsm.Set{Max: 2, Before: "c"}, "a", "b")
	require.Equal(t, []string{"body a", "body b"}, bodies(prev))
	empty := serve(fetch(prev.Prev), rsm.Set{Max: 2, Before: "a"})
	require.Empty(t, empty.Messages)
	_, err := empty.Prev(t.Context())
	require.ErrorIs(t, err, mam.ErrEmptyPage)
	_, err = empty.Next(t.Context())
	require.ErrorIs(t, err, mam.ErrEmptyPage)
}

// TestBadArchive checks what a misbehaving archive gets: errors, never a
// panic or a hang.
func TestBadArchive(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		opts  *mam.Options
		q     mam.Query
		max   string // the <max/> the query must carry
		reply func(qid string, req *xmpp.IQ) []string
		check func(t *testing.T, err error)
	}{
		{
			name: "too many results", opts: &mam.Options{MaxResults: 2}, q: mam.Query{RSM: rsm.Set{Max: 10}}, max: "2",
			reply: func(qid string, req *xmpp.IQ) []string {
				return []string{resultMsg("", qid, "1", "a"), resultMsg("", qid, "2", "b"), resultMsg("", qid, "3", "c"), fake.Result(req, fin(true, "1", "3"))}
			},
			check: func(t *testing.T, err error) { require.ErrorIs(t, err, mam.ErrTooManyResults) },
		},
		{
			name: "malformed result", max: "250",
			reply: func(qid string, req *xmpp.IQ) []string {
				return []string{`<message><result xmlns='urn:xmpp:mam:2' queryid='` + qid + `' id='1'><forwarded xmlns='urn:xmpp:forward:0'/></result></message>`, fake.Result(req, fin(true, "1", "1"))}
			},
			check: func(t *testing.T, err error) {
				fake.RequireMalformed(t, err, "XEP-0313", "Fetch")
			},
		},
		{
			name: "malformed fin", max: "250",
			reply: func(qid string, req *xmpp.IQ) []string {
				return []string{fake.Result(req, `<fin xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><first>1</first></set></fin>`)}
			},
			check: func(t *testing.T, err error) {
				fake.RequireMalformed(t, err, "XEP-0313", "Fetch")
			},
		},
		{
			name: "no fin", max: "250",
			reply: func(qid string, req *xmpp.IQ) []string { return []string{fake.Result(req, "")} },
			check: func(t *testing.T, err error) {
				fake.RequireMalformed(t, err, "XEP-0313", "Fetch")
			},
		},
		{
			name: "last result never comes", opts: &mam.Options{DrainTimeout: 50 * time.Millisecond}, max: "250",
			reply: func(qid string, req *xmpp.IQ) []string {
				return []string{resultMsg("", qid, "1", "a"), fake.Result(req, fin(true, "1", "2"))}
			},
			check: func(t *testing.T, err error) { require.ErrorIs(t, err, mam.ErrMissingResults) },
		},
		{
			name: "error reply", max: "250",
			reply: func(qid string, req *xmpp.IQ) []string {
				return []string{`<iq type='error' id='` + req.ID + `'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`}
			},
			check: func(t *testing.T, err error) {
				var se *xmpp.StanzaError
				require.True(t, errors.As(err, &se), "err = %v, want *xmpp.StanzaError", err)
				require.Equal(t, xmpp.ErrItemNotFound, se.Condition)
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ss := start(t, tt.opts)
			done := fetch(func(ctx context.Context) (*mam.Page, error) {
				return ss.archive.Fetch(ctx, ss.c, xmpp.JID{}, tt.q)
			})
			req := ss.s.ExpectIQ(t.Context(), xmpp.IQSet, mam.NS, "query")
			require.Contains(t, req.Payload.Raw, "<max>"+tt.max+"</max>")
			ss.s.Send(strings.Join(tt.reply(req.Payload.Attr("queryid"), req), ""))
			f := wait(t, done)
			require.Nil(t, f.page)
			tt.check(t, f.err)
		})
	}
}

// TestFetchFromHandler calls Fetch from a message handler: the results are
// taken on the session's reader goroutine, so Fetch completes although the
// handler goroutine is busy running it.
func TestFetchFromHandler(t *testing.T) {
	t.Parallel()
	mux := xmpp.NewMux()
	archive := mam.Register(mux, nil)
	done := make(chan fetched, 1)
	mux.HandleMessage(func(s xmpp.Session, m *xmpp.Message) {
		if m.Body != "fetch" {
			return
		}
		p, err := archive.Fetch(context.Background(), s, xmpp.JID{}, mam.Query{RSM: rsm.Set{Max: 10}})
		done <- fetched{p, err}
	})
	_, srv := fake.Start(t, "alice@example.test/phone", &xmpp.Options{Handler: mux})
	srv.Send(`<message from='bob@example.test/x' type='chat'><body>fetch</body></message>`)
	req := srv.ExpectIQ(t.Context(), xmpp.IQSet, mam.NS, "query")
	qid := req.Payload.Attr("queryid")
	srv.Send(resultMsg("", qid, "1", "one"))
	srv.Send(resultMsg("", qid, "2", "two"))
	srv.Send(fake.Result(req, fin(true, "1", "2")))
	f := wait(t, done)
	require.NoError(t, f.err)
	require.Equal(t, []string{"one", "two"}, bodies(f.page))
}
