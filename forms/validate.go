package forms

import (
	"fmt"
	"math/big"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gojabber/xmpp"
)

// nsValidateTypo is the namespace of an example of XEP-0122 §4.2, with a
// typo that implementations have copied; Parse takes it for NSValidate.
const nsValidateTypo = "http://jabber.org/protocols/xdata-validate"

// Validation methods of XEP-0122 §3.2. The empty Method is basic, the
// default.
const (
	MethodBasic = "basic" // the value is of the datatype
	MethodOpen  = "open"  // a list field may have values beyond its options
	MethodRange = "range" // the value lies between Min and Max
	MethodRegex = "regex" // the value matches Regex
)

// Datatypes of XEP-0122 §3.1 (from XML Schema Part 2) that Form.Validate
// checks. Other datatypes, such as the user-defined ones with the x: prefix
// (§3.1), are validated as xs:string (§4.1).
const (
	DatatypeAnyURI   = "xs:anyURI"
	DatatypeBoolean  = "xs:boolean"
	DatatypeByte     = "xs:byte"
	DatatypeDate     = "xs:date"
	DatatypeDateTime = "xs:dateTime"
	DatatypeDecimal  = "xs:decimal"
	DatatypeDouble   = "xs:double"
	DatatypeInt      = "xs:int"
	DatatypeInteger  = "xs:integer"
	DatatypeLanguage = "xs:language"
	DatatypeLong     = "xs:long"
	DatatypeShort    = "xs:short"
	DatatypeString   = "xs:string"
	DatatypeTime     = "xs:time"
)

// Validation is the <validate/> element of a field (XEP-0122 §3): the
// datatype of its values and how to check them.
type Validation struct {
	// Datatype is the datatype of the values, e.g. "xs:integer"; "" is
	// the default, xs:string (§3.1).
	Datatype string
	// Method is the validation method: MethodBasic, MethodOpen,
	// MethodRange or MethodRegex; "" is basic, the default (§3.2).
	Method string
	// Min and Max are the bounds of MethodRange, in the lexical form of
	// the datatype; either may be "" for no bound. They must be "" for
	// the other methods.
	Min, Max string
	// Regex is the regular expression of MethodRegex, a POSIX extended
	// regular expression (§3.2.4) that must match the whole value. It must
	// be "" for the other methods. Form.Validate checks the values against
	// an expression Go's regexp package can compile, and accepts any value
	// for one it cannot.
	Regex string
	// ListMin and ListMax are the bounds of the <list-range/> element of
	// a multi-valued field (§3.3): its minimum and maximum number of
	// values, 0 for no bound.
	ListMin, ListMax int
}

func parseValidation(el xmpp.Element) (*Validation, error) {
	v := &Validation{Datatype: el.Attr("datatype")}
	for ch := range el.Children() {
		if ch.Name.Space != el.Name.Space {
			continue
		}
		switch ch.Name.Local {
		case MethodBasic, MethodOpen, MethodRange, MethodRegex:
			if v.Method != "" {
				return nil, malformed("XEP-0122", "", "two validation methods, %s and %s", v.Method, ch.Name.Local)
			}
			v.Method = ch.Name.Local
			switch v.Method {
			case MethodRange:
				v.Min, v.Max = ch.Attr("min"), ch.Attr("max")
			case MethodRegex:
				v.Regex = ch.Text()
			}
		case "list-range":
			var err error
			if v.ListMin, err = listBound(ch.Attr("min")); err != nil {
				return nil, err
			}
			if v.ListMax, err = listBound(ch.Attr("max")); err != nil {
				return nil, err
			}
		}
	}
	if m := el.Attr("method"); v.Method == "" && (m == MethodBasic || m == MethodOpen) {
		v.Method = m // the attribute of the example of §4.2
	}
	return v, nil
}

