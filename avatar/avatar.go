// Package avatar implements XEP-0084: User Avatar, version 1.1.4
// (https://xmpp.org/extensions/xep-0084.html): an image published over PEP
// in two nodes, its data and its metadata, with the SHA-1 of the image as
// its id. The related XEP-0153 (vCard-Based Avatars, version 1.1: the hash
// of the vCard photo in presence) and XEP-0398 (User Avatar to vCard-Based
// Avatars Conversion, version 0.2.1: the server keeping both in sync) are
// small enough to live here too.
//
// [SetFromFile] sets the user's avatar from a PNG or JPEG file in one call,
// checking its type, size and dimensions against [Options]; [Publish] takes
// bytes. A contact's avatar comes as a pubsub.ItemsEvent on NSMetadata
// (after [Notify]); [ParseMetadata] reads it and [Data] fetches the image.
package avatar

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // image.DecodeConfig of JPEG
	_ "image/png"  // image.DecodeConfig of PNG
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/disco"
	"github.com/gojabber/xmpp/pubsub"
)

// Namespaces and features.
const (
	// NSData is the namespace and node of the image data (§2.1).
	NSData = "urn:xmpp:avatar:data"
	// NSMetadata is the namespace and node of the metadata (§2.2).
	NSMetadata = "urn:xmpp:avatar:metadata"
	// NSUpdate is the namespace of the XEP-0153 <x/> element of presence.
	NSUpdate = "vcard-temp:x:update"
	// FeatureConversion is the account feature of XEP-0398 §4.
	FeatureConversion = "urn:xmpp:pep-vcard-conversion:0"
)

// Errors of the checks of SetFromFile and Publish.
var (
	// ErrUnsupportedType: the image is not a PNG or JPEG.
	ErrUnsupportedType = errors.New("avatar: image is neither PNG nor JPEG")
	// ErrTooLarge: the image exceeds Options.MaxBytes, MaxWidth or MaxHeight.
	ErrTooLarge = errors.New("avatar: image too large")
)

// Options limit the images SetFromFile accepts.
type Options struct {
	// MaxBytes is the largest file; 0 means 64 KiB, which every server
	// stores (§3.1 asks for images "as small as possible").
	MaxBytes int
	// MaxWidth and MaxHeight bound the dimensions in pixels; 0 means
	// 1024, the largest size a client is asked to handle (§3.1).
	MaxWidth, MaxHeight int
}

func (o *Options) limits() (int, int, int) {
	b, w, h := 64<<10, 1024, 1024
	if o != nil {
		if o.MaxBytes > 0 {
			b = o.MaxBytes
		}
		if o.MaxWidth > 0 {
			w = o.MaxWidth
		}
		if o.MaxHeight > 0 {
			h = o.MaxHeight
		}
	}
	return b, w, h
}

// Info describes one image of the metadata (§2.2.1).
type Info struct {
	// ID is the hex SHA-1 of the image.
	ID string
	// Type is the media type, e.g. "image/png".
	Type string
	// Bytes is the image's size.
	Bytes int
	// Width and Height are its dimensions in pixels, 0 when unknown.
	Width, Height int
	// URL is where to get the image over HTTP, "" when it is in NSData.
	URL string
}

// ID returns the id of data: its SHA-1 in hex (§2.1), also the XEP-0153
// photo hash.
func ID(data []byte) string {
	sum := sha1.Sum(data)
	return hex.EncodeToString(sum[:])
}

// Check reads the type and dimensions of data and checks them against opts:
// an image that is not PNG or JPEG wraps ErrUnsupportedType, one over the
// limits ErrTooLarge. It returns the image's Info.
func Check(data []byte, opts *Options) (Info, error) {
	maxBytes, maxW, maxH := opts.limits()
	if len(data) > maxBytes {
		return Info{}, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(data), maxBytes)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || (format != "png" && format != "jpeg") {
		return Info{}, fmt.Errorf("%w (%v)", ErrUnsupportedType, err)
	}
	if cfg.Width > maxW || cfg.Height > maxH {
		return Info{}, fmt.Errorf("%w: %dx%d, at most %dx%d", ErrTooLarge, cfg.Width, cfg.Height, maxW, maxH)
	}
	return Info{ID: ID(data), Type: "image/" + format, Bytes: len(data), Width: cfg.Width, Height: cfg.Height}, nil
}

