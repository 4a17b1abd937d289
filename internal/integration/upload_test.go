package integration_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/oob"
	"github.com/gojabber/xmpp/upload"
)

// TestUpload uploads files of 0 B (Prosody only: ejabberd refuses an
// empty file with bad-request), 1 B and 10 MiB to the server's HTTP File
// Upload service (XEP-0363) over HTTPS, verified against the
// throwaway CA through the session's TLS config, and GETs them back; a
// file over the limit is refused, both before any request (the limit of
// the service's XEP-0128 form) and by the service (<file-too-large/>).
// Prosody runs mod_http_file_share (the PUT needs the slot's
// Authorization header), ejabberd mod_http_upload.
func TestUpload(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			alice := featureLogin(t, srv, "alice", xmpp.Options{})
			ctx := testCtx(t)

			svc, err := upload.Discover(ctx, alice)
			require.NoError(t, err, "Discover")
			require.Equal(t, upload.Service{JID: xmpp.MustParseJID(srv.UploadDomain), MaxFileSize: srv.UploadLimit}, svc)
			require.Positive(t, srv.UploadLimit)

			tag := strings.ToLower(rand.Text()[:8])
			for _, size := range []int{0, 1, 10 << 20} {
				t.Run(fmt.Sprint(size), func(t *testing.T) {
					data := make([]byte, size)
					rand.Read(data)
					f := upload.File{Name: fmt.Sprintf("f-%s-%d.bin", tag, size), Size: int64(size), ContentType: "application/octet-stream"}
					var last int64 = -1
					slot, err := upload.Upload(ctx, alice, f, bytes.NewReader(data), &upload.Options{
						Service:  svc,
						Progress: func(done, _ int64) { last = done },
					})
					if size == 0 && srv.Kind == "ejabberd" {
						// ejabberd 23.01 wants a positive size (its
						// codec follows the XEP's schema); Prosody
						// takes empty files.
						require.ErrorIs(t, err, xmpp.ErrBadRequest, "Upload(0 bytes) on ejabberd")
						return
					}
					require.NoError(t, err, "Upload(%d bytes)\nserver log:\n%s", size, srv.LogTail(20))
					require.Equal(t, int64(size), last, "the last progress report")
					require.True(t, strings.HasPrefix(slot.GetURL, "https://"), "GET URL %s", slot.GetURL)
					if srv.Kind == "prosody" {
						require.NotEmpty(t, slot.Header.Get("Authorization"), "Prosody's slot has an Authorization header")
					}

					var got bytes.Buffer
					n, err := upload.Download(ctx, alice, slot.GetURL, &got, int64(size), nil)
					require.NoError(t, err, "Download(%s)", slot.GetURL)
					require.Equal(t, int64(size), n)
					require.True(t, bytes.Equal(data, got.Bytes()), "Download(%s) = %d bytes, not the %d uploaded", slot.GetURL, got.Len(), size)
					if size > 0 {
						_, err = upload.Download(ctx, alice, slot.GetURL, io.Discard, int64(size-1), nil)
						require.ErrorIs(t, err, upload.ErrTooLarge)
					}
				})
			}

			t.Run("over the limit", func(t *testing.T) {
				f := upload.File{Name: "f-" + tag + "-big.bin", Size: srv.UploadLimit + 1}
				_, err := upload.Upload(ctx, alice, f, strings.NewReader(""), &upload.Options{Service: svc})
				var fe *upload.FileTooLargeError
				require.ErrorAs(t, err, &fe, "Upload(limit+1)")
				require.Equal(t, srv.UploadLimit, fe.Max)
				require.Nil(t, fe.Err, "refused before any request")

				// The service refuses it too.
				_, err = upload.RequestSlot(ctx, alice, svc.JID, f)
				require.ErrorAs(t, err, &fe, "RequestSlot(limit+1)")
				require.Equal(t, srv.UploadLimit, fe.Max, "the service's <max-file-size/>")
				require.ErrorIs(t, err, xmpp.ErrNotAcceptable)
			})
		})
	}
}

// TestUploadSendFile sends a file with one call; the receiver recognises
// the out-of-band link (XEP-0066) whose URL is the body, and fetches it.
func TestUploadSendFile(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			got := make(chan *xmpp.Message, 8)
			mux := xmpp.NewMux()
			mux.HandleMessage(func(_ xmpp.Session, m *xmpp.Message) {
				if oob.Has(m) {
					got <- m
				}
			})
			alice := featureLogin(t, srv, "alice", xmpp.Options{})
			bob := featureLogin(t, srv, "bob", xmpp.Options{Handler: mux})
			ctx := testCtx(t)

			data := []byte("a file from alice, " + rand.Text())
			f := upload.File{Name: "hello " + strings.ToLower(rand.Text()[:6]) + ".txt", Size: int64(len(data)), ContentType: "text/plain"}
			sent, err := upload.SendFile(ctx, alice, bob.JID(), f, bytes.NewReader(data), nil)
			require.NoError(t, err, "SendFile")

			select {
			case m := <-got:
				link, ok := oob.Inline(m)
				require.True(t, ok, "message %+v is no inline file", m)
				require.Equal(t, sent.Body, link.URL)
				require.Equal(t, xmpp.MessageChat, m.Type)
				var b bytes.Buffer
				_, err := upload.Download(ctx, bob, link.URL, &b, 1<<20, nil)
				require.NoError(t, err, "Download(%s)", link.URL)
				require.Equal(t, string(data), b.String())
			case <-time.After(opTimeout):
				t.Fatal("bob got no message with a link")
			}
		})
	}
}
