// Package bookmarks implements the user's bookmarks of chat rooms: XEP-0402:
// PEP Native Bookmarks, version 1.1.4 (https://xmpp.org/extensions/xep-0402.html),
// and the legacy XEP-0048: Bookmarks, version 1.2, kept in private XML
// storage (XEP-0049, package private).
//
// [Open] picks the protocol as XEP-0402 §3 and the compliance suites
// (XEP-0479) ask: native bookmarks when the server announces, on the
// account, urn:xmpp:bookmarks:1#compat (it keeps the legacy store in sync
// for older clients), legacy bookmarks otherwise. [Store.List],
// [Store.Add] and [Store.Remove] work the same on both.
//
// To join the rooms marked autojoin after login, with package muc or any
// other: for each b in Autojoin(list), join b.JID with b.Nick.
package bookmarks

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/disco"
	"github.com/gojabber/xmpp/private"
	"github.com/gojabber/xmpp/pubsub"
)

// Namespaces.
const (
	// NS is the namespace and PEP node of XEP-0402 bookmarks.
	NS = "urn:xmpp:bookmarks:1"
	// FeatureCompat is the account feature that says the server converts
	// between XEP-0402 and XEP-0048 bookmarks (XEP-0402 §3.3).
	FeatureCompat = NS + "#compat"
	// NSLegacy is the namespace of XEP-0048 bookmarks.
	NSLegacy = "storage:bookmarks"
)

// Bookmark is a bookmarked chat room.
type Bookmark struct {
	// JID is the room's bare JID.
	JID xmpp.JID
	// Name is a friendly name, "" if none.
	Name string
	// Autojoin says the client should join the room after login.
	Autojoin bool
	// Nick is the nickname to join with, "" if none.
	Nick string
	// Password is the room's password, "" if none.
	Password string
}

// Autojoin returns the bookmarks of bs whose Autojoin is set.
func Autojoin(bs []Bookmark) []Bookmark {
	var out []Bookmark
	for _, b := range bs {
		if b.Autojoin {
			out = append(out, b)
		}
	}
	return out
}

// Store reads and writes the user's bookmarks with one protocol. It holds
// no bookmarks itself; every call goes to the server.
type Store struct {
	s      xmpp.Session
	native bool
}

// Open asks the account (disco#info on its bare JID) which protocol to use,
// and returns a Store using it: native (XEP-0402) with FeatureCompat,
// legacy (XEP-0048) otherwise.
func Open(ctx context.Context, s xmpp.Session) (*Store, error) {
	info, err := disco.GetInfo(ctx, s, s.JID().Bare(), "")
	if err != nil {
		return nil, err
	}
	return &Store{s: s, native: info.HasFeature(FeatureCompat)}, nil
}

// NewNative returns a Store using XEP-0402 whatever the server says.
func NewNative(s xmpp.Session) *Store { return &Store{s: s, native: true} }

// NewLegacy returns a Store using XEP-0048 in private XML storage.
func NewLegacy(s xmpp.Session) *Store { return &Store{s: s} }

// Native reports whether st uses XEP-0402.
func (st *Store) Native() bool { return st.native }

// nodeOptions are the publish-options of XEP-0402 §3.3.
var nodeOptions = pubsub.Config{
	pubsub.PersistItems:          "true",
	pubsub.MaxItems:              "max",
	pubsub.SendLastPublishedItem: "never",
	pubsub.AccessModel:           "whitelist",
}

// List returns the user's bookmarks, none when none are stored.
func (st *Store) List(ctx context.Context) ([]Bookmark, error) {
	if !st.native {
		return st.legacy(ctx)
	}
	page, err := pubsub.GetItems(ctx, st.s, xmpp.JID{}, NS, pubsub.Query{})
	if errors.Is(err, xmpp.ErrItemNotFound) {
		return []Bookmark{}, nil
	}
	if err != nil {
		return nil, err
	}
	bs := []Bookmark{}
	for _, it := range page.Items {
		b, err := parseNative(it)
		if err != nil {
			return nil, err
		}
		bs = append(bs, b)
	}
	return bs, nil
}

// Add stores b, replacing the bookmark of the same room. Native bookmarks
// are published with the options of XEP-0402 §3.3 (pubsub.PublishWith:
// a server that cannot enforce them gives an error matching
// pubsub.ErrNotSupported, and nothing is stored).
func (st *Store) Add(ctx context.Context, b Bookmark) error {
	if !st.native {
		bs, err := st.legacy(ctx)
		if err != nil {
			return err
		}
		bs = remove(bs, b.JID)
		return st.setLegacy(ctx, append(bs, b))
	}
	payload, err := nativeElement(b)
	if err != nil {
		return err
	}
	_, err = pubsub.PublishWith(ctx, st.s, xmpp.JID{}, NS, pubsub.Item{ID: b.JID.Bare().String(), Payload: payload}, nodeOptions)
	return err
}

