package xmpp

import (
	"io"
	"sync"
)

// debugTee copies raw stream traffic to Options.DebugWriter. A nil *debugTee
// does nothing, so callers need not check.
type debugTee struct {
	mu    sync.Mutex
	w     io.Writer
	muted bool // during SASL: raw traffic is replaced by redacted lines
}

// raw copies bytes read or written, unless muted.
func (t *debugTee) raw(prefix string, p []byte) {
	if t == nil || len(p) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.muted {
		return
	}
	buf := make([]byte, 0, len(prefix)+len(p)+1)
	buf = append(append(append(buf, prefix...), p...), '\n')
	t.w.Write(buf)
}

// line writes one line even while muted.
func (t *debugTee) line(prefix, s string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	io.WriteString(t.w, prefix+s+"\n")
}

func (t *debugTee) mute(on bool) {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.muted = on
	t.mu.Unlock()
}

// teeConn copies what passes through rw to a debugTee.
type teeConn struct {
	rw  io.ReadWriter
	tee *debugTee
}

func (c *teeConn) Read(p []byte) (int, error) {
	n, err := c.rw.Read(p)
	c.tee.raw("RECV: ", p[:n])
	return n, err
}

func (c *teeConn) Write(p []byte) (int, error) {
	n, err := c.rw.Write(p)
	c.tee.raw("SEND: ", p[:n])
	return n, err
}
