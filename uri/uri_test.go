package uri_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/uri"
)

var j = xmpp.MustParseJID

// parseTests are the examples of RFC 5122, XEP-0147 and the querytypes
// registered by other XEPs, then tricky cases. str and iri are the forms
// that String and IRI must write; "" means the input itself.
var parseTests = []struct {
	name string
	in   string
	want uri.URI
	str  string
	iri  string
}{
	// RFC 5122 §2.2.
	{name: "rfc5122 basic", in: "xmpp:node@example.com", want: uri.URI{JID: j("node@example.com")}},
	// RFC 5122 §2.3.
	{name: "rfc5122 authority only", in: "xmpp://guest@example.com", want: uri.URI{Auth: j("guest@example.com")}},
	{name: "rfc5122 no authority", in: "xmpp:guest@example.com", want: uri.URI{JID: j("guest@example.com")}},
	{name: "rfc5122 authority and path", in: "xmpp://guest@example.com/support@example.com?message",
		want: uri.URI{Auth: j("guest@example.com"), JID: j("support@example.com"), Action: "message"}},
	{name: "rfc5122 path and query", in: "xmpp:support@example.com?message",
		want: uri.URI{JID: j("support@example.com"), Action: "message"}},
	// RFC 5122 §2.4.
	{name: "rfc5122 node", in: "xmpp:example-node@example.com", want: uri.URI{JID: j("example-node@example.com")}},
	{name: "rfc5122 resource", in: "xmpp:example-node@example.com/some-resource",
		want: uri.URI{JID: j("example-node@example.com/some-resource")}},
	{name: "rfc5122 domain", in: "xmpp:example.com", want: uri.URI{JID: j("example.com")}},
	// RFC 5122 §2.5.
	{name: "rfc5122 querytype", in: "xmpp:example-node@example.com?message",
		want: uri.URI{JID: j("example-node@example.com"), Action: "message"}},
	{name: "rfc5122 pair", in: "xmpp:example-node@example.com?message;subject=Hello%20World",
		want: uri.URI{JID: j("example-node@example.com"), Action: "message", Params: []uri.Param{{"subject", "Hello World"}}}},
	{name: "rfc5122 query", in: "xmpp:example-node@example.com?query",
		want: uri.URI{JID: j("example-node@example.com"), Action: "query"}},
	// RFC 5122 §2.7: the characters to encode in a node, a resource, and
	// outside US-ASCII.
	{name: "rfc5122 nasty node", in: "xmpp:nasty!%23$%25()*+,-.;=%3F%5B%5C%5D%5E_%60%7B%7C%7D~node@example.com",
		want: uri.URI{JID: j("nasty!#$%()*+,-.;=?[\\]^_`{|}~node@example.com")}},
	{name: "rfc5122 repulsive resource",
		in:   "xmpp:node@example.com/repulsive%20!%23%22$%25&'()*+,-.%2F:;%3C=%3E%3F%40%5B%5C%5D%5E_%60%7B%7C%7D~resource",
		want: uri.URI{JID: j("node@example.com/repulsive !#\"$%&'()*+,-./:;<=>?@[\\]^_`{|}~resource")}},
	{name: "rfc5122 internationalized", in: "xmpp:ji%C5%99i@%C4%8Dechy.example/v%20Praze",
		want: uri.URI{JID: j("jiři@čechy.example/v Praze")}, iri: "xmpp:jiři@čechy.example/v%20Praze"},

	// XEP-0147 §3.1.
	{name: "xep0147 message", in: "xmpp:romeo@montague.net?message",
		want: uri.URI{JID: j("romeo@montague.net"), Action: uri.ActionMessage}},
	{name: "xep0147 message keys", in: "xmpp:romeo@montague.net?message;subject=Test%20Message;body=Here%27s%20a%20test%20message",
		want: uri.URI{JID: j("romeo@montague.net"), Action: uri.ActionMessage,
			Params: []uri.Param{{"subject", "Test Message"}, {"body", "Here's a test message"}}}},
	// XEP-0147 §3.2.
	{name: "xep0147 roster", in: "xmpp:romeo@montague.net?roster",
		want: uri.URI{JID: j("romeo@montague.net"), Action: uri.ActionRoster}},
	{name: "xep0147 roster name", in: "xmpp:romeo@montague.net?roster;name=Romeo%20Montague",
		want: uri.URI{JID: j("romeo@montague.net"), Action: uri.ActionRoster, Params: []uri.Param{{"name", "Romeo Montague"}}}},
	{name: "xep0147 roster name group", in: "xmpp:romeo@montague.net?roster;name=Romeo%20Montague;group=Friends",
		want: uri.URI{JID: j("romeo@montague.net"), Action: uri.ActionRoster,
			Params: []uri.Param{{"name", "Romeo Montague"}, {"group", "Friends"}}}},
	{name: "xep0147 remove", in: "xmpp:romeo@montague.net?remove",
		want: uri.URI{JID: j("romeo@montague.net"), Action: uri.ActionRemove}},
	// XEP-0147 §3.3.
	{name: "xep0147 subscribe", in: "xmpp:romeo@montague.net?subscribe",
		want: uri.URI{JID: j("romeo@montague.net"), Action: uri.ActionSubscribe}},
	{name: "xep0147 unsubscribe", in: "xmpp:romeo@montague.net?unsubscribe",
		want: uri.URI{JID: j("romeo@montague.net"), Action: uri.ActionUnsubscribe}},

	// Querytypes registered by other XEPs.
	{name: "xep0045 join", in: "xmpp:darkcave@chat.shakespeare.lit?join;password=cauldronburn",
		want: uri.URI{JID: j("darkcave@chat.shakespeare.lit"), Action: uri.ActionJoin, Params: []uri.Param{{"password", "cauldronburn"}}}},
	{name: "xep0045 invite", in: "xmpp:darkcave@chat.shakespeare.lit?invite;jid=hecate@shakespeare.lit;jid=crone1@shakespeare.lit",
		want: uri.URI{JID: j("darkcave@chat.shakespeare.lit"), Action: uri.ActionInvite,
			Params: []uri.Param{{"jid", "hecate@shakespeare.lit"}, {"jid", "crone1@shakespeare.lit"}}},
		str: "xmpp:darkcave@chat.shakespeare.lit?invite;jid=hecate%40shakespeare.lit;jid=crone1%40shakespeare.lit",
		iri: "xmpp:darkcave@chat.shakespeare.lit?invite;jid=hecate%40shakespeare.lit;jid=crone1%40shakespeare.lit"},
	{name: "xep0050 command", in: "xmpp:shakespeare.lit?command;node=announce;action=execute",
		want: uri.URI{JID: j("shakespeare.lit"), Action: uri.ActionCommand, Params: []uri.Param{{"node", "announce"}, {"action", "execute"}}}},
	{name: "xep0054 vcard", in: "xmpp:romeo@montague.net?vcard", want: uri.URI{JID: j("romeo@montague.net"), Action: uri.ActionVCard}},
	{name: "xep0060 pubsub", in: "xmpp:pubsub.shakespeare.lit?pubsub;action=subscribe;node=princely_musings",
		want: uri.URI{JID: j("pubsub.shakespeare.lit"), Action: uri.ActionPubsub,
			Params: []uri.Param{{"action", "subscribe"}, {"node", "princely_musings"}}}},
	{name: "xep0077 register", in: "xmpp:marlowe.shakespeare.lit?register",
		want: uri.URI{JID: j("marlowe.shakespeare.lit"), Action: uri.ActionRegister}},
	{name: "xep0077 unregister", in: "xmpp:marlowe.shakespeare.lit?unregister",
		want: uri.URI{JID: j("marlowe.shakespeare.lit"), Action: uri.ActionUnregister}},
	{name: "xep0096 recvfile", in: "xmpp:romeo@montague.net/orchard?recvfile;sid=pub234;mime-type=text%2Fplain;name=reply.txt;size=2048",
		want: uri.URI{JID: j("romeo@montague.net/orchard"), Action: uri.ActionRecvFile,
			Params: []uri.Param{{"sid", "pub234"}, {"mime-type", "text/plain"}, {"name", "reply.txt"}, {"size", "2048"}}}},
	{name: "xep0096 sendfile", in: "xmpp:romeo@montague.net/orchard?sendfile",
		want: uri.URI{JID: j("romeo@montague.net/orchard"), Action: uri.ActionSendFile}},
	{name: "xep0030 disco", in: "xmpp:romeo@montague.net?disco;type=get;request=items;node=music",
		want: uri.URI{JID: j("romeo@montague.net"), Action: uri.ActionDisco,
			Params: []uri.Param{{"type", "get"}, {"request", "items"}, {"node", "music"}}}},

	// Canonical forms.
	{name: "scheme and JID case", in: "XMPP:Romeo@Montague.NET/Orchard",
		want: uri.URI{JID: j("romeo@montague.net/Orchard")}, str: "xmpp:romeo@montague.net/Orchard", iri: "xmpp:romeo@montague.net/Orchard"},
	{name: "lower-case hex", in: "xmpp:ji%c5%99i@example.com?message;body=%e2%9c%93",
		want: uri.URI{JID: j("jiři@example.com"), Action: "message", Params: []uri.Param{{"body", "✓"}}},
		str:  "xmpp:ji%C5%99i@example.com?message;body=%E2%9C%93", iri: "xmpp:jiři@example.com?message;body=✓"},
	{name: "needless encoding", in: "xmpp:%72omeo@example.com?%6Dessage",
		want: uri.URI{JID: j("romeo@example.com"), Action: "message"}, str: "xmpp:romeo@example.com?message", iri: "xmpp:romeo@example.com?message"},
	{name: "IRI input", in: "xmpp:jiři@čechy.example?message;body=dobrý%20den",
		want: uri.URI{JID: j("jiři@čechy.example"), Action: "message", Params: []uri.Param{{"body", "dobrý den"}}},
		str:  "xmpp:ji%C5%99i@%C4%8Dechy.example?message;body=dobr%C3%BD%20den", iri: "xmpp:jiři@čechy.example?message;body=dobrý%20den"},
	{name: "A-label domain", in: "xmpp:user@xn--echy-fua.example",
		want: uri.URI{JID: j("user@čechy.example")}, str: "xmpp:user@%C4%8Dechy.example", iri: "xmpp:user@čechy.example"},
	{name: "IPv4", in: "xmpp:user@192.0.2.1", want: uri.URI{JID: j("user@192.0.2.1")}},
	{name: "IPv6", in: "xmpp:user@[2001:db8::1]/r", want: uri.URI{JID: j("user@[2001:db8::1]/r")}},

	// Delimiters inside values and resources.
	{name: "delimiters in a value", in: "xmpp:a@example.com?message;body=a%3Bb%3Dc%26d%3Fe%23f",
		want: uri.URI{JID: j("a@example.com"), Action: "message", Params: []uri.Param{{"body", "a;b=c&d?e#f"}}}},
	{name: "slash, question mark and hash in a resource", in: "xmpp:a@example.com/r%2Fs%3Ft%23u%40v",
		want: uri.URI{JID: j("a@example.com/r/s?t#u@v")}},
	{name: "literal query characters", in: "xmpp:pubsub.example.com?pubsub;action=subscribe;node=/home/it's:a@b?c",
		want: uri.URI{JID: j("pubsub.example.com"), Action: "pubsub", Params: []uri.Param{{"action", "subscribe"}, {"node", "/home/it's:a@b?c"}}},
		str:  "xmpp:pubsub.example.com?pubsub;action=subscribe;node=%2Fhome%2Fit%27s%3Aa%40b%3Fc",
		iri:  "xmpp:pubsub.example.com?pubsub;action=subscribe;node=%2Fhome%2Fit%27s%3Aa%40b%3Fc"},
	{name: "bidi controls encoded", in: "xmpp:a@example.com?message;body=%E2%80%AEabc%E2%80%8F",
		want: uri.URI{JID: j("a@example.com"), Action: "message", Params: []uri.Param{{"body", "\u202eabc\u200f"}}}},
	{name: "repeated and empty", in: "xmpp:a@example.com?message;body=;body=two;=x",
		want: uri.URI{JID: j("a@example.com"), Action: "message", Params: []uri.Param{{"body", ""}, {"body", "two"}, {"", "x"}}}},
	{name: "pairs without querytype", in: "xmpp:pubsub.example.org?;node=design",
		want: uri.URI{JID: j("pubsub.example.org"), Params: []uri.Param{{"node", "design"}}}},
	{name: "empty query", in: "xmpp:a@example.com?", want: uri.URI{JID: j("a@example.com")}, str: "xmpp:a@example.com", iri: "xmpp:a@example.com"},
	{name: "empty fragment", in: "xmpp:a@example.com#", want: uri.URI{JID: j("a@example.com")}, str: "xmpp:a@example.com", iri: "xmpp:a@example.com"},
	{name: "fragment", in: "xmpp:a@example.com?message#sec/1?x=y:z@w%20v",
		want: uri.URI{JID: j("a@example.com"), Action: "message", Fragment: "sec/1?x=y:z@w v"}},
	{name: "question mark in the fragment", in: "xmpp:a@example.com#a?b;c",
		want: uri.URI{JID: j("a@example.com"), Fragment: "a?b;c"}},
	{name: "authority with resource path", in: "xmpp://guest@example.com/a@example.org/phone?message;body=hi",
		want: uri.URI{Auth: j("guest@example.com"), JID: j("a@example.org/phone"), Action: "message", Params: []uri.Param{{"body", "hi"}}}},
}

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := uri.Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q) = %v, want no error", tt.in, err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Fatalf("Parse(%q) = %#v, want %#v", tt.in, *got, tt.want)
			}
			str, iri := tt.str, tt.iri
			if str == "" {
				str = tt.in
			}
			if iri == "" {
				iri = str
			}
			if s := got.String(); s != str {
				t.Errorf("Parse(%q).String() = %q, want %q", tt.in, s, str)
			}
			if s := got.IRI(); s != iri {
				t.Errorf("Parse(%q).IRI() = %q, want %q", tt.in, s, iri)
			}
			for _, s := range []string{got.String(), got.IRI()} {
				again, err := uri.Parse(s)
				if err != nil || !reflect.DeepEqual(again, got) {
					t.Errorf("Parse(%q) = %#v, %v, want %#v", s, again, err, got)
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		badJID  bool
		inError string
	}{
		{in: "", inError: "scheme"},
		{in: "mailto:a@example.com", inError: "scheme"},
		{in: "xmp:a@example.com", inError: "scheme"},
		{in: "xmpp:", badJID: true},
		{in: "xmpp:?message", badJID: true},
		{in: "xmpp:@example.com", badJID: true},
		{in: "xmpp:a@", badJID: true},
		{in: "xmpp:a@example.com/", badJID: true},
		{in: "xmpp:a%26b@example.com", badJID: true},       // '&' is prohibited in a localpart
		{in: "xmpp:a%40b@example.com", badJID: true},       // and so is '@'
		{in: "xmpp:a@exa%2Fmple.com", badJID: true},        // a '/' in a domain
		{in: "xmpp:a@example..com", badJID: true},          // an empty label
		{in: "xmpp:a@example.com/%E2%80%8B", badJID: true}, // U+200B is disallowed by OpaqueString
		{in: "xmpp://example.com/a@example.com", inError: "authority without a node"},
		{in: "xmpp://a@example.com%2Fr/b@example.com", badJID: true},
		{in: "xmpp://", badJID: true},
		{in: "xmpp://a@example.com/", badJID: true},
		{in: "xmpp:a b@example.com", inError: "' '"},
		{in: "xmpp:a&b@example.com", inError: "'&'"},
		{in: "xmpp:a:b@example.com", inError: "':'"},
		{in: "xmpp:a@example.com/r/s", inError: "'/'"},
		{in: "xmpp:a@example.com/r@s", inError: "'@'"},
		{in: "xmpp:a@exa mple.com", inError: "' '"},
		{in: "xmpp:a@example.com?message;body=a b", inError: "' '"},
		{in: "xmpp:a@example.com?message;body=a=b", inError: "'='"},
		{in: "xmpp:a@example.com?message;body=a\"b", inError: `'"'`},
		{in: "xmpp:a@example.com?message;body=a<b>", inError: "'<'"},
		{in: "xmpp:a@example.com?mess age", inError: "' '"},
		{in: "xmpp:a@example.com?message;body", inError: "without '='"},
		{in: "xmpp:a@example.com?message;;body=x", inError: "without '='"},
		{in: "xmpp:a@example.com?message;body=x;", inError: "without '='"},
		{in: "xmpp:a@example.com?message;body=%", inError: "percent"},
		{in: "xmpp:a@example.com?message;body=%4", inError: "percent"},
		{in: "xmpp:a@example.com?message;body=%zz", inError: "percent"},
		{in: "xmpp:a@example.com?message;body=%C5", inError: "UTF-8"},
		{in: "xmpp:a@example.com?message;body=%FF%FE", inError: "UTF-8"},
		{in: "xmpp:a@example.com?message;body=\xff", inError: "UTF-8"},
		{in: "xmpp:a@example.com?message;body=\ue000", inError: "U+E000"}, // private use: not ucschar
		{in: "xmpp:a@example.com\u200e", inError: "U+200E"},               // a bidi mark, forbidden in an IRI
		{in: "xmpp:a@example.com?message;body=\u202e", inError: "U+202E"},
		{in: "xmpp:a@example.com#a#b", inError: "'#'"},
		{in: "xmpp:a@example.com#a b", inError: "' '"},
		{in: "xmpp:a@example.com\x00", inError: `'\x00'`},
	}
	for _, tt := range tests {
		got, err := uri.Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%q) = %#v, want an error", tt.in, got)
			continue
		}
		var me *xmpp.MalformedError
		if !errors.As(err, &me) || me.Spec != "RFC 5122" || me.Raw != tt.in || !errors.Is(err, xmpp.ErrMalformed) {
			t.Errorf("Parse(%q) = %#v, want a *xmpp.MalformedError with Spec RFC 5122 and Raw the input", tt.in, err)
		}
		if errors.Is(err, xmpp.ErrInvalidJID) != tt.badJID {
			t.Errorf("Parse(%q) = %v, want errors.Is(err, xmpp.ErrInvalidJID) = %v", tt.in, err, tt.badJID)
		}
		if !tt.badJID && !strings.Contains(err.Error(), tt.inError) {
			t.Errorf("Parse(%q) = %v, want an error mentioning %s", tt.in, err, tt.inError)
		}
	}
}