func listBound(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(s, 10, 31)
	if err != nil {
		return 0, &xmpp.MalformedError{Spec: "XEP-0122", Reason: fmt.Sprintf("list-range bound %q", s), Err: err}
	}
	return int(n), nil
}

// check reports what makes v not a validation XEP-0122 allows.
func (v *Validation) check(field string) error {
	switch v.Method {
	case "", MethodBasic, MethodOpen, MethodRange, MethodRegex:
	default:
		return malformed("XEP-0122", "", "field %q: unknown validation method %q", field, v.Method)
	}
	if v.Method != MethodRange && (v.Min != "" || v.Max != "") {
		return malformed("XEP-0122", "", "field %q: min or max without the range method", field)
	}
	if v.Method != MethodRegex && v.Regex != "" {
		return malformed("XEP-0122", "", "field %q: regex without the regex method", field)
	}
	if v.ListMin < 0 || v.ListMax < 0 {
		return malformed("XEP-0122", "", "field %q: negative list-range", field)
	}
	return nil
}

func (v *Validation) write(b *strings.Builder) {
	b.WriteString("<validate xmlns='" + NSValidate + "'")
	writeAttr(b, "datatype", v.Datatype)
	b.WriteByte('>')
	switch v.Method {
	case MethodBasic, MethodOpen:
		b.WriteString("<" + v.Method + "/>")
	case MethodRange:
		b.WriteString("<range")
		writeAttr(b, "min", v.Min)
		writeAttr(b, "max", v.Max)
		b.WriteString("/>")
	case MethodRegex:
		writeText(b, "regex", v.Regex)
	}
	if v.ListMin > 0 || v.ListMax > 0 {
		b.WriteString("<list-range")
		if v.ListMin > 0 {
			writeAttr(b, "min", itoa(v.ListMin))
		}
		if v.ListMax > 0 {
			writeAttr(b, "max", itoa(v.ListMax))
		}
		b.WriteString("/>")
	}
	b.WriteString("</validate>")
}

// validate checks the values of fl against v.
func (v *Validation) validate(fl *Field) error {
	n := len(fl.Values)
	if n > 0 && v.ListMin > 0 && n < v.ListMin {
		return &FieldError{Var: fl.Var, Reason: fmt.Sprintf("%d values, want at least %d", n, v.ListMin)}
	}
	if n > 0 && v.ListMax > 0 && n > v.ListMax {
		return &FieldError{Var: fl.Var, Reason: fmt.Sprintf("%d values, want at most %d", n, v.ListMax)}
	}
	var re *regexp.Regexp
	if v.Method == MethodRegex {
		re, _ = regexp.Compile(`^(?:` + v.Regex + `)$`) // nil: a syntax Go does not know
	}
	for _, s := range fl.Values {
		x, err := parseDatatype(v.Datatype, s)
		if err != nil {
			return &FieldError{Var: fl.Var, Reason: fmt.Sprintf("%q is not a valid %s", s, v.datatype()), Err: err}
		}
		switch v.Method {
		case MethodRange:
			if c, ok := compare(v.Datatype, x, v.Min); ok && c < 0 {
				return &FieldError{Var: fl.Var, Reason: fmt.Sprintf("%s is less than %s", s, v.Min)}
			}
			if c, ok := compare(v.Datatype, x, v.Max); ok && c > 0 {
				return &FieldError{Var: fl.Var, Reason: fmt.Sprintf("%s is more than %s", s, v.Max)}
			}
		case MethodRegex:
			if re != nil && !re.MatchString(s) {
				return &FieldError{Var: fl.Var, Reason: fmt.Sprintf("%q does not match %s", s, v.Regex)}
			}
		}
	}
	return nil
}

func (v *Validation) datatype() string {
	if v.Datatype == "" {
		return DatatypeString
	}
	return v.Datatype
}

