package version

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

func ask(t *testing.T, mux *xmpp.Mux) (*xmpp.IQ, error) {
	return mux.OnIQ(nil, &xmpp.IQ{Header: xmpp.Header{ID: "v1"}, Type: xmpp.IQGet, Payload: request})
}

func TestRegister(t *testing.T) {
	t.Parallel()
	mux := xmpp.NewMux()
	Register(mux, "gojabber <&>", "1.0", "Linux")
	require.Equal(t, []string{NS}, mux.Features())
	r, err := ask(t, mux)
	require.NoError(t, err)
	require.Equal(t, `<query xmlns='jabber:iq:version'><name>gojabber &lt;&amp;&gt;</name><version>1.0</version><os>Linux</os></query>`, r.Payload.Raw)
	info, err := parse(r.Payload)
	require.NoError(t, err)
	require.Equal(t, Info{Name: "gojabber <&>", Version: "1.0", OS: "Linux"}, info)

	// No os: none sent.
	mux = xmpp.NewMux()
	Register(mux, "gojabber", "1.0", "")
	r, err = ask(t, mux)
	require.NoError(t, err)
	require.Equal(t, `<query xmlns='jabber:iq:version'><name>gojabber</name><version>1.0</version></query>`, r.Payload.Raw)
}

// Characters XML cannot carry are replaced, as xml.EscapeText does.
func TestRegisterInvalidText(t *testing.T) {
	t.Parallel()
	mux := xmpp.NewMux()
	Register(mux, "bell\a", "1.0", "")
	r, err := ask(t, mux)
	require.NoError(t, err)
	require.Equal(t, "<query xmlns='jabber:iq:version'><name>bell\uFFFD</name><version>1.0</version></query>", r.Payload.Raw)
}

func TestParse(t *testing.T) {
	t.Parallel()
	// ejabberd's answer, and one with a prefix and an unknown child.
	info, err := parse(fake.Element(t, `<query xmlns='jabber:iq:version'><name>ejabberd</name><version>23.01</version><os>unix/linux 6.1.0</os></query>`))
	require.NoError(t, err)
	require.Equal(t, Info{Name: "ejabberd", Version: "23.01", OS: "unix/linux 6.1.0"}, info)
	info, err = parse(fake.Element(t, `<v:query xmlns:v='jabber:iq:version'><v:version>0.12.3</v:version><x xmlns='urn:x'/><v:name>Prosody</v:name></v:query>`))
	require.NoError(t, err)
	require.Equal(t, Info{Name: "Prosody", Version: "0.12.3"}, info)
}

func TestParseMalformed(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		"",
		`<query xmlns='jabber:iq:last' seconds='1'/>`,
		`<query xmlns='jabber:iq:version'/>`,
		`<query xmlns='jabber:iq:version'><name>x</name></query>`,
		`<query xmlns='jabber:iq:version'><version>1</version></query>`,
		`<query xmlns='jabber:iq:version'><name xmlns='urn:other'>x</name><version>1</version></query>`,
	} {
		var el xmpp.Element
		if raw != "" {
			el = fake.Element(t, raw)
		}
		_, err := parse(el)
		me := fake.RequireMalformed(t, err, "XEP-0092", "parse(%q)", raw)
		require.Equal(t, raw, me.Raw)
	}
}
