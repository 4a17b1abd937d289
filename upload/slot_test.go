package upload_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/upload"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

func TestParseSlot(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		raw    string
		want   *upload.Slot
		reason string // a malformed slot: part of the error
	}{
		{
			name: "XEP-0363 example 5",
			raw: `<slot xmlns='urn:xmpp:http:upload:0'>` +
				`<put url='https://upload.montague.tld/4a771ac1-f0b2-4a4a-9700-f2a26fa2bb67/tr%C3%A8s%20cool.jpg'>` +
				`<header name='Authorization'>Basic Base64String==</header>` +
				`<header name='Cookie'>foo=bar; user=romeo</header>` +
				`</put>` +
				`<get url='https://download.montague.tld/4a771ac1-f0b2-4a4a-9700-f2a26fa2bb67/tr%C3%A8s%20cool.jpg'/>` +
				`</slot>`,
			want: &upload.Slot{
				PutURL: "https://upload.montague.tld/4a771ac1-f0b2-4a4a-9700-f2a26fa2bb67/tr%C3%A8s%20cool.jpg",
				GetURL: "https://download.montague.tld/4a771ac1-f0b2-4a4a-9700-f2a26fa2bb67/tr%C3%A8s%20cool.jpg",
				Header: http.Header{"Authorization": {"Basic Base64String=="}, "Cookie": {"foo=bar; user=romeo"}},
			},
		},
		{
			name: "only the allowed headers, newlines removed",
			raw: `<slot xmlns='urn:xmpp:http:upload:0'><put url='https://u.example/p'>` +
				`<header name='expires'>Tue, 01 Jan 2030 00:00:00 GMT</header>` +
				`<header name='Host'>evil.example</header>` +
				`<header name='Content-Length'>1</header>` +
				`<header name='X-Custom'>x</header>` +
				`<header name='Authorization'>Bearer a&#10;b&#13;c</header>` +
				`<header>nameless</header>` +
				`<header xmlns='urn:example' name='Cookie'>other namespace</header>` +
				`</put><get url='https://u.example/g'/></slot>`,
			want: &upload.Slot{
				PutURL: "https://u.example/p",
				GetURL: "https://u.example/g",
				Header: http.Header{"Expires": {"Tue, 01 Jan 2030 00:00:00 GMT"}, "Authorization": {"Bearer abc"}},
			},
		},
		{
			name: "http URLs parse (Put refuses them)",
			raw:  `<slot xmlns='urn:xmpp:http:upload:0'><get url='http://u.example/g'/><put url='http://u.example/p'/></slot>`,
			want: &upload.Slot{PutURL: "http://u.example/p", GetURL: "http://u.example/g", Header: http.Header{}},
		},
		{name: "no put", raw: `<slot xmlns='urn:xmpp:http:upload:0'><get url='https://u.example/g'/></slot>`, reason: "without <put/>"},
		{name: "no get", raw: `<slot xmlns='urn:xmpp:http:upload:0'><put url='https://u.example/p'/></slot>`, reason: "without <put/> or <get/>"},
		{name: "empty url", raw: `<slot xmlns='urn:xmpp:http:upload:0'><put url=''/><get url='https://u.example/g'/></slot>`, reason: "empty url"},
		{name: "relative url", raw: `<slot xmlns='urn:xmpp:http:upload:0'><put url='/p'/><get url='https://u.example/g'/></slot>`, reason: "not an absolute"},
		{name: "other scheme", raw: `<slot xmlns='urn:xmpp:http:upload:0'><put url='ftp://u.example/p'/><get url='https://u.example/g'/></slot>`, reason: "not an absolute"},
		{name: "user info", raw: `<slot xmlns='urn:xmpp:http:upload:0'><put url='https://a:b@u.example/p'/><get url='https://u.example/g'/></slot>`, reason: "user information"},
		{name: "long url", raw: `<slot xmlns='urn:xmpp:http:upload:0'><put url='https://u.example/` + strings.Repeat("a", upload.MaxURLLength) + `'/><get url='https://u.example/g'/></slot>`, reason: "more than"},
		{name: "control character", raw: `<slot xmlns='urn:xmpp:http:upload:0'><put url='https://u.example/p'><header name='Cookie'>a&#9;b&#x7f;</header></put><get url='https://u.example/g'/></slot>`, reason: "not a valid HTTP header value"},
		{name: "old namespace", raw: `<slot xmlns='urn:xmpp:http:upload'><put>https://u.example/p</put><get>https://u.example/g</get></slot>`, reason: "want <slot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := upload.ParseSlot(fake.Element(t, tt.raw))
			if tt.reason != "" {
				me := fake.RequireMalformed(t, err, "XEP-0363", "ParseSlot(%s)", tt.raw)
				require.Contains(t, me.Reason, tt.reason)
				return
			}
			require.NoError(t, err, "ParseSlot(%s)", tt.raw)
			require.Equal(t, tt.want, got, "ParseSlot(%s)", tt.raw)
		})
	}
	_, err := upload.ParseSlot(xmpp.Element{})
	fake.RequireMalformed(t, err, "XEP-0363", "ParseSlot(zero)")
}

