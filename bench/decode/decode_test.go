package decode

// Decode benchmarks over the library's corpus (see internal/corpusfile):
//
//	cd bench && go test -run '^$' -bench . -benchtime 3x ./decode
//
// Each benchmark reports MB/s and allocs/op, plus ns/stanza, allocs/stanza
// and B/stanza over its timed part. In-memory rows decode from a
// bytes.Reader; session rows (…Session, GoXMPP, Mellium) log in to the
// scripted server on loopback first (untimed), then time reading the corpus'
// stanzas pushed over TCP through the library's receive path.

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/gojabber/xmpp/bench/internal/corpusfile"
	"github.com/gojabber/xmpp/bench/internal/scripted"
)

func corpus(tb testing.TB) ([]byte, corpusfile.Stats) {
	data, st, err := corpusfile.Load()
	if err != nil {
		tb.Fatal(err)
	}
	return data, st
}

type meter struct {
	ms      runtime.MemStats
	allocs  uint64
	bytes   uint64
	elapsed time.Duration
	t0      time.Time
}

func (m *meter) start() {
	runtime.ReadMemStats(&m.ms)
	m.t0 = time.Now()
}

func (m *meter) stop() {
	m.elapsed += time.Since(m.t0)
	a, b := m.ms.Mallocs, m.ms.TotalAlloc
	runtime.ReadMemStats(&m.ms)
	m.allocs += m.ms.Mallocs - a
	m.bytes += m.ms.TotalAlloc - b
}

func (m *meter) report(b *testing.B, stanzas int) {
	n := float64(b.N) * float64(stanzas)
	b.ReportMetric(float64(m.elapsed.Nanoseconds())/n, "ns/stanza")
	b.ReportMetric(float64(m.allocs)/n, "allocs/stanza")
	b.ReportMetric(float64(m.bytes)/n, "B/stanza")
}

func benchMemory(b *testing.B, fn func([]byte, Visit) error) {
	data, st := corpus(b)
	benchData(b, data, st.Stanzas, fn)
}

// benchNoCarbons runs fn over the corpus without its carbon copies.
func benchNoCarbons(b *testing.B, fn func([]byte, Visit) error) {
	data, st := corpus(b)
	data, removed := corpusfile.WithoutCarbons(data)
	benchData(b, data, st.Stanzas-removed, fn)
}

func benchData(b *testing.B, data []byte, stanzas int, fn func([]byte, Visit) error) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var n int
	visit := func(Kind, string, Attrs) { n++ }
	var m meter
	runtime.GC()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n = 0
		m.start()
		if err := fn(data, visit); err != nil {
			b.Fatal(err)
		}
		m.stop()
	}
	m.report(b, stanzas)
	if n != stanzas {
		b.Fatalf("decoded %d stanzas, want %d", n, stanzas)
	}
}

// benchSession times reading the corpus' stanzas through a library's session.
func benchSession(b *testing.B, sd SessionDecoder) {
	data, st := corpus(b)
	stanzas := corpusfile.Stanzas(data)
	b.SetBytes(int64(len(stanzas)))
	ready := make(chan *scripted.Conn, 1)
	srv, err := scripted.Start(ready)
	if err != nil {
		b.Fatal(err)
	}
	srv.Drain = true
	defer srv.Close()
	var n int
	visit := func(Kind, string, Attrs) { n++ }
	var m meter
	b.ReportAllocs()
	b.ResetTimer()
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		run, err := sd(ctx, srv.Addr, visit)
		if err != nil {
			b.Fatal(err)
		}
		conn := <-ready
		n = 0
		runtime.GC()
		b.StartTimer()
		m.start()
		go func() {
			conn.Write(stanzas)
			conn.Write([]byte("</stream:stream>"))
		}()
		if err := run(); err != nil {
			b.Fatal(err)
		}
		m.stop()
		b.StopTimer()
		conn.Close()
		cancel()
	}
	m.report(b, st.Stanzas)
}

func BenchmarkDecode(b *testing.B) {
	b.Run("lib=gojabber", func(b *testing.B) { benchMemory(b, Ours) })
	b.Run("lib=encoding-xml", func(b *testing.B) { benchMemory(b, EncodingXML) })
	// gosrc cannot read carbon copies (see Gosrc): it and gojabber, for
	// the ratio, also run over the corpus without them.
	b.Run("lib=gosrc-nocarbons", func(b *testing.B) { benchNoCarbons(b, Gosrc) })
	b.Run("lib=gojabber-nocarbons", func(b *testing.B) { benchNoCarbons(b, Ours) })
	b.Run("lib=gojabber-session", func(b *testing.B) { benchSession(b, OursSession) })
	b.Run("lib=go-xmpp-session", func(b *testing.B) { benchSession(b, GoXMPP) })
	b.Run("lib=mellium-session", func(b *testing.B) { benchSession(b, Mellium) })
}
