// Package chatstates implements XEP-0085: Chat State Notifications, version
// 2.1.
//
// A chat state is one of five empty elements in the
// http://jabber.org/protocol/chatstates namespace: active, composing,
// paused, inactive and gone. [Add] adds one to a message ([State.Element]
// builds the element), [From] reads the state an inbound message carries,
// and [Register]
// advertises support, which the XEP asks clients to do through service discovery.
//
// A payload that breaks the XEP is an *[xmpp.MalformedError] with Spec
// "XEP-0085", matching [xmpp.ErrMalformed].
package chatstates