func errorIQ(iq *xmpp.IQ, inner string) string {
	return "<iq type='error' id='" + iq.ID + "' from='" + iq.To.String() + "'>" + inner + "</iq>"
}

// The service's refusals of a slot request come back as the package's
// typed errors, each wrapping the *xmpp.StanzaError.
func TestRequestSlotErrors(t *testing.T) {
	t.Parallel()
	const stanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"
	tests := []struct {
		name  string
		error string
		check func(t *testing.T, err error)
	}{
		{"file too large", `<error type='modify'><not-acceptable xmlns='` + stanzas + `'/><text xmlns='` + stanzas + `'>File too large</text>` +
			`<file-too-large xmlns='urn:xmpp:http:upload:0'><max-file-size>20000</max-file-size></file-too-large></error>`,
			func(t *testing.T, err error) {
				var fe *upload.FileTooLargeError
				require.ErrorAs(t, err, &fe)
				require.Equal(t, int64(20000), fe.Max)
				require.Equal(t, int64(23456), fe.Size)
				require.ErrorIs(t, err, xmpp.ErrNotAcceptable)
			}},
		{"file too large without limit", `<error type='modify'><not-acceptable xmlns='` + stanzas + `'/>` +
			`<file-too-large xmlns='urn:xmpp:http:upload:0'/></error>`,
			func(t *testing.T, err error) {
				var fe *upload.FileTooLargeError
				require.ErrorAs(t, err, &fe)
				require.Zero(t, fe.Max)
			}},
		{"quota", `<error type='wait'><resource-constraint xmlns='` + stanzas + `'/><text xmlns='` + stanzas + `'>Quota reached. You can only upload 5 files in 5 minutes</text>` +
			`<retry xmlns='urn:xmpp:http:upload:0' stamp='2017-12-03T23:42:05Z'/></error>`,
			func(t *testing.T, err error) {
				require.ErrorIs(t, err, upload.ErrQuota)
				require.ErrorIs(t, err, xmpp.ErrResourceConstraint)
				var qe *upload.QuotaError
				require.ErrorAs(t, err, &qe)
				require.Equal(t, time.Date(2017, 12, 3, 23, 42, 5, 0, time.UTC), qe.RetryAfter)
				require.Contains(t, qe.Err.Text, "Quota reached")
			}},
		{"not allowed", `<error type='cancel'><not-allowed xmlns='` + stanzas + `'/></error>`,
			func(t *testing.T, err error) {
				require.ErrorIs(t, err, upload.ErrNotAllowed)
				require.ErrorIs(t, err, xmpp.ErrNotAllowed)
			}},
		{"forbidden", `<error type='auth'><forbidden xmlns='` + stanzas + `'/></error>`,
			func(t *testing.T, err error) {
				require.ErrorIs(t, err, upload.ErrNotAllowed)
				require.ErrorIs(t, err, xmpp.ErrForbidden)
			}},
		{"other", `<error type='cancel'><item-not-found xmlns='` + stanzas + `'/></error>`,
			func(t *testing.T, err error) {
				require.ErrorIs(t, err, xmpp.ErrItemNotFound)
				require.NotErrorIs(t, err, upload.ErrNotAllowed)
				require.NotErrorIs(t, err, upload.ErrQuota)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, s := fake.Start(t, "romeo@montague.tld/garden", nil)
			var req *xmpp.IQ
			s.AnswerIQs(func(iq *xmpp.IQ) (string, bool) {
				req = iq
				return errorIQ(iq, tt.error), true
			})
			_, err := upload.RequestSlot(t.Context(), c, xmpp.MustParseJID("upload.montague.tld"), upload.File{Name: "très cool.jpg", Size: 23456, ContentType: "image/jpeg"})
			require.Error(t, err)
			tt.check(t, err)
			require.Equal(t, `<request xmlns="urn:xmpp:http:upload:0" filename="très cool.jpg" size="23456" content-type="image/jpeg"></request>`, req.Payload.Raw)
		})
	}
}

