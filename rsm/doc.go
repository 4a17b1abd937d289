// Package rsm implements Result Set Management, XEP-0059 version 1.0
// (https://xmpp.org/extensions/xep-0059.html): the <set/> element in the
// http://jabber.org/protocol/rsm namespace with which a requester pages
// through a large result set and a responder describes the page it returned.
//
// A [Set] is the request (§2: <max/>, <after/>, <before/>, <index/>); a
// [Result] is the response (§2.1: <first/> with its index, <last/>,
// <count/>). Both convert to and from an [xmpp.Element], so that other
// feature packages, such as mam for XEP-0313, can carry them in their own
// payloads. Parsing never panics: a <set/> that breaks the XEP's rules is a
// *[xmpp.MalformedError].
package rsm
