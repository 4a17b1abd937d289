package upload_test

import (
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/gojabber/xmpp/upload"
)

// BenchmarkPut100MiB uploads 100 MiB, generated on the fly, to a local
// HTTPS server that discards it, and reports the allocations (B/op) and
// the largest heap seen during the transfer (peak-heap-MiB): both stay
// far below the file's size, since Put streams. The real servers of
// xmpptest take 16 MiB by default, so the 100 MiB measurement is made
// against httptest; see BENCHMARKS.md.
func BenchmarkPut100MiB(b *testing.B) {
	const size = 100 << 20
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil || n != size {
			http.Error(w, "short", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	s := &session{roots: roots}
	slot := &upload.Slot{PutURL: srv.URL + "/f", GetURL: srv.URL + "/f"}
	f := upload.File{Name: "f", Size: size}

	var peak uint64
	var ms runtime.MemStats
	var next int64
	opts := &upload.Options{Progress: func(done, _ int64) {
		if done >= next { // every 8 MiB
			next = done + 8<<20
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		next = 0
		if err := upload.Put(b.Context(), s, slot, f, io.LimitReader(endlessReader{}, size), opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// TestPutMemoryFlat uploads 100 MiB and checks that the whole transfer
// allocates less than 16 MiB: the body is streamed, never buffered.
func TestPutMemoryFlat(t *testing.T) {
	// Not parallel: it reads the process's allocation counter.
	if testing.Short() {
		t.Skip("100 MiB over loopback TLS")
	}
	const size = 100 << 20
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	slot := &upload.Slot{PutURL: srv.URL + "/f", GetURL: srv.URL + "/f"}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := upload.Put(t.Context(), &session{roots: roots}, slot, upload.File{Name: "f", Size: size}, io.LimitReader(endlessReader{}, size), nil)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 16<<20 {
		t.Errorf("Put(100 MiB) allocated %d bytes, want less than 16 MiB", got)
	}
}
