package corpus

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

const (
	nsChatStates = "http://jabber.org/protocol/chatstates"
	nsReceipts   = "urn:xmpp:receipts"
	nsDelay      = "urn:xmpp:delay"
	nsSID        = "urn:xmpp:sid:0"
	nsHints      = "urn:xmpp:hints"
	nsCarbons    = "urn:xmpp:carbons:2"
	nsForward    = "urn:xmpp:forward:0"
	nsOccupantID = "urn:xmpp:occupant-id:0"
	nsCaps       = "http://jabber.org/protocol/caps"
	nsVCardX     = "vcard-temp:x:update"
	nsMUCUser    = "http://jabber.org/protocol/muc#user"
	nsRoster     = "jabber:iq:roster"
	nsDiscoInfo  = "http://jabber.org/protocol/disco#info"
	nsDataForms  = "jabber:x:data"
	nsPing       = "urn:xmpp:ping"
	nsStanzas    = "urn:ietf:params:xml:ns:xmpp-stanzas"
)

var (
	words = strings.Fields(`the a to and of in is it you that for on with are this be
		have not at but was we they do can will just so what about if out up get like
		time when think know see how then now good new meeting tomorrow tonight today
		lunch coffee train late early sorry thanks okay sure maybe later call back
		release build server client patch review merge branch test fails passes log
		weekend movie dinner book read link photo picture send sent message phone
		battery home office work week month year please again really great nice cool
		problem issue fixed works broken config update upgrade install restart`)
	specials = []string{
		"&", "<3", "a < b", "x > y", "it's", "don't", "\"quoted\"", "Tom & Jerry",
		"<b>not markup</b>", "https://example.org/search?q=xmpp&lang=en", "1 > 0 && 2 < 3",
		"'single'", "R&D", ">_<", "-->",
	}
	emoji = []string{"😀", "😂", "🙂", "😉", "👍", "🎉", "❤️", "🔥", "🤔", "🙏", "😅", "🚀", "☕", "👋🏽", "🇫🇷"}
	cjk   = []string{
		"你好", "谢谢你的帮助", "我们明天见", "今日はいい天気ですね", "ありがとうございます",
		"また後で", "감사합니다", "내일 봐요", "会议改到下午三点", "了解しました",
	}
	statuses = []string{
		"At work", "In a meeting", "Busy – do not disturb", "Out for lunch 🍜",
		"On holiday until Monday", "Coding & coffee", "Away <brb>", "on the train",
		"休假中", "会議中", "\"Life is what happens…\"", "Sleeping 😴", "Back at 3pm",
		"Working from home", "Available",
	}
	chatStates = []string{"active", "composing", "paused", "inactive", "gone"}
	features   = []string{
		"http://jabber.org/protocol/caps", "http://jabber.org/protocol/disco#info",
		"http://jabber.org/protocol/disco#items", "http://jabber.org/protocol/commands",
		"http://jabber.org/protocol/pubsub#publish", "jabber:iq:roster", "jabber:iq:version",
		"jabber:iq:last", "jabber:iq:private", "jabber:iq:register", "msgoffline",
		"urn:xmpp:blocking", "urn:xmpp:carbons:2", "urn:xmpp:mam:2", "urn:xmpp:ping",
		"urn:xmpp:time", "urn:xmpp:sid:0", "urn:xmpp:push:0", "vcard-temp",
		"urn:xmpp:http:upload:0", "urn:xmpp:bookmarks:1#compat", "urn:xmpp:mds:displayed:0+notify",
		"urn:xmpp:avatar:metadata+notify", "http://jabber.org/protocol/nick+notify",
	}
)

// sentence returns a chat text of about n characters.
func (g *gen) sentence(n int) string {
	var b strings.Builder
	for b.Len() < n {
		if b.Len() > 0 {
			switch k := g.r.IntN(100); {
			case k < 4:
				b.WriteByte('\n')
			case k < 10:
				b.WriteString(". ")
			case k < 13:
				b.WriteString(", ")
			default:
				b.WriteByte(' ')
			}
		}
		switch k := g.r.IntN(100); {
		case k < 4:
			b.WriteString(g.pick(specials))
		case k < 8:
			b.WriteString(g.pick(emoji))
		case k < 11:
			b.WriteString(g.pick(cjk))
		default:
			b.WriteString(g.pick(words))
		}
	}
	return b.String()
}

