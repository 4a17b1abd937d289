// Package correction implements XEP-0308: Last Message Correction, version
// 1.2.1.
//
// A correction is a new message whose body replaces that of an earlier one;
// it carries <replace xmlns='urn:xmpp:message-correct:0' id='...'/> naming
// the id of the message it corrects. [Add] makes a message one, [From] reads
// it. [Register] advertises support, which §2 requires of clients.
//
// A receiver must only apply a correction that comes from the same full JID
// (or, in a groupchat, the same occupant) as the original message (Business Rules); see
// [Applies].
//
// A payload that breaks the XEP is an *[xmpp.MalformedError] with Spec
// "XEP-0308", matching [xmpp.ErrMalformed].
package correction
