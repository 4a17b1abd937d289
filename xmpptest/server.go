package xmpptest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The kinds of server this package starts.
const (
	KindProsody  = "prosody"
	KindEjabberd = "ejabberd"
)

// ErrPortInUse is returned (wrapped) when a server could not bind the ports
// picked for it, twice in a row.
var ErrPortInUse = errors.New("xmpptest: port already in use")

// ErrNotInstalled is returned (wrapped) when a server cannot run on this
// machine at all: its Debian package is missing and could not be installed
// (the start script exits with code 69), bash is missing, or the system is
// not Linux. It is the only start error that [Prosody], [Ejabberd] and
// [Shared.Server] turn into a skip, and only outside CI. Every other error,
// such as an invalid option or a server that rejects the generated
// configuration, fails the test.
var ErrNotInstalled = errors.New("xmpptest: server not installed")

// Options configure a server. A nil *Options means the defaults. Options
// are copied on entry.
type Options struct {
	// Domain is the XMPP domain served. Default "localhost". Clients must
	// connect to Server.C2SAddr and never look the domain up in DNS.
	Domain string

	// TLS12Only makes the server offer TLS 1.2 and nothing newer (Prosody
	// ssl.protocol "tlsv1_2", ejabberd c2s_protocol_options no_tlsv1_3).
	// Default false: TLS 1.2 and 1.3.
	TLS12Only bool

	// Users maps localparts to passwords, all registered before the
	// server is returned. Nil or empty means DefaultUsers(). Localparts
	// match [a-z0-9._-]+; passwords match [A-Za-z0-9._+=@%~^:!-]+.
	Users map[string]string

	// Admin is the localpart of the server admin. Default "admin".
	Admin string

	// Output, if not nil, receives the scripts' progress messages and
	// apt-get's output as they are written. Default: discarded (the tail
	// is still part of a start error).
	Output io.Writer

	// Env holds extra KEY=value settings for the start script, for
	// instance "PROSODY_LOG_LEVEL=debug" or "XMPP_START_TIMEOUT=60"; see
	// the script headers. Default none.
	Env []string

	// The fields below give a server a special configuration, for the
	// tests of a module that the default one does not load. Each is
	// ignored by the other kind of server. Default none.

	// ProsodyModules are more names for Prosody's global modules_enabled,
	// from Prosody itself or Debian's prosody-modules (both in the default
	// plugin path), or from ProsodyPlugins.
	ProsodyModules []string
	// ProsodyConfig is Lua for the global section of prosody.cfg.lua.
	ProsodyConfig string
	// ProsodyHosts is Lua appended at the end of prosody.cfg.lua: more
	// VirtualHost and Component sections.
	ProsodyHosts string
	// ProsodyPlugins maps file names (such as "mod_compat.lua") to their
	// content, written to DIR/plugins, the first of Prosody's plugin_paths.
	ProsodyPlugins map[string]string
	// EjabberdListen is YAML appended under ejabberd.yml's listen: list
	// items indented by two spaces ("  -").
	EjabberdListen string
	// EjabberdModules is YAML appended under modules:, indented by two
	// spaces.
	EjabberdModules string
	// EjabberdConfig is YAML appended at the end of ejabberd.yml: more
	// top-level keys.
	EjabberdConfig string
}

// DefaultUsers returns the users registered when Options.Users is empty:
// alice, bob, carol and admin, each with the password "<name>-pass".
func DefaultUsers() map[string]string {
	return map[string]string{
		"alice": "alice-pass",
		"bob":   "bob-pass",
		"carol": "carol-pass",
		"admin": "admin-pass",
	}
}

