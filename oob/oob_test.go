package oob_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/oob"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw    string
		want   oob.Link
		reason string
	}{
		{raw: `<x xmlns='jabber:x:oob'><url>http://www.jabber.org/images/psa-license.jpg</url><desc>A license to Jabber!</desc></x>`,
			want: oob.Link{URL: "http://www.jabber.org/images/psa-license.jpg", Desc: "A license to Jabber!"}},
		{raw: "<x xmlns='jabber:x:oob'><url>\n  https://u.example/f.png \n</url></x>", want: oob.Link{URL: "https://u.example/f.png"}},
		{raw: `<x xmlns='jabber:x:oob'/>`, reason: "without <url/>"},
		{raw: `<x xmlns='jabber:x:oob'><url>/relative</url></x>`, reason: "not absolute"},
		{raw: `<x xmlns='jabber:x:oob'><url>%zz</url></x>`, reason: "does not parse"},
		{raw: `<x xmlns='jabber:x:oob'><url>https://u.example/` + strings.Repeat("a", oob.MaxURLLength) + `</url></x>`, reason: "more than"},
		{raw: `<x xmlns='jabber:x:data'/>`, reason: "is not"},
	}
	for _, tt := range tests {
		got, err := oob.Parse(fake.Element(t, tt.raw))
		if tt.reason != "" {
			me := fake.RequireMalformed(t, err, "XEP-0066", "Parse(%s)", tt.raw)
			require.Contains(t, me.Reason, tt.reason)
			continue
		}
		require.NoError(t, err, "Parse(%s)", tt.raw)
		require.Equal(t, tt.want, got, "Parse(%s)", tt.raw)
	}
}

func TestAddFrom(t *testing.T) {
	t.Parallel()
	m := &xmpp.Message{Body: "https://u.example/f.png"}
	require.False(t, oob.Has(m))
	require.NoError(t, oob.Add(m, oob.Link{URL: "https://u.example/f.png", Desc: "a <picture> & more"}))
	require.Error(t, oob.Add(m, oob.Link{URL: "not a url"}))
	require.Len(t, m.Extensions, 1, "a rejected link leaves m unchanged")
	require.Equal(t, `<x xmlns="jabber:x:oob"><url>https://u.example/f.png</url><desc>a &lt;picture&gt; &amp; more</desc></x>`, m.Extensions[0].Raw)

	l, ok := oob.From(m)
	require.True(t, ok)
	require.Equal(t, oob.Link{URL: "https://u.example/f.png", Desc: "a <picture> & more"}, l)
	l, ok = oob.Inline(m)
	require.True(t, ok)
	require.Equal(t, "https://u.example/f.png", l.URL)

	// Round trip through the wire form, as a receiver sees it.
	got := fake.Message(t, `<message from='juliet@capulet.lit/balcony' type='chat'><body>see https://u.example/f.png</body>`+
		`<x xmlns='jabber:x:oob'/>`+
		`<x xmlns='jabber:x:oob'><url>https://u.example/f.png</url></x>`+
		`<x xmlns='jabber:x:oob'><url>https://u.example/g.png</url></x></message>`)
	l, ok = oob.From(got)
	require.True(t, ok, "From skips the invalid link")
	require.Equal(t, "https://u.example/f.png", l.URL)
	require.Len(t, oob.All(got), 2)
	_, ok = oob.Inline(got)
	require.False(t, ok, "the body is not just the URL")
}

// FuzzParse checks that Parse never panics and that a link it accepts
// encodes to an element that parses to the same link.
func FuzzParse(f *testing.F) {
	f.Add(`<x xmlns='jabber:x:oob'><url>https://u.example/f.png</url><desc>d</desc></x>`)
	f.Add(`<x xmlns='jabber:x:oob'><url> http://a.b </url></x>`)
	f.Add(`<x xmlns='jabber:x:oob'/>`)
	f.Fuzz(func(t *testing.T, raw string) {
		el, err := xmpp.ParseElement(raw)
		if err != nil {
			return
		}
		l, err := oob.Parse(el)
		if err != nil {
			return
		}
		el2, err := l.Element()
		if err != nil {
			t.Fatalf("Parse(%q) = %+v, whose Element fails: %v", raw, l, err)
		}
		l2, err := oob.Parse(el2)
		if err != nil {
			t.Fatalf("Parse(Element(%+v)) = %v", l, err)
		}
		if l2.URL != l.URL {
			t.Fatalf("Parse(Element(%+v)).URL = %q, want %q", l, l2.URL, l.URL)
		}
	})
}
