package caps_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/caps"
	"github.com/gojabber/xmpp/disco"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

const (
	peer      = "bob@example.test/laptop"
	exodus    = "http://code.google.com/p/exodus"
	simpleVer = "QgayPKawpkPSDYmwT/WM94uAlu0="
	// simpleQuery is the disco#info result of XEP-0115 §6.2 for the
	// example of §5.2.
	simpleQuery = `<query xmlns='http://jabber.org/protocol/disco#info' node='` + exodus + `#` + simpleVer + `'>` +
		`<identity category='client' name='Exodus 0.9.1' type='pc'/>` +
		`<feature var='http://jabber.org/protocol/caps'/>` +
		`<feature var='http://jabber.org/protocol/disco#info'/>` +
		`<feature var='http://jabber.org/protocol/disco#items'/>` +
		`<feature var='http://jabber.org/protocol/muc'/>` +
		`</query>`
)

func presence(t *testing.T, c xmpp.Element) *xmpp.Presence {
	return &xmpp.Presence{Header: xmpp.Header{From: xmpp.MustParseJID(peer)}, Extensions: []xmpp.Element{c}}
}

// startPeer starts a session whose server answers disco#info requests with
// query, and counts them.
func startPeer(t *testing.T, query string) (*xmpp.Client, *atomic.Int32) {
	c, s := fake.Start(t, "alice@example.test/phone", nil)
	var n atomic.Int32
	s.AnswerIQs(func(iq *xmpp.IQ) (string, bool) {
		if iq.Payload.Name.Space != disco.NSInfo || iq.To.String() != peer || iq.Payload.Attr("node") != exodus+"#"+simpleVer {
			return "", false
		}
		n.Add(1)
		return fake.Result(iq, query), true
	})
	return c, &n
}

// A verification string is resolved with one disco#info request to its
// node#ver, however many presences carry it, and cached.
func TestResolverOncePerVer(t *testing.T) {
	t.Parallel()
	c, requests := startPeer(t, simpleQuery)
	r := caps.NewResolver(nil)
	p := presence(t, caps.Element(exodus, simpleVer))

	var wg sync.WaitGroup
	errs := make([]error, 8)
	infos := make([]disco.Info, 8)
	for i := range errs {
		wg.Go(func() { infos[i], errs[i] = r.Resolve(t.Context(), c, p) })
	}
	wg.Wait()
	for i := range errs {
		require.NoError(t, errs[i], "Resolve #%d", i)
		require.Equal(t, simpleVer, caps.Ver(infos[i]))
	}
	info, err := r.Resolve(t.Context(), c, p)
	require.NoError(t, err)
	require.True(t, info.HasFeature("http://jabber.org/protocol/muc"))
	require.Equal(t, int32(1), requests.Load(), "disco#info requests")
	_, ok := r.Cache().Get("sha-1", simpleVer)
	require.True(t, ok)
}

// Information that does not match its ver is refused and not cached: the
// next presence asks again.
func TestResolverRefusesPoison(t *testing.T) {
	t.Parallel()
	poisoned := `<query xmlns='http://jabber.org/protocol/disco#info'>` +
		`<identity category='client' name='Exodus 0.9.1' type='pc'/>` +
		`<feature var='http://jabber.org/protocol/disco#info'/>` +
		`<feature var='urn:example:evil'/>` +
		`</query>`
	c, requests := startPeer(t, poisoned)
	cache := caps.NewCache(4)
	r := caps.NewResolver(cache)
	p := presence(t, caps.Element(exodus, simpleVer))
	for i := range 2 {
		_, err := r.Resolve(t.Context(), c, p)
		var ve *caps.VerificationError
		require.True(t, errors.As(err, &ve), "Resolve #%d: error %v (%T), want a *caps.VerificationError", i, err, err)
		require.Equal(t, peer, ve.From.String())
		require.True(t, ve.Info.HasFeature("urn:example:evil"))
	}
	require.Equal(t, int32(2), requests.Load())
	require.Zero(t, cache.Len())
}

func TestResolverWithoutVerifiableCaps(t *testing.T) {
	t.Parallel()
	c, requests := startPeer(t, simpleQuery)
	r := caps.NewResolver(nil)
	_, err := r.Resolve(t.Context(), c, &xmpp.Presence{})
	require.ErrorIs(t, err, caps.ErrNoCaps)
	legacy, err := xmpp.ParseElement(`<c xmlns='http://jabber.org/protocol/caps' node='` + exodus + `' ver='0.9.1'/>`)
	require.NoError(t, err)
	_, err = r.Resolve(t.Context(), c, presence(t, legacy))
	require.ErrorIs(t, err, caps.ErrNoCaps)
	md5, err := xmpp.ParseElement(`<c xmlns='http://jabber.org/protocol/caps' hash='md5' node='` + exodus + `' ver='` + simpleVer + `'/>`)
	require.NoError(t, err)
	_, err = r.Resolve(t.Context(), c, presence(t, md5))
	var ve *caps.VerificationError
	require.True(t, errors.As(err, &ve), "unknown hash: error %v, want a *caps.VerificationError", err)
	require.Zero(t, requests.Load(), "disco#info requests")
}

// An error from the peer is returned as is, and nothing is cached.
func TestResolverPeerError(t *testing.T) {
	t.Parallel()
	c, s := fake.Start(t, "alice@example.test/phone", nil)
	s.AnswerIQs(func(iq *xmpp.IQ) (string, bool) {
		return "<iq type='error' id='" + iq.ID + "' from='" + iq.To.String() + "'><error type='cancel'>" +
			"<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>", true
	})
	r := caps.NewResolver(nil)
	_, err := r.Resolve(t.Context(), c, presence(t, caps.Element(exodus, simpleVer)))
	var se *xmpp.StanzaError
	require.True(t, errors.As(err, &se), "error %v (%T), want a *xmpp.StanzaError", err, err)
	require.Equal(t, xmpp.ErrItemNotFound, se.Condition)
	require.Zero(t, r.Cache().Len())
}

// After Advertise, a peer's disco#info request for node#ver is answered
// with what the ver was computed from.
func TestAdvertiseAnswersNodeVer(t *testing.T) {
	t.Parallel()
	mux := xmpp.NewMux()
	h := disco.Register(mux, disco.Identity{Category: "client", Type: "pc", Name: "gojabber"})
	el := caps.Advertise(mux, h, "https://gojabber.example")
	ver := el.Attr("ver")
	_, s := fake.Start(t, "alice@example.test/phone", &xmpp.Options{Handler: mux})
	s.Send(`<iq type='get' id='c1' from='` + peer + `'><query xmlns='http://jabber.org/protocol/disco#info' node='https://gojabber.example#` + ver + `'/></iq>`)
	r := s.ExpectIQ(t.Context(), 0, "", "")
	require.Equal(t, xmpp.IQResult, r.Type, "reply %+v", r)
	require.Equal(t, "https://gojabber.example#"+ver, r.Payload.Attr("node"))

	// What the peer computes from the answer is the advertised ver.
	var info disco.Info
	for ch := range r.Payload.Children() {
		switch ch.Name.Local {
		case "identity":
			info.Identities = append(info.Identities, disco.Identity{Category: ch.Attr("category"), Type: ch.Attr("type"), Name: ch.Attr("name")})
		case "feature":
			info.Features = append(info.Features, ch.Attr("var"))
		}
	}
	require.Equal(t, ver, caps.Ver(info))
	require.True(t, info.HasFeature(caps.NS))
}
