package xmpp

import (
	"cmp"
	"context"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/gojabber/xmpp/xmpptest/dnstest"
)

func srv(prio, weight, port uint16, target string) *net.SRV {
	return &net.SRV{Target: target, Port: port, Priority: prio, Weight: weight}
}

// scripted returns a rnd for orderSRV that returns vals in turn and checks
// each is in range.
func scripted(t *testing.T, vals ...int) func(int) int {
	return func(n int) int {
		t.Helper()
		if len(vals) == 0 {
			t.Fatalf("rnd(%d) called more often than scripted", n)
		}
		v := vals[0]
		vals = vals[1:]
		if v < 0 || v >= n {
			t.Fatalf("scripted rnd(%d) = %d, out of range", n, v)
		}
		return v
	}
}

func lowest(int) int    { return 0 }
func highest(n int) int { return n - 1 }

func targetsOf(recs []*net.SRV) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Target
	}
	return out
}

func TestOrderSRV(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		recs []*net.SRV
		rnd  func(*testing.T) func(int) int
		want []string
	}{{
		name: "empty",
		rnd:  func(*testing.T) func(int) int { return lowest },
		want: []string{},
	}, {
		name: "priority ascending",
		recs: []*net.SRV{srv(20, 0, 1, "b"), srv(10, 0, 1, "a"), srv(30, 0, 1, "c"), srv(0, 0, 1, "z")},
		rnd:  func(*testing.T) func(int) int { return lowest },
		want: []string{"z", "a", "b", "c"},
	}, {
		name: "all weight 0 keeps input order",
		recs: []*net.SRV{srv(5, 0, 1, "c"), srv(5, 0, 1, "a"), srv(5, 0, 1, "b")},
		rnd:  func(*testing.T) func(int) int { return highest },
		want: []string{"c", "a", "b"},
	}, {
		name: "weighted lowest draw",
		recs: []*net.SRV{srv(10, 1, 1, "a"), srv(10, 3, 1, "b"), srv(10, 6, 1, "c")},
		rnd:  func(*testing.T) func(int) int { return lowest },
		want: []string{"a", "b", "c"},
	}, {
		name: "weighted highest draw",
		recs: []*net.SRV{srv(10, 1, 1, "a"), srv(10, 3, 1, "b"), srv(10, 6, 1, "c")},
		rnd:  func(*testing.T) func(int) int { return highest },
		want: []string{"c", "b", "a"},
	}, {
		// Running sums 10, 30, 60: 15 picks b; then 10, 40: 10 picks a.
		name: "weighted scripted draws",
		recs: []*net.SRV{srv(0, 10, 1, "a"), srv(0, 20, 1, "b"), srv(0, 30, 1, "c")},
		rnd:  func(t *testing.T) func(int) int { return scripted(t, 15, 10, 0) },
		want: []string{"b", "a", "c"},
	}, {
		// Running sums 10, 30: 11 is past a's sum, so b.
		name: "running sum boundary",
		recs: []*net.SRV{srv(0, 10, 1, "a"), srv(0, 20, 1, "b")},
		rnd:  func(t *testing.T) func(int) int { return scripted(t, 11, 0) },
		want: []string{"b", "a"},
	}, {
		name: "weight 0 first on draw 0",
		recs: []*net.SRV{srv(0, 5, 1, "a"), srv(0, 0, 1, "z")},
		rnd:  func(*testing.T) func(int) int { return lowest },
		want: []string{"z", "a"},
	}, {
		name: "weight 0 last otherwise",
		recs: []*net.SRV{srv(0, 0, 1, "z"), srv(0, 5, 1, "a")},
		rnd:  func(t *testing.T) func(int) int { return scripted(t, 1, 0) },
		want: []string{"a", "z"},
	}, {
		name: "weights per priority",
		recs: []*net.SRV{srv(2, 1, 1, "d"), srv(1, 1, 1, "a"), srv(2, 9, 1, "c"), srv(1, 9, 1, "b")},
		rnd:  func(*testing.T) func(int) int { return highest },
		want: []string{"b", "a", "c", "d"},
	}, {
		name: "single root target",
		recs: []*net.SRV{srv(0, 0, 0, ".")},
		rnd:  func(*testing.T) func(int) int { return lowest },
		want: []string{"."},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := slices.Clone(tt.recs)
			got := targetsOf(orderSRV(tt.recs, tt.rnd(t)))
			if !slices.Equal(got, tt.want) {
				t.Errorf("orderSRV(%v) = %v, want %v", targetsOf(in), got, tt.want)
			}
			if !slices.Equal(tt.recs, in) {
				t.Errorf("orderSRV modified its input: %v, was %v", targetsOf(tt.recs), targetsOf(in))
			}
		})
	}
}