func TestRequestSlotBadFile(t *testing.T) {
	t.Parallel()
	c, _ := fake.Start(t, "romeo@montague.tld/garden", nil)
	for _, name := range []string{"", "dir/file", `dir\file`} {
		_, err := upload.RequestSlot(t.Context(), c, xmpp.MustParseJID("upload.montague.tld"), upload.File{Name: name, Size: 1})
		require.ErrorIs(t, err, upload.ErrBadFileName, "RequestSlot(%q)", name)
	}
}

// Discover asks the server's items for their info and takes the first
// upload service, with the limit of its XEP-0128 form.
func TestDiscover(t *testing.T) {
	t.Parallel()
	c, s := fake.Start(t, "romeo@montague.tld/garden", nil)
	var asked []string
	s.AnswerIQs(func(iq *xmpp.IQ) (string, bool) {
		asked = append(asked, iq.To.String()+" "+iq.Payload.Name.Space)
		switch {
		case iq.Payload.Name.Space == "http://jabber.org/protocol/disco#items":
			return fake.Result(iq, `<query xmlns='http://jabber.org/protocol/disco#items'>`+
				`<item jid='conference.montague.tld'/><item jid='montague.tld' node='x'/><item jid='broken.montague.tld'/><item jid='upload.montague.tld'/></query>`), true
		case iq.To.String() == "upload.montague.tld":
			return fake.Result(iq, `<query xmlns='http://jabber.org/protocol/disco#info'>`+
				`<identity category='store' type='file' name='HTTP File Upload'/>`+
				`<feature var='urn:xmpp:http:upload:0'/>`+
				`<x type='result' xmlns='jabber:x:data'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:http:upload:0</value></field>`+
				`<field var='max-file-size'><value>5242880</value></field></x></query>`), true
		case iq.To.String() == "broken.montague.tld":
			return errorIQ(iq, `<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>`), true
		}
		return fake.Result(iq, `<query xmlns='http://jabber.org/protocol/disco#info'><identity category='conference' type='text'/><feature var='http://jabber.org/protocol/muc'/></query>`), true
	})
	svc, err := upload.Discover(t.Context(), c)
	require.NoError(t, err)
	require.Equal(t, upload.Service{JID: xmpp.MustParseJID("upload.montague.tld"), MaxFileSize: 5242880}, svc)
	require.Equal(t, []string{
		"montague.tld http://jabber.org/protocol/disco#items",
		"conference.montague.tld http://jabber.org/protocol/disco#info",
		"broken.montague.tld http://jabber.org/protocol/disco#info",
		"upload.montague.tld http://jabber.org/protocol/disco#info",
	}, asked)

	// Upload refuses a file over the announced limit before any request.
	asked = nil
	_, err = upload.Upload(t.Context(), c, upload.File{Name: "f", Size: 5242881}, strings.NewReader(""), nil)
	var fe *upload.FileTooLargeError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, &upload.FileTooLargeError{Size: 5242881, Max: 5242880}, fe)
	require.Len(t, asked, 4, "Discover's requests only, no slot request")
}

func TestDiscoverNone(t *testing.T) {
	t.Parallel()
	c, s := fake.Start(t, "romeo@montague.tld/garden", nil)
	s.AnswerIQs(func(iq *xmpp.IQ) (string, bool) {
		if iq.Payload.Name.Space == "http://jabber.org/protocol/disco#items" {
			return fake.Result(iq, `<query xmlns='http://jabber.org/protocol/disco#items'/>`), true
		}
		return fake.Result(iq, `<query xmlns='http://jabber.org/protocol/disco#info'><identity category='server' type='im'/></query>`), true
	})
	_, err := upload.Discover(t.Context(), c)
	require.ErrorIs(t, err, upload.ErrNoService)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = upload.Discover(ctx, c)
	require.True(t, errors.Is(err, context.Canceled), "Discover(canceled ctx) = %v, want context.Canceled", err)
}
