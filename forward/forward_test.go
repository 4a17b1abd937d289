package forward_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/delay"
	"github.com/gojabber/xmpp/forward"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

func TestElementRoundTrip(t *testing.T) {
	t.Parallel()
	d := &delay.Delay{Stamp: time.Date(2010, 7, 10, 23, 8, 25, 0, time.UTC)}
	inner := &xmpp.Message{
		Header: xmpp.Header{ID: "m1", From: xmpp.MustParseJID("romeo@montague.lit/orchard"), To: xmpp.MustParseJID("juliet@capulet.lit/balcony")}, Type: xmpp.MessageChat,
		Body: `A kiss & a <tag> "quote"`,
	}
	inner.Extensions = []xmpp.Element{fake.Element(t, `<active xmlns='http://jabber.org/protocol/chatstates'/>`)}
	el, err := forward.Forwarded{Delay: d, Message: inner}.Element()
	require.NoError(t, err)
	require.Equal(t, `<forwarded xmlns='urn:xmpp:forward:0'>`+
		`<delay xmlns="urn:xmpp:delay" stamp="2010-07-10T23:08:25Z"></delay>`+
		`<message xmlns='jabber:client' id='m1' type='chat' from='romeo@montague.lit/orchard' to='juliet@capulet.lit/balcony'>`+
		`<body>A kiss &amp; a &lt;tag&gt; "quote"</body><active xmlns='http://jabber.org/protocol/chatstates'/></message></forwarded>`, el.Raw)

	f, err := forward.Parse(el)
	require.NoError(t, err)
	require.NotNil(t, f.Delay)
	require.True(t, d.Stamp.Equal(f.Delay.Stamp))
	require.Equal(t, inner.Header, f.Message.Header)
	require.Equal(t, inner.Body, f.Message.Body)
	require.Len(t, f.Message.Extensions, 1)
	require.Equal(t, inner.Extensions[0].Raw, f.Message.Extensions[0].Raw)

	el, err = forward.Forwarded{Message: &xmpp.Message{Body: "x"}}.Element()
	require.NoError(t, err)
	require.Equal(t, `<forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client'><body>x</body></message></forwarded>`, el.Raw)

	_, err = forward.Forwarded{}.Element()
	fake.RequireMalformed(t, err, "XEP-0297", "forward.Forwarded{}.Element()")
	_, err = forward.Forwarded{Message: &xmpp.Message{Body: "\x00"}}.Element()
	require.Error(t, err, "a message the encoder refuses")
}

// TestParseXEPExample reads the example of XEP-0297 §3, with prefixes and
// the inner message's own namespace declaration.
func TestParseXEPExample(t *testing.T) {
	t.Parallel()
	m := fake.Message(t, `<message to='mercutio@verona.lit' from='romeo@montague.lit/orchard' type='chat' id='28gs'>
  <body>A most courteous exposition!</body>
  <forwarded xmlns='urn:xmpp:forward:0'>
    <delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:08:25Z'/>
    <message from='juliet@capulet.lit/orchard' id='0202197' to='romeo@montague.lit' type='chat' xmlns='jabber:client'>
        <body>Yet I should kill thee with much cherishing.</body>
        <mood xmlns='http://jabber.org/protocol/mood'><amorous/></mood>
    </message>
  </forwarded>
</message>`)
	f, ok := forward.From(m)
	require.True(t, ok)
	require.Equal(t, "juliet@capulet.lit/orchard", f.Message.From.String())
	require.Equal(t, "0202197", f.Message.ID)
	require.Equal(t, "Yet I should kill thee with much cherishing.", f.Message.Body)
	require.Len(t, f.Message.Extensions, 1)
	require.Equal(t, "mood", f.Message.Extensions[0].Name.Local)
	require.Equal(t, "2010-07-10T23:08:25Z", delay.FormatStamp(f.Delay.Stamp))
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, raw string }{
		{"no message", `<forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:08:25Z'/></forwarded>`},
		{"empty", `<forwarded xmlns='urn:xmpp:forward:0'/>`},
		{"message in forward namespace", `<forwarded xmlns='urn:xmpp:forward:0'><message><body>x</body></message></forwarded>`},
		{"two messages", `<forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client'/><message xmlns='jabber:client'/></forwarded>`},
		{"bad delay", `<forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='soon'/><message xmlns='jabber:client'/></forwarded>`},
		{"bad inner from", `<forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='a@@b'/></forwarded>`},
		{"iq", `<forwarded xmlns='urn:xmpp:forward:0'><iq xmlns='jabber:client' type='get' id='1'/></forwarded>`},
		{"not forwarded", `<forwarded xmlns='urn:xmpp:forward:1'><message xmlns='jabber:client'/></forwarded>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := forward.Parse(fake.Element(t, tc.raw))
			fake.RequireMalformed(t, err, "XEP-0297", "forward.Parse(fake.Element(t, tc.raw))")
		})
	}
	_, err := forward.Parse(fake.Element(t, `<forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='a@@b'/></forwarded>`))
	var bad *xmpp.BadStanzaError
	require.True(t, errors.As(err, &bad), "bad inner address: %v, want a *xmpp.BadStanzaError", err)
	_, err = forward.Parse(xmpp.Element{})
	fake.RequireMalformed(t, err, "XEP-0297", "forward.Parse(xmpp.Element{})")
	_, ok := forward.From(fake.Message(t, `<message><forwarded xmlns='urn:xmpp:forward:0'/></message>`))
	require.False(t, ok)
}

func FuzzParse(f *testing.F) {
	f.Add(`<forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:08:25Z'/><message xmlns='jabber:client' from='a@b/c'><body>x</body></message></forwarded>`)
	f.Add(`<forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client'><forwarded xmlns='urn:xmpp:forward:0'/></message></forwarded>`)
	f.Fuzz(func(t *testing.T, raw string) {
		el, err := xmpp.ParseElement(raw)
		if err != nil {
			return
		}
		fw, err := forward.Parse(el)
		if err != nil {
			return
		}
		// What parses re-encodes, and parses again to the same message.
		el2, err := fw.Element()
		if err != nil {
			return // e.g. text the encoder refuses to write
		}
		fw2, err := forward.Parse(el2)
		if err != nil {
			t.Fatalf("Parse(Element(Parse(%q))) = %v", raw, err)
		}
		if fw2.Message.Header != fw.Message.Header || fw2.Message.Body != fw.Message.Body {
			t.Fatalf("round trip changed the message: %+v → %+v", fw.Message, fw2.Message)
		}
	})
}