// Server is a running throwaway server. Its exported fields are set when it
// is started and must not be modified. Its methods are safe to call
// concurrently.
type Server struct {
	Kind          string // KindProsody or KindEjabberd
	Domain        string // the XMPP domain, e.g. "localhost"
	C2SAddr       string // client port, STARTTLS required, "127.0.0.1:port"
	DirectTLSAddr string // client port, direct TLS (XEP-0368), "127.0.0.1:port"
	CAFile        string // PEM file of the CA that signed the server certificate
	HTTPSAddr     string // HTTPS port: upload, BOSH, websocket, host-meta, "127.0.0.1:port"
	HTTPAddr      string // plain HTTP port: BOSH and websocket, "127.0.0.1:port"
	// WebSocketURL is the RFC 7395 endpoint over TLS, wss://localhost:port/…
	// (wss://127.0.0.1:port/… for a domain other than localhost), verified
	// by TLSConfig's roots.
	WebSocketURL string
	// BOSHURL is the XEP-0206 endpoint over TLS, https://localhost:port/….
	BOSHURL string
	// InsecureWebSocketURL and InsecureBOSHURL are the same endpoints over
	// plain HTTP (ws://, http://), for the tests of the Insecure options.
	InsecureWebSocketURL, InsecureBOSHURL string
	// HostMetaURL is the XEP-0156 host-meta document (XRD) on the HTTPS
	// port; HostMetaURL+".json" is the JRD one. Both name WebSocketURL and
	// BOSHURL.
	HostMetaURL string
	// ComponentAddr is the XEP-0114 component port (jabber:component:accept,
	// plaintext TCP), "127.0.0.1:port"; ComponentDomains are the component
	// domains it accepts (comp1, comp2 and comp3 under Domain), each with
	// the secret ComponentSecret.
	ComponentAddr    string
	ComponentDomains []string
	ComponentSecret  string
	UploadDomain     string            // the HTTP File Upload service (XEP-0363), "upload.<domain>"
	UploadLimit      int64             // the largest file, in bytes, the upload service takes
	Dir              string            // the instance directory, removed by Stop
	Users            map[string]string // users registered at start: localpart → password
	Admin            string            // bare JID of the server admin
	TLS12Only        bool              // whether the server offers TLS 1.2 only
	LogFile          string            // the server's log file
	PIDs             []int             // processes that Stop ends
	Env              map[string]string // everything the start script reported (instance.env)

	ctl   string // DIR/ctl: runs prosodyctl or ejabberdctl for this instance
	roots *x509.CertPool

	mu    sync.Mutex
	added map[string]string // users added by AddUser; guarded by mu

	stopOnce sync.Once
	stopErr  error
}

// StartProsody starts a Prosody server. It installs Prosody first when it
// is missing and the process runs as root. ctx bounds the start, not the
// server's lifetime: call Stop to end it.
func StartProsody(ctx context.Context, opts *Options) (*Server, error) {
	return start(ctx, KindProsody, opts)
}

// StartEjabberd starts an ejabberd server, like StartProsody.
func StartEjabberd(ctx context.Context, opts *Options) (*Server, error) {
	return start(ctx, KindEjabberd, opts)
}

// Start starts a server of the given kind (KindProsody or KindEjabberd).
func Start(ctx context.Context, kind string, opts *Options) (*Server, error) {
	return start(ctx, kind, opts)
}

