// Package version implements XEP-0092: Software Version, version 1.1
// (2007-02-15): asking an entity for the name and version of its software
// and its operating system, and answering the same question about the
// client.
//
// Revealing the operating system helps attackers (§5); leave it empty in
// Register to keep it private.
//
// [Get] take an [xmpp.Session], such as an *xmpp.Client, and the handlers
// this package registers work over whatever session their Mux serves. A
// payload that breaks the XEP is an *[xmpp.MalformedError] with Spec
// "XEP-0092", matching [xmpp.ErrMalformed].
package version
