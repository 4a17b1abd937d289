package upload

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/disco"
	"github.com/gojabber/xmpp/oob"
)

// Service is an HTTP File Upload service (XEP-0363 §3).
type Service struct {
	// JID is the service's address, e.g. upload.example.com.
	JID xmpp.JID
	// MaxFileSize is the largest file the service takes, in bytes, from
	// the max-file-size field of its XEP-0128 form; 0 if it announced no
	// limit.
	MaxFileSize int64
}

// Options configure uploads and downloads. A nil *Options means the
// defaults.
type Options struct {
	// Service is the upload service to use. Default: the zero Service,
	// which makes Upload and SendFile call Discover first.
	Service Service

	// HTTPClient does the PUT and the GET. Default: a client of its own
	// for each call, whose TLS verification trusts the same roots as the
	// session: the RootCAs of the session's TLSConfig method (as
	// [xmpp.Client.TLSConfig]; the system roots when that is nil).
	// InsecureSkipVerify and client certificates of the session are not
	// carried over. A session without a TLSConfig method (a test fake, a
	// component) has no default: without HTTPClient, calls that need HTTP
	// return ErrNeedHTTPClient. Given a client, its own redirect policy
	// applies; the default client follows redirects to https URLs only
	// (unless InsecureAllowHTTP).
	HTTPClient *http.Client

	// Progress, if not nil, is called after each chunk of the body is
	// sent (Put) or received (Download), with the bytes done so far and
	// the total (File.Size for Put; the Content-Length for Download, or
	// -1 when the server sent none). Calls come one at a time, possibly
	// from a goroutine of the HTTP transport; Progress must not block.
	Progress func(done, total int64)

	// InsecureAllowHTTP allows http:// PUT and GET URLs, which carry the
	// file, and the slot's Authorization header, in clear. Default false:
	// such URLs are ErrInsecureURL errors before anything is sent.
	InsecureAllowHTTP bool
}

// maxItems bounds how many disco#items Discover asks for their info.
const maxItems = 32

// Discover finds the upload service of the session's server (XEP-0363 §3):
// the first item of the server's disco#items whose disco#info lists
// urn:xmpp:http:upload:0, or the server itself, with the max-file-size
// of its XEP-0128 form. Items that do not answer are skipped. It returns
// ErrNoService when no item offers uploads.
func Discover(ctx context.Context, s xmpp.Session) (Service, error) {
	domain, err := xmpp.ParseJID(s.JID().Domain())
	if err != nil {
		return Service{}, fmt.Errorf("upload: the session's domain: %w", err)
	}
	items, err := disco.GetItems(ctx, s, domain, "")
	if err != nil {
		return Service{}, fmt.Errorf("upload: disco#items of %s: %w", domain, err)
	}
	candidates := make([]xmpp.JID, 0, len(items)+1)
	for _, it := range items {
		if it.Node == "" && len(candidates) < maxItems {
			candidates = append(candidates, it.JID)
		}
	}
	candidates = append(candidates, domain)
	for _, j := range candidates {
		info, err := disco.GetInfo(ctx, s, j, "")
		if err != nil {
			if ctx.Err() != nil {
				return Service{}, ctx.Err()
			}
			continue
		}
		if !info.HasFeature(NS) {
			continue
		}
		return Service{JID: j, MaxFileSize: maxFileSize(info)}, nil
	}
	return Service{}, ErrNoService
}

// maxFileSize reads the max-file-size of the service's form (§3), or 0.
func maxFileSize(info disco.Info) int64 {
	f, ok := info.Form(NS)
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(f.Value("max-file-size")), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// RequestSlot asks service for a slot to upload f to (XEP-0363 §4). The
// service's refusals are typed: a *FileTooLargeError with the service's
// limit, a *QuotaError (errors.Is(err, ErrQuota)) for resource-constraint,
// ErrNotAllowed for not-allowed and forbidden; the *xmpp.StanzaError is
// wrapped in each, and returned as it is for other conditions. A result
// that is not a valid slot is an *xmpp.MalformedError.
func RequestSlot(ctx context.Context, s xmpp.Session, service xmpp.JID, f File) (*Slot, error) {
	el, err := requestElement(f)
	if err != nil {
		return nil, err
	}
	r, err := s.SendIQ(ctx, &xmpp.IQ{Header: xmpp.Header{To: service}, Type: xmpp.IQGet, Payload: el})
	if err != nil {
		return nil, slotError(err, f.Size)
	}
	return ParseSlot(r.Payload)
}

// tlsConfiger is what a session offers when it can say what it trusts
// (*xmpp.Client does).
type tlsConfiger interface {
	TLSConfig() *tls.Config
}

// httpClient returns the client to use and a function to call when done
// with it.
func (o *Options) httpClient(s xmpp.Session) (*http.Client, func(), error) {
	if o.HTTPClient != nil {
		return o.HTTPClient, func() {}, nil
	}
	tc, ok := s.(tlsConfiger)
	if !ok {
		return nil, nil, ErrNeedHTTPClient
	}
	var roots *x509.CertPool
	if cfg := tc.TLSConfig(); cfg != nil {
		roots = cfg.RootCAs
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	tr.WriteBufferSize = 64 << 10
	insecure := o.InsecureAllowHTTP
	c := &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return errors.New("upload: stopped after 10 redirects")
			}
			return checkScheme(req.URL, insecure)
		},
	}
	return c, tr.CloseIdleConnections, nil
}

