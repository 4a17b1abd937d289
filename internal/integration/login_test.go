package integration_test

import (
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/xmpptest"
)

var kinds = []string{xmpptest.KindProsody, xmpptest.KindEjabberd}

// wantOffered returns the SASL mechanisms a server offers after TLS, from
// /work/shared/notes/real-servers.md: Prosody 0.12 offers
// SCRAM-SHA-1-PLUS only on TLS 1.2 (it implements only tls-unique), and
// has no SCRAM-SHA-256/512 (internal_hashed stores SHA-1); ejabberd 23.01
// with plain password storage offers all of them on both versions, -PLUS
// included.
func wantOffered(kind string, version uint16) []string {
	if kind == xmpptest.KindProsody {
		if version == tls.VersionTLS12 {
			return []string{"SCRAM-SHA-1-PLUS", "SCRAM-SHA-1", "PLAIN"}
		}
		return []string{"SCRAM-SHA-1", "PLAIN"}
	}
	return []string{
		"SCRAM-SHA-512-PLUS", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS",
		"SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN",
	}
}

// wantDefault returns the mechanism Dial must choose with default
// Options.Mechanisms, by the rule documented on Options.Mechanisms
// (sasl.go, selectSASL): -PLUS first, stronger hashes first, but -PLUS on
// TLS 1.3 only with a binding type the server advertised (XEP-0440), which
// neither server does. So on TLS 1.3 ejabberd's -PLUS offer, which it can
// only honour with tls-unique, is passed over for plain SCRAM.
func wantDefault(kind string, version uint16) string {
	switch {
	case kind == xmpptest.KindProsody && version == tls.VersionTLS12:
		return "SCRAM-SHA-1-PLUS"
	case kind == xmpptest.KindProsody:
		return "SCRAM-SHA-1"
	case version == tls.VersionTLS12:
		return "SCRAM-SHA-512-PLUS"
	default:
		return "SCRAM-SHA-512"
	}
}

func isPlus(mech string) bool { return strings.HasSuffix(mech, "-PLUS") }

// table collects rows from parallel subtests and logs them sorted when the
// test and all its subtests are done.
type table struct {
	mu   sync.Mutex
	rows []string
}

func newTable(t *testing.T, header string) *table {
	tb := &table{}
	t.Cleanup(func() {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		slices.Sort(tb.rows)
		t.Logf("%s\n%s\n%s", header, strings.Repeat("-", len(header)), strings.Join(tb.rows, "\n"))
	})
	return tb
}

func (tb *table) add(format string, args ...any) {
	tb.mu.Lock()
	tb.rows = append(tb.rows, fmt.Sprintf(format, args...))
	tb.mu.Unlock()
}

// TestLoginMatrix logs in with every SASL mechanism each server offers,
// forced with Options.Mechanisms, on every combination of server, TLS
// version and STARTTLS or direct TLS. The TLS 1.2 variants come both from a
// server limited to TLS 1.2 and from a client that caps itself; the offer
// must be the same.
//
// Every offered mechanism must work, with one documented exception:
// ejabberd 23.01 offers -PLUS on TLS 1.3 but implements only the
// tls-unique channel binding, which TLS 1.3 does not define (RFC 8446
// §C.5) and Go does not provide there. Forced to a -PLUS mechanism on TLS
// 1.3, the client falls back to tls-exporter (RFC 9266), which ejabberd
// refuses with <not-authorized/> ("Invalid channel binding"): the login must
// fail with a *SASLError, and never succeed without the binding.
func TestLoginMatrix(t *testing.T) {
	t.Parallel()
	results := newTable(t, fmt.Sprintf("%-9s %-14s %-10s %-19s %s", "server", "tls", "transport", "mechanism", "result"))
	for _, kind := range kinds {
		for _, v := range tlsVariants {
			for _, tr := range transports {
				t.Run(kind+"/"+v.name+"/"+tr.name, func(t *testing.T) {
					t.Parallel()
					srv := v.server(t, kind)
					c := conn{srv: srv, user: "alice", directTLS: tr.directTLS, clientMax: v.clientMax}

					// A default login shows what the server offers.
					probe, err := login(t, c)
					require.NoError(t, err, "probe login\nwire:\n%s", probe.wire)
					require.Equal(t, tlsName(v.version), tlsName(probe.tlsVer.get()), "negotiated TLS version")
					offered := probe.wire.offeredMechanisms()
					require.ElementsMatch(t, wantOffered(kind, v.version), offered,
						"mechanisms offered by %s on %s", kind, v.name)
					probe.client.Close()

					for _, mech := range offered {
						t.Run(mech, func(t *testing.T) {
							t.Parallel()
							c := c
							c.mechs = []string{mech}
							s, err := login(t, c)
							expectFail := v.version == tls.VersionTLS13 && isPlus(mech)
							var se *xmpp.SASLError
							switch {
							case err == nil:
								results.add("%-9s %-14s %-10s %-19s ok", kind, v.name, tr.name, mech)
							case expectFail && errors.As(err, &se):
								results.add("%-9s %-14s %-10s %-19s refused as expected: %s: %s", kind, v.name, tr.name, mech, se.Condition, se.Text)
							default:
								results.add("%-9s %-14s %-10s %-19s FAILED: %v", kind, v.name, tr.name, mech, err)
							}
							require.Equal(t, []string{mech}, s.wire.authMechanisms(), "mechanisms in <auth/>; Dial error: %v", err)

							if expectFail {
								// The documented outcome, see the test comment.
								require.ErrorAs(t, err, &se, "%s on TLS 1.3 must fail: no tls-unique there", mech)
								require.Equal(t, mech, se.Mechanism)
								// ejabberd: <not-authorized/>, text "Invalid channel binding".
								require.Equal(t, xmpp.SASLNotAuthorized, se.Condition, "SASLError %+v", se)
								t.Logf("%s on TLS 1.3: %v", mech, err)
								return
							}
							require.NoError(t, err, "Dial with Mechanisms %q\nwire:\n%s\nserver log:\n%s", c.mechs, s.wire, srv.LogTail(10))
							require.Equal(t, srv.JID("alice"), s.client.JID().Bare().String())
						})
					}
				})
			}
		}
	}
}

