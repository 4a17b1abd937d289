package xmpptest

import (
	"context"
	"errors"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"
)

// startTimeout bounds a start from the test helpers, apt-get install
// included.
const startTimeout = 10 * time.Minute

// Prosody starts a Prosody server for one test and stops it when the test
// and its subtests are done. If Prosody is not installed and cannot be
// installed (the error wraps [ErrNotInstalled]), the test is skipped, unless
// the environment variable CI is set, when it fails. Any other start error,
// an invalid option included, fails the test.
func Prosody(tb testing.TB, opts *Options) *Server {
	tb.Helper()
	return startForTest(tb, KindProsody, opts)
}

// Ejabberd starts an ejabberd server for one test, like Prosody.
func Ejabberd(tb testing.TB, opts *Options) *Server {
	tb.Helper()
	return startForTest(tb, KindEjabberd, opts)
}

func startForTest(tb testing.TB, kind string, opts *Options) *Server {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	srv, err := start(ctx, kind, opts)
	if err != nil {
		unavailable(tb, err)
	}
	tb.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			tb.Errorf("%v", err)
		}
	})
	return srv
}

// unavailable reports a start error: it skips the test when the server is
// not installed and CI is not set, and fails it otherwise.
func unavailable(tb testing.TB, err error) {
	tb.Helper()
	report(tb, err, inCI())
}

// report is unavailable with the CI setting given.
func report(tb testing.TB, err error, ci bool) {
	tb.Helper()
	switch {
	case !errors.Is(err, ErrNotInstalled):
		tb.Fatalf("%v", err)
	case ci:
		tb.Fatalf("%v\n(CI is set: a missing server is a failure, not a reason to skip)", err)
	default:
		tb.Skipf("skipping: %v", err)
	}
}

// inCI reports whether the environment variable CI is set: to anything
// but the empty string or a value strconv.ParseBool reads as false ("0",
// "false", "FALSE", ...), so that CI=true (GitHub Actions, GitLab) and CI=1
// both count.
func inCI() bool {
	ci := os.Getenv("CI")
	if ci == "" {
		return false
	}
	b, err := strconv.ParseBool(ci)
	return err != nil || b
}

// Shared is a server shared by the tests of one test binary: started by the
// first test that asks for it, stopped by Stop, typically in TestMain. Set
// Kind and Options before first use and do not change them afterwards.
// Its methods are safe to call concurrently.
//
//	var prosody = &xmpptest.Shared{Kind: xmpptest.KindProsody}
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		prosody.Stop()
//		os.Exit(code)
//	}
type Shared struct {
	Kind    string   // KindProsody or KindEjabberd
	Options *Options // nil means the defaults

	mu      sync.Mutex
	srv     *Server // guarded by mu
	err     error   // the start error, remembered; guarded by mu
	started bool    // guarded by mu
}

// Server returns the shared server, starting it on first use. A start
// error is reported as by [Prosody]: a skip if the server is not installed
// and CI is not set, a failure otherwise. Later calls report the same error
// without trying again.
func (s *Shared) Server(tb testing.TB) *Server {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		s.started = true
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		s.srv, s.err = start(ctx, s.Kind, s.Options)
		cancel()
	}
	if s.err != nil {
		unavailable(tb, s.err)
	}
	return s.srv
}

// Stop stops the shared server if it was started. A later Server call
// starts a new one.
func (s *Shared) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	srv := s.srv
	s.srv, s.err, s.started = nil, nil, false
	if srv == nil {
		return nil
	}
	return srv.Stop()
}
