// Package receipts implements XEP-0184: Message Delivery Receipts, version
// 1.4.0.
//
// A sender asks for a receipt by adding <request xmlns='urn:xmpp:receipts'/>
// to a message that has an id ([AddRequest]); the recipient's client answers
// with a message carrying <received xmlns='urn:xmpp:receipts' id='...'/>
// naming that id ([Reply], or automatically with [Register]). [From] reads a
// receipt out of an inbound message.
//
// Following the business rules of the XEP, no receipt is sent for a message
// without an id, a message of type error, or a groupchat message, and a
// receipt is never requested on a message without an id.
//
// A receipt tells the sender that one of the user's clients is online. To
// answer only some senders (say, contacts in the roster), register with
// auto false and send what [Reply] returns where it fits.
//
// A payload that breaks the XEP is an *[xmpp.MalformedError] with Spec
// "XEP-0184", matching [xmpp.ErrMalformed].
package receipts
