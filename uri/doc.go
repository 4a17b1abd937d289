// Package uri parses and builds xmpp: URIs and IRIs as RFC 5122 defines
// them, with the query actions of XEP-0147: XMPP URI Scheme Query
// Components, version 1.2 (2006-09-13), and the querytypes that other XEPs
// register with the XMPP Registrar (join and invite of XEP-0045, command of
// XEP-0050, vcard of XEP-0054, pubsub of XEP-0060, register and unregister
// of XEP-0077, recvfile and sendfile of XEP-0096, disco of XEP-0030).
//
// An xmpp: identifier (RFC 5122 §2.2) names an entity by its JID, optionally
// the account to act from (the authority, "//node@domain"), an action (the
// querytype) with its key=value pairs, and a fragment:
//
//	xmpp://guest@example.com/support@example.com?message;subject=Hello%20World#top
//
// [Parse] reads both forms: a URI (RFC 3986), in which every character
// outside US-ASCII is percent-encoded, and an IRI (RFC 3987), in which it may
// be written as it is. It percent-decodes each component and prepares the
// addresses as RFC 7622 JIDs (RFC 5122 §2.8), so the [URI] it returns holds
// canonical JIDs and plain Unicode strings. [URI.String] writes the URI form
// and [URI.IRI] the IRI form, each percent-encoding exactly what the grammar
// of that form does not allow in the component (RFC 5122 §2.7).
//
// Parse follows the grammar strictly: a character the grammar does not allow
// in a component, such as a literal space, a '/' in a resourcepart or an '='
// in a value, is an error rather than guessed at. The one leniency is in the
// query, where the characters RFC 3986 allows there other than ';' and '='
// (such as the '@' of a JID in the examples of XEP-0045) are accepted as
// they are; String and IRI always encode them. Every error is an
// *xmpp.MalformedError with Spec "RFC 5122", so errors.Is(err,
// xmpp.ErrMalformed) holds; an address that is not a valid JID also matches
// xmpp.ErrInvalidJID, with its *xmpp.JIDError in the chain.
//
// The package only reads and writes identifiers: what an application does
// with one is up to it. XEP-0147 §5 asks it to warn the user before acting
// on an identifier (joining a room, subscribing, running a command, ...),
// which may come from anywhere.
package uri
