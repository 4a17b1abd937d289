package forms

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
)

// readExample reads testdata/name: an <x/> element after a comment line
// naming its source.
func readExample(t testing.TB, name string) xmpp.Element {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	s := string(b)
	if strings.HasPrefix(s, "<!--") {
		s = s[strings.Index(s, "-->")+3:]
	}
	el, err := xmpp.ParseElement(strings.TrimSpace(s))
	require.NoError(t, err, "ParseElement(%s)", name)
	return el
}

func mustParse(t testing.TB, raw string) *Form {
	t.Helper()
	el, err := xmpp.ParseElement(raw)
	require.NoError(t, err)
	f, err := Parse(el)
	require.NoError(t, err, "Parse(%s)", raw)
	return f
}

// roundTrip encodes f and parses the result.
func roundTrip(t testing.TB, f *Form) *Form {
	t.Helper()
	el, err := f.Element()
	require.NoError(t, err, "Element(%+v)", f)
	g, err := Parse(el)
	require.NoError(t, err, "Parse(%s)", el.Raw)
	return g
}

// TestExamples parses the examples of XEP-0004 §5 and XEP-0122 §3 and §4
// and checks that they re-encode to forms that parse the same.
func TestExamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file     string
		typ      Type
		formType string
		fields   int
		valid    bool // Validate() == nil
	}{
		{"xep0004-config-form.xml", TypeForm, "jabber:bot", 12, false}, // public is required
		{"xep0004-config-submit.xml", TypeSubmit, "jabber:bot", 8, true},
		{"xep0004-config-result.xml", TypeResult, "jabber:bot", 7, true},
		{"xep0004-search-form.xml", TypeForm, "", 1, false}, // search_request is required
		{"xep0004-search-submit.xml", TypeSubmit, "", 1, true},
		{"xep0004-search-result.xml", TypeResult, "", 0, true},
		{"xep0122-fields.xml", TypeForm, "", 6, true},
		{"xep0122-prefixed.xml", TypeForm, "", 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			f, err := Parse(readExample(t, tt.file))
			require.NoError(t, err)
			require.Equal(t, tt.typ, f.Type, "Type")
			require.Equal(t, tt.formType, f.FormType(), "FormType()")
			require.Len(t, f.Fields, tt.fields)
			require.Equal(t, f, roundTrip(t, f), "re-encoded")
			err = f.Validate()
			require.Equal(t, tt.valid, err == nil, "Validate() = %v", err)
		})
	}
}

func TestParseBotForm(t *testing.T) {
	t.Parallel()
	f, err := Parse(readExample(t, "xep0004-config-form.xml"))
	require.NoError(t, err)
	require.Equal(t, "Bot Configuration", f.Title)
	require.Equal(t, []string{"Fill out this form to configure your new bot!"}, f.Instructions)
	require.Equal(t, Field{Type: FieldFixed, Values: []string{"Section 1: Bot Info"}}, f.Fields[1])
	public, ok := f.Field("public")
	require.True(t, ok)
	require.Equal(t, Field{Var: "public", Type: FieldBoolean, Label: "Public bot?", Required: true}, *public)
	features, _ := f.Field("features")
	require.Equal(t, []string{"news", "search"}, features.Values)
	require.Equal(t, Option{Label: "Reminders", Value: "reminders"}, features.Options[3])
	require.Equal(t, "20", f.Value("maxsubs"))
	invite, _ := f.Field("invitelist")
	require.Equal(t, "Tell all your friends about your new bot!", invite.Desc)
	require.Equal(t, FieldJIDMulti, invite.Type)

	var fe *FieldError
	require.True(t, errors.As(f.Validate(), &fe))
	require.Equal(t, "public", fe.Var)
	require.ErrorIs(t, fe, ErrRequired)
}

