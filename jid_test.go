package xmpp

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
	"unsafe"
)

// parts is a JID's three parts, for table tests.
type parts struct{ local, domain, resource string }

func partsOf(j JID) parts { return parts{j.Local(), j.Domain(), j.Resource()} }

func TestParseJIDValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string
		p    parts
	}{
		// RFC 7622 §3.5, examples 1–15.
		{"juliet@example.com", "", parts{"juliet", "example.com", ""}},
		{"juliet@example.com/foo", "", parts{"juliet", "example.com", "foo"}},
		{"juliet@example.com/foo bar", "", parts{"juliet", "example.com", "foo bar"}},
		{"juliet@example.com/foo@bar", "", parts{"juliet", "example.com", "foo@bar"}},
		{`foo\20bar@example.com`, "", parts{`foo\20bar`, "example.com", ""}},
		{"fussball@example.com", "", parts{"fussball", "example.com", ""}},
		{"fußball@example.com", "", parts{"fußball", "example.com", ""}},
		{"π@example.com", "", parts{"π", "example.com", ""}},
		{"Σ@example.com/foo", "σ@example.com/foo", parts{"σ", "example.com", "foo"}},
		{"σ@example.com/foo", "", parts{"σ", "example.com", "foo"}},
		{"ς@example.com/foo", "", parts{"ς", "example.com", "foo"}},
		{"king@example.com/♚", "", parts{"king", "example.com", "♚"}},
		{"example.com", "", parts{"", "example.com", ""}},
		{"example.com/foobar", "", parts{"", "example.com", "foobar"}},
		{"a.example.com/b@example.net", "", parts{"", "a.example.com", "b@example.net"}},
		// Example 18 was withdrawn by erratum 4560: OpaqueString allows a
		// leading space.
		{"juliet@example.com/ foo", "", parts{"juliet", "example.com", " foo"}},

		// Case: localpart and domainpart are lowercased, the resourcepart
		// is not.
		{"Juliet@Example.COM/Balcony", "juliet@example.com/Balcony", parts{"juliet", "example.com", "Balcony"}},
		{"JULIET@EXAMPLE.COM/BALCONY", "juliet@example.com/BALCONY", parts{"juliet", "example.com", "BALCONY"}},
		{"ΣΑΣ@example.com", "σασ@example.com", parts{"σασ", "example.com", ""}},
		{"ΣΑΣ.example", "σασ.example", parts{"", "σασ.example", ""}},
		{"σας.example", "", parts{"", "σας.example", ""}},
		// Width folding in the localpart and domainpart, space mapping
		// in the resourcepart.
		{"ｊｕｌｉｅｔ@ｅｘａｍｐｌｅ．ｃｏｍ", "juliet@example.com", parts{"juliet", "example.com", ""}},
		{"a@example.com/x\u3000y", "a@example.com/x y", parts{"a", "example.com", "x y"}},
		// NFC.
		{"cafe\u0301@example.com", "café@example.com", parts{"café", "example.com", ""}},
		{"a@example.com/cafe\u0301", "a@example.com/café", parts{"a", "example.com", "café"}},
		// Safe ASCII punctuation in the localpart, anything printable in
		// the resourcepart, including '/' and '@'.
		{"a.b-c_d+e!#$%*=?^`{|}~;,(x)[y]@example.com", "", parts{"a.b-c_d+e!#$%*=?^`{|}~;,(x)[y]", "example.com", ""}},
		{"a@example.com/ /@:<>&'\"~", "", parts{"a", "example.com", ` /@:<>&'"~`}},
		{"a@example.com//", "", parts{"a", "example.com", "/"}},

		// Trailing dot: one is removed.
		{"juliet@example.com./foo", "juliet@example.com/foo", parts{"juliet", "example.com", "foo"}},
		{"example.com.", "example.com", parts{"", "example.com", ""}},
		// Internationalized domain names are stored as U-labels.
		{"xn--bcher-kva.example", "bücher.example", parts{"", "bücher.example", ""}},
		{"XN--BCHER-KVA.example", "bücher.example", parts{"", "bücher.example", ""}},
		{"BÜCHER.example.", "bücher.example", parts{"", "bücher.example", ""}},
		{"x@例え。テスト", "x@例え.テスト", parts{"x", "例え.テスト", ""}},
		{"straße.example", "", parts{"", "straße.example", ""}},
		{"localhost", "", parts{"", "localhost", ""}},
		{"a-b.c0.example", "", parts{"", "a-b.c0.example", ""}},
		{"1a.example", "", parts{"", "1a.example", ""}},
		// IP literals in canonical form (RFC 5952).
		{"juliet@192.0.2.1/x", "", parts{"juliet", "192.0.2.1", "x"}},
		{"192.0.2.1.", "192.0.2.1", parts{"", "192.0.2.1", ""}},
		{"[::1]", "", parts{"", "[::1]", ""}},
		{"juliet@[2001:db8::1]/r", "", parts{"juliet", "[2001:db8::1]", "r"}},
		{"[2001:DB8:0:0:0:0:0:1]", "[2001:db8::1]", parts{"", "[2001:db8::1]", ""}},
		{"[::FFFF:192.0.2.1]", "[::ffff:192.0.2.1]", parts{"", "[::ffff:192.0.2.1]", ""}},
	}
	for _, tt := range tests {
		want := tt.want
		if want == "" {
			want = tt.in
		}
		j, err := ParseJID(tt.in)
		if err != nil {
			t.Errorf("ParseJID(%q) error %v", tt.in, err)
			continue
		}
		if got := j.String(); got != want {
			t.Errorf("ParseJID(%q) = %q, want %q", tt.in, got, want)
		}
		if got := partsOf(j); got != tt.p {
			t.Errorf("ParseJID(%q) parts = %q, want %q", tt.in, got, tt.p)
		}
		checkInvariants(t, j)
		n, err := NewJID(tt.p.local, tt.p.domain, tt.p.resource)
		if err != nil || n != j {
			t.Errorf("NewJID(%q, %q, %q) = %q, %v, want %q", tt.p.local, tt.p.domain, tt.p.resource, n, err, j)
		}
	}
}

func TestParseJIDInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		part string
	}{
		// RFC 7622 §3.5, examples 16–23 (18 is withdrawn, see above).
		{`"juliet"@example.com`, partLocal},
		{"foo bar@example.com", partLocal},
		{"@example.com/", partLocal},
		{"henry\u2163@example.com", partLocal},
		{"♚@example.com", partLocal},
		{"juliet@", partDomain},
		{"/foobar", partDomain},

		{"", partDomain},
		{"@", partLocal},
		{"/", partDomain},
		{"@example.com", partLocal},
		{"example.com/", partResource},
		{"juliet@example.com/", partResource},
		{"juliet@@example.com", partDomain},
		{"a@b@example.com", partDomain},
		// RFC 7622 §3.3.1 prohibited characters, also when width folding
		// produces them.
		{"a&b@example.com", partLocal},
		{"a'b@example.com", partLocal},
		{"a:b@example.com", partLocal},
		{"a<b@example.com", partLocal},
		{"a>b@example.com", partLocal},
		{"a＠b@example.com", partLocal},
		{"a／b@example.com", partLocal},
		{"a\tb@example.com", partLocal},
		{"a\x00@example.com", partLocal},
		{"\xff@example.com", partLocal},
		// Domainparts.
		{".", partDomain},
		{"example.com..", partDomain},
		{".example.com", partDomain},
		{"a..example.com", partDomain},
		{"example.com。", partDomain},
		{"exa mple.com", partDomain},
		{"exa_mple.com", partDomain},
		{"-example.com", partDomain},
		{"example-.com", partDomain},
		{"ab--cd.example", partDomain},
		{"xn--abc.example", partDomain},
		{"xn--.example", partDomain},
		{"example.com:5222", partDomain},
		{"☃.net", partDomain},
		{"ℌ.example", partDomain},
		{"ex\u200dample.com", partDomain},
		{"123", partDomain},
		{"example.123", partDomain},
		{"01.2.3.4", partDomain},
		{"1.2.3.256", partDomain},
		{"::1", partDomain},
		{"[::1", partDomain},
		{"[]", partDomain},
		{"[192.0.2.1]", partDomain},
		{"[fe80::1%eth0]", partDomain},
		{"[::1]]", partDomain},
		{"a@\xff.example", partDomain},
		// Resourceparts.
		{"a@example.com/\x00", partResource},
		{"a@example.com/a\x7f", partResource},
		{"a@example.com/a\tb", partResource},
		{"a@example.com/\xff", partResource},
		{"a@example.com/\u200b", partResource},
	}
	for _, tt := range tests {
		j, err := ParseJID(tt.in)
		if err == nil {
			t.Errorf("ParseJID(%q) = %q, want error", tt.in, j)
			continue
		}
		if !errors.Is(err, ErrInvalidJID) {
			t.Errorf("ParseJID(%q) error %v does not match ErrInvalidJID", tt.in, err)
		}
		var je *JIDError
		if !errors.As(err, &je) {
			t.Errorf("ParseJID(%q) error %T, want *JIDError", tt.in, err)
			continue
		}
		if je.Part != tt.part {
			t.Errorf("ParseJID(%q) error part = %q, want %q (%v)", tt.in, je.Part, tt.part, err)
		}
		if !j.IsZero() {
			t.Errorf("ParseJID(%q) = %q with error, want zero JID", tt.in, j)
		}
	}
}

