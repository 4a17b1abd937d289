package forms

import (
	"errors"
	"math"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
)

type embedded struct {
	Inner string `form:"inner"`
}

type allTypes struct {
	embedded
	S        string        `form:"s,required,label=A string, with a comma"`
	Secret   string        `form:"secret,type=text-private"`
	Lines    string        `form:"lines,type=text-multi"`
	List     []string      `form:"list"`
	Choice   string        `form:"choice,type=list-single"`
	B        bool          `form:"b"`
	I        int           `form:"i"`
	I8       int8          `form:"i8"`
	I16      int16         `form:"i16"`
	I32      int32         `form:"i32"`
	I64      int64         `form:"i64"`
	U        uint          `form:"u"`
	U8       uint8         `form:"u8"`
	U64      uint64        `form:"u64"`
	F32      float32       `form:"f32"`
	F64      float64       `form:"f64"`
	T        time.Time     `form:"t"`
	D        time.Duration `form:"d"`
	J        xmpp.JID      `form:"j"`
	JS       []xmpp.JID    `form:"js"`
	Addr     netip.Addr    `form:"addr"` // an encoding.TextUnmarshaler
	P        *int          `form:"p"`
	Nil      *string       `form:"nil"`
	Omit     string        `form:"omit,omitempty"`
	Skipped  string        `form:"-"`
	Untagged string
	unexp    string `form:"unexp"` // unexported: never mapped
}

func (allTypes) FormType() string { return "urn:example:all" }

func TestMarshalUnmarshal(t *testing.T) {
	t.Parallel()
	seven := 7
	in := allTypes{
		embedded: embedded{Inner: "in"},
		S:        "s", Secret: "pw", Lines: "one\ntwo", List: []string{"a", "b"}, Choice: "c",
		B: true, I: -1, I8: math.MinInt8, I16: math.MaxInt16, I32: math.MinInt32, I64: math.MaxInt64,
		U: 1, U8: math.MaxUint8, U64: math.MaxUint64, F32: 1.5, F64: math.Inf(-1),
		T:       time.Date(2003, 10, 6, 11, 22, 0, 500, time.FixedZone("", -7*3600)),
		D:       90 * time.Second,
		J:       xmpp.MustParseJID("juliet@capulet.lit/balcony"),
		JS:      []xmpp.JID{xmpp.MustParseJID("a@b"), xmpp.MustParseJID("c@d")},
		Addr:    netip.MustParseAddr("::1"),
		P:       &seven,
		Skipped: "x", Untagged: "y", unexp: "z",
	}
	f, err := Marshal(&in, TypeForm)
	require.NoError(t, err)
	require.Equal(t, "urn:example:all", f.FormType())
	require.Equal(t, FormTypeVar, f.Fields[0].Var, "FORM_TYPE first")
	s, _ := f.Field("s")
	require.Equal(t, Field{Var: "s", Type: FieldTextSingle, Label: "A string, with a comma", Required: true, Values: []string{"s"}}, *s)
	wantTypes := map[string]FieldType{
		"secret": FieldTextPrivate, "lines": FieldTextMulti, "list": FieldTextMulti, "choice": FieldListSingle,
		"b": FieldBoolean, "i": FieldTextSingle, "j": FieldJIDSingle, "js": FieldJIDMulti,
	}
	for v, typ := range wantTypes {
		fl, ok := f.Field(v)
		require.True(t, ok, v)
		require.Equal(t, typ, fl.Type, "type of %s", v)
	}
	require.Equal(t, []string{"one", "two"}, f.Values("lines"))
	require.Equal(t, "1", f.Value("b"))
	require.Equal(t, "-INF", f.Value("f64"))
	require.Equal(t, "90", f.Value("d"))
	require.Equal(t, "2003-10-06T18:22:00.0000005Z", f.Value("t"))
	require.Equal(t, "18446744073709551615", f.Value("u64"))
	i8, _ := f.Field("i8")
	require.Equal(t, &Validation{Datatype: DatatypeByte}, i8.Validate)
	u8, _ := f.Field("u8")
	require.Equal(t, &Validation{Datatype: DatatypeInteger, Method: MethodRange, Min: "0", Max: "255"}, u8.Validate)
	tf, _ := f.Field("t")
	require.Equal(t, &Validation{Datatype: DatatypeDateTime}, tf.Validate)
	nilField, ok := f.Field("nil")
	require.True(t, ok)
	require.Empty(t, nilField.Values)
	for _, v := range []string{"omit", "Skipped", "-", "Untagged", "unexp"} {
		_, ok := f.Field(v)
		require.False(t, ok, "field %s", v)
	}
	require.NoError(t, f.Validate(), "a marshaled form validates")

	// Through the wire and back.
	var out allTypes
	out.Nil = new(string)
	require.NoError(t, Unmarshal(roundTrip(t, f), &out))
	want := in
	want.Skipped, want.Untagged, want.unexp = "", "", ""
	require.True(t, want.T.Equal(out.T), "T = %v, want %v", out.T, want.T)
	out.T = want.T
	require.Nil(t, out.Nil, "a field without value sets nil")
	out.Nil = nil
	require.Equal(t, want, out)

	// Submit and result forms carry no validation, required or labels
	// (labels stay in result forms).
	sub, err := Marshal(in, TypeSubmit)
	require.NoError(t, err)
	require.Equal(t, f.Submit(), sub)
	res, err := Marshal(in, TypeResult)
	require.NoError(t, err)
	s, _ = res.Field("s")
	require.Equal(t, Field{Var: "s", Type: FieldTextSingle, Label: "A string, with a comma", Values: []string{"s"}}, *s)
	for _, fl := range res.Fields {
		require.Nil(t, fl.Validate, fl.Var)
	}
}

