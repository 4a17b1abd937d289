package decode

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gojabber/xmpp/bench/internal/corpusfile"
	"github.com/gojabber/xmpp/bench/internal/scripted"
)

// CheckResult is what one decoder found in the corpus.
type CheckResult struct {
	Lib       string `json:"lib"`
	Corpus    string `json:"corpus"` // "full" or "nocarbons"
	Stanzas   int    `json:"stanzas"`
	Want      int    `json:"want"`
	Messages  int    `json:"messages"`
	Presences int    `json:"presences"`
	IQs       int    `json:"iqs"`
	Bodies    int    `json:"bodies"`
	WantBody  int    `json:"want_bodies"`
	BodySum   string `json:"body_sum"`
	WantSum   string `json:"want_body_sum"`
	Pings     int64  `json:"pings_answered,omitempty"` // IQs the client answered itself
	Match     bool   `json:"match"`
	Err       string `json:"error,omitempty"`
}

type tally struct {
	r      CheckResult
	bodies []string
}

func (t *tally) visit(k Kind, body string) {
	t.r.Stanzas++
	switch k {
	case Message:
		t.r.Messages++
		if body != "" {
			t.bodies = append(t.bodies, body)
		}
	case Presence:
		t.r.Presences++
	case IQ:
		t.r.IQs++
	}
}

func sumHex(b []string) string {
	return hex16(corpusfile.SumBodies(b))
}

func hex16(v uint64) string {
	const digits = "0123456789abcdef"
	var s [16]byte
	for i := 15; i >= 0; i-- {
		s[i] = digits[v&15]
		v >>= 4
	}
	return string(s[:])
}

// TestSameStanzas checks that every decoder returns the corpus' stanzas and
// bodies; it fails only for gojabber and encoding/xml, and logs (and with
// BENCH_RESULTS=dir writes dir/decode-check.json) what each peer got.
func TestSameStanzas(t *testing.T) {
	data, st := corpus(t)
	noCarbons, removed := corpusfile.WithoutCarbons(data)
	// Reference for the carbon-free corpus: gojabber's own result on it.
	ref := &tally{}
	if err := Ours(noCarbons, ref.visit); err != nil {
		t.Fatal(err)
	}
	if ref.r.Stanzas != st.Stanzas-removed {
		t.Fatalf("carbon-free corpus: %d stanzas, want %d", ref.r.Stanzas, st.Stanzas-removed)
	}
	refSum := sumHex(ref.bodies)

	var results []CheckResult
	run := func(lib, corp string, fn func(Visit) (int64, error)) {
		tl := &tally{}
		tl.r.Lib, tl.r.Corpus = lib, corp
		pings, err := fn(tl.visit)
		if err != nil {
			tl.r.Err = err.Error()
		}
		tl.r.Pings = pings
		tl.r.Bodies = len(tl.bodies)
		tl.r.BodySum = sumHex(tl.bodies)
		if corp == "full" {
			tl.r.Want, tl.r.WantBody, tl.r.WantSum = st.Stanzas, st.Bodies, hex16(st.BodySum)
		} else {
			tl.r.Want, tl.r.WantBody, tl.r.WantSum = ref.r.Stanzas, len(ref.bodies), refSum
		}
		tl.r.Match = tl.r.Err == "" && tl.r.Stanzas+int(pings) == tl.r.Want &&
			tl.r.Bodies == tl.r.WantBody && tl.r.BodySum == tl.r.WantSum
		t.Logf("%-18s %-9s stanzas %d(+%d answered)/%d bodies %d/%d sum %s/%s match=%v %s", lib, corp,
			tl.r.Stanzas, pings, tl.r.Want, tl.r.Bodies, tl.r.WantBody, tl.r.BodySum, tl.r.WantSum, tl.r.Match, tl.r.Err)
		if !tl.r.Match && (lib == "gojabber" || lib == "encoding-xml") {
			t.Errorf("%s does not match the corpus", lib)
		}
		results = append(results, tl.r)
	}
	mem := func(fn func([]byte, Visit) error, d []byte) func(Visit) (int64, error) {
		return func(v Visit) (int64, error) { return 0, fn(d, v) }
	}
	run("gojabber", "full", mem(Ours, data))
	run("encoding-xml", "full", mem(EncodingXML, data))
	run("gosrc", "nocarbons", mem(Gosrc, noCarbons))
	sess := func(sd SessionDecoder, hidesPings bool) func(Visit) (int64, error) {
		return func(v Visit) (int64, error) {
			ready := make(chan *scripted.Conn, 1)
			srv, err := scripted.Start(ready)
			if err != nil {
				return 0, err
			}
			srv.Drain = true
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			runFn, err := sd(ctx, srv.Addr, v)
			if err != nil {
				return 0, err
			}
			conn := <-ready
			go func() {
				conn.Write(corpusfile.Stanzas(data))
				conn.Write([]byte("</stream:stream>"))
			}()
			err = runFn()
			time.Sleep(100 * time.Millisecond) // let the last replies arrive
			conn.Close()
			if !hidesPings {
				return 0, err
			}
			return srv.ClientResults(), err
		}
	}
	run("go-xmpp", "full", sess(GoXMPP, true)) // Recv answers pings itself
	run("mellium", "full", sess(Mellium, false))

	if dir := os.Getenv("BENCH_RESULTS"); dir != "" {
		b, _ := json.MarshalIndent(results, "", "  ")
		if err := os.WriteFile(filepath.Join(dir, "decode-check.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
