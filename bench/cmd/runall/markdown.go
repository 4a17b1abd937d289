package main

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
)

func (r *report) markdown() []byte {
	var b bytes.Buffer
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# gojabber and its peers\n\n")
	p("Written by `bench/cmd/runall` (issue 6): gojabber (github.com/gojabber/xmpp) side by side with\n")
	p("plain encoding/xml, github.com/xmppo/go-xmpp v0.3.6, mellium.im/xmpp v0.22.0 and gosrc.io/xmpp v0.5.1\n")
	p("(the versions `bench/go.mod` pins). Every number below comes from the run described here; rerun to\n")
	p("compare on your machine.\n\n")
	p("    make bench\n")
	p("    # which runs, from the repository root:\n")
	p("    go test -run '^$' -bench . -benchmem -count 1 .   # root codec benchmarks (printed; see ../BENCHMARKS.md)\n")
	p("    cd bench && go run ./cmd/runall                    # everything below\n\n")
	p("`runall` flags: `-logins %d -login-rounds %d -messages %d -ejabberd-messages %d -repeats %d -full-archive-messages %d -tls-sessions %d -sessions %d -site-sessions %d -benchtime %s -decode-count %d`\n",
		r.Run.Logins, r.Run.LoginRounds, r.Run.Messages, r.Run.EjabberdMessages, r.Run.Repeats, r.Run.FullMessages, r.Run.TLSSessions, r.Run.Sessions, r.Run.SiteSessions, r.Run.Benchtime, r.Run.DecodeCount)
	p("(the values of this run), `-skip decode,login,roundtrip,idle` to rerun a part, `-report-only` to rewrite this file from `results/*.json`.\n\n")
	p("| | |\n|---|---|\n")
	p("| machine | %s, %s |\n| Go | %s |\n| Prosody | %s (Debian package) |\n| ejabberd | %s (Debian package) |\n| run | %s, took %s |\n",
		r.CPU, r.Kernel, r.GoVersion, r.Prosody, r.Ejabberd, r.Run.Start.UTC().Format("2006-01-02 15:04 UTC"), r.Run.Elapsed)
	if r.Run.LoadStart != "" {
		p("| load average (1, 5, 15 min) | %s at the start, %s at the end |\n", r.Run.LoadStart, r.Run.LoadEnd)
	}
	p("\n")
	if len(r.Run.Parts) > 0 {
		p("Time per part:")
		for _, k := range slices.Sorted(maps.Keys(r.Run.Parts)) {
			p(" %s %s;", k, r.Run.Parts[k])
		}
		p(" the root codec benchmarks that `make bench` runs first are not included.\n\n")
	}
	p("Raw results: `results/*.json`, `results/decode.txt`; plots: `results/*.png`.\n\n")
	p("### Servers\n\n")
	p("Prosody and ejabberd are started by the repository's own scripts (`xmpptest/scripts`, through `xmpptest.Start`), on loopback, each with a throwaway CA and domain `localhost`; STARTTLS is required. Three settings differ from those scripts' defaults, all for reasons found while measuring:\n\n")
	p("- **Prosody with Nagle's algorithm off** (`PROSODY_TCP_NODELAY=1`, which writes `network_settings = { nagle = false }`). Prosody 0.12's epoll backend leaves Nagle on by default (`net/server_epoll.lua`: `nagle = true`), so during the login's back-and-forth a second small write from Prosody waits for the client's delayed ACK, about 40 ms on Linux: every library's login then measures that timer. The `prosody-nagle` rows of the login table are the same logins against a second Prosody with the default.\n")
	p("- **Round-trip users with empty archives.** The scripts' Prosody archives every chat message for both ends (`mod_mam`, `default_archive_policy = true`), and Prosody 0.12's internal storage caps an archive at %d items (`storage_archive_item_limit`). Once a user is at the cap, `mod_mam` truncates the archive before *each* further append: `mod_storage_internal` loads the whole list file, filters it and rewrites it (about 1–2 s with 10,000 items on this machine). One run sends %d messages each way per library, so with shared users the third library crossed the cap and crawled at 10–50 messages/s: the stalls of earlier versions of this report. Each library now has its own pair of users (`rt-<library>-a`, `rt-<library>-b`), and the `prosody-full-archive` row reproduces the stall on purpose: gojabber between two users whose archives were filled to %d items first.\n",
		prosodyArchiveLimit, r.Run.Messages, prosodyArchiveLimit-1)
	p("- **ejabberd's round-trip users do not archive** (XEP-0313 preferences `default='never'`, set with gojabber before the run). ejabberd 23.01's mnesia MAM backend (the scripts' `default_db`) keeps `archive_msg` as a `disc_only_copies` bag keyed by the user (`mod_mam_mnesia:init/2`), so every stored message rewrites a dets key that holds the user's whole archive: each message costs ejabberd more than the one before, and in a run with archiving on the round trip fell to under 20 messages/s for every library within 2,000 messages.\n\n")
	p("## Decode\n\n")
	p("The library's 10 MB corpus (`go run ./internal/corpus/cmd/gencorpus`, 23,086 stanzas: messages with\n")
	p("chat states, receipts, carbons, MUC; presences with caps and MUC; roster, disco and ping IQs),\n")
	p("`go test -run '^$' -bench Decode -benchtime %s -count %d ./decode`: every count runs all the rows in turn, and the table shows each row's median run and the range of ns/stanza over the runs. Each library through its own decode path:\n\n", r.Run.Benchtime, r.Run.DecodeCount)
	p("| row | path |\n|---|---|\n")
	p("| gojabber | `xmpp.NewDecoder(bytes.Reader).Next()` into `*Message`/`*Presence`/`*IQ`, in memory |\n")
	p("| encoding-xml | `xml.Decoder.Token` to the stream header, then `DecodeElement` of each stanza into structs shaped like gojabber's (attributes, text with xml:lang, error, other children as name+attrs+innerxml), in memory |\n")
	p("| gosrc-nocarbons | `stanza.InitStream` + `stanza.NextPacket(*xml.Decoder)`, the call gosrc's `Client.recv` makes, in memory, over the corpus **without carbon copies**: gosrc v0.5.1 fails on the first carbon (its `Message.UnmarshalXML` stops at the nested `</message>`: \"did not consume entire <message> element\"), which leaves the xml.Decoder dead and makes its client disconnect |\n")
	p("| gojabber-nocarbons | gojabber on that same carbon-free corpus, for the gosrc ratio |\n")
	p("| gojabber-session | `xmpp.Dial` (plaintext, `InsecureAllowPlaintext`) to the scripted loopback server (`internal/scripted`), then the corpus' stanzas pushed over TCP; timed until the stream ends: reader goroutine + handler goroutine (`OnMessage`, `OnPresence`) |\n")
	p("| go-xmpp-session | `Options{NoTLS, InsecureAllowUnencryptedAuth}.NewClient()` to the scripted server, then `Client.Recv()` in a loop (its only receive path: encoding/xml `DecodeElement` into its structs, converted to `Chat`/`Presence`/`IQ`/...) |\n")
	p("| mellium-session | `xmpp.NewSession` (SASL PLAIN, bind; state `Secure` because the scripted server is plaintext), then `Session.Serve(xmpp.HandlerFunc)`; the handler decodes every stanza with `xml.NewTokenDecoder` into the encoding-xml row's structs, as mellium's echobot example does — but from `xmlstream.MultiReader(xmlstream.Token(*start), r)`: the example's `DecodeElement(&v, start)` on the handler's reader fails on every stanza with Go 1.26 (\"unexpected end element </message>\") |\n\n")
	p("Session rows include loopback TCP and the library's session machinery, so compare them with each other; the scripted server stops parsing after bind (it only counts `<iq` replies) so its allocations stay out of the numbers.\n\n")
	p("| library | MB/s | ns/stanza (range) | allocs/stanza | B/stanza | gojabber is × faster |\n|---|---:|---:|---:|---:|---:|\n")
	ref := map[string]float64{}
	for _, d := range r.Decode {
		ref[d.Lib] = d.NsPerStanza
	}
	for _, d := range r.Decode {
		base := ref["gojabber"]
		switch {
		case strings.HasSuffix(d.Lib, "-nocarbons"):
			base = ref["gojabber-nocarbons"]
		case strings.HasSuffix(d.Lib, "-session"):
			base = ref["gojabber-session"]
		}
		ratio := "–"
		if base > 0 && !strings.HasPrefix(d.Lib, "gojabber") {
			ratio = fmt.Sprintf("%.1f×", d.NsPerStanza/base)
		}
		p("| %s | %.1f | %.0f%s | %.2f | %.0f | %s |\n", d.Lib, d.MBps, d.NsPerStanza, span(d.Runs), d.AllocsPer, d.BytesPer, ratio)
	}
	p("\n![decode time](results/decode-ns.png) ![decode allocations](results/decode-allocs.png)\n\n")
	if len(r.Check) > 0 {
		p("### Same stanzas, same bodies, same attributes?\n\n")
		p("`go test -count 1 -run SameStanzas -v ./decode`: the stanzas each path hands to its user; the FNV-1a checksum of the bodies in the stream's language against the corpus' own statistics; and for each header attribute (id, type, from, to) an order-independent checksum (sum of FNV-1a of stanza kind + value) against plain encoding/xml's on the same corpus, less the pings a library answers itself. ✓ matches; ✗ n/m: differs, n of the m stanzas that have the attribute came with it.\n\n")
		p("| library | corpus | stanzas | want | bodies | body checksum | want | stanzas+bodies match | id | type | from | to | why not |\n|---|---|---:|---:|---:|---|---|---|---|---|---|---|---|\n")
		for _, c := range r.Check {
			var why []string
			if !c.Match {
				switch c.Lib {
				case "go-xmpp":
					why = append(why, fmt.Sprintf("`Recv` answers %d pings itself and never returns them; `Chat.Text` is the *last* `<body/>`, whatever its xml:lang, so messages with a translated body report the translation", c.Pings))
				case "gosrc":
					why = append(why, "`Message.Body` is a plain string field: the *last* `<body/>` wins, whatever its xml:lang; and carbons cannot be decoded at all (see above)")
				}
			}
			attrOK := true
			for _, a := range c.Attrs {
				attrOK = attrOK && a.Match
			}
			if !attrOK && c.Lib == "go-xmpp" {
				why = append(why, "attributes: `Chat` has no id and no to field (only XEP-0359 origin/stanza ids), a roster result comes back as a `Chat` of type \"roster\", `DiscoResult` has no type and `DiscoItems` no from, to or type")
			}
			if c.Err != "" {
				why = append(why, "error: "+c.Err)
			}
			stanzas := fmt.Sprint(c.Stanzas)
			if c.Pings > 0 {
				stanzas = fmt.Sprintf("%d + %d answered", c.Stanzas, c.Pings)
			}
			attr := func(name string) string {
				for _, a := range c.Attrs {
					if a.Name == name {
						if a.Match {
							return "✓"
						}
						return fmt.Sprintf("✗ %d/%d", a.NonEmpty, a.WantNon)
					}
				}
				return ""
			}
			p("| %s | %s | %s | %d | %d | `%s` | `%s` | %v | %s | %s | %s | %s | %s |\n", c.Lib, c.Corpus, stanzas, c.Want, c.Bodies, c.BodySum, c.WantSum, c.Match,
				attr("id"), attr("type"), attr("from"), attr("to"), strings.Join(why, "; "))
		}
		p("\n")
	}

	p("## Login\n\n")
	p("Dial to bound resource, STARTTLS with the test CA (`RootCAs`/`ServerName` through each library's TLS option), TLS 1.3, median and p90 over %d logins as `alice`, one after another, each library in its own process (`cmd/peerworker -mode login`, which first makes one untimed login to pay the process's one-time costs), in %d rounds with the libraries taking turns so that the server's warm-up and changes in the machine's load do not fall on one library; gojabber and mellium also send their initial presence inside the timed part, as go-xmpp and gosrc do inside their connect call. SASL is the strongest mechanism each library implements that the server accepts from a Go TLS 1.3 client (the SASL column says why when it is not the strongest offered); login time depends on it (ejabberd stores plain passwords and runs PBKDF2 for every SCRAM login, PLAIN costs it nothing), so compare rows with the same mechanism. `prosody-nagle`: Prosody with its default network settings (see Servers).\n\n", r.Run.Logins, r.Run.LoginRounds)
	p("| server | library | SASL | p25 ms | median ms | p90 ms | vs best peer (median) |\n|---|---|---|---:|---:|---:|---:|\n")
	for _, w := range r.Login {
		p("| %s | %s | %s | %s | %s | %s | %s |\n", w.Server, w.Lib, w.Mechanism, num(p25(w.Samples), w.Error), num(w.MedianMs, w.Error), num(w.P90Ms, w.Error), vsBest(r.Login, w, func(x workerResult) float64 { return x.MedianMs }))
	}
	p("\n![login](results/login.png)\n\n")

	p("## Round trip\n\n")
	p("%d chat messages (%d against ejabberd, which runs several times faster) from user a to user b through each server, b echoing each back, at most 32 in flight; both clients of the same library in one process (`-mode roundtrip`). Each library runs %d times per server, the libraries taking turns; the table shows the run with the median CPU per message, and the range over the runs. On Prosody every run has a fresh pair of users (`rt-<library>-<run>-a`/`-b`) and archiving stays on; on ejabberd the pair is `rt-<library>-a`/`-b` with archiving off (see Servers). CPU is the worker process's getrusage (RUSAGE_SELF) user+sys over the timed part, per round trip (2 sends + 2 receives, both clients, plus the one goroutine the benchmark starts per echo); messages/s is round trips per wall-clock second. The server runs on the same 2 CPUs, so messages/s measures the server and the machine's load as much as the library. CPU per message is the library's own number, but it also depends on how fast the server delivers (when messages trickle in, each read carries fewer stanzas and goroutines park and wake more often per message), so compare libraries within one server.\n\n", r.Run.Messages, r.Run.EjabberdMessages, r.Run.Repeats)
	p("| server | library | messages/s (range) | client CPU µs/message (range) | vs best peer (CPU) |\n|---|---|---:|---:|---:|\n")
	for _, w := range r.RoundTrip {
		n := ""
		if w.N != r.Run.Messages && !(w.Server == "ejabberd" && w.N == r.Run.EjabberdMessages) {
			n = fmt.Sprintf(" (%d messages)", w.N)
		}
		p("| %s | %s%s | %s%s | %s%s | %s |\n", w.Server, w.Lib, n, num(w.PerSec, w.Error), span(w.RateRuns), num(w.CPUusPer, w.Error), span(w.CPURuns),
			vsBest(r.RoundTrip, w, func(x workerResult) float64 { return x.CPUusPer }))
	}
	p("\n![cpu](results/roundtrip-cpu.png) ![rate](results/roundtrip-rate.png)\n\n")

	p("## Idle sessions\n\n")
	p("Logged-in idle sessions, each library in its own process (`-mode idle`), 8 logins at a time; then HeapInuse+StackInuse after `runtime.GC` (and `debug.FreeOSMemory`) minus the same before the first login, divided by the number of sessions. Every library keeps its receive loop running (gojabber: its own reader and handler goroutines, go-xmpp: a goroutine calling `Recv`, mellium: `Serve`, gosrc: its own).\n\n")
	p("- **With TLS: Prosody, %d sessions per library, one user each** (`idle0000`…, created in one Lua loop through Prosody's admin shell), STARTTLS, TLS 1.3, the login table's SASL mechanism, initial presence sent. One user per session because with %d resources of a single user Prosody sends every new session's presence to all of that user's other sessions: O(n²) stanzas, which slowed the logins so much that earlier versions of this report measured only 200 TLS sessions, and which also inflate what each client holds.\n", r.Run.TLSSessions, r.Run.TLSSessions)
	p("- **Without TLS: the scripted loopback server** (`internal/scripted`), %d sessions per library, SASL PLAIN, because the scripts' Prosody and ejabberd require TLS. It sends nothing after the bind result.\n", r.Run.Sessions)
	p("- The worker raises RLIMIT_NOFILE to its hard limit and refuses to start when that is below the sessions; Prosody, started by `runall`, inherits the raised limit.\n\n")
	p("| server | TLS | library | sessions | bytes/session | heap | stack | goroutines/session | vs best peer |\n|---|---|---|---:|---:|---:|---:|---:|---:|\n")
	for _, w := range r.Idle {
		p("| %s | %v | %s | %d | %s | %s | %s | %s | %s |\n", w.Server, w.TLS, w.Lib, w.N, num(w.BytesPer, w.Error), num(w.HeapPer, w.Error), num(w.StackPer, w.Error), num(w.Goroutine, w.Error),
			vsBest(r.Idle, w, func(x workerResult) float64 { return x.BytesPer }))
	}
	p("\n![idle](results/idle.png)\n\n")
	for _, w := range r.Sites {
		r.sitesTable(&b, w)
	}
	p("## Targets\n\n")
	b.WriteString(r.targets())
	p("\n### Causes of the misses\n\n")
	b.WriteString(r.causes())
	return b.Bytes()
}

