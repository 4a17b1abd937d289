package blocking

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gojabber/xmpp"
)

// NS is the namespace of XEP-0191, which the server announces.
const NS = "urn:xmpp:blocking"

// NSErrors is the namespace of the <blocked/> application error condition
// that a server may add to the error it returns for a stanza to a blocked
// JID.
const NSErrors = "urn:xmpp:blocking:errors"

// Change is a change to the block list: a <block/> or <unblock/>, as sent
// to the server or pushed by it.
type Change struct {
	// Block is true for <block/>, false for <unblock/>.
	Block bool
	// JIDs are the items. An unblock without items unblocks everyone.
	JIDs []xmpp.JID
}

// Element returns ch as a <block/> or <unblock/> element. A block without
// JIDs, or a zero JID, is an *xmpp.MalformedError.
func (ch Change) Element() (xmpp.Element, error) {
	name := "unblock"
	if ch.Block {
		name = "block"
		if len(ch.JIDs) == 0 {
			return xmpp.Element{}, malformed("", nil, "<block/> needs at least one JID")
		}
	}
	var b strings.Builder
	b.WriteString("<" + name + " xmlns='" + NS + "'>")
	for _, j := range ch.JIDs {
		if j.IsZero() {
			return xmpp.Element{}, malformed("", nil, "empty JID")
		}
		b.WriteString("<item jid='")
		xmlEscape(&b, j.String())
		b.WriteString("'/>")
	}
	b.WriteString("</" + name + ">")
	return xmpp.ParseElement(b.String())
}

// malformed returns the error for a payload raw ("" for none or one being
// built) that breaks XEP-0191.
func malformed(raw string, err error, format string, args ...any) *xmpp.MalformedError {
	return &xmpp.MalformedError{Spec: "XEP-0191", Reason: fmt.Sprintf(format, args...), Raw: raw, Err: err}
}

// xmlEscape writes s escaped for an attribute value in single quotes.
func xmlEscape(b *strings.Builder, s string) {
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\'':
			b.WriteString("&apos;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
}

// items returns the jid of every <item/> child of el.
func items(el xmpp.Element) ([]xmpp.JID, error) {
	var jids []xmpp.JID
	for c := range el.Children() {
		if c.Name.Space != NS || c.Name.Local != "item" {
			continue
		}
		j, err := xmpp.ParseJID(c.Attr("jid"))
		if err != nil {
			return nil, malformed(el.Raw, err, "item jid %q", c.Attr("jid"))
		}
		jids = append(jids, j)
	}
	return jids, nil
}

// ParseChange reads a <block/> or <unblock/> element. A block without
// items, or an item with a missing or invalid jid, is an
// *xmpp.MalformedError.
func ParseChange(el xmpp.Element) (Change, error) {
	if el.Name.Space != NS || el.Name.Local != "block" && el.Name.Local != "unblock" {
		return Change{}, malformed(el.Raw, nil, "<%s xmlns='%s'> is not <block/> or <unblock/>", el.Name.Local, el.Name.Space)
	}
	jids, err := items(el)
	if err != nil {
		return Change{}, err
	}
	ch := Change{Block: el.Name.Local == "block", JIDs: jids}
	if ch.Block && len(jids) == 0 {
		return Change{}, malformed(el.Raw, nil, "<block/> without items")
	}
	return ch, nil
}

var blocklist = func() xmpp.Element {
	el, err := xmpp.ParseElement("<blocklist xmlns='" + NS + "'/>")
	if err != nil {
		panic(err)
	}
	return el
}()

// List returns the account's block list. Asking for it also subscribes the
// session to pushes of later changes (XEP-0191 §3.2). A result that is not
// a block list is an *xmpp.MalformedError.
func List(ctx context.Context, s xmpp.Session) ([]xmpp.JID, error) {
	res, err := s.SendIQ(ctx, &xmpp.IQ{Type: xmpp.IQGet, Payload: blocklist})
	if err != nil {
		return nil, err
	}
	if res.Payload.Name.Space != NS || res.Payload.Name.Local != "blocklist" {
		return nil, malformed(res.Payload.Raw, nil, "result <%s xmlns='%s'> is not <blocklist/>", res.Payload.Name.Local, res.Payload.Name.Space)
	}
	return items(res.Payload)
}

// Block adds jids to the block list; at least one is required.
func Block(ctx context.Context, s xmpp.Session, jids ...xmpp.JID) error {
	return set(ctx, s, Change{Block: true, JIDs: jids})
}

// Unblock removes jids from the block list; with none, it empties the list.
func Unblock(ctx context.Context, s xmpp.Session, jids ...xmpp.JID) error {
	return set(ctx, s, Change{JIDs: jids})
}

func set(ctx context.Context, s xmpp.Session, ch Change) error {
	el, err := ch.Element()
	if err != nil {
		return err
	}
	_, err = s.SendIQ(ctx, &xmpp.IQ{Type: xmpp.IQSet, Payload: el})
	return err
}

// Register makes mux answer block list pushes (IQ sets of <block/> and
// <unblock/>) and calls onChange, if not nil, with the session the push
// came on and each accepted push. A
// push from anyone but the account itself is answered with a
// service-unavailable error, as if nothing handled it, and not reported; a
// malformed one gets bad-request.
//
// Pushes come only to sessions that have called [List].
func Register(mux *xmpp.Mux, onChange func(s xmpp.Session, ch Change)) {
	h := func(s xmpp.Session, iq *xmpp.IQ) (*xmpp.IQ, error) {
		if !iq.From.IsZero() && iq.From != s.JID().Bare() {
			return nil, &xmpp.StanzaError{Type: xmpp.ErrorTypeCancel, Condition: xmpp.ErrServiceUnavailable}
		}
		ch, err := ParseChange(iq.Payload)
		if err != nil {
			return nil, &xmpp.StanzaError{Type: xmpp.ErrorTypeModify, Condition: xmpp.ErrBadRequest}
		}
		if onChange != nil {
			onChange(s, ch)
		}
		return &xmpp.IQ{}, nil
	}
	mux.HandleIQ(xmpp.IQSet, NS, "block", h)
	mux.HandleIQ(xmpp.IQSet, NS, "unblock", h)
}

// IsBlocked reports whether err is a stanza error carrying the <blocked/>
// condition of urn:xmpp:blocking:errors, which a server may return for a
// stanza sent to a JID the account has blocked.
func IsBlocked(err error) bool {
	se, ok := errors.AsType[*xmpp.StanzaError](err)
	if !ok {
		return false
	}
	for _, el := range se.Extensions {
		if el.Name.Space == NSErrors && el.Name.Local == "blocked" {
			return true
		}
	}
	return false
}