// SetFromFile reads the image file at path, checks it (Check), and
// publishes it as the user's avatar (Publish). It returns its Info.
func SetFromFile(ctx context.Context, s xmpp.Session, path string, opts *Options) (Info, error) {
	maxBytes, _, _ := opts.limits()
	f, err := os.Open(path)
	if err != nil {
		return Info{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(maxBytes)+1))
	if err != nil {
		return Info{}, err
	}
	info, err := Check(data, opts)
	if err != nil {
		return Info{}, err
	}
	return info, Publish(ctx, s, data, info)
}

// Publish publishes data as the user's avatar: the data node first, then
// the metadata with info (§4.1, §4.2), with info.ID and info.Bytes set from
// data. Contacts learn of it from the metadata.
func Publish(ctx context.Context, s xmpp.Session, data []byte, info Info) error {
	info.ID, info.Bytes = ID(data), len(data)
	el, err := xmpp.ParseElement("<data xmlns='" + NSData + "'>" + base64.StdEncoding.EncodeToString(data) + "</data>")
	if err != nil {
		return err
	}
	if _, err := pubsub.Publish(ctx, s, xmpp.JID{}, NSData, pubsub.Item{ID: info.ID, Payload: el}); err != nil {
		return err
	}
	return publishMetadata(ctx, s, info.ID, metadata([]Info{info}))
}

// Disable publishes empty metadata: the user has no avatar (§4.6).
func Disable(ctx context.Context, s xmpp.Session) error {
	return publishMetadata(ctx, s, "", metadata(nil))
}

func publishMetadata(ctx context.Context, s xmpp.Session, id, raw string) error {
	el, err := xmpp.ParseElement(raw)
	if err != nil {
		return err
	}
	_, err = pubsub.Publish(ctx, s, xmpp.JID{}, NSMetadata, pubsub.Item{ID: id, Payload: el})
	return err
}

func metadata(infos []Info) string {
	var w strings.Builder
	w.WriteString("<metadata xmlns='" + NSMetadata + "'>")
	for _, in := range infos {
		w.WriteString("<info")
		attr(&w, "id", in.ID)
		attr(&w, "type", in.Type)
		attr(&w, "bytes", strconv.Itoa(in.Bytes))
		if in.Width > 0 {
			attr(&w, "width", strconv.Itoa(in.Width))
		}
		if in.Height > 0 {
			attr(&w, "height", strconv.Itoa(in.Height))
		}
		attr(&w, "url", in.URL)
		w.WriteString("/>")
	}
	w.WriteString("</metadata>")
	return w.String()
}

func attr(w *strings.Builder, name, v string) {
	if v != "" {
		w.WriteString(" " + name + "='")
		xml.EscapeText(w, []byte(v)) // never fails on a strings.Builder
		w.WriteString("'")
	}
}

// ParseMetadata reads the <metadata/> payload of a metadata item: the
// images, none when the user disabled the avatar. An <info/> without id,
// type or a valid bytes is an *xmpp.MalformedError.
func ParseMetadata(el xmpp.Element) ([]Info, error) {
	if el.Name != (xml.Name{Space: NSMetadata, Local: "metadata"}) {
		return nil, &xmpp.MalformedError{Spec: "XEP-0084", Reason: "not a <metadata/> element", Raw: el.Raw}
	}
	infos := []Info{}
	for c := range el.Children() {
		if c.Name != (xml.Name{Space: NSMetadata, Local: "info"}) {
			continue
		}
		in := Info{ID: c.Attr("id"), Type: c.Attr("type"), URL: c.Attr("url")}
		var err error
		if in.Bytes, err = strconv.Atoi(c.Attr("bytes")); err != nil || in.ID == "" || in.Type == "" {
			return nil, &xmpp.MalformedError{Spec: "XEP-0084", Reason: "<info/> needs id, type and bytes (§2.2.1)", Raw: el.Raw, Err: err}
		}
		in.Width, _ = strconv.Atoi(c.Attr("width"))
		in.Height, _ = strconv.Atoi(c.Attr("height"))
		infos = append(infos, in)
	}
	return infos, nil
}

