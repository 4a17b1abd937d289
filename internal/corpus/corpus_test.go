package corpus

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"testing"
)

func TestDeterministic(t *testing.T) {
	t.Parallel()
	a, sa := Generate(1 << 20)
	b, sb := Generate(1 << 20)
	if !bytes.Equal(a, b) {
		t.Fatal("Generate(1 MiB) returned different bytes on a second call")
	}
	if sa != sb {
		t.Fatalf("Generate(1 MiB) stats = %+v, then %+v", sa, sb)
	}
}

func TestSize(t *testing.T) {
	t.Parallel()
	for _, size := range []int{64 << 10, 1 << 20, DefaultSize} {
		data, st := Generate(size)
		if len(data) != st.Bytes {
			t.Errorf("Generate(%d): Stats.Bytes = %d, want %d", size, st.Bytes, len(data))
		}
		if d := math.Abs(float64(len(data)-size)) / float64(size); d > 0.05 {
			t.Errorf("Generate(%d) is %d bytes, %.1f%% off", size, len(data), 100*d)
		}
	}
}

func TestMix(t *testing.T) {
	t.Parallel()
	_, st := Generate(DefaultSize)
	n := float64(st.Stanzas())
	for _, c := range []struct {
		name string
		got  int
		want float64
	}{
		{"messages", st.Messages, 0.60},
		{"presences", st.Presences, 0.30},
		{"iqs", st.IQs, 0.10},
	} {
		if r := float64(c.got) / n; math.Abs(r-c.want) > 0.02 {
			t.Errorf("%s are %.3f of stanzas, want %.2f±0.02", c.name, r, c.want)
		}
	}
	if st.ChatStateOnly == 0 || st.Groupchat == 0 || st.Carbons == 0 || st.Errors == 0 ||
		st.Unavailable == 0 || st.Rosters == 0 || st.DiscoInfos == 0 || st.Pings == 0 || st.EmptyIQs == 0 {
		t.Errorf("a kind of stanza is missing: %+v", st)
	}
	t.Logf("%d bytes, %d stanzas: %+v", st.Bytes, st.Stanzas(), st)
}

// TestWellFormed decodes the stream with encoding/xml and checks it against
// the statistics: the stanza counts and the bodies.
func TestWellFormed(t *testing.T) {
	t.Parallel()
	data, st := Generate(2 << 20)
	d := xml.NewDecoder(bytes.NewReader(data))
	var (
		got    Stats
		bodies []string
		depth  int
		ended  bool
	)
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Token: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 {
				if tok.Name != (xml.Name{Space: "http://etherx.jabber.org/streams", Local: "stream"}) {
					t.Fatalf("root is %v", tok.Name)
				}
				continue
			}
			if depth != 2 {
				continue
			}
			if tok.Name.Space != "jabber:client" {
				t.Fatalf("stanza %v is not in jabber:client", tok.Name)
			}
			switch tok.Name.Local {
			case "message":
				got.Messages++
				var m struct {
					Body []struct {
						Lang  string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
						Value string `xml:",chardata"`
					} `xml:"body"`
				}
				if err := d.DecodeElement(&m, &tok); err != nil {
					t.Fatalf("message: %v", err)
				}
				depth--
				for _, b := range m.Body {
					if b.Lang == "" {
						bodies = append(bodies, b.Value)
						break
					}
				}
			case "presence":
				got.Presences++
			case "iq":
				got.IQs++
			default:
				t.Fatalf("unexpected stanza %v", tok.Name)
			}
		case xml.EndElement:
			depth--
			if depth == 0 {
				ended = true
			}
		case xml.CharData:
			if depth == 1 && len(bytes.TrimSpace(tok)) != 0 {
				t.Fatalf("text between stanzas: %q", tok)
			}
		}
	}
	if !ended {
		t.Error("stream not closed")
	}
	if got.Messages != st.Messages || got.Presences != st.Presences || got.IQs != st.IQs {
		t.Errorf("encoding/xml found %d/%d/%d messages/presences/IQs, want %d/%d/%d",
			got.Messages, got.Presences, got.IQs, st.Messages, st.Presences, st.IQs)
	}
	n := 0
	for _, b := range bodies {
		n += len(b)
	}
	if len(bodies) != st.Bodies || n != st.BodyBytes || SumBodies(bodies) != st.BodySum {
		t.Errorf("encoding/xml found %d bodies of %d bytes, sum %x, want %d of %d, sum %x",
			len(bodies), n, SumBodies(bodies), st.Bodies, st.BodyBytes, st.BodySum)
	}
}
