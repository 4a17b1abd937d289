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
	"cmp"
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

	gojabber "github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/bench/internal/corpusfile"
	"github.com/gojabber/xmpp/bench/internal/scripted"
	"github.com/gojabber/xmpp/bench/internal/worker"
	"github.com/gojabber/xmpp/bench/peers"
	"github.com/gojabber/xmpp/xmpptest"
)

var (
	resultsDir   = flag.String("results", "results", "directory for JSON and PNG results")
	mdPath       = flag.String("md", "BENCHMARKS.md", "report to write")
	logins       = flag.Int("logins", 60, "logins per library and server (login times are bimodal on a busy machine: more logins make a steadier median)")
	messages     = flag.Int("messages", 2000, "round-trip messages per library")
	sessions     = flag.Int("sessions", 1000, "idle sessions per library without TLS")
	tlsSess      = flag.Int("tls-sessions", 1000, "idle sessions per library with TLS (Prosody, one user each)")
	loginRounds  = flag.Int("login-rounds", 4, "rounds the logins are split into, the libraries taking turns")
	ejabberdMsgs = flag.Int("ejabberd-messages", 10000, "round-trip messages per run against ejabberd (no archive, so no quota; it is several times faster than Prosody)")
	repeats      = flag.Int("repeats", 5, "round-trip runs per library and server; the report shows the median")
	fullMsgs     = flag.Int("full-archive-messages", 100, "round-trip messages of the extra gojabber run whose users' Prosody archives are full (0: none)")
	siteSess     = flag.Int("site-sessions", 1000, "idle gojabber sessions in the extra run that breaks a session down by allocation site (0: none)")
	report_      = flag.Bool("report-only", false, "rewrite the report and plots from the JSON in -results without running anything")
	benchtime    = flag.String("benchtime", "3x", "go test -benchtime for decode")
	decodeCount  = flag.Int("decode-count", 5, "go test -count for decode; the report shows the median run")
	skip         = flag.String("skip", "", "comma-separated parts to skip: decode,login,roundtrip,idle")
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
	loadStart := loadavg()
	rep := &report{Start: start}
	rep.machine()
	if *report_ {
		load("decode.json", &rep.Decode)
		load("login.json", &rep.Login)
		load("roundtrip.json", &rep.RoundTrip)
		load("idle.json", &rep.Idle)
		load("idle-sites.json", &rep.Sites)
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
	load("idle-sites.json", &prev.Sites)
	load("run.json", &prev.Run)
	rep.Decode, rep.Login, rep.RoundTrip, rep.Idle, rep.Sites = prev.Decode, prev.Login, prev.RoundTrip, prev.Idle, prev.Sites
	rep.Check = loadCheck()
	rep.Run = prev.Run
	if rep.Run.Parts == nil || *skip == "" {
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
	// The servers, by the name the report uses: "prosody" (Nagle off, for
	// everything), "prosody-nagle" (Prosody's default network settings, for
	// the login comparison only) and "ejabberd" (login and round trip).
	servers := map[string]*xmpptest.Server{}
	if needServers {
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
		rtUsers := xmpptest.DefaultUsers()
		for _, lib := range peers.Libraries {
			rtUsers[rtUser(lib, "a")], rtUsers[rtUser(lib, "b")] = rtPass, rtPass
		}
		for _, sv := range []struct {
			name, kind string
			opts       *xmpptest.Options
			need       bool
		}{
			// Nagle off: see the Login section of the report.
			{"prosody", xmpptest.KindProsody, &xmpptest.Options{Env: []string{"PROSODY_TCP_NODELAY=1"}}, true},
			{"prosody-nagle", xmpptest.KindProsody, nil, !skipped("login")},
			{"ejabberd", xmpptest.KindEjabberd, &xmpptest.Options{Users: rtUsers}, !skipped("login") || !skipped("roundtrip")},
		} {
			if !sv.need {
				continue
			}
			s, err := xmpptest.Start(ctx, sv.kind, sv.opts)
			if err != nil {
				log.Printf("%s: %v (skipped)", sv.name, err)
				continue
			}
			defer s.Stop()
			servers[sv.name] = s
			addStop(s)
			log.Printf("%s on %s", sv.name, s.C2SAddr)
		}
		cancel()
		if s := servers["prosody"]; s != nil {
			if err := prosodyUsers(s); err != nil {
				log.Fatal(err)
			}
		}
		if s := servers["ejabberd"]; s != nil && !skipped("roundtrip") {
			if err := ejabberdNoArchive(s); err != nil {
				log.Fatal(err)
			}
		}
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
	srvArgs := func(name, user, pass string) []string {
		s := servers[name]
		return []string{"-server", name, "-addr", s.C2SAddr, "-domain", s.Domain, "-ca", s.CAFile,
			"-user", user, "-pass", pass}
	}
	if !skipped("login") {
		rep.Login = nil
		for _, name := range []string{"prosody", "ejabberd", "prosody-nagle"} {
			s := servers[name]
			if s == nil {
				continue
			}
			// The logins come in rounds, the libraries taking turns, so
			// that neither the server's warm-up nor a change in the
			// machine's load falls on one library.
			rounds := max(1, min(*loginRounds, *logins))
			runs := map[string][]workerResult{}
			for round := range rounds {
				n := *logins / rounds
				if round < *logins%rounds {
					n++
				}
				for _, lib := range peers.Libraries {
					args := append([]string{"-mode", "login", "-lib", lib, "-n", strconv.Itoa(n)}, srvArgs(name, "alice", s.Password("alice"))...)
					runs[lib] = append(runs[lib], run(args...))
				}
			}
			for _, lib := range peers.Libraries {
				rep.Login = append(rep.Login, mergeLogins(runs[lib]))
			}
		}
		save("login.json", rep.Login)
		part("login")
	}
	if !skipped("roundtrip") {
		rep.RoundTrip = nil
		if 2**messages >= prosodyArchiveLimit {
			log.Printf("warning: -messages %d fills Prosody's archive quota (%d); messages/s will collapse (see BENCHMARKS.md)", *messages, prosodyArchiveLimit)
		}
		for _, name := range []string{"prosody", "ejabberd"} {
			if servers[name] == nil {
				continue
			}
			// Repeats take turns between the libraries, so that a change
			// in the machine's load falls on all of them.
			runs := map[string][]workerResult{}
			for rep := range *repeats {
				for _, lib := range peers.Libraries {
					a, b := rtUser(lib, "a"), rtUser(lib, "b")
					if name == "prosody" {
						// A fresh pair of users for each run: see rtUser.
						a, b = rtUser(fmt.Sprintf("%s-%d", lib, rep), "a"), rtUser(fmt.Sprintf("%s-%d", lib, rep), "b")
					}
					n := *messages
					if name == "ejabberd" {
						n = *ejabberdMsgs
					}
					args := append([]string{"-mode", "roundtrip", "-lib", lib, "-n", strconv.Itoa(n),
						"-peer", b, "-peerpass", rtPass}, srvArgs(name, a, rtPass)...)
					runs[lib] = append(runs[lib], run(args...))
				}
			}
			for _, lib := range peers.Libraries {
				rep.RoundTrip = append(rep.RoundTrip, medianRun(runs[lib]))
			}
		}
		if s := servers["prosody"]; s != nil && *fullMsgs > 0 {
			// The stall of earlier runs, on purpose: archives at the quota.
			if err := fillArchives(s, rtUser("full", "a"), rtUser("full", "b")); err != nil {
				log.Printf("filling archives: %v", err)
			} else {
				args := append([]string{"-mode", "roundtrip", "-lib", "gojabber", "-n", strconv.Itoa(*fullMsgs),
					"-peer", rtUser("full", "b"), "-peerpass", rtPass}, srvArgs("prosody", rtUser("full", "a"), rtPass)...)
				r := run(args...)
				r.Server = "prosody-full-archive"
				rep.RoundTrip = append(rep.RoundTrip, r)
			}
		}
		save("roundtrip.json", rep.RoundTrip)
		part("roundtrip")
	}
	if !skipped("idle") {
		rep.Idle = nil
		rep.Sites = nil
		if servers["prosody"] != nil {
			tlsArgs := func(lib string, n int) []string {
				return append([]string{"-mode", "idle", "-lib", lib, "-n", strconv.Itoa(n),
					"-userfmt", idleUserFmt}, srvArgs("prosody", fmt.Sprintf(idleUserFmt, 0), idlePass)...)
			}
			for _, lib := range peers.Libraries {
				rep.Idle = append(rep.Idle, run(tlsArgs(lib, *tlsSess)...))
			}
			if *siteSess > 0 {
				rep.Sites = append(rep.Sites, run(append(tlsArgs("gojabber", *siteSess), "-sites")...))
			}
		}
		srv, err := scripted.Start(nil)
		if err != nil {
			log.Fatal(err)
		}
		plainArgs := func(lib string, n int) []string {
			return []string{"-mode", "idle", "-lib", lib, "-n", strconv.Itoa(n),
				"-server", "scripted", "-addr", srv.Addr, "-domain", scripted.Domain, "-user", "idle", "-pass", "x"}
		}
		for _, lib := range peers.Libraries {
			rep.Idle = append(rep.Idle, run(plainArgs(lib, *sessions)...))
		}
		if *siteSess > 0 {
			rep.Sites = append(rep.Sites, run(append(plainArgs("gojabber", *siteSess), "-sites")...))
		}
		srv.Close()
		save("idle.json", rep.Idle)
		save("idle-sites.json", rep.Sites)
		part("idle")
	}
	for _, s := range servers {
		s.Stop()
	}
	rep.Run.Start, rep.Run.Elapsed = start, time.Since(start).Round(time.Second).String()
	if !skipped("decode") {
		rep.Run.Benchtime, rep.Run.DecodeCount = *benchtime, *decodeCount
	}
	if !skipped("login") {
		rep.Run.Logins, rep.Run.LoginRounds = *logins, *loginRounds
	}
	if !skipped("roundtrip") {
		rep.Run.Messages, rep.Run.EjabberdMessages, rep.Run.Repeats, rep.Run.FullMessages = *messages, *ejabberdMsgs, *repeats, *fullMsgs
	}
	if !skipped("idle") {
		rep.Run.Sessions, rep.Run.TLSSessions, rep.Run.SiteSessions = *sessions, *tlsSess, *siteSess
	}
	rep.Run.LoadStart, rep.Run.LoadEnd = loadStart, loadavg()
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
	Start            time.Time
	Elapsed          string
	Logins           int
	Messages         int
	Sessions         int
	TLSSessions      int
	LoginRounds      int // rounds the logins were split into
	EjabberdMessages int // round-trip messages per run against ejabberd
	Repeats          int // round-trip runs per library and server
	FullMessages     int // messages of the prosody-full-archive run
	// SiteSessions is the size of the extra gojabber idle runs with
	// allocation sites.
	SiteSessions int
	Benchtime    string
	DecodeCount  int
	// LoadStart and LoadEnd are /proc/loadavg when the run started and
	// ended: other work on the machine skews the figures.
	LoadStart, LoadEnd string
	Parts              map[string]string // how long each part took when last run
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

// workerResult is a worker's result, with the figures of every repeat
// when runall merged several.
type workerResult struct {
	worker.Result
	// CPURuns and RateRuns are every repeat's figures (round trip); the
	// result is the run with the median CPU.
	CPURuns   []float64 `json:"cpu_runs,omitempty"`
	RateRuns  []float64 `json:"rate_runs,omitempty"`
	RunErrors []string  `json:"run_errors,omitempty"`
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
	// Runs are the ns/stanza of every -count run; the fields above are
	// the median run's.
	Runs []float64 `json:"ns_per_stanza_runs,omitempty"`
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
	Attrs    []struct {
		Name     string `json:"name"`
		Sum      string `json:"sum"`
		Want     string `json:"want"`
		NonEmpty int    `json:"non_empty"`
		WantNon  int    `json:"want_non_empty"`
		Match    bool   `json:"match"`
	} `json:"attrs"`
	Match bool   `json:"match"`
	Err   string `json:"error"`
}

var benchLine = regexp.MustCompile(`^BenchmarkDecode/lib=(\S+?)-\d+\s+(\d+)\s+(.*)$`)

func runDecode() []decodeResult {
	abs, _ := filepath.Abs(*resultsDir)
	var out []byte
	for _, args := range [][]string{
		{"test", "-count", "1", "-run", "SameStanzas", "-v", "./decode"},
		{"test", "-run", "^$", "-bench", "Decode", "-benchtime", *benchtime, "-count", strconv.Itoa(*decodeCount), "./decode"},
	} {
		cmd := exec.Command("go", args...)
		cmd.Env = append(os.Environ(), "BENCH_RESULTS="+abs)
		o, err := cmd.CombinedOutput()
		out = append(append(out, "$ go "+strings.Join(args, " ")+"\n"...), o...)
		if err != nil {
			log.Printf("decode: go %s: %v\n%s", strings.Join(args, " "), err, lastLines(string(o), 20))
		}
	}
	os.WriteFile(filepath.Join(*resultsDir, "decode.txt"), out, 0o644)
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
	return medianDecode(res)
}

// medianDecode reduces the -count runs of each library (interleaved: every
// count runs all the sub-benchmarks) to the run with the median ns/stanza,
// keeping every run's ns/stanza.
func medianDecode(all []decodeResult) []decodeResult {
	var order []string
	by := map[string][]decodeResult{}
	for _, r := range all {
		if _, ok := by[r.Lib]; !ok {
			order = append(order, r.Lib)
		}
		by[r.Lib] = append(by[r.Lib], r)
	}
	var res []decodeResult
	for _, lib := range order {
		runs := by[lib]
		var ns []float64
		for _, r := range runs {
			ns = append(ns, r.NsPerStanza)
		}
		slices.SortFunc(runs, func(a, b decodeResult) int { return cmp.Compare(a.NsPerStanza, b.NsPerStanza) })
		m := runs[len(runs)/2]
		m.Runs = ns
		res = append(res, m)
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
	Sites     []workerResult // gojabber idle sessions broken down by allocation site
}

// prosodyArchiveLimit is Prosody 0.12's default archive quota per user
// (mod_storage_internal storage_archive_item_limit).
const prosodyArchiveLimit = 10000

// idleUserFmt names the users of the idle sessions on Prosody, one each.
const idleUserFmt = "idle%04d"

// rtUser returns the round-trip user ("a" sends, "b" echoes) of lib.
//
// Each library gets users of its own with an empty archive. Prosody 0.12
// archives every chat message for both ends (mod_mam,
// default_archive_policy = true) and caps an archive at 10,000 items; once
// a user is over the cap, mod_mam truncates the archive before *each*
// further append (mod_storage_internal loads and rewrites the whole list
// file), which made every later library in a run crawl at 20-50
// messages/s.
func rtUser(lib, end string) string { return "rt-" + lib + "-" + end }

const rtPass = "rt-pass"

// prosodyUsers registers the round-trip users (prosodyctl) and the idle
// users (one Lua loop in Prosody's admin shell: 1,000 prosodyctl runs take
// minutes, the loop seconds).
func prosodyUsers(s *xmpptest.Server) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var rt []string
	for _, lib := range peers.Libraries {
		for rep := range *repeats {
			rt = append(rt, rtUser(fmt.Sprintf("%s-%d", lib, rep), "a"), rtUser(fmt.Sprintf("%s-%d", lib, rep), "b"))
		}
	}
	rt = append(rt, rtUser("full", "a"), rtUser("full", "b"))
	var names strings.Builder
	for _, u := range rt {
		fmt.Fprintf(&names, "%q, ", u)
	}
	n := max(*tlsSess, *siteSess)
	lua := fmt.Sprintf(`>local um = require "core.usermanager"; local n = 0; `+
		`for i = 0, %d do if um.create_user(string.format(%q, i), %q, %q) then n = n + 1 end end; `+
		`for _, u in ipairs({ %s }) do if um.create_user(u, %q, %q) then n = n + 1 end end; return n`,
		n-1, idleUserFmt, idlePass, s.Domain, names.String(), rtPass, s.Domain)
	out, err := s.Ctl(ctx, "shell", lua)
	if err != nil {
		return err
	}
	if want := fmt.Sprintf("Result: %d", n+len(rt)); !strings.Contains(out, want) {
		return fmt.Errorf("creating %d users in Prosody's shell: %s", n+len(rt), strings.TrimSpace(out))
	}
	return nil
}

// mergeLogins joins the rounds of one library's logins into one result.
func mergeLogins(runs []workerResult) workerResult {
	m := runs[0]
	m.Samples = nil
	for _, r := range runs {
		if r.Error != "" {
			m.Error = r.Error
		}
		m.Samples = append(m.Samples, r.Samples...)
	}
	m.N = len(m.Samples)
	if len(m.Samples) > 0 {
		d := slices.Sorted(slices.Values(m.Samples))
		m.MedianMs, m.P90Ms = d[len(d)/2], d[len(d)*9/10]
	}
	return m
}

// medianRun returns the run with the median CPU per message, with every
// run's CPU and rate attached.
func medianRun(runs []workerResult) workerResult {
	var ok []workerResult
	for _, r := range runs {
		if r.Error == "" {
			ok = append(ok, r)
		}
	}
	if len(ok) == 0 {
		return runs[len(runs)-1]
	}
	slices.SortFunc(ok, func(a, b workerResult) int { return cmp.Compare(a.CPUusPer, b.CPUusPer) })
	m := ok[len(ok)/2]
	m.CPURuns, m.RateRuns = nil, nil
	for _, r := range runs {
		m.CPURuns = append(m.CPURuns, r.CPUusPer)
		m.RateRuns = append(m.RateRuns, r.PerSec)
		if r.Error != "" {
			m.RunErrors = append(m.RunErrors, r.Error)
		}
	}
	return m
}

const idlePass = "idle-pass"

// ejabberdNoArchive turns message archiving off for the round-trip users on
// ejabberd (XEP-0313 preferences, default "never"). ejabberd 23.01's mnesia
// MAM backend (the scripts' default_db) keeps archive_msg as a
// disc_only_copies bag keyed by the user, so every stored message rewrites
// a dets key holding the user's whole archive: each message costs more than
// the one before, and the round trip fell from about 250 to under 20
// messages/s within 2,000 messages.
func ejabberdNoArchive(s *xmpptest.Server) error {
	prefs, err := gojabber.ParseElement("<prefs xmlns='urn:xmpp:mam:2' default='never'/>")
	if err != nil {
		return err
	}
	for _, lib := range peers.Libraries {
		for _, end := range []string{"a", "b"} {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			c, err := gojabber.Dial(ctx, s.JID(rtUser(lib, end)), rtPass, &gojabber.Options{Server: s.C2SAddr, TLSConfig: s.TLSConfig()})
			if err == nil {
				iq := &gojabber.IQ{Payload: prefs}
				iq.Type = gojabber.IQSet
				_, err = c.SendIQ(ctx, iq)
				c.Close()
			}
			cancel()
			if err != nil {
				return fmt.Errorf("ejabberd: archive preferences of %s: %w", rtUser(lib, end), err)
			}
		}
	}
	return nil
}

// fillArchives stores prosodyArchiveLimit-1 chat messages in the archives
// of users a and b, in one write each (Prosody's own list format, through
// its admin shell), so that the next messages between them reach the quota.
func fillArchives(s *xmpptest.Server, a, b string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, u := range [][2]string{{a, b}, {b, a}} {
		lua := fmt.Sprintf(`>local st = require "util.stanza"; local dm = require "core.storagemanager".olddm; `+
			`local id = require "util.id".medium; local stamp = require "util.datetime".datetime(os.time()); local items = {}; `+
			`for i = 1, %d do local v = st.preserialize(st.message({ from = %q, to = %q, type = "chat" }):text_tag("body", "filler " .. i)); `+
			`v.key = id(); v.when = os.time(); v.with = %q; v.attr.stamp = stamp; items[i] = v end; `+
			`return dm.list_store(%q, %q, "archive", items) and #items`,
			prosodyArchiveLimit-1, s.JID(u[1])+"/x", s.JID(u[0])+"/x", s.JID(u[1]), u[0], s.Domain)
		out, err := s.Ctl(ctx, "shell", lua)
		if err != nil {
			return err
		}
		if want := fmt.Sprintf("Result: %d", prosodyArchiveLimit-1); !strings.Contains(out, want) {
			return fmt.Errorf("filling the archive of %s: %s", u[0], strings.TrimSpace(out))
		}
	}
	return nil
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
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