func TestConstructors(t *testing.T) {
	t.Parallel()
	room := j("darkcave@chat.shakespeare.lit")
	romeo := j("romeo@montague.net")
	tests := []struct {
		u    *uri.URI
		want string
	}{
		{uri.Message(romeo, ""), "xmpp:romeo@montague.net?message"},
		{uri.Message(romeo, "Here's a test; a=b & c"), "xmpp:romeo@montague.net?message;body=Here%27s%20a%20test%3B%20a%3Db%20%26%20c"},
		{uri.Message(romeo, "hi").Add("subject", "Hello World").Add("type", "chat"),
			"xmpp:romeo@montague.net?message;body=hi;subject=Hello%20World;type=chat"},
		{uri.Join(room, ""), "xmpp:darkcave@chat.shakespeare.lit?join"},
		{uri.Join(room, "cauldronburn"), "xmpp:darkcave@chat.shakespeare.lit?join;password=cauldronburn"},
		{uri.Invite(room, "pw", j("hecate@shakespeare.lit"), j("crone1@shakespeare.lit")),
			"xmpp:darkcave@chat.shakespeare.lit?invite;jid=hecate%40shakespeare.lit;jid=crone1%40shakespeare.lit;password=pw"},
		{uri.Subscribe(romeo), "xmpp:romeo@montague.net?subscribe"},
		{uri.Unsubscribe(romeo), "xmpp:romeo@montague.net?unsubscribe"},
		{uri.Roster(romeo, "Romeo Montague", "Friends"), "xmpp:romeo@montague.net?roster;name=Romeo%20Montague;group=Friends"},
		{uri.Roster(romeo, "", "Friends"), "xmpp:romeo@montague.net?roster;group=Friends"},
		{uri.Remove(romeo), "xmpp:romeo@montague.net?remove"},
		{uri.Command(j("shakespeare.lit"), "announce", "execute"), "xmpp:shakespeare.lit?command;node=announce;action=execute"},
		{uri.Command(j("shakespeare.lit"), "http://jabber.org/protocol/admin#add-user", ""),
			"xmpp:shakespeare.lit?command;node=http%3A%2F%2Fjabber.org%2Fprotocol%2Fadmin%23add-user"},
		{uri.Pubsub(j("pubsub.shakespeare.lit"), "subscribe", "princely_musings"),
			"xmpp:pubsub.shakespeare.lit?pubsub;action=subscribe;node=princely_musings"},
		{uri.VCard(romeo), "xmpp:romeo@montague.net?vcard"},
		{uri.Register(j("marlowe.shakespeare.lit")), "xmpp:marlowe.shakespeare.lit?register"},
		{uri.Unregister(j("marlowe.shakespeare.lit")), "xmpp:marlowe.shakespeare.lit?unregister"},
		{uri.Disco(romeo, "info", ""), "xmpp:romeo@montague.net?disco;type=get;request=info"},
		{uri.Disco(romeo, "items", "music"), "xmpp:romeo@montague.net?disco;type=get;request=items;node=music"},
		{uri.New(j("romeo@montague.net/orchard"), uri.ActionRecvFile, uri.Param{Key: "sid", Value: "pub234"}),
			"xmpp:romeo@montague.net/orchard?recvfile;sid=pub234"},
		{&uri.URI{Auth: j("guest@example.com/phone"), JID: romeo, Action: uri.ActionMessage},
			"xmpp://guest@example.com/romeo@montague.net?message"},
	}
	for _, tt := range tests {
		if got := tt.u.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.u, got, tt.want)
			continue
		}
		back, err := uri.Parse(tt.want)
		if err != nil {
			t.Errorf("Parse(%q) = %v, want no error", tt.want, err)
			continue
		}
		want := *tt.u
		want.Auth = want.Auth.Bare()
		if !reflect.DeepEqual(*back, want) {
			t.Errorf("Parse(%q) = %#v, want %#v", tt.want, *back, want)
		}
	}
}

