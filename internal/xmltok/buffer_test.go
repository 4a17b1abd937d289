package xmltok

import (
	"io"
	"strings"
	"testing"
)

// TestBufferStaysSmallWhenIdle: the read buffer starts small and, once a
// large element is consumed, does not stay large, so that an idle session
// costs little memory.
func TestBufferStaysSmallWhenIdle(t *testing.T) {
	t.Parallel()
	big := "<message><body>" + strings.Repeat("x", 200<<10) + "</body></message>"
	in := "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>" +
		"<presence/>" + big + "<presence/></stream:stream>"
	r := &pausingReader{s: in}
	tok := New(r)
	if _, err := tok.Header(); err != nil {
		t.Fatal(err)
	}
	if _, err := tok.Next(); err != nil {
		t.Fatal(err)
	}
	if got := cap(tok.buf); got > minBuffer {
		t.Errorf("buffer after a small element = %d bytes, want ≤ %d", got, minBuffer)
	}
	if _, err := tok.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := tok.Next(); err != nil { // reading past the big element drops the big buffer
		t.Fatal(err)
	}
	if got := cap(tok.buf); got > maxIdleBuffer {
		t.Errorf("buffer after a big element was consumed = %d bytes, want ≤ %d", got, maxIdleBuffer)
	}
	if _, err := tok.Next(); err != io.EOF {
		t.Errorf("Next at the end = %v, want io.EOF", err)
	}
}

// pausingReader returns the input in pieces that end at element boundaries
// ("/>" or "</message>"), as a network read of a quiet stream would.
type pausingReader struct{ s string }

func (r *pausingReader) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	n := len(r.s)
	for _, end := range []string{"/>", "</message>", "'>"} {
		if i := strings.Index(r.s, end); i >= 0 && i+len(end) < n {
			n = i + len(end)
		}
	}
	n = min(n, len(p))
	copy(p, r.s[:n])
	r.s = r.s[n:]
	return n, nil
}
