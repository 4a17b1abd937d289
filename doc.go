// Package xmpp is an embeddable XMPP client library: messaging, presence and
// structured XML exchange over the protocol of RFC 6120, RFC 6121 and
// RFC 7622.
//
// # Layers
//
// The package is built in layers that point down:
//
//   - A streaming XML tokenizer of its own (internal/xmltok) reads the peer's
//     stream with a bounded buffer and rejects what RFC 6120 §11.1 forbids:
//     comments, processing instructions, DTDs and entity references other
//     than the five predefined ones. Every limit (stanza size, nesting depth,
//     attribute count) has a safe default; see [Limits].
//   - The stanza codec: [Decoder] turns the stream into *[Message],
//     *[Presence] and *[IQ] values and keeps every child element it has no
//     field for as an [Element], losslessly; [DecodeStanza] does the same
//     for a stanza carried inside another element; [Encoder] writes them
//     back with every string escaped, so no field can inject markup. Each
//     kind of stanza has a type of its own ([MessageType], [PresenceType],
//     [IQType]) whose values are constants, so a misspelt type does not
//     compile; the zero values are the defaults of the wire, a normal
//     message and an available presence, written as no type attribute.
//   - [JID] is an RFC 7622 address, normalised with PRECIS and IDNA2008 and
//     comparable with ==.
//   - The session, [Client], owns the connection: SRV lookup, STARTTLS or
//     direct TLS (XEP-0368), SASL with SCRAM-*-PLUS channel binding, resource
//     binding, handler dispatch and IQ round trips.
//   - Features (roster, presence, and one package per XEP: disco, ping, mam,
//     …) are small functions over a [Session], the interface *Client
//     implements, and handlers registered on a [Mux], the [Handler] a
//     session is given in [Options]. Handlers are handed the Session a
//     stanza came on, so features work over any session that implements
//     it.
//
// # Concurrency
//
// Every method of a [Client] is safe for concurrent use, handlers included.
// A Client reads its connection on a goroutine of its own that never waits
// for user code: IQ replies, stream management acks (XEP-0198) and pings
// are read however slow the handlers are, so a handler may block, and may
// call SendIQ with context.Background(). Handlers run one at a time, in the
// order the stanzas arrived, on another goroutine; what waits for them is
// bounded by [Options].HandlerQueueBytes, past which the session stops
// reading (nothing is lost). One owner goroutine per Client has the
// lifecycle: reconnection, status changes and the end of the session.
// [Client.Close] is bounded in every state. The Client type's doc lists
// the goroutines and the lock order.
//
// # Errors
//
// Errors are typed for [errors.As]: *[StreamError] for stream-level failures
// (received, or detected in the peer's XML), *[StanzaError] for stanza errors
// such as an IQ reply of type "error", *[SASLError] for a failed login, and
// *[MalformedError], matching [ErrMalformed], for a payload that breaks its
// specification, from every feature package. The conditions are errors too
// ([StreamCondition], [StanzaCondition], [SASLCondition]), which each error
// matches under [errors.Is]:
//
//	_, err := c.SendIQ(ctx, req)
//	if errors.Is(err, xmpp.ErrItemNotFound) { ... }
//
// A few sentinels cover the rest: [ErrNilStanza], [ErrUnsupportedStanza],
// [ErrInvalidText] and [ErrInvalidIQ] for a stanza refused before anything
// is written, [ErrNoService] and [ErrBadAddress] for a server that cannot be
// reached, [ErrInvalidJID] for an address.
//
// # Security
//
// TLS is required and verified against the JID's domain unless an option
// whose name begins with Insecure says otherwise; see [Options].
package xmpp