func TestAccessors(t *testing.T) {
	t.Parallel()
	u, err := uri.Parse("xmpp:coven@chat.shakespeare.lit?invite;jid=hecate%40shakespeare.lit;jid=crone1%40shakespeare.lit;password=;from=bad%40")
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Get("jid"); got != "hecate@shakespeare.lit" {
		t.Errorf(`Get("jid") = %q, want "hecate@shakespeare.lit"`, got)
	}
	if got := u.Values("jid"); !reflect.DeepEqual(got, []string{"hecate@shakespeare.lit", "crone1@shakespeare.lit"}) {
		t.Errorf(`Values("jid") = %q, want both invitees`, got)
	}
	if got := u.Values("nick"); got != nil {
		t.Errorf(`Values("nick") = %q, want nil`, got)
	}
	if v, ok := u.Lookup("password"); v != "" || !ok {
		t.Errorf(`Lookup("password") = %q, %v, want "", true`, v, ok)
	}
	if v, ok := u.Lookup("nick"); v != "" || ok {
		t.Errorf(`Lookup("nick") = %q, %v, want "", false`, v, ok)
	}
	if got := u.Get("nick"); got != "" {
		t.Errorf(`Get("nick") = %q, want ""`, got)
	}
	if got, err := u.GetJID("jid"); err != nil || got != j("hecate@shakespeare.lit") {
		t.Errorf(`GetJID("jid") = %v, %v, want hecate@shakespeare.lit`, got, err)
	}
	if got, err := u.GetJID("nick"); err != nil || !got.IsZero() {
		t.Errorf(`GetJID("nick") = %v, %v, want the zero JID`, got, err)
	}
	if _, err := u.GetJID("from"); !errors.Is(err, xmpp.ErrInvalidJID) || !errors.Is(err, xmpp.ErrMalformed) {
		t.Errorf(`GetJID("from") = %v, want ErrInvalidJID and ErrMalformed`, err)
	}
}

