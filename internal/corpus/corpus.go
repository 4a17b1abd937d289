// Package corpus generates a deterministic, realistic inbound XMPP client
// stream for benchmarks and differential tests of stream decoders.
//
// The stream is what a client reads after login: the server's
// <stream:stream> open tag (RFC 6120 §4.7) followed by stanzas and the
// closing </stream:stream>. By count, about 60% of the stanzas are messages
// (RFC 6121 §5), 30% presences (RFC 6121 §4) and 10% IQs (RFC 6120 §8.2.3).
//
// Messages carry bodies of 20–400 characters, with escaped markup
// characters, emoji, CJK and line breaks, and the usual extensions: chat
// states (XEP-0085), receipts (XEP-0184), delayed delivery (XEP-0203),
// stanza and origin ids (XEP-0359), threads, MUC occupant ids (XEP-0421) and
// carbons (XEP-0280). Presences carry show, status, priority, entity
// capabilities (XEP-0115), avatar hashes (XEP-0153) and MUC user data
// (XEP-0045). IQs are roster results of 50 items (RFC 6121 §2), service
// discovery results (XEP-0030), pings (XEP-0199) and empty results.
//
// The same size always yields the same bytes: the generator draws from a
// PCG source with a fixed seed.
package corpus

import (
	"bytes"
	"fmt"
	"hash"
	"hash/fnv"
	"math/rand/v2"
	"strings"
)

// DefaultSize is the size in bytes of the corpus the benchmarks use.
const DefaultSize = 10 << 20

// Self is the full JID of the client the stream is addressed to.
const Self = "juliet@example.com/gajim.XYZ12"

// Stats describes a generated stream so that a decoder's output can be
// checked against it.
type Stats struct {
	Bytes int // length of the stream

	Messages  int
	Presences int
	IQs       int

	// Message detail.
	ChatStateOnly int // messages whose only child is a chat state
	Groupchat     int // messages of type groupchat
	Carbons       int // messages wrapping a forwarded copy (XEP-0280)
	Errors        int // messages of type error

	// Presence detail.
	Unavailable int

	// IQ detail.
	Rosters    int
	DiscoInfos int
	Pings      int
	EmptyIQs   int // results without a payload

	// Bodies is the number of messages with a <body/>. BodyBytes is the
	// total length in bytes of their bodies after unescaping, and BodySum the
	// FNV-1a 64-bit hash of every such body in stream order, each followed by
	// a NUL byte (see [SumBodies]). Only the body without its own xml:lang
	// counts, and bodies inside forwarded messages do not.
	Bodies    int
	BodyBytes int
	BodySum   uint64
}

// Stanzas returns the number of top-level stanzas in the stream.
func (s Stats) Stanzas() int { return s.Messages + s.Presences + s.IQs }

