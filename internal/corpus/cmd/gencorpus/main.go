// Command gencorpus writes the benchmark corpus, a deterministic inbound XMPP
// client stream, to a file, so that other libraries can be measured on the
// same bytes.
//
// Usage:
//
//	go run ./internal/corpus/cmd/gencorpus [-size bytes] [-o file]
//
// It prints the stream's statistics to standard error.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/gojabber/xmpp/internal/corpus"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("gencorpus: ")
	size := flag.Int("size", corpus.DefaultSize, "approximate size of the stream in bytes")
	out := flag.String("o", "corpus.xml", "output file; - means standard output")
	flag.Parse()

	data, st := corpus.Generate(*size)
	var w io.Writer = os.Stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			log.Fatal(err)
		}
		defer f.Close()
		w = f
	}
	if _, err := w.Write(data); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "%d bytes, %d stanzas: %d messages (%d with a body, %d body bytes, body sum %016x), %d presences, %d IQs\n",
		st.Bytes, st.Stanzas(), st.Messages, st.Bodies, st.BodyBytes, st.BodySum, st.Presences, st.IQs)
}
