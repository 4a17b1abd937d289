package xmpptest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var sharedProsody = &Shared{Kind: KindProsody}

func TestMain(m *testing.M) {
	code := m.Run()
	if err := sharedProsody.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// readUntil reads from conn one byte at a time (so nothing after the
// marker is consumed) until the data read ends with one of the markers.
func readUntil(conn net.Conn, markers ...string) (string, error) {
	var b []byte
	one := make([]byte, 1)
	for len(b) < 64<<10 {
		if _, err := conn.Read(one); err != nil {
			return string(b), err
		}
		b = append(b, one[0])
		for _, m := range markers {
			if strings.HasSuffix(string(b), m) {
				return string(b), nil
			}
		}
	}
	return string(b), fmt.Errorf("no %q in 64 KiB", markers)
}

func streamHeader(domain string) string {
	return "<?xml version='1.0'?><stream:stream to='" + domain +
		"' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
}

// openStream sends a stream header and returns the stream features.
func openStream(conn net.Conn, domain string) (string, error) {
	if _, err := conn.Write([]byte(streamHeader(domain))); err != nil {
		return "", err
	}
	return readUntil(conn, "</stream:features>")
}

// plainLogin does STARTTLS and SASL PLAIN as user on srv.C2SAddr, with raw
// bytes, and returns the server's SASL answer (<success .../> or a failure).
func plainLogin(t *testing.T, srv *Server, user, pass string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", srv.C2SAddr, 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))

	features, err := openStream(conn, srv.Domain)
	require.NoError(t, err, "features: %s", features)
	require.Contains(t, features, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'")
	_, err = conn.Write([]byte("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"))
	require.NoError(t, err)
	proceed, err := readUntil(conn, "/>", "</proceed>", "</failure>")
	require.NoError(t, err)
	require.Contains(t, proceed, "<proceed")

	tc := tls.Client(conn, srv.TLSConfig())
	require.NoError(t, tc.Handshake())
	features, err = openStream(tc, srv.Domain)
	require.NoError(t, err, "features: %s", features)
	require.Contains(t, features, "<mechanism>PLAIN</mechanism>")
	resp := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
	_, err = tc.Write([]byte("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + resp + "</auth>"))
	require.NoError(t, err)
	answer, err := readUntil(tc, "/>", "</success>", "</failure>")
	require.NoError(t, err, "answer: %s", answer)
	return answer
}

// checkDirectTLS does a verified TLS handshake on the direct TLS port and
// returns the negotiated version.
func checkDirectTLS(t *testing.T, srv *Server) uint16 {
	t.Helper()
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: srv.TLSConfig()}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := d.DialContext(ctx, "tcp", srv.DirectTLSAddr)
	require.NoError(t, err, "TLS to %s", srv.DirectTLSAddr)
	defer conn.Close()
	tc := conn.(*tls.Conn)
	require.NoError(t, tc.SetDeadline(time.Now().Add(10*time.Second)))
	// The server speaks XMPP inside the TLS layer.
	features, err := openStream(tc, srv.Domain)
	require.NoError(t, err, "features: %s", features)
	require.Contains(t, features, "urn:ietf:params:xml:ns:xmpp-sasl")
	return tc.ConnectionState().Version
}

// procGone reports whether pid has exited (a zombie counts as gone).
func procGone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	s := string(b)
	s = s[strings.LastIndexByte(s, ')')+2:]
	return s[0] == 'Z' || s[0] == 'X'
}

func checkStopped(t *testing.T, srv *Server) {
	t.Helper()
	require.NoError(t, srv.Stop())
	require.NoError(t, srv.Stop(), "second Stop")
	_, err := os.Stat(srv.Dir)
	require.True(t, os.IsNotExist(err), "Stat(%s) = %v, want not exist", srv.Dir, err)
	for _, pid := range srv.PIDs {
		// A child the server spawned may take a moment to be reaped after
		// the recorded processes exit, on a loaded machine.
		require.Eventually(t, func() bool { return procGone(pid) }, 5*time.Second, 20*time.Millisecond,
			"process %d still runs after Stop", pid)
	}
	_, err = net.DialTimeout("tcp", srv.C2SAddr, time.Second)
	require.Error(t, err, "c2s port still open after Stop")
}

func listUsers(t *testing.T, srv *Server) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out string
	var err error
	switch srv.Kind {
	case KindProsody:
		out, err = srv.Ctl(ctx, "shell", "user", "list", srv.Domain)
	case KindEjabberd:
		out, err = srv.Ctl(ctx, "registered_users", srv.Domain)
	}
	require.NoError(t, err)
	return out
}

func TestServers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind string
		opts *Options
	}{
		{KindProsody, nil},
		{KindProsody, &Options{TLS12Only: true}},
		{KindProsody, &Options{Domain: "example.test", Users: map[string]string{"zed": "zed-pass"}}},
		{KindEjabberd, nil},
		{KindEjabberd, &Options{TLS12Only: true}},
	}
	for _, tt := range tests {
		name := tt.kind
		if tt.opts != nil {
			name += fmt.Sprintf("/tls12=%v,domain=%q", tt.opts.TLS12Only, tt.opts.Domain)
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := startForTest(t, tt.kind, tt.opts)
			wantDomain, wantUsers := "localhost", DefaultUsers()
			if tt.opts != nil && tt.opts.Domain != "" {
				wantDomain = tt.opts.Domain
			}
			if tt.opts != nil && tt.opts.Users != nil {
				wantUsers = tt.opts.Users
			}
			require.Equal(t, tt.kind, srv.Kind)
			require.Equal(t, wantDomain, srv.Domain)
			require.Equal(t, wantUsers, srv.Users)
			require.Equal(t, "admin@"+wantDomain, srv.Admin)
			require.Equal(t, tt.opts != nil && tt.opts.TLS12Only, srv.TLS12Only)

			checkWeb(t, srv)
			version := checkDirectTLS(t, srv)
			if srv.TLS12Only {
				require.Equal(t, tls.VersionTLS12, int(version), "TLS version with TLS12Only")
			} else {
				require.Equal(t, tls.VersionTLS13, int(version), "TLS version by default")
			}

			for user := range wantUsers {
				answer := plainLogin(t, srv, user, srv.Password(user))
				require.Contains(t, answer, "<success", "login as %s", user)
			}
			first := "alice"
			if _, ok := wantUsers[first]; !ok {
				first = "zed"
			}
			answer := plainLogin(t, srv, first, "wrong")
			require.Contains(t, answer, "<failure", "login with a wrong password")

			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			require.NoError(t, srv.AddUser(ctx, "dave", "dave pass!"))
			require.Equal(t, "dave pass!", srv.Password("dave"))
			require.Contains(t, listUsers(t, srv), "dave")
			require.Contains(t, plainLogin(t, srv, "dave", "dave pass!"), "<success")

			checkStopped(t, srv)
		})
	}
}

