// Package dnstest provides a small authoritative DNS responder on the
// loopback interface, for tests that must resolve names without touching
// any real DNS server.
//
// A Server answers A, AAAA and SRV questions from records added with
// AddA, AddAAAA and AddSRV, over UDP and TCP. A name with no records is
// answered with NXDOMAIN; a name with records, but none of the asked type,
// with an empty NOERROR answer. SetRCode forces a response code for a name,
// for example SERVFAIL. A UDP answer larger than the client's advertised
// buffer (512 bytes, or the EDNS(0) size) is sent truncated, so the client
// repeats the question over TCP (RFC 7766 §5).
//
// The *net.Resolver returned by Resolver sends every query to the Server,
// whatever name servers the system is configured with:
//
//	srv, err := dnstest.Start()
//	if err != nil {
//		t.Fatal(err)
//	}
//	t.Cleanup(srv.Close)
//	srv.AddSRV("_xmpp-client._tcp.example.com", 10, 0, 5222, "xmpp.example.com")
//	_, recs, err := srv.Resolver().LookupSRV(ctx, "xmpp-client", "tcp", "example.com")
//
// All methods are safe for concurrent use.
package dnstest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/net/dns/dnsmessage"
)

// ttl is the time to live of every answer. Resolvers in Go do not cache,
// so its value only has to be valid.
const ttl = 60

// udpMinSize is the largest UDP response a client without EDNS(0) accepts
// (RFC 1035 §4.2.1).
const udpMinSize = 512

type rrKey struct {
	name string // canonical: lower case, with the trailing dot
	typ  dnsmessage.Type
}

// Server is an authoritative DNS responder listening on 127.0.0.1, on one
// UDP and one TCP port. Start creates one; Close stops it.
type Server struct {
	udp *net.UDPConn
	tcp *net.TCPListener
	wg  sync.WaitGroup // the serving goroutines

	queries    atomic.Int64
	tcpQueries atomic.Int64

	mu      sync.Mutex // guards the fields below
	records map[rrKey][]dnsmessage.ResourceBody
	names   map[string]bool // names owning at least one record
	rcodes  map[string]dnsmessage.RCode
	conns   map[net.Conn]struct{} // open TCP connections
	closed  bool
}

// Start starts a Server on 127.0.0.1 with no records.
func Start() (*Server, error) {
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, fmt.Errorf("dnstest: %w", err)
	}
	tcp, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		udp.Close()
		return nil, fmt.Errorf("dnstest: %w", err)
	}
	s := &Server{
		udp:     udp,
		tcp:     tcp,
		records: make(map[rrKey][]dnsmessage.ResourceBody),
		names:   make(map[string]bool),
		rcodes:  make(map[string]dnsmessage.RCode),
		conns:   make(map[net.Conn]struct{}),
	}
	s.wg.Go(s.serveUDP)
	s.wg.Go(s.serveTCP)
	return s, nil
}

// UDPAddr returns the address the Server answers UDP queries on.
func (s *Server) UDPAddr() net.Addr { return s.udp.LocalAddr() }

// TCPAddr returns the address the Server answers TCP queries on.
func (s *Server) TCPAddr() net.Addr { return s.tcp.Addr() }

// Resolver returns a resolver that uses Go's own DNS client and sends every
// query to s: over UDP first, and over TCP when an answer is truncated. The
// system's resolver configuration only contributes options such as the
// search list; the name servers it lists are never contacted.
func (s *Server) Resolver() *net.Resolver {
	udpAddr, tcpAddr := s.UDPAddr().String(), s.TCPAddr().String()
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			if strings.HasPrefix(network, "tcp") {
				return d.DialContext(ctx, "tcp", tcpAddr)
			}
			return d.DialContext(ctx, "udp", udpAddr)
		},
	}
}

// Queries reports how many queries s has received, over UDP and TCP.
func (s *Server) Queries() int { return int(s.queries.Load()) }