// Metadata returns the current avatar metadata of jid (a zero jid: the
// user's own).
func Metadata(ctx context.Context, s xmpp.Session, jid xmpp.JID) ([]Info, error) {
	page, err := pubsub.GetItems(ctx, s, jid.Bare(), NSMetadata, pubsub.Query{MaxItems: 1})
	if err != nil {
		return nil, err
	}
	if len(page.Items) == 0 {
		return []Info{}, nil
	}
	return ParseMetadata(page.Items[len(page.Items)-1].Payload)
}

// Data fetches the image id from jid's data node (§4.3) and checks that its
// SHA-1 is id; a mismatch is an *xmpp.MalformedError.
func Data(ctx context.Context, s xmpp.Session, jid xmpp.JID, id string) ([]byte, error) {
	page, err := pubsub.GetItems(ctx, s, jid.Bare(), NSData, pubsub.Query{IDs: []string{id}})
	if err != nil {
		return nil, err
	}
	for _, it := range page.Items {
		if it.ID != id || it.Payload.Name != (xml.Name{Space: NSData, Local: "data"}) {
			continue
		}
		data, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(it.Payload.Text()), ""))
		if err != nil {
			return nil, &xmpp.MalformedError{Spec: "XEP-0084", Reason: "data is not base64", Err: err}
		}
		if ID(data) != id {
			return nil, &xmpp.MalformedError{Spec: "XEP-0084", Reason: "data does not hash to its id " + id}
		}
		return data, nil
	}
	return nil, &pubsub.Error{Stanza: &xmpp.StanzaError{Type: xmpp.ErrorTypeCancel, Condition: xmpp.ErrItemNotFound, Text: "no avatar data " + id}}
}

// Notify asks for contacts' avatar metadata over PEP (pubsub.Notify).
func Notify(mux *xmpp.Mux) { pubsub.Notify(mux, NSMetadata) }

// AddUpdate adds the XEP-0153 <x xmlns='vcard-temp:x:update'/> element to
// p with the photo hash (ID of the vCard photo); an empty hash says the
// user has no photo.
func AddUpdate(p *xmpp.Presence, hash string) error {
	el, err := xmpp.ParseElement("<x xmlns='" + NSUpdate + "'><photo>" + hash + "</photo></x>")
	if err == nil {
		p.Extensions = append(p.Extensions, el)
	}
	return err
}

// UpdateFrom returns the XEP-0153 photo hash of p: ok is false when p has
// no update element or one without <photo/> (the sender is not ready to
// say), hash is "" for a user without photo.
func UpdateFrom(p *xmpp.Presence) (hash string, ok bool) {
	for _, x := range p.Extensions {
		if x.Name != (xml.Name{Space: NSUpdate, Local: "x"}) {
			continue
		}
		if ph, ok := x.Child(NSUpdate, "photo"); ok {
			return strings.TrimSpace(ph.Text()), true
		}
	}
	return "", false
}

// HasConversion reports whether the user's server converts between XEP-0084
// avatars and vCard photos (XEP-0398): whether the account announces
// FeatureConversion.
func HasConversion(ctx context.Context, s xmpp.Session) (bool, error) {
	info, err := disco.GetInfo(ctx, s, s.JID().Bare(), "")
	if err != nil {
		return false, err
	}
	return info.HasFeature(FeatureConversion), nil
}
