package forms

import (
	"encoding"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/gojabber/xmpp"
)

// FormTyper is implemented by a struct type that stands for forms of one
// FORM_TYPE (XEP-0068): Marshal adds a hidden FORM_TYPE field with its value,
// and Unmarshal refuses a form with another FORM_TYPE.
type FormTyper interface {
	FormType() string
}

// ErrUnsupportedType is wrapped by the error of Marshal and Unmarshal for a
// value that is not a struct (or a pointer to one, for Unmarshal), or a
// tagged struct field of a Go type they cannot map.
var ErrUnsupportedType = errors.New("forms: unsupported Go type")

// ErrFormType is wrapped by the *FieldError of Unmarshal for a form whose
// FORM_TYPE is not that of the struct (see FormTyper).
var ErrFormType = errors.New("forms: wrong FORM_TYPE")

var (
	timeType     = reflect.TypeFor[time.Time]()
	durationType = reflect.TypeFor[time.Duration]()
	jidType      = reflect.TypeFor[xmpp.JID]()
	textType     = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// tagged is a struct field with a form tag.
type tagged struct {
	index     []int
	name      string // the var
	required  bool
	omitempty bool
	typ       FieldType
	label     string
}

// parseTag parses `form:"var,required,omitempty,type=text-private,label=…"`.
// The label takes the rest of the tag, commas included.
func parseTag(tag string) (t tagged, err error) {
	name, rest, _ := strings.Cut(tag, ",")
	t.name = name
	for rest != "" {
		if l, ok := strings.CutPrefix(rest, "label="); ok {
			t.label = l
			break
		}
		var opt string
		opt, rest, _ = strings.Cut(rest, ",")
		switch {
		case opt == "required":
			t.required = true
		case opt == "omitempty":
			t.omitempty = true
		case strings.HasPrefix(opt, "type="):
			t.typ = FieldType(strings.TrimPrefix(opt, "type="))
			if !t.typ.known() {
				return t, fmt.Errorf("%w: tag %q: unknown field type %q", ErrUnsupportedType, tag, t.typ)
			}
		default:
			return t, fmt.Errorf("%w: tag %q: unknown option %q", ErrUnsupportedType, tag, opt)
		}
	}
	return t, nil
}

// fields returns the tagged fields of struct type rt, those of embedded
// untagged structs included.
func fields(rt reflect.Type, index []int) ([]tagged, error) {
	var out []tagged
	for i := range rt.NumField() {
		sf := rt.Field(i)
		idx := append(index[:len(index):len(index)], i)
		tag, ok := sf.Tag.Lookup("form")
		if !ok {
			if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
				sub, err := fields(sf.Type, idx)
				if err != nil {
					return nil, err
				}
				out = append(out, sub...)
			}
			continue
		}
		if tag == "-" || !sf.IsExported() {
			continue
		}
		t, err := parseTag(tag)
		if err != nil {
			return nil, err
		}
		if t.name == "" {
			t.name = sf.Name
		}
		t.index = idx
		out = append(out, t)
	}
	return out, nil
}