// body returns a message body of 20–400 bytes, skewed towards short ones as
// chat is.
func (g *gen) body() string {
	n := 20 + g.r.IntN(60)
	if g.chance(30) {
		n = 20 + g.r.IntN(380)
	}
	s := g.sentence(n)
	if len(s) > 400 {
		// Cut at a space so no UTF-8 sequence is split.
		if i := strings.LastIndexByte(s[:400], ' '); i >= 20 {
			s = s[:i]
		}
	}
	return s
}

func (g *gen) countBody(body string) {
	g.st.Bodies++
	g.st.BodyBytes += len(body)
	g.bodies = append(g.bodies, body)
}

func (g *gen) message() {
	g.quote()
	g.st.Messages++
	switch n := g.r.IntN(1000); {
	case n < 250:
		g.chatState()
	case n < 350:
		g.groupchat()
	case n < 400:
		g.carbon()
	case n < 405:
		g.messageError()
	default:
		g.chat()
	}
}

// chatState writes a message whose only content is a chat state.
func (g *gen) chatState() {
	g.st.ChatStateOnly++
	c := g.contact()
	attrs := []string{"from", g.full(c), "to", Self, "type", "chat"}
	if g.chance(50) {
		attrs = append(attrs, "id", g.id())
	}
	g.start("message", attrs...)
	g.buf.WriteByte('>')
	g.empty(g.pick(chatStates[1:]), "xmlns", nsChatStates)
	g.end("message")
}

// chat writes a one-to-one chat message with a body and the extensions
// modern clients add.
func (g *gen) chat() {
	c := g.contact()
	id := g.id()
	attrs := []string{"type", "chat", "id", id, "from", g.full(c), "to", Self}
	if g.chance(40) {
		attrs = append(attrs, "xml:lang", "en")
	}
	g.start("message", attrs...)
	g.buf.WriteByte('>')
	body := g.body()
	g.elem("body", body)
	g.countBody(body)
	if g.chance(3) {
		g.elem("body", g.body(), "xml:lang", "de")
	}
	if g.chance(2) {
		g.elem("subject", g.sentence(15))
	}
	if g.chance(15) {
		attrs := []string{}
		if g.chance(20) {
			attrs = append(attrs, "parent", g.uuid())
		}
		g.elem("thread", g.token(20, alnum), attrs...)
	}
	if g.chance(80) {
		g.empty("active", "xmlns", nsChatStates)
	}
	if g.chance(60) {
		g.empty("request", "xmlns", nsReceipts)
	}
	if g.chance(20) {
		g.empty("markable", "xmlns", "urn:xmpp:chat-markers:0")
	}
	if g.chance(50) {
		g.empty("origin-id", "xmlns", nsSID, "id", id)
	}
	if g.chance(70) {
		g.empty("stanza-id", "xmlns", nsSID, "id", g.uuid(), "by", "juliet@example.com")
	}
	if g.chance(15) {
		g.delay(c.bare[strings.IndexByte(c.bare, '@')+1:], "Offline Storage")
	}
	g.end("message")
}

func (g *gen) delay(from, reason string) {
	if reason == "" || g.chance(50) {
		g.empty("delay", "xmlns", nsDelay, "from", from, "stamp", g.stamp())
		return
	}
	g.elem("delay", reason, "xmlns", nsDelay, "from", from, "stamp", g.stamp())
}

// groupchat writes a MUC message (XEP-0045 §7.4).
func (g *gen) groupchat() {
	g.st.Groupchat++
	r := &g.rooms[g.r.IntN(len(g.rooms))]
	g.start("message", "from", r.bare+"/"+g.pick(r.nicks), "to", Self, "type", "groupchat", "id", g.id())
	g.buf.WriteByte('>')
	body := g.body()
	g.elem("body", body)
	g.countBody(body)
	if g.chance(50) {
		g.empty("active", "xmlns", nsChatStates)
	}
	g.empty("occupant-id", "xmlns", nsOccupantID, "id", base64.StdEncoding.EncodeToString([]byte(g.token(24, alnum))))
	g.empty("stanza-id", "xmlns", nsSID, "id", g.uuid(), "by", r.bare)
	if g.chance(10) {
		g.delay(r.bare, "")
	}
	g.end("message")
}

