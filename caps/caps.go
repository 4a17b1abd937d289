package caps

import (
	"cmp"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/xml"
	"hash"
	"slices"
	"strings"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/disco"
)

// NS is the namespace of the <c/> element and the feature that says an
// entity supports entity capabilities.
const NS = "http://jabber.org/protocol/caps"

// HashSHA1 is the hash function name (from the IANA Hash Function Textual
// Names registry) of the verification strings Ver computes; §5.1 makes it
// the one every implementation must support.
const HashSHA1 = "sha-1"

// Caps is the content of a <c/> element (§4).
type Caps struct {
	// Node identifies the software, e.g. its project URL.
	Node string
	// Ver is the verification string.
	Ver string
	// Hash names the hash function that produced Ver, e.g. "sha-1".
	// It is "" for the legacy format of versions before 1.4, which has no
	// hash and cannot be verified.
	Hash string
}

// Ver returns the SHA-1 verification string of info (§5.1): its identities,
// features and extended information forms in canonical order, hashed and
// base64-encoded. Forms without a hidden FORM_TYPE field are left out, as
// §5.4 tells the receiver to ignore them.
//
// Ver does not check that info is well-formed: for info with duplicate
// identities, features or form types, Verify refuses what Ver returns.
func Ver(info disco.Info) string {
	s, _ := verString(info)
	return verHash(sha1.New(), s)
}

// Verify reports whether ver is the verification string of info for the
// hash function named hash ("sha-1", "sha-224", "sha-256", "sha-384" or
// "sha-512"), and info is well-formed as §5.4 asks: no identity (by
// category, type, xml:lang and name), feature or extended form type twice,
// no FORM_TYPE field with different values. An unknown hash is never
// verified.
func Verify(info disco.Info, ver, hash string) bool {
	h := newHash(hash)
	if h == nil {
		return false
	}
	s, ok := verString(info)
	return ok && verHash(h, s) == ver
}

func newHash(name string) hash.Hash {
	switch name {
	case "sha-1":
		return sha1.New()
	case "sha-224":
		return sha256.New224()
	case "sha-256":
		return sha256.New()
	case "sha-384":
		return sha512.New384()
	case "sha-512":
		return sha512.New()
	}
	return nil
}

func verHash(h hash.Hash, s string) string {
	h.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// verString returns the string S of §5.1 for info, and whether info is
// well-formed (§5.4 step 3). Strings compare by octets, the i;octet
// collation of RFC 4790 that §5.1 requires.
func verString(info disco.Info) (string, bool) {
	ok := true
	var b strings.Builder

	ids := slices.Clone(info.Identities)
	slices.SortFunc(ids, func(a, b disco.Identity) int {
		return cmp.Or(
			strings.Compare(a.Category, b.Category),
			strings.Compare(a.Type, b.Type),
			strings.Compare(a.Lang, b.Lang),
			strings.Compare(a.Name, b.Name),
		)
	})
	for i, id := range ids {
		if i > 0 && id == ids[i-1] {
			ok = false
		}
		b.WriteString(id.Category + "/" + id.Type + "/" + id.Lang + "/" + id.Name + "<")
	}

	features := slices.Clone(info.Features)
	slices.Sort(features)
	for i, f := range features {
		if i > 0 && f == features[i-1] {
			ok = false
		}
		b.WriteString(f + "<")
	}

	var forms []form
	for _, el := range info.Forms {
		f, use, wellFormed := parseForm(el)
		ok = ok && wellFormed
		if use {
			forms = append(forms, f)
		}
	}
	slices.SortFunc(forms, func(a, b form) int { return strings.Compare(a.typ, b.typ) })
	for i, f := range forms {
		if i > 0 && f.typ == forms[i-1].typ {
			ok = false
		}
		b.WriteString(f.typ + "<")
		slices.SortFunc(f.fields, func(a, b field) int { return strings.Compare(a.name, b.name) })
		for _, fl := range f.fields {
			b.WriteString(fl.name + "<")
			slices.Sort(fl.values)
			for _, v := range fl.values {
				b.WriteString(v + "<")
			}
		}
	}
	return b.String(), ok
}

// form is an extended information form (XEP-0128) reduced to what the
// verification string needs.
type form struct {
	typ    string // the value of FORM_TYPE
	fields []field
}

type field struct {
	name   string
	values []string
}

// parseForm reads a jabber:x:data form. use says whether the form counts
// for the verification string: it has a FORM_TYPE field of type hidden
// (§5.4 step 3.6). wellFormed is false if its FORM_TYPE field has values
// that differ (§5.4 step 3.5).
func parseForm(el xmpp.Element) (f form, use, wellFormed bool) {
	wellFormed = true
	if el.Name != (xml.Name{Space: disco.NSData, Local: "x"}) {
		return form{}, false, true
	}
	hasType := false
	for ch := range el.Children() {
		if ch.Name != (xml.Name{Space: disco.NSData, Local: "field"}) {
			continue
		}
		fl := field{name: ch.Attr("var")}
		for v := range ch.Children() {
			if v.Name == (xml.Name{Space: disco.NSData, Local: "value"}) {
				fl.values = append(fl.values, v.Text())
			}
		}
		if fl.name != "FORM_TYPE" {
			f.fields = append(f.fields, fl)
			continue
		}
		if hasType || ch.Attr("type") != "hidden" || len(fl.values) == 0 {
			// A second FORM_TYPE, or one that is not a hidden field with
			// a value: ignore the form.
			use = false
			hasType = true
			f.typ = ""
			continue
		}
		for _, v := range fl.values[1:] {
			if v != fl.values[0] {
				wellFormed = false
			}
		}
		hasType, use, f.typ = true, true, fl.values[0]
	}
	return f, use && f.typ != "", wellFormed
}

// Element returns a <c/> element (§4) for presence, with node and ver and
// hash "sha-1". node and ver must be valid XML text; Element returns the
// zero Element otherwise.
func Element(node, ver string) xmpp.Element {
	var b strings.Builder
	b.WriteString("<c xmlns='" + NS + "' hash='" + HashSHA1 + "' node='")
	xml.EscapeText(&b, []byte(node))
	b.WriteString("' ver='")
	xml.EscapeText(&b, []byte(ver))
	b.WriteString("'/>")
	el, err := xmpp.ParseElement(b.String())
	if err != nil {
		return xmpp.Element{}
	}
	return el
}

// Parse returns the entity capabilities of presence p: the first <c/>
// element among its extensions with a node and a ver. The legacy format
// (no hash) is returned with an empty Hash.
func Parse(p *xmpp.Presence) (Caps, bool) {
	for _, el := range p.Extensions {
		if el.Name != (xml.Name{Space: NS, Local: "c"}) {
			continue
		}
		c := Caps{Node: el.Attr("node"), Ver: el.Attr("ver"), Hash: el.Attr("hash")}
		if c.Node != "" && c.Ver != "" {
			return c, true
		}
	}
	return Caps{}, false
}

// Advertise prepares the client to advertise its capabilities: it adds the
// caps feature to mux, computes the verification string of what h answers,
// makes h answer disco#info for node#ver (§6.2), and returns the <c/>
// element to attach to every presence the client sends.
//
// Call it after registering every handler on mux: a feature added later
// changes the client's information but not the ver advertised, until
// Advertise is called again and a presence with the new element is sent.
func Advertise(mux *xmpp.Mux, h *disco.Handler, node string) xmpp.Element {
	mux.AddFeature(NS)
	ver := Ver(h.Info())
	h.AddNode(node + "#" + ver)
	return Element(node, ver)
}
