package caps

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/disco"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

// simpleInfo is the example of XEP-0115 §5.2.
func simpleInfo() disco.Info {
	return disco.Info{
		Identities: []disco.Identity{{Category: "client", Type: "pc", Name: "Exodus 0.9.1"}},
		Features: []string{
			"http://jabber.org/protocol/disco#info",
			"http://jabber.org/protocol/disco#items",
			"http://jabber.org/protocol/muc",
			"http://jabber.org/protocol/caps",
		},
	}
}

const (
	simpleS   = "client/pc//Exodus 0.9.1<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<"
	simpleVer = "QgayPKawpkPSDYmwT/WM94uAlu0="
)

// complexInfo is the example of XEP-0115 §5.3, with its form as the
// disco#info result of the example carries it: fields and values out of
// order.
func complexInfo(t testing.TB) disco.Info {
	return disco.Info{
		Identities: []disco.Identity{
			{Category: "client", Type: "pc", Name: "Psi 0.11", Lang: "en"},
			{Category: "client", Type: "pc", Name: "Ψ 0.11", Lang: "el"},
		},
		Features: []string{
			"http://jabber.org/protocol/caps",
			"http://jabber.org/protocol/disco#info",
			"http://jabber.org/protocol/disco#items",
			"http://jabber.org/protocol/muc",
		},
		Forms: []xmpp.Element{fake.Element(t, `<x xmlns='jabber:x:data' type='result'>
  <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>
  <field var='ip_version' type='text-multi'><value>ipv4</value><value>ipv6</value></field>
  <field var='os'><value>Mac</value></field>
  <field var='os_version'><value>10.5.1</value></field>
  <field var='software'><value>Psi</value></field>
  <field var='software_version'><value>0.11</value></field>
</x>`)},
	}
}

const (
	complexS   = "client/pc/el/Ψ 0.11<client/pc/en/Psi 0.11<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<urn:xmpp:dataforms:softwareinfo<ip_version<ipv4<ipv6<os<Mac<os_version<10.5.1<software<Psi<software_version<0.11<"
	complexVer = "q07IKJEyjvHSyhy//CH0CxmKi8w="
)

func TestVerSimpleExample(t *testing.T) {
	t.Parallel()
	s, ok := verString(simpleInfo())
	require.True(t, ok)
	require.Equal(t, simpleS, s)
	require.Equal(t, simpleVer, Ver(simpleInfo()))
	require.True(t, Verify(simpleInfo(), simpleVer, "sha-1"))
}

func TestVerComplexExample(t *testing.T) {
	t.Parallel()
	s, ok := verString(complexInfo(t))
	require.True(t, ok)
	require.Equal(t, complexS, s)
	require.Equal(t, complexVer, Ver(complexInfo(t)))
	require.True(t, Verify(complexInfo(t), complexVer, "sha-1"))
}

// The order in which the entity lists things does not matter.
func TestVerIgnoresOrder(t *testing.T) {
	t.Parallel()
	info := complexInfo(t)
	info.Identities[0], info.Identities[1] = info.Identities[1], info.Identities[0]
	info.Features[0], info.Features[3] = info.Features[3], info.Features[0]
	info.Forms = []xmpp.Element{fake.Element(t, `<x xmlns='jabber:x:data' type='result'>`+
		`<field var='software_version'><value>0.11</value></field>`+
		`<field var='ip_version'><value>ipv6</value><value>ipv4</value></field>`+
		`<field var='os_version'><value>10.5.1</value></field>`+
		`<field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>`+
		`<field var='software'><value>Psi</value></field>`+
		`<field var='os'><value>Mac</value></field>`+
		`</x>`)}
	require.Equal(t, complexVer, Ver(info))
}

func TestVerFormsSortedByType(t *testing.T) {
	t.Parallel()
	a := fake.Element(t, `<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>urn:a</value></field><field var='f'><value>1</value></field></x>`)
	b := fake.Element(t, `<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>urn:b</value></field></x>`)
	info := disco.Info{Identities: []disco.Identity{{Category: "client", Type: "pc"}}, Forms: []xmpp.Element{b, a}}
	s, ok := verString(info)
	require.True(t, ok)
	require.Equal(t, "client/pc//<urn:a<f<1<urn:b<", s)
}

// Forms without a hidden FORM_TYPE are ignored (§5.4 step 3.6).
func TestVerIgnoresFormsWithoutHiddenType(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		`<x xmlns='jabber:x:data' type='result'><field var='software'><value>Psi</value></field></x>`,
		`<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE'><value>urn:a</value></field></x>`,
		`<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='text-single'><value>urn:a</value></field></x>`,
		`<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'/></x>`,
	} {
		info := simpleInfo()
		info.Forms = []xmpp.Element{fake.Element(t, raw)}
		require.Equal(t, simpleVer, Ver(info), "Ver with form %s", raw)
		require.True(t, Verify(info, simpleVer, "sha-1"), "Verify with form %s", raw)
	}
}

// Ill-formed information is never verified (§5.4 step 3.3–3.5).
func TestVerifyRefusesIllFormed(t *testing.T) {
	t.Parallel()
	form := func(typ string) xmpp.Element {
		return fake.Element(t, `<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>`+typ+`</value></field></x>`)
	}
	cases := map[string]func(*disco.Info){
		"duplicate-identity": func(i *disco.Info) { i.Identities = append(i.Identities, i.Identities[0]) },
		"duplicate-feature":  func(i *disco.Info) { i.Features = append(i.Features, i.Features[0]) },
		"duplicate-form-type": func(i *disco.Info) {
			i.Forms = []xmpp.Element{form("urn:a"), form("urn:a")}
		},
		"form-type-values-differ": func(i *disco.Info) {
			i.Forms = []xmpp.Element{fake.Element(t, `<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>urn:a</value><value>urn:b</value></field></x>`)}
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			info := simpleInfo()
			mutate(&info)
			require.False(t, Verify(info, Ver(info), "sha-1"), "Verify(%+v, Ver) = true for ill-formed info", info)
		})
	}
}

