package upload_test

import (
	"testing"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/upload"
)

// FuzzParseSlot checks that ParseSlot never panics, and that what it
// accepts holds only allowed headers with valid values and absolute URLs.
func FuzzParseSlot(f *testing.F) {
	f.Add(`<slot xmlns='urn:xmpp:http:upload:0'><put url='https://u.example/p'><header name='Authorization'>Bearer x</header></put><get url='https://u.example/g'/></slot>`)
	f.Add(`<slot xmlns='urn:xmpp:http:upload:0'><put url='http://u.example/p'><header name='Host'>x</header><header name='cookie'>a&#10;b</header></put><get url=''/></slot>`)
	f.Add(`<slot xmlns='urn:xmpp:http:upload'><put>https://u.example/p</put></slot>`)
	f.Fuzz(func(t *testing.T, raw string) {
		el, err := xmpp.ParseElement(raw)
		if err != nil {
			return
		}
		s, err := upload.ParseSlot(el)
		if err != nil {
			return
		}
		if s.PutURL == "" || s.GetURL == "" {
			t.Fatalf("ParseSlot(%q) = %+v, want both URLs", raw, s)
		}
		for k, vs := range s.Header {
			if k != "Authorization" && k != "Cookie" && k != "Expires" {
				t.Fatalf("ParseSlot(%q) kept header %q", raw, k)
			}
			for _, v := range vs {
				for _, c := range v {
					if c == '\n' || c == '\r' {
						t.Fatalf("ParseSlot(%q): header %s value %q holds a newline", raw, k, v)
					}
				}
			}
		}
	})
}
