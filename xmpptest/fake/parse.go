package fake

import (
	"testing"

	"github.com/gojabber/xmpp"
)

// Message decodes raw, the XML of one <message/> in the jabber:client
// namespace or in none, with xmpp.DecodeStanza, as a session would receive
// it; it fails the test if raw is not such a message.
func Message(tb testing.TB, raw string) *xmpp.Message {
	tb.Helper()
	el, err := xmpp.ParseElement(raw)
	if err != nil {
		tb.Fatalf("decoding %s: %v", raw, err)
	}
	v, err := xmpp.DecodeStanza(el)
	if err != nil {
		tb.Fatalf("decoding %s: %v", raw, err)
	}
	m, ok := v.(*xmpp.Message)
	if !ok {
		tb.Fatalf("decoding %s: got %T, want *xmpp.Message", raw, v)
	}
	return m
}

// Element parses raw with xmpp.ParseElement, failing the test on error.
func Element(tb testing.TB, raw string) xmpp.Element {
	tb.Helper()
	el, err := xmpp.ParseElement(raw)
	if err != nil {
		tb.Fatalf("ParseElement(%s): %v", raw, err)
	}
	return el
}