// SumBodies returns the hash that [Stats.BodySum] holds for the given bodies.
func SumBodies(bodies []string) uint64 {
	h := fnv.New64a()
	for _, b := range bodies {
		h.Write([]byte(b))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// Header is the stream open tag, preceded by the XML declaration, that
// starts every generated stream.
const Header = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' ` +
	`xmlns:stream='http://etherx.jabber.org/streams' from='example.com' ` +
	`to='juliet@example.com' id='d7a1c0e2-5f3b-4e8a-9c61-2b7f0a4d8e15' ` +
	`version='1.0' xml:lang='en'>`

// Trailer closes the stream.
const Trailer = `</stream:stream>`

// Generate returns a stream of size bytes give or take 2%, and its
// statistics. A size of 0 or less means [DefaultSize].
func Generate(size int) ([]byte, Stats) {
	if size <= 0 {
		size = DefaultSize
	}
	g := &gen{
		r:     rand.New(rand.NewPCG(1, 2)),
		bodyH: fnv.New64a(),
	}
	g.buf.Grow(size + 16<<10)
	g.contacts = g.makeContacts(120)
	g.rooms = g.makeRooms(6)
	g.buf.WriteString(Header)
	for g.buf.Len()+len(Trailer) < size {
		mark, st := g.buf.Len(), g.st
		g.space()
		switch n := g.r.IntN(100); {
		case n < 60:
			g.message()
		case n < 90:
			g.presence()
		default:
			g.iq()
		}
		if over := g.buf.Len() + len(Trailer) - size; over > size/50 {
			// A large stanza would overshoot by more than 2%: end before it.
			g.buf.Truncate(mark)
			g.st = st
			g.bodies = g.bodies[:0]
			break
		}
		for _, b := range g.bodies {
			g.bodyH.Write([]byte(b))
			g.bodyH.Write([]byte{0})
		}
		g.bodies = g.bodies[:0]
	}
	g.space()
	g.buf.WriteString(Trailer)
	g.st.Bytes = g.buf.Len()
	g.st.BodySum = g.bodyH.Sum64()
	return g.buf.Bytes(), g.st
}

type contact struct {
	bare      string
	name      string
	resources []string
	group     string
}

type room struct {
	bare  string
	nicks []string
}

type gen struct {
	r        *rand.Rand
	buf      bytes.Buffer
	st       Stats
	bodyH    hash.Hash64
	bodies   []string // bodies of the stanza being written
	contacts []contact
	rooms    []room
	q        byte // attribute quote of the stanza being written
}

func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *gen) chance(percent int) bool { return g.r.IntN(100) < percent }

// space writes the inter-stanza whitespace some servers send: nothing, a
// newline, or a whitespace keepalive.
func (g *gen) space() {
	switch n := g.r.IntN(100); {
	case n < 70:
	case n < 95:
		g.buf.WriteByte('\n')
	default:
		g.buf.WriteString(" \n  ")
	}
}

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func (g *gen) token(n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.r.IntN(len(alphabet))]
	}
	return string(b)
}

func (g *gen) uuid() string {
	const hex = "0123456789abcdef"
	b := []byte(g.token(32, hex))
	b[12] = '4'
	b[16] = "89ab"[g.r.IntN(4)]
	return string(b[:8]) + "-" + string(b[8:12]) + "-" + string(b[12:16]) + "-" +
		string(b[16:20]) + "-" + string(b[20:])
}

// id returns a stanza id in the style of one of the common clients.
func (g *gen) id() string {
	switch g.r.IntN(4) {
	case 0, 1:
		return g.uuid()
	case 2:
		return g.token(12, alnum)
	default:
		return fmt.Sprintf("purple%08x", g.r.Uint32())
	}
}

func (g *gen) stamp() string {
	return fmt.Sprintf("2026-%02d-%02dT%02d:%02d:%02d.%03dZ",
		1+g.r.IntN(3), 1+g.r.IntN(28), g.r.IntN(24), g.r.IntN(60), g.r.IntN(60), g.r.IntN(1000))
}

var (
	locals = []string{
		"alice", "bob", "carol", "dave", "eve", "frank", "grace", "heidi", "ivan",
		"judy", "mallory", "oscar", "peggy", "rupert", "sybil", "trent", "victor",
		"walter", "mei", "hiro", "yuki", "lars", "ingrid", "pierre", "chloe",
		"mateo", "sofia", "arjun", "priya", "olga", "dmitri", "fatima", "omar",
	}
	domains = []string{
		"example.com", "example.org", "example.net", "jabber.example.de",
		"chat.example.fr", "xmpp.example.jp", "im.example.co.uk",
	}
	resourcePrefixes = []string{"gajim.", "Conversations.", "dino.", "monocles.", "psi.", "profanity.", "movim.", "siskin."}
	displayNames     = []string{
		"Alice Liddell", "Bob", "Carol & Co", "Dave <work>", "Eve", "Frank O'Hara",
		"Grace \"Admiral\" Hopper", "Heidi", "Ivan Petrov", "Judy", "Mei 梅", "山田 太郎",
		"Yuki ❄️", "Lars", "Ingrid Bergström", "Pierre-André", "Chloé", "Mateo",
		"Sofía", "Arjun", "Priya", "Olga", "Дмитрий", "فاطمة", "Omar",
	}
	groups    = []string{"Friends", "Family", "Work", "Colleagues & Partners", "Climbing", "Book club", "友達"}
	capsNodes = []string{
		"https://gajim.org", "http://conversations.im", "https://dino.im",
		"https://monocles.eu", "http://psi-im.org", "https://profanity-im.github.io",
		"https://movim.eu/", "https://siskin.im",
	}
)

