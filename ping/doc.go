// Package ping implements XEP-0199: XMPP Ping, version 2.0.1 (2019-03-26):
// an IQ round trip that tells whether an entity, or the stream to it, is
// alive (§4), and the answer to pings the client receives.
//
// [Ping] takes an [xmpp.Session], such as an *xmpp.Client; [Register]
// answers pings on whatever session its Mux serves.
package ping
