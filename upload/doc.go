// Package upload implements XEP-0363: HTTP File Upload, version 1.1, on
// the client side, and sends the uploaded file as an XEP-0066 out-of-band
// link (package [github.com/gojabber/xmpp/oob], a package of its own since
// links are not only for uploads).
//
// The steps of the XEP are functions of their own:
//
//   - [Discover] finds the service (§3): the item of the server's
//     disco#items whose disco#info lists urn:xmpp:http:upload:0, with the
//     max-file-size of its XEP-0128 form (read with package forms).
//   - [RequestSlot] asks it for a slot for a [File] (§4): a PUT URL, the
//     headers to send along (only Authorization, Cookie and Expires are
//     kept, as §4 requires) and the GET URL to share.
//   - [Put] uploads the file (§4, the HTTP PUT), streamed from an io.Reader with
//     Content-Length and Content-Type set, never held in memory; an
//     [Options.Progress] callback sees it go, and canceling ctx aborts it.
//
// [Upload] does all three, and [SendFile] then sends the GET URL as a chat
// message with a jabber:x:oob element, which other clients show inline.
// On the receiving side, oob.From finds the link, and [Download] fetches
// it with a size limit.
//
// # HTTPS and trust
//
// PUT and GET URLs must be https (plain http only with
// [Options.InsecureAllowHTTP]), and certificates are verified. A
// [Session][github.com/gojabber/xmpp.Session] does not say what it
// trusts, so by default the package asks the session for a TLSConfig
// method, as [*xmpp.Client] has ([xmpp.Client.TLSConfig]), and trusts its
// RootCAs (the system roots when the session was given no TLS config). A
// session without that method needs [Options.HTTPClient]; without it,
// HTTP calls return [ErrNeedHTTPClient].
//
// # Errors
//
// A slot request the service refuses is a [*FileTooLargeError] (with the
// service's limit, from <file-too-large><max-file-size/>), a
// [*QuotaError] (resource-constraint; errors.Is(err, [ErrQuota])), an
// error wrapping [ErrNotAllowed] (not-allowed or forbidden), or the
// *xmpp.StanzaError itself; each wraps the StanzaError. An HTTP status
// other than 2xx is an [*HTTPError] with the status code. A reader that
// gives more or fewer bytes than File.Size is [ErrSizeMismatch]; a
// download over its limit is [ErrTooLarge]. A slot that breaks the XEP is
// an *xmpp.MalformedError.
package upload