// TestSubmitBotForm fills in the form of XEP-0004 §6.1 and gets the
// submission of the example.
func TestSubmitBotForm(t *testing.T) {
	t.Parallel()
	f, err := Parse(readExample(t, "xep0004-config-form.xml"))
	require.NoError(t, err)
	require.NoError(t, f.Set("botname", "The Jabber Google Bot"))
	require.NoError(t, f.Set("description",
		"This bot enables you to send requests to",
		"Google and receive the search results right",
		"in your Jabber client. It' really cool!",
		"It even supports Google News!"))
	require.NoError(t, f.SetBool("public", false))
	require.NoError(t, f.Set("password", "v3r0na"))
	require.NoError(t, f.Set("maxsubs", "50"))
	require.NoError(t, f.Set("invitelist", "juliet@capulet.com", "benvolio@montague.net"))
	require.NoError(t, f.Validate())

	want, err := Parse(readExample(t, "xep0004-config-submit.xml"))
	require.NoError(t, err)
	require.Equal(t, want, f.Submit())
	require.Equal(t, want, roundTrip(t, f.Submit()))
}

func TestSearchResult(t *testing.T) {
	t.Parallel()
	f, err := Parse(readExample(t, "xep0004-search-result.xml"))
	require.NoError(t, err)
	require.Equal(t, []Field{{Var: "name"}, {Var: "url"}}, f.Reported)
	require.Len(t, f.Items, 5)
	require.Equal(t, []Field{
		{Var: "name", Values: []string{"Aeroporti del Garda"}},
		{Var: "url", Values: []string{"http://www.aeroportoverona.it/"}},
	}, f.Items[3])
}

func TestXEP0122Fields(t *testing.T) {
	t.Parallel()
	f, err := Parse(readExample(t, "xep0122-fields.xml"))
	require.NoError(t, err)
	tests := []struct {
		v    string
		want Validation
	}{
		{"evt.date", Validation{Datatype: DatatypeDateTime}},
		{"evt.date.basic", Validation{Datatype: DatatypeDateTime, Method: MethodBasic}},
		{"evt.category", Validation{Datatype: DatatypeString, Method: MethodOpen}},
		{"evt.date.range", Validation{Datatype: DatatypeDateTime, Method: MethodRange, Min: "2003-10-05T00:00:00-07:00", Max: "2003-10-24T23:59:59-07:00"}},
		{"ssn", Validation{Datatype: DatatypeString, Method: MethodRegex, Regex: "([0-9]{3})-([0-9]{2})-([0-9]{4})"}},
		{"evt.notify-methods", Validation{Datatype: DatatypeString, Method: MethodBasic, ListMin: 1, ListMax: 3}},
	}
	for _, tt := range tests {
		fl, ok := f.Field(tt.v)
		require.True(t, ok, tt.v)
		require.NotNil(t, fl.Validate, tt.v)
		require.Equal(t, tt.want, *fl.Validate, "Validate of %s", tt.v)
	}

	p, err := Parse(readExample(t, "xep0122-prefixed.xml"))
	require.NoError(t, err)
	start, _ := p.Field("date/start")
	require.Equal(t, &Validation{Datatype: DatatypeDate, Method: MethodBasic}, start.Validate)

	// The values the examples' validations allow and refuse.
	checks := []struct {
		v      string
		values []string
		ok     bool
	}{
		{"evt.date", []string{"2003-10-06T11:22:00Z"}, true},
		{"evt.date", []string{"2003-10-06"}, false},
		{"evt.category", []string{"birthday"}, true}, // open
		{"evt.date.range", []string{"2003-10-05T07:00:00Z"}, true},
		{"evt.date.range", []string{"2003-10-05T06:59:59Z"}, false},
		{"evt.date.range", []string{"2003-10-25T06:59:59Z"}, true},
		{"evt.date.range", []string{"2003-10-25T07:00:00Z"}, false},
		{"ssn", []string{"123-12-1234"}, true},
		{"ssn", []string{"123-12-12345"}, false},
		{"ssn", []string{"x123-12-1234"}, false},
		{"evt.notify-methods", []string{"e-mail", "cell phone"}, true},
		{"evt.notify-methods", []string{"e-mail", "cell phone", "work phone", "home phone"}, false},
		{"evt.notify-methods", []string{"fax"}, false},
	}
	for _, c := range checks {
		err := f.Set(c.v, c.values...)
		require.Equal(t, c.ok, err == nil, "Set(%s, %q) = %v", c.v, c.values, err)
	}
}

