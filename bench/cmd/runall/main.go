// Command runall runs every peer benchmark and writes bench/results/*.json,
// bench/results/*.png and bench/BENCHMARKS.md. Run it from bench/:
//
//	cd bench && go run ./cmd/runall
//
// Flags shorten a run: -logins, -messages, -sessions, -skip (comma list of
// decode, login, roundtrip, idle).
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gojabber/xmpp/bench/internal/corpusfile"
	"github.com/gojabber/xmpp/bench/internal/scripted"
	"github.com/gojabber/xmpp/bench/peers"
	"github.com/gojabber/xmpp/xmpptest"
)

var (
	resultsDir = flag.String("results", "results", "directory for JSON and PNG results")
	mdPath     = flag.String("md", "BENCHMARKS.md", "report to write")
	logins     = flag.Int("logins", 20, "logins per library and server")
	messages   = flag.Int("messages", 2000, "round-trip messages per library")
	sessions   = flag.Int("sessions", 1000, "idle sessions per library without TLS")
	tlsSess    = flag.Int("tls-sessions", 200, "idle sessions per library with TLS (Prosody spends about 50 ms of CPU on each SCRAM login)")
	report_    = flag.Bool("report-only", false, "rewrite the report and plots from the JSON in -results without running anything")
	benchtime  = flag.String("benchtime", "3x", "go test -benchtime for decode")
	skip       = flag.String("skip", "", "comma-separated parts to skip: decode,login,roundtrip,idle")
)

func skipped(part string) bool { return strings.Contains(","+*skip+",", ","+part+",") }

