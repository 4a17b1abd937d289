// Package carbons implements XEP-0280: Message Carbons, version 1.0.1.
//
// With carbons enabled ([Enable]), the server copies to this session the
// chat messages that the account's other resources send and receive. A copy
// arrives as a message from the account's bare JID holding <received/> or
// <sent/>, which wraps an XEP-0297 <forwarded/> message. [Register] unwraps
// them for a handler.
//
// Anyone can send a message that looks like a carbon, and a client that
// believed one would show a message the user never sent or received
// (CVE-2017-5589 and its kin). A carbon is therefore accepted only when its
// outer from is the account's own bare JID, as its Security Considerations require; others are
// dropped and counted in [Stats]. [Unwrap] applies the same rule for callers
// with their own handlers.
//
// [AddPrivate] keeps one outgoing message from being copied (section "Avoiding
// Carbons for a Single Message").
//
// Server behaviour, as tested against Prosody 0.12 and ejabberd 23.01:
// both copy messages sent to and from another full JID of the account, but
// ejabberd copied nothing until the resources had sent available presence;
// both
// honour <private/>; and both pass on, unchanged, a message whose sender
// wrapped it to look like a carbon, which is why the from check matters.
//
// [Enable] and [Disable] take an [xmpp.Session], such as an *xmpp.Client,
// and the handlers this package registers work over whatever session their
// Mux serves. A payload that breaks the XEP is an *[xmpp.MalformedError]
// with Spec "XEP-0280", matching [xmpp.ErrMalformed].
package carbons