// Unmarshal stores the values of the fields of form f in the struct v
// points to, in the manner of encoding/json: each exported struct field
// with a `form:"var"` tag takes the values of the form field var (the tag's
// options, used by Marshal, are ignored); untagged fields, fields tagged
// `form:"-"` and form fields without a struct field are left alone, and
// so is a struct field whose form field is missing. A form field with no
// value sets the zero value. The fields of embedded structs count as the
// struct's own.
//
// A struct field may be a string (the values of a text-multi field are
// joined with newlines), []string, bool ("1" or "true"), any int or uint
// type, float32 or float64, time.Time (an xs:dateTime, XEP-0082), a
// time.Duration (a number of seconds, as the configuration forms of XEP-0045
// and XEP-0060 give them), xmpp.JID, []xmpp.JID, any other type
// implementing encoding.TextUnmarshaler, or a pointer to one of these, which
// is allocated when the form has the field.
//
// A value that does not convert is a *FieldError; Unmarshal sets the other
// fields and returns the errors of all, joined. If v implements FormTyper
// and f has a FORM_TYPE other than v's, Unmarshal sets nothing and returns a
// *FieldError wrapping ErrFormType.
func Unmarshal(f *Form, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("%w: Unmarshal needs a non-nil pointer to a struct, not %T", ErrUnsupportedType, v)
	}
	if ft, ok := v.(FormTyper); ok {
		if got, want := f.FormType(), ft.FormType(); got != "" && got != want {
			return &FieldError{Var: FormTypeVar, Reason: fmt.Sprintf("%q, want %q", got, want), Err: ErrFormType}
		}
	}
	tfs, err := fields(rv.Elem().Type(), nil)
	if err != nil {
		return err
	}
	var errs []error
	for _, t := range tfs {
		fl, ok := f.Field(t.name)
		if !ok {
			continue
		}
		if err := decodeValue(rv.Elem().FieldByIndex(t.index), fl); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func decodeValue(dst reflect.Value, fl *Field) error {
	fail := func(err error) error {
		return &FieldError{Var: fl.Var, Reason: fmt.Sprintf("cannot store %q in a %s", fl.Values, dst.Type()), Err: err}
	}
	if len(fl.Values) == 0 {
		dst.SetZero()
		return nil
	}
	if dst.Kind() == reflect.Pointer {
		p := reflect.New(dst.Type().Elem())
		if err := decodeValue(p.Elem(), fl); err != nil {
			return err
		}
		dst.Set(p)
		return nil
	}
	if dst.Kind() == reflect.Slice && dst.Type() != reflect.TypeFor[[]byte]() {
		s := reflect.MakeSlice(dst.Type(), len(fl.Values), len(fl.Values))
		for i, v := range fl.Values {
			if err := decodeScalar(s.Index(i), v); err != nil {
				return fail(err)
			}
		}
		dst.Set(s)
		return nil
	}
	var v string
	switch {
	case dst.Kind() == reflect.String && fl.Type == FieldTextMulti:
		v = strings.Join(fl.Values, "\n")
	case len(fl.Values) > 1:
		return fail(fmt.Errorf("%w: %d values for one", ErrUnsupportedType, len(fl.Values)))
	default:
		v = fl.Values[0]
	}
	if err := decodeScalar(dst, v); err != nil {
		return fail(err)
	}
	return nil
}

func decodeScalar(dst reflect.Value, s string) error {
	switch dst.Type() {
	case timeType:
		if !reDateTime.MatchString(s) {
			return fmt.Errorf("%q is not an xs:dateTime", s)
		}
		t, err := parseTime(s, "2006-01-02T15:04:05")
		if err != nil {
			return err
		}
		dst.Set(reflect.ValueOf(t))
		return nil
	case durationType:
		sec, err := strconv.ParseFloat(s, 64)
		if err != nil || !reDecimal.MatchString(s) || math.Abs(sec) > float64(math.MaxInt64)/1e9 {
			return fmt.Errorf("%q is not a number of seconds", s)
		}
		dst.SetInt(int64(math.Round(sec * 1e9)))
		return nil
	case jidType:
		j, err := xmpp.ParseJID(s)
		if err != nil {
			return err
		}
		dst.Set(reflect.ValueOf(j))
		return nil
	}
	if dst.Addr().Type().Implements(textType) {
		return dst.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s))
	}
	switch dst.Kind() {
	case reflect.String:
		dst.SetString(s)
	case reflect.Bool:
		b, err := parseBool(s)
		if err != nil {
			return err
		}
		dst.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, dst.Type().Bits())
		if err != nil {
			return err
		}
		dst.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(strings.TrimPrefix(s, "+"), 10, dst.Type().Bits())
		if err != nil {
			return err
		}
		dst.SetUint(n)
	case reflect.Float32, reflect.Float64:
		if !reDouble.MatchString(s) {
			return fmt.Errorf("%q is not an xs:double", s)
		}
		n, err := strconv.ParseFloat(strings.Replace(s, "INF", "Inf", 1), dst.Type().Bits())
		if err != nil {
			return err
		}
		dst.SetFloat(n)
	default:
		return fmt.Errorf("%w: %s", ErrUnsupportedType, dst.Type())
	}
	return nil
}

// Marshal returns a form of type typ with a field for each exported struct
// field of v (a struct or a pointer to one) that has a `form:"var"` tag, in
// the order of the struct, and for a v implementing FormTyper, a hidden
// FORM_TYPE field first. A struct field tagged `form:"FORM_TYPE"` sets
// FORM_TYPE as well, as a hidden field.
//
// The struct fields may have the types Unmarshal takes. The field type
// follows from the Go type: boolean for bool, jid-single for xmpp.JID,
// jid-multi for []xmpp.JID, text-multi for []string and text-single for the
// others; in forms of type form, numbers and times get the XEP-0122
// datatype of their values (xs:long, xs:double, xs:dateTime, …). A nil
// pointer gives a field with no value.
//
// Tag options after the var change the field:
//
//	required        the field is required (forms of type form only)
//	omitempty       no field for a zero value
//	type=list-multi the field type, one of those of XEP-0004 §3.3
//	label=Some text the field's label; it takes the rest of the tag
//
// For typ submit, Marshal returns what Form.Submit would: no labels, no
// validation, nothing required.
func Marshal(v any, typ Type) (*Form, error) {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return nil, fmt.Errorf("%w: Marshal needs a struct, not %T", ErrUnsupportedType, v)
	}
	f := &Form{Type: typ}
	if ft, ok := v.(FormTyper); ok {
		f.Fields = append(f.Fields, Field{Var: FormTypeVar, Type: FieldHidden, Values: []string{ft.FormType()}})
	}
	tfs, err := fields(rv.Type(), nil)
	if err != nil {
		return nil, err
	}
	for _, t := range tfs {
		fv := rv.FieldByIndex(t.index)
		if t.omitempty && fv.IsZero() {
			continue
		}
		fl, err := encodeField(fv, t)
		if err != nil {
			return nil, err
		}
		if fl.Var == FormTypeVar {
			if len(f.Fields) > 0 && f.Fields[0].Var == FormTypeVar {
				f.Fields[0] = fl
				continue
			}
			f.Fields = append([]Field{fl}, f.Fields...)
			continue
		}
		if typ == TypeForm {
			fl.Required = t.required
		}
		if typ != TypeSubmit {
			fl.Label = t.label
		} else {
			fl.Validate = nil
		}
		f.Fields = append(f.Fields, fl)
	}
	if typ != TypeForm {
		for i := range f.Fields {
			f.Fields[i].Validate = nil
		}
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	return f, nil
}