// AddSRV adds an SRV record (RFC 2782). A target of "." says that the
// service is not available at name.
func (s *Server) AddSRV(name string, priority, weight, port uint16, target string) {
	s.add(name, dnsmessage.TypeSRV, &dnsmessage.SRVResource{
		Priority: priority,
		Weight:   weight,
		Port:     port,
		Target:   mustName(target),
	})
}

// AddA adds an A record. It panics if ip is not an IPv4 address.
func (s *Server) AddA(name string, ip netip.Addr) {
	if !ip.Is4() {
		panic(fmt.Sprintf("dnstest: AddA(%q, %v): not an IPv4 address", name, ip))
	}
	s.add(name, dnsmessage.TypeA, &dnsmessage.AResource{A: ip.As4()})
}

// AddAAAA adds an AAAA record. It panics if ip is not an IPv6 address.
func (s *Server) AddAAAA(name string, ip netip.Addr) {
	if !ip.Is6() || ip.Is4In6() {
		panic(fmt.Sprintf("dnstest: AddAAAA(%q, %v): not an IPv6 address", name, ip))
	}
	s.add(name, dnsmessage.TypeAAAA, &dnsmessage.AAAAResource{AAAA: ip.As16()})
}

// SetRCode makes s answer every question about name with rcode and no
// records, for example dnsmessage.RCodeServerFailure. Setting
// dnsmessage.RCodeSuccess restores the normal answers.
func (s *Server) SetRCode(name string, rcode dnsmessage.RCode) {
	n := canonical(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if rcode == dnsmessage.RCodeSuccess {
		delete(s.rcodes, n)
		return
	}
	s.rcodes[n] = rcode
}

func (s *Server) add(name string, typ dnsmessage.Type, body dnsmessage.ResourceBody) {
	n := canonical(name)
	// Pack the record once here, so that a record no message can carry
	// fails in the test that adds it rather than in the serving goroutine.
	rr := dnsmessage.Resource{
		Header: dnsmessage.ResourceHeader{Name: mustName(n), Type: typ, Class: dnsmessage.ClassINET},
		Body:   body,
	}
	if _, err := (&dnsmessage.Message{Answers: []dnsmessage.Resource{rr}}).Pack(); err != nil {
		panic(fmt.Sprintf("dnstest: bad %v record for %q: %v", typ, name, err))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := rrKey{n, typ}
	s.records[k] = append(s.records[k], body)
	s.names[n] = true
}

// Close stops s and waits for its goroutines to return.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.udp.Close()
	s.tcp.Close()
	s.wg.Wait()
}

func (s *Server) serveUDP() {
	buf := make([]byte, 65535)
	for {
		n, addr, err := s.udp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		resp, ok := s.respond(buf[:n], false)
		if !ok {
			continue
		}
		s.udp.WriteToUDPAddrPort(resp, addr)
	}
}

func (s *Server) serveTCP() {
	for {
		c, err := s.tcp.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Go(func() {
			s.serveConn(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			c.Close()
		})
	}
}

// serveConn answers the length-prefixed messages on c (RFC 1035 §4.2.2)
// until the client closes it or sends something unparseable.
func (s *Server) serveConn(c net.Conn) {
	var hdr [2]byte
	for {
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			return
		}
		req := make([]byte, binary.BigEndian.Uint16(hdr[:]))
		if _, err := io.ReadFull(c, req); err != nil {
			return
		}
		resp, ok := s.respond(req, true)
		if !ok {
			return
		}
		out := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(resp)), uint16(len(resp)))
		if _, err := c.Write(append(out, resp...)); err != nil {
			return
		}
	}
}