// sitesTable writes what one gojabber idle session is made of.
func (r *report) sitesTable(b *bytes.Buffer, w workerResult) {
	p := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	if w.Error != "" || len(w.Sites) == 0 {
		return
	}
	tls := "without TLS"
	if w.TLS {
		tls = "with TLS"
	}
	var live float64
	for _, s := range w.Sites {
		live += s.Bytes
	}
	p("### What a gojabber session holds, %s (%s)\n\n", tls, w.Server)
	p("A separate run of %d sessions (`-sites`: `runtime.MemProfileRate = 1`, so every allocation is recorded; the live objects after GC minus those before, per session, grouped by the allocating function and the first gojabber frame that led to it). This run: %.0f bytes/session (heap %.0f, stack %.0f); the live objects below add up to %.0f bytes; the rest of the heap figure, %.0f bytes, is free space in partly used spans (size classes, fragmentation).\n\n",
		w.N, w.BytesPer, w.HeapPer, w.StackPer, live, w.HeapPer-live)
	p("| bytes/session | objects/session | allocated in | from (gojabber) |\n|---:|---:|---|---|\n")
	var rest, restObj float64
	var restN int
	for _, s := range w.Sites {
		if s.Bytes < 100 {
			rest += s.Bytes
			restObj += s.Objects
			restN++
			continue
		}
		alloc := s.Alloc
		if alloc == "runtime.malg" {
			alloc = "runtime.malg (goroutine descriptors)"
		}
		p("| %.0f | %.2f | `%s` | %s |\n", s.Bytes, s.Objects, alloc, code(s.Caller))
	}
	if restN > 0 {
		p("| %.0f | %.2f | %d other sites under 100 bytes each | |\n", rest, restObj, restN)
	}
	p("| %.0f | | goroutine stacks (StackInuse) | ", w.StackPer)
	var gs []string
	for _, g := range w.Goroutines {
		gs = append(gs, fmt.Sprintf("%s ×%.2f", code(g.Func), g.Count))
	}
	p("%s |\n\n", strings.Join(gs, ", "))
}