var (
	reInteger  = regexp.MustCompile(`^[+-]?[0-9]+$`)
	reDecimal  = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)
	reDouble   = regexp.MustCompile(`^([+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?INF|NaN)$`)
	reDate     = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?$`)
	reDateTime = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?$`)
	reTime     = regexp.MustCompile(`^[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?$`)
	reZone     = regexp.MustCompile(`(Z|[+-][0-9]{2}:[0-9]{2})$`)
	reLanguage = regexp.MustCompile(`^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$`)
)

// errSyntax is the error of a value not in the lexical space of its
// datatype.
var errSyntax = fmt.Errorf("forms: bad syntax for the datatype")

// parseDatatype parses s as a value of datatype dt: a *big.Int for the
// integer types, a *big.Rat for xs:decimal, a float64 for xs:double, a
// time.Time for the date and time types, and s itself for the others.
func parseDatatype(dt, s string) (any, error) {
	switch dt {
	case DatatypeInteger, DatatypeLong, DatatypeInt, DatatypeShort, DatatypeByte:
		if !reInteger.MatchString(s) {
			return nil, errSyntax
		}
		n, _ := new(big.Int).SetString(strings.TrimPrefix(s, "+"), 10)
		bits := map[string]uint{DatatypeLong: 64, DatatypeInt: 32, DatatypeShort: 16, DatatypeByte: 8}[dt]
		if bits > 0 && (n.Cmp(new(big.Int).Lsh(big.NewInt(1), bits-1)) >= 0 || n.Cmp(new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), bits-1))) < 0) {
			return nil, fmt.Errorf("forms: %s out of range for %s", s, dt)
		}
		return n, nil
	case DatatypeDecimal:
		if !reDecimal.MatchString(s) {
			return nil, errSyntax
		}
		r, ok := new(big.Rat).SetString(strings.TrimPrefix(s, "+"))
		if !ok {
			return nil, errSyntax
		}
		return r, nil
	case DatatypeDouble:
		if !reDouble.MatchString(s) {
			return nil, errSyntax
		}
		f, err := strconv.ParseFloat(strings.Replace(s, "INF", "Inf", 1), 64)
		if err != nil && f == 0 { // an overflow still gives ±Inf, which is fine
			return nil, err
		}
		return f, nil
	case DatatypeDate:
		if !reDate.MatchString(s) {
			return nil, errSyntax
		}
		return parseTime(s, "2006-01-02")
	case DatatypeDateTime:
		if !reDateTime.MatchString(s) {
			return nil, errSyntax
		}
		return parseTime(s, "2006-01-02T15:04:05")
	case DatatypeTime:
		if !reTime.MatchString(s) {
			return nil, errSyntax
		}
		return parseTime(s, "15:04:05")
	case DatatypeLanguage:
		if !reLanguage.MatchString(s) {
			return nil, errSyntax
		}
	case DatatypeBoolean:
		if _, err := parseBool(s); err != nil {
			return nil, err
		}
	case DatatypeAnyURI:
		if _, err := url.Parse(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// parseTime parses s, which the caller has checked, with layout followed by
// an optional time zone; without one, s is taken as UTC.
func parseTime(s, layout string) (time.Time, error) {
	if reZone.MatchString(s) {
		return time.Parse(layout+"Z07:00", s)
	}
	return time.Parse(layout, s)
}

// compare compares x, the parsed value of a field, with the bound s, and
// reports whether they compare at all: not for a bound that is "" or not of
// the datatype, nor for a datatype without an order.
func compare(dt string, x any, s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	y, err := parseDatatype(dt, s)
	if err != nil {
		return 0, false
	}
	switch x := x.(type) {
	case *big.Int:
		return x.Cmp(y.(*big.Int)), true
	case *big.Rat:
		return x.Cmp(y.(*big.Rat)), true
	case float64:
		y := y.(float64)
		if x != x || y != y { // NaN
			return 0, false
		}
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	case time.Time:
		return x.Compare(y.(time.Time)), true
	}
	return 0, false
}
