// Package adhoc implements XEP-0050: Ad-Hoc Commands, version 1.3.0
// (https://xmpp.org/extensions/xep-0050.html), on both sides: as the
// requester that lists and executes another entity's commands, and as the
// responder (a bot) that offers its own.
//
// # Executing commands
//
// [List] asks an entity for its commands (the disco#items of the node
// http://jabber.org/protocol/commands, §2.2). [Execute] starts one (§2.4);
// the [Response] carries the stage's data form (package forms), its notes,
// the actions allowed next and the session id, and its methods continue
// the same session (§2.4.2, §2.4.3):
//
//	r, err := adhoc.Execute(ctx, c, to, "config")
//	for err == nil && r.Status == adhoc.StatusExecuting {
//		// fill in r.Form with Form.Set, then
//		r, err = r.Next(ctx, r.Form)
//	}
//
// An error reply is a *[xmpp.StanzaError]; one that carries one of the
// specific conditions of §4.4 is an *[Error] wrapping it, so both
// errors.Is(err, xmpp.ErrBadRequest) and errors.Is(err, adhoc.ErrBadSessionID)
// hold.
//
// # Offering commands
//
// [Register] makes an [xmpp.Mux] answer command requests and, through a
// [disco.Handler], list the commands on the commands node and describe each
// command node (§2.1, §2.2). A [HandlerFunc] gets each submitted stage and
// returns the next [Stage], or the last one with Done set. The [Commands]
// keep the sessions (§3.3): their ids, the stages shown so far (so that the
// "prev" action goes back without the handler, §2.4.2), limits on their
// number and an idle timeout ([Options]); they answer "cancel" themselves
// (§2.4.3) and unknown or ended sessions with the errors of §4.4.
//
// A payload that breaks the XEP is an *[xmpp.MalformedError] with Spec
// "XEP-0050", matching [xmpp.ErrMalformed].
package adhoc