// span formats the range of a repeated measurement: " (lo–hi)".
func span(v []float64) string {
	if len(v) < 2 {
		return ""
	}
	return fmt.Sprintf(" (%s–%s)", num(slices.Min(v), ""), num(slices.Max(v), ""))
}

// rangeOf formats the range of a repeated measurement: "lo–hi".
func rangeOf(v []float64) string {
	if len(v) == 0 {
		return ""
	}
	return num(slices.Min(v), "") + "–" + num(slices.Max(v), "")
}

// p25 returns the first quartile of login samples.
func p25(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(v))
	return s[len(s)/4]
}

func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + s + "`"
}

// site returns the bytes per session of the first site whose allocating
// function and caller contain alloc and caller.
func site(w workerResult, alloc, caller string) float64 {
	for _, s := range w.Sites {
		if strings.Contains(s.Alloc, alloc) && strings.Contains(s.Caller, caller) {
			return s.Bytes
		}
	}
	return 0
}

func (r *report) causes() string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	missed := map[string]bool{}
	for _, t := range r.targetRows() {
		if !t.ok {
			missed[t.kind] = true
		}
	}
	if len(missed) == 0 {
		p("None.\n")
		return b.String()
	}
	if missed["decode"] {
		p("- **Decode ≥ 10×**: gojabber allocates about 2 times per stanza against 87–132 for the encoding/xml-based paths, so the gap is no longer allocation; the remaining time is the tokenizer's own work per byte (start tags, names, attribute values) and the checks encoding/xml does not make (UTF-8 and the XML Char production on every byte, duplicate attributes, the stanza size and depth limits). The session rows also include loopback TCP and, for gojabber, the hand-off of every stanza from the reader goroutine to the handler goroutine: its session row costs %.0f ns/stanza against %.0f in memory. This run uses `-benchtime %s`; the root BENCHMARKS.md has longer runs of the codec alone.\n", decNs(r, "gojabber-session"), decNs(r, "gojabber"), r.Run.Benchtime)
	}
	var plain, withTLS workerResult
	for _, w := range r.Sites {
		if w.TLS {
			withTLS = w
		} else {
			plain = w
		}
	}
	if missed["idle-plain"] {
		live := sumSites(plain)
		var gs []string
		for _, g := range plain.Goroutines {
			gs = append(gs, fmt.Sprintf("`%s`", g.Func))
		}
		p("- **Idle session ≤ 4 KB without TLS** (the allocation-site table above, %d sessions): %.0f bytes/session = %.0f of goroutine stacks (%.0f goroutines per session: %s) + %.0f of live heap objects in %d allocation sites + %.0f of free space in partly used heap spans. The largest live objects:",
			plain.N, plain.BytesPer, plain.StackPer, plain.Goroutine, strings.Join(gs, ", "), live, len(plain.Sites), plain.HeapPer-live)
		for i, st := range plain.Sites {
			if i == 5 {
				break
			}
			p(" %.0f bytes in `%s`%s;", st.Bytes, st.Alloc, strings.TrimSuffix(" ("+st.Caller+")", " ()"))
		}
		if q := queueSite(plain); q.Bytes > 0 {
			p(" the biggest, in `newClient`, is the handler queue `make(chan Stanza, Options.HandlerQueue)`, 256 slots of 16 bytes allocated at login whether or not a stanza ever waits (%.0f bytes: a pointer-holding object over 512 bytes carries an 8-byte malloc header, which pushes 4,096 bytes into the 4,864-byte size class).", q.Bytes)
		}
		p(" 4 KB leaves room for one goroutine parked in `Read` (at least 2 KiB of stack plus its descriptor of about 480 bytes) and about 1.5 KB for everything else, so no single item explains the miss: it needs a queue allocated on first use, one goroutine while idle (the handler goroutine started on demand) and per-session structs (Client, Tokenizer, Decoder, Encoder, namespace and intern tables) of about 1.5 KB together.\n")
	}
	if missed["idle-tls"] {
		var tlsBytes float64
		for _, s := range withTLS.Sites {
			if strings.Contains(s.Caller, "handshake") || strings.Contains(s.Alloc, "tls.") || strings.Contains(s.Alloc, "Clone") {
				tlsBytes += s.Bytes
			}
		}
		share := func(lib string) (tlsRow, plainRow float64) {
			for _, w := range r.Idle {
				if w.Lib == lib && w.Error == "" {
					if w.TLS {
						tlsRow = w.BytesPer
					} else {
						plainRow = w.BytesPer
					}
				}
			}
			return
		}
		p("- **Idle session with TLS below every peer**: a gojabber session with TLS holds everything it holds without (see above) plus what crypto/tls keeps for the connection: %.0f bytes/session of live objects in the sites whose caller is `negotiator.handshake` or that clone a `tls.Config` (the `tls.Conn`, its record buffers, the AES-GCM state, and two `tls.Config` clones, one in `Options.withDefaults` and one in `negotiate`), and a parser token slice grown to %.0f bytes by the largest element seen during negotiation (Prosody's stream features), still held when idle. TLS row minus plaintext row per library:",
			tlsBytes, tokens(withTLS))
		for _, lib := range []string{"gojabber", "go-xmpp", "mellium", "gosrc"} {
			if t, pl := share(lib); t > 0 && pl > 0 {
				p(" %s %.0f (%.0f − %.0f);", lib, t-pl, t, pl)
			}
		}
		p(" the servers differ too (Prosody pushes the session's own presence back; the scripted server sends nothing), so these differences are approximate.")
		var o, bestPeer workerResult
		for _, w := range r.Idle {
			if w.Server == "prosody" && w.TLS && w.Error == "" {
				if w.Lib == "gojabber" {
					o = w
				} else if bestPeer.Lib == "" || w.BytesPer < bestPeer.BytesPer {
					bestPeer = w
				}
			}
		}
		queue, g, toks, clone := queueSite(withTLS).Bytes, site(withTLS, "runtime.malg", ""), tokens(withTLS), site(withTLS, "Clone", "negotiate")
		if o.Lib != "" && bestPeer.Lib != "" {
			p(" gojabber is %.0f bytes/session above %s. Items of gojabber's own that an idle session does not need: the handler queue (%.0f), the handler goroutine (about %.0f of stack and descriptor), the token slice beyond its plaintext size (%.0f), the second `tls.Config` clone (%.0f): %.0f bytes together.\n",
				o.BytesPer-bestPeer.BytesPer, bestPeer.Lib, queue, withTLS.StackPer/2+g/2, toks-tokens(plain), clone, queue+withTLS.StackPer/2+g/2+toks-tokens(plain)+clone)
		} else {
			p("\n")
		}
	}
	if missed["login"] {
		for _, t := range r.targetRows() {
			if t.kind == "login" && !t.ok {
				p("- **%s**: %s. %s\n", t.target, t.result, t.why)
			}
		}
	}
	if missed["cpu"] {
		for _, t := range r.targetRows() {
			if t.kind == "cpu" && !t.ok {
				p("- **%s**: %s. %s\n", t.target, t.result, t.why)
			}
		}
	}
	return b.String()
}

