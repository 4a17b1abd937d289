// Package pubsub implements XEP-0060: Publish-Subscribe, version 1.26.0
// (https://xmpp.org/extensions/xep-0060.html), for pubsub services and for
// the Personal Eventing Protocol of XEP-0163, version 1.2.2, which lives here
// too (a PEP service is a pubsub service at the user's own account), and
// publishing with preconditions as XEP-0223 (Persistent Storage of Private
// Data via PubSub), version 1.1.1, describes.
//
// # Calls
//
// Every call takes the session and the service's JID; a zero JID addresses
// the user's own account, that is its PEP service:
//
//   - nodes (§8): [Create], [GetConfig], [Configure], [Delete], [Purge];
//   - items (§7, §6.5): [Publish] (returning the id the service assigned),
//     [PublishWith] (publish-options, §7.1.5), [Retract], [GetItems] by id,
//     by max_items or page by page with XEP-0059 ([Query]);
//   - subscriptions (§6): [Subscribe] (with options), [Unsubscribe],
//     [Subscriptions], [Affiliations];
//   - owner management (§8.8, §8.9): [NodeSubscriptions],
//     [SetSubscriptions], [NodeAffiliations], [SetAffiliations].
//
// # Events
//
// [Register] delivers the notifications of a service (§7.1.2.1, §7.2.2.1,
// §8.2.5, §8.4.2, §8.5.2) as typed [Event] values, in the order they
// arrive: [ItemsEvent], [RetractEvent], [ConfigEvent], [DeleteEvent],
// [PurgeEvent]. [ParseEvent] reads them from one message.
//
// # PEP
//
// A PEP service sends a contact's items to the client's resources that say,
// in their entity capabilities (XEP-0115), that they want them: the feature
// node+"+notify" (XEP-0163 §4). [Notify] adds it to a Mux's features, so
// that a disco.Handler lists it and caps.Advertise hashes it; call it before
// caps.Advertise and initial presence, and the server sends the last item of
// every such node of every contact right after the presence. Publishing to a
// PEP node that does not exist creates it (XEP-0163 §3).
//
// # Errors
//
// An error reply of a service is an *[Error], which unwraps to the
// *xmpp.StanzaError and matches its application condition ([Condition],
// §20.5) under errors.Is:
//
//	_, err := pubsub.PublishWith(ctx, c, xmpp.JID{}, node, item, opts)
//	switch {
//	case errors.Is(err, pubsub.ErrNotSupported): // no publish-options
//	case errors.Is(err, pubsub.ErrPreconditionNotMet):
//	case errors.Is(err, xmpp.ErrItemNotFound):
//	}
//
// A reply or event that breaks XEP-0060 is an *xmpp.MalformedError with Spec
// "XEP-0060".
package pubsub