func (g *gen) makeContacts(n int) []contact {
	cs := make([]contact, n)
	for i := range cs {
		local := g.pick(locals)
		if i >= len(locals) {
			local += fmt.Sprint(g.r.IntN(1000))
		}
		c := contact{
			bare:  local + "@" + g.pick(domains),
			name:  g.pick(displayNames),
			group: g.pick(groups),
		}
		for range 1 + g.r.IntN(3) {
			c.resources = append(c.resources, g.pick(resourcePrefixes)+g.token(5, alnum))
		}
		cs[i] = c
	}
	return cs
}

func (g *gen) makeRooms(n int) []room {
	names := []string{"xsf", "jdev", "gajim", "conversations", "offtopic", "prosody", "ejabberd", "dino"}
	rs := make([]room, n)
	for i := range rs {
		r := room{bare: names[i%len(names)] + "@conference." + g.pick(domains)}
		for len(r.nicks) < 20 {
			// Nicks are resourceparts (RFC 7622 §3.4): keep to names
			// without default-ignorable code points such as U+FE0F.
			if n := g.pick(displayNames); !strings.ContainsRune(n, '\uFE0F') {
				r.nicks = append(r.nicks, n)
			}
		}
		rs[i] = r
	}
	return rs
}

func (g *gen) contact() *contact { return &g.contacts[g.r.IntN(len(g.contacts))] }

func (g *gen) full(c *contact) string { return c.bare + "/" + g.pick(c.resources) }

// Escaping. Servers differ; Prosody escapes all five predefined entities in
// text and attribute values alike, which exercises unescaping the most.

var escaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&apos;", `"`, "&quot;",
)

func (g *gen) text(s string) { escaper.WriteString(&g.buf, s) }

// attr writes ` name='value'` with the stanza's quote character.
func (g *gen) attr(name, value string) {
	g.buf.WriteByte(' ')
	g.buf.WriteString(name)
	g.buf.WriteByte('=')
	g.buf.WriteByte(g.q)
	g.text(value)
	g.buf.WriteByte(g.q)
}

// start writes `<name` and the attributes given as name, value pairs, and
// leaves the tag open.
func (g *gen) start(name string, attrs ...string) {
	g.buf.WriteByte('<')
	g.buf.WriteString(name)
	for i := 0; i+1 < len(attrs); i += 2 {
		g.attr(attrs[i], attrs[i+1])
	}
}

// empty writes an empty element `<name attrs.../>`.
func (g *gen) empty(name string, attrs ...string) {
	g.start(name, attrs...)
	g.buf.WriteString("/>")
}

// elem writes `<name attrs...>text</name>`.
func (g *gen) elem(name, text string, attrs ...string) {
	g.start(name, attrs...)
	g.buf.WriteByte('>')
	g.text(text)
	g.end(name)
}

func (g *gen) end(name string) {
	g.buf.WriteString("</")
	g.buf.WriteString(name)
	g.buf.WriteByte('>')
}

// quote chooses the attribute quote of the next stanza: most servers use
// apostrophes, some use double quotes.
func (g *gen) quote() {
	g.q = '\''
	if g.chance(15) {
		g.q = '"'
	}
}
