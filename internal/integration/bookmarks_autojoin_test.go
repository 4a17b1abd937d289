package integration_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/bookmarks"
	"github.com/gojabber/xmpp/muc"
	"github.com/gojabber/xmpp/xmpptest"
)

// TestBookmarksAutojoin: one session bookmarks two rooms, one with
// autojoin; a new session of the same account lists the bookmarks from the
// store Open picks (XEP-0402 on Prosody, which announces #compat; legacy
// XEP-0048 on ejabberd, whose 23.01 refuses the XEP-0402 publish-options)
// and joins bookmarks.Autojoin of them with the muc package: it is in the
// autojoin room only, with the bookmarked nickname.
func TestBookmarksAutojoin(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			ctx := testCtx(t)
			user := freshUser(t, srv, "bmaj")
			dial := func(mux *xmpp.Mux) *xmpp.Client {
				t.Helper()
				c, err := xmpp.Dial(ctx, srv.JID(user), srv.Password(user), &xmpp.Options{
					Server: srv.C2SAddr, TLSConfig: srv.TLSConfig(), Handler: mux,
				})
				require.NoError(t, err, "Dial(%s)", user)
				t.Cleanup(func() { c.Close() })
				return c
			}

			auto := bookmarks.Bookmark{JID: mucRoom(srv, "bm-auto"), Name: "Auto <join>", Autojoin: true, Nick: "aj"}
			manual := bookmarks.Bookmark{JID: mucRoom(srv, "bm-manual"), Name: "Manual", Nick: "mj"}
			first := dial(xmpp.NewMux())
			store, err := bookmarks.Open(ctx, first)
			require.NoError(t, err, "Open")
			require.Equal(t, srv.Kind == xmpptest.KindProsody, store.Native(), "Open picks native bookmarks where #compat is announced")
			require.NoError(t, store.Add(ctx, auto), "Add(autojoin)")
			require.NoError(t, store.Add(ctx, manual), "Add(no autojoin)")
			require.NoError(t, first.Close())

			// After the next login: list, then join the autojoin rooms.
			mux := xmpp.NewMux()
			rooms := muc.New(mux, nil)
			c := dial(mux)
			store, err = bookmarks.Open(ctx, c)
			require.NoError(t, err, "Open in the new session")
			list, err := store.List(ctx)
			require.NoError(t, err, "List")
			require.ElementsMatch(t, []bookmarks.Bookmark{auto, manual}, list)
			for _, b := range bookmarks.Autojoin(list) {
				nick := b.Nick
				if nick == "" {
					nick = c.JID().Local()
				}
				r, err := rooms.Join(ctx, c, b.JID, nick, &muc.JoinOptions{Password: b.Password})
				require.NoError(t, err, "Join(%s)", b.JID)
				if r.Created() {
					require.NoError(t, r.CreateInstant(ctx), "CreateInstant(%s)", b.JID)
				}
			}

			joined := rooms.Rooms(c)
			require.Len(t, joined, 1, "rooms joined")
			r := joined[0]
			require.Equal(t, auto.JID, r.JID())
			require.True(t, r.Joined())
			require.Equal(t, "aj", r.Nick())
			_, ok := rooms.Room(c, manual.JID)
			require.False(t, ok, "the room bookmarked without autojoin is not joined")
		})
	}
}
