package uri

import "github.com/gojabber/xmpp"

// The querytypes (actions) registered with the XMPP Registrar, with the
// document that defines each. The keys each one takes are listed with its
// constructor below.
const (
	// ActionMessage sends a message stanza (XEP-0147 §3.1), with the keys
	// "subject", "body", "thread", "from", "id" and "type".
	ActionMessage = "message"
	// ActionRoster adds or edits a roster item (XEP-0147 §3.2.1), with the
	// keys "name" and "group".
	ActionRoster = "roster"
	// ActionRemove removes a roster item (XEP-0147 §3.2.2).
	ActionRemove = "remove"
	// ActionSubscribe requests a presence subscription (XEP-0147 §3.3.1).
	ActionSubscribe = "subscribe"
	// ActionUnsubscribe cancels a presence subscription (XEP-0147 §3.3.2).
	ActionUnsubscribe = "unsubscribe"
	// ActionJoin joins a multi-user chat room (XEP-0045), with the key
	// "password".
	ActionJoin = "join"
	// ActionInvite joins a room and invites others to it (XEP-0045), with
	// the keys "jid" (repeatable) and "password".
	ActionInvite = "invite"
	// ActionCommand runs an ad-hoc command (XEP-0050), with the keys "node"
	// and "action".
	ActionCommand = "command"
	// ActionVCard retrieves a vCard (XEP-0054).
	ActionVCard = "vcard"
	// ActionPubsub acts on a publish-subscribe node (XEP-0060), with the
	// keys "action" (e.g. "subscribe", "unsubscribe") and "node".
	ActionPubsub = "pubsub"
	// ActionRegister registers with a service (XEP-0077).
	ActionRegister = "register"
	// ActionUnregister cancels a registration (XEP-0077).
	ActionUnregister = "unregister"
	// ActionRecvFile receives a file offered by the entity (XEP-0096), with
	// keys such as "sid", "mime-type", "name" and "size".
	ActionRecvFile = "recvfile"
	// ActionSendFile sends a file to the entity (XEP-0096).
	ActionSendFile = "sendfile"
	// ActionDisco queries service discovery (XEP-0030), with the keys
	// "type" ("get"), "request" ("info" or "items") and "node".
	ActionDisco = "disco"
)

// New returns the URI of jid with the given action and parameters.
func New(jid xmpp.JID, action string, params ...Param) *URI {
	return &URI{JID: jid, Action: action, Params: params}
}

// optional returns the parameters whose value is not "", in order.
func optional(kv ...string) []Param {
	var ps []Param
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			ps = append(ps, Param{Key: kv[i], Value: kv[i+1]})
		}
	}
	return ps
}

// Message returns the URI that asks to send a message to to (XEP-0147
// §3.1), with body as its "body" unless body is "". More keys, such as
// "subject" or "type", can be added with [URI.Add].
func Message(to xmpp.JID, body string) *URI {
	return New(to, ActionMessage, optional("body", body)...)
}

// Join returns the URI that asks to join the room (XEP-0045), with its
// "password" unless password is "".
func Join(room xmpp.JID, password string) *URI {
	return New(room, ActionJoin, optional("password", password)...)
}

// Invite returns the URI that asks to join the room and invite the
// invitees to it (XEP-0045): one "jid" key for each, then the "password"
// unless password is "".
func Invite(room xmpp.JID, password string, invitees ...xmpp.JID) *URI {
	u := New(room, ActionInvite)
	for _, j := range invitees {
		u.Add("jid", j.String())
	}
	u.Params = append(u.Params, optional("password", password)...)
	return u
}

// Subscribe returns the URI that asks to subscribe to the presence of jid
// (XEP-0147 §3.3.1).
func Subscribe(jid xmpp.JID) *URI { return New(jid, ActionSubscribe) }

// Unsubscribe returns the URI that asks to cancel the subscription to the
// presence of jid (XEP-0147 §3.3.2).
func Unsubscribe(jid xmpp.JID) *URI { return New(jid, ActionUnsubscribe) }

// Roster returns the URI that asks to add jid to the roster or edit its item
// (XEP-0147 §3.2.1), with the "name" and "group" that are not "".
func Roster(jid xmpp.JID, name, group string) *URI {
	return New(jid, ActionRoster, optional("name", name, "group", group)...)
}

// Remove returns the URI that asks to remove jid from the roster (XEP-0147
// §3.2.2).
func Remove(jid xmpp.JID) *URI { return New(jid, ActionRemove) }

// Command returns the URI that asks to run the ad-hoc command node of jid
// (XEP-0050), with the command "action" (such as "execute") unless action
// is "".
func Command(jid xmpp.JID, node, action string) *URI {
	return New(jid, ActionCommand, optional("node", node, "action", action)...)
}

// Pubsub returns the URI that asks to act on the publish-subscribe node of
// service (XEP-0060), where action is e.g. "subscribe" or "unsubscribe".
func Pubsub(service xmpp.JID, action, node string) *URI {
	return New(service, ActionPubsub, optional("action", action, "node", node)...)
}

// VCard returns the URI that asks to retrieve the vCard of jid (XEP-0054).
func VCard(jid xmpp.JID) *URI { return New(jid, ActionVCard) }

// Register returns the URI that asks to register with the service
// (XEP-0077).
func Register(service xmpp.JID) *URI { return New(service, ActionRegister) }

// Unregister returns the URI that asks to cancel the registration with the
// service (XEP-0077).
func Unregister(service xmpp.JID) *URI { return New(service, ActionUnregister) }

// Disco returns the URI that asks to query the service discovery
// information ("info") or items ("items") of jid, as request says, at node
// unless node is "" (XEP-0030).
func Disco(jid xmpp.JID, request, node string) *URI {
	return New(jid, ActionDisco, optional("type", "get", "request", request, "node", node)...)
}
