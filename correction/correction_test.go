package correction_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/correction"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

func TestElement(t *testing.T) {
	t.Parallel()
	el, err := correction.Replace{ID: "bad1 & <2>"}.Element()
	require.NoError(t, err)
	require.Equal(t, `<replace xmlns="urn:xmpp:message-correct:0" id="bad1 &amp; &lt;2&gt;"></replace>`, el.Raw)
	r, err := correction.Parse(el)
	require.NoError(t, err)
	require.Equal(t, "bad1 & <2>", r.ID)
	_, err = correction.Replace{}.Element()
	fake.RequireMalformed(t, err, "XEP-0308", "correction.Replace{}.Element()")
}

func TestFrom(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, raw, want string
		ok              bool
	}{
		{"correction", `<message id='m2'><body>fixed</body><replace xmlns='urn:xmpp:message-correct:0' id='m1'/></message>`, "m1", true},
		{"no id", `<message><replace xmlns='urn:xmpp:message-correct:0'/></message>`, "", false},
		{"wrong ns", `<message><replace xmlns='urn:xmpp:message-correct:1' id='m1'/></message>`, "", false},
		{"none", `<message><body>x</body></message>`, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, ok := correction.From(fake.Message(t, tc.raw))
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.want, r.ID)
		})
	}
	_, err := correction.Parse(fake.Element(t, `<retract xmlns='urn:xmpp:message-correct:0' id='x'/>`))
	fake.RequireMalformed(t, err, "XEP-0308", "correction.Parse(fake.Element(t, `<retract xmlns='urn:xmpp:message-correct:0' id='x'/>`))")
}

func TestAddAndApplies(t *testing.T) {
	t.Parallel()
	alice := xmpp.MustParseJID("alice@example.com/phone")
	orig := &xmpp.Message{Header: xmpp.Header{ID: "m1", From: alice}, Body: "helo"}
	corr := &xmpp.Message{Header: xmpp.Header{ID: "m2", From: alice}, Body: "hello"}
	require.NoError(t, correction.Add(corr, "m0"))
	require.NoError(t, correction.Add(corr, "m1"))
	require.Len(t, corr.Extensions, 1, "Correct replaces an earlier <replace/>")
	require.True(t, correction.Applies(orig, corr))

	other := *corr
	other.From = xmpp.MustParseJID("alice@example.com/laptop")
	require.False(t, correction.Applies(orig, &other), "correction from another resource")
	mallory := *corr
	mallory.From = xmpp.MustParseJID("mallory@example.com/phone")
	require.False(t, correction.Applies(orig, &mallory), "correction from another user")
	require.False(t, correction.Applies(orig, orig), "message without <replace/>")
	fake.RequireMalformed(t, correction.Add(corr, ""), "XEP-0308", "correction.Add(corr, \"\")")
}

func TestRegister(t *testing.T) {
	t.Parallel()
	mux := xmpp.NewMux()
	correction.Register(mux)
	require.Equal(t, []string{correction.NS}, mux.Features())
}
