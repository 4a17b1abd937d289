// Package disco implements XEP-0030: Service Discovery, version 2.5rc3
// (2017-10-03), for clients: asking another entity what it is and what it
// supports (disco#info, §3), and what items it has (disco#items, §4), and
// answering those questions about the client itself.
//
// Extended information (XEP-0128: Service Discovery Extensions, version
// 1.0) is kept as the jabber:x:data forms of a disco#info
// reply, in [Info.Forms]; [Info.Form] parses the one of a FORM_TYPE (package
// forms). [Handler.AddForm] adds such a form to the client's own answer.
//
// The answering side is built on an [xmpp.Mux]: [Register] adds handlers for
// both namespaces, and the features it reports are exactly those of the
// handlers registered on the same Mux, so a peer learns what the client
// really implements:
//
//	mux := xmpp.NewMux()
//	ping.Register(mux)
//	disco.Register(mux, disco.Identity{Category: "client", Type: "pc", Name: "gojabber"})
//	c, err := xmpp.Dial(ctx, jid, password, &xmpp.Options{Handler: mux})
//
// [GetInfo] and [GetItems] take an [xmpp.Session], such as an *xmpp.Client,
// and the handlers this package registers work over whatever session their
// Mux serves. A payload that breaks the XEP is an *[xmpp.MalformedError]
// with Spec "XEP-0030", matching [xmpp.ErrMalformed].
package disco
