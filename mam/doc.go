// Package mam queries message archives with Message Archive Management,
// XEP-0313 version 1.1 (https://xmpp.org/extensions/xep-0313.html), in its
// urn:xmpp:mam:2 namespace, paging through them with Result Set Management
// (XEP-0059, package rsm).
//
// # Use
//
// [Register] an [Archive] on the session's [xmpp.Mux] before Dial, then
// call [Archive.Fetch] for one page of an archive, and [Page.Next] or
// [Page.Prev] for the pages after or before it:
//
//	mux := xmpp.NewMux()
//	archive := mam.Register(mux, nil)
//	c, err := xmpp.Dial(ctx, jid, password, &xmpp.Options{Handler: mux})
//	...
//	page, err := archive.Fetch(ctx, c, xmpp.JID{}, mam.Query{With: bob, RSM: rsm.Set{Max: 50}})
//
// # How results arrive
//
// The archive answers a query (XEP-0313 §4) with one <message/> per
// archived message, each holding a <result/> with the query's queryid and
// the archived message's id, wrapped in a <forwarded/> (XEP-0297) with a
// <delay/> (XEP-0203) for its time, and then with the IQ result, whose
// <fin/> says whether the page is the last one and carries the RSM page
// description.
// The Archive's message handler hands each result to the Fetch waiting for
// its queryid, and Fetch returns once the IQ result and every message it
// announces have arrived.
//
// A result is accepted only if its queryid is that of a running Fetch on
// the same session and it comes from the archive queried: for the account's
// own archive, from the account's bare JID or with no from; otherwise from
// exactly the JID queried, as the XEP's Security Considerations require.
// Anything else is ignored, logged and counted in [Archive.Ignored].
//
// The Archive takes archive results on the Mux (xmpp.Mux.Watch) as the
// session reads them, so the application's own message handlers never see
// them as new messages, not even the spoofed ones it ignored. [HasResult]
// tells results apart for applications that handle messages without a Mux.
//
// Because the results are taken on the session's reader goroutine, not the
// handler goroutine, Fetch (and Page.Next, Page.Prev) may be called from a
// handler.
//
// # Limits
//
// One Fetch keeps at most [Options].MaxResults messages (default 250) and
// always asks the archive for no more than that; a server that sends more
// makes Fetch fail with [ErrTooManyResults]. Malformed results and replies
// are a *[xmpp.MalformedError], never a panic.
package mam
