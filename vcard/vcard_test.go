package vcard_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp/vcard"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	in := "<vCard xmlns='vcard-temp'><FN>Peter &amp; Co</FN><NICKNAME>pete</NICKNAME><PHOTO><TYPE>image/png</TYPE><BINVAL>aGVs\nbG8=</BINVAL></PHOTO>" +
		"<TEL><VOICE/><NUMBER>+1</NUMBER></TEL></vCard>"
	v, err := vcard.Parse(fake.Element(t, in))
	require.NoError(t, err)
	require.Equal(t, "Peter & Co", v.FN)
	require.Equal(t, "pete", v.Nickname)
	require.Equal(t, &vcard.Photo{Type: "image/png", Data: []byte("hello")}, v.Photo)
	require.Len(t, v.Extra, 1, "TEL kept")
	el, err := v.Element()
	require.NoError(t, err)
	again, err := vcard.Parse(el)
	require.NoError(t, err)
	require.Equal(t, v.FN, again.FN)
	require.Equal(t, v.Photo, again.Photo)
	require.Equal(t, v.Extra[0].Raw, again.Extra[0].Raw)

	_, err = vcard.Parse(fake.Element(t, "<vCard xmlns='vcard-temp'><PHOTO><BINVAL>!!</BINVAL></PHOTO></vCard>"))
	fake.RequireMalformed(t, err, "XEP-0054", "bad BINVAL")
}
