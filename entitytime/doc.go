// Package entitytime implements XEP-0202: Entity Time, version 2.0
// (2009-09-11): asking an entity for its clock, in UTC with its time zone
// offset, and answering the same question about the client. Times and
// offsets follow the DateTime and TZD profiles of XEP-0082: XMPP Date and
// Time Profiles.
//
// The package is not called time, so that it does not hide the standard
// library's.
//
// [Get] take an [xmpp.Session], such as an *xmpp.Client, and the handlers
// this package registers work over whatever session their Mux serves. A
// payload that breaks the XEP is an *[xmpp.MalformedError] with Spec
// "XEP-0202", matching [xmpp.ErrMalformed].
package entitytime
