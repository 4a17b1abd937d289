package fake_test

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

// recorder is a testing.TB whose Fatalf records the message and stops the
// goroutine, as t.Fatalf does.
type recorder struct {
	testing.TB // only for its unexported method; never called
	fatal      string
	cleanups   []func()
}

func (r *recorder) Helper()          {}
func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }
func (r *recorder) Fatalf(format string, a ...any) {
	r.fatal = fmt.Sprintf(format, a...)
	runtime.Goexit()
}

// run calls f with r in a new goroutine, then runs the cleanups, and
// returns the Fatalf message, if any.
func (r *recorder) run(f func(tb testing.TB)) string {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	for _, c := range slices.Backward(r.cleanups) {
		c()
	}
	return r.fatal
}

func TestFatal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		f    func(tb testing.TB)
		want string
	}{
		{"no localpart", func(tb testing.TB) { fake.Start(tb, "example.test", nil) }, "has no localpart"},
		{"bad JID", func(tb testing.TB) { fake.Start(tb, "a@b@", nil) }, "fake.Start"},
		{"no PLAIN", func(tb testing.TB) {
			fake.Start(tb, alice, &xmpp.Options{Mechanisms: []string{"SCRAM-SHA-256"}})
		}, "no-mechanism"},
		{"Send after Close", func(tb testing.TB) {
			_, s := fake.Start(tb, alice, nil)
			s.Close()
			s.Send("<presence/>")
		}, "after Close"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := (&recorder{}).run(tc.f)
			t.Log(got)
			if !strings.Contains(got, tc.want) {
				t.Errorf("Fatalf(%q), want it to contain %q", got, tc.want)
			}
		})
	}
}