func TestRoundTripFieldTypes(t *testing.T) {
	t.Parallel()
	f := &Form{
		Type:         TypeForm,
		Title:        "All <the> types & more",
		Instructions: []string{"line one", "line 'two'\twith a tab\nand a newline"},
		Fields: []Field{
			{Var: FormTypeVar, Type: FieldHidden, Values: []string{"urn:example:all"}},
			{Var: "b", Type: FieldBoolean, Label: "A \"boolean\"", Values: []string{"true"}, Required: true},
			{Type: FieldFixed, Values: []string{"Section"}},
			{Var: "fixed-with-var", Type: FieldFixed, Values: []string{"x"}},
			{Var: "h", Type: FieldHidden, Values: []string{"a", "b"}},
			{Var: "jm", Type: FieldJIDMulti, Values: []string{"a@b", "c@d/e"}},
			{Var: "js", Type: FieldJIDSingle, Values: []string{"x@y"}, Desc: "one JID"},
			{Var: "lm", Type: FieldListMulti, Values: []string{"1", "3"}, Options: []Option{{"One", "1"}, {"", "2"}, {"Three", "3"}}},
			{Var: "ls", Type: FieldListSingle, Values: []string{"2"}, Options: []Option{{"One", "1"}, {"Two", "2"}},
				Validate: &Validation{Datatype: DatatypeInteger, Method: MethodOpen}},
			{Var: "tm", Type: FieldTextMulti, Values: []string{"", "  spaced  ", "<&>"}},
			{Var: "tp", Type: FieldTextPrivate, Values: []string{"s3cr3t"}},
			{Var: "ts", Type: FieldTextSingle, Values: []string{"x"},
				Validate: &Validation{Datatype: DatatypeInt, Method: MethodRange, Min: "-5", Max: "5"}},
			{Var: "untyped", Values: []string{"y"}},
			{Var: "empty-value", Values: []string{""}},
			{Var: "re", Validate: &Validation{Method: MethodRegex, Regex: "[a-z]+ <&>"}},
			{Var: "lr", Type: FieldListMulti, Validate: &Validation{Method: MethodBasic, ListMax: 2}},
		},
	}
	require.Equal(t, f, roundTrip(t, f))

	r := &Form{
		Type:     TypeResult,
		Reported: []Field{{Var: "jid", Type: FieldJIDSingle, Label: "JID"}, {Var: "n"}},
		Items: [][]Field{
			{{Var: "jid", Values: []string{"a@b"}}, {Var: "n", Values: []string{"1"}}},
			{{Var: "jid", Values: []string{"c@d"}}, {Var: "n"}},
		},
	}
	require.Equal(t, r, roundTrip(t, r))
	// An empty <reported/> stays one.
	e := &Form{Type: TypeResult, Reported: []Field{}}
	require.Equal(t, e, roundTrip(t, e))
	c := &Form{Type: TypeCancel}
	require.Equal(t, c, roundTrip(t, c))
}

