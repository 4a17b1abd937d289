// Command demo shows the library at work in a few seconds, with nothing to
// configure: it starts a throwaway Prosody on loopback (xmpptest), runs
// examples/echobot logged in as bob, and as alice sends bob three messages
// and prints the echoes. Then it stops the bot and the server.
//
//	go run ./examples/demo    # or: make demo, which installs Prosody first
//
// Prosody must be installed, or the demo must run as root so that it can
// install it with apt-get. The server is stopped on every exit path,
// Ctrl-C included. The exit status is 0 only if every echo arrived intact.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/xmpptest"
)

const (
	startTimeout  = 5 * time.Minute  // Prosody start, apt-get install included
	buildTimeout  = 3 * time.Minute  // go build of the echo bot
	onlineTimeout = 30 * time.Second // from starting the bot to its first echo
	echoTimeout   = 10 * time.Second // for each echo
	probeInterval = 500 * time.Millisecond
	probePrefix   = "(are you there? #"
)

// messages are what alice says to bob.
var messages = []string{
	"Hello, bob!",
	`Markup stays text: <b>bold</b> & "quotes" 'too'`,
	"Unicode too: 🦊 漢字 héllo ✓",
}

func main() {
	begin := time.Now()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx)
	stop()
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("interrupted (%w)", err)
		}
		fmt.Fprintf(os.Stderr, "demo failed: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("All %d messages came back intact. Done in %s.\n", len(messages), since(begin))
}

func run(ctx context.Context) (err error) {
	fmt.Println("gojabber demo: a client and an echo bot talking through a real XMPP server.")

	tmp, err := os.MkdirTemp("", "gojabber-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	// Build the bot while the server starts.
	bin := filepath.Join(tmp, "echobot")
	var buildErr error
	built := make(chan struct{})
	go func() { buildErr = build(ctx, bin); close(built) }()
	defer func() { <-built }() // never leave the build running

	step("starting a throwaway Prosody on loopback")
	t0 := time.Now()
	startCtx, cancel := context.WithTimeout(ctx, startTimeout)
	srv, err := xmpptest.StartProsody(startCtx, &xmpptest.Options{
		Users: map[string]string{"alice": "alice-pass", "bob": "bob-pass"},
	})
	cancel()
	if err != nil {
		return fmt.Errorf("starting Prosody: %w", err)
	}
	defer func() {
		step("stopping Prosody")
		if serr := srv.Stop(); serr != nil && err == nil {
			err = fmt.Errorf("stopping Prosody: %w", serr)
		}
	}()
	done("up in %s: domain %s, client port %s", since(t0), srv.Domain, srv.C2SAddr)

	step("building examples/echobot")
	t0 = time.Now()
	<-built
	if buildErr != nil {
		return buildErr
	}
	done("built in %s", since(t0))

	aliceJID, bobJID := srv.JID("alice"), srv.JID("bob")
	step("starting echobot as %s", bobJID)
	bot, err := startBot(ctx, bin, bobJID, srv.Password("bob"), srv.C2SAddr, srv.CAFile)
	if err != nil {
		return err
	}
	botRunning := true
	defer func() {
		if botRunning {
			step("stopping echobot")
			bot.stop()
		}
	}()

	step("logging in as %s", aliceJID)
	inbox := make(chan *xmpp.Message, 64)
	loginCtx, cancel := context.WithTimeout(ctx, onlineTimeout)
	mux := xmpp.NewMux()
	mux.HandleMessage(func(_ xmpp.Session, m *xmpp.Message) {
		select {
		case inbox <- m:
		default: // nobody is listening any more
		}
	})
	alice, err := xmpp.Dial(loginCtx, aliceJID, srv.Password("alice"), &xmpp.Options{
		Server:    srv.C2SAddr,
		TLSConfig: srv.TLSConfig(),
		Handler:   mux,
	})
	cancel()
	if err != nil {
		return fmt.Errorf("alice's login: %w", err)
	}
	defer alice.Close()
	done("logged in as %s", alice.JID())

	bob := xmpp.MustParseJID(bobJID)
	w := &waiter{ctx: ctx, alice: alice, inbox: inbox, bot: bot}

	// The bot is online when it answers. Until then, probes that reach it
	// before it is available may bounce or get lost, so keep asking.
	step("waiting for echobot to come online")
	t0 = time.Now()
	if err := w.probe(bob); err != nil {
		return err
	}
	done("online, it answered after %s", since(t0))
	fmt.Println()

	for _, body := range messages {
		fmt.Printf("alice → bob: %s\n", body)
		sendCtx, cancel := context.WithTimeout(ctx, echoTimeout)
		err := alice.Send(sendCtx, chat(bob, body))
		cancel()
		if err != nil {
			return fmt.Errorf("sending to bob: %w", err)
		}
		m, err := w.next(echoTimeout, func(m *xmpp.Message) bool { return !strings.HasPrefix(m.Body, probePrefix) })
		if err != nil {
			return fmt.Errorf("waiting for bob's echo of %q: %w", body, err)
		}
		fmt.Printf("bob → alice: %s\n", m.Body)
		if m.Body != body {
			return fmt.Errorf("bob's echo is %q, want %q", m.Body, body)
		}
	}
	fmt.Println()

	step("stopping echobot")
	botRunning = false
	if err := bot.stop(); err != nil {
		return err
	}
	return nil
}

var errNothing = errors.New("no message")

// waiter waits for alice's messages, the bot's exit or the end of ctx.
type waiter struct {
	ctx   context.Context
	alice *xmpp.Client
	inbox <-chan *xmpp.Message
	bot   *botProcess
}

// next returns the next chat message with a body that keep accepts, within d.
func (w *waiter) next(d time.Duration, keep func(*xmpp.Message) bool) (*xmpp.Message, error) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case m := <-w.inbox:
			if m.Type == xmpp.MessageChat && m.Body != "" && keep(m) {
				return m, nil
			}
		case <-w.bot.done:
			return nil, fmt.Errorf("echobot exited: %v", w.bot.err)
		case <-w.alice.Done():
			return nil, fmt.Errorf("alice's session ended: %w", w.alice.Err())
		case <-w.ctx.Done():
			return nil, w.ctx.Err()
		case <-timer.C:
			return nil, fmt.Errorf("%w within %s", errNothing, d)
		}
	}
}