func TestVerifyHashes(t *testing.T) {
	t.Parallel()
	info := simpleInfo()
	for _, h := range []string{"sha-224", "sha-256", "sha-384", "sha-512"} {
		ver := verHash(newHash(h), simpleS)
		require.True(t, Verify(info, ver, h), "Verify(%s)", h)
		require.False(t, Verify(info, ver, "sha-1"))
	}
	require.False(t, Verify(info, simpleVer, "md5"))
	require.False(t, Verify(info, simpleVer, ""))
	require.False(t, Verify(info, simpleVer, "SHA-1"))
	require.False(t, Verify(info, "QgayPKawpkPSDYmwT/WM94uAlu0", "sha-1"))
}

func TestElementAndParse(t *testing.T) {
	t.Parallel()
	el := Element("https://gojabber.example/<&>", simpleVer)
	require.Equal(t, `<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://gojabber.example/&lt;&amp;&gt;' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/>`, el.Raw)
	c, ok := Parse(&xmpp.Presence{Extensions: []xmpp.Element{fake.Element(t, `<x xmlns='urn:other'/>`), el}})
	require.True(t, ok)
	require.Equal(t, Caps{Node: "https://gojabber.example/<&>", Ver: simpleVer, Hash: "sha-1"}, c)

	_, ok = Parse(&xmpp.Presence{})
	require.False(t, ok)
	_, ok = Parse(&xmpp.Presence{Extensions: []xmpp.Element{fake.Element(t, `<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n'/>`)}})
	require.False(t, ok, "Parse of <c/> without ver")
	legacy, ok := Parse(&xmpp.Presence{Extensions: []xmpp.Element{fake.Element(t, `<c xmlns='http://jabber.org/protocol/caps' node='n' ver='1.0' ext='a b'/>`)}})
	require.True(t, ok)
	require.Empty(t, legacy.Hash)
}

func TestAdvertise(t *testing.T) {
	t.Parallel()
	mux := xmpp.NewMux()
	mux.HandleIQ(xmpp.IQGet, "urn:xmpp:ping", "ping", func(xmpp.Session, *xmpp.IQ) (*xmpp.IQ, error) { return &xmpp.IQ{}, nil })
	h := disco.Register(mux, disco.Identity{Category: "client", Type: "bot", Name: "gojabber"})
	el := Advertise(mux, h, "https://gojabber.example")
	info := h.Info()
	require.True(t, info.HasFeature(NS))
	ver := Ver(info)
	require.Equal(t, Element("https://gojabber.example", ver).Raw, el.Raw)

	// The node#ver is answered with the same information.
	r, err := mux.OnIQ(nil, &xmpp.IQ{
		Type:    xmpp.IQGet,
		Payload: fake.Element(t, `<query xmlns='http://jabber.org/protocol/disco#info' node='https://gojabber.example#`+ver+`'/>`),
	})
	require.NoError(t, err)
	want, err := info.Element("https://gojabber.example#" + ver)
	require.NoError(t, err)
	require.Equal(t, want.Raw, r.Payload.Raw)
}

func TestCache(t *testing.T) {
	t.Parallel()
	c := NewCache(2)
	info := simpleInfo()
	require.False(t, c.Add("sha-1", "bogus=", info), "Add of unverified info")
	require.Zero(t, c.Len())
	require.True(t, c.Add("sha-1", simpleVer, info))
	got, ok := c.Get("sha-1", simpleVer)
	require.True(t, ok)
	require.Equal(t, info, got)
	_, ok = c.Get("sha-256", simpleVer)
	require.False(t, ok, "entries are keyed by hash too")

	// The caller's slices are not shared.
	got.Features[0] = "changed"
	again, _ := c.Get("sha-1", simpleVer)
	require.Equal(t, info, again)

	// Bounded, least recently used goes first.
	infos := make([]disco.Info, 3)
	vers := make([]string, 3)
	for i := range infos {
		infos[i] = disco.Info{Identities: []disco.Identity{{Category: "client", Type: fmt.Sprint("t", i)}}}
		vers[i] = Ver(infos[i])
	}
	c = NewCache(2)
	require.True(t, c.Add("sha-1", vers[0], infos[0]))
	require.True(t, c.Add("sha-1", vers[1], infos[1]))
	_, ok = c.Get("sha-1", vers[0]) // 0 is now more recent than 1
	require.True(t, ok)
	require.True(t, c.Add("sha-1", vers[2], infos[2]))
	require.Equal(t, 2, c.Len())
	_, ok = c.Get("sha-1", vers[1])
	require.False(t, ok, "least recently used entry still cached")
	_, ok = c.Get("sha-1", vers[0])
	require.True(t, ok)

	require.Equal(t, DefaultCacheSize, NewCache(0).max)
}

func FuzzVer(f *testing.F) {
	f.Add(`<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>urn:a</value></field><field var='f'><value>1</value></field></x>`)
	f.Fuzz(func(t *testing.T, raw string) {
		el, err := xmpp.ParseElement(raw)
		if err != nil {
			return
		}
		info := simpleInfo()
		info.Forms = []xmpp.Element{el, el}
		ver := Ver(info)
		Verify(info, ver, "sha-1")
	})
}
