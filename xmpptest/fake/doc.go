// Package fake is a scripted XMPP server for tests of what no real server
// sends: forged roster pushes and carbons, archive results from the wrong
// JID, spoofed IQ replies, hostile or malformed input.
//
// [Start] connects an [xmpp.Client] over net.Pipe to a [Server] that does the
// whole negotiation of RFC 6120 §5–§7 (STARTTLS with an in-process CA, SASL
// PLAIN, resource binding) and then hands the stream to the test, which
// writes raw XML with [Server.Send] and reads what the client sent with
// [Server.Next], [Server.Expect] and [Server.ExpectIQ]:
//
//	func TestRosterPushFromStranger(t *testing.T) {
//		t.Parallel()
//		mux := xmpp.NewMux()
//		xmpp.NewRoster(mux)
//		c, s := fake.Start(t, "alice@example.test/phone", &xmpp.Options{Handler: mux})
//		s.Send(`<iq type='set' id='push1' from='mallory@evil.test'>` +
//			`<query xmlns='jabber:iq:roster'><item jid='eve@evil.test'/></query></iq>`)
//		reply := s.ExpectIQ(t.Context(), xmpp.IQError, "", "")
//		...
//	}
//
// Everything is in memory and bounded by [Timeout]; a Start takes a few
// milliseconds. The client and the server are closed in t.Cleanup, and no
// goroutine outlives them.
package fake