func checkScheme(u *url.URL, insecure bool) error {
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && insecure:
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInsecureURL, redact(u))
}

// redact returns u without user information, query and fragment, for
// error messages.
func redact(u *url.URL) string {
	r := *u
	r.User, r.RawQuery, r.Fragment, r.ForceQuery = nil, "", "", false
	return r.String()
}

func parseURL(raw string, insecure bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("upload: bad URL: %w", err)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("upload: URL %q is not absolute", redact(u))
	}
	if err := checkScheme(u, insecure); err != nil {
		return nil, err
	}
	return u, nil
}

// Put uploads f, read from r, to slot (the convention of clients that show files inline): an HTTP PUT of
// exactly f.Size bytes (Content-Length), with Content-Type
// f.ContentType and the slot's headers. The body is streamed from r, never
// held in memory. r must give exactly f.Size bytes: fewer or more is an
// ErrSizeMismatch error, and the upload is aborted. r is never read after
// Put returns. Canceling ctx aborts the transfer. A status other than 2xx
// is an *HTTPError.
func Put(ctx context.Context, s xmpp.Session, slot *Slot, f File, r io.Reader, opts *Options) error {
	var o Options
	if opts != nil {
		o = *opts
	}
	if f.Size < 0 {
		return fmt.Errorf("upload: negative file size %d", f.Size)
	}
	u, err := parseURL(slot.PutURL, o.InsecureAllowHTTP)
	if err != nil {
		return err
	}
	client, done, err := o.httpClient(s)
	if err != nil {
		return err
	}
	defer done()

	var body io.Reader = http.NoBody
	var pr *progressReader
	if f.Size > 0 {
		pr = &progressReader{r: r, total: f.Size, progress: o.Progress}
		body = pr
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u.String(), body)
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	req.ContentLength = f.Size
	if f.Size > 0 {
		req.GetBody = nil // never replay: r cannot be read twice
	}
	for k, vs := range slot.Header {
		if allowedHeaders[http.CanonicalHeaderKey(k)] {
			for _, v := range vs {
				req.Header.Add(k, v)
			}
		}
	}
	req.Header.Set("Content-Type", f.contentType())
	if f.Size == 0 && o.Progress != nil {
		o.Progress(0, 0)
	}
	resp, err := client.Do(req)
	if pr != nil {
		pr.stop() // the transport may still read the body on its own goroutine
	}
	if err != nil {
		return requestError("PUT", u, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &HTTPError{Method: "PUT", URL: redact(u), StatusCode: resp.StatusCode, Status: resp.Status}
	}
	return nil
}

// requestError unwraps the *url.Error of client.Do (whose message holds
// the URL, maybe with a secret in its query) and names the request.
func requestError(method string, u *url.URL, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("upload: %s %s: %w", method, redact(u), err)
}

// progressReader counts what the transport reads, reports it, checks it
// against the declared size, and stops reading the underlying reader once
// stopped.
type progressReader struct {
	mu       sync.Mutex
	r        io.Reader
	n, total int64
	progress func(done, total int64)
	stopped  bool
}

var errStopped = errors.New("upload: the request is over")

func (p *progressReader) Read(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return 0, errStopped
	}
	// Read at most one byte past the declared size, to notice a longer
	// reader without reading much of it.
	if rem := p.total - p.n + 1; int64(len(b)) > rem {
		b = b[:rem]
	}
	n, err := p.r.Read(b)
	p.n += int64(n)
	if p.n > p.total {
		return 0, fmt.Errorf("%w: more than %d bytes", ErrSizeMismatch, p.total)
	}
	if n > 0 && p.progress != nil {
		p.progress(p.n, p.total)
	}
	if err == io.EOF && p.n < p.total {
		return n, fmt.Errorf("%w: %d bytes, want %d: %w", ErrSizeMismatch, p.n, p.total, io.ErrUnexpectedEOF)
	}
	return n, err
}