func TestJIDError(t *testing.T) {
	t.Parallel()
	_, err := ParseJID("a@example.com/")
	var je *JIDError
	if !errors.As(err, &je) {
		t.Fatalf("ParseJID error %T, want *JIDError", err)
	}
	if !errors.Is(err, errEmpty) {
		t.Errorf("errors.Is(%v, errEmpty) = false, want true", err)
	}
	if got, want := err.Error(), `xmpp: invalid JID: resourcepart "": empty`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	err = (&JIDError{Part: partDomain, Input: strings.Repeat("a", 100)})
	if !errors.Is(err, ErrInvalidJID) {
		t.Errorf("errors.Is(%v, ErrInvalidJID) = false, want true", err)
	}
	if len(err.Error()) > 120 {
		t.Errorf("Error() = %q, want the input shortened", err)
	}
}

func TestJIDLengthLimits(t *testing.T) {
	t.Parallel()
	label := func(c byte, n int) string { return strings.Repeat(string(c), n) }
	// 63*3 + 3 dots + 61 = 253 bytes, the DNS limit.
	dom253 := label('a', 63) + "." + label('b', 63) + "." + label('c', 63) + "." + label('d', 61)
	tests := []struct {
		local, domain, resource string
		ok                      bool
	}{
		{label('a', 1023), "example.com", "", true},
		{label('a', 1024), "example.com", "", false},
		{label('A', 1023), "example.com", "", true},
		{strings.Repeat("é", 511) + "a", "example.com", "", true},
		{strings.Repeat("é", 512), "example.com", "", false},
		{"a", "example.com", label('r', 1023), true},
		{"a", "example.com", label('r', 1024), false},
		{"a", "example.com", strings.Repeat("♚", 341), true},
		{"a", "example.com", strings.Repeat("♚", 341) + "r", false},
		{"", label('a', 63) + ".example", "", true},
		{"", label('a', 64) + ".example", "", false},
		{"", dom253, "", true},
		{"", dom253 + ".", "", true},
		{"", dom253 + "d", "", false},
		// "xn--bcher-kva." is 14 bytes: 14 + 3*64 + 47 = 253 in A-label form.
		{"", "bücher." + label('a', 63) + "." + label('b', 63) + "." + label('c', 63) + "." + label('d', 47), "", true},
		{"", "bücher." + label('a', 63) + "." + label('b', 63) + "." + label('c', 63) + "." + label('d', 48), "", false},
		{label('a', 1023), dom253, label('r', 1023), true},
	}
	for _, tt := range tests {
		s := tt.domain
		if tt.local != "" {
			s = tt.local + "@" + s
		}
		if tt.resource != "" {
			s += "/" + tt.resource
		}
		j, err := ParseJID(s)
		if (err == nil) != tt.ok {
			t.Errorf("ParseJID(%d+%d+%d bytes) error %v, want ok %v", len(tt.local), len(tt.domain), len(tt.resource), err, tt.ok)
			continue
		}
		if err == nil {
			checkInvariants(t, j)
		}
		if _, err := NewJID(tt.local, tt.domain, tt.resource); (err == nil) != tt.ok {
			t.Errorf("NewJID(%d+%d+%d bytes) error %v, want ok %v", len(tt.local), len(tt.domain), len(tt.resource), err, tt.ok)
		}
	}
}

