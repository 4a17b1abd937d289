// Package xmpptest starts real, throwaway XMPP servers on loopback for
// integration tests: Prosody 0.12 and ejabberd 23.01 from Debian's packages.
//
// Each server runs from its own temporary directory with a generated
// configuration, a throwaway CA and server certificate, and a few
// registered users. It listens only on 127.0.0.1 (Prosody also on ::1) on
// free ports chosen at run time, with federation and HTTP disabled. Nothing
// of the system's own Prosody or ejabberd service is used or touched:
// not /etc/prosody, /etc/ejabberd nor /var/lib/*.
//
// The work is done by bash scripts embedded in the package (see
// [WriteScripts]); they can also be used from a shell or a CI job. Run as
// root, they install missing packages with apt-get (prosody, lua-unbound,
// ejabberd, openssl, util-linux) and run the servers as the packages'
// system users. Run as another user, the packages must be installed.
//
// # Tests
//
// [Prosody] and [Ejabberd] start a server for one test and stop it in
// t.Cleanup. A server that cannot be started skips the test, or fails it
// when the environment variable CI is true: in CI a missing server is a
// failure, not a reason to skip.
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
// Outside tests, [StartProsody] and [StartEjabberd] return a running
// [Server] that the caller stops with [Server.Stop].
package xmpptest
