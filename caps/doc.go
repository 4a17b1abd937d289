// Package caps implements XEP-0115: Entity Capabilities, version 1.6.0
// (2022-03-08): a hash of an entity's service discovery information
// (XEP-0030), the verification string, carried in a <c/> element of its
// presence, so that contacts ask for that information once per client
// configuration rather than once per contact.
//
// [Ver] computes the verification string of §5.1, extended information forms
// (XEP-0128) included; [Verify] checks a received one as §5.4 asks, refusing
// ill-formed information. A [Cache] keeps only verified information, keyed by
// hash and verification string, never by the sender's word. A [Resolver]
// turns a presence carrying <c/> into that information, asking the sender
// with disco#info (node#ver, §6.2) once per verification string.
//
// To advertise the client's own capabilities, register every feature's
// handlers and disco on one Mux, then attach [Advertise]'s element to the
// presence the client sends.
//
// [Resolver.Resolve] asks over an [xmpp.Session], such as an *xmpp.Client,
// usually the one the presence came on.
package caps