// carbon writes a received carbon (XEP-0280 §6): the body is inside the
// forwarded copy, so the outer message has none.
func (g *gen) carbon() {
	g.st.Carbons++
	c := g.contact()
	g.start("message", "from", "juliet@example.com", "to", Self, "type", "chat")
	g.buf.WriteByte('>')
	g.start("received", "xmlns", nsCarbons)
	g.buf.WriteByte('>')
	g.start("forwarded", "xmlns", nsForward)
	g.buf.WriteByte('>')
	g.start("message", "xmlns", "jabber:client", "type", "chat", "id", g.id(),
		"from", g.full(c), "to", "juliet@example.com/Conversations.Ab3dE")
	g.buf.WriteByte('>')
	g.elem("body", g.body())
	g.empty("active", "xmlns", nsChatStates)
	g.empty("request", "xmlns", nsReceipts)
	g.end("message")
	g.end("forwarded")
	g.end("received")
	g.end("message")
}

// messageError writes a bounced message (RFC 6120 §8.3).
func (g *gen) messageError() {
	g.st.Errors++
	c := g.contact()
	g.start("message", "from", c.bare, "to", Self, "type", "error", "id", g.id())
	g.buf.WriteByte('>')
	g.start("error", "type", "cancel", "by", c.bare[strings.IndexByte(c.bare, '@')+1:])
	g.buf.WriteByte('>')
	g.empty("service-unavailable", "xmlns", nsStanzas)
	if g.chance(50) {
		g.elem("text", "Recipient & its server are unreachable", "xmlns", nsStanzas, "xml:lang", "en")
	}
	g.end("error")
	g.end("message")
}

func (g *gen) capsVer() string {
	sum := sha1.Sum([]byte(g.token(16, alnum)))
	return base64.StdEncoding.EncodeToString(sum[:])
}

func (g *gen) presence() {
	g.quote()
	g.st.Presences++
	muc := g.chance(15)
	var from string
	if muc {
		r := &g.rooms[g.r.IntN(len(g.rooms))]
		from = r.bare + "/" + g.pick(r.nicks)
	} else {
		from = g.full(g.contact())
	}
	attrs := []string{"from", from, "to", Self}
	if g.chance(30) {
		attrs = append(attrs, "id", g.id())
	}
	if g.chance(15) {
		g.st.Unavailable++
		attrs = append(attrs, "type", "unavailable")
		if !muc && !g.chance(30) {
			g.empty("presence", attrs...)
			return
		}
		g.start("presence", attrs...)
		g.buf.WriteByte('>')
		if g.chance(30) {
			g.elem("status", g.pick(statuses))
		}
		if muc {
			g.mucUser()
		}
		g.end("presence")
		return
	}
	if g.chance(20) {
		attrs = append(attrs, "xml:lang", "en")
	}
	g.start("presence", attrs...)
	g.buf.WriteByte('>')
	switch n := g.r.IntN(100); {
	case n < 40: // plain available
	case n < 65:
		g.elem("show", "away")
	case n < 80:
		g.elem("show", "xa")
	case n < 92:
		g.elem("show", "dnd")
	default:
		g.elem("show", "chat")
	}
	if g.chance(45) {
		g.elem("status", g.pick(statuses))
	}
	if g.chance(70) {
		g.elem("priority", fmt.Sprint(g.r.IntN(128)-(g.r.IntN(2)*10)))
	}
	if g.chance(85) {
		g.empty("c", "xmlns", nsCaps, "hash", "sha-1", "node", g.pick(capsNodes), "ver", g.capsVer())
	}
	if g.chance(50) {
		g.start("x", "xmlns", nsVCardX)
		g.buf.WriteByte('>')
		sum := sha1.Sum([]byte(from))
		g.elem("photo", hex.EncodeToString(sum[:]))
		g.end("x")
	}
	if muc {
		g.mucUser()
	}
	if g.chance(10) {
		g.delay("example.com", "")
	}
	g.end("presence")
}

