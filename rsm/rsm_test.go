package rsm_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/rsm"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

func TestSetElement(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		set  rsm.Set
		want string
	}{
		{"zero", rsm.Set{}, `<set xmlns='http://jabber.org/protocol/rsm'></set>`},
		{"max", rsm.Set{Max: 10}, `<set xmlns='http://jabber.org/protocol/rsm'><max>10</max></set>`},
		{"negative max", rsm.Set{Max: -1}, `<set xmlns='http://jabber.org/protocol/rsm'></set>`},
		{"count only", rsm.Set{Max: 10, CountOnly: true}, `<set xmlns='http://jabber.org/protocol/rsm'><max>0</max></set>`},
		{"after", rsm.Set{Max: 10, After: "09af3-cc343-b409f"}, `<set xmlns='http://jabber.org/protocol/rsm'><max>10</max><after>09af3-cc343-b409f</after></set>`},
		{"before", rsm.Set{Before: "id<&>'\""}, `<set xmlns='http://jabber.org/protocol/rsm'><before>id&lt;&amp;&gt;&#39;&#34;</before></set>`},
		{"last page", rsm.Set{Max: 5, LastPage: true}, `<set xmlns='http://jabber.org/protocol/rsm'><max>5</max><before/></set>`},
		{"before wins over last page", rsm.Set{Before: "x", LastPage: true}, `<set xmlns='http://jabber.org/protocol/rsm'><before>x</before></set>`},
		{"index", rsm.Set{Max: 10, Index: 371}, `<set xmlns='http://jabber.org/protocol/rsm'><max>10</max><index>371</index></set>`},
		{"not XML chars", rsm.Set{After: "a\x00b"}, "<set xmlns='http://jabber.org/protocol/rsm'><after>a\uFFFDb</after></set>"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := tt.set.Element()
			require.NoError(t, err)
			require.Equal(t, tt.want, e.Raw, "Set%+v.Element()", tt.set)
			require.Equal(t, rsm.NS, e.Name.Space)
			back, err := rsm.ParseSet(e)
			require.NoError(t, err)
			want := tt.set
			if want.CountOnly {
				want.Max = 0
			}
			if want.Max < 0 {
				want.Max = 0
			}
			if want.Before != "" {
				want.LastPage = false
			}
			if want.After == "a\x00b" {
				want.After = "a\uFFFDb"
			}
			require.Equal(t, want, back, "ParseSet(Element())")
		})
	}
}

func TestParseResult(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, raw string
		want      rsm.Result
	}{
		{"full", `<set xmlns='http://jabber.org/protocol/rsm'><first index='0'>28482-98726-73623</first><last>09af3-cc343-b409f</last><count>25</count></set>`,
			rsm.Result{First: "28482-98726-73623", FirstIndex: 0, Last: "09af3-cc343-b409f", Count: 25}},
		{"no index no count", `<set xmlns='http://jabber.org/protocol/rsm'><first>a</first><last>b</last></set>`,
			rsm.Result{First: "a", FirstIndex: -1, Last: "b", Count: -1}},
		{"empty page", `<set xmlns='http://jabber.org/protocol/rsm'><count>0</count></set>`,
			rsm.Result{FirstIndex: -1, Count: 0}},
		{"empty set", `<set xmlns='http://jabber.org/protocol/rsm'/>`, rsm.Result{FirstIndex: -1, Count: -1}},
		{"spaces and escapes", `<set xmlns='http://jabber.org/protocol/rsm'><count> 7 </count><first index=' 3'>a&amp;b</first><last>c</last><other xmlns='x'>1</other></set>`,
			rsm.Result{First: "a&b", FirstIndex: 3, Last: "c", Count: 7}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := xmpp.ParseElement(tt.raw)
			require.NoError(t, err)
			got, err := rsm.ParseResult(e)
			require.NoError(t, err)
			require.Equal(t, tt.want, got, "ParseResult(%s)", tt.raw)
			// And back.
			e2, err := got.Element()
			require.NoError(t, err)
			again, err := rsm.ParseResult(e2)
			require.NoError(t, err)
			require.Equal(t, got, again, "ParseResult(Result.Element()) of %s", e2.Raw)
		})
	}
}

func TestResultElement(t *testing.T) {
	t.Parallel()
	e, err := rsm.Result{First: "a", FirstIndex: 10, Last: "<z>", Count: 25}.Element()
	require.NoError(t, err)
	require.Equal(t, `<set xmlns='http://jabber.org/protocol/rsm'><first index='10'>a</first><last>&lt;z&gt;</last><count>25</count></set>`, e.Raw)
	e, err = rsm.Result{FirstIndex: -1, Count: -1}.Element()
	require.NoError(t, err)
	require.Equal(t, `<set xmlns='http://jabber.org/protocol/rsm'></set>`, e.Raw)
}

func TestParseMalformed(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		`<set xmlns='http://jabber.org/protocol/rsm'><count>many</count></set>`,
		`<set xmlns='http://jabber.org/protocol/rsm'><count>-1</count></set>`,
		`<set xmlns='http://jabber.org/protocol/rsm'><count>99999999999999999999999</count></set>`,
		`<set xmlns='http://jabber.org/protocol/rsm'><first index='x'>a</first><last>b</last></set>`,
		`<set xmlns='http://jabber.org/protocol/rsm'><first>a</first></set>`,
		`<set xmlns='http://jabber.org/protocol/rsm'><last>b</last></set>`,
		`<set xmlns='urn:other'><count>1</count></set>`,
		`<list xmlns='http://jabber.org/protocol/rsm'/>`,
	} {
		e, err := xmpp.ParseElement(raw)
		require.NoError(t, err)
		_, err = rsm.ParseResult(e)
		fake.RequireMalformed(t, err, "XEP-0059", "ParseResult(%s)", raw)
	}
	for _, raw := range []string{
		`<set xmlns='http://jabber.org/protocol/rsm'><max>ten</max></set>`,
		`<set xmlns='http://jabber.org/protocol/rsm'><index>-2</index></set>`,
	} {
		e, err := xmpp.ParseElement(raw)
		require.NoError(t, err)
		_, err = rsm.ParseSet(e)
		fake.RequireMalformed(t, err, "XEP-0059", "ParseSet(%s)", raw)
	}
	// The zero Element (no element at all) is an error too, not a panic.
	_, err := rsm.ParseResult(xmpp.Element{})
	require.Error(t, err)
}

func FuzzParseResult(f *testing.F) {
	f.Add(`<set xmlns='http://jabber.org/protocol/rsm'><first index='0'>a</first><last>b</last><count>2</count></set>`)
	f.Add(`<set xmlns='http://jabber.org/protocol/rsm'><max>0</max><before/></set>`)
	f.Fuzz(func(t *testing.T, raw string) {
		e, err := xmpp.ParseElement(raw)
		if err != nil {
			return
		}
		if r, err := rsm.ParseResult(e); err == nil {
			if _, err := r.Element(); err != nil {
				t.Errorf("Result%+v.Element() = %v", r, err)
			}
		}
		if s, err := rsm.ParseSet(e); err == nil {
			if _, err := s.Element(); err != nil {
				t.Errorf("Set%+v.Element() = %v", s, err)
			}
		}
	})
}