func encodeField(fv reflect.Value, t tagged) (Field, error) {
	fl := Field{Var: t.name}
	rt := fv.Type()
	if rt.Kind() == reflect.Pointer {
		rt = rt.Elem()
		if fv.IsNil() {
			fv = reflect.Value{}
		} else {
			fv = fv.Elem()
		}
	}
	var err error
	switch {
	case t.name == FormTypeVar:
		if rt.Kind() != reflect.String {
			return Field{}, fmt.Errorf("%w: FORM_TYPE field of type %s", ErrUnsupportedType, rt)
		}
		fl.Type = FieldHidden
		if fv.IsValid() {
			fl.Values = []string{fv.String()}
		}
		return fl, nil
	case rt.Kind() == reflect.Slice && rt != reflect.TypeFor[[]byte]():
		fl.Type = FieldTextMulti
		if rt.Elem() == jidType {
			fl.Type = FieldJIDMulti
		}
		fl.Validate = validationFor(rt.Elem())
		if fv.IsValid() {
			for i := range fv.Len() {
				s, e := encodeScalar(fv.Index(i))
				if e != nil {
					err = e
				}
				fl.Values = append(fl.Values, s)
			}
		}
	default:
		switch {
		case rt == jidType:
			fl.Type = FieldJIDSingle
		case rt.Kind() == reflect.Bool:
			fl.Type = FieldBoolean
		default:
			fl.Type = FieldTextSingle
		}
		fl.Validate = validationFor(rt)
		if fv.IsValid() {
			var s string
			s, err = encodeScalar(fv)
			switch {
			case t.typ == FieldTextMulti && rt.Kind() == reflect.String:
				fl.Values = strings.Split(s, "\n")
			case !(fv.Type() == jidType && s == ""):
				fl.Values = []string{s}
			}
		}
	}
	if err != nil {
		return Field{}, fmt.Errorf("forms: field %q: %w", t.name, err)
	}
	if t.typ != "" {
		fl.Type = t.typ
	}
	return fl, nil
}

// validationFor returns the XEP-0122 validation of values of type rt, nil
// for strings and the types without a datatype.
func validationFor(rt reflect.Type) *Validation {
	dt := ""
	switch rt {
	case timeType:
		dt = DatatypeDateTime
	case durationType:
		return nil
	default:
		switch rt.Kind() {
		case reflect.Int8:
			dt = DatatypeByte
		case reflect.Int16:
			dt = DatatypeShort
		case reflect.Int32:
			dt = DatatypeInt
		case reflect.Int, reflect.Int64:
			dt = DatatypeLong
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			return &Validation{Datatype: DatatypeInteger, Method: MethodRange, Min: "0",
				Max: strconv.FormatUint(math.MaxUint64>>(64-rt.Bits()), 10)}
		case reflect.Float32, reflect.Float64:
			dt = DatatypeDouble
		}
	}
	if dt == "" {
		return nil
	}
	return &Validation{Datatype: dt}
}

func encodeScalar(fv reflect.Value) (string, error) {
	switch fv.Type() {
	case timeType:
		t := fv.Interface().(time.Time)
		return t.UTC().Format(time.RFC3339Nano), nil
	case durationType:
		d := time.Duration(fv.Int())
		return strconv.FormatFloat(d.Seconds(), 'f', -1, 64), nil
	case jidType:
		return fv.Interface().(xmpp.JID).String(), nil
	}
	if m, ok := fv.Interface().(encoding.TextMarshaler); ok {
		b, err := m.MarshalText()
		return string(b), err
	}
	switch fv.Kind() {
	case reflect.String:
		return fv.String(), nil
	case reflect.Bool:
		if fv.Bool() {
			return "1", nil
		}
		return "0", nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(fv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(fv.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		x := fv.Float()
		switch {
		case math.IsInf(x, 1):
			return "INF", nil
		case math.IsInf(x, -1):
			return "-INF", nil
		case math.IsNaN(x):
			return "NaN", nil
		}
		return strconv.FormatFloat(x, 'g', -1, fv.Type().Bits()), nil
	}
	return "", fmt.Errorf("%w: %s", ErrUnsupportedType, fv.Type())
}
