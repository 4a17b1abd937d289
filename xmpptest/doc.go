// Package xmpptest starts real, throwaway XMPP servers on loopback for
// integration tests: Prosody 0.12 and ejabberd 23.01 from Debian's packages.
//
// Each server runs from its own temporary directory with a generated
// configuration, a throwaway CA and server certificate, and a few
// registered users. It listens only on 127.0.0.1 (Prosody also on ::1) on
// free ports chosen at run time. Nothing of the system's own Prosody or
// ejabberd service is used or touched: not /etc/prosody, /etc/ejabberd nor
// /var/lib/*.
//
// The work is done by bash scripts embedded in the package (see
// [WriteScripts]); they can also be used from a shell or a CI job, and
// [Load] finds a server they started. Run as root, they install missing
// packages with apt-get (prosody, lua-unbound, ejabberd, openssl,
// util-linux) and run the servers as the packages' system users. Run as
// another user, the packages must be installed.
//
// # What the servers offer
//
// Both servers, as the scripts configure them (<domain> is
// [Options.Domain], "localhost" by default):
//
//   - Client connections only: STARTTLS required on [Server.C2SAddr],
//     direct TLS (XEP-0368) on [Server.DirectTLSAddr], TLS 1.2 and 1.3 (1.2
//     only with [Options.TLS12Only]). The certificate covers <domain>,
//     *.<domain>, localhost, 127.0.0.1 and ::1; [Server.TLSConfig] trusts
//     it. No federation (s2s), and no plain HTTP: no BOSH, no WebSocket,
//     no host-meta.
//   - HTTP File Upload (XEP-0363) at [Server.UploadDomain]
//     (upload.<domain>), found through disco#items of <domain>, with its
//     limit ([Server.UploadLimit], 16 MiB by default; the start scripts
//     read XMPP_UPLOAD_MAX_BYTES, which [Options.Env] can set) in an
//     XEP-0128 form. Its HTTPS service listens on [Server.HTTPSAddr], a
//     free port chosen at run time, with the same certificate; the PUT and
//     GET URLs name localhost (for the domain localhost) or 127.0.0.1.
//     Prosody runs mod_http_file_share, whose PUT needs the slot's
//     Authorization header; ejabberd runs mod_http_upload on an
//     ejabberd_http listener and puts a secret in the URL instead.
//   - The users of [Options.Users], by default alice, bob, carol and admin,
//     each with the password "<name>-pass" ([DefaultUsers]); [Options.Admin]
//     ("admin") is the server admin. More users with [Server.AddUser], or
//     with in-band registration (XEP-0077), which is open from loopback
//     without a rate limit.
//   - Stream features after login: resource binding, the legacy session as
//     optional, roster versioning (RFC 6121 §2.6), stream management
//     (XEP-0198, sm:2 and sm:3, resumable), client state indication
//     (XEP-0352) and entity capabilities; Prosody also subscription
//     pre-approval (RFC 6121 §3.4).
//   - On the server's JID: disco, roster, carbons (XEP-0280), blocking
//     (XEP-0191), ping, time, version, last activity, private XML storage,
//     vcard-temp and offline messages.
//   - On each account: PEP (XEP-0163) and a message archive (MAM,
//     XEP-0313, urn:xmpp:mam:2) that keeps every message by default.
//   - A MUC service (XEP-0045) at conference.<domain>, with an archive per
//     room; any local user may create rooms.
//
// Where they differ:
//
//   - Prosody 0.12 has no pubsub service besides PEP and no
//     pubsub.<domain>. A new MUC room stays locked until its owner submits
//     the configuration form. SASL: PLAIN and SCRAM-SHA-1, plus
//     SCRAM-SHA-1-PLUS (tls-unique) on TLS 1.2 only. Also vCard4 and
//     bookmarks (XEP-0402) conversion.
//   - ejabberd 23.01 also has a pubsub service (XEP-0060) at
//     pubsub.<domain>, where every local user may create nodes, and
//     privacy lists (XEP-0016). New MUC rooms can be joined at once. SASL:
//     PLAIN and SCRAM-SHA-1, -256 and -512, each also -PLUS with
//     tls-unique, which works on TLS 1.2 only (Go has no tls-unique on TLS
//     1.3).
//
// # Tests
//
// [Prosody] and [Ejabberd] start a server for one test and stop it in
// t.Cleanup. A server that is not installed (and cannot be installed)
// skips the test, unless the environment variable CI is set: in CI a
// missing server is a failure, not a reason to skip. Any other start error,
// such as an invalid option or a configuration the server rejects, always
// fails the test.
//
//	func TestLogin(t *testing.T) {
//		srv := xmpptest.Prosody(t, nil)
//		c, err := xmpp.Dial(ctx, srv.JID("alice"), srv.Password("alice"), &xmpp.Options{
//			Server:    srv.C2SAddr,
//			TLSConfig: srv.TLSConfig(),
//		})
//		...
//	}
//
// Starting a server takes about 0.6 s for Prosody and 4 s for ejabberd. To
// start one only once per test binary, declare a [Shared] in the test
// package and stop it in TestMain:
//
//	var prosody = &xmpptest.Shared{Kind: xmpptest.KindProsody}
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		prosody.Stop()
//		os.Exit(code)
//	}
//
//	func TestRoster(t *testing.T) {
//		srv := prosody.Server(t) // started on first use
//		...
//	}
//
// A Shared server is shared by every test that uses it, so tests must not
// depend on state other tests change: use [Server.AddUser] with names of
// their own instead of altering the default users.
//
// # Programs
//
// Outside tests, [StartProsody] and [StartEjabberd] return a running
// [Server] that the caller stops with [Server.Stop]; [Load] returns one
// that another process started, from its instance directory. Connect with
// [Server.TLSConfig] as xmpp.Options.TLSConfig, or, for a program in
// another process, trust [Server.CAFile] (Go programs that use the system
// roots: SSL_CERT_FILE=CAFile), and dial [Server.C2SAddr]: never look the
// domain up in DNS.
package xmpptest
