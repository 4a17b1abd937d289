package forms

import (
	"encoding/xml"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gojabber/xmpp"
)

// Namespaces of XEP-0004 and XEP-0122.
const (
	// NS is the namespace of data forms (XEP-0004).
	NS = "jabber:x:data"
	// NSValidate is the namespace of the <validate/> element of XEP-0122.
	NSValidate = "http://jabber.org/protocol/xdata-validate"
)

// FormTypeVar is the var of the hidden field that names the form's type
// (XEP-0068 §2), e.g. "http://jabber.org/protocol/muc#roomconfig".
const FormTypeVar = "FORM_TYPE"

// Type is the type attribute of a form: what it is for (XEP-0004 §3.1).
type Type string

// Form types (XEP-0004 §3.1).
const (
	TypeForm   Type = "form"   // the form-processing entity asks for data
	TypeSubmit Type = "submit" // the form-submitting entity provides data
	TypeCancel Type = "cancel" // the form-submitting entity cancels
	TypeResult Type = "result" // the form-processing entity returns data
)

// FieldType is the type attribute of a field (XEP-0004 §3.3). The empty
// FieldType is text-single, the default of §3.3; in forms of type result it
// just says the type was not given.
type FieldType string

// Field types (XEP-0004 §3.3).
const (
	FieldBoolean     FieldType = "boolean"      // "0", "1", "false" or "true"
	FieldFixed       FieldType = "fixed"        // text for the reader, not data
	FieldHidden      FieldType = "hidden"       // a value not shown, returned as is
	FieldJIDMulti    FieldType = "jid-multi"    // several JIDs
	FieldJIDSingle   FieldType = "jid-single"   // one JID
	FieldListMulti   FieldType = "list-multi"   // several of the options
	FieldListSingle  FieldType = "list-single"  // one of the options
	FieldTextMulti   FieldType = "text-multi"   // lines of text, a value each
	FieldTextPrivate FieldType = "text-private" // a password or other secret
	FieldTextSingle  FieldType = "text-single"  // one line of text
)

// Multi reports whether fields of type t may have more than one value:
// hidden, jid-multi, list-multi and text-multi (XEP-0004 §3.2).
func (t FieldType) Multi() bool {
	return t == FieldHidden || t == FieldJIDMulti || t == FieldListMulti || t == FieldTextMulti
}

func (t FieldType) known() bool {
	switch t {
	case "", FieldBoolean, FieldFixed, FieldHidden, FieldJIDMulti, FieldJIDSingle,
		FieldListMulti, FieldListSingle, FieldTextMulti, FieldTextPrivate, FieldTextSingle:
		return true
	}
	return false
}

// Option is one of the options of a list-single or list-multi field
// (XEP-0004 §3.3): a value, with an optional human-readable label.
type Option struct {
	Label string
	Value string
}

// Field is a <field/> of a form (XEP-0004 §3.2).
type Field struct {
	// Var identifies the field. It is required, except in fixed fields, and
	// unique within a form (or within its reported fields, or an item).
	Var string
	// Type is the field's type; "" is text-single.
	Type FieldType
	// Label is a human-readable name of the field.
	Label string
	// Desc is a human-readable description, e.g. for a tooltip.
	Desc string
	// Required says the form cannot be submitted without a value.
	Required bool
	// Values are the field's values: its defaults in a form, the data in a
	// submit or result form. Single-valued types have at most one.
	Values []string
	// Options are the choices of a list-single or list-multi field.
	Options []Option
	// Validate is the field's XEP-0122 validation, nil when it has none.
	Validate *Validation
}

// Form is a data form, the jabber:x:data <x/> element (XEP-0004 §3).
//
// Unknown child elements (of other namespaces, such as the media elements of
// XEP-0221 or the layout of XEP-0141) are not kept.
type Form struct {
	// Type is the form's type. Required.
	Type Type
	// Title is the form's title, "" if none.
	Title string
	// Instructions are the form's instructions, one string per
	// <instructions/> element.
	Instructions []string
	// Fields are the form's fields, in order.
	Fields []Field
	// Reported are the columns of the table a result form returns, the
	// fields of its <reported/> element (§3.4); nil if it has none.
	Reported []Field
	// Items are the rows of that table, the fields of each <item/>.
	Items [][]Field
}

