package upload_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/upload"
)

// session is a Session that only says what it trusts, as *xmpp.Client
// does; the HTTP calls need nothing else of it.
type session struct {
	roots *x509.CertPool
}

func (s *session) JID() xmpp.JID { return xmpp.MustParseJID("romeo@montague.tld/garden") }
func (s *session) Send(context.Context, xmpp.Stanza) error {
	return errors.New("not implemented")
}
func (s *session) SendIQ(context.Context, *xmpp.IQ) (*xmpp.IQ, error) {
	return nil, errors.New("not implemented")
}
func (s *session) TLSConfig() *tls.Config { return &tls.Config{RootCAs: s.roots} }

// bare is a Session that does not say what it trusts.
type bare struct{ session }

func (bare) TLSConfig() {} // hides session.TLSConfig

// store is an HTTPS upload service in memory: PUT stores, GET returns.
type store struct {
	mu    sync.Mutex
	files map[string][]byte
	reqs  []*http.Request // the PUT requests, bodies read
}

func newStore(t *testing.T) (*store, *httptest.Server, *session) {
	st := &store{files: map[string][]byte{}}
	srv := httptest.NewTLSServer(st)
	t.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	return st, srv, &session{roots: roots}
}

func (st *store) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPut:
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		st.mu.Lock()
		st.reqs = append(st.reqs, r)
		st.files[r.URL.Path] = b
		st.mu.Unlock()
		if strings.HasSuffix(r.URL.Path, "/teapot") {
			w.WriteHeader(http.StatusTeapot)
			return
		}
		w.WriteHeader(http.StatusCreated)
	case http.MethodGet:
		st.mu.Lock()
		b, ok := st.files[r.URL.Path]
		st.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("chunked") == "" {
			w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		}
		w.Write(b)
	}
}

func TestPutGet(t *testing.T) {
	t.Parallel()
	st, srv, s := newStore(t)
	for _, size := range []int{0, 1, 100 << 10} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			data := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
			path := "/files/" + strconv.Itoa(size)
			slot := &upload.Slot{PutURL: srv.URL + path + "?token=secret", GetURL: srv.URL + path, Header: http.Header{
				"Authorization": {"Bearer t"}, "Cookie": {"c=1"}, "Expires": {"never"}, "X-Other": {"dropped"}, "Host": {"evil.example"},
			}}
			var calls, last int64
			opts := &upload.Options{Progress: func(done, total int64) {
				calls++
				require.Equal(t, int64(size), total)
				require.GreaterOrEqual(t, done, last)
				last = done
			}}
			f := upload.File{Name: "f", Size: int64(size), ContentType: "text/plain"}
			require.NoError(t, upload.Put(t.Context(), s, slot, f, bytes.NewReader(data), opts))
			require.Equal(t, int64(size), last)
			require.NotZero(t, calls)

			st.mu.Lock()
			r := st.reqs[len(st.reqs)-1]
			st.mu.Unlock()
			require.Equal(t, int64(size), r.ContentLength)
			require.Nil(t, r.TransferEncoding, "no chunked encoding")
			require.Equal(t, "Bearer t", r.Header.Get("Authorization"))
			require.Equal(t, "c=1", r.Header.Get("Cookie"))
			require.Equal(t, "never", r.Header.Get("Expires"))
			require.Equal(t, "text/plain", r.Header.Get("Content-Type"))
			require.Empty(t, r.Header.Get("X-Other"))
			require.NotEqual(t, "evil.example", r.Host)

			for _, q := range []string{"", "?chunked=1"} {
				var b bytes.Buffer
				n, err := upload.Download(t.Context(), s, slot.GetURL+q, &b, int64(size), nil)
				require.NoError(t, err, "Download(%s%s)", slot.GetURL, q)
				require.Equal(t, int64(size), n)
				require.True(t, bytes.Equal(data, b.Bytes()), "Download(%s) = %d bytes, not the ones uploaded", slot.GetURL, b.Len())
				if size > 0 {
					b.Reset()
					n, err = upload.Download(t.Context(), s, slot.GetURL+q, &b, int64(size-1), nil)
					require.ErrorIs(t, err, upload.ErrTooLarge, "Download(limit %d)", size-1)
					require.LessOrEqual(t, n, int64(size-1))
					require.LessOrEqual(t, b.Len(), size-1)
				}
			}
		})
	}
	require.Equal(t, "application/octet-stream", func() string {
		slot := &upload.Slot{PutURL: srv.URL + "/ct", GetURL: srv.URL + "/ct"}
		require.NoError(t, upload.Put(t.Context(), s, slot, upload.File{Name: "ct", Size: 2}, strings.NewReader("ab"), nil))
		st.mu.Lock()
		defer st.mu.Unlock()
		return st.reqs[len(st.reqs)-1].Header.Get("Content-Type")
	}())
}