// Remove deletes the bookmark of room; removing one that does not exist is
// no error for legacy bookmarks, and an error matching xmpp.ErrItemNotFound
// for native ones on servers that say so.
func (st *Store) Remove(ctx context.Context, room xmpp.JID) error {
	if !st.native {
		bs, err := st.legacy(ctx)
		if err != nil {
			return err
		}
		return st.setLegacy(ctx, remove(bs, room))
	}
	return pubsub.Retract(ctx, st.s, xmpp.JID{}, NS, room.Bare().String(), true)
}

func remove(bs []Bookmark, room xmpp.JID) []Bookmark {
	out := bs[:0]
	for _, b := range bs {
		if b.JID.Bare() != room.Bare() {
			out = append(out, b)
		}
	}
	return out
}

func parseNative(it pubsub.Item) (Bookmark, error) {
	j, err := xmpp.ParseJID(it.ID)
	if err != nil {
		return Bookmark{}, &xmpp.MalformedError{Spec: "XEP-0402", Reason: "item id is not a JID", Raw: it.Payload.Raw, Err: err}
	}
	if it.Payload.Name != (xml.Name{Space: NS, Local: "conference"}) {
		return Bookmark{}, &xmpp.MalformedError{Spec: "XEP-0402", Reason: "item without <conference/>", Raw: it.Payload.Raw}
	}
	return parseConference(it.Payload, NS, j), nil
}

func parseConference(el xmpp.Element, space string, j xmpp.JID) Bookmark {
	b := Bookmark{JID: j, Name: el.Attr("name")}
	a := el.Attr("autojoin")
	b.Autojoin = a == "true" || a == "1"
	if n, ok := el.Child(space, "nick"); ok {
		b.Nick = n.Text()
	}
	if p, ok := el.Child(space, "password"); ok {
		b.Password = p.Text()
	}
	return b
}

func conference(w *strings.Builder, b Bookmark, legacy bool) {
	w.WriteString("<conference")
	if legacy {
		attr(w, "jid", b.JID.Bare().String())
	} else {
		w.WriteString(" xmlns='" + NS + "'")
	}
	attr(w, "name", b.Name)
	if b.Autojoin {
		w.WriteString(" autojoin='true'")
	}
	w.WriteString(">")
	text(w, "nick", b.Nick)
	text(w, "password", b.Password)
	w.WriteString("</conference>")
}

func nativeElement(b Bookmark) (xmpp.Element, error) {
	var w strings.Builder
	conference(&w, b, false)
	return xmpp.ParseElement(w.String())
}

func attr(w *strings.Builder, name, v string) {
	if v != "" {
		w.WriteString(" " + name + "='")
		xml.EscapeText(w, []byte(v)) // never fails on a strings.Builder
		w.WriteString("'")
	}
}

func text(w *strings.Builder, name, v string) {
	if v != "" {
		w.WriteString("<" + name + ">")
		xml.EscapeText(w, []byte(v)) // never fails on a strings.Builder
		w.WriteString("</" + name + ">")
	}
}

func (st *Store) legacy(ctx context.Context) ([]Bookmark, error) {
	el, err := private.Get(ctx, st.s, xml.Name{Space: NSLegacy, Local: "storage"})
	if err != nil {
		return nil, err
	}
	bs := []Bookmark{}
	for c := range el.Children() {
		if c.Name != (xml.Name{Space: NSLegacy, Local: "conference"}) {
			continue // <url/> bookmarks are not kept (and so dropped on write)
		}
		j, err := xmpp.ParseJID(c.Attr("jid"))
		if err != nil {
			return nil, &xmpp.MalformedError{Spec: "XEP-0048", Reason: fmt.Sprintf("conference jid %q", c.Attr("jid")), Raw: el.Raw, Err: err}
		}
		bs = append(bs, parseConference(c, NSLegacy, j))
	}
	return bs, nil
}

func (st *Store) setLegacy(ctx context.Context, bs []Bookmark) error {
	var w strings.Builder
	w.WriteString("<storage xmlns='" + NSLegacy + "'>")
	for _, b := range bs {
		conference(&w, b, true)
	}
	w.WriteString("</storage>")
	el, err := xmpp.ParseElement(w.String())
	if err != nil {
		return err
	}
	return private.Set(ctx, st.s, el)
}
