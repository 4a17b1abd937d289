package xmpptest_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"log"
	"os"
	"os/exec"
	"testing"

	"github.com/gojabber/xmpp/xmpptest"
)

// StartProsody outside a test: the caller stops the server.
func ExampleStartProsody() {
	ctx := context.Background()
	srv, err := xmpptest.StartProsody(ctx, &xmpptest.Options{TLS12Only: true})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Stop()

	// Direct TLS (XEP-0368), verified against the throwaway CA.
	conn, err := tls.Dial("tcp", srv.DirectTLSAddr, srv.TLSConfig())
	if err != nil {
		log.Fatal(err, "\n", srv.LogTail(20))
	}
	defer conn.Close()
	fmt.Println(srv.JID("alice"), srv.Password("alice"))
}

// Prosody in a test: the server is stopped when the test ends, and the
// test is skipped (or fails, if CI=true) when Prosody cannot be started.
func ExampleProsody() {
	testLogin := func(t *testing.T) {
		srv := xmpptest.Prosody(t, nil)
		if err := srv.AddUser(t.Context(), "dave", "dave-pass"); err != nil {
			t.Fatal(err)
		}
		// Log in as srv.JID("dave") with srv.Password("dave") on
		// srv.C2SAddr, trusting srv.TLSConfig().
	}
	_ = testLogin
}

// One ejabberd for the whole test binary, started by the first test that
// needs it and stopped in TestMain.
func ExampleShared() {
	var ejabberd = &xmpptest.Shared{Kind: xmpptest.KindEjabberd}

	testMain := func(m *testing.M) {
		code := m.Run()
		if err := ejabberd.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
		os.Exit(code)
	}
	testRoster := func(t *testing.T) {
		srv := ejabberd.Server(t)
		_ = srv.JID("bob")
	}
	_, _ = testMain, testRoster
}

// Load in a program that did not start the server: a CI job started it
// with the scripts (bash start-prosody.sh prints XMPP_DIR=...), and the
// program gets the TLS configuration and CA file for it.
func ExampleLoad() {
	srv, err := xmpptest.Load(os.Getenv("XMPP_DIR"))
	if err != nil {
		log.Fatal(err)
	}
	// Not srv.Stop(): the job that started the server stops it.

	// In this process: pass srv.TLSConfig() as xmpp.Options.TLSConfig and
	// dial srv.C2SAddr.
	conn, err := tls.Dial("tcp", srv.DirectTLSAddr, srv.TLSConfig())
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	// In another Go program: trust the CA through SSL_CERT_FILE.
	cmd := exec.Command("./echobot", "-jid", srv.JID("bob"), "-password", srv.Password("bob"), "-server", srv.C2SAddr)
	cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+srv.CAFile)
	_ = cmd
}
