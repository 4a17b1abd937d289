// Package last implements XEP-0012: Last Activity, version 2.0
// (2008-11-26): asking an entity how long ago it was last active, and
// answering the same question about the client.
//
// What the answer means depends on who answers (§2): for a server or
// component, its uptime (§5); for a bare JID, answered by the user's server,
// how long ago the user logged out, with the status of that time (§3); for a
// full JID, answered by the client, how long the user has been idle (§4).
//
// [Get] take an [xmpp.Session], such as an *xmpp.Client, and the handlers
// this package registers work over whatever session their Mux serves. A
// payload that breaks the XEP is an *[xmpp.MalformedError] with Spec
// "XEP-0012", matching [xmpp.ErrMalformed].
package last
