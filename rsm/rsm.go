package rsm

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"

	"github.com/gojabber/xmpp"
)

// NS is the namespace of XEP-0059 (§10).
const NS = "http://jabber.org/protocol/rsm"

// Set is a request for one page of a result set (XEP-0059 §2). The zero Set
// asks for nothing in particular: the responder picks the page size and
// starts at the beginning.
type Set struct {
	// Max is the most items the page may hold (<max/>, §2.1). Zero or less
	// means no <max/>: the responder decides. Use CountOnly for the
	// request <max>0</max>.
	Max int
	// CountOnly asks for the number of items and no items (<max>0</max>,
	// §2.7). It overrides Max.
	CountOnly bool

	// After asks for the page that follows the item with this id, normally
	// the Last of the previous page (<after/>, §2.2).
	After string
	// Before asks for the page that precedes the item with this id,
	// normally the First of the page after it (<before/>, §2.3).
	Before string
	// LastPage asks for the last page of the result set: an empty <before/>
	// (§2.5). It is ignored when Before is set.
	LastPage bool

	// Index asks for the page starting at this position in the result set
	// (<index/>, §2.6), for responders that support it. Zero or less means
	// no <index/>; an index of 0 would ask for the first page, which is what
	// a Set without After, Before or Index gets anyway.
	Index int
}

// IsZero reports whether s has nothing to send.
func (s Set) IsZero() bool { return s == Set{} }

// Element returns s as a <set/> element. A field left zero is left out, so
// the zero Set gives an empty <set/>. Strings that are not XML character
// data are replaced with U+FFFD, as encoding/xml does.
func (s Set) Element() (xmpp.Element, error) {
	var b strings.Builder
	b.WriteString("<set xmlns='" + NS + "'>")
	switch {
	case s.CountOnly:
		b.WriteString("<max>0</max>")
	case s.Max > 0:
		b.WriteString("<max>" + strconv.Itoa(s.Max) + "</max>")
	}
	if s.After != "" {
		writeText(&b, "after", s.After)
	}
	switch {
	case s.Before != "":
		writeText(&b, "before", s.Before)
	case s.LastPage:
		b.WriteString("<before/>")
	}
	if s.Index > 0 {
		b.WriteString("<index>" + strconv.Itoa(s.Index) + "</index>")
	}
	b.WriteString("</set>")
	return xmpp.ParseElement(b.String())
}

// ParseSet returns the request in a <set/> element, as a responder (or a
// test's fake one) reads it.
func ParseSet(e xmpp.Element) (Set, error) {
	if err := checkName(e); err != nil {
		return Set{}, err
	}
	var s Set
	s.Max = -1
	for c := range e.Children() {
		if c.Name.Space != NS {
			continue
		}
		switch c.Name.Local {
		case "max":
			n, err := parseCount("max", c.Text())
			if err != nil {
				return Set{}, err
			}
			s.Max = n
		case "after":
			s.After = c.Text()
		case "before":
			s.Before = c.Text()
			s.LastPage = s.Before == ""
		case "index":
			n, err := parseCount("index", c.Text())
			if err != nil {
				return Set{}, err
			}
			s.Index = n
		}
	}
	if s.Max == 0 {
		s.CountOnly = true
	}
	if s.Max < 0 {
		s.Max = 0
	}
	return s, nil
}

// Result describes the page a responder returned (XEP-0059 §2.1).
type Result struct {
	// First is the id of the first item of the page (<first/>); empty for
	// an empty page.
	First string
	// FirstIndex is the position of the first item in the whole result set
	// (the index attribute of <first/>), or -1 when the responder did not
	// say.
	FirstIndex int
	// Last is the id of the last item of the page (<last/>); empty for an
	// empty page.
	Last string
	// Count is the number of items in the whole result set (<count/>), or
	// -1 when the responder did not say; responders may give an estimate
	// (§2.1).
	Count int
}

// Element returns r as a <set/> element, as a responder sends it. Negative
// FirstIndex and Count are left out.
func (r Result) Element() (xmpp.Element, error) {
	var b strings.Builder
	b.WriteString("<set xmlns='" + NS + "'>")
	if r.First != "" {
		b.WriteString("<first")
		if r.FirstIndex >= 0 {
			b.WriteString(" index='" + strconv.Itoa(r.FirstIndex) + "'")
		}
		b.WriteByte('>')
		xml.EscapeText(&b, []byte(r.First)) // never fails on a strings.Builder
		b.WriteString("</first>")
	}
	if r.Last != "" {
		writeText(&b, "last", r.Last)
	}
	if r.Count >= 0 {
		b.WriteString("<count>" + strconv.Itoa(r.Count) + "</count>")
	}
	b.WriteString("</set>")
	return xmpp.ParseElement(b.String())
}

// ParseResult returns the page description in a responder's <set/>
// element. A count or index that is not a non-negative integer, or a
// <first/> or <last/> without the other, is an *xmpp.MalformedError; unknown
// children are ignored.
func ParseResult(e xmpp.Element) (Result, error) {
	if err := checkName(e); err != nil {
		return Result{}, err
	}
	r := Result{FirstIndex: -1, Count: -1}
	var hasFirst, hasLast bool
	for c := range e.Children() {
		if c.Name.Space != NS {
			continue
		}
		switch c.Name.Local {
		case "first":
			hasFirst = true
			r.First = c.Text()
			if v := c.Attr("index"); v != "" {
				n, err := parseCount("index", v)
				if err != nil {
					return Result{}, err
				}
				r.FirstIndex = n
			}
		case "last":
			hasLast = true
			r.Last = c.Text()
		case "count":
			n, err := parseCount("count", c.Text())
			if err != nil {
				return Result{}, err
			}
			r.Count = n
		}
	}
	if hasFirst != hasLast {
		return Result{}, &xmpp.MalformedError{Spec: "XEP-0059", Reason: "<first/> and <last/> must come together (§2.1)"}
	}
	return r, nil
}

func checkName(e xmpp.Element) error {
	if e.Name.Space != NS || e.Name.Local != "set" {
		return &xmpp.MalformedError{Spec: "XEP-0059", Reason: fmt.Sprintf("element {%s}%s is not {%s}set", e.Name.Space, e.Name.Local, NS)}
	}
	return nil
}

// parseCount parses a non-negative integer, with surrounding white space
// allowed (xs:int content).
func parseCount(what, s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, &xmpp.MalformedError{Spec: "XEP-0059", Reason: fmt.Sprintf("<%s/> %q is not an integer", what, s), Err: err}
	}
	if n < 0 {
		return 0, &xmpp.MalformedError{Spec: "XEP-0059", Reason: fmt.Sprintf("<%s/> %d is negative", what, n)}
	}
	return n, nil
}

func writeText(b *strings.Builder, name, text string) {
	b.WriteString("<" + name + ">")
	xml.EscapeText(b, []byte(text)) // never fails on a strings.Builder
	b.WriteString("</" + name + ">")
}