// TestConcurrent runs Prosody, ejabberd and a second Prosody at once.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	kinds := []string{KindProsody, KindEjabberd, KindProsody}
	srvs := make([]*Server, len(kinds))
	errs := make([]error, len(kinds))
	var wg sync.WaitGroup
	for i, kind := range kinds {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
			defer cancel()
			srvs[i], errs[i] = Start(ctx, kind, nil)
		})
	}
	wg.Wait()
	for _, srv := range srvs {
		if srv != nil {
			t.Cleanup(func() { srv.Stop() })
		}
	}
	for _, err := range errs {
		if err != nil {
			unavailable(t, err)
		}
	}
	addrs := map[string]bool{}
	for _, srv := range srvs {
		require.False(t, addrs[srv.C2SAddr], "two servers on %s", srv.C2SAddr)
		addrs[srv.C2SAddr] = true
		checkDirectTLS(t, srv)
	}
	for _, srv := range srvs {
		require.Contains(t, plainLogin(t, srv, "bob", "bob-pass"), "<success")
	}
	for _, srv := range srvs {
		checkStopped(t, srv)
	}
}

func TestShared(t *testing.T) {
	t.Parallel()
	a := sharedProsody.Server(t)
	b := sharedProsody.Server(t)
	require.Same(t, a, b)
	checkDirectTLS(t, a)
}

