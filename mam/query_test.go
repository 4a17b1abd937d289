package mam_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/mam"
	"github.com/gojabber/xmpp/rsm"
)

func TestQueryElement(t *testing.T) {
	t.Parallel()
	const form = `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>`
	start := time.Date(2010, 6, 7, 0, 0, 0, 0, time.UTC)
	cet := time.FixedZone("CET", 3600)
	for _, tt := range []struct {
		name string
		q    mam.Query
		want string
	}{
		{"zero", mam.Query{}, `<query xmlns='urn:xmpp:mam:2' queryid='f27'></query>`},
		{"with", mam.Query{With: xmpp.MustParseJID("juliet@capulet.lit")},
			`<query xmlns='urn:xmpp:mam:2' queryid='f27'>` + form +
				`<field var='with'><value>juliet@capulet.lit</value></field></x></query>`},
		{"time range", mam.Query{Start: start, End: time.Date(2010, 7, 7, 14, 0, 0, 500000000, cet)},
			`<query xmlns='urn:xmpp:mam:2' queryid='f27'>` + form +
				`<field var='start'><value>2010-06-07T00:00:00Z</value></field>` +
				`<field var='end'><value>2010-07-07T13:00:00.5Z</value></field></x></query>`},
		{"ids and rsm", mam.Query{AfterID: "a&b", BeforeID: "c", RSM: rsm.Set{Max: 10, After: "09af3"}},
			`<query xmlns='urn:xmpp:mam:2' queryid='f27'>` + form +
				`<field var='after-id'><value>a&amp;b</value></field>` +
				`<field var='before-id'><value>c</value></field></x>` +
				`<set xmlns='http://jabber.org/protocol/rsm'><max>10</max><after>09af3</after></set></query>`},
		{"last page", mam.Query{RSM: rsm.Set{Max: 5, LastPage: true}},
			`<query xmlns='urn:xmpp:mam:2' queryid='f27'><set xmlns='http://jabber.org/protocol/rsm'><max>5</max><before/></set></query>`},
		{"node", mam.Query{Node: "princely_musings", With: xmpp.MustParseJID("romeo@montague.lit/orchard")},
			`<query xmlns='urn:xmpp:mam:2' queryid='f27' node='princely_musings'>` + form +
				`<field var='with'><value>romeo@montague.lit/orchard</value></field></x></query>`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := tt.q.Element("f27")
			require.NoError(t, err)
			require.Equal(t, tt.want, e.Raw, "Query%+v.Element(f27)", tt.q)
			require.Equal(t, "urn:xmpp:mam:2", e.Name.Space)
			require.Equal(t, "query", e.Name.Local)
		})
	}
	// A queryid that needs escaping stays one attribute.
	e, err := mam.Query{}.Element(`q'"<`)
	require.NoError(t, err)
	require.Equal(t, `q'"<`, e.Attr("queryid"))
}