var (
	localpartRE = regexp.MustCompile(`^[a-z0-9._-]+$`)
	passwordRE  = regexp.MustCompile(`^[A-Za-z0-9._+=@%~^:!-]+$`)
	domainRE    = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$`)
)

func start(ctx context.Context, kind string, opts *Options) (*Server, error) {
	if kind != KindProsody && kind != KindEjabberd {
		return nil, fmt.Errorf("xmpptest: unknown server kind %q", kind)
	}
	if runtime.GOOS != "linux" {
		return nil, fmt.Errorf("%w: %s needs Linux, not %s (%w)", ErrNotInstalled, kind, runtime.GOOS, errors.ErrUnsupported)
	}
	if _, err := exec.LookPath("bash"); err != nil {
		return nil, fmt.Errorf("%w: the start scripts need bash: %w", ErrNotInstalled, err)
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Domain == "" {
		o.Domain = "localhost"
	}
	if !domainRE.MatchString(o.Domain) {
		return nil, fmt.Errorf("xmpptest: bad domain %q", o.Domain)
	}
	if o.Admin == "" {
		o.Admin = "admin"
	}
	if !localpartRE.MatchString(o.Admin) {
		return nil, fmt.Errorf("xmpptest: bad admin localpart %q", o.Admin)
	}
	if len(o.Users) == 0 {
		o.Users = DefaultUsers()
	}
	var users []string
	for _, u := range slices.Sorted(maps.Keys(o.Users)) {
		p := o.Users[u]
		if !localpartRE.MatchString(u) {
			return nil, fmt.Errorf("xmpptest: bad localpart %q (want [a-z0-9._-]+)", u)
		}
		if !passwordRE.MatchString(p) {
			return nil, fmt.Errorf("xmpptest: password of %q has unsupported characters", u)
		}
		users = append(users, u+":"+p)
	}
	env := []string{
		"XMPP_DOMAIN=" + o.Domain,
		"XMPP_TEST_USERS=" + strings.Join(users, ","),
		"XMPP_EXTRA_USERS=",
		"XMPP_ADMIN=" + o.Admin,
		"XMPP_TLS12_ONLY=" + map[bool]string{false: "0", true: "1"}[o.TLS12Only],
		"PROSODY_TLS12_ONLY=",
		"EJABBERD_TLS12_ONLY=",
	}
	if len(o.ProsodyModules) > 0 {
		env = append(env, "PROSODY_EXTRA_MODULES="+strings.Join(o.ProsodyModules, " "))
	}
	for k, v := range map[string]string{
		"PROSODY_EXTRA_CONFIG":   o.ProsodyConfig,
		"PROSODY_EXTRA_HOSTS":    o.ProsodyHosts,
		"EJABBERD_EXTRA_LISTEN":  o.EjabberdListen,
		"EJABBERD_EXTRA_MODULES": o.EjabberdModules,
		"EJABBERD_EXTRA_CONFIG":  o.EjabberdConfig,
	} {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	if len(o.ProsodyPlugins) > 0 && kind == KindProsody {
		dir, err := os.MkdirTemp("", "xmpptest-plugins-")
		if err != nil {
			return nil, fmt.Errorf("xmpptest: writing the plugins: %w", err)
		}
		defer os.RemoveAll(dir) // the start script copies them
		for name, content := range o.ProsodyPlugins {
			if name != filepath.Base(name) || strings.HasPrefix(name, ".") {
				return nil, fmt.Errorf("xmpptest: bad plugin file name %q", name)
			}
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				return nil, fmt.Errorf("xmpptest: writing the plugins: %w", err)
			}
		}
		if err := os.Chmod(dir, 0o755); err != nil {
			return nil, fmt.Errorf("xmpptest: writing the plugins: %w", err)
		}
		env = append(env, "PROSODY_PLUGINS_DIR="+dir)
	}
	env = append(env, o.Env...)

	var err error
	for attempt := 0; attempt < 2; attempt++ {
		var srv *Server
		srv, err = startOnce(ctx, kind, &o, env)
		if err == nil {
			return srv, nil
		}
		if !errors.Is(err, ErrPortInUse) {
			break
		}
	}
	return nil, err
}

// freePorts returns n distinct TCP ports that were free on 127.0.0.1. Some
// other process may take them before the server binds them; the start
// script then exits with code 75 and start tries again.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("xmpptest: finding a free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func startOnce(ctx context.Context, kind string, o *Options, env []string) (*Server, error) {
	ports, err := freePorts(6)
	if err != nil {
		return nil, err
	}
	env = append(slices.Clone(env),
		"XMPP_C2S_PORT="+strconv.Itoa(ports[0]),
		"XMPP_DIRECT_TLS_PORT="+strconv.Itoa(ports[1]),
		"EJABBERD_DIST_PORT="+strconv.Itoa(ports[2]),
		"XMPP_HTTPS_PORT="+strconv.Itoa(ports[3]),
		"XMPP_HTTP_PORT="+strconv.Itoa(ports[4]),
		"XMPP_COMPONENT_PORT="+strconv.Itoa(ports[5]),
	)
	var stdout bytes.Buffer
	stderr := &tailBuffer{max: 16 << 10}
	err = withScripts(func(dir string) error {
		cmd := exec.CommandContext(ctx, "bash", dir+"/start-"+kind+".sh")
		cmd.Env = append(os.Environ(), env...)
		cmd.Stdout = &stdout
		cmd.Stderr = stderr
		if o.Output != nil {
			cmd.Stderr = io.MultiWriter(stderr, o.Output)
		}
		// On cancellation let the script's trap stop what it started.
		cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
		cmd.WaitDelay = 20 * time.Second
		return cmd.Run()
	})
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 75 {
			return nil, fmt.Errorf("%w: starting %s: %s", ErrPortInUse, kind, msg)
		}
		if errors.As(err, &ee) && ee.ExitCode() == 69 {
			return nil, fmt.Errorf("%w: starting %s: %s", ErrNotInstalled, kind, msg)
		}
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		return nil, fmt.Errorf("xmpptest: starting %s: %w\n%s", kind, err, msg)
	}
	srv, err := newServer(kind, parseEnv(stdout.String()))
	if err != nil && srv != nil {
		srv.Stop() // up, but unusable: stop what the script started
	}
	if err != nil {
		return nil, err
	}
	return srv, nil
}

func parseEnv(s string) map[string]string {
	m := make(map[string]string)
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok && k != "" && !strings.ContainsAny(k, " \t") {
			m[k] = v
		}
	}
	return m
}

// Load returns the server whose instance directory is dir, for a program
// that did not start it itself: one started by start-prosody.sh or
// start-ejabberd.sh (see [WriteScripts]) from a shell or a CI job, or by
// another process with [StartProsody]. It reads dir/instance.env, which the
// start script writes once the server is up, and the CA certificate, so
// that [Server.TLSConfig], [Server.CAFile], [Server.JID] and
// [Server.Password] work as for a server started with StartProsody.
//
// The returned Server controls the same instance: its Stop stops the
// server and removes dir. A program that only connects to the server must
// not call Stop; whoever started it does.
func Load(dir string) (*Server, error) {
	b, err := os.ReadFile(filepath.Join(dir, "instance.env"))
	if err != nil {
		return nil, fmt.Errorf("xmpptest: loading the instance: %w", err)
	}
	env := parseEnv(string(b))
	kind := env["XMPP_KIND"]
	if kind != KindProsody && kind != KindEjabberd {
		return nil, fmt.Errorf("xmpptest: %s: unknown server kind %q", dir, kind)
	}
	s, err := newServer(kind, env)
	if err != nil {
		return nil, err // the instance keeps running: it is not ours
	}
	return s, nil
}

// newServer returns the server that env (an instance.env) describes. On
// error it returns the server too, when it knows the instance directory, so
// that the caller can stop it.
func newServer(kind string, env map[string]string) (*Server, error) {
	s := &Server{
		Kind:          kind,
		Domain:        env["XMPP_DOMAIN"],
		C2SAddr:       env["XMPP_C2S_ADDR"],
		DirectTLSAddr: env["XMPP_DIRECT_TLS_ADDR"],
		CAFile:        env["XMPP_CA_FILE"],
		HTTPSAddr:     env["XMPP_HTTPS_ADDR"],
		HTTPAddr:      env["XMPP_HTTP_ADDR"],
		WebSocketURL:  env["XMPP_WEBSOCKET_URL"],
		BOSHURL:       env["XMPP_BOSH_URL"],
		HostMetaURL:   env["XMPP_HOST_META_URL"],
		ComponentAddr: env["XMPP_COMPONENT_ADDR"],

		InsecureWebSocketURL: env["XMPP_INSECURE_WEBSOCKET_URL"],
		InsecureBOSHURL:      env["XMPP_INSECURE_BOSH_URL"],
		ComponentSecret:      env["XMPP_COMPONENT_SECRET"],
		UploadDomain:         env["XMPP_UPLOAD_DOMAIN"],
		Dir:                  env["XMPP_DIR"],
		Users:                make(map[string]string),
		Admin:                env["XMPP_ADMIN"],
		TLS12Only:            env["XMPP_TLS12_ONLY"] == "1",
		LogFile:              env["XMPP_LOG"],
		Env:                  env,
		ctl:                  env["XMPP_CTL"],
		added:                make(map[string]string),
	}
	s.UploadLimit, _ = strconv.ParseInt(env["XMPP_UPLOAD_MAX_BYTES"], 10, 64)
	if d := env["XMPP_COMPONENT_DOMAINS"]; d != "" {
		s.ComponentDomains = strings.Split(d, ",")
	}
	for _, p := range strings.Split(env["XMPP_PIDS"], ",") {
		if pid, err := strconv.Atoi(p); err == nil {
			s.PIDs = append(s.PIDs, pid)
		}
	}
	for _, up := range strings.Split(env["XMPP_USERS"], ",") {
		if u, p, ok := strings.Cut(up, ":"); ok {
			s.Users[u] = p
		}
	}
	if s.Dir == "" {
		return nil, fmt.Errorf("xmpptest: start-%s.sh printed an incomplete instance.env: %v", kind, env)
	}
	if s.C2SAddr == "" || s.DirectTLSAddr == "" || s.CAFile == "" || s.ctl == "" {
		return s, fmt.Errorf("xmpptest: start-%s.sh printed an incomplete instance.env: %v", kind, env)
	}
	pem, err := os.ReadFile(s.CAFile)
	if err == nil {
		s.roots = x509.NewCertPool()
		if !s.roots.AppendCertsFromPEM(pem) {
			err = fmt.Errorf("no certificate in %s", s.CAFile)
		}
	}
	if err != nil {
		return s, fmt.Errorf("xmpptest: reading the CA: %w", err)
	}
	return s, nil
}

// TLSConfig returns a new TLS configuration that trusts only the server's
// throwaway CA and verifies the certificate against the XMPP domain
// (RootCAs and ServerName set, nothing else), for a client in a test or a
// program: pass it as xmpp.Options.TLSConfig. The caller may modify it. A
// program in another process, such as one started with exec.Command, can
// trust the same CA through its file, CAFile; Go programs that use the
// system roots do so with SSL_CERT_FILE=CAFile in their environment.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.roots, ServerName: s.Domain}
}

// JID returns the bare JID of a local user: JID("alice") = "alice@localhost".
func (s *Server) JID(user string) string { return user + "@" + s.Domain }

// Password returns the password of a user registered at start or by
// AddUser, or "" for an unknown user.
func (s *Server) Password(user string) string {
	if p, ok := s.Users[user]; ok {
		return p
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.added[user]
}

// AddUser registers a user on the running server with prosodyctl or
// ejabberdctl (about 40 ms for Prosody, 0.5 s for ejabberd). Password
// knows the user afterwards; Users does not change.
func (s *Server) AddUser(ctx context.Context, user, password string) error {
	if user == "" || strings.ContainsAny(user, "@/ \t\r\n\"&'<>:") {
		return fmt.Errorf("xmpptest: bad localpart %q", user)
	}
	if password == "" || strings.ContainsAny(password, "\x00\r\n") {
		return fmt.Errorf("xmpptest: bad password for %q", user)
	}
	if _, err := s.Ctl(ctx, "register", user, s.Domain, password); err != nil {
		return err
	}
	s.mu.Lock()
	s.added[user] = password
	s.mu.Unlock()
	return nil
}

// Ctl runs the server's admin tool for this instance, prosodyctl (with
// --config) or ejabberdctl (with the instance's node and cookie), and
// returns its combined output. For example Ctl(ctx, "shell", "user", "list",
// "localhost") on Prosody or Ctl(ctx, "registered_users", "localhost") on
// ejabberd.
func (s *Server) Ctl(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "bash", append([]string{s.ctl}, args...)...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("xmpptest: %s ctl %s: %w: %s", s.Kind, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return string(out), nil
}

// Stop stops the server, only its own processes (SIGTERM, then SIGKILL
// after 5 s), and removes its directory unless the environment has
// KEEP_DIR=1. Calls after the first return the first call's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s.stopErr = withScripts(func(dir string) error {
			cmd := exec.CommandContext(ctx, "bash", dir+"/stop-"+s.Kind+".sh", s.Dir)
			cmd.WaitDelay = 5 * time.Second
			out, err := cmd.CombinedOutput()
			if err != nil {
				return fmt.Errorf("xmpptest: stopping %s in %s: %w: %s", s.Kind, s.Dir, err, bytes.TrimSpace(out))
			}
			return nil
		})
	})
	return s.stopErr
}

// LogTail returns the last n lines of the server's log, for failure
// messages.
func (s *Server) LogTail(n int) string {
	b, err := os.ReadFile(s.LogFile)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := strings.SplitAfter(strings.TrimRight(string(b), "\n"), "\n")
	if n >= 0 && len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = t.b[over:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
