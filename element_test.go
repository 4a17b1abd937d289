package xmpp

import (
	"encoding/xml"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestElementAttr(t *testing.T) {
	t.Parallel()
	e := Element{Raw: `<c xmlns='http://jabber.org/protocol/caps' hash="sha-1" x:node='n' node='a&amp;b' tab='a	b'/>`}
	require.Equal(t, "sha-1", e.Attr("hash"))
	require.Equal(t, "a&b", e.Attr("node"))
	require.Equal(t, "a b", e.Attr("tab"))
	require.Equal(t, "", e.Attr("ver"))
	require.Equal(t, "", Element{}.Attr("x"))
}

func TestElementText(t *testing.T) {
	t.Parallel()
	tests := []struct{ raw, want string }{
		{`<a/>`, ""},
		{`<a>plain</a>`, "plain"},
		{`<a>x&amp;y&lt;&#x1F600;</a>`, "x&y<😀"},
		{`<a>one<b>skip<c>deep</c></b>two<d/>three</a>`, "onetwothree"},
		{`<a x='>'><![CDATA[<&>]]></a>`, "<&>"},
		{`<a>&amp;<b/>x</a>`, "&x"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, Element{Raw: tt.raw}.Text(), "Text(%q)", tt.raw)
	}
}

func TestElementChildren(t *testing.T) {
	t.Parallel()
	e, err := ParseElement(`<query xmlns='jabber:iq:roster' xmlns:g='urn:g'><item jid='a@b'><group>G</group></item><g:x/><item jid='c@d'/></query>`)
	require.NoError(t, err)
	require.Equal(t, xml.Name{Space: "jabber:iq:roster", Local: "query"}, e.Name)
	var names []string
	for c := range e.Children() {
		names = append(names, c.Name.Space+" "+c.Name.Local+" "+c.Raw)
	}
	require.Equal(t, []string{
		`jabber:iq:roster item <item xmlns='jabber:iq:roster' jid='a@b'><group>G</group></item>`,
		`urn:g x <g:x xmlns:g='urn:g'/>`,
		`jabber:iq:roster item <item xmlns='jabber:iq:roster' jid='c@d'/>`,
	}, names)
	c, ok := e.Child("urn:g", "x")
	require.True(t, ok)
	require.Equal(t, "x", c.Name.Local)
	_, ok = e.Child("urn:g", "nope")
	require.False(t, ok)
	item, _ := e.Child("jabber:iq:roster", "item")
	g, ok := item.Child("jabber:iq:roster", "group")
	require.True(t, ok)
	require.Equal(t, "G", g.Text())
	// Stopping early works.
	for range e.Children() {
		break
	}
}

type rosterItem struct {
	XMLName xml.Name `xml:"jabber:iq:roster item"`
	JID     string   `xml:"jid,attr"`
	Groups  []string `xml:"group"`
}

func TestElementDecodeMarshal(t *testing.T) {
	t.Parallel()
	e, err := ParseElement(`<item xmlns='jabber:iq:roster' jid='a@b'><group>G</group><group>H</group></item>`)
	require.NoError(t, err)
	var it rosterItem
	require.NoError(t, e.Decode(&it))
	require.Equal(t, "a@b", it.JID)
	require.Equal(t, []string{"G", "H"}, it.Groups)

	m, err := MarshalElement(it)
	require.NoError(t, err)
	require.Equal(t, xml.Name{Space: "jabber:iq:roster", Local: "item"}, m.Name)
	require.Equal(t, "a@b", m.Attr("jid"))
	require.Equal(t, []string{"G", "H"}, slices.Collect(func(yield func(string) bool) {
		for c := range m.Children() {
			if !yield(c.Text()) {
				return
			}
		}
	}))
}

func TestParseElementRejects(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{``, `x`, `<a>`, `<a/><b/>`, `<!-- c --><a/>`, `<a>&foo;</a>`, `<p:a/>`, "<a>\x00</a>", `<a>` + strings.Repeat("<b>", 100) + strings.Repeat("</b>", 100) + `</a>`} {
		_, err := ParseElement(bad)
		require.Error(t, err, "ParseElement(%q)", bad)
	}
}

func ExampleElement_Children() {
	e, err := ParseElement(`<query xmlns='jabber:iq:roster'><item jid='a@example.com'/><item jid='b@example.com'/></query>`)
	if err != nil {
		panic(err)
	}
	for item := range e.Children() {
		fmt.Println(item.Attr("jid"), item.Raw)
	}
	// Output:
	// a@example.com <item xmlns='jabber:iq:roster' jid='a@example.com'/>
	// b@example.com <item xmlns='jabber:iq:roster' jid='b@example.com'/>
}