func TestParseLenient(t *testing.T) {
	t.Parallel()
	f := mustParse(t, `<x xmlns='jabber:x:data' type='form'>`+
		`<field var='a' type='color'><value>red</value></field>`+
		`<field var='b'><validate xmlns='http://jabber.org/protocol/xdata-validate' datatype='xs:integer'><fuzzy/></validate></field>`+
		`<field var='c'><media xmlns='urn:xmpp:media-element'/><value>1</value></field>`+
		`<page xmlns='http://jabber.org/protocol/xdata-layout'/>`+
		`</x>`)
	require.Equal(t, []Field{
		{Var: "a", Type: FieldTextSingle, Values: []string{"red"}},   // unknown type: text-single (§3.3)
		{Var: "b", Validate: &Validation{Datatype: DatatypeInteger}}, // unknown method: basic
		{Var: "c", Values: []string{"1"}},
	}, f.Fields)
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw, spec string
	}{
		{"not x", `<query xmlns='jabber:x:data' type='form'/>`, "XEP-0004"},
		{"namespace", `<x xmlns='jabber:x:oob' type='form'/>`, "XEP-0004"},
		{"no type", `<x xmlns='jabber:x:data'/>`, "XEP-0004"},
		{"bad type", `<x xmlns='jabber:x:data' type='draft'/>`, "XEP-0004"},
		{"no var", `<x xmlns='jabber:x:data' type='form'><field type='text-single'/></x>`, "XEP-0004"},
		{"no var untyped", `<x xmlns='jabber:x:data' type='form'><field/></x>`, "XEP-0004"},
		{"duplicate var", `<x xmlns='jabber:x:data' type='form'><field var='a'/><field var='a' type='boolean'/></x>`, "XEP-0004"},
		{"reported no var", `<x xmlns='jabber:x:data' type='result'><reported><field/></reported></x>`, "XEP-0004"},
		{"two reported", `<x xmlns='jabber:x:data' type='result'><reported/><reported/></x>`, "XEP-0004"},
		{"item duplicate", `<x xmlns='jabber:x:data' type='result'><item><field var='a'/><field var='a'/></item></x>`, "XEP-0004"},
		{"two methods", `<x xmlns='jabber:x:data' type='form'><field var='a'><validate xmlns='http://jabber.org/protocol/xdata-validate'><basic/><open/></validate></field></x>`, "XEP-0122"},
		{"two validates", `<x xmlns='jabber:x:data' type='form'><field var='a'><validate xmlns='http://jabber.org/protocol/xdata-validate'/><validate xmlns='http://jabber.org/protocol/xdata-validate'/></field></x>`, "XEP-0122"},
		{"list-range", `<x xmlns='jabber:x:data' type='form'><field var='a'><validate xmlns='http://jabber.org/protocol/xdata-validate'><list-range min='-1'/></validate></field></x>`, "XEP-0122"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			el, err := xmpp.ParseElement(tt.raw)
			require.NoError(t, err)
			f, err := Parse(el)
			require.Nil(t, f)
			require.ErrorIs(t, err, xmpp.ErrMalformed)
			var m *xmpp.MalformedError
			require.True(t, errors.As(err, &m))
			require.Equal(t, tt.spec, m.Spec, "Parse(%s) = %v", tt.raw, err)
			require.Equal(t, tt.raw, m.Raw)
		})
	}
}

func TestElementRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		f    Form
	}{
		{"no type", Form{}},
		{"bad type", Form{Type: "draft"}},
		{"bad field type", Form{Type: TypeForm, Fields: []Field{{Var: "a", Type: "text"}}}},
		{"no var", Form{Type: TypeForm, Fields: []Field{{Type: FieldBoolean}}}},
		{"duplicate", Form{Type: TypeForm, Fields: []Field{{Var: "a"}, {Var: "a"}}}},
		{"reported", Form{Type: TypeResult, Reported: []Field{{}}}},
		{"item", Form{Type: TypeResult, Items: [][]Field{{{Var: "a", Type: "x"}}}}},
		{"method", Form{Type: TypeForm, Fields: []Field{{Var: "a", Validate: &Validation{Method: "fuzzy"}}}}},
		{"min without range", Form{Type: TypeForm, Fields: []Field{{Var: "a", Validate: &Validation{Min: "1"}}}}},
		{"regex without method", Form{Type: TypeForm, Fields: []Field{{Var: "a", Validate: &Validation{Regex: "a"}}}}},
		{"negative list-range", Form{Type: TypeForm, Fields: []Field{{Var: "a", Validate: &Validation{ListMax: -1}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			el, err := tt.f.Element()
			require.True(t, el.IsZero())
			require.ErrorIs(t, err, xmpp.ErrMalformed, "Element(%+v)", tt.f)
		})
	}
}

func TestSet(t *testing.T) {
	t.Parallel()
	form := func() *Form {
		return &Form{Type: TypeForm, Fields: []Field{
			{Var: "b", Type: FieldBoolean},
			{Type: FieldFixed, Var: "fx", Values: []string{"text"}},
			{Var: "h", Type: FieldHidden, Values: []string{"keep"}},
			{Var: "js", Type: FieldJIDSingle},
			{Var: "jm", Type: FieldJIDMulti},
			{Var: "ls", Type: FieldListSingle, Options: []Option{{"", "a"}, {"", "b"}}},
			{Var: "lm", Type: FieldListMulti, Options: []Option{{"", "a"}, {"", "b"}}},
			{Var: "lno", Type: FieldListSingle}, // no options: anything goes
			{Var: "ts", Type: FieldTextSingle},
			{Var: "tm", Type: FieldTextMulti},
			{Var: "u"},
			{Var: "n", Validate: &Validation{Datatype: DatatypeByte}},
		}}
	}
	tests := []struct {
		v      string
		values []string
		ok     bool
	}{
		{"b", []string{"1"}, true},
		{"b", []string{"false"}, true},
		{"b", []string{"yes"}, false},
		{"b", []string{"1", "0"}, false},
		{"b", nil, true},
		{"fx", []string{"other"}, false},
		{"h", []string{"x", "y"}, true},
		{"js", []string{"juliet@capulet.lit/balcony"}, true},
		{"js", []string{"@capulet.lit"}, false},
		{"js", []string{"a@b", "c@d"}, false},
		{"jm", []string{"a@b", "c@d"}, true},
		{"jm", []string{"a@b", ""}, false},
		{"ls", []string{"b"}, true},
		{"ls", []string{"c"}, false},
		{"ls", []string{"a", "b"}, false},
		{"lm", []string{"a", "b"}, true},
		{"lm", []string{"a", "c"}, false},
		{"lno", []string{"c"}, true},
		{"ts", []string{"x"}, true},
		{"ts", []string{"x", "y"}, false},
		{"tm", []string{"x", "y", ""}, true},
		{"u", []string{"x", "y"}, false},
		{"n", []string{"127"}, true},
		{"n", []string{"128"}, false},
		{"missing", []string{"x"}, false},
	}
	for _, tt := range tests {
		f := form()
		err := f.Set(tt.v, tt.values...)
		require.Equal(t, tt.ok, err == nil, "Set(%s, %q) = %v", tt.v, tt.values, err)
		fl, found := f.Field(tt.v)
		if err != nil {
			var fe *FieldError
			require.True(t, errors.As(err, &fe), "Set(%s, %q) = %v, want a *FieldError", tt.v, tt.values, err)
			require.Equal(t, tt.v, fe.Var)
			if found {
				orig, _ := form().Field(tt.v)
				require.Equal(t, orig.Values, fl.Values, "Set(%s, %q) changed the field", tt.v, tt.values)
			} else {
				require.ErrorIs(t, err, ErrUnknownField)
			}
			continue
		}
		require.Equal(t, len(tt.values), len(fl.Values))
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	f := &Form{Type: TypeSubmit, Fields: []Field{
		{Var: "req", Required: true},
		{Var: "ok", Required: true, Values: []string{"x"}},
		{Var: "b", Type: FieldBoolean, Values: []string{"maybe"}},
		{Type: FieldFixed, Values: []string{"a", "b"}}, // fixed is not checked
	}}
	err := f.Validate()
	var fe *FieldError
	require.True(t, errors.As(err, &fe))
	require.Equal(t, "req", fe.Var)
	require.ErrorIs(t, err, ErrRequired)
	require.Contains(t, err.Error(), `forms: field "b": not a boolean`)

	// A result form does not need its required fields; its untyped
	// fields may have several values; a cancel form is always valid.
	f.Type = TypeResult
	f.Fields[2].Values = []string{"1"}
	f.Fields = append(f.Fields, Field{Var: "multi", Values: []string{"a", "b"}})
	require.NoError(t, f.Validate())
	f.Type = TypeCancel
	f.Fields[2].Values = []string{"maybe"}
	require.NoError(t, f.Validate())
}

func TestDatatypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dt, v string
		ok    bool
	}{
		{"", "anything at all", true},
		{DatatypeString, "", true},
		{"x:custom", "whatever", true},
		{DatatypeInteger, "-123456789012345678901234567890", true},
		{DatatypeInteger, "+007", true},
		{DatatypeInteger, "1.0", false},
		{DatatypeInteger, "", false},
		{DatatypeInteger, "0x10", false},
		{DatatypeLong, "9223372036854775807", true},
		{DatatypeLong, "9223372036854775808", false},
		{DatatypeInt, "-2147483648", true},
		{DatatypeInt, "2147483648", false},
		{DatatypeShort, "32767", true},
		{DatatypeShort, "-32769", false},
		{DatatypeByte, "-128", true},
		{DatatypeByte, "128", false},
		{DatatypeDecimal, "-1.23", true},
		{DatatypeDecimal, ".5", true},
		{DatatypeDecimal, "5.", true},
		{DatatypeDecimal, "1e5", false},
		{DatatypeDecimal, "1/2", false},
		{DatatypeDouble, "1e5", true},
		{DatatypeDouble, "-1.5E-3", true},
		{DatatypeDouble, "INF", true},
		{DatatypeDouble, "-INF", true},
		{DatatypeDouble, "NaN", true},
		{DatatypeDouble, "inf", false},
		{DatatypeDouble, "0x1p3", false},
		{DatatypeDouble, "1e999", true},
		{DatatypeDate, "2003-10-06", true},
		{DatatypeDate, "2003-10-06Z", true},
		{DatatypeDate, "2003-10-06+02:00", true},
		{DatatypeDate, "2003-13-06", false},
		{DatatypeDate, "03-10-06", false},
		{DatatypeDateTime, "2003-10-06T11:22:00-07:00", true},
		{DatatypeDateTime, "2003-10-06T11:22:00.123Z", true},
		{DatatypeDateTime, "2003-10-06T11:22:00", true},
		{DatatypeDateTime, "2003-10-06t11:22:00z", false},
		{DatatypeDateTime, "2003-10-06T25:22:00Z", false},
		{DatatypeTime, "11:22:00", true},
		{DatatypeTime, "11:22:00.5+01:00", true},
		{DatatypeTime, "11:22", false},
		{DatatypeLanguage, "en", true},
		{DatatypeLanguage, "zh-Hant-TW", true},
		{DatatypeLanguage, "en_US", false},
		{DatatypeLanguage, "", false},
		{DatatypeBoolean, "true", true},
		{DatatypeBoolean, "yes", false},
		{DatatypeAnyURI, "xmpp:juliet@capulet.lit", true},
		{DatatypeAnyURI, "http://[::1", false},
	}
	for _, tt := range tests {
		fl := &Field{Var: "f", Values: []string{tt.v}, Validate: &Validation{Datatype: tt.dt}}
		err := fl.checkValues(false)
		require.Equal(t, tt.ok, err == nil, "%s %q: checkValues() = %v", tt.dt, tt.v, err)
	}
}

func TestRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dt, min, max, v string
		ok              bool
	}{
		{DatatypeInteger, "1", "10", "10", true},
		{DatatypeInteger, "1", "10", "11", false},
		{DatatypeInteger, "1", "10", "0", false},
		{DatatypeInteger, "", "10", "-99999999999999999999", true},
		{DatatypeInteger, "5", "", "99999999999999999999", true},
		{DatatypeDecimal, "0.5", "1.5", "1.50", true},
		{DatatypeDecimal, "0.5", "1.5", "0.49", false},
		{DatatypeDouble, "-1e3", "1e3", "999.9", true},
		{DatatypeDouble, "-1e3", "1e3", "INF", false},
		{DatatypeDouble, "-1e3", "1e3", "NaN", true}, // NaN has no order
		{DatatypeDate, "2020-01-01", "2020-12-31", "2020-06-30", true},
		{DatatypeDate, "2020-01-01", "2020-12-31", "2021-01-01", false},
		{DatatypeTime, "09:00:00", "17:00:00", "17:00:01", false},
		{DatatypeInteger, "one", "ten", "5", true}, // bounds not of the datatype: no bound
		{DatatypeString, "a", "c", "z", true},      // strings have no order
	}
	for _, tt := range tests {
		fl := &Field{Var: "f", Values: []string{tt.v}, Validate: &Validation{Datatype: tt.dt, Method: MethodRange, Min: tt.min, Max: tt.max}}
		err := fl.checkValues(false)
		require.Equal(t, tt.ok, err == nil, "%s [%s, %s] %q: checkValues() = %v", tt.dt, tt.min, tt.max, tt.v, err)
	}
}

