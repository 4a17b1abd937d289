// Package delay implements XEP-0203: Delayed Delivery, version 2.0, and the
// DateTime profile of XEP-0082: XMPP Date and Time Profiles, version 1.1.
//
// A <delay xmlns='urn:xmpp:delay'/> element says when a stanza was first
// sent (stamp, required), by whom it was delayed (from, optional) and why
// (its text, optional). Servers add it to offline messages, and
// XEP-0297 forwarded messages carry it too.
//
// A payload that breaks the XEP is an *[xmpp.MalformedError] with Spec
// "XEP-0203", matching [xmpp.ErrMalformed]; a bad stamp is one with Spec
// "XEP-0082", which [Parse] wraps.
package delay