func (p *progressReader) stop() {
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
}

// Upload uploads f, read from r, to the service: the one of
// opts.Service, or else the one Discover finds. A file larger than the
// service's announced max-file-size is a *FileTooLargeError before any
// request; then it requests a slot (RequestSlot) and PUTs the file (Put).
// It returns the slot, whose GetURL is the URL to share.
func Upload(ctx context.Context, s xmpp.Session, f File, r io.Reader, opts *Options) (*Slot, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	svc := o.Service
	if svc.JID.IsZero() {
		var err error
		if svc, err = Discover(ctx, s); err != nil {
			return nil, err
		}
	}
	if svc.MaxFileSize > 0 && f.Size > svc.MaxFileSize {
		return nil, &FileTooLargeError{Size: f.Size, Max: svc.MaxFileSize}
	}
	slot, err := RequestSlot(ctx, s, svc.JID, f)
	if err != nil {
		return nil, err
	}
	if err := Put(ctx, s, slot, f, r, &o); err != nil {
		return nil, err
	}
	return slot, nil
}

// SendFile uploads f, read from r (see Upload), and sends to a chat
// message whose body is the file's GET URL, with that URL in an XEP-0066
// jabber:x:oob element (XEP-0066 §3): the form that clients such as
// Conversations, Dino and Gajim display inline. It returns the message sent. For another message type
// (groupchat, say), call Upload and send the message yourself with
// oob.Add.
func SendFile(ctx context.Context, s xmpp.Session, to xmpp.JID, f File, r io.Reader, opts *Options) (*xmpp.Message, error) {
	slot, err := Upload(ctx, s, f, r, opts)
	if err != nil {
		return nil, err
	}
	m := &xmpp.Message{Header: xmpp.Header{To: to}, Type: xmpp.MessageChat, Body: slot.GetURL}
	if err := oob.Add(m, oob.Link{URL: slot.GetURL}); err != nil {
		return nil, err
	}
	if err := s.Send(ctx, m); err != nil {
		return nil, err
	}
	return m, nil
}

// Download GETs rawURL (such as an oob.Link's URL) and writes the body to
// w, at most limit bytes: a file announced (Content-Length) or found to be
// larger is an ErrTooLarge error, and nothing past limit is written. It
// returns the number of bytes written. A status other than 2xx is an
// *HTTPError; canceling ctx aborts the transfer. s gives the default HTTP
// client its trusted roots (see Options.HTTPClient).
func Download(ctx context.Context, s xmpp.Session, rawURL string, w io.Writer, limit int64, opts *Options) (int64, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	u, err := parseURL(rawURL, o.InsecureAllowHTTP)
	if err != nil {
		return 0, err
	}
	client, done, err := o.httpClient(s)
	if err != nil {
		return 0, err
	}
	defer done()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, fmt.Errorf("upload: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, requestError("GET", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return 0, &HTTPError{Method: "GET", URL: redact(u), StatusCode: resp.StatusCode, Status: resp.Status}
	}
	if resp.ContentLength > limit {
		return 0, fmt.Errorf("%w: %d bytes announced, limit %d", ErrTooLarge, resp.ContentLength, limit)
	}
	total := resp.ContentLength
	var src io.Reader = io.LimitReader(resp.Body, limit)
	if o.Progress != nil {
		src = &countingReader{r: src, total: total, progress: o.Progress}
	}
	n, err := io.Copy(w, src)
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		return n, fmt.Errorf("upload: GET %s: %w", redact(u), err)
	}
	if n == limit {
		// Is there more?
		var b [1]byte
		if m, _ := io.ReadFull(resp.Body, b[:]); m > 0 {
			return n, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
		}
	}
	if total >= 0 && n != total {
		return n, fmt.Errorf("upload: GET %s: %d bytes, want %d: %w", redact(u), n, total, io.ErrUnexpectedEOF)
	}
	return n, nil
}

// countingReader reports the progress of a download.
type countingReader struct {
	r        io.Reader
	n, total int64
	progress func(done, total int64)
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	if n > 0 {
		c.progress(c.n, c.total)
	}
	return n, err
}
