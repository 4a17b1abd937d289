package mam

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/rsm"
)

// Namespaces of XEP-0313 and of the XEPs its results use.
const (
	// NS is the namespace of MAM version 2, which this package speaks.
	NS = "urn:xmpp:mam:2"
	// NSExtended is the disco#info feature of archives that support the
	// before-id and after-id filters ("Filtering by archive id" in XEP-0313).
	NSExtended = "urn:xmpp:mam:2#extended"

	nsForward = "urn:xmpp:forward:0" // XEP-0297
	nsDelay   = "urn:xmpp:delay"     // XEP-0203
	nsData    = "jabber:x:data"      // XEP-0004
)

// Defaults for [Options] fields left zero.
const (
	defaultMaxResults   = 250
	defaultDrainTimeout = 10 * time.Second
)

// Errors returned by Fetch, Next and Prev; test with errors.Is.
var (
	// ErrTooManyResults is returned by Fetch when the archive sends more
	// results than Options.MaxResults for one query.
	ErrTooManyResults = errors.New("mam: archive sent more results than the limit")
	// ErrMissingResults is returned by Fetch when the archive's IQ result
	// names a last item that did not arrive within Options.DrainTimeout,
	// for instance because Fetch was called from a message handler, which
	// blocks the handler that collects results.
	ErrMissingResults = errors.New("mam: results announced by the archive did not arrive")
	// ErrEmptyPage is returned by Next and Prev on a page without items:
	// there is no item to page from.
	ErrEmptyPage = errors.New("mam: page has no items to page from")
)

// Options configure an Archive. A nil *Options means all defaults.
type Options struct {
	// MaxResults is the most messages one Fetch collects. A query whose
	// RSM.Max is unset or larger asks the archive for MaxResults. Default
	// 0: 250. Servers have their own limit, often lower (Prosody and
	// ejabberd: 50 a page by default).
	MaxResults int

	// DrainTimeout bounds how long Fetch waits, after the archive's IQ
	// result, for result messages still queued for the handler goroutine.
	// Default 0: 10 s.
	DrainTimeout time.Duration

	// Logger receives ignored results. Default nil: silent.
	Logger *slog.Logger
}

// Archive collects the results of archive queries on the sessions whose
// Mux it is registered with. Create it with Register. It is safe for
// concurrent use: several Fetch calls may run at once.
type Archive struct {
	maxResults   int
	drainTimeout time.Duration
	log          *slog.Logger
	ignored      atomic.Int64

	mu      sync.Mutex
	queries map[string]*pending // by queryid; guarded by mu
}

// pending is a running Fetch.
type pending struct {
	s       xmpp.Session
	archive xmpp.JID // the JID queried; zero for the account's own archive
	own     bool     // the account's own archive
	notify  chan struct{}

	// Guarded by Archive.mu.
	results  []Result
	overflow bool
	err      error // the first malformed result
}

// Register creates an Archive and registers its message handler on mux.
// Register it before Dial, so that the session's messages reach it.
func Register(mux *xmpp.Mux, opts *Options) *Archive {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.MaxResults <= 0 {
		o.MaxResults = defaultMaxResults
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = defaultDrainTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	a := &Archive{
		maxResults:   o.MaxResults,
		drainTimeout: o.DrainTimeout,
		log:          o.Logger,
		queries:      make(map[string]*pending),
	}
	mux.Watch(a.handleMessage)
	return a
}

// Ignored returns how many archive results the Archive has ignored: those
// for no running Fetch (late, or spoofed queryid) and those from another
// JID than the archive queried (spoofed).
func (a *Archive) Ignored() int64 { return a.ignored.Load() }

// Page is one page of archived messages, oldest first.
type Page struct {
	// Messages are the page's archived messages, in archive order (oldest
	// first), whichever way the query paged.
	Messages []Result
	// Complete is true when the archive said the page is the last one in
	// the direction of the query (the complete attribute of <fin/>):
	// forward for a query with RSM.After or none, backward for one with
	// RSM.Before or RSM.LastPage.
	Complete bool
	// Stable is false when the archive said the page may change if fetched
	// again, for instance while it is being indexed (stable='false' on <fin/>).
	Stable bool
	// RSM describes the page: its first and last archive ids, and the
	// count of all matching messages when the archive gives it.
	RSM rsm.Result

	archive *Archive
	s       xmpp.Session
	to      xmpp.JID
	query   Query
}

// Result is one archived message.
type Result struct {
	// ID is the message's id in the archive (the <result/> id attribute),
	// for paging and for the before-id and after-id filters.
	ID string
	// Stamp is when the archive received the message (the <delay/> of
	// XEP-0203); zero if the archive left it out.
	Stamp time.Time
	// Message is the archived message as it was sent or received.
	Message *xmpp.Message
	// By is the archive the result came from: the JID queried, or the
	// account's bare JID for its own archive.
	By xmpp.JID
}

// Fetch queries an archive for one page of messages matching q (§4), and
// returns it once the archive has sent the page and its IQ result. archive
// is the JID of the archive: the zero JID for the account's own archive, or
// for example a MUC room's bare JID. Page.Next and Page.Prev fetch the pages
// after and before it.
//
// An error reply is returned as a *xmpp.StanzaError (for instance
// item-not-found for an RSM id the archive does not know). ctx
// bounds the whole query. s is the session to query over: the one the
// results arrive on, through the Mux the Archive is registered with. When
// s has the methods Done() <-chan struct{} and Err() error, as *xmpp.Client
// does, Fetch also stops waiting for results when the session ends.
func (a *Archive) Fetch(ctx context.Context, s xmpp.Session, archive xmpp.JID, q Query) (*Page, error) {
	set := q.RSM
	if !set.CountOnly && (set.Max <= 0 || set.Max > a.maxResults) {
		set.Max = a.maxResults
	}
	sent := q
	sent.RSM = set
	qid := rand.Text()
	payload, err := sent.Element(qid)
	if err != nil {
		return nil, err
	}
	p := &pending{
		s:       s,
		archive: archive,
		own:     archive.IsZero() || archive == s.JID().Bare(),
		notify:  make(chan struct{}, 1),
	}
	a.mu.Lock()
	a.queries[qid] = p
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		delete(a.queries, qid)
		a.mu.Unlock()
	}()

	reply, err := s.SendIQ(ctx, &xmpp.IQ{Header: xmpp.Header{To: archive}, Type: xmpp.IQSet, Payload: payload})
	if err != nil {
		return nil, fmt.Errorf("mam: query: %w", err)
	}
	page, err := parseFin(reply.Payload)
	if err != nil {
		return nil, err
	}
	if err := a.drain(ctx, p, page.RSM.Last); err != nil {
		return nil, err
	}
	a.mu.Lock()
	page.Messages, p.results = p.results, nil
	a.mu.Unlock()
	page.archive, page.s, page.to, page.query = a, s, archive, q
	return page, nil
}

