// Package interop holds interoperability tests: the library's client talks,
// through a real Prosody and ejabberd started by xmpptest on loopback, to
// peers written with other XMPP libraries. The peer is slixmpp (Debian's
// python3-slixmpp, run with /usr/bin/python3), driven by testdata/peer.py.
//
// The tests skip when a server or slixmpp is not installed, and fail
// instead when the environment variable CI is set (to true or 1); any other
// reason a server does not start fails them too. `make servers` installs
// both.
package interop