// probe sends numbered probes to bob until one is echoed, within
// onlineTimeout.
func (w *waiter) probe(bob xmpp.JID) error {
	deadline := time.Now().Add(onlineTimeout)
	for n := 1; time.Now().Before(deadline); n++ {
		ctx, cancel := context.WithTimeout(w.ctx, echoTimeout)
		err := w.alice.Send(ctx, chat(bob, fmt.Sprintf("%s%d)", probePrefix, n)))
		cancel()
		if err != nil {
			return fmt.Errorf("sending to bob: %w", err)
		}
		_, err = w.next(probeInterval, func(m *xmpp.Message) bool { return strings.HasPrefix(m.Body, probePrefix) })
		if err == nil {
			return nil
		}
		if !errors.Is(err, errNothing) {
			return err
		}
	}
	return fmt.Errorf("echobot did not answer within %s", onlineTimeout)
}

func chat(to xmpp.JID, body string) *xmpp.Message {
	return &xmpp.Message{Header: xmpp.Header{To: to}, Type: xmpp.MessageChat, Body: body}
}

// build compiles examples/echobot into bin.
func build(ctx context.Context, bin string) error {
	gocmd, err := exec.LookPath("go")
	if err != nil {
		gocmd = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, gocmd, "build", "-o", bin, "github.com/gojabber/xmpp/examples/echobot")
	// An interrupted go build leaves its work dir behind: keep it in ours.
	cmd.Env = append(os.Environ(), "GOTMPDIR="+filepath.Dir(bin))
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("building examples/echobot: %v\n%s", err, out)
	}
	return nil
}

// relay copies r to stdout line by line, each line after prefix.
func relay(r io.Reader, prefix string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fmt.Printf("%s%s\n", prefix, sc.Text())
	}
}

// botProcess is the running echo bot.
type botProcess struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has been waited for
	err  error         // its exit status, set before done is closed
}

// startBot runs the echobot binary bin logged in as jid. Its log lines are
// copied to stdout.
func startBot(ctx context.Context, bin, jid, password, server, caFile string) (*botProcess, error) {
	cmd := exec.CommandContext(ctx, bin, "-jid", jid, "-password", password, "-server", server)
	// Go programs trust the CA in SSL_CERT_FILE: the test server's CA is
	// not among the system roots.
	cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+caFile)
	out, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting echobot: %w", err)
	}
	b := &botProcess{cmd: cmd, done: make(chan struct{})}
	go func() {
		relay(out, "    echobot | ")
		b.err = cmd.Wait()
		close(b.done)
	}()
	return b, nil
}

// stop asks the bot to log out (SIGINT), kills it if it has not exited
// within a few seconds, and returns an error unless it exited cleanly.
func (b *botProcess) stop() error {
	select {
	case <-b.done:
	default:
		_ = b.cmd.Process.Signal(os.Interrupt)
		select {
		case <-b.done:
		case <-time.After(5 * time.Second):
			_ = b.cmd.Process.Kill()
			<-b.done
			return errors.New("echobot ignored SIGINT and was killed")
		}
	}
	if b.err != nil {
		return fmt.Errorf("echobot: %w", b.err)
	}
	return nil
}

func step(format string, args ...any) { fmt.Printf("→ "+format+"\n", args...) }
func done(format string, args ...any) { fmt.Printf("  "+format+"\n", args...) }

func since(t time.Time) time.Duration { return time.Since(t).Round(10 * time.Millisecond) }
