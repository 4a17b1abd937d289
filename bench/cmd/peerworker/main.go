// Command peerworker runs one session benchmark for one library in its own
// process, so that CPU time (getrusage RUSAGE_SELF) and memory
// (runtime.MemStats) belong to that library alone, and prints one JSON
// object on standard output. bench/cmd/runall starts it; by hand:
//
//	peerworker -mode login -lib mellium -server prosody -addr 127.0.0.1:PORT \
//	    -domain localhost -ca CA.crt -user alice -pass alice-pass -n 20
//
// Modes: login (median dial→bound time over n logins), roundtrip (n chat
// messages user→peer, the peer echoing them, both sessions in this process),
// idle (n logged-in sessions, heap+stack bytes per session after GC).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gojabber/xmpp/bench/peers"
)

// Result is the JSON a worker prints.
type Result struct {
	Mode      string  `json:"mode"`
	Lib       string  `json:"lib"`
	Server    string  `json:"server"`
	TLS       bool    `json:"tls"`
	Mechanism string  `json:"mechanism"`
	N         int     `json:"n"`
	Error     string  `json:"error,omitempty"`
	MedianMs  float64 `json:"median_ms,omitempty"`
	P90Ms     float64 `json:"p90_ms,omitempty"`
	PerSec    float64 `json:"msgs_per_sec,omitempty"`
	CPUusPer  float64 `json:"cpu_us_per_msg,omitempty"`
	WallS     float64 `json:"wall_s,omitempty"`
	BytesPer  float64 `json:"bytes_per_session,omitempty"`
	HeapPer   float64 `json:"heap_per_session,omitempty"`
	StackPer  float64 `json:"stack_per_session,omitempty"`
	Goroutine float64 `json:"goroutines_per_session,omitempty"`
}

func main() {
	log.SetFlags(0)
	mode := flag.String("mode", "login", "login, roundtrip or idle")
	lib := flag.String("lib", "gojabber", "library")
	server := flag.String("server", "prosody", "prosody, ejabberd or scripted")
	addr := flag.String("addr", "", "c2s address")
	domain := flag.String("domain", "localhost", "XMPP domain")
	ca := flag.String("ca", "", "CA file; empty means plaintext")
	user := flag.String("user", "alice", "localpart")
	pass := flag.String("pass", "alice-pass", "password")
	peer := flag.String("peer", "bob", "roundtrip: echoing peer localpart")
	peerPass := flag.String("peerpass", "bob-pass", "roundtrip: peer password")
	n := flag.Int("n", 20, "logins, messages or sessions")
	flag.Parse()

	t := peers.Target{Addr: *addr, Server: *server, Domain: *domain, User: *user, Password: *pass}
	if *ca != "" {
		cfg, err := peers.TLSConfig(*ca, *domain)
		if err != nil {
			log.Fatal(err)
		}
		t.TLS = cfg
		// For any code path that uses the system roots.
		os.Setenv("SSL_CERT_FILE", *ca)
	}
	r := Result{Mode: *mode, Lib: *lib, Server: *server, TLS: t.TLS != nil, N: *n,
		Mechanism: peers.Mechanism(*lib, *server)}
	var err error
	switch *mode {
	case "login":
		err = login(&r, t, *n)
	case "roundtrip":
		p := t
		p.User, p.Password = *peer, *peerPass
		err = roundtrip(&r, t, p, *n)
	case "idle":
		err = idle(&r, t, *n)
	default:
		err = fmt.Errorf("unknown mode %q", *mode)
	}
	if err != nil {
		r.Error = err.Error()
	}
	json.NewEncoder(os.Stdout).Encode(r)
}

func login(r *Result, t peers.Target, n int) error {
	var d []float64
	for i := 0; i < n; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		t0 := time.Now()
		s, err := peers.Open(ctx, r.Lib, t, nil)
		el := time.Since(t0)
		cancel()
		if err != nil {
			return fmt.Errorf("login %d: %w", i, err)
		}
		d = append(d, float64(el.Microseconds())/1000)
		s.Close()
	}
	slices.Sort(d)
	r.MedianMs = d[len(d)/2]
	r.P90Ms = d[len(d)*9/10]
	return nil
}

func cpu() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// roundtrip sends n messages a→b with at most 32 in flight; b echoes each
// back to a. CPU time covers both clients (this process), per round trip.
func roundtrip(r *Result, a, b peers.Target, n int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var echoer peers.Session
	var mu sync.Mutex
	ready := make(chan struct{})
	sb, err := peers.Open(ctx, r.Lib, b, func(from, body string) {
		<-ready
		mu.Lock()
		s := echoer
		mu.Unlock()
		go s.Send(ctx, from, body) // never block the library's reader
	})
	if err != nil {
		return fmt.Errorf("peer login: %w", err)
	}
	defer sb.Close()
	mu.Lock()
	echoer = sb
	mu.Unlock()
	close(ready)

	window := make(chan struct{}, 32)
	var got atomic.Int64
	done := make(chan struct{})
	sa, err := peers.Open(ctx, r.Lib, a, func(from, body string) {
		if got.Add(1) == int64(n) {
			close(done)
		}
		select {
		case <-window:
		default:
		}
	})
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	defer sa.Close()
	time.Sleep(200 * time.Millisecond) // let presences and the like settle
	bJID := b.JID()
	c0, t0 := cpu(), time.Now()
	for i := 0; i < n; i++ {
		select {
		case window <- struct{}{}:
		case <-ctx.Done():
			return fmt.Errorf("after %d of %d echoes: %w", got.Load(), n, ctx.Err())
		}
		if err := sa.Send(ctx, bJID, "ping "+strconv.Itoa(i)); err != nil {
			return err
		}
	}
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("after %d of %d echoes: %w", got.Load(), n, ctx.Err())
	}
	wall, c := time.Since(t0), cpu()-c0
	r.WallS = wall.Seconds()
	r.PerSec = float64(n) / wall.Seconds()
	r.CPUusPer = float64(c.Microseconds()) / float64(n)
	return nil
}

func memstats() (heap, stack uint64, g int) {
	runtime.GC()
	debug.FreeOSMemory()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse, ms.StackInuse, runtime.NumGoroutine()
}

func idle(r *Result, t peers.Target, n int) error {
	h0, s0, g0 := memstats()
	ss := make([]peers.Session, 0, n)
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			tt := t
			tt.Resource = "idle" + strconv.Itoa(i)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			s, err := peers.Open(ctx, r.Lib, tt, nil)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("session %d: %w", i, err)
				}
				return
			}
			ss = append(ss, s)
		}(i)
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	time.Sleep(2 * time.Second) // let post-login traffic (presence, roster pushes) finish
	h1, s1, g1 := memstats()
	fn := float64(len(ss))
	r.HeapPer = (float64(h1) - float64(h0)) / fn
	r.StackPer = (float64(s1) - float64(s0)) / fn
	r.BytesPer = r.HeapPer + r.StackPer
	r.Goroutine = float64(g1-g0) / fn
	runtime.KeepAlive(ss)
	return nil
}
