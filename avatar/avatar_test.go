package avatar_test

import (
	"bytes"
	"errors"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/avatar"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

func encode(t *testing.T, w, h int, enc func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, enc(&buf, image.NewGray(image.Rect(0, 0, w, h))))
	return buf.Bytes()
}

func TestCheck(t *testing.T) {
	t.Parallel()
	pngEnc := func(b *bytes.Buffer, i image.Image) error { return png.Encode(b, i) }
	jpegEnc := func(b *bytes.Buffer, i image.Image) error { return jpeg.Encode(b, i, nil) }
	gifEnc := func(b *bytes.Buffer, i image.Image) error { return gif.Encode(b, i, nil) }
	tests := []struct {
		name     string
		data     []byte
		opts     *avatar.Options
		wantType string
		wantErr  error
	}{
		{"png", encode(t, 64, 64, pngEnc), nil, "image/png", nil},
		{"jpeg", encode(t, 96, 64, jpegEnc), nil, "image/jpeg", nil},
		{"gif", encode(t, 8, 8, gifEnc), nil, "", avatar.ErrUnsupportedType},
		{"text", []byte("not an image"), nil, "", avatar.ErrUnsupportedType},
		{"too wide", encode(t, 2000, 10, pngEnc), nil, "", avatar.ErrTooLarge},
		{"too high for option", encode(t, 10, 100, pngEnc), &avatar.Options{MaxHeight: 64}, "", avatar.ErrTooLarge},
		{"too many bytes", encode(t, 64, 64, pngEnc), &avatar.Options{MaxBytes: 10}, "", avatar.ErrTooLarge},
	}
	for _, tt := range tests {
		info, err := avatar.Check(tt.data, tt.opts)
		if tt.wantErr != nil {
			require.True(t, errors.Is(err, tt.wantErr), "Check(%s) = %v, want %v", tt.name, err, tt.wantErr)
			continue
		}
		require.NoError(t, err, "Check(%s)", tt.name)
		require.Equal(t, tt.wantType, info.Type, "Check(%s) type", tt.name)
		require.Equal(t, avatar.ID(tt.data), info.ID)
		require.Equal(t, len(tt.data), info.Bytes)
	}
}

func TestParseMetadata(t *testing.T) {
	t.Parallel()
	// XEP-0084 Example 3.
	el := fake.Element(t, "<metadata xmlns='urn:xmpp:avatar:metadata'><info bytes='12345' width='64' height='64' "+
		"id='111f4b3c50d7b0df729d299bc6f8e9ef9066971f' type='image/png'/></metadata>")
	infos, err := avatar.ParseMetadata(el)
	require.NoError(t, err)
	require.Equal(t, []avatar.Info{{ID: "111f4b3c50d7b0df729d299bc6f8e9ef9066971f", Type: "image/png", Bytes: 12345, Width: 64, Height: 64}}, infos)
	_, err = avatar.ParseMetadata(fake.Element(t, "<metadata xmlns='urn:xmpp:avatar:metadata'><info id='x'/></metadata>"))
	fake.RequireMalformed(t, err, "XEP-0084", "ParseMetadata without type and bytes")
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	p := &xmpp.Presence{}
	require.NoError(t, avatar.AddUpdate(p, "sha1-of-photo"))
	h, ok := avatar.UpdateFrom(p)
	require.True(t, ok)
	require.Equal(t, "sha1-of-photo", h)
	h, ok = avatar.UpdateFrom(&xmpp.Presence{Extensions: []xmpp.Element{fake.Element(t, "<x xmlns='vcard-temp:x:update'/>")}})
	require.False(t, ok, "UpdateFrom(no photo) = %q, true, want false", h)
}
