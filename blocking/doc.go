// Package blocking implements XEP-0191: Blocking Command, version 1.3.
//
// The server keeps a block list per account: it drops stanzas from a
// blocked JID and keeps the account's presence and messages from reaching
// it. [List] reads the list, [Block] and [Unblock] change it. When any
// resource of the account changes the list, the server pushes the change to
// every resource that has asked for the list; [Register] answers those
// pushes and reports them to a hook.
//
// A push is accepted only from the account itself (no from, or the account's
// bare JID); one from anybody else is answered with an error and not
// reported, like a roster push (RFC 6121 §2.1.6).
//
// What servers do with blocked traffic differs (tested with Prosody 0.12
// and ejabberd 23.01). A message from a blocked JID is dropped silently by
// Prosody and bounced to its sender with service-unavailable by ejabberd. A
// message to a blocked JID is refused with not-acceptable by both; only
// Prosody adds the <blocked xmlns='urn:xmpp:blocking:errors'/> condition
// that [IsBlocked] looks for, as ejabberd implements blocking over privacy
// lists (XEP-0016).
//
// [List], [Block] and [Unblock] take an [xmpp.Session], such as an
// *xmpp.Client, and the handlers this package registers work over whatever
// session their Mux serves. A payload that breaks the XEP is an
// *[xmpp.MalformedError] with Spec "XEP-0191", matching [xmpp.ErrMalformed].
package blocking
