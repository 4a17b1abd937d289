package integration_test

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/xmpptest/dnstest"
)

// port returns the port of a "host:port" address.
func port(t *testing.T, addr string) uint16 {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	n, err := strconv.ParseUint(p, 10, 16)
	require.NoError(t, err)
	return uint16(n)
}

// deadPort returns a loopback port nothing listens on: connecting to it is
// refused at once.
func deadPort(t *testing.T) uint16 {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := port(t, l.Addr().String())
	require.NoError(t, l.Close())
	return p
}

// dialRecorder is an Options.DialFunc that records the addresses Dial
// tries, in order, and resolves host names with the test's DNS server:
// Options.Resolver is only used for the SRV lookup.
type dialRecorder struct {
	dialer net.Dialer
	mu     sync.Mutex
	addrs  []string
}

func (d *dialRecorder) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.addrs = append(d.addrs, addr)
	d.mu.Unlock()
	return d.dialer.DialContext(ctx, network, addr)
}

func (d *dialRecorder) tried() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.addrs...)
}

// TestSRV dials a domain without Options.Server, so that the client finds
// the server with DNS SRV records (RFC 6120 §3.2.1, XEP-0368) served by
// dnstest. The record of highest priority points at a dead port; the client
// must fall back to the next one, in priority order, whether it is a
// STARTTLS (_xmpp-client) or a direct TLS (_xmpps-client) record.
func TestSRV(t *testing.T) {
	t.Parallel()
	srv := prosodyExample.Server(t)
	require.Equal(t, "example.test", srv.Domain)
	const (
		deadHost = "dead.example.test"
		liveHost = "xmpp1.example.test"
		starttls = "_xmpp-client._tcp.example.test"
		direct   = "_xmpps-client._tcp.example.test"
	)
	dead := deadPort(t)
	c2s, tlsPort := port(t, srv.C2SAddr), port(t, srv.DirectTLSAddr)
	hostPort := func(host string, p uint16) string { return net.JoinHostPort(host, strconv.Itoa(int(p))) }

	type srvRecord struct {
		name     string
		priority uint16
		port     uint16
		target   string
	}
	cases := []struct {
		name      string
		records   []srvRecord
		wantTried []string
		wantErr   bool
		directTLS bool // the connection that works is direct TLS
	}{
		{
			name: "starttls-after-dead",
			records: []srvRecord{
				{starttls, 10, dead, deadHost},
				{starttls, 20, c2s, liveHost},
				{direct, 30, tlsPort, liveHost},
			},
			wantTried: []string{hostPort(deadHost, dead), hostPort(liveHost, c2s)},
		},
		{
			name: "directtls-after-dead",
			records: []srvRecord{
				{direct, 10, dead, deadHost},
				{direct, 20, tlsPort, liveHost},
				{starttls, 30, c2s, liveHost},
			},
			wantTried: []string{hostPort(deadHost, dead), hostPort(liveHost, tlsPort)},
			directTLS: true,
		},
		{
			// Priorities mix both services (XEP-0368 §3).
			name: "mixed-priorities",
			records: []srvRecord{
				{starttls, 10, dead, deadHost},
				{direct, 20, dead, liveHost},
				{direct, 30, tlsPort, liveHost},
				{starttls, 40, c2s, liveHost},
			},
			wantTried: []string{hostPort(deadHost, dead), hostPort(liveHost, dead), hostPort(liveHost, tlsPort)},
			directTLS: true,
		},
		{
			name: "all-dead",
			records: []srvRecord{
				{starttls, 10, dead, deadHost},
				{direct, 20, dead, liveHost},
			},
			wantTried: []string{hostPort(deadHost, dead), hostPort(liveHost, dead)},
			wantErr:   true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dns, err := dnstest.Start()
			require.NoError(t, err)
			t.Cleanup(dns.Close)
			dns.AddA(deadHost, netip.MustParseAddr("127.0.0.1"))
			dns.AddA(liveHost, netip.MustParseAddr("127.0.0.1"))
			for _, r := range tc.records {
				dns.AddSRV(r.name, r.priority, 0, r.port, r.target)
			}
			rec := &dialRecorder{dialer: net.Dialer{Resolver: dns.Resolver()}}
			wire := &wireLog{}

			c, err := xmpp.Dial(testCtx(t), srv.JID("alice"), srv.Password("alice"), &xmpp.Options{
				Resolver:    dns.Resolver(),
				DialFunc:    rec.dial,
				TLSConfig:   srv.TLSConfig(),
				DebugWriter: wire,
			})
			if c != nil {
				t.Cleanup(func() { c.Close() })
			}
			require.Equal(t, tc.wantTried, rec.tried(), "addresses dialled, in order")
			require.Positive(t, dns.Queries(), "DNS queries")
			if tc.wantErr {
				require.Error(t, err)
				for _, addr := range tc.wantTried {
					require.ErrorContains(t, err, addr, "the joined error names every failed target")
				}
				t.Logf("%v", err)
				return
			}
			require.NoError(t, err, "Dial via SRV\nwire:\n%s", wire)
			require.Equal(t, "alice@example.test", c.JID().Bare().String())
			sentStartTLS := strings.Contains(wire.stream(true), "<starttls")
			require.Equal(t, !tc.directTLS, sentStartTLS, "STARTTLS sent; want direct TLS = %v", tc.directTLS)

			// The session works.
			domain, err := xmpp.ParseJID(srv.Domain)
			require.NoError(t, err)
			ping, err := xmpp.ParseElement(`<ping xmlns='urn:xmpp:ping'/>`)
			require.NoError(t, err)
			_, err = c.SendIQ(testCtx(t), &xmpp.IQ{Header: xmpp.Header{To: domain}, Type: xmpp.IQGet, Payload: ping})
			require.NoError(t, err, "ping %s", domain)
		})
	}
}

// TestSRVResolverOnly is the call a user makes: only a Resolver, no DialFunc.
// Both the SRV lookup and the target's host name must go through the
// Resolver (here a loopback responder), never the system's DNS.
func TestSRVResolverOnly(t *testing.T) {
	t.Parallel()
	srv := prosodyExample.Server(t)
	dns, err := dnstest.Start()
	require.NoError(t, err)
	t.Cleanup(dns.Close)
	dns.AddA("xmpp-only.example.test", netip.MustParseAddr("127.0.0.1"))
	dns.AddSRV("_xmpp-client._tcp."+srv.Domain, 10, 0, port(t, srv.C2SAddr), "xmpp-only.example.test")

	c, err := xmpp.Dial(testCtx(t), srv.JID("alice"), srv.Password("alice"), &xmpp.Options{
		Resolver:  dns.Resolver(),
		TLSConfig: srv.TLSConfig(),
	})
	require.NoError(t, err, "Dial with only a Resolver")
	t.Cleanup(func() { c.Close() })
	require.GreaterOrEqual(t, dns.Queries(), 3, "SRV ×2 and the target's address must be asked of the Resolver")
}
