// Package corpusfile loads the library's benchmark corpus from a file written
// by the root module's generator, which this module cannot import (it is
// internal to github.com/gojabber/xmpp):
//
//	go run ./internal/corpus/cmd/gencorpus -o bench/results/corpus.xml 2> bench/results/corpus.stats
//
// run from the repository root. Load runs that command itself when the file
// is missing.
package corpusfile

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sync"
)

// Stats is what the generator reports about the stream: the ground truth
// every decoder is checked against.
type Stats struct {
	Bytes     int
	Stanzas   int
	Messages  int
	Bodies    int // messages with a body in the stream's language
	BodyBytes int
	BodySum   uint64 // FNV-1a 64 of every such body, each followed by NUL
	Presences int
	IQs       int
}

// SumBodies returns the checksum Stats.BodySum holds for bodies.
func SumBodies(bodies []string) uint64 {
	h := fnv.New64a()
	for _, b := range bodies {
		h.Write([]byte(b))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// Root returns the repository root (the directory above bench/).
func Root() string {
	if r := os.Getenv("GOJABBER_ROOT"); r != "" {
		return r
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}

// Path returns where the corpus file lives: $BENCH_CORPUS, or
// bench/results/corpus.xml.
func Path() string {
	if p := os.Getenv("BENCH_CORPUS"); p != "" {
		return p
	}
	return filepath.Join(Root(), "bench", "results", "corpus.xml")
}

var load = sync.OnceValues(func() (res struct {
	data []byte
	st   Stats
}, err error) {
	path := Path()
	statsPath := path + ".stats"
	if _, err := os.Stat(statsPath); err != nil {
		if err := Generate(path); err != nil {
			return res, err
		}
	}
	res.data, err = os.ReadFile(path)
	if err != nil {
		return res, err
	}
	line, err := os.ReadFile(statsPath)
	if err != nil {
		return res, err
	}
	st := &res.st
	_, err = fmt.Sscanf(string(bytes.TrimSpace(line)),
		"%d bytes, %d stanzas: %d messages (%d with a body, %d body bytes, body sum %x), %d presences, %d IQs",
		&st.Bytes, &st.Stanzas, &st.Messages, &st.Bodies, &st.BodyBytes, &st.BodySum, &st.Presences, &st.IQs)
	if err != nil {
		return res, fmt.Errorf("corpusfile: parsing %s: %w", statsPath, err)
	}
	if st.Bytes != len(res.data) {
		return res, fmt.Errorf("corpusfile: %s has %d bytes, stats say %d", path, len(res.data), st.Bytes)
	}
	return res, nil
})

// Load returns the corpus bytes and their statistics, generating the file
// first if needed.
func Load() ([]byte, Stats, error) {
	r, err := load()
	return r.data, r.st, err
}

// Generate runs the root module's gencorpus command, writing path and
// path+".stats".
func Generate(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd := exec.Command("go", "run", "./internal/corpus/cmd/gencorpus", "-o", abs)
	cmd.Dir = Root()
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("corpusfile: gencorpus: %v: %s", err, stderr.Bytes())
	}
	return os.WriteFile(abs+".stats", stderr.Bytes(), 0o644)
}

// Stanzas returns the corpus without the XML declaration and stream header,
// and without the closing </stream:stream>: the stanzas a client reads once
// its session is established.
func Stanzas(data []byte) []byte {
	i := bytes.Index(data, []byte("<stream:stream"))
	j := bytes.IndexByte(data[i:], '>')
	body := data[i+j+1:]
	return bytes.TrimSuffix(bytes.TrimRight(body, "\n"), []byte("</stream:stream>"))
}

var carbon = regexp.MustCompile(`(?s)<message [^>]*><(received|sent) xmlns=['"]urn:xmpp:carbons:2['"]>.*?</(?:received|sent)></message>\n?`)

// WithoutCarbons returns data without the carbon copies (XEP-0280
// <received/> and <sent/> wrappers), and how many it removed: the corpus
// for decoders that cannot read a <message/> nested in a <message/>.
func WithoutCarbons(data []byte) ([]byte, int) {
	n := len(carbon.FindAllIndex(data, -1))
	return carbon.ReplaceAll(data, nil), n
}