func decNs(r *report, lib string) float64 {
	for _, d := range r.Decode {
		if d.Lib == lib {
			return d.NsPerStanza
		}
	}
	return 0
}

// queueSite returns the handler queue's allocation: the two objects
// (channel and buffer) of 4 KiB or more that newClient allocates.
func queueSite(w workerResult) (q struct{ Bytes, Objects float64 }) {
	for _, s := range w.Sites {
		if s.Alloc == "xmpp.newClient" && s.Bytes >= 4096 && s.Objects > 1.9 && s.Objects < 2.1 {
			q.Bytes, q.Objects = s.Bytes, s.Objects
			return q
		}
	}
	return q
}

// tokens returns the bytes of the parser's token slice (allocated in
// addDirty, or in grow since the parser got its own growth function).
func tokens(w workerResult) float64 {
	return site(w, "(*Parser).addDirty", "") + site(w, "xmltok.grow", "")
}

func sumSites(w workerResult) float64 {
	var t float64
	for _, s := range w.Sites {
		t += s.Bytes
	}
	return t
}

func num(v float64, err string) string {
	if err != "" {
		return "error: " + strings.ReplaceAll(err, "|", "/")
	}
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// vsBest returns w's value over the best (lowest) peer value in the same
// group (server and TLS), for gojabber; for peers, the value over gojabber's.
func vsBest(all []workerResult, w workerResult, f func(workerResult) float64) string {
	if w.Error != "" {
		return ""
	}
	var ours float64
	best := 0.0
	for _, x := range all {
		if x.Server != w.Server || x.TLS != w.TLS || x.Error != "" {
			continue
		}
		if x.Lib == "gojabber" {
			ours = f(x)
		} else if best == 0 || f(x) < best {
			best = f(x)
		}
	}
	if w.Lib == "gojabber" {
		if best == 0 {
			return ""
		}
		return fmt.Sprintf("%.2f× best peer", ours/best)
	}
	if ours == 0 {
		return ""
	}
	return fmt.Sprintf("%.2f× gojabber", f(w)/ours)
}

type targetRow struct {
	kind, target, result string
	ok                   bool
	why                  string // for a missed login target
}

func (r *report) targets() string {
	var b strings.Builder
	b.WriteString("| target | result | |\n|---|---|---|\n")
	for _, t := range r.targetRows() {
		s := "met"
		if !t.ok {
			s = "**missed**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", t.target, t.result, s)
	}
	return b.String()
}

func (r *report) targetRows() []targetRow {
	var rows []targetRow
	row := func(kind, target, result string, ok bool) *targetRow {
		rows = append(rows, targetRow{kind: kind, target: target, result: result, ok: ok})
		return &rows[len(rows)-1]
	}
	dec := map[string]decodeResult{}
	for _, d := range r.Decode {
		dec[d.Lib] = d
	}
	if o, ok := dec["gojabber"]; ok {
		for _, peer := range []string{"encoding-xml", "gosrc-nocarbons", "go-xmpp-session", "mellium-session"} {
			d, ok := dec[peer]
			if !ok {
				continue
			}
			base := o
			switch {
			case strings.HasSuffix(peer, "-nocarbons"):
				base = dec["gojabber-nocarbons"]
			case strings.HasSuffix(peer, "-session"):
				base = dec["gojabber-session"]
			}
			x := d.NsPerStanza / base.NsPerStanza
			row("decode", "decode ≥ 10× "+peer, fmt.Sprintf("%.1f× (%s %.0f ns/stanza vs %s %.0f)", x, base.Lib, base.NsPerStanza, peer, d.NsPerStanza), x >= 10)
		}
		row("allocs", "decode ≤ 3 allocs/stanza", fmt.Sprintf("%.2f", o.AllocsPer), o.AllocsPer <= 3)
	}
	best := func(ws []workerResult, server string, tls bool, f func(workerResult) float64) (ours, peer workerResult) {
		for _, w := range ws {
			if w.Server != server || w.TLS != tls || w.Error != "" {
				continue
			}
			if w.Lib == "gojabber" {
				ours = w
			} else if peer.Lib == "" || f(w) < f(peer) {
				peer = w
			}
		}
		return
	}
	med := func(w workerResult) float64 { return w.MedianMs }
	for _, srv := range []string{"prosody", "ejabberd"} {
		o, pw := best(r.Login, srv, true, med)
		if o.Lib == "" || pw.Lib == "" {
			continue
		}
		t := row("login", "login no worse than best peer ("+srv+")",
			fmt.Sprintf("%.1f ms vs %s %.1f ms (%.2f×)", o.MedianMs, pw.Lib, pw.MedianMs, o.MedianMs/pw.MedianMs), o.MedianMs <= pw.MedianMs)
		if !t.ok {
			mech := func(m string) string { return strings.TrimSpace(strings.SplitN(m, "(", 2)[0]) }
			if mech(o.Mechanism) != mech(pw.Mechanism) {
				t.why = fmt.Sprintf("The best peer uses %s, gojabber %s, so the two logins do different work: ", mech(pw.Mechanism), mech(o.Mechanism))
				if srv == "ejabberd" {
					t.why += "ejabberd stores plain passwords and runs PBKDF2 for every SCRAM login, while PLAIN costs it a string comparison."
				} else {
					t.why += "with SCRAM the client runs PBKDF2 over the server's iteration count (10,000 for Prosody's stored keys) and SASL takes two round trips; with PLAIN, Prosody runs that PBKDF2 itself and SASL takes one."
				}
				t.why += " gojabber picks the strongest mechanism the server offers on purpose (PLAIN only inside TLS, and only when nothing stronger is offered)."
				// Same mechanism, fastest peer with it:
				var same workerResult
				for _, w := range r.Login {
					if w.Server == srv && w.Lib != "gojabber" && w.Error == "" && mech(w.Mechanism) == mech(o.Mechanism) && (same.Lib == "" || w.MedianMs < same.MedianMs) {
						same = w
					}
				}
				if same.Lib != "" {
					t.why += fmt.Sprintf(" With the same mechanism, %s takes %.1f ms (gojabber %.2f×).", same.Lib, same.MedianMs, o.MedianMs/same.MedianMs)
				}
			} else {
				t.why = fmt.Sprintf("Same mechanism (%s), medians of %d logins on a shared 2-CPU machine (p25: gojabber %.1f ms, %s %.1f ms; p90: gojabber %.1f ms, %s %.1f ms). A gojabber login makes no round trip beyond the protocol's (its DebugWriter trace: stream header, STARTTLS, TLS handshake, stream header, SCRAM auth and response, stream header, bind; no legacy session IQ, no roster or disco before Dial returns), and the client's PBKDF2 over the server's 10,000 iterations is the same work for every SCRAM-SHA-1 client (gosrc, with PLAIN, skips it); what remains, %.1f ms at the median, is neither a round trip nor PBKDF2, and is smaller than the spread of each library's own logins (p25 to p90). A CPU profile of the login worker (`peerworker -mode login -cpuprofile`) puts nearly all of gojabber's client CPU in PBKDF2 and the TLS handshake, as for go-xmpp.", mech(o.Mechanism), r.Run.Logins, p25(o.Samples), pw.Lib, p25(pw.Samples), o.P90Ms, pw.Lib, pw.P90Ms, o.MedianMs-pw.MedianMs)
			}
		}
	}
	cpu := func(w workerResult) float64 { return w.CPUusPer }
	for _, srv := range []string{"prosody", "ejabberd"} {
		if o, pw := best(r.RoundTrip, srv, true, cpu); o.Lib != "" && pw.Lib != "" {
			t := row("cpu", "client CPU/message no worse than best peer ("+srv+")", fmt.Sprintf("%.0f µs vs %s %.0f µs (%.2f×)", o.CPUusPer, pw.Lib, pw.CPUusPer, o.CPUusPer/pw.CPUusPer), o.CPUusPer <= pw.CPUusPer)
			if !t.ok {
				t.why = fmt.Sprintf("Over the %d runs gojabber took %s µs and %s %s µs", len(o.CPURuns), rangeOf(o.CPURuns), pw.Lib, rangeOf(pw.CPURuns))
				if len(o.CPURuns) > 1 && len(pw.CPURuns) > 1 && slices.Min(o.CPURuns) <= slices.Max(pw.CPURuns) {
					t.why += ": the ranges overlap, so this run does not separate the two libraries."
				} else {
					t.why += ": gojabber is slower in every run. A likely cause: its session runs two goroutines (reader and handler), so each inbound stanza costs a hand-off the single-goroutine peers do not pay."
				}
			}
		}
	}
	bytesPer := func(w workerResult) float64 { return w.BytesPer }
	if o, pw := best(r.Idle, "scripted", false, bytesPer); o.Lib != "" {
		row("idle-plain", "idle session ≤ 4 KB without TLS", fmt.Sprintf("%.0f B = %.1f× 4,096 B (best peer %s %.0f B)", o.BytesPer, o.BytesPer/4096, pw.Lib, pw.BytesPer), o.BytesPer <= 4096)
	}
	if o, pw := best(r.Idle, "prosody", true, bytesPer); o.Lib != "" && pw.Lib != "" {
		row("idle-tls", "idle session with TLS below every peer", fmt.Sprintf("%.0f B vs %s %.0f B (%.2f×)", o.BytesPer, pw.Lib, pw.BytesPer, o.BytesPer/pw.BytesPer), o.BytesPer < pw.BytesPer)
	}
	return rows
}