func main() {
	log.SetFlags(0)
	log.SetPrefix("runall: ")
	flag.Parse()
	start := time.Now()
	if err := os.MkdirAll(*resultsDir, 0o755); err != nil {
		log.Fatal(err)
	}
	if _, _, err := corpusfile.Load(); err != nil {
		log.Fatal(err)
	}
	rep := &report{Start: start}
	rep.machine()
	if *report_ {
		load("decode.json", &rep.Decode)
		load("login.json", &rep.Login)
		load("roundtrip.json", &rep.RoundTrip)
		load("idle.json", &rep.Idle)
		rep.Check = loadCheck()
		if b, err := os.ReadFile(filepath.Join(*resultsDir, "run.json")); err == nil {
			json.Unmarshal(b, &rep.Run)
		}
		finish(rep)
		return
	}
	// Parts skipped keep their earlier results, so that one part can be
	// rerun alone.
	var prev report
	load("decode.json", &prev.Decode)
	load("login.json", &prev.Login)
	load("roundtrip.json", &prev.RoundTrip)
	load("idle.json", &prev.Idle)
	load("run.json", &prev.Run)
	rep.Decode, rep.Login, rep.RoundTrip, rep.Idle = prev.Decode, prev.Login, prev.RoundTrip, prev.Idle
	rep.Check = loadCheck()
	rep.Run = prev.Run
	if rep.Run.Parts == nil {
		rep.Run.Parts = map[string]string{}
	}
	partStart := time.Now()
	part := func(name string) {
		rep.Run.Parts[name] = time.Since(partStart).Round(time.Second).String()
		partStart = time.Now()
	}
	// Stop the servers on Ctrl-C too.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		for _, s := range stopList() {
			s.Stop()
		}
		os.Exit(1)
	}()

	if !skipped("decode") {
		rep.Decode = runDecode()
		save("decode.json", rep.Decode)
		rep.Check = loadCheck()
		part("decode")
	}

	worker := filepath.Join(os.TempDir(), fmt.Sprintf("peerworker-%d", os.Getpid()))
	if out, err := exec.Command("go", "build", "-o", worker, "./cmd/peerworker").CombinedOutput(); err != nil {
		log.Fatalf("building peerworker: %v\n%s", err, out)
	}
	defer os.Remove(worker)

	// Room for a thousand sessions on both ends; set explicitly so that the
	// servers started below inherit it too.
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil && rl.Cur < rl.Max {
		rl.Cur = rl.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
	}

	needServers := !skipped("login") || !skipped("roundtrip") || !skipped("idle")
	servers := map[string]*xmpptest.Server{}
	if needServers {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		for _, kind := range []string{xmpptest.KindProsody, xmpptest.KindEjabberd} {
			if kind == xmpptest.KindEjabberd && skipped("login") {
				continue
			}
			s, err := xmpptest.Start(ctx, kind, nil)
			if err != nil {
				log.Printf("%s: %v (skipped)", kind, err)
				continue
			}
			defer s.Stop()
			servers[kind] = s
			addStop(s)
			log.Printf("%s on %s", kind, s.C2SAddr)
		}
		cancel()
		part("servers")
	}
	run := func(args ...string) workerResult {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, worker, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		var r workerResult
		if jerr := json.Unmarshal(out, &r); jerr != nil {
			r.Error = fmt.Sprintf("%v %v: %s", err, jerr, lastLines(stderr.String(), 5))
		}
		log.Printf("%s", strings.TrimSpace(string(out)))
		return r
	}
	srvArgs := func(s *xmpptest.Server, user string) []string {
		return []string{"-server", s.Kind, "-addr", s.C2SAddr, "-domain", s.Domain, "-ca", s.CAFile,
			"-user", user, "-pass", s.Password(user)}
	}
	if !skipped("login") {
		rep.Login = nil
		for _, kind := range []string{xmpptest.KindProsody, xmpptest.KindEjabberd} {
			s := servers[kind]
			if s == nil {
				continue
			}
			for _, lib := range peers.Libraries {
				args := append([]string{"-mode", "login", "-lib", lib, "-n", strconv.Itoa(*logins)}, srvArgs(s, "alice")...)
				rep.Login = append(rep.Login, run(args...))
			}
		}
		save("login.json", rep.Login)
		part("login")
	}
	if s := servers[xmpptest.KindProsody]; s != nil && !skipped("roundtrip") {
		rep.RoundTrip = nil
		for _, lib := range peers.Libraries {
			args := append([]string{"-mode", "roundtrip", "-lib", lib, "-n", strconv.Itoa(*messages),
				"-peer", "bob", "-peerpass", s.Password("bob")}, srvArgs(s, "alice")...)
			rep.RoundTrip = append(rep.RoundTrip, run(args...))
		}
		save("roundtrip.json", rep.RoundTrip)
		part("roundtrip")
	}
	if !skipped("idle") {
		rep.Idle = nil
		if s := servers[xmpptest.KindProsody]; s != nil {
			for _, lib := range peers.Libraries {
				args := append([]string{"-mode", "idle", "-lib", lib, "-n", strconv.Itoa(*tlsSess)}, srvArgs(s, "carol")...)
				rep.Idle = append(rep.Idle, run(args...))
			}
		}
		srv, err := scripted.Start(nil)
		if err != nil {
			log.Fatal(err)
		}
		for _, lib := range peers.Libraries {
			rep.Idle = append(rep.Idle, run("-mode", "idle", "-lib", lib, "-n", strconv.Itoa(*sessions),
				"-server", "scripted", "-addr", srv.Addr, "-domain", scripted.Domain, "-user", "idle", "-pass", "x"))
		}
		srv.Close()
		save("idle.json", rep.Idle)
		part("idle")
	}
	for _, s := range servers {
		s.Stop()
	}
	rep.Run.Start, rep.Run.Elapsed = start, time.Since(start).Round(time.Second).String()
	if !skipped("decode") {
		rep.Run.Benchtime = *benchtime
	}
	if !skipped("login") {
		rep.Run.Logins = *logins
	}
	if !skipped("roundtrip") {
		rep.Run.Messages = *messages
	}
	if !skipped("idle") {
		rep.Run.Sessions, rep.Run.TLSSessions = *sessions, *tlsSess
	}
	save("run.json", rep.Run)
	finish(rep)
}