// drain waits until the result with id last has been collected: results
// arrive before the IQ result, but the handler goroutine may not have run
// for all of them yet.
func (a *Archive) drain(ctx context.Context, p *pending, last string) error {
	var timer <-chan time.Time
	var ended <-chan struct{} // nil, never ready, for a session that cannot say
	ender, canEnd := p.s.(interface {
		Done() <-chan struct{}
		Err() error
	})
	if canEnd {
		ended = ender.Done()
	}
	checked := 0
	for {
		a.mu.Lock()
		overflow, err := p.overflow, p.err
		found := last == ""
		for ; !found && checked < len(p.results); checked++ {
			found = p.results[checked].ID == last
		}
		a.mu.Unlock()
		switch {
		case overflow:
			return fmt.Errorf("%w (%d)", ErrTooManyResults, a.maxResults)
		case err != nil:
			return err
		case found:
			return nil
		}
		if timer == nil {
			t := time.NewTimer(a.drainTimeout)
			defer t.Stop()
			timer = t.C
		}
		select {
		case <-p.notify:
		case <-ctx.Done():
			return ctx.Err()
		case <-ended:
			return fmt.Errorf("mam: session ended while waiting for results: %w", ender.Err())
		case <-timer:
			return fmt.Errorf("%w: no result with id %q after %v", ErrMissingResults, last, a.drainTimeout)
		}
	}
}

// Next fetches the page after p, with the same query and page size
// (RSM after = p.RSM.Last).
func (p *Page) Next(ctx context.Context) (*Page, error) {
	if p.RSM.Last == "" {
		return nil, ErrEmptyPage
	}
	q := p.query
	q.RSM = rsm.Set{Max: q.RSM.Max, CountOnly: q.RSM.CountOnly, After: p.RSM.Last}
	return p.archive.Fetch(ctx, p.s, p.to, q)
}

// Prev fetches the page before p, with the same query and page size
// (RSM before = p.RSM.First).
func (p *Page) Prev(ctx context.Context) (*Page, error) {
	if p.RSM.First == "" {
		return nil, ErrEmptyPage
	}
	q := p.query
	q.RSM = rsm.Set{Max: q.RSM.Max, CountOnly: q.RSM.CountOnly, Before: p.RSM.First}
	return p.archive.Fetch(ctx, p.s, p.to, q)
}

// handleMessage is the Archive's message handler: it gives a result to the
// Fetch waiting for it, or ignores it.
func (a *Archive) handleMessage(s xmpp.Session, m *xmpp.Message) bool {
	el, ok := resultElement(m)
	if !ok {
		return false
	}
	qid := el.Attr("queryid")
	a.mu.Lock()
	p := a.queries[qid]
	a.mu.Unlock()
	if p == nil || p.s != s {
		a.ignore("no query waiting for this queryid", m, qid)
		return true
	}
	var by xmpp.JID
	switch {
	case p.own && (m.From.IsZero() || m.From == s.JID().Bare()):
		by = s.JID().Bare()
	case !p.own && m.From == p.archive:
		by = p.archive
	default:
		a.ignore("sender is not the archive queried", m, qid)
		return true
	}
	r, err := parseResult(el)
	r.By = by
	a.mu.Lock()
	switch {
	case err != nil:
		if p.err == nil {
			p.err = err
		}
	case len(p.results) >= a.maxResults:
		p.overflow = true
	default:
		p.results = append(p.results, r)
	}
	a.mu.Unlock()
	select {
	case p.notify <- struct{}{}:
	default:
	}
	return true
}

func (a *Archive) ignore(why string, m *xmpp.Message, qid string) {
	a.ignored.Add(1)
	a.log.Warn("mam: ignoring archive result", "reason", why, "from", m.From.String(), "queryid", qid)
}