// checkInvariants checks what every valid JID must satisfy.
func checkInvariants(t *testing.T, j JID) {
	t.Helper()
	s := j.String()
	again, err := ParseJID(s)
	if err != nil || again != j {
		t.Errorf("ParseJID(%q) = %#v, %v, want %#v", s, again, err, j)
	}
	if slow, err := parseSlow(s); err != nil || slow != j {
		t.Errorf("parseSlow(%q) = %#v, %v, want %#v", s, slow, err, j)
	}
	if j != again || j.IsZero() {
		t.Errorf("%q: Equal or IsZero wrong", s)
	}
	l, d, r := j.Local(), j.Domain(), j.Resource()
	want := d
	if l != "" {
		want = l + "@" + d
	}
	if b := j.Bare(); b.String() != want || b.Local() != l || b.Domain() != d || b.Resource() != "" {
		t.Errorf("ParseJID(%q).Bare() = %q, want %q", s, b, want)
	}
	if r != "" {
		want += "/" + r
	}
	if want != s {
		t.Errorf("parts of %q join to %q", s, want)
	}
	for _, p := range []string{l, d, r} {
		if len(p) > maxPart || !utf8.ValidString(p) {
			t.Errorf("ParseJID(%q): part %q too long or not UTF-8", s, p)
		}
	}
	if d == "" {
		t.Errorf("ParseJID(%q): empty domainpart", s)
	}
	if n, err := NewJID(l, d, r); err != nil || n != j {
		t.Errorf("NewJID(%q, %q, %q) = %q, %v, want %q", l, d, r, n, err, s)
	}
}

// sink keeps results alive in allocation tests.
var sink string

func TestParseJIDFastPath(t *testing.T) {
	// Not parallel: testing.AllocsPerRun forbids it.
	for _, s := range []string{
		"juliet@example.com",
		"juliet@example.com/balcony",
		"Juliet@example.com/Balcony Room 1",
		"example.com",
		"conference.example.com/nick@host",
		"a.b-c_d+e@example.com/x",
		"u@192.0.2.1/r",
		"u@[2001:db8::1]/r",
		strings.Repeat("a", 1023) + "@example.com/" + strings.Repeat("r", 1023),
	} {
		s := s
		if strings.HasPrefix(s, "Juliet") {
			// Upper case in the localpart takes the slow path.
			if _, ok := parseFast(s); ok {
				t.Errorf("parseFast(%q) ok, want slow path", s)
			}
			continue
		}
		j, ok := parseFast(s)
		if !ok {
			t.Errorf("parseFast(%q) not ok, want fast path", s)
			continue
		}
		if unsafe.StringData(j.String()) != unsafe.StringData(s) {
			t.Errorf("ParseJID(%q).String() does not share the input", s)
		}
		checkInvariants(t, j)
		if n := testing.AllocsPerRun(100, func() {
			j, err := ParseJID(s)
			if err != nil {
				panic(err)
			}
			sink = j.Bare().String()
			sink = j.Local()
			sink = j.Domain()
			sink = j.Resource()
		}); n != 0 {
			t.Errorf("ParseJID(%q) allocates %v times, want 0", s, n)
		}
	}
}

