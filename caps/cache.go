package caps

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/disco"
)

// DefaultCacheSize is the size of a Cache made with a size of zero or less.
const DefaultCacheSize = 1024

// Cache maps verification strings to the service discovery information they
// stand for (§6.3). It holds only information that verified, so one entity
// cannot poison what others are believed to support; and at most its size of
// entries, forgetting the least recently used first. A Cache is safe for
// concurrent use.
type Cache struct {
	mu      sync.Mutex
	max     int
	order   *list.List            // of *entry, most recently used first; guarded by mu
	entries map[key]*list.Element // guarded by mu
}

type key struct{ hash, ver string }

type entry struct {
	key  key
	info disco.Info
}

// NewCache returns an empty Cache holding at most size entries
// (DefaultCacheSize when size <= 0).
func NewCache(size int) *Cache {
	if size <= 0 {
		size = DefaultCacheSize
	}
	return &Cache{max: size, order: list.New(), entries: make(map[key]*list.Element)}
}

// Get returns the information cached for the verification string ver made
// with the hash function named hash.
func (c *Cache) Get(hash, ver string) (disco.Info, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[key{hash, ver}]
	if e == nil {
		return disco.Info{}, false
	}
	c.order.MoveToFront(e)
	return cloneInfo(e.Value.(*entry).info), true
}

// Add stores info under (hash, ver) if Verify(info, ver, hash) holds, and
// reports whether it did.
func (c *Cache) Add(hash, ver string, info disco.Info) bool {
	if !Verify(info, ver, hash) {
		return false
	}
	k := key{hash, ver}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[k]; e != nil {
		c.order.MoveToFront(e)
		return true
	}
	c.entries[k] = c.order.PushFront(&entry{key: k, info: cloneInfo(info)})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.entries, last.Value.(*entry).key)
	}
	return true
}

// Len returns the number of entries.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

func cloneInfo(info disco.Info) disco.Info {
	return disco.Info{
		Identities: slices.Clone(info.Identities),
		Features:   slices.Clone(info.Features),
		Forms:      slices.Clone(info.Forms),
	}
}

// ErrNoCaps is returned by Resolver.Resolve for a presence without entity
// capabilities that can be verified: no <c/>, or one in the legacy format
// without a hash.
var ErrNoCaps = errors.New("caps: presence carries no verifiable entity capabilities")

// VerificationError is returned by Resolver.Resolve when the information an
// entity sent does not match the verification string it advertised (or is
// ill-formed, or uses a hash function this package does not know). Such
// information is not cached (§5.4 step 3.8).
type VerificationError struct {
	From xmpp.JID
	Caps Caps
	// Info is what From answered, "" if it was not asked because the hash
	// function is unknown.
	Info disco.Info
}

func (e *VerificationError) Error() string {
	if newHash(e.Caps.Hash) == nil {
		return fmt.Sprintf("caps: %s advertises an unsupported hash %q", e.From, e.Caps.Hash)
	}
	return fmt.Sprintf("caps: disco#info of %s does not match its ver %q (%s)", e.From, e.Caps.Ver, e.Caps.Hash)
}

// Resolver finds the service discovery information behind the entity
// capabilities of presences (§6.2): from its Cache when the verification
// string is known, otherwise by asking the sender for disco#info of
// node#ver, once per verification string however many presences carry it
// at the same time. It is safe for concurrent use.
type Resolver struct {
	cache *Cache

	mu       sync.Mutex
	inflight map[key]*call // guarded by mu
}

// call is a disco#info request others wait for.
type call struct {
	done chan struct{} // closed when info and err are set
	info disco.Info
	err  error
}

// NewResolver returns a Resolver that keeps verified information in cache
// (a new Cache of DefaultCacheSize if nil).
func NewResolver(cache *Cache) *Resolver {
	if cache == nil {
		cache = NewCache(0)
	}
	return &Resolver{cache: cache, inflight: make(map[key]*call)}
}

// Cache returns the Resolver's cache.
func (r *Resolver) Cache() *Cache { return r.cache }

// Resolve returns the service discovery information the entity capabilities
// of p stand for. It returns ErrNoCaps if p has none in a verifiable format,
// a *VerificationError if the sender's answer does not match, and the error
// of disco.GetInfo if asking fails.
//
// A presence whose ver is being resolved for another presence waits for that
// result rather than asking again. Resolve makes an IQ round trip: do not
// call it from a handler without a goroutine, as the handler goroutine would
// wait for the answer instead of handling other stanzas. s is the session to
// ask over.
func (r *Resolver) Resolve(ctx context.Context, s xmpp.Session, p *xmpp.Presence) (disco.Info, error) {
	caps, ok := Parse(p)
	if !ok || caps.Hash == "" {
		return disco.Info{}, ErrNoCaps
	}
	if newHash(caps.Hash) == nil {
		return disco.Info{}, &VerificationError{From: p.From, Caps: caps}
	}
	k := key{caps.Hash, caps.Ver}
	for {
		if info, ok := r.cache.Get(k.hash, k.ver); ok {
			return info, nil
		}
		r.mu.Lock()
		cl := r.inflight[k]
		if cl == nil {
			cl = &call{done: make(chan struct{})}
			r.inflight[k] = cl
			r.mu.Unlock()
			cl.info, cl.err = r.fetch(ctx, s, p.From, caps)
			r.mu.Lock()
			delete(r.inflight, k)
			r.mu.Unlock()
			close(cl.done)
			return cloneInfo(cl.info), cl.err
		}
		r.mu.Unlock()
		select {
		case <-cl.done:
		case <-ctx.Done():
			return disco.Info{}, ctx.Err()
		}
		if cl.err == nil || !isContextErr(cl.err) {
			return cloneInfo(cl.info), cl.err
		}
		// The request ended with its caller's context, not ours: ask
		// again.
	}
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

func (r *Resolver) fetch(ctx context.Context, s xmpp.Session, from xmpp.JID, caps Caps) (disco.Info, error) {
	info, err := disco.GetInfo(ctx, s, from, caps.Node+"#"+caps.Ver)
	if err != nil {
		return disco.Info{}, err
	}
	if !r.cache.Add(caps.Hash, caps.Ver, info) {
		return disco.Info{}, &VerificationError{From: from, Caps: caps, Info: info}
	}
	return info, nil
}
