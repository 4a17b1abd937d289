package uri_test

import (
	"errors"
	"fmt"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/uri"
)

// Parse an identifier clicked in a web page and act on its querytype. The
// values come out decoded and the addresses as canonical JIDs.
func ExampleParse() {
	u, err := uri.Parse("xmpp:Romeo@Montague.net?message;subject=Test%20Message;body=Here%27s%20a%20test%20message")
	if err != nil {
		fmt.Println(err)
		return
	}
	switch u.Action {
	case uri.ActionMessage:
		fmt.Printf("to %v: subject %q, body %q\n", u.JID, u.Get("subject"), u.Get("body"))
	case uri.ActionJoin:
		fmt.Println("join", u.JID)
	}
	// Output: to romeo@montague.net: subject "Test Message", body "Here's a test message"
}

// Every error is an *xmpp.MalformedError; an invalid address also matches
// xmpp.ErrInvalidJID.
func ExampleParse_errors() {
	_, err := uri.Parse("xmpp:a%26b@example.com")
	fmt.Println(errors.Is(err, xmpp.ErrMalformed), errors.Is(err, xmpp.ErrInvalidJID))
	_, err = uri.Parse("xmpp:romeo@montague.net?message;body=a b")
	fmt.Println(err)
	// Output:
	// true true
	// xmpp: malformed RFC 5122 payload: character ' ' not allowed in value of query key "body"
}

// An identifier that invites into a room, written as a URI and as an IRI.
func ExampleInvite() {
	room := xmpp.MustParseJID("café@chat.example")
	u := uri.Invite(room, "s3cr;t", xmpp.MustParseJID("juliet@capulet.example"))
	fmt.Println(u)
	fmt.Println(u.IRI())
	// Output:
	// xmpp:caf%C3%A9@chat.example?invite;jid=juliet%40capulet.example;password=s3cr%3Bt
	// xmpp:café@chat.example?invite;jid=juliet%40capulet.example;password=s3cr%3Bt
}

// Build a message identifier with more keys than the constructor takes.
func ExampleMessage() {
	u := uri.Message(xmpp.MustParseJID("juliet@capulet.example/balcony"), "Wherefore art thou?").
		Add("type", "chat").Add("thread", "e0ffe42b28561960c6b12b944a092794b9683a38")
	fmt.Println(u)
	// Output: xmpp:juliet@capulet.example/balcony?message;body=Wherefore%20art%20thou%3F;type=chat;thread=e0ffe42b28561960c6b12b944a092794b9683a38
}

// The authority names the account to act from (RFC 5122 §2.3).
func ExampleURI_authority() {
	u := uri.Subscribe(xmpp.MustParseJID("support@example.com"))
	u.Auth = xmpp.MustParseJID("guest@example.com")
	fmt.Println(u)
	// Output: xmpp://guest@example.com/support@example.com?subscribe
}

// Keys may repeat: Values returns all of them, GetJID parses one as a JID.
func ExampleURI_Values() {
	u, _ := uri.Parse("xmpp:coven@chat.shakespeare.lit?invite;jid=crone1@shakespeare.lit;jid=crone2@shakespeare.lit")
	fmt.Println(u.Values("jid"))
	first, err := u.GetJID("jid")
	fmt.Println(first.Local(), err)
	// Output:
	// [crone1@shakespeare.lit crone2@shakespeare.lit]
	// crone1 <nil>
}
