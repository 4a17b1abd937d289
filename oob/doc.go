// Package oob implements the message form of XEP-0066: Out of Band Data,
// version 1.5 (2006-08-16): a <x xmlns='jabber:x:oob'/> element in a
// message that points at a URL, with an optional description (§3).
//
// Clients that display files inline (images, audio, video) do so when a
// message carries an OOB element whose URL is also the message's body, the
// convention of clients such as Conversations, Dino and Gajim for files
// shared with XEP-0363 HTTP File Upload; [Add] with a body equal to the
// URL builds such a message, and package upload sends one in a single
// call. On the receiving side [From] finds the link.
//
// The IQ form of XEP-0066 (jabber:iq:oob, §4), where the receiver fetches
// the file and answers the IQ, is not implemented.
//
// A URL that is empty, longer than [MaxURLLength] or not an absolute URL
// is an *[xmpp.MalformedError] (errors.Is(err, xmpp.ErrMalformed)).
package oob
