package muc

import (
	"testing"

	"github.com/gojabber/xmpp"
)

// FuzzParseUserX reads arbitrary #user <x/> elements: an error or a
// value, never a panic.
func FuzzParseUserX(f *testing.F) {
	for _, s := range []string{
		`<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator' jid='a@b/c'/><status code='110'/></x>`,
		`<x xmlns='http://jabber.org/protocol/muc#user'><item nick='new'><actor nick='mod'/><reason>r</reason></item><status code='303'/></x>`,
		`<x xmlns='http://jabber.org/protocol/muc#user'><destroy jid='alt@conf'><reason>bye</reason></destroy></x>`,
		`<x xmlns='http://jabber.org/protocol/muc#user'><invite from='a@b'><reason>hi</reason><continue/></invite><password>p</password></x>`,
		`<x xmlns='http://jabber.org/protocol/muc#user'><decline from='a@b'/><status code='x'/></x>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		el, err := xmpp.ParseElement(raw)
		if err != nil {
			return
		}
		x, err := parseUserX(el)
		if err != nil {
			return
		}
		for _, c := range x.codes {
			if c < 100 || c > 999 {
				t.Fatalf("parseUserX(%q) code %d", raw, c)
			}
		}
	})
}