func TestRegex(t *testing.T) {
	t.Parallel()
	tests := []struct {
		re, v string
		ok    bool
	}{
		{"[a-z]+", "abc", true},
		{"[a-z]+", "abc1", false}, // the whole value must match
		{"a|b", "b", true},
		{"a|b", "ab", false},
		{"(?<", "anything", true}, // not a regular expression Go knows
	}
	for _, tt := range tests {
		fl := &Field{Var: "f", Values: []string{tt.v}, Validate: &Validation{Method: MethodRegex, Regex: tt.re}}
		err := fl.checkValues(false)
		require.Equal(t, tt.ok, err == nil, "%s %q: checkValues() = %v", tt.re, tt.v, err)
	}
}

func TestSubmit(t *testing.T) {
	t.Parallel()
	f := &Form{Type: TypeForm, Title: "T", Instructions: []string{"I"}, Fields: []Field{
		{Var: FormTypeVar, Type: FieldHidden, Values: []string{"urn:x"}},
		{Type: FieldFixed, Values: []string{"header"}},
		{Var: "l", Type: FieldListSingle, Label: "L", Desc: "D", Required: true, Values: []string{"a"},
			Options: []Option{{"A", "a"}}, Validate: &Validation{Method: MethodOpen}},
		{Var: "empty", Type: FieldTextSingle},
	}}
	require.Equal(t, &Form{Type: TypeSubmit, Fields: []Field{
		{Var: FormTypeVar, Type: FieldHidden, Values: []string{"urn:x"}},
		{Var: "l", Type: FieldListSingle, Values: []string{"a"}},
		{Var: "empty", Type: FieldTextSingle},
	}}, f.Submit())
	// The submitted values are copies.
	s := f.Submit()
	s.Fields[1].Values[0] = "changed"
	require.Equal(t, "a", f.Value("l"))
}

func TestAccessors(t *testing.T) {
	t.Parallel()
	f := mustParse(t, `<x xmlns='jabber:x:data' type='result'>`+
		`<field var='FORM_TYPE' type='hidden'><value>urn:a</value><value>urn:a</value></field>`+
		`<field var='m' type='list-multi'><value>1</value><value>2</value></field>`+
		`<field var='b' type='boolean'><value>true</value></field>`+
		`<field var='e'/></x>`)
	require.Equal(t, "urn:a", f.FormType())
	require.Equal(t, "1", f.Value("m"))
	require.Equal(t, []string{"1", "2"}, f.Values("m"))
	require.Nil(t, f.Values("missing"))
	require.Equal(t, "", f.Value("e"))
	require.Equal(t, "", f.Value("missing"))
	require.True(t, f.Bool("b"))
	require.False(t, f.Bool("e"))
	fl, ok := f.Field("m")
	require.True(t, ok)
	fl.Values = nil
	require.Equal(t, "", f.Value("m"), "Field returns a pointer into Fields")

	// A FORM_TYPE that is not hidden does not count (XEP-0068 §2).
	g := mustParse(t, `<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE'><value>urn:a</value></field></x>`)
	require.Equal(t, "", g.FormType())
}

func FuzzParse(f *testing.F) {
	entries, err := os.ReadDir("testdata")
	require.NoError(f, err)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".xml") {
			f.Add(readExample(f, e.Name()).Raw)
		}
	}
	f.Add(`<x xmlns='jabber:x:data' type='result'><reported/><item><field var='a'><value>&lt;</value></field></item></x>`)
	f.Fuzz(func(t *testing.T, raw string) {
		el, err := xmpp.ParseElement(raw)
		if err != nil {
			return
		}
		form, err := Parse(el)
		if err != nil {
			require.ErrorIs(t, err, xmpp.ErrMalformed)
			return
		}
		_ = form.Validate()
		_ = form.Submit()
		el2, err := form.Element()
		require.NoError(t, err, "Element() of a parsed form %q", raw)
		again, err := Parse(el2)
		require.NoError(t, err, "Parse(%q), re-encoded from %q", el2.Raw, raw)
		require.Equal(t, form, again, "re-encoded as %q", el2.Raw)
	})
}