// FieldError is a value that does not fit its field, or a field that is
// missing or unknown.
type FieldError struct {
	// Var is the field's var.
	Var string
	// Reason says what is wrong with the field.
	Reason string
	// Err is the underlying error, e.g. ErrUnknownField or a JID parsing
	// error; it may be nil.
	Err error
}

// Error returns "forms: field <var>: <reason>", followed by the underlying
// error if there is one.
func (e *FieldError) Error() string {
	s := fmt.Sprintf("forms: field %q: %s", e.Var, e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *FieldError) Unwrap() error { return e.Err }

// Sentinel errors.
var (
	// ErrUnknownField is wrapped by the *FieldError of Form.Set for a var
	// that is not one of the form's fields.
	ErrUnknownField = errors.New("forms: no such field")
	// ErrRequired is wrapped by the *FieldError of Form.Validate for a
	// required field without a value.
	ErrRequired = errors.New("forms: required field has no value")
)

func malformed(spec, raw, format string, args ...any) *xmpp.MalformedError {
	return &xmpp.MalformedError{Spec: spec, Reason: fmt.Sprintf(format, args...), Raw: raw}
}

// Parse reads a jabber:x:data <x/> element (XEP-0004 §3). Another element,
// a missing or unknown form type, a field without var that is not fixed, two
// fields with the same var, or a <validate/> (XEP-0122) with two methods or a
// bad list-range is an *xmpp.MalformedError with Spec "XEP-0004" (or
// "XEP-0122"). A field of an unknown type is read as text-single, as §3.3
// requires; an unknown validation method as basic (XEP-0122 §4.1).
func Parse(el xmpp.Element) (*Form, error) {
	if el.Name != (xml.Name{Space: NS, Local: "x"}) {
		return nil, malformed("XEP-0004", el.Raw, "<%s xmlns='%s'> is not a data form", el.Name.Local, el.Name.Space)
	}
	f := &Form{Type: Type(el.Attr("type"))}
	for ch := range el.Children() {
		if ch.Name.Space != NS {
			continue
		}
		switch ch.Name.Local {
		case "title":
			f.Title = ch.Text()
		case "instructions":
			f.Instructions = append(f.Instructions, ch.Text())
		case "field":
			fl, err := parseField(ch)
			if err != nil {
				return nil, withRaw(err, el.Raw)
			}
			f.Fields = append(f.Fields, fl)
		case "reported":
			fields, err := parseFields(ch)
			if err != nil {
				return nil, withRaw(err, el.Raw)
			}
			if f.Reported != nil {
				return nil, malformed("XEP-0004", el.Raw, "two <reported/> elements")
			}
			f.Reported = fields
			if f.Reported == nil {
				f.Reported = []Field{}
			}
		case "item":
			fields, err := parseFields(ch)
			if err != nil {
				return nil, withRaw(err, el.Raw)
			}
			f.Items = append(f.Items, fields)
		}
	}
	if err := f.check(); err != nil {
		return nil, withRaw(err, el.Raw)
	}
	return f, nil
}

func withRaw(err error, raw string) error {
	var m *xmpp.MalformedError
	if errors.As(err, &m) && m.Raw == "" {
		m.Raw = raw
	}
	return err
}

func parseFields(el xmpp.Element) ([]Field, error) {
	var fields []Field
	for ch := range el.Children() {
		if ch.Name != (xml.Name{Space: NS, Local: "field"}) {
			continue
		}
		fl, err := parseField(ch)
		if err != nil {
			return nil, err
		}
		fields = append(fields, fl)
	}
	return fields, nil
}

func parseField(el xmpp.Element) (Field, error) {
	fl := Field{Var: el.Attr("var"), Type: FieldType(el.Attr("type")), Label: el.Attr("label")}
	if !fl.Type.known() {
		fl.Type = FieldTextSingle
	}
	for ch := range el.Children() {
		if ch.Name.Local == "validate" && (ch.Name.Space == NSValidate || ch.Name.Space == nsValidateTypo) {
			if fl.Validate != nil {
				return Field{}, malformed("XEP-0122", "", "field %q has two <validate/> elements", fl.Var)
			}
			v, err := parseValidation(ch)
			if err != nil {
				return Field{}, err
			}
			fl.Validate = v
			continue
		}
		if ch.Name.Space != NS {
			continue
		}
		switch ch.Name.Local {
		case "desc":
			fl.Desc = ch.Text()
		case "required":
			fl.Required = true
		case "value":
			fl.Values = append(fl.Values, ch.Text())
		case "option":
			o := Option{Label: ch.Attr("label")}
			if v, ok := ch.Child(NS, "value"); ok {
				o.Value = v.Text()
			}
			fl.Options = append(fl.Options, o)
		}
	}
	return fl, nil
}

// check reports what makes f not a form XEP-0004 allows, as an
// *xmpp.MalformedError without Raw.
func (f *Form) check() error {
	switch f.Type {
	case TypeForm, TypeSubmit, TypeCancel, TypeResult:
	case "":
		return malformed("XEP-0004", "", "form without type")
	default:
		return malformed("XEP-0004", "", "unknown form type %q", f.Type)
	}
	if err := checkFields(f.Fields, "field"); err != nil {
		return err
	}
	if err := checkFields(f.Reported, "reported field"); err != nil {
		return err
	}
	for _, item := range f.Items {
		if err := checkFields(item, "item field"); err != nil {
			return err
		}
	}
	return nil
}

func checkFields(fields []Field, what string) error {
	seen := make(map[string]bool, len(fields))
	for i := range fields {
		fl := &fields[i]
		if !fl.Type.known() {
			return malformed("XEP-0004", "", "%s %q has unknown type %q", what, fl.Var, fl.Type)
		}
		if fl.Var == "" {
			if fl.Type != FieldFixed {
				return malformed("XEP-0004", "", "%s of type %q without var", what, fl.typ())
			}
			continue
		}
		if seen[fl.Var] {
			return malformed("XEP-0004", "", "two %ss with var %q", what, fl.Var)
		}
		seen[fl.Var] = true
		if fl.Validate != nil {
			if err := fl.Validate.check(fl.Var); err != nil {
				return err
			}
		}
	}
	return nil
}

// typ returns the field's type with the default of §3.3 applied.
func (fl *Field) typ() FieldType {
	if fl.Type == "" {
		return FieldTextSingle
	}
	return fl.Type
}

// Element returns f as a jabber:x:data <x/> element: title, instructions,
// fields, reported fields, then items. A form that Parse would refuse (no
// or an unknown type, an unknown field type, a field without var that is not
// fixed, two fields with the same var, a malformed Validation) is refused
// with an *xmpp.MalformedError. Element does not check values; see
// Form.Validate.
func (f *Form) Element() (xmpp.Element, error) {
	if err := f.check(); err != nil {
		return xmpp.Element{}, err
	}
	var b strings.Builder
	b.WriteString("<x xmlns='" + NS + "'")
	writeAttr(&b, "type", string(f.Type))
	b.WriteByte('>')
	if f.Title != "" {
		writeText(&b, "title", f.Title)
	}
	for _, s := range f.Instructions {
		writeText(&b, "instructions", s)
	}
	for i := range f.Fields {
		writeField(&b, &f.Fields[i])
	}
	if f.Reported != nil {
		b.WriteString("<reported>")
		for i := range f.Reported {
			writeField(&b, &f.Reported[i])
		}
		b.WriteString("</reported>")
	}
	for _, item := range f.Items {
		b.WriteString("<item>")
		for i := range item {
			writeField(&b, &item[i])
		}
		b.WriteString("</item>")
	}
	b.WriteString("</x>")
	el, err := xmpp.ParseElement(b.String())
	if err != nil {
		return xmpp.Element{}, &xmpp.MalformedError{Spec: "XEP-0004", Reason: "form does not encode", Err: err}
	}
	return el, nil
}

func writeField(b *strings.Builder, fl *Field) {
	b.WriteString("<field")
	writeAttr(b, "var", fl.Var)
	writeAttr(b, "type", string(fl.Type))
	writeAttr(b, "label", fl.Label)
	b.WriteByte('>')
	if fl.Desc != "" {
		writeText(b, "desc", fl.Desc)
	}
	if fl.Required {
		b.WriteString("<required/>")
	}
	if fl.Validate != nil {
		fl.Validate.write(b)
	}
	for _, v := range fl.Values {
		writeText(b, "value", v)
	}
	for _, o := range fl.Options {
		b.WriteString("<option")
		writeAttr(b, "label", o.Label)
		b.WriteByte('>')
		writeText(b, "value", o.Value)
		b.WriteString("</option>")
	}
	b.WriteString("</field>")
}

// writeAttr writes ` name='value'` when value is not "".
func writeAttr(b *strings.Builder, name, value string) {
	if value == "" {
		return
	}
	b.WriteString(" " + name + "='")
	xml.EscapeText(b, []byte(value)) // a strings.Builder never fails
	b.WriteByte('\'')
}

// writeText writes <name>text</name>.
func writeText(b *strings.Builder, name, text string) {
	b.WriteString("<" + name + ">")
	escapeText(b, text)
	b.WriteString("</" + name + ">")
}

// escapeText escapes text for character data, keeping newlines and tabs as
// they are (xml.EscapeText writes them as character references).
func escapeText(b *strings.Builder, text string) {
	for {
		i := strings.IndexAny(text, "\n\t")
		if i < 0 {
			xml.EscapeText(b, []byte(text))
			return
		}
		xml.EscapeText(b, []byte(text[:i]))
		b.WriteByte(text[i])
		text = text[i+1:]
	}
}

// FormType returns the value of the form's hidden FORM_TYPE field
// (XEP-0068 §2), or "" if it has none.
func (f *Form) FormType() string {
	fl, ok := f.Field(FormTypeVar)
	if !ok || fl.Type != FieldHidden || len(fl.Values) == 0 {
		return ""
	}
	return fl.Values[0]
}

// Field returns a pointer to the field of f.Fields with var v, which stays
// valid until f.Fields is changed.
func (f *Form) Field(v string) (*Field, bool) {
	for i := range f.Fields {
		if f.Fields[i].Var == v {
			return &f.Fields[i], true
		}
	}
	return nil, false
}

// Value returns the first value of the field with var v, "" if the form has
// no such field or the field has no value.
func (f *Form) Value(v string) string {
	fl, ok := f.Field(v)
	if !ok || len(fl.Values) == 0 {
		return ""
	}
	return fl.Values[0]
}

// Values returns the values of the field with var v, nil if the form has no
// such field.
func (f *Form) Values(v string) []string {
	fl, ok := f.Field(v)
	if !ok {
		return nil
	}
	return fl.Values
}

// Set sets the values of the field with var v, after checking them as
// Form.Validate does: no more than one value for a single-valued type, a
// boolean or JID where the type asks for one, one of the options of a list
// field (unless its validation method is other than basic, which XEP-0122
// §3.2 makes open), the XEP-0122 datatype and method.
// It refuses to set a fixed field. On error, the field is left as it was,
// and the error is a *FieldError, wrapping ErrUnknownField if the form has
// no field v. Set with no values clears the field.
func (f *Form) Set(v string, values ...string) error {
	fl, ok := f.Field(v)
	if !ok {
		return &FieldError{Var: v, Reason: "not in the form", Err: ErrUnknownField}
	}
	if fl.Type == FieldFixed {
		return &FieldError{Var: v, Reason: "a fixed field has no data to set"}
	}
	tmp := *fl
	tmp.Values = slices.Clone(values)
	if err := tmp.checkValues(false); err != nil {
		return err
	}
	fl.Values = tmp.Values
	return nil
}

// SetBool sets the boolean field v to "1" or "0"; see Form.Set.
func (f *Form) SetBool(v string, b bool) error {
	if b {
		return f.Set(v, "1")
	}
	return f.Set(v, "0")
}

// Bool returns the value of the boolean field v: true for "1" and "true",
// false otherwise.
func (f *Form) Bool(v string) bool {
	b, _ := parseBool(f.Value(v))
	return b
}

func parseBool(s string) (bool, error) {
	switch s {
	case "1", "true":
		return true, nil
	case "0", "false":
		return false, nil
	}
	return false, fmt.Errorf("forms: %q is not a boolean", s)
}

// Submit returns the form to send in answer to f (XEP-0004 §3.2): a form of
// type submit with every field of f that has a var, with its var, type and
// values but without label, description, options or validation. The
// FORM_TYPE field, if f has one, is among them. Submit does not check the
// values; call Form.Validate first.
func (f *Form) Submit() *Form {
	s := &Form{Type: TypeSubmit}
	for i := range f.Fields {
		fl := &f.Fields[i]
		if fl.Var == "" || fl.Type == FieldFixed {
			continue
		}
		s.Fields = append(s.Fields, Field{Var: fl.Var, Type: fl.Type, Values: slices.Clone(fl.Values)})
	}
	return s
}

// Validate checks the values of f's fields: every required field has a value
// (except in result and cancel forms), and the values of each field fit its
// type (§3.3: the number of values, booleans, JIDs, the options of list
// fields) and its XEP-0122 validation (datatype, range, regular expression,
// number of values). Each field in error gives a *FieldError, and the errors
// of several fields are joined (errors.Join); errors.As finds the first.
// A cancel form is always valid.
func (f *Form) Validate() error {
	if f.Type == TypeCancel {
		return nil
	}
	var errs []error
	for i := range f.Fields {
		fl := &f.Fields[i]
		if fl.Type == FieldFixed {
			continue
		}
		if fl.Required && len(fl.Values) == 0 && f.Type != TypeResult {
			errs = append(errs, &FieldError{Var: fl.Var, Reason: "required", Err: ErrRequired})
			continue
		}
		if err := fl.checkValues(f.Type == TypeResult); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// checkValues checks the values of fl for its type and validation. In a
// result form, an untyped field may have several values.
func (fl *Field) checkValues(result bool) error {
	t := fl.typ()
	if len(fl.Values) > 1 && !t.Multi() && !(result && fl.Type == "") {
		return &FieldError{Var: fl.Var, Reason: fmt.Sprintf("%d values for a %s field", len(fl.Values), t)}
	}
	for _, v := range fl.Values {
		switch t {
		case FieldBoolean:
			if _, err := parseBool(v); err != nil {
				return &FieldError{Var: fl.Var, Reason: "not a boolean", Err: err}
			}
		case FieldJIDSingle, FieldJIDMulti:
			if _, err := xmpp.ParseJID(v); err != nil {
				return &FieldError{Var: fl.Var, Reason: "not a JID", Err: err}
			}
		case FieldListSingle, FieldListMulti:
			// Any method but basic implies open on list fields
			// (XEP-0122 §3.2).
			open := fl.Validate != nil && fl.Validate.Method != "" && fl.Validate.Method != MethodBasic
			if !open && len(fl.Options) > 0 && !slices.ContainsFunc(fl.Options, func(o Option) bool { return o.Value == v }) {
				return &FieldError{Var: fl.Var, Reason: fmt.Sprintf("%q is not one of the options", v)}
			}
		}
	}
	if fl.Validate != nil {
		return fl.Validate.validate(fl)
	}
	return nil
}

// itoa formats n for an attribute.
func itoa(n int) string { return strconv.Itoa(n) }
