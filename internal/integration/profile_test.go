package integration_test

import (
	"bytes"
	"encoding/xml"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/avatar"
	"github.com/gojabber/xmpp/bookmarks"
	"github.com/gojabber/xmpp/nick"
	"github.com/gojabber/xmpp/private"
	"github.com/gojabber/xmpp/pubsub"
	"github.com/gojabber/xmpp/vcard"
	"github.com/gojabber/xmpp/xmpptest"
)

// testPNG writes a w×h PNG into the test's temp dir and returns its path
// and bytes.
func testPNG(t *testing.T, w, h int) (string, []byte) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, x%h, color.RGBA{R: 200, G: uint8(x), B: 30, A: 255})
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	path := filepath.Join(t.TempDir(), "avatar.png")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o600))
	return path, buf.Bytes()
}

// TestProfile: alice sets her avatar from a PNG file (XEP-0084), her
// nickname (XEP-0172) and vCard (XEP-0054); bob, a contact asking for both
// with +notify, gets them as events and fetches the image; alice's server
// converts the avatar into her vCard photo (XEP-0398), whose hash is the
// XEP-0153 hash.
func TestProfile(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			ctx := testCtx(t)
			alice := psLogin(t, srv, freshUser(t, srv, "prof-a"))
			bob := psLogin(t, srv, freshUser(t, srv, "prof-b"), avatar.NSMetadata, nick.NS)
			befriend(t, alice, bob)
			require.NoError(t, alice.Send(ctx, alice.presence))
			require.NoError(t, bob.Send(ctx, bob.presence))
			alice.waitPresence(t, "bob's presence", func(p *xmpp.Presence) bool { return p.From == bob.JID() })

			// vCard first: the avatar conversion below changes its photo.
			require.NoError(t, vcard.Set(ctx, alice, &vcard.VCard{FN: "Alice <A>", Nickname: "al", Desc: "line 1\nline 2"}), "vcard.Set")
			own, err := vcard.Get(ctx, alice, xmpp.JID{})
			require.NoError(t, err, "vcard.Get own")
			require.Equal(t, "Alice <A>", own.FN)
			if srv.Kind == xmpptest.KindEjabberd {
				// Prosody's mod_vcard_legacy keeps only the fields it maps
				// to vCard4, which DESC is not.
				require.Equal(t, "line 1\nline 2", own.Desc)
			}
			theirs, err := vcard.Get(ctx, bob, alice.JID().Bare())
			require.NoError(t, err, "vcard.Get of a contact")
			require.Equal(t, "al", theirs.Nickname)

			path, data := testPNG(t, 48, 32)
			_, err = avatar.SetFromFile(ctx, alice, path, &avatar.Options{MaxWidth: 32})
			require.ErrorIs(t, err, avatar.ErrTooLarge, "a 48 px wide image with MaxWidth 32")
			info, err := avatar.SetFromFile(ctx, alice, path, nil)
			require.NoError(t, err, "SetFromFile")
			require.Equal(t, avatar.Info{ID: avatar.ID(data), Type: "image/png", Bytes: len(data), Width: 48, Height: 32}, info)

			e := bob.next(t, avatar.NSMetadata)
			ie, ok := e.(*pubsub.ItemsEvent)
			require.True(t, ok, "event %T", e)
			infos, err := avatar.ParseMetadata(ie.Items[0].Payload)
			require.NoError(t, err)
			require.Equal(t, []avatar.Info{info}, infos)
			got, err := avatar.Data(ctx, bob, alice.JID(), info.ID)
			require.NoError(t, err, "avatar.Data")
			require.Equal(t, data, got)

			require.NoError(t, nick.Publish(ctx, alice, "Alice 🦊"), "nick.Publish")
			e = bob.next(t, nick.NS)
			n, ok := nick.Parse(e.(*pubsub.ItemsEvent).Items[0].Payload)
			require.True(t, ok)
			require.Equal(t, "Alice 🦊", n)
			n, err = nick.Get(ctx, bob, alice.JID())
			require.NoError(t, err, "nick.Get")
			require.Equal(t, "Alice 🦊", n)

			conv, err := avatar.HasConversion(ctx, alice)
			require.NoError(t, err, "HasConversion")
			// ejabberd 23.01 does not announce the conversion on the
			// account; Prosody does and keeps the vCard photo in sync.
			require.Equal(t, srv.Kind == xmpptest.KindProsody, conv, "HasConversion")
			if conv {
				v, err := vcard.Get(ctx, bob, alice.JID().Bare())
				require.NoError(t, err, "vcard.Get after the avatar")
				require.NotNil(t, v.Photo, "the converted photo")
				require.Equal(t, info.ID, avatar.ID(v.Photo.Data), "XEP-0153 hash of the converted photo")
			} else {
				// Without conversion, the client sets the vCard photo
				// itself (XEP-0153 §3.1); ejabberd's mod_vcard_xupdate
				// writes the hash of the stored photo into presence.
				own.Photo = &vcard.Photo{Type: info.Type, Data: data}
				require.NoError(t, vcard.Set(ctx, alice, own), "vcard.Set with photo")
			}

			// XEP-0153: alice's presence carries the photo hash.
			p := xmpp.Available("", "", 0)
			require.NoError(t, avatar.AddUpdate(p, info.ID))
			require.NoError(t, alice.Send(ctx, p))
			bob.waitPresence(t, "presence with the photo hash", func(p *xmpp.Presence) bool {
				h, ok := avatar.UpdateFrom(p)
				return p.From == alice.JID() && ok && h == info.ID
			})

			require.NoError(t, avatar.Disable(ctx, alice), "Disable")
			e = bob.next(t, avatar.NSMetadata)
			infos, err = avatar.ParseMetadata(e.(*pubsub.ItemsEvent).Items[0].Payload)
			require.NoError(t, err)
			require.Empty(t, infos)
		})
	}
}

