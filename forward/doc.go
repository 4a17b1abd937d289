// Package forward implements XEP-0297: Stanza Forwarding, version 1.0.
//
// A <forwarded xmlns='urn:xmpp:forward:0'/> element wraps a copy of a
// message, optionally with a <delay/> (XEP-0203) saying when it was first
// sent. Message Carbons (XEP-0280) and Message Archive Management
// (XEP-0313) deliver their messages this way. [Parse] decodes the inner
// message into an *xmpp.Message with the library's own stanza decoder, so it
// gets the same checks and limits as a message read from the stream.
//
// A forwarded message is only a claim by whoever sent the outer stanza:
// its from is not checked by any server. Trust it only as far as that
// sender is trusted; package carbons, for example, accepts carbons
// only from the account's own bare JID.
//
// A payload that breaks the XEP is an *[xmpp.MalformedError] with Spec
// "XEP-0297", matching [xmpp.ErrMalformed].
package forward