func TestMarshalFormTypeField(t *testing.T) {
	t.Parallel()
	type config struct {
		FormType string `form:"FORM_TYPE"`
		Name     string `form:"muc#roomconfig_roomname"`
	}
	f, err := Marshal(config{FormType: "http://jabber.org/protocol/muc#roomconfig", Name: "Kitchen"}, TypeSubmit)
	require.NoError(t, err)
	require.Equal(t, &Form{Type: TypeSubmit, Fields: []Field{
		{Var: FormTypeVar, Type: FieldHidden, Values: []string{"http://jabber.org/protocol/muc#roomconfig"}},
		{Var: "muc#roomconfig_roomname", Type: FieldTextSingle, Values: []string{"Kitchen"}},
	}}, f)
	var back config
	require.NoError(t, Unmarshal(f, &back))
	require.Equal(t, "http://jabber.org/protocol/muc#roomconfig", back.FormType)
}

func TestMarshalErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		v    any
	}{
		{"not a struct", 5},
		{"nil pointer", (*allTypes)(nil)},
		{"unsupported field", struct {
			M map[string]string `form:"m"`
		}{M: map[string]string{}}},
		{"bad tag option", struct {
			S string `form:"s,bogus"`
		}{}},
		{"bad tag type", struct {
			S string `form:"s,type=text"`
		}{}},
		{"FORM_TYPE not a string", struct {
			T int `form:"FORM_TYPE"`
		}{}},
		{"duplicate var", struct {
			A string `form:"a"`
			B string `form:"a"`
		}{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := Marshal(tt.v, TypeForm)
			require.Nil(t, f)
			require.Error(t, err, "Marshal(%#v)", tt.v)
		})
	}
}

func TestUnmarshalErrors(t *testing.T) {
	t.Parallel()
	type target struct {
		B  bool          `form:"b"`
		I8 int8          `form:"i8"`
		U  uint          `form:"u"`
		F  float64       `form:"f"`
		T  time.Time     `form:"t"`
		D  time.Duration `form:"d"`
		J  xmpp.JID      `form:"j"`
		JS []xmpp.JID    `form:"js"`
		S  string        `form:"s"`
		OK string        `form:"ok"`
	}
	f := &Form{Type: TypeSubmit, Fields: []Field{
		{Var: "b", Values: []string{"yes"}},
		{Var: "i8", Values: []string{"300"}},
		{Var: "u", Values: []string{"-1"}},
		{Var: "f", Values: []string{"0x10"}},
		{Var: "t", Values: []string{"yesterday"}},
		{Var: "d", Values: []string{"1h"}},
		{Var: "j", Values: []string{"@"}},
		{Var: "js", Values: []string{"a@b", "@"}},
		{Var: "s", Values: []string{"one", "two"}},
		{Var: "ok", Values: []string{"fine"}},
	}}
	var v target
	err := Unmarshal(f, &v)
	require.Error(t, err)
	for _, fl := range f.Fields[:len(f.Fields)-1] {
		require.Contains(t, err.Error(), `field "`+fl.Var+`"`)
	}
	var fe *FieldError
	require.True(t, errors.As(err, &fe))
	require.Equal(t, "b", fe.Var)
	require.Equal(t, "fine", v.OK, "the other fields are set")

	require.ErrorIs(t, Unmarshal(f, v), ErrUnsupportedType, "not a pointer")
	require.ErrorIs(t, Unmarshal(f, (*target)(nil)), ErrUnsupportedType, "nil")
	var n int
	require.ErrorIs(t, Unmarshal(f, &n), ErrUnsupportedType, "not a struct")
	require.ErrorIs(t, Unmarshal(f, &struct {
		C chan int `form:"ok"`
	}{}), ErrUnsupportedType, "unsupported field")

	// A form of another FORM_TYPE sets nothing.
	other := &Form{Type: TypeSubmit, Fields: []Field{
		{Var: FormTypeVar, Type: FieldHidden, Values: []string{"urn:other"}},
		{Var: "s", Values: []string{"x"}},
	}}
	var all allTypes
	err = Unmarshal(other, &all)
	require.ErrorIs(t, err, ErrFormType)
	require.Equal(t, "", all.S)
}

func TestUnmarshalLenient(t *testing.T) {
	t.Parallel()
	type target struct {
		T time.Time     `form:"t"`
		D time.Duration `form:"d"`
		I int           `form:"i"`
		S string        `form:"s"`
		L []string      `form:"l"`
	}
	f := &Form{Type: TypeResult, Fields: []Field{
		{Var: "t", Values: []string{"2003-10-06T11:22:00"}}, // no zone: UTC
		{Var: "d", Values: []string{"1.5"}},
		{Var: "i", Values: []string{"+5"}},
		{Var: "s", Type: FieldTextMulti, Values: []string{"a", "b"}},
		{Var: "l"}, // no value: the zero value
		{Var: "unknown", Values: []string{"x"}},
	}}
	v := target{L: []string{"old"}}
	require.NoError(t, Unmarshal(f, &v))
	require.Equal(t, target{
		T: time.Date(2003, 10, 6, 11, 22, 0, 0, time.UTC),
		D: 1500 * time.Millisecond, I: 5, S: "a\nb",
	}, v)
}
