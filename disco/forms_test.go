package disco

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/forms"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

func softwareInfo(version string) *forms.Form {
	return &forms.Form{Type: forms.TypeResult, Fields: []forms.Field{
		{Var: forms.FormTypeVar, Type: forms.FieldHidden, Values: []string{"urn:xmpp:dataforms:softwareinfo"}},
		{Var: "software", Values: []string{"gojabber"}},
		{Var: "software_version", Values: []string{version}},
	}}
}

// TestHandlerAddForm checks that the forms of AddForm are in the
// disco#info answer (XEP-0128 §2), one per FORM_TYPE.
func TestHandlerAddForm(t *testing.T) {
	t.Parallel()
	mux := xmpp.NewMux()
	h := Register(mux)
	require.NoError(t, h.AddForm(softwareInfo("0.1")))
	contact := &forms.Form{Type: forms.TypeResult, Fields: []forms.Field{
		{Var: forms.FormTypeVar, Type: forms.FieldHidden, Values: []string{"http://jabber.org/network/serverinfo"}},
		{Var: "admin-addresses", Type: forms.FieldListMulti, Values: []string{"xmpp:admin@example.org"}},
	}}
	require.NoError(t, h.AddForm(contact))
	require.NoError(t, h.AddForm(softwareInfo("0.2")), "a second form of the same type replaces the first")
	require.Len(t, h.Info().Forms, 2)

	reply, err := get(t, mux, `<query xmlns='http://jabber.org/protocol/disco#info'/>`)
	require.NoError(t, err)
	info, err := parseInfo(reply.Payload)
	require.NoError(t, err)
	require.Len(t, info.Forms, 2)
	got, ok := info.Form("urn:xmpp:dataforms:softwareinfo")
	require.True(t, ok)
	require.Equal(t, softwareInfo("0.2"), got)
	got, ok = info.Form("http://jabber.org/network/serverinfo")
	require.True(t, ok)
	require.Equal(t, contact, got)
	_, ok = info.Form("urn:example:none")
	require.False(t, ok)

	// The nodes of the handler answer with the forms too.
	h.AddNode("n#v")
	reply, err = get(t, mux, `<query xmlns='http://jabber.org/protocol/disco#info' node='n#v'/>`)
	require.NoError(t, err)
	nodeInfo, err := parseInfo(reply.Payload)
	require.NoError(t, err)
	require.Equal(t, info.Forms, nodeInfo.Forms)
}

func TestHandlerAddFormRefuses(t *testing.T) {
	t.Parallel()
	h := Register(xmpp.NewMux())
	tests := []struct {
		name string
		f    *forms.Form
	}{
		{"not a result", &forms.Form{Type: forms.TypeForm, Fields: softwareInfo("1").Fields}},
		{"no FORM_TYPE", &forms.Form{Type: forms.TypeResult, Fields: []forms.Field{{Var: "a"}}}},
		{"FORM_TYPE not hidden", &forms.Form{Type: forms.TypeResult, Fields: []forms.Field{{Var: forms.FormTypeVar, Values: []string{"urn:x"}}}}},
		{"does not encode", &forms.Form{Type: forms.TypeResult, Fields: append(softwareInfo("1").Fields, forms.Field{Type: "bogus", Var: "b"})}},
	}
	for _, tt := range tests {
		err := h.AddForm(tt.f)
		fake.RequireMalformed(t, err, "XEP-0128", "AddForm(%s)", tt.name)
	}
	require.Empty(t, h.Info().Forms)
}

// TestInfoForm reads the forms of a disco#info result: the one of the
// FORM_TYPE asked, skipping forms that do not parse or are not results.
func TestInfoForm(t *testing.T) {
	t.Parallel()
	info, err := parseInfo(fake.Element(t, `<query xmlns='http://jabber.org/protocol/disco#info'>`+
		`<identity category='server' type='im'/>`+
		`<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>urn:a</value></field><field/></x>`+
		`<x xmlns='jabber:x:data' type='form'><field var='FORM_TYPE' type='hidden'><value>urn:a</value></field></x>`+
		`<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>urn:a</value></field><field var='n'><value>3</value></field></x>`+
		`</query>`))
	require.NoError(t, err)
	require.Len(t, info.Forms, 3)
	f, ok := info.Form("urn:a")
	require.True(t, ok)
	require.Equal(t, "3", f.Value("n"))
}
