// Package sid implements XEP-0359: Unique and Stable Stanza IDs, version
// 0.7.0.
//
// A <stanza-id xmlns='urn:xmpp:sid:0' id='...' by='...'/> is added by an
// entity that handles a message, typically the account's archive (XEP-0313)
// or a MUC room, naming itself in by. An <origin-id id='...'/> is added by
// the sending client.
//
// Anyone can put a stanza-id into a message, so a client must only trust
// one whose by is the entity it expects, and must have checked that this
// entity announces urn:xmpp:sid:0 (§6); [From] therefore takes the expected
// by and ignores stanza-ids of other entities. A server that supports the
// XEP also strips stanza-ids claiming to be by it from messages it routes.
//
// A payload that breaks the XEP is an *[xmpp.MalformedError] with Spec
// "XEP-0359", matching [xmpp.ErrMalformed].
package sid