func TestPortInUse(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("prosody"); err != nil {
		unavailable(t, fmt.Errorf("%w: %w", ErrNotInstalled, err))
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	dir := t.TempDir()
	require.NoError(t, WriteScripts(dir))
	cmd := exec.Command("bash", filepath.Join(dir, "start-prosody.sh"))
	cmd.Env = append(os.Environ(), "XMPP_C2S_PORT="+strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "output: %s", out)
	require.Equal(t, 75, cmd.ProcessState.ExitCode(), "exit code; output: %s", out)
	require.Contains(t, string(out), "already in use")
}

func TestBadOptions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, opts := range []*Options{
		{Domain: "Bad Domain"},
		{Users: map[string]string{"Alice": "x"}},
		{Users: map[string]string{"alice": "has space"}},
		{Admin: "a@b"},
	} {
		_, err := StartProsody(ctx, opts)
		require.Error(t, err, "StartProsody(%+v)", opts)
		require.NotErrorIs(t, err, ErrNotInstalled, "StartProsody(%+v)", opts)
	}
	_, err := Start(ctx, "openfire", nil)
	require.Error(t, err)
	require.NotErrorIs(t, err, ErrNotInstalled)
}

// recorder is a testing.TB whose Fatalf and Skipf record the message and
// stop the goroutine, as a test's do.
type recorder struct {
	testing.TB // only for its unexported method; never called
	mu         sync.Mutex
	fatal      string
	skip       string
	cleanups   []func()
}

func (r *recorder) Helper() {}
func (r *recorder) Cleanup(f func()) {
	r.mu.Lock()
	r.cleanups = append(r.cleanups, f)
	r.mu.Unlock()
}
func (r *recorder) Errorf(format string, a ...any) { r.Fatalf(format, a...) }
func (r *recorder) Fatalf(format string, a ...any) {
	r.mu.Lock()
	r.fatal = fmt.Sprintf(format, a...)
	r.mu.Unlock()
	runtime.Goexit()
}
func (r *recorder) Skipf(format string, a ...any) {
	r.mu.Lock()
	r.skip = fmt.Sprintf(format, a...)
	r.mu.Unlock()
	runtime.Goexit()
}

// run calls f with r in a new goroutine, runs the cleanups, and returns
// the Fatalf and Skipf messages.
func (r *recorder) run(f func(tb testing.TB)) (fatal, skip string) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range slices.Backward(r.cleanups) {
		c()
	}
	return r.fatal, r.skip
}

// TestReport: only a missing server outside CI is a skip.
func TestReport(t *testing.T) {
	t.Parallel()
	missing := fmt.Errorf("%w: starting prosody: missing Debian packages: prosody", ErrNotInstalled)
	other := errors.New("xmpptest: starting prosody: exit status 1\nprosody exited during startup")
	for _, tt := range []struct {
		name      string
		err       error
		ci        bool
		wantFatal bool
	}{
		{"missing", missing, false, false},
		{"missing in CI", missing, true, true},
		{"other", other, false, true},
		{"other in CI", other, true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fatal, skip := (&recorder{}).run(func(tb testing.TB) { report(tb, tt.err, tt.ci) })
			if gotFatal := fatal != ""; gotFatal != tt.wantFatal || (fatal == "") == (skip == "") {
				t.Errorf("report(%v, ci=%v): Fatalf(%q), Skipf(%q); want fatal %v", tt.err, tt.ci, fatal, skip, tt.wantFatal)
			}
		})
	}
}

