package rsm_test

import (
	"fmt"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/rsm"
)

// Ask for the last page of ten items, then read the responder's answer.
func Example() {
	req, err := rsm.Set{Max: 10, LastPage: true}.Element()
	if err != nil {
		panic(err)
	}
	fmt.Println(req.Raw)

	resp, _ := xmpp.ParseElement(`<set xmlns='http://jabber.org/protocol/rsm'>` +
		`<first index='15'>id-16</first><last>id-25</last><count>25</count></set>`)
	page, err := rsm.ParseResult(resp)
	if err != nil {
		panic(err)
	}
	fmt.Printf("items %d..%d of %d; previous page: before %q\n",
		page.FirstIndex+1, page.FirstIndex+10, page.Count, page.First)
	// Output:
	// <set xmlns='http://jabber.org/protocol/rsm'><max>10</max><before/></set>
	// items 16..25 of 25; previous page: before "id-16"
}