func TestPutErrors(t *testing.T) {
	t.Parallel()
	_, srv, s := newStore(t)
	slot := func(path string) *upload.Slot {
		return &upload.Slot{PutURL: srv.URL + path, GetURL: srv.URL + path}
	}
	f := upload.File{Name: "f", Size: 10}

	err := upload.Put(t.Context(), s, slot("/short"), f, strings.NewReader("123456789"), nil)
	require.ErrorIs(t, err, upload.ErrSizeMismatch, "Put(9 of 10 bytes)")
	err = upload.Put(t.Context(), s, slot("/long"), f, strings.NewReader("12345678901"), nil)
	require.ErrorIs(t, err, upload.ErrSizeMismatch, "Put(11 of 10 bytes)")

	err = upload.Put(t.Context(), s, slot("/teapot"), f, strings.NewReader("1234567890"), nil)
	var he *upload.HTTPError
	require.ErrorAs(t, err, &he, "Put(teapot)")
	require.Equal(t, http.StatusTeapot, he.StatusCode)
	require.Equal(t, "PUT", he.Method)

	_, err = upload.Download(t.Context(), s, srv.URL+"/missing", io.Discard, 10, nil)
	require.ErrorAs(t, err, &he, "Download(missing)")
	require.Equal(t, http.StatusNotFound, he.StatusCode)

	insecure := &upload.Slot{PutURL: "http://127.0.0.1:1/p", GetURL: "http://127.0.0.1:1/p"}
	err = upload.Put(t.Context(), s, insecure, f, strings.NewReader("1234567890"), nil)
	require.ErrorIs(t, err, upload.ErrInsecureURL)
	_, err = upload.Download(t.Context(), s, insecure.GetURL, io.Discard, 10, nil)
	require.ErrorIs(t, err, upload.ErrInsecureURL)

	// A session that does not say what it trusts needs an HTTP client.
	err = upload.Put(t.Context(), &bare{}, slot("/bare"), f, strings.NewReader("1234567890"), nil)
	require.ErrorIs(t, err, upload.ErrNeedHTTPClient)
	require.NoError(t, upload.Put(t.Context(), &bare{}, slot("/bare"), f, strings.NewReader("1234567890"), &upload.Options{HTTPClient: srv.Client()}))

	// The default client trusts the session's roots, not the system's.
	untrusting := &session{roots: x509.NewCertPool()}
	err = upload.Put(t.Context(), untrusting, slot("/untrusted"), f, strings.NewReader("1234567890"), nil)
	var ue x509.UnknownAuthorityError
	require.ErrorAs(t, err, &ue, "Put(untrusted certificate)")
}

// slowStore reads a PUT a little at a time, so a test can cancel it
// midway.
type slowStore struct{ started chan struct{} }

func (s *slowStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	buf := make([]byte, 1024)
	once := sync.Once{}
	for {
		_, err := r.Body.Read(buf)
		once.Do(func() { close(s.started) })
		if err != nil {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// endlessReader gives zeros forever.
type endlessReader struct{}

func (endlessReader) Read(b []byte) (int, error) {
	clear(b)
	return len(b), nil
}

// Canceling ctx aborts a PUT midway; Put returns context.Canceled, the
// reader is never read again, and no goroutine of the transfer is left.
func TestPutCancel(t *testing.T) {
	// Not parallel: it counts goroutines.
	slow := &slowStore{started: make(chan struct{})}
	srv := httptest.NewTLSServer(slow)
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	s := &session{roots: roots}
	before := runtime.NumGoroutine()

	ctx, cancel := context.WithCancel(t.Context())
	var sent int64
	var mu sync.Mutex
	progress := func(done, total int64) {
		mu.Lock()
		sent = done
		mu.Unlock()
		if done > 256<<10 {
			cancel()
		}
	}
	r := &trackingReader{r: endlessReader{}}
	f := upload.File{Name: "big", Size: 1 << 30}
	slot := &upload.Slot{PutURL: srv.URL + "/big", GetURL: srv.URL + "/big"}
	err := upload.Put(ctx, s, slot, f, r, &upload.Options{Progress: progress})
	require.ErrorIs(t, err, context.Canceled, "Put(canceled midway)")
	mu.Lock()
	require.Less(t, sent, f.Size)
	mu.Unlock()
	reads := r.count()
	<-slow.started

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Fatalf("goroutines after the canceled Put = %d, want at most %d (before):\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
	require.Equal(t, reads, r.count(), "the reader was read after Put returned")
}

type trackingReader struct {
	mu sync.Mutex
	r  io.Reader
	n  int
}

func (t *trackingReader) Read(b []byte) (int, error) {
	t.mu.Lock()
	t.n++
	t.mu.Unlock()
	return t.r.Read(b)
}

func (t *trackingReader) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}

func TestDownloadCancel(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(1<<30))
		for r.Context().Err() == nil {
			if _, err := w.Write(make([]byte, 32<<10)); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	ctx, cancel := context.WithCancel(t.Context())
	n, err := upload.Download(ctx, &session{roots: roots}, srv.URL+"/f", io.Discard, 2<<30, &upload.Options{Progress: func(done, total int64) {
		require.Equal(t, int64(1<<30), total)
		if done > 1<<20 {
			cancel()
		}
	}})
	require.ErrorIs(t, err, context.Canceled, "Download(canceled midway)")
	require.Less(t, n, int64(1<<30))
}
