package xmltok

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// chunkReader hands out the chunks sent on chunks, one or more reads each,
// and sends on waiting each time a Read has nothing left and waits: the
// state of the Tokenizer reading from it can then be inspected without a
// data race until the next chunk is sent.
type chunkReader struct {
	chunks  chan string
	waiting chan struct{}
	rest    string
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if r.rest == "" {
		r.waiting <- struct{}{}
		s, ok := <-r.chunks
		if !ok {
			return 0, io.EOF
		}
		r.rest = s
	}
	n := copy(p, r.rest)
	r.rest = r.rest[n:]
	return n, nil
}

// TestBufferReleasedWhileWaiting: a Tokenizer waiting for input after a
// pause holds no buffer besides the small array inside it, whether the
// element before was small or large, and reads on correctly afterwards.
func TestBufferReleasedWhileWaiting(t *testing.T) {
	t.Parallel()
	r := &chunkReader{chunks: make(chan string), waiting: make(chan struct{})}
	tok := New(r)
	type result struct {
		data string
		err  error
	}
	out := make(chan result)
	go func() {
		if _, err := tok.Header(); err != nil {
			out <- result{err: err}
			return
		}
		for {
			el, err := tok.Next()
			out <- result{string(el.Data), err}
			if err != nil {
				return
			}
		}
	}()
	idle := func(when string) {
		t.Helper()
		<-r.waiting
		if tok.pooled != nil || cap(tok.buf) != smallBuffer || tok.BufferSize() != 0 {
			t.Errorf("%s: buffer of %d bytes (pooled %v, BufferSize %d), want the small array only",
				when, cap(tok.buf), tok.pooled != nil, tok.BufferSize())
		}
	}
	next := func(want string) {
		t.Helper()
		res := <-out
		if res.err != nil || res.data != want {
			t.Fatalf("Next() = %.40q…, %v, want %.40q…", res.data, res.err, want)
		}
	}

	idle("before the header")
	r.chunks <- "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'><presence/>"
	next("<presence/>")
	idle("after a small element")

	big := "<message><body>" + strings.Repeat("x", 100<<10) + "</body></message>"
	for i := 0; i < len(big); i += 1000 {
		r.chunks <- big[i:min(i+1000, len(big))]
		if i+1000 < len(big) {
			<-r.waiting
		}
	}
	next(big)
	idle("after a large element")

	// The first bytes after a pause go to the small array; the rest of a
	// larger element is read into a pooled buffer.
	msg := "<message><body>" + strings.Repeat("y", 1000) + "</body></message>"
	r.chunks <- "\n" + msg + "<presence/>"
	next(msg)
	next("<presence/>")
	idle("after a burst")

	r.chunks <- "</stream:stream>"
	if res := <-out; res.err != io.EOF {
		t.Fatalf("Next() at the end = %v, want io.EOF", res.err)
	}
}

// TestBufferReadsLargePieces: a stream that never pauses is read in pieces
// of the pooled buffer's size, not of the small array's.
func TestBufferReadsLargePieces(t *testing.T) {
	t.Parallel()
	var in bytes.Buffer
	in.WriteString(header)
	for in.Len() < 1<<20 {
		in.WriteString("<message to='romeo@example.net'><body>Wherefore art thou?</body></message>\n")
	}
	in.WriteString("</stream:stream>")
	size := in.Len()
	r := &countReads{r: &in}
	tok := New(r)
	if _, err := tok.Header(); err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := tok.Next(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if max := 2 * size / (readBuffer - minRead); r.n > max {
		t.Errorf("%d reads for %d bytes, want at most %d", r.n, size, max)
	}
}

type countReads struct {
	r io.Reader
	n int
}

func (r *countReads) Read(p []byte) (int, error) {
	r.n++
	return r.r.Read(p)
}