// TestStartErrorsFail: a server that cannot start because of what the test
// asked for fails the test, in CI or not; it is never skipped.
func TestStartErrorsFail(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		kind string
		opts *Options
		want string
	}{
		{"bad domain", KindProsody, &Options{Domain: "Bad Domain"}, "bad domain"},
		{"bad localpart", KindEjabberd, &Options{Users: map[string]string{"Alice": "x"}}, "bad localpart"},
		{"bad admin", KindProsody, &Options{Admin: "a@b"}, "bad admin"},
		{"unknown kind", "openfire", nil, "unknown server kind"},
		// Rejected by the start script itself (exit code 64).
		{"bad script setting", KindProsody, &Options{Env: []string{"XMPP_DOMAIN=Bad_Domain"}}, "bad XMPP_DOMAIN"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fatal, skip := (&recorder{}).run(func(tb testing.TB) { startForTest(tb, tt.kind, tt.opts) })
			if skip != "" || !strings.Contains(fatal, tt.want) {
				t.Errorf("startForTest(%s, %+v): Fatalf(%q), Skipf(%q); want Fatalf containing %q", tt.kind, tt.opts, fatal, skip, tt.want)
			}
		})
	}
}

func TestInCI(t *testing.T) {
	for _, tt := range []struct {
		v    string
		want bool
	}{{"", false}, {"0", false}, {"false", false}, {"FALSE", false}, {"1", true}, {"true", true}, {"yes", true}} {
		t.Setenv("CI", tt.v)
		if got := inCI(); got != tt.want {
			t.Errorf("inCI() with CI=%q = %v, want %v", tt.v, got, tt.want)
		}
	}
}

// TestLoad: a program that did not start the server finds it by its
// instance directory, with a TLS configuration that verifies it.
func TestLoad(t *testing.T) {
	t.Parallel()
	srv := sharedProsody.Server(t)
	got, err := Load(srv.Dir)
	require.NoError(t, err, "Load(%s)", srv.Dir)
	require.Equal(t, srv.Kind, got.Kind)
	require.Equal(t, srv.Domain, got.Domain)
	require.Equal(t, srv.C2SAddr, got.C2SAddr)
	require.Equal(t, srv.DirectTLSAddr, got.DirectTLSAddr)
	require.Equal(t, srv.CAFile, got.CAFile)
	require.Equal(t, srv.Users, got.Users)
	require.Equal(t, srv.PIDs, got.PIDs)
	cfg := got.TLSConfig()
	require.Equal(t, srv.Domain, cfg.ServerName)
	require.NotNil(t, cfg.RootCAs)
	checkDirectTLS(t, got)

	// The configuration trusts only the throwaway CA.
	other := &Server{Domain: srv.Domain, DirectTLSAddr: srv.DirectTLSAddr, roots: x509.NewCertPool()}
	conn, err := tls.Dial("tcp", other.DirectTLSAddr, other.TLSConfig())
	if err == nil {
		conn.Close()
	}
	require.ErrorContains(t, err, "certificate signed by unknown authority", "TLS with an empty pool")

	_, err = Load(t.TempDir())
	require.ErrorIs(t, err, os.ErrNotExist, "Load of a dir without instance.env")
}

func TestLogTail(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := filepath.Join(dir, "log")
	require.NoError(t, os.WriteFile(f, []byte("a\nb\nc\n"), 0o644))
	s := &Server{LogFile: f}
	require.Equal(t, "b\nc", s.LogTail(2))
	require.Equal(t, "a\nb\nc", s.LogTail(10))
}

// BenchmarkStartStop measures a whole start and stop, as a test pays it:
//
//	go test -run '^$' -bench StartStop -benchtime 5x ./xmpptest/
func BenchmarkStartStop(b *testing.B) {
	for _, kind := range []string{KindProsody, KindEjabberd} {
		b.Run(kind, func(b *testing.B) {
			for b.Loop() {
				ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
				srv, err := Start(ctx, kind, nil)
				cancel()
				if err != nil {
					unavailable(b, err)
				}
				if err := srv.Stop(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