// TestParseJIDFastAgreesWithSlow checks, for every byte in every part, that the
// fast path accepts a string only if the slow path leaves it unchanged.
func TestParseJIDFastAgreesWithSlow(t *testing.T) {
	t.Parallel()
	templates := []string{
		"a%sb@example.com/r",
		"%s@example.com",
		"a@exa%smple.com/r",
		"a@%sexample.com",
		"a@example%s",
		"a@example.com/r%sr",
		"a@example.com/%s",
		"a@[::%s1]",
		"a@192.0.2.%s",
	}
	for _, tmpl := range templates {
		for c := range 256 {
			for _, sub := range []string{string(rune(c)), string([]byte{byte(c)}), string([]byte{byte(c), byte(c)})} {
				s := strings.Replace(tmpl, "%s", sub, 1)
				compareFastSlow(t, s)
			}
		}
	}
}

func compareFastSlow(t *testing.T, s string) {
	t.Helper()
	fast, ok := parseFast(s)
	if !ok {
		return
	}
	slow, err := parseSlow(s)
	if err != nil || slow != fast {
		t.Errorf("parseFast(%q) = %#v, but parseSlow = %#v, %v", s, fast, slow, err)
	}
}

// TestParseJIDConcurrent lets the race detector look at the shared PRECIS
// and IDNA machinery.
func TestParseJIDConcurrent(t *testing.T) {
	t.Parallel()
	inputs := []string{"Σ@Bücher.example/♚", "ΣΑΣ.example", "ｊｕｌｉｅｔ@ｅｘａｍｐｌｅ．ｃｏｍ/x\u3000y", "juliet@example.com/balcony"}
	done := make(chan bool)
	for range 8 {
		go func() {
			for range 200 {
				for _, s := range inputs {
					if _, err := ParseJID(s); err != nil {
						t.Error(err)
					}
				}
			}
			done <- true
		}()
	}
	for range 8 {
		<-done
	}
}

func TestMustParseJID(t *testing.T) {
	t.Parallel()
	if got := MustParseJID("a@example.com"); got.String() != "a@example.com" {
		t.Errorf("MustParseJID = %q", got)
	}
	defer func() {
		if r := recover(); r == nil {
			t.Errorf("MustParseJID(%q) did not panic", "@")
		}
	}()
	MustParseJID("@")
}

func TestNewJID(t *testing.T) {
	t.Parallel()
	j, err := NewJID("Juliet", "Example.com.", "Balcony/1@x")
	if err != nil || j.String() != "juliet@example.com/Balcony/1@x" {
		t.Errorf("NewJID = %q, %v, want %q", j, err, "juliet@example.com/Balcony/1@x")
	}
	if j.Resource() != "Balcony/1@x" {
		t.Errorf("Resource() = %q", j.Resource())
	}
	for _, p := range []parts{
		{"a", "", ""},
		{"a@b", "example.com", ""},
		{"a/b", "example.com", ""},
		{"", "a@example.com", ""},
		{"", "example.com/r", ""},
	} {
		if j, err := NewJID(p.local, p.domain, p.resource); !errors.Is(err, ErrInvalidJID) {
			t.Errorf("NewJID(%q, %q, %q) = %q, %v, want ErrInvalidJID", p.local, p.domain, p.resource, j, err)
		}
	}
}

func TestJIDWithResource(t *testing.T) {
	t.Parallel()
	j := MustParseJID("juliet@example.com/balcony")
	got, err := j.WithResource("Orchard  1")
	if err != nil || got != MustParseJID("juliet@example.com/Orchard  1") {
		t.Errorf("WithResource = %q, %v", got, err)
	}
	if got, err := j.WithResource(""); err != nil || got != j.Bare() {
		t.Errorf(`WithResource("") = %q, %v, want %q`, got, err, j.Bare())
	}
	if _, err := j.WithResource("\x00"); !errors.Is(err, ErrInvalidJID) {
		t.Errorf(`WithResource("\x00") error %v, want ErrInvalidJID`, err)
	}
	if _, err := (JID{}).WithResource("r"); !errors.Is(err, ErrInvalidJID) {
		t.Errorf(`JID{}.WithResource("r") error %v, want ErrInvalidJID`, err)
	}
}

