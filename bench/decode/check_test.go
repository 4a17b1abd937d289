package decode

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"hash/fnv"
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
	// Attrs compares each header attribute with plain encoding/xml's on
	// the same corpus (less the pings the library answered itself).
	Attrs []AttrCheck `json:"attrs"`
	Match bool        `json:"match"` // stanzas and bodies
	Err   string      `json:"error,omitempty"`
}

// AttrCheck compares one attribute (id, type, from or to) over all stanzas:
// a checksum that does not depend on the order (the sum of FNV-1a hashes of
// kind and value), and how many stanzas have a non-empty value.
type AttrCheck struct {
	Name      string `json:"name"`
	Sum       string `json:"sum"`
	Want      string `json:"want"`
	NonEmpty  int    `json:"non_empty"`
	WantNon   int    `json:"want_non_empty"`
	Match     bool   `json:"match"`
	sum, want uint64
}

var attrNames = [4]string{"id", "type", "from", "to"}

type attrTally struct {
	sum      [4]uint64
	nonEmpty [4]int
}

func attrHash(k Kind, v string) uint64 {
	h := fnv.New64a()
	h.Write([]byte{byte(k)})
	h.Write([]byte(v))
	return h.Sum64()
}

func (t *attrTally) add(k Kind, a Attrs, sign int) {
	for i, v := range [4]string{a.ID, a.Type, a.From, a.To} {
		t.sum[i] += uint64(sign) * attrHash(k, v)
		if v != "" {
			t.nonEmpty[i] += sign
		}
	}
}

type tally struct {
	r      CheckResult
	bodies []string
	attrs  attrTally
}

func (t *tally) visit(k Kind, body string, a Attrs) {
	t.attrs.add(k, a, 1)
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
	// Attribute references: encoding/xml on each corpus, and the pings
	// (for go-xmpp, which answers them itself).
	stdFull, stdNoCarbons := &tally{}, &tally{}
	if err := EncodingXML(data, stdFull.visit); err != nil {
		t.Fatal(err)
	}
	if err := EncodingXML(noCarbons, stdNoCarbons.visit); err != nil {
		t.Fatal(err)
	}
	pings0 := pingAttrs(t, data)

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
		want := stdFull.attrs
		if corp == "full" {
			tl.r.Want, tl.r.WantBody, tl.r.WantSum = st.Stanzas, st.Bodies, hex16(st.BodySum)
		} else {
			tl.r.Want, tl.r.WantBody, tl.r.WantSum = ref.r.Stanzas, len(ref.bodies), refSum
			want = stdNoCarbons.attrs
		}
		if pings > 0 {
			if pings != int64(len(pings0)) {
				t.Logf("%s answered %d pings, the corpus has %d", lib, pings, len(pings0))
			}
			for _, a := range pings0 {
				want.add(IQ, a, -1)
			}
		}
		for i, name := range attrNames {
			ac := AttrCheck{Name: name, sum: tl.attrs.sum[i], want: want.sum[i],
				NonEmpty: tl.attrs.nonEmpty[i], WantNon: want.nonEmpty[i]}
			ac.Sum, ac.Want, ac.Match = hex16(ac.sum), hex16(ac.want), ac.sum == ac.want
			tl.r.Attrs = append(tl.r.Attrs, ac)
		}
		tl.r.Match = tl.r.Err == "" && tl.r.Stanzas+int(pings) == tl.r.Want &&
			tl.r.Bodies == tl.r.WantBody && tl.r.BodySum == tl.r.WantSum
		t.Logf("%-18s %-9s stanzas %d(+%d answered)/%d bodies %d/%d sum %s/%s match=%v %s attrs %+v", lib, corp,
			tl.r.Stanzas, pings, tl.r.Want, tl.r.Bodies, tl.r.WantBody, tl.r.BodySum, tl.r.WantSum, tl.r.Match, tl.r.Err, tl.r.Attrs)
		if lib == "gojabber" || lib == "encoding-xml" {
			if !tl.r.Match {
				t.Errorf("%s does not match the corpus", lib)
			}
			for _, a := range tl.r.Attrs {
				if !a.Match {
					t.Errorf("%s: attribute %s differs from encoding/xml's", lib, a.Name)
				}
			}
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

// pingAttrs returns the attributes of the corpus' XEP-0199 ping requests,
// found with plain encoding/xml.
func pingAttrs(t *testing.T, data []byte) []Attrs {
	var out []Attrs
	d := xml.NewDecoder(bytes.NewReader(data))
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch se := tok.(type) {
		case xml.StartElement:
			depth++
			if depth != 2 || se.Name.Local != "iq" {
				continue
			}
			var q iq
			if err := d.DecodeElement(&q, &se); err != nil {
				t.Fatal(err)
			}
			depth--
			if q.Type == "get" && len(q.Payload) == 1 && q.Payload[0].XMLName.Space == "urn:xmpp:ping" {
				out = append(out, q.attrs())
			}
		case xml.EndElement:
			depth--
		}
	}
	return out
}
