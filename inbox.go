package xmpp

import (
	"sync"
)

// inbox is the queue from a session's reader goroutines to its handler
// goroutine: stanzas and callback events, first in, first out. Pushing
// never blocks, so the reader never waits on a handler; the reader itself
// keeps the stanzas within Options.HandlerQueueBytes by pausing (see
// Client.waitRoom). Events (status changes, unacknowledged stanzas) are
// few, weigh nothing and are never refused. Safe for concurrent use.
type inbox struct {
	mu     sync.Mutex
	items  []inItem // items[head:] wait; guarded by mu
	head   int      // guarded by mu
	bytes  int      // the sizes of the stanzas waiting; guarded by mu
	closed bool     // no more pushes; guarded by mu

	// ready (capacity 1) is signalled after a push or close, for the
	// handler goroutine; drained (capacity 1) when bytes falls to half of
	// low or below after a pop, for a paused reader.
	ready   chan struct{}
	drained chan struct{}
	low     int
}

// inItem is a stanza for the handlers with its size, or an event (size 0).
type inItem struct {
	s    Stanza
	size int
}

func newInbox(low int) *inbox {
	return &inbox{ready: make(chan struct{}, 1), drained: make(chan struct{}, 1), low: low}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// push appends s, of size bytes (0 for an event). It reports false when
// the inbox is closed: the session has ended, and s is not queued.
func (q *inbox) push(s Stanza, size int) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	if q.head > 0 && q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	}
	q.items = append(q.items, inItem{s: s, size: size})
	q.bytes += size
	q.mu.Unlock()
	signal(q.ready)
	return true
}

// pop removes the oldest item, waiting for one; it reports false once the
// inbox is closed and empty.
func (q *inbox) pop() (Stanza, bool) {
	for {
		q.mu.Lock()
		if q.head < len(q.items) {
			it := q.items[q.head]
			q.items[q.head] = inItem{}
			q.head++
			if q.head >= 64 && q.head*2 >= len(q.items) {
				// Move the rest down so the backing array does not grow
				// without bound under a steady flow.
				n := copy(q.items, q.items[q.head:])
				clear(q.items[n:])
				q.items, q.head = q.items[:n], 0
			}
			q.bytes -= it.size
			low := it.size > 0 && q.bytes <= q.low/2
			if q.head == len(q.items) && cap(q.items) > 1024 {
				q.items, q.head = nil, 0 // give a flood's memory back
			}
			q.mu.Unlock()
			if low {
				signal(q.drained)
			}
			return it.s, true
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return nil, false
		}
		<-q.ready
	}
}

// size returns the bytes of the stanzas waiting.
func (q *inbox) size() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.bytes
}

// close refuses further pushes; pop returns what is queued, then false.
func (q *inbox) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	signal(q.ready)
}

// stanzaSize estimates the memory a queued stanza holds: its text and a
// fixed overhead for the structs around it.
func stanzaSize(s Stanza) int {
	const overhead = 256
	n := overhead
	switch s := s.(type) {
	case *Message:
		n += len(s.Body) + len(s.Subject) + len(s.Thread) + textsSize(s.Bodies) + textsSize(s.Subjects) + elementsSize(s.Extensions)
	case *Presence:
		n += len(s.Status) + textsSize(s.Statuses) + elementsSize(s.Extensions)
	case *IQ:
		n += len(s.Payload.Raw)
	}
	return n
}

func textsSize(ts []Text) (n int) {
	for _, t := range ts {
		n += len(t.Value)
	}
	return n
}

func elementsSize(es []Element) (n int) {
	for _, e := range es {
		n += len(e.Raw)
	}
	return n
}