func TestJIDZero(t *testing.T) {
	t.Parallel()
	var j JID
	if !j.IsZero() || j.String() != "" || j.Local() != "" || j.Domain() != "" || j.Resource() != "" || j.Bare() != j {
		t.Errorf("zero JID = %#v, not empty", j)
	}
	if j == MustParseJID("example.com") {
		t.Error("zero JID == example.com")
	}
}

func TestJIDEqual(t *testing.T) {
	t.Parallel()
	a := MustParseJID("Juliet@EXAMPLE.com/Balcony")
	b := MustParseJID("juliet@example.com./Balcony")
	c := MustParseJID("juliet@example.com/balcony")
	if a != b {
		t.Errorf("%q != %q", a, b)
	}
	if a == c {
		t.Errorf("%q == %q: resourcepart case must be kept", a, c)
	}
	if a.Bare() != c.Bare() {
		t.Errorf("%q.Bare() != %q.Bare()", a, c)
	}
	m := map[JID]int{a: 1}
	if m[b] != 1 {
		t.Error("JID does not work as a map key")
	}
}

func TestJIDText(t *testing.T) {
	t.Parallel()
	j := MustParseJID("juliet@example.com/balcony")
	b, err := j.MarshalText()
	if err != nil || string(b) != j.String() {
		t.Errorf("MarshalText = %q, %v", b, err)
	}
	var got JID
	if err := got.UnmarshalText([]byte("Juliet@Example.com/balcony")); err != nil || got != j {
		t.Errorf("UnmarshalText = %q, %v, want %q", got, err, j)
	}
	if err := got.UnmarshalText(nil); err != nil || !got.IsZero() {
		t.Errorf("UnmarshalText(nil) = %q, %v, want zero JID", got, err)
	}
	got = j
	if err := got.UnmarshalText([]byte("@x")); !errors.Is(err, ErrInvalidJID) || got != j {
		t.Errorf(`UnmarshalText("@x") = %q, %v, want %q unchanged and ErrInvalidJID`, got, err, j)
	}
}

func TestJIDXMLAttr(t *testing.T) {
	t.Parallel()
	type msg struct {
		XMLName xml.Name `xml:"message"`
		From    JID      `xml:"from,attr"`
		To      JID      `xml:"to,attr"`
	}
	in := msg{To: MustParseJID("romeo@example.net/orchard")}
	b, err := xml.Marshal(in)
	if want := `<message to="romeo@example.net/orchard"></message>`; err != nil || string(b) != want {
		t.Fatalf("xml.Marshal = %s, %v, want %s", b, err, want)
	}
	var out msg
	if err := xml.Unmarshal([]byte(`<message from="Juliet@Example.com/Balcony" to="romeo@example.net/orchard"/>`), &out); err != nil {
		t.Fatal(err)
	}
	if out.From != MustParseJID("juliet@example.com/Balcony") || out.To != in.To {
		t.Errorf("xml.Unmarshal = %+v", out)
	}
	if err := xml.Unmarshal([]byte(`<message from="@example.com"/>`), &out); !errors.Is(err, ErrInvalidJID) {
		t.Errorf("xml.Unmarshal of a bad from error %v, want ErrInvalidJID", err)
	}
}

func BenchmarkParseJIDFast(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseJID("juliet@example.com/balcony"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseJIDSlow(b *testing.B) {
	for _, s := range []string{"Juliet@Example.COM/Balcony", "σ@bücher.example/♚"} {
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseJID(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func FuzzParseJID(f *testing.F) {
	for _, s := range []string{
		"juliet@example.com/balcony",
		"Juliet@Example.COM./Balcony",
		"σ@bücher.example/♚",
		"[::1]",
		"192.0.2.1",
		"a@b@c/d@e/f",
		"xn--bcher-kva.example",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		j, err := ParseJID(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidJID) {
				t.Fatalf("ParseJID(%q) error %v does not match ErrInvalidJID", s, err)
			}
			if !j.IsZero() {
				t.Fatalf("ParseJID(%q) = %q with an error", s, j)
			}
			return
		}
		checkInvariants(t, j)
		compareFastSlow(t, s)
	})
}
