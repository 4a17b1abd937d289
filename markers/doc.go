// Package markers implements XEP-0333: Chat Markers, version 0.4, whose
// namespace urn:xmpp:chat-markers:0 is unchanged in version 1.0.0
// (renamed Displayed Markers, which keeps only markable and displayed).
//
// A sender marks a message as markable ([AddMarkable]); the recipient answers
// with a received, displayed or acknowledged marker naming the id of that
// message ([Marker.Element]). [From] reads a marker out of a message, and
// [Register] advertises support, which the XEP asks clients to do.
//
// A payload that breaks the XEP is an *[xmpp.MalformedError] with Spec
// "XEP-0333", matching [xmpp.ErrMalformed].
package markers