// TestOrderSRVWeightedStatistics checks the distribution of the first pick
// within one priority: RFC 2782's draw in [0, sum] gives weight 0 a chance
// of 1/(sum+1) and weight w one of w/(sum+1).
func TestOrderSRVWeightedStatistics(t *testing.T) {
	t.Parallel()
	recs := []*net.SRV{srv(0, 10, 1, "a"), srv(0, 0, 1, "z"), srv(0, 30, 1, "b"), srv(0, 60, 1, "c")}
	want := map[string]float64{"z": 1.0 / 101, "a": 10.0 / 101, "b": 30.0 / 101, "c": 60.0 / 101}
	rnd := rand.New(rand.NewPCG(1, 2)).IntN
	const draws = 2000
	count := map[string]int{}
	for range draws {
		got := orderSRV(recs, rnd)
		if len(got) != len(recs) {
			t.Fatalf("orderSRV returned %d records, want %d", len(got), len(recs))
		}
		count[got[0].Target]++
	}
	for target, p := range want {
		if got := float64(count[target]) / draws; got < p-0.04 || got > p+0.04 {
			t.Errorf("first pick %q: frequency %.3f, want %.3f ± 0.04 (counts %v)", target, got, p, count)
		}
	}
}

func startDNS(t *testing.T) *dnstest.Server {
	t.Helper()
	s, err := dnstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

const (
	xmppsName = "_xmpps-client._tcp.example.test"
	xmppName  = "_xmpp-client._tcp.example.test"
)

func TestResolveTargets(t *testing.T) {
	t.Parallel()
	fallback := []dialTarget{{"example.test", 5222, false}}
	tests := []struct {
		name   string
		domain string
		setup  func(s *dnstest.Server)
		want   []dialTarget
	}{{
		name: "both services merged by priority",
		setup: func(s *dnstest.Server) {
			s.AddSRV(xmppName, 10, 0, 5222, "c.example.test.")
			s.AddSRV(xmppsName, 20, 0, 5223, "d.example.test.")
			s.AddSRV(xmppsName, 5, 0, 443, "a.example.test.")
			s.AddSRV(xmppName, 5, 0, 5222, "b.example.test.")
		},
		want: []dialTarget{
			{"a.example.test", 443, true},
			{"b.example.test", 5222, false},
			{"c.example.test", 5222, false},
			{"d.example.test", 5223, true},
		},
	}, {
		name:  "only xmpp-client",
		setup: func(s *dnstest.Server) { s.AddSRV(xmppName, 0, 0, 5269, "xmpp.example.test") },
		want:  []dialTarget{{"xmpp.example.test", 5269, false}},
	}, {
		name:  "only xmpps-client",
		setup: func(s *dnstest.Server) { s.AddSRV(xmppsName, 0, 0, 443, "tls.example.test") },
		want:  []dialTarget{{"tls.example.test", 443, true}},
	}, {
		name:  "no records",
		setup: func(s *dnstest.Server) {},
		want:  fallback,
	}, {
		// NOERROR with an empty answer, rather than NXDOMAIN.
		name: "names exist without SRV records",
		setup: func(s *dnstest.Server) {
			s.AddA(xmppName, netip.MustParseAddr("192.0.2.1"))
			s.AddA(xmppsName, netip.MustParseAddr("192.0.2.1"))
		},
		want: fallback,
	}, {
		name: "lookups fail",
		setup: func(s *dnstest.Server) {
			s.SetRCode(xmppName, dnsmessage.RCodeServerFailure)
			s.SetRCode(xmppsName, dnsmessage.RCodeRefused)
		},
		want: fallback,
	}, {
		name: "one lookup fails",
		setup: func(s *dnstest.Server) {
			s.SetRCode(xmppsName, dnsmessage.RCodeServerFailure)
			s.AddSRV(xmppName, 0, 0, 5222, "xmpp.example.test")
		},
		want: []dialTarget{{"xmpp.example.test", 5222, false}},
	}, {
		name:   "trailing dot in domain",
		domain: "example.test.",
		setup:  func(s *dnstest.Server) { s.AddSRV(xmppName, 0, 0, 5222, "xmpp.example.test") },
		want:   []dialTarget{{"xmpp.example.test", 5222, false}},
	}, {
		name:   "trailing dot in domain, fallback",
		domain: "example.test.",
		setup:  func(s *dnstest.Server) {},
		want:   fallback,
	}, {
		name: "duplicates removed",
		setup: func(s *dnstest.Server) {
			s.AddSRV(xmppName, 10, 0, 5222, "xmpp.example.test")
			s.AddSRV(xmppName, 20, 0, 5222, "XMPP.example.test.")
			s.AddSRV(xmppsName, 30, 0, 5222, "xmpp.example.test")
		},
		want: []dialTarget{{"xmpp.example.test", 5222, false}, {"xmpp.example.test", 5222, true}},
	}, {
		name: "xmpps-client unavailable",
		setup: func(s *dnstest.Server) {
			s.AddSRV(xmppsName, 0, 0, 0, ".")
			s.AddSRV(xmppName, 0, 0, 5222, "xmpp.example.test")
		},
		want: []dialTarget{{"xmpp.example.test", 5222, false}},
	}, {
		name: "xmpp-client unavailable",
		setup: func(s *dnstest.Server) {
			s.AddSRV(xmppName, 0, 0, 0, ".")
			s.AddSRV(xmppsName, 0, 0, 443, "tls.example.test")
		},
		want: []dialTarget{{"tls.example.test", 443, true}},
	}, {
		// XEP-0368 §5: no A/AAAA fallback after "." for _xmpps-client.
		name:  "xmpps-client unavailable, no xmpp-client",
		setup: func(s *dnstest.Server) { s.AddSRV(xmppsName, 0, 0, 0, ".") },
		want:  nil,
	}, {
		// RFC 6120 §3.2.1: abort SRV processing; RFC 2782: not available.
		name:  "xmpp-client unavailable, no xmpps-client",
		setup: func(s *dnstest.Server) { s.AddSRV(xmppName, 0, 0, 0, ".") },
		want:  nil,
	}, {
		name: "both unavailable",
		setup: func(s *dnstest.Server) {
			s.AddSRV(xmppName, 0, 0, 0, ".")
			s.AddSRV(xmppsName, 0, 0, 0, ".")
		},
		want: nil,
	}, {
		name: "root target among others is skipped",
		setup: func(s *dnstest.Server) {
			s.AddSRV(xmppName, 0, 0, 0, ".")
			s.AddSRV(xmppName, 10, 0, 5222, "xmpp.example.test")
		},
		want: []dialTarget{{"xmpp.example.test", 5222, false}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startDNS(t)
			tt.setup(s)
			domain := cmp.Or(tt.domain, "example.test")
			got := resolveTargets(testContext(t), s.Resolver(), domain)
			if !slices.Equal(got, tt.want) {
				t.Errorf("resolveTargets(%q) = %v, want %v", domain, got, tt.want)
			}
			if s.Queries() == 0 {
				t.Errorf("resolveTargets(%q) sent no query to the test server", domain)
			}
		})
	}
}

// TestResolveTargetsMixesWeights checks that weights are compared across
// the two services (XEP-0368 §3 rule 1): a STARTTLS record of weight 99
// comes before a direct TLS record of weight 1 at the same priority nearly
// always (probability 99/101 per resolution).
func TestResolveTargetsMixesWeights(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	s.AddSRV(xmppsName, 0, 1, 443, "tls.example.test")
	s.AddSRV(xmppName, 0, 99, 5222, "xmpp.example.test")
	r := s.Resolver()
	ctx := testContext(t)
	const runs = 40
	starttlsFirst := 0
	for range runs {
		got := resolveTargets(ctx, r, "example.test")
		if len(got) != 2 {
			t.Fatalf("resolveTargets() = %v, want 2 targets", got)
		}
		if !got[0].DirectTLS {
			starttlsFirst++
		}
	}
	if starttlsFirst < runs/2 {
		t.Errorf("STARTTLS target first in %d of %d resolutions, want nearly all", starttlsFirst, runs)
	}
}

func TestResolveTargetsIPLiteral(t *testing.T) {
	t.Parallel()
	for domain, host := range map[string]string{
		"192.0.2.1":        "192.0.2.1",
		"[2001:db8::1]":    "2001:db8::1",
		"2001:db8::1":      "2001:db8::1",
		"[::ffff:1.2.3.4]": "::ffff:1.2.3.4",
	} {
		t.Run(domain, func(t *testing.T) {
			t.Parallel()
			s := startDNS(t)
			got := resolveTargets(testContext(t), s.Resolver(), domain)
			want := []dialTarget{{host, 5222, false}}
			if !slices.Equal(got, want) {
				t.Errorf("resolveTargets(%q) = %v, want %v", domain, got, want)
			}
			if n := s.Queries(); n != 0 {
				t.Errorf("resolveTargets(%q) sent %d DNS queries, want 0", domain, n)
			}
		})
	}
}

// TestResolveTargetsNilResolver only uses an IP literal, so that the
// default resolver is never asked anything.
func TestResolveTargetsNilResolver(t *testing.T) {
	t.Parallel()
	got := resolveTargets(t.Context(), nil, "127.0.0.1")
	want := []dialTarget{{"127.0.0.1", 5222, false}}
	if !slices.Equal(got, want) {
		t.Errorf("resolveTargets(nil resolver, 127.0.0.1) = %v, want %v", got, want)
	}
}

func TestResolveTargetsCanceled(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	s.AddSRV(xmppName, 0, 0, 5222, "xmpp.example.test")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	got := resolveTargets(ctx, s.Resolver(), "example.test")
	want := []dialTarget{{"example.test", 5222, false}}
	if !slices.Equal(got, want) {
		t.Errorf("resolveTargets(canceled ctx) = %v, want %v", got, want)
	}
}