func (g *gen) mucUser() {
	g.start("x", "xmlns", nsMUCUser)
	g.buf.WriteByte('>')
	affs := []string{"none", "member", "member", "admin", "owner"}
	roles := []string{"participant", "participant", "moderator", "visitor"}
	attrs := []string{"affiliation", g.pick(affs), "role", g.pick(roles)}
	if g.chance(30) {
		attrs = append(attrs, "jid", g.full(g.contact()))
	}
	g.empty("item", attrs...)
	g.end("x")
}

func (g *gen) iq() {
	g.quote()
	g.st.IQs++
	switch n := g.r.IntN(100); {
	case n < 15:
		g.roster()
	case n < 55:
		g.discoInfo()
	case n < 80:
		g.st.Pings++
		g.start("iq", "from", "example.com", "to", Self, "id", g.id(), "type", "get")
		g.buf.WriteByte('>')
		g.empty("ping", "xmlns", nsPing)
		g.end("iq")
	default:
		g.st.EmptyIQs++
		g.empty("iq", "from", "juliet@example.com", "to", Self, "id", g.id(), "type", "result")
	}
}

// roster writes a roster result of 50 items (RFC 6121 §2.1.4).
func (g *gen) roster() {
	g.st.Rosters++
	g.start("iq", "to", Self, "id", g.id(), "type", "result")
	g.buf.WriteByte('>')
	g.start("query", "xmlns", nsRoster, "ver", g.token(16, "0123456789abcdef"))
	g.buf.WriteByte('>')
	subs := []string{"both", "both", "both", "to", "from", "none"}
	start := g.r.IntN(len(g.contacts))
	for i := range 50 {
		c := &g.contacts[(start+i)%len(g.contacts)]
		attrs := []string{"jid", c.bare, "subscription", g.pick(subs)}
		if g.chance(85) {
			attrs = append(attrs, "name", c.name)
		}
		if g.chance(5) {
			attrs = append(attrs, "ask", "subscribe")
		}
		if g.chance(10) {
			g.empty("item", attrs...)
			continue
		}
		g.start("item", attrs...)
		g.buf.WriteByte('>')
		g.elem("group", c.group)
		if g.chance(10) {
			g.elem("group", g.pick(groups))
		}
		g.end("item")
	}
	g.end("query")
	g.end("iq")
}

// discoInfo writes a service discovery result (XEP-0030 §3.1) for a contact's
// client or for the server.
func (g *gen) discoInfo() {
	g.st.DiscoInfos++
	var from, node string
	server := g.chance(30)
	if server {
		from = "example.com"
	} else {
		from = g.full(g.contact())
		node = g.pick(capsNodes) + "#" + g.capsVer()
	}
	g.start("iq", "from", from, "to", Self, "id", g.id(), "type", "result")
	g.buf.WriteByte('>')
	if node != "" {
		g.start("query", "xmlns", nsDiscoInfo, "node", node)
	} else {
		g.start("query", "xmlns", nsDiscoInfo)
	}
	g.buf.WriteByte('>')
	if server {
		g.empty("identity", "category", "server", "type", "im", "name", "Prosody")
		g.empty("identity", "category", "pubsub", "type", "pep", "name", "Prosody")
	} else {
		g.empty("identity", "category", "client", "type", g.pick([]string{"pc", "phone"}), "name", "Gajim", "xml:lang", "en")
	}
	off := g.r.IntN(len(features))
	for i := range 18 + g.r.IntN(5) {
		g.empty("feature", "var", features[(off+i)%len(features)])
	}
	if server && g.chance(50) {
		// Extended information (XEP-0128, XEP-0157).
		g.start("x", "xmlns", nsDataForms, "type", "result")
		g.buf.WriteByte('>')
		g.start("field", "var", "FORM_TYPE", "type", "hidden")
		g.buf.WriteByte('>')
		g.elem("value", "http://jabber.org/network/serverinfo")
		g.end("field")
		g.start("field", "var", "abuse-addresses", "type", "list-multi")
		g.buf.WriteByte('>')
		g.elem("value", "mailto:abuse@example.com")
		g.elem("value", "xmpp:abuse@example.com")
		g.end("field")
		g.end("x")
	}
	g.end("query")
	g.end("iq")
}