func TestText(t *testing.T) {
	t.Parallel()
	const s = "xmpp:romeo@montague.net?message;body=hi"
	var u uri.URI
	if err := u.UnmarshalText([]byte(s)); err != nil {
		t.Fatalf("UnmarshalText(%q) = %v, want no error", s, err)
	}
	if b, err := u.MarshalText(); string(b) != s || err != nil {
		t.Errorf("MarshalText() = %q, %v, want %q", b, err, s)
	}
	if err := u.UnmarshalText([]byte("http://x")); !errors.Is(err, xmpp.ErrMalformed) {
		t.Errorf("UnmarshalText(http://x) = %v, want ErrMalformed", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(tt.in)
	}
	f.Add("xmpp:a@example.com?message;body=%")
	f.Add("xmpp://a@b/c@d/e?f;g=h#i")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := uri.Parse(s)
		if err != nil {
			var me *xmpp.MalformedError
			if !errors.As(err, &me) || me.Spec != "RFC 5122" {
				t.Fatalf("Parse(%q) = %v, want a *xmpp.MalformedError", s, err)
			}
			return
		}
		if u.JID.IsZero() && u.Auth.IsZero() {
			t.Fatalf("Parse(%q) = %#v, want a JID or an authority", s, u)
		}
		for _, out := range []string{u.String(), u.IRI()} {
			again, err := uri.Parse(out)
			if err != nil {
				t.Fatalf("Parse(%q) = %v; it is the output for Parse(%q)", out, err, s)
			}
			if !reflect.DeepEqual(again, u) {
				t.Fatalf("Parse(%q) = %#v, want %#v (from Parse(%q))", out, again, u, s)
			}
		}
		if str := u.String(); !isASCII(str) {
			t.Fatalf("Parse(%q).String() = %q, want US-ASCII only", s, str)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