// TestDefaultMechanism checks that Dial with the default Options.Mechanisms
// picks the strongest mechanism that works, at the first attempt: exactly
// one <auth/> is sent.
func TestDefaultMechanism(t *testing.T) {
	t.Parallel()
	chosen := newTable(t, fmt.Sprintf("%-9s %-14s %-10s %s", "server", "tls", "transport", "default mechanism"))
	for _, kind := range kinds {
		for _, v := range tlsVariants {
			for _, tr := range transports {
				t.Run(kind+"/"+v.name+"/"+tr.name, func(t *testing.T) {
					t.Parallel()
					srv := v.server(t, kind)
					s, err := login(t, conn{srv: srv, user: "bob", directTLS: tr.directTLS, clientMax: v.clientMax})
					auths := s.wire.authMechanisms()
					chosen.add("%-9s %-14s %-10s %s", kind, v.name, tr.name, strings.Join(auths, ","))
					require.NoError(t, err, "Dial\nwire:\n%s\nserver log:\n%s", s.wire, srv.LogTail(10))
					require.Equal(t, tlsName(v.version), tlsName(s.tlsVer.get()), "negotiated TLS version")
					require.Len(t, auths, 1, "<auth/> elements sent")
					require.Equal(t, wantDefault(kind, v.version), auths[0], "mechanism chosen; offered %q", s.wire.offeredMechanisms())
				})
			}
		}
	}
}

// TestSASLFailure checks that a wrong password and an unknown user are
// reported as a *SASLError with the condition the server sent,
// not-authorized (RFC 6120 §6.5.10), with the default mechanism and with
// PLAIN, after a single attempt.
func TestSASLFailure(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		for _, mechs := range [][]string{nil, {"PLAIN"}} {
			for _, tc := range []struct {
				name, user, password string
			}{
				{"wrong-password", "alice", "not-alices-password"},
				{"unknown-user", "nobody-here", "some-password"},
			} {
				name := s.name + "/" + tc.name + "/default"
				if mechs != nil {
					name = s.name + "/" + tc.name + "/" + mechs[0]
				}
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					srv := s.shared.Server(t)
					sess, err := login(t, conn{srv: srv, user: tc.user, password: tc.password, mechs: mechs})
					require.Error(t, err, "Dial(%s) with a bad password", srv.JID(tc.user))
					var se *xmpp.SASLError
					require.True(t, errors.As(err, &se), "Dial error %v (%T) is not a *SASLError", err, err)
					require.Equal(t, xmpp.SASLNotAuthorized, se.Condition, "SASLError %+v", se)
					require.NotEmpty(t, se.Mechanism)
					require.Len(t, sess.wire.authMechanisms(), 1, "<auth/> elements sent")
					t.Logf("%v", err)
				})
			}
		}
	}
}
