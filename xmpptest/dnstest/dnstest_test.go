package dnstest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

func start(t *testing.T) *Server {
	t.Helper()
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestSRV(t *testing.T) {
	t.Parallel()
	s := start(t)
	s.AddSRV("_xmpp-client._tcp.example.test", 10, 5, 5222, "a.example.test")
	s.AddSRV("_xmpp-client._tcp.Example.Test.", 20, 0, 5223, "b.example.test.")

	_, got, err := s.Resolver().LookupSRV(testCtx(t), "xmpp-client", "tcp", "EXAMPLE.test")
	if err != nil {
		t.Fatalf("LookupSRV() error = %v", err)
	}
	want := []*net.SRV{
		{Target: "a.example.test.", Port: 5222, Priority: 10, Weight: 5},
		{Target: "b.example.test.", Port: 5223, Priority: 20, Weight: 0},
	}
	if !slices.EqualFunc(got, want, func(a, b *net.SRV) bool { return *a == *b }) {
		t.Errorf("LookupSRV() = %v, want %v", deref(got), deref(want))
	}
	if n := s.Queries(); n != 1 {
		t.Errorf("Queries() = %d, want 1", n)
	}
}

func TestRootTarget(t *testing.T) {
	t.Parallel()
	s := start(t)
	s.AddSRV("_xmpps-client._tcp.example.test", 0, 0, 0, ".")

	_, got, err := s.Resolver().LookupSRV(testCtx(t), "xmpps-client", "tcp", "example.test")
	if err != nil {
		t.Fatalf("LookupSRV() error = %v", err)
	}
	if len(got) != 1 || got[0].Target != "." {
		t.Errorf("LookupSRV() = %v, want one record with target \".\"", deref(got))
	}
}

func TestAddresses(t *testing.T) {
	t.Parallel()
	s := start(t)
	s.AddA("host.example.test", netip.MustParseAddr("192.0.2.1"))
	s.AddAAAA("host.example.test", netip.MustParseAddr("2001:db8::1"))

	got, err := s.Resolver().LookupNetIP(testCtx(t), "ip", "host.example.test")
	if err != nil {
		t.Fatalf("LookupNetIP() error = %v", err)
	}
	slices.SortFunc(got, netip.Addr.Compare)
	want := []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")}
	if !slices.Equal(got, want) {
		t.Errorf("LookupNetIP() = %v, want %v", got, want)
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	s := start(t)
	s.AddA("host.example.test", netip.MustParseAddr("192.0.2.1"))
	r := s.Resolver()
	ctx := testCtx(t)

	// A name with no records at all: NXDOMAIN.
	_, _, err := r.LookupSRV(ctx, "xmpp-client", "tcp", "nowhere.test")
	if dnsErr, ok := errors.AsType[*net.DNSError](err); !ok || !dnsErr.IsNotFound {
		t.Errorf("LookupSRV(nowhere.test) error = %v, want a DNSError with IsNotFound", err)
	}
	// A name with records of another type only: NOERROR, no answer.
	_, err = r.LookupMX(ctx, "host.example.test")
	if dnsErr, ok := errors.AsType[*net.DNSError](err); !ok || !dnsErr.IsNotFound {
		t.Errorf("LookupMX(host.example.test) error = %v, want a DNSError with IsNotFound", err)
	}
}

func TestSetRCode(t *testing.T) {
	t.Parallel()
	s := start(t)
	const name = "_xmpp-client._tcp.example.test"
	s.AddSRV(name, 0, 0, 5222, "a.example.test")
	s.SetRCode(name, dnsmessage.RCodeServerFailure)
	r := s.Resolver()
	ctx := testCtx(t)

	_, _, err := r.LookupSRV(ctx, "xmpp-client", "tcp", "example.test")
	dnsErr, ok := errors.AsType[*net.DNSError](err)
	if !ok || dnsErr.IsNotFound || !dnsErr.IsTemporary {
		t.Errorf("LookupSRV() with SERVFAIL error = %v, want a temporary DNSError", err)
	}

	s.SetRCode(name, dnsmessage.RCodeSuccess)
	if _, recs, err := r.LookupSRV(ctx, "xmpp-client", "tcp", "example.test"); err != nil || len(recs) != 1 {
		t.Errorf("LookupSRV() after reset = %v, %v; want 1 record, nil", deref(recs), err)
	}
}

// TestTruncation checks that an answer too large for UDP is truncated and
// that the resolver then gets it whole over TCP.
func TestTruncation(t *testing.T) {
	t.Parallel()
	s := start(t)
	const n = 100 // about 40 bytes each: more than any UDP limit Go uses
	for i := range n {
		s.AddSRV("_xmpp-client._tcp.big.test", uint16(i), 0, 5222, fmt.Sprintf("host%03d.big.test", i))
	}

	_, got, err := s.Resolver().LookupSRV(testCtx(t), "xmpp-client", "tcp", "big.test")
	if err != nil {
		t.Fatalf("LookupSRV() error = %v", err)
	}
	if len(got) != n {
		t.Errorf("LookupSRV() returned %d records, want %d", len(got), n)
	}
	if udp, tcp := s.Queries()-int(s.tcpQueries.Load()), int(s.tcpQueries.Load()); udp != 1 || tcp != 1 {
		t.Errorf("queries: %d over UDP and %d over TCP, want 1 and 1", udp, tcp)
	}
}

// TestTruncatedUDP sends a query without EDNS(0) by hand and checks the
// response has TC set and no answers.
func TestTruncatedUDP(t *testing.T) {
	t.Parallel()
	s := start(t)
	for i := range 20 {
		s.AddSRV("_xmpp-client._tcp.big.test", 0, 0, 5222, fmt.Sprintf("host%03d.big.test", i))
	}
	q := dnsmessage.Message{
		Header: dnsmessage.Header{ID: 42, RecursionDesired: true},
		Questions: []dnsmessage.Question{{
			Name:  dnsmessage.MustNewName("_xmpp-client._tcp.big.test."),
			Type:  dnsmessage.TypeSRV,
			Class: dnsmessage.ClassINET,
		}},
	}
	req, err := q.Pack()
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("udp", s.UDPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(req); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65535)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	if n > udpMinSize {
		t.Errorf("response is %d bytes, want at most %d", n, udpMinSize)
	}
	var resp dnsmessage.Message
	if err := resp.Unpack(buf[:n]); err != nil {
		t.Fatal(err)
	}
	if resp.ID != 42 || !resp.Response || !resp.Truncated || len(resp.Answers) != 0 || len(resp.Questions) != 1 {
		t.Errorf("response header %+v with %d answers, want ID 42, response, truncated, no answers", resp.Header, len(resp.Answers))
	}
}

func TestGarbageIgnored(t *testing.T) {
	t.Parallel()
	s := start(t)
	c, err := net.Dial("udp", s.UDPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	// The server must still answer real queries afterwards.
	s.AddA("host.example.test", netip.MustParseAddr("192.0.2.1"))
	if _, err := s.Resolver().LookupNetIP(testCtx(t), "ip4", "host.example.test"); err != nil {
		t.Errorf("LookupNetIP() after garbage error = %v", err)
	}
}

func TestConcurrent(t *testing.T) {
	t.Parallel()
	s := start(t)
	r := s.Resolver()
	ctx := testCtx(t)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			name := fmt.Sprintf("h%d.example.test", i)
			s.AddA(name, netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}))
			got, err := r.LookupNetIP(ctx, "ip4", name)
			if err != nil || len(got) != 1 || got[0].As4()[3] != byte(i) {
				t.Errorf("LookupNetIP(%s) = %v, %v; want [192.0.2.%d]", name, got, err, i)
			}
		})
	}
	wg.Wait()
}

func TestCloseTwice(t *testing.T) {
	t.Parallel()
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s.Close()
	_, _, err = s.Resolver().LookupSRV(testCtx(t), "xmpp-client", "tcp", "example.test")
	if err == nil {
		t.Error("LookupSRV() after Close succeeded, want an error")
	}
}

func TestAddPanics(t *testing.T) {
	t.Parallel()
	s := start(t)
	for name, f := range map[string]func(){
		"AddA with IPv6":    func() { s.AddA("x.test", netip.MustParseAddr("::1")) },
		"AddAAAA with IPv4": func() { s.AddAAAA("x.test", netip.MustParseAddr("127.0.0.1")) },
		"long label":        func() { s.AddSRV("x.test", 0, 0, 1, fmt.Sprintf("%070d.test", 0)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			f()
		}()
	}
}

func deref(recs []*net.SRV) []net.SRV {
	out := make([]net.SRV, len(recs))
	for i, r := range recs {
		out[i] = *r
	}
	return out
}
