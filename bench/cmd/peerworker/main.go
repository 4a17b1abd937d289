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
// idle (n logged-in sessions, heap+stack bytes per session after GC; with
// -userfmt each session logs in as its own user, with -sites the result
// also says which allocation sites and goroutines make up a session).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gojabber/xmpp/bench/internal/worker"
	"github.com/gojabber/xmpp/bench/peers"
)

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
	userFmt := flag.String("userfmt", "", "idle: log session i in as fmt.Sprintf(userfmt, i) instead of -user")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	sites := flag.Bool("sites", false, "idle: record every allocation (MemProfileRate 1) and report the sites per session")
	flag.Parse()
	if *sites {
		runtime.MemProfileRate = 1
	}
	raiseNoFile()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer f.Close()
		defer pprof.StopCPUProfile()
	}

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
	r := worker.Result{Mode: *mode, Lib: *lib, Server: *server, TLS: t.TLS != nil, N: *n,
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
		err = idle(&r, t, *n, *userFmt, *sites)
	default:
		err = fmt.Errorf("unknown mode %q", *mode)
	}
	if err != nil {
		r.Error = err.Error()
	}
	json.NewEncoder(os.Stdout).Encode(r)
}

// login times n logins after one untimed one, which pays the process's
// one-time costs (first TLS handshake, certificate pool) that are not the
// library's.
func login(r *worker.Result, t peers.Target, n int) error {
	var d []float64
	for i := -1; i < n; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		t0 := time.Now()
		s, err := peers.Open(ctx, r.Lib, t, nil)
		el := time.Since(t0)
		cancel()
		if err != nil {
			return fmt.Errorf("login %d: %w", i, err)
		}
		if i >= 0 {
			d = append(d, float64(el.Microseconds())/1000)
		}
		s.Close()
	}
	r.Samples = slices.Clone(d)
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
func roundtrip(r *worker.Result, a, b peers.Target, n int) error {
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

// raiseNoFile lifts the soft limit on open files to the hard limit: a
// thousand sessions need a thousand sockets.
func raiseNoFile() {
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil && rl.Cur < rl.Max {
		rl.Cur = rl.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
}

func idle(r *worker.Result, t peers.Target, n int, userFmt string, sites bool) error {
	var fd syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &fd) == nil && fd.Cur < uint64(n)+64 {
		return fmt.Errorf("%d sessions need more open files than RLIMIT_NOFILE %d allows", n, fd.Cur)
	}
	h0, s0, g0 := memstats()
	var sites0 map[[2]string]siteCount
	var gr0 map[string]int
	if sites {
		sites0, gr0 = heapSites(), goroutines()
	}
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
			if userFmt != "" {
				tt.User = fmt.Sprintf(userFmt, i)
			}
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
	if sites {
		r.Sites = siteDiff(sites0, heapSites(), fn)
		r.Goroutines = goroutineDiff(gr0, goroutines(), fn)
	}
	runtime.KeepAlive(ss)
	return nil
}

type siteCount struct{ bytes, objects int64 }

// heapSites sums the bytes and objects in use by allocation site (see
// Site). With MemProfileRate 1 every allocation is recorded; the profile
// is as of the last completed GC, so the caller collects first.
func heapSites() map[[2]string]siteCount {
	runtime.GC()
	runtime.GC()
	var recs []runtime.MemProfileRecord
	n, _ := runtime.MemProfile(nil, false)
	for {
		recs = make([]runtime.MemProfileRecord, n+50)
		var ok bool
		n, ok = runtime.MemProfile(recs, false)
		if ok {
			recs = recs[:n]
			break
		}
	}
	m := map[[2]string]siteCount{}
	for i := range recs {
		rec := &recs[i]
		k := siteKey(rec.Stack())
		c := m[k]
		c.bytes += rec.InUseBytes()
		c.objects += rec.InUseObjects()
		m[k] = c
	}
	return m
}

// libPrefixes are the packages whose first frame names the caller.
var libPrefixes = []string{
	"github.com/gojabber/xmpp.", "github.com/gojabber/xmpp/internal",
	"github.com/xmppo/go-xmpp", "mellium.im/", "gosrc.io/xmpp",
}

func siteKey(stk []uintptr) [2]string {
	frames := runtime.CallersFrames(stk)
	var alloc, caller, inRuntime string
	for {
		f, more := frames.Next()
		fn := f.Function
		if inRuntime == "" && !isMalloc(fn) {
			inRuntime = fn // e.g. runtime.malg: a goroutine's g
		}
		if alloc == "" && !strings.HasPrefix(fn, "runtime.") && !strings.HasPrefix(fn, "internal/") {
			alloc = shortFunc(fn)
		}
		if caller == "" {
			for _, p := range libPrefixes {
				if strings.HasPrefix(fn, p) {
					caller = fmt.Sprintf("%s %s:%d", shortFunc(fn), filepath.Base(f.File), f.Line)
					break
				}
			}
		}
		if !more || (alloc != "" && caller != "") {
			break
		}
	}
	if alloc == "" {
		alloc = shortFunc(inRuntime)
	}
	return [2]string{alloc, caller}
}

// isMalloc reports whether fn is one of the runtime's allocation entry
// points, which say nothing about what was allocated.
func isMalloc(fn string) bool {
	switch fn {
	case "runtime.newobject", "runtime.makeslice", "runtime.growslice", "runtime.makemap",
		"runtime.makemap_small", "runtime.makechan", "runtime.rawstring", "runtime.rawbyteslice",
		"runtime.rawstringtmp", "runtime.concatstrings", "runtime.slicebytetostring", "runtime.newarray",
		"runtime.profilealloc", "runtime.mProf_Malloc":
		return true
	}
	return strings.HasPrefix(fn, "runtime.mallocgc")
}

// shortFunc drops the import path but the last element:
// "github.com/gojabber/xmpp.(*Client).run" → "xmpp.(*Client).run".
func shortFunc(fn string) string {
	if i := strings.LastIndexByte(fn, '/'); i >= 0 {
		return fn[i+1:]
	}
	return fn
}

func siteDiff(before, after map[[2]string]siteCount, n float64) []worker.Site {
	var out []worker.Site
	for k, a := range after {
		b := before[k]
		d := a.bytes - b.bytes
		if float64(d)/n < 8 { // less than 8 bytes per session: noise
			continue
		}
		out = append(out, worker.Site{Alloc: k[0], Caller: k[1], Bytes: float64(d) / n, Objects: float64(a.objects-b.objects) / n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Bytes > out[j].Bytes })
	return out
}

// goroutines counts live goroutines by the function they were started
// with (the outermost frame of their stack).
func goroutines() map[string]int {
	var recs []runtime.StackRecord
	n, _ := runtime.GoroutineProfile(nil)
	for {
		recs = make([]runtime.StackRecord, n+10)
		var ok bool
		n, ok = runtime.GoroutineProfile(recs)
		if ok {
			recs = recs[:n]
			break
		}
	}
	m := map[string]int{}
	for i := range recs {
		frames := runtime.CallersFrames(recs[i].Stack())
		var fn string
		for {
			f, more := frames.Next()
			if f.Function != "" && f.Function != "runtime.goexit" {
				fn = f.Function
			}
			if !more {
				break
			}
		}
		m[shortFunc(fn)]++
	}
	return m
}

func goroutineDiff(before, after map[string]int, n float64) []worker.Goroutine {
	var out []worker.Goroutine
	for k, a := range after {
		if d := a - before[k]; d > 0 {
			out = append(out, worker.Goroutine{Func: k, Count: float64(d) / n})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out
}