func finish(rep *report) {
	if err := plots(rep); err != nil {
		log.Printf("plots: %v", err)
	}
	if err := os.WriteFile(*mdPath, rep.markdown(), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("done in %s: %s", rep.Run.Elapsed, *mdPath)
}

// runInfo records how a run was made, for -report-only.
type runInfo struct {
	Start       time.Time
	Elapsed     string
	Logins      int
	Messages    int
	Sessions    int
	TLSSessions int
	Benchtime   string
	Parts       map[string]string // how long each part took when last run
}

var (
	stopMu sync.Mutex
	stops  []*xmpptest.Server
)

func addStop(s *xmpptest.Server) {
	stopMu.Lock()
	stops = append(stops, s)
	stopMu.Unlock()
}

func stopList() []*xmpptest.Server {
	stopMu.Lock()
	defer stopMu.Unlock()
	return slices.Clone(stops)
}

func load(name string, v any) {
	if b, err := os.ReadFile(filepath.Join(*resultsDir, name)); err == nil {
		json.Unmarshal(b, v)
	}
}

type workerResult struct {
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

type decodeResult struct {
	Lib          string  `json:"lib"`
	MBps         float64 `json:"mb_per_s"`
	NsPerStanza  float64 `json:"ns_per_stanza"`
	AllocsPer    float64 `json:"allocs_per_stanza"`
	BytesPer     float64 `json:"bytes_per_stanza"`
	NsPerOp      float64 `json:"ns_per_op"`
	Iterations   int     `json:"iterations"`
	BenchmarkRaw string  `json:"raw"`
}

type checkResult struct {
	Lib      string `json:"lib"`
	Corpus   string `json:"corpus"`
	Stanzas  int    `json:"stanzas"`
	Want     int    `json:"want"`
	Bodies   int    `json:"bodies"`
	WantBody int    `json:"want_bodies"`
	BodySum  string `json:"body_sum"`
	WantSum  string `json:"want_body_sum"`
	Pings    int64  `json:"pings_answered"`
	Match    bool   `json:"match"`
	Err      string `json:"error"`
}

var benchLine = regexp.MustCompile(`^BenchmarkDecode/lib=(\S+?)-\d+\s+(\d+)\s+(.*)$`)

func runDecode() []decodeResult {
	abs, _ := filepath.Abs(*resultsDir)
	cmd := exec.Command("go", "test", "-run", "SameStanzas", "-v", "-bench", "Decode", "-benchtime", *benchtime, "./decode")
	cmd.Env = append(os.Environ(), "BENCH_RESULTS="+abs)
	out, err := cmd.CombinedOutput()
	os.WriteFile(filepath.Join(*resultsDir, "decode.txt"), out, 0o644)
	if err != nil {
		log.Printf("decode benchmarks: %v\n%s", err, lastLines(string(out), 20))
	}
	var res []decodeResult
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		r := decodeResult{Lib: m[1], BenchmarkRaw: sc.Text()}
		r.Iterations, _ = strconv.Atoi(m[2])
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			v, _ := strconv.ParseFloat(f[i], 64)
			switch f[i+1] {
			case "ns/op":
				r.NsPerOp = v
			case "MB/s":
				r.MBps = v
			case "ns/stanza":
				r.NsPerStanza = v
			case "allocs/stanza":
				r.AllocsPer = v
			case "B/stanza":
				r.BytesPer = v
			}
		}
		res = append(res, r)
	}
	return res
}

func loadCheck() []checkResult {
	var c []checkResult
	b, err := os.ReadFile(filepath.Join(*resultsDir, "decode-check.json"))
	if err == nil {
		json.Unmarshal(b, &c)
	}
	return c
}

func save(name string, v any) {
	b, _ := json.MarshalIndent(v, "", "  ")
	if err := os.WriteFile(filepath.Join(*resultsDir, name), b, 0o644); err != nil {
		log.Fatal(err)
	}
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

type report struct {
	Start     time.Time
	Run       runInfo
	CPU       string
	Kernel    string
	GoVersion string
	Prosody   string
	Ejabberd  string
	Decode    []decodeResult
	Check     []checkResult
	Login     []workerResult
	RoundTrip []workerResult
	Idle      []workerResult
}

func (r *report) machine() {
	r.GoVersion = runtime.Version()
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				r.CPU = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
				break
			}
		}
	}
	r.CPU += fmt.Sprintf(", %d CPUs", runtime.NumCPU())
	if out, err := exec.Command("uname", "-sr").Output(); err == nil {
		r.Kernel = strings.TrimSpace(string(out))
	}
	for _, p := range []struct {
		dst *string
		pkg string
	}{{&r.Prosody, "prosody"}, {&r.Ejabberd, "ejabberd"}} {
		if out, err := exec.Command("dpkg-query", "-W", "-f=${Version}", p.pkg).Output(); err == nil {
			*p.dst = string(out)
		}
	}
}
