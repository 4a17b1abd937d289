package xmpp

import (
	"cmp"
	"context"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
)

// defaultClientPort is the port of the fallback connection when DNS has no
// SRV records for a domain (RFC 6120 §3.2.2, §14.7).
const defaultClientPort = 5222

// dialTarget is one place to connect to for a domain's client service.
type dialTarget struct {
	// Host is a host name without a trailing dot, or an IP address without
	// brackets: ready for net.JoinHostPort.
	Host string
	Port uint16
	// DirectTLS means TLS starts as soon as the TCP connection is up
	// (XEP-0368); otherwise the stream starts in the clear and is upgraded
	// with STARTTLS (RFC 6120 §5).
	DirectTLS bool
}

// srvSet is what the SRV lookup of one service found.
type srvSet struct {
	recs []*net.SRV
	// unavailable is set when the answer was a single record with the
	// target ".": the service is "decidedly not available" (RFC 2782).
	unavailable bool
}

// resolveTargets returns the places to connect to for domain's XMPP client
// service, in the order to try them. It looks up the _xmpps-client._tcp
// (direct TLS, XEP-0368) and _xmpp-client._tcp (STARTTLS, RFC 6120 §3.2.1)
// SRV records concurrently with r, or net.DefaultResolver if r is nil.
//
// The records of both services form one set, ordered by RFC 2782: by
// ascending priority, and by weighted random selection within a priority,
// as XEP-0368 §3 rule 1 asks ("all priorities and weights are mixed") so
// that the server operator decides between direct TLS and STARTTLS. Where
// RFC 2782 leaves the order free, which is among records of equal priority
// and weight 0, direct TLS records come first: XEP-0368 §3 lets a client
// prefer one kind, and direct TLS saves a round trip and cannot be
// stripped. Duplicate targets are dropped, keeping the first.
//
// A service whose answer is a single record with target "." is not offered
// (RFC 2782 usage rules; RFC 6120 §3.2.1 step 3 says to abort SRV processing
// for _xmpp-client). The fallback to {domain, 5222, STARTTLS} of RFC 6120
// §3.2.2 is used only when neither lookup found anything (no such name, no
// records, or a failed lookup). Once either service has published SRV
// records, including ".", there is no fallback: XEP-0368 §5 forbids the
// A/AAAA fallback after "." for _xmpps-client, and a "." for _xmpp-client
// explicitly says the domain offers no client service. So the result is
// empty exactly when the domain says it offers no client service, and the
// caller should report that rather than dial anything.
//
// A domain that is an IP address, with or without brackets, has no SRV
// records; it gets the fallback without any DNS query.
//
// Lookup errors are only a reason to fall back, so resolveTargets returns
// none; a cancelled ctx also falls back and the caller's dial then fails.
func resolveTargets(ctx context.Context, r *net.Resolver, domain string) []dialTarget {
	host := strings.TrimSuffix(domain, ".")
	if ip, ok := ipLiteral(host); ok {
		return []dialTarget{{Host: ip, Port: defaultClientPort}}
	}
	fallback := []dialTarget{{Host: host, Port: defaultClientPort}}
	if host == "" {
		return fallback
	}
	if r == nil {
		r = net.DefaultResolver
	}

	var direct, starttls srvSet
	var wg sync.WaitGroup
	wg.Go(func() { direct = lookupSRV(ctx, r, "xmpps-client", host) })
	starttls = lookupSRV(ctx, r, "xmpp-client", host)
	wg.Wait()

	if len(direct.recs) == 0 && len(starttls.recs) == 0 {
		if direct.unavailable || starttls.unavailable {
			return nil
		}
		return fallback
	}

	// Direct TLS first, so that it wins where the order is free.
	all := slices.Concat(direct.recs, starttls.recs)
	isDirect := make(map[*net.SRV]bool, len(direct.recs))
	for _, rec := range direct.recs {
		isDirect[rec] = true
	}
	type key struct {
		host   string
		port   uint16
		direct bool
	}
	seen := make(map[key]bool, len(all))
	targets := make([]dialTarget, 0, len(all))
	for _, rec := range orderSRV(all, rand.IntN) {
		t := dialTarget{Host: strings.TrimSuffix(rec.Target, "."), Port: rec.Port, DirectTLS: isDirect[rec]}
		k := key{strings.ToLower(t.Host), t.Port, t.DirectTLS}
		if seen[k] {
			continue
		}
		seen[k] = true
		targets = append(targets, t)
	}
	return targets
}

// lookupSRV looks up the SRV records of service over TCP at domain. It drops
// records with the target "." from a larger set, where they mean nothing.
func lookupSRV(ctx context.Context, r *net.Resolver, service, domain string) srvSet {
	// On an error LookupSRV may still return the well-formed records of
	// the answer; they are as good as any.
	_, recs, _ := r.LookupSRV(ctx, service, "tcp", domain)
	if len(recs) == 1 && isRoot(recs[0].Target) {
		return srvSet{unavailable: true}
	}
	return srvSet{recs: slices.DeleteFunc(recs, func(rec *net.SRV) bool { return isRoot(rec.Target) })}
}

func isRoot(target string) bool { return target == "." || target == "" }

// ipLiteral reports whether host is an IP address, possibly in brackets
// as an IPv6 domainpart is written (RFC 7622 §3.2), and returns it without
// them.
func ipLiteral(host string) (string, bool) {
	s := host
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1]
	}
	if _, err := netip.ParseAddr(s); err != nil {
		return "", false
	}
	return s, true
}

// orderSRV returns recs in the order RFC 2782 says to try them: by
// ascending priority and, within a priority, by repeated weighted random
// selection. Each round puts the records of weight 0 first, sums the
// weights, draws x = rnd(sum+1), uniform in [0, sum], and picks the first
// record whose running sum of weights is at least x; so a record of weight
// 0 is picked with probability 1/(sum+1) while others of non-zero weight
// remain, and records that all weigh 0 keep their input order. rnd(n) must
// return an int in [0, n), like rand.IntN. recs is not modified.
func orderSRV(recs []*net.SRV, rnd func(n int) int) []*net.SRV {
	rest := slices.Clone(recs)
	slices.SortStableFunc(rest, func(a, b *net.SRV) int { return cmp.Compare(a.Priority, b.Priority) })
	out := make([]*net.SRV, 0, len(rest))
	for len(rest) > 0 {
		n := 1
		for n < len(rest) && rest[n].Priority == rest[0].Priority {
			n++
		}
		group := rest[:n]
		rest = rest[n:]
		slices.SortStableFunc(group, func(a, b *net.SRV) int {
			return cmp.Compare(min(a.Weight, 1), min(b.Weight, 1))
		})
		for len(group) > 0 {
			sum := 0
			for _, rec := range group {
				sum += int(rec.Weight)
			}
			x := min(max(rnd(sum+1), 0), sum)
			i, running := 0, 0
			for i = range group {
				running += int(group[i].Weight)
				if running >= x {
					break
				}
			}
			out = append(out, group[i])
			group = slices.Delete(group, i, i+1)
		}
	}
	return out
}
