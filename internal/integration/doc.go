// Package integration holds the integration tests of the xmpp package: they
// run the client against real Prosody 0.12 and ejabberd 23.01 servers that
// [github.com/gojabber/xmpp/xmpptest] starts on loopback.
//
// The package has no code of its own. Its tests are skipped when a server
// is not installed, and fail instead when the environment variable CI is
// set; any other reason a server does not start fails them too. The only
// other skip is TestLoad's, in -short mode:
//
//	CI=true go test -race -count=1 ./internal/integration/
//
// What the tests cover, and what the servers do:
//
//   - Login with every SASL mechanism a server offers, over STARTTLS and
//     direct TLS (XEP-0368), on TLS 1.2 and TLS 1.3 (login_test.go). Channel
//     binding is tested on TLS 1.2 only: both servers implement only
//     tls-unique (RFC 5929), which TLS 1.3 does not define, and neither
//     supports tls-exporter (RFC 9266).
//   - The default mechanism choice: the strongest that works, without a
//     failed attempt first.
//   - SASL failures, messages, presence, IQ round trips and errors, and SRV
//     discovery with a fallback over a dead target.
//   - A message handler that calls SendIQ while another client floods its
//     session with 10,000 messages (handler_flood_test.go): the reply must
//     reach it behind the flood.
package integration
