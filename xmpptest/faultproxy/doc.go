// Package faultproxy is a TCP proxy on the loopback interface that breaks
// connections on command, for tests of what a client does when its network
// fails: a connection reset, a path that silently stops carrying packets, or
// a connection that dies in the middle of a stanza.
//
// [Start] listens on 127.0.0.1 on a free port and forwards every connection
// it accepts to one target, typically the client port of a real server
// started by package xmpptest. The client under test connects to
// [Proxy.Addr] instead of the server; with XMPP it keeps verifying the
// server's certificate against the JID's domain, as the proxy only copies
// bytes and never looks inside TLS.
//
//	srv := prosody.Server(t)
//	p, err := faultproxy.Start(srv.C2SAddr)
//	if err != nil {
//		t.Fatal(err)
//	}
//	t.Cleanup(func() { p.Close() })
//	c, err := xmpp.Dial(ctx, jid, password, &xmpp.Options{
//		Server:    p.Addr(),
//		TLSConfig: srv.TLSConfig(),
//	})
//	...
//	p.Reset() // the client's connection is reset now
//
// # Faults
//
// Each fault applies to every connection open through the proxy at the time
// of the call; connections accepted afterwards are forwarded normally, so a
// client can reconnect through the same proxy. Give each client under test
// a proxy of its own.
//
//   - [Proxy.Reset] aborts both sides at once with a TCP RST, as a crashed
//     middlebox or a NAT that lost its mapping does.
//   - [Proxy.Blackhole] stops forwarding in both directions without closing
//     either socket: no FIN and no RST reaches either peer, which notices
//     only through its own timeouts, as with a cable pulled out somewhere
//     along the path. The proxy goes on reading from both sides and throws
//     away what it reads, so neither peer is held back by a full TCP
//     window; a peer's own FIN or RST is not passed on either.
//   - [Proxy.CutMidStanza] arms a cut inside the next write of at least
//     [CutMinSize] bytes: in the chosen directions, the proxy forwards the
//     first half of the next chunk of at least CutMinSize bytes that it
//     reads, a strict prefix, and then aborts both sides with RST. The proxy
//     cannot see stanzas, as XMPP traffic is TLS, and it does not parse TLS
//     records either. But clients and servers write a stanza, or a few
//     together, as one TLS record, which arrives as one chunk on loopback.
//     A message with a body makes a record well over CutMinSize bytes,
//     while stream management's <r/> and <a/> and whitespace keepalives
//     make smaller ones, which pass. Cutting such a chunk in half thus cuts
//     inside a TLS record, and so inside a stanza it carries; the peer's
//     TLS layer gets half a record and then the reset. A very short stanza,
//     such as a bare <presence/> or an empty IQ result, may pass uncut.
//     Over plain TCP the cut is simply inside the next such chunk, whatever
//     it holds.
//
// [Proxy.Conns] and [Proxy.Cuts] count the connections accepted and the
// connections cut, [Proxy.Open] those still open; [Proxy.Close] stops
// everything and leaves no goroutine behind.
//
// All methods of a Proxy are safe for concurrent use.
package faultproxy