// respond builds the answer to the query req. It reports false if req is
// not even a DNS header, in which case nothing is sent.
func (s *Server) respond(req []byte, overTCP bool) ([]byte, bool) {
	var p dnsmessage.Parser
	h, err := p.Start(req)
	if err != nil || h.Response {
		return nil, false
	}
	s.queries.Add(1)
	if overTCP {
		s.tcpQueries.Add(1)
	}
	resp := dnsmessage.Message{
		Header: dnsmessage.Header{
			ID:               h.ID,
			Response:         true,
			OpCode:           h.OpCode,
			Authoritative:    true,
			RecursionDesired: h.RecursionDesired,
		},
	}
	qs, err := p.AllQuestions()
	switch {
	case err != nil || len(qs) != 1:
		resp.RCode = dnsmessage.RCodeFormatError
		return pack(resp), true
	case h.OpCode != 0:
		resp.Questions = qs
		resp.RCode = dnsmessage.RCodeNotImplemented
		return pack(resp), true
	}
	q := qs[0]
	resp.Questions = qs
	resp.RCode, resp.Answers = s.lookup(q)
	out := pack(resp)
	limit := 65535 // the TCP length prefix (RFC 1035 §4.2.2)
	if !overTCP {
		limit = udpLimit(&p)
	}
	if len(out) > limit {
		// RFC 2181 §9, RFC 7766 §5: an answer that does not fit is sent
		// empty with TC set, and the client asks again over TCP.
		resp.Truncated = true
		resp.Answers = nil
		out = pack(resp)
	}
	return out, true
}

// lookup returns the response code and the answers to q.
func (s *Server) lookup(q dnsmessage.Question) (dnsmessage.RCode, []dnsmessage.Resource) {
	n := canonical(q.Name.String())
	s.mu.Lock()
	defer s.mu.Unlock()
	if rc, ok := s.rcodes[n]; ok {
		return rc, nil
	}
	if !s.names[n] {
		return dnsmessage.RCodeNameError, nil
	}
	if q.Class != dnsmessage.ClassINET && q.Class != dnsmessage.ClassANY {
		return dnsmessage.RCodeSuccess, nil
	}
	var ans []dnsmessage.Resource
	for _, body := range s.records[rrKey{n, q.Type}] {
		ans = append(ans, dnsmessage.Resource{
			Header: dnsmessage.ResourceHeader{
				Name:  q.Name, // as asked, so that its case matches
				Type:  q.Type,
				Class: dnsmessage.ClassINET,
				TTL:   ttl,
			},
			Body: body,
		})
	}
	return dnsmessage.RCodeSuccess, ans
}

// udpLimit returns the largest UDP response the client that sent the query
// in p accepts: the payload size of its OPT record (RFC 6891 §6.2.3), or
// 512 bytes without one. p must be positioned after the questions.
func udpLimit(p *dnsmessage.Parser) int {
	if p.SkipAllAnswers() != nil || p.SkipAllAuthorities() != nil {
		return udpMinSize
	}
	for {
		h, err := p.AdditionalHeader()
		if err != nil {
			return udpMinSize
		}
		if h.Type == dnsmessage.TypeOPT {
			return max(int(h.Class), udpMinSize)
		}
		if p.SkipAdditional() != nil {
			return udpMinSize
		}
	}
}

// pack packs m, or an empty SERVFAIL response to the same question if m
// cannot be packed. Every record was packed once when it was added, so the
// fallback only guards against bugs.
func pack(m dnsmessage.Message) []byte {
	b, err := m.Pack()
	if err != nil {
		m.RCode = dnsmessage.RCodeServerFailure
		m.Answers = nil
		b, _ = m.Pack()
	}
	return b
}

// canonical returns name in lower case with one trailing dot.
func canonical(name string) string {
	name = strings.ToLower(name)
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	return name
}

// mustName converts name to a dnsmessage.Name, panicking on a name no DNS
// message can carry: that is a mistake in the test, not a DNS condition.
func mustName(name string) dnsmessage.Name {
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	n, err := dnsmessage.NewName(name)
	if err != nil {
		panic(fmt.Sprintf("dnstest: bad name %q: %v", name, err))
	}
	return n
}