// TestBookmarks: private XML storage (XEP-0049), legacy bookmarks
// (XEP-0048) on both servers, native bookmarks (XEP-0402) where the server
// announces #compat (Prosody) and what ejabberd does with them.
func TestBookmarks(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			ctx := testCtx(t)
			c := psLogin(t, srv, freshUser(t, srv, "bm"))

			name := xml.Name{Space: "urn:xmpp:gojabber:test", Local: "prefs"}
			empty, err := private.Get(ctx, c, name)
			require.NoError(t, err, "private.Get of nothing")
			require.Equal(t, name, empty.Name)
			require.NoError(t, private.Set(ctx, c, mustParseElement(t, "<prefs xmlns='urn:xmpp:gojabber:test'><a>1 &amp; 2</a></prefs>")))
			el, err := private.Get(ctx, c, name)
			require.NoError(t, err, "private.Get")
			a, _ := el.Child(name.Space, "a")
			require.Equal(t, "1 & 2", a.Text())

			store, err := bookmarks.Open(ctx, c)
			require.NoError(t, err, "Open")
			require.Equal(t, srv.Kind == xmpptest.KindProsody, store.Native(), "native bookmarks where #compat is announced")

			room1 := xmpp.MustParseJID("kitchen@conference." + srv.Domain)
			room2 := xmpp.MustParseJID("garden@conference." + srv.Domain)
			stores := []*bookmarks.Store{bookmarks.NewLegacy(c)}
			if store.Native() {
				stores = append(stores, store)
			}
			for _, st := range stores {
				bs, err := st.List(ctx)
				require.NoError(t, err, "List (native %v)", st.Native())
				for _, b := range bs {
					require.NoError(t, st.Remove(ctx, b.JID))
				}
				b1 := bookmarks.Bookmark{JID: room1, Name: "The <kitchen>", Autojoin: true, Nick: "al", Password: "pw"}
				b2 := bookmarks.Bookmark{JID: room2}
				require.NoError(t, st.Add(ctx, b1), "Add (native %v)", st.Native())
				require.NoError(t, st.Add(ctx, b2), "Add (native %v)", st.Native())
				bs, err = st.List(ctx)
				require.NoError(t, err)
				require.ElementsMatch(t, []bookmarks.Bookmark{b1, b2}, bs, "native %v", st.Native())
				require.Equal(t, []bookmarks.Bookmark{b1}, bookmarks.Autojoin(bs))
				require.NoError(t, st.Remove(ctx, room1), "Remove")
				bs, err = st.List(ctx)
				require.NoError(t, err)
				require.Equal(t, []bookmarks.Bookmark{b2}, bs, "native %v", st.Native())
			}
			if srv.Kind == xmpptest.KindEjabberd {
				// ejabberd 23.01 takes only access_model and persist_items
				// as publish-options: the XEP-0402 options fail.
				err := bookmarks.NewNative(c).Add(ctx, bookmarks.Bookmark{JID: room1})
				require.Error(t, err, "native bookmarks on ejabberd")
				t.Logf("ejabberd, native Add: %v", err)
			}
		})
	}
}
