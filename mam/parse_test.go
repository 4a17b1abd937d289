package mam

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/rsm"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

// result wraps a <forwarded/> body in a <result/> as an archive sends it.
func result(id, forwarded string) string {
	return `<result xmlns='urn:xmpp:mam:2' queryid='f27' id='` + id + `'>` +
		`<forwarded xmlns='urn:xmpp:forward:0'>` + forwarded + `</forwarded></result>`
}

func TestParseResult(t *testing.T) {
	t.Parallel()
	raw := result("28482-98726-73623",
		`<delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:08:25.123Z'/>`+
			`<message xmlns='jabber:client' from='witch@shakespeare.lit' to='macbeth@shakespeare.lit' id='m1' type='chat' xml:lang='en'>`+
			`<body>Hail to thee &amp; 😀</body><thread>t1</thread>`+
			`<stanza-id xmlns='urn:xmpp:sid:0' by='macbeth@shakespeare.lit' id='28482-98726-73623'/></message>`)
	r, err := parseResult(fake.Element(t, raw))
	require.NoError(t, err)
	require.Equal(t, "28482-98726-73623", r.ID)
	require.Equal(t, time.Date(2010, 7, 10, 23, 8, 25, 123000000, time.UTC), r.Stamp.UTC())
	m := r.Message
	require.NotNil(t, m)
	require.Equal(t, "Hail to thee & 😀", m.Body)
	require.Equal(t, "witch@shakespeare.lit", m.From.String())
	require.Equal(t, "macbeth@shakespeare.lit", m.To.String())
	require.Equal(t, "m1", m.ID)
	require.Equal(t, xmpp.MessageChat, m.Type)
	require.Equal(t, "en", m.Lang)
	require.Equal(t, "t1", m.Thread)
	require.Len(t, m.Extensions, 1)
	require.Equal(t, "urn:xmpp:sid:0", m.Extensions[0].Name.Space)

	// Prefixed namespaces, no delay (stamp left zero), inherited
	// declarations.
	raw = `<r:result xmlns:r='urn:xmpp:mam:2' xmlns:f='urn:xmpp:forward:0' xmlns:c='jabber:client' queryid='q' id='x'>` +
		`<f:forwarded><c:message to='a@b'><c:body>hi</c:body></c:message></f:forwarded></r:result>`
	r, err = parseResult(fake.Element(t, raw))
	require.NoError(t, err)
	require.Equal(t, "x", r.ID)
	require.True(t, r.Stamp.IsZero())
	require.Equal(t, "hi", r.Message.Body)
}

func TestParseResultMalformed(t *testing.T) {
	t.Parallel()
	msg := `<message xmlns='jabber:client' to='a@b'><body>x</body></message>`
	delay := `<delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:08:25Z'/>`
	for _, tt := range []struct{ name, raw string }{
		{"no id", `<result xmlns='urn:xmpp:mam:2' queryid='f27'><forwarded xmlns='urn:xmpp:forward:0'>` + delay + msg + `</forwarded></result>`},
		{"no forwarded", `<result xmlns='urn:xmpp:mam:2' queryid='f27' id='1'>` + msg + `</result>`},
		{"forwarded in wrong namespace", `<result xmlns='urn:xmpp:mam:2' queryid='f27' id='1'><forwarded>` + msg + `</forwarded></result>`},
		{"no message", result("1", delay)},
		{"message in wrong namespace", result("1", delay+`<message><body>x</body></message>`)},
		{"bad stamp", result("1", `<delay xmlns='urn:xmpp:delay' stamp='yesterday'/>`+msg)},
		{"bad inner to", result("1", delay+`<message xmlns='jabber:client' to='@@'><body>x</body></message>`)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseResult(fake.Element(t, tt.raw))
			fake.RequireMalformed(t, err, "XEP-0313", "parseResult(%s)", tt.raw)
		})
	}
}

func TestParseFin(t *testing.T) {
	t.Parallel()
	p, err := parseFin(fake.Element(t, `<fin xmlns='urn:xmpp:mam:2' complete='true'><set xmlns='http://jabber.org/protocol/rsm'>`+
		`<first index='0'>28482-98726-73623</first><last>09af3-cc343-b409f</last><count>20</count></set></fin>`))
	require.NoError(t, err)
	require.True(t, p.Complete)
	require.True(t, p.Stable)
	require.Equal(t, rsm.Result{First: "28482-98726-73623", FirstIndex: 0, Last: "09af3-cc343-b409f", Count: 20}, p.RSM)

	p, err = parseFin(fake.Element(t, `<fin xmlns='urn:xmpp:mam:2' stable='false'/>`))
	require.NoError(t, err)
	require.False(t, p.Complete)
	require.False(t, p.Stable)
	require.Equal(t, rsm.Result{FirstIndex: -1, Count: -1}, p.RSM)

	for _, raw := range []string{
		`<fin xmlns='urn:xmpp:mam:1'/>`,
		`<done xmlns='urn:xmpp:mam:2'/>`,
		`<fin xmlns='urn:xmpp:mam:2' complete='yes'/>`,
		`<fin xmlns='urn:xmpp:mam:2' stable='no'/>`,
		`<fin xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><count>x</count></set></fin>`,
	} {
		_, err := parseFin(fake.Element(t, raw))
		fake.RequireMalformed(t, err, "XEP-0313", "parseFin(%s)", raw)
	}
	_, err = parseFin(xmpp.Element{})
	fake.RequireMalformed(t, err, "XEP-0313", "parseFin(no payload)")
}

func TestHasResult(t *testing.T) {
	t.Parallel()
	res := fake.Element(t, result("1", `<message xmlns='jabber:client'/>`))
	other := fake.Element(t, `<result xmlns='urn:xmpp:mam:1' id='1'/>`)
	require.True(t, HasResult(&xmpp.Message{Extensions: []xmpp.Element{other, res}}))
	require.False(t, HasResult(&xmpp.Message{Extensions: []xmpp.Element{other}}))
	require.False(t, HasResult(&xmpp.Message{Body: "hi"}))
}

func FuzzParseResult(f *testing.F) {
	f.Add(result("1", `<delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:08:25Z'/><message xmlns='jabber:client' to='a@b'><body>x</body></message>`))
	f.Add(`<fin xmlns='urn:xmpp:mam:2' complete='true'><set xmlns='http://jabber.org/protocol/rsm'><first index='0'>a</first><last>b</last></set></fin>`)
	f.Fuzz(func(t *testing.T, raw string) {
		e, err := xmpp.ParseElement(raw)
		if err != nil {
			return
		}
		if r, err := parseResult(e); err == nil && r.Message == nil {
			t.Errorf("parseResult(%s) gave no message and no error", raw)
		}
		_, _ = parseFin(e)
	})
}
