"""An XMPP peer built on slixmpp, driven by the interop tests.

usage: /usr/bin/python3 peer.py JID PASSWORD HOST PORT CAFILE MODE [ARGS...]

It connects to HOST:PORT (STARTTLS, certificate verified against CAFILE and
the JID's domain; no DNS lookups at all), logs in, sends initial presence and
prints "READY <full JID>" on stdout. Then, by MODE:

  echo PREFIX   answers every chat message with PREFIX + its body, and XEP-0199
                pings with a result, until stdin is closed or it is killed.
  send TO N     sends N chat messages to TO (bodies: see send_body), prints
                "SENT N", closes the stream and exits 0.
  adhoc-bot     offers the XEP-0050 command "greet" (two stages: a name, then a
                mood; the result is a greeting) until stdin is closed.
  adhoc-run TO  runs the commands "echo" and "convert" of examples/adhocbot at
                TO with XEP-0050, printing a line per step (see run_adhoc), then
                exits 0.
  fetch         for every chat message with an XEP-0066 out-of-band link
                (slixmpp's xep_0066 plugin), GETs the URL over HTTPS with
                the certificate verified against CAFILE and prints
                "FETCHED INLINE SIZE SHA256" (INLINE is 1 when the body is
                the URL) or "FETCHFAILED reason"; runs until stdin is closed.
  muc ROOM NICK joins the MUC room ROOM as NICK (XEP-0045, no history) and
                prints "JOINED NICK" on its own presence; then prints
                "MSG nick body" for each groupchat message, "SUBJECT text"
                for each subject, "PRESENCE nick type codes" for occupant
                presences, "KICKED reason" when kicked; and runs the
                commands it reads on stdin, one a line: "say TEXT" sends
                TEXT to the room, "nick NEW" changes its nickname. Closing
                stdin logs it out.
  pep           PEP (XEP-0163) with +notify for avatars (XEP-0084) and nicknames
                (XEP-0172), through caps (XEP-0115); accepts and returns
                subscription requests (slixmpp's default). Prints
                "SUBSCRIBED jid" when a contact approves its subscription,
                "NICK jid nick" for each nickname event, "AVATARMETA jid id
                type bytes width height" for each avatar metadata event with
                an info, then fetches that id from the data node and prints
                "AVATARDATA jid id sha1 size" (or "AVATARFAILED jid id
                reason"). Commands on stdin, one a line: "presence" sends
                its presence again, "nick TEXT" publishes TEXT as its
                nickname, "avatar PATH TYPE WIDTH HEIGHT" publishes the image
                at PATH (data, then metadata) and prints "PUBLISHED avatar
                id"; "PUBLISHED nick" after a nickname. Closing stdin logs
                it out.

Errors (failed login, TLS or connection failure, a timeout) go to stderr and
exit 1. PEER_DEBUG=1 logs slixmpp's debug output, the XML included, to stderr.
"""

import asyncio
import hashlib
import ssl
import urllib.request
import logging
import os
import sys
import threading

import slixmpp
from slixmpp.exceptions import IqError

# Bounds the whole run of "send" mode and the login in every mode, so that a
# peer can never outlive a test by much even if nobody kills it.
TIMEOUT = 60


def send_body(i, n):
    """The body of message i (1-based) of n in send mode; the Go test builds
    the same strings."""
    return "%d/%d '\"<>& \U0001F98A \u6f22\u5b57\nsecond line" % (i, n)


class Peer(slixmpp.ClientXMPP):
    def __init__(self, jid, password, host, port, mode, args):
        super().__init__(jid, password)
        self.host, self.port = host, port
        self.mode, self.args = mode, args
        self.result = None  # set to the exit code when the run is over
        self.started = False  # whether session_start fired
        self.finished = asyncio.Future()
        self.register_plugin("xep_0199")  # XMPP Ping: answers pings
        if mode.startswith("adhoc"):
            self.register_plugin("xep_0004")
            self.register_plugin("xep_0030")
            self.register_plugin("xep_0050")
        self.register_plugin("xep_0066")  # Out of Band Data: msg["oob"]
        self.cafile = None
        if mode == "muc":
            self.register_plugin("xep_0045")
            self.add_event_handler("groupchat_message", self.on_groupchat)
            self.add_event_handler("groupchat_subject", self.on_subject)
            self.add_event_handler("groupchat_presence", self.on_muc_presence)
        if mode == "pep":
            self.register_plugin("xep_0030")
            self.register_plugin("xep_0115")
            self.register_plugin("xep_0163")
            self.register_plugin("xep_0084")
            self.register_plugin("xep_0172")
            self.add_event_handler("avatar_metadata_publish", self.on_avatar_metadata)
            self.add_event_handler("user_nick_publish", self.on_nick)
            self.add_event_handler(
                "presence_subscribed", lambda pr: print("SUBSCRIBED %s" % pr["from"].bare, flush=True))
        self.add_event_handler("session_start", self.on_session_start)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("failed_auth", lambda _: self.fail("authentication failed"))
        self.add_event_handler("connection_failed", lambda e: self.fail("connection failed: %s" % e))
        self.add_event_handler("ssl_invalid_chain", lambda e: self.fail("invalid certificate chain: %s" % e))
        self.add_event_handler("session_end", lambda _: self.fail("session ended", code=0))
        self.add_event_handler(
            "disconnected",
            lambda _: self.fail("disconnected before the session started", code=0 if self.started else 1))

    async def get_dns_records(self, domain, port=None):
        # slixmpp resolves the JID's domain even when given an address; the
        # tests must not depend on DNS, so the answer is the given address.
        return [(domain, self.host, self.port)]

    def fail(self, why, code=1):
        if self.result is None:
            self.result = code
            if code != 0:
                print("peer: " + why, file=sys.stderr, flush=True)
        if not self.finished.done():
            self.finished.set_result(None)

    async def on_session_start(self, _):
        self.started = True
        self.send_presence()
        await self.get_roster()
        print("READY %s" % self.boundjid.full, flush=True)
        if self.mode == "send":
            to, n = self.args[0], int(self.args[1])
            for i in range(1, n + 1):
                self.send_message(mto=to, mbody=send_body(i, n), mtype="chat")
            print("SENT %d" % n, flush=True)
            self.result = 0
            self.disconnect()  # flushes the send queue first
        elif self.mode == "adhoc-bot":
            # After binding: slixmpp files commands under the full JID.
            self["xep_0050"].add_command(node="greet", name="Greet me", handler=self.greet_start)
            print("COMMANDS", flush=True)
        elif self.mode == "adhoc-run":
            try:
                await self.run_adhoc(self.args[0])
                self.result = 0
            except Exception as e:  # any failure is the test's failure
                print("peer: adhoc-run: %r" % e, file=sys.stderr, flush=True)
                self.result = 1
            self.disconnect()
        elif self.mode == "muc":
            self.plugin["xep_0045"].join_muc(slixmpp.JID(self.args[0]), self.args[1], maxhistory="0")

    # adhoc-bot: the stages of "greet".
    def greet_start(self, iq, session):
        form = self["xep_0004"].make_form("form", "Greeting")
        form.add_field(var="name", ftype="text-single", label="Your name", required=True)
        session["payload"] = form
        session["next"] = self.greet_mood
        session["has_next"] = True
        return session

    def greet_mood(self, payload, session):
        session["greet_name"] = payload["values"]["name"]
        form = self["xep_0004"].make_form("form", "Mood")
        form.add_field(var="mood", ftype="list-single", label="Mood", required=True,
                       options=[{"label": "Happy", "value": "happy"}, {"label": "Tired", "value": "tired"}])
        session["payload"] = form
        session["next"] = self.greet_done
        session["has_next"] = False  # the next stage is the last: complete
        return session

    def greet_done(self, payload, session):
        form = self["xep_0004"].make_form("result", "Greeting")
        form.add_field(var="greeting", ftype="text-single",
                       value="Hello %s, you look %s" % (session["greet_name"], payload["values"]["mood"]))
        session["payload"] = form
        session["notes"] = [("info", "greeted")]
        session["next"] = None
        session["has_next"] = False
        return session

    # adhoc-run: runs examples/adhocbot's commands at `to`.
    async def run_adhoc(self, to):
        adhoc = self["xep_0050"]
        items = await self["xep_0030"].get_items(jid=to, node="http://jabber.org/protocol/commands", timeout=15)
        print("ITEMS %s" % ",".join(sorted(i[1] for i in items["disco_items"]["items"])), flush=True)

        def submit(**values):
            form = self["xep_0004"].make_form("submit")
            for var, value in values.items():
                form.add_field(var=var, value=value)
            return form

        def show(tag, iq):
            cmd = iq["command"]
            print("%s %s %s" % (tag, cmd["status"], ",".join(sorted(cmd["actions"]))), flush=True)
            return cmd

        cmd = show("ECHO1", await adhoc.send_command(to, "echo", timeout=15))
        sid = cmd["sessionid"]
        cmd = show("ECHO2", await adhoc.send_command(to, "echo", action="complete", sessionid=sid,
                                                     payload=submit(text="héllo <&> 🦊"), timeout=15))
        print("NOTES %s" % ";".join("%s:%s" % n for n in cmd["notes"]), flush=True)

        cmd = show("CONVERT1", await adhoc.send_command(to, "convert", timeout=15))
        sid = cmd["sessionid"]
        cmd = show("CONVERT2", await adhoc.send_command(to, "convert", action="next", sessionid=sid,
                                                        payload=submit(quantity="length"), timeout=15))
        cmd = show("PREV", await adhoc.send_command(to, "convert", action="prev", sessionid=sid, timeout=15))
        print("REMEMBERED %s" % cmd["form"]["values"]["quantity"], flush=True)
        show("CONVERT2", await adhoc.send_command(to, "convert", action="next", sessionid=sid,
                                                  payload=submit(quantity="temperature"), timeout=15))
        cmd = show("CONVERT3", await adhoc.send_command(to, "convert", action="complete", sessionid=sid,
                                                        payload=submit(value="100", unit="C"), timeout=15))
        print("RESULT %s" % ";".join("%s=%s" % (i["unit"], i["value"]) for i in cmd["form"]["items"]), flush=True)

        try:
            await adhoc.send_command(to, "convert", action="next", sessionid=sid, timeout=15)
            print("ERROR none", flush=True)
        except IqError as e:
            err = e.iq["error"]
            app = [c.tag.split("}")[1] for c in err.xml if c.tag.startswith("{http://jabber.org/protocol/commands}")]
            print("ERROR %s %s" % (err["condition"], ",".join(app)), flush=True)


    def on_groupchat(self, msg):
        if msg["body"]:
            print("MSG %s %s" % (msg["from"].resource, msg["body"]), flush=True)

    def on_subject(self, msg):
        print("SUBJECT %s" % msg["subject"], flush=True)

    def on_muc_presence(self, pr):
        codes = sorted(int(c) for c in pr["muc"]["status_codes"])
        nick = pr["from"].resource
        if 110 in codes and pr["type"] == "unavailable" and 307 in codes:
            print("KICKED %s" % pr["muc"]["item"]["reason"], flush=True)
        elif 110 in codes and pr["type"] != "unavailable":
            print("JOINED %s" % nick, flush=True)
        print("PRESENCE %s %s %s" % (nick, pr["type"], ",".join(map(str, codes))), flush=True)

    # pep: events and commands.
    def on_nick(self, msg):
        item = msg["pubsub_event"]["items"]["item"]
        print("NICK %s %s" % (msg["from"].bare, item["nick"]["nick"]), flush=True)

    def on_avatar_metadata(self, msg):
        item = msg["pubsub_event"]["items"]["item"]
        infos = item.xml.findall("{urn:xmpp:avatar:metadata}metadata/{urn:xmpp:avatar:metadata}info")
        if not infos:
            print("AVATARMETA %s none" % msg["from"].bare, flush=True)
            return
        info = infos[0]
        attr = lambda k: info.get(k, "-")
        print("AVATARMETA %s %s %s %s %s %s" % (msg["from"].bare, attr("id"), attr("type"), attr("bytes"),
                                               attr("width"), attr("height")), flush=True)
        asyncio.ensure_future(self.fetch_avatar(msg["from"].bare, attr("id")))

    async def fetch_avatar(self, jid, id):
        try:
            iq = await self["xep_0084"].retrieve_avatar(slixmpp.JID(jid), id, timeout=15)
            data = iq["pubsub"]["items"]["item"]["avatar_data"]["value"]
            print("AVATARDATA %s %s %s %d" % (jid, id, hashlib.sha1(data).hexdigest(), len(data)), flush=True)
        except Exception as e:  # reported to the test, which fails
            print("AVATARFAILED %s %s %r" % (jid, id, e), flush=True)

    async def pep_command(self, verb, arg):
        try:
            if verb == "presence":
                self.send_presence()
            elif verb == "nick":
                await self["xep_0172"].publish_nick(arg, timeout=15)
                print("PUBLISHED nick", flush=True)
            elif verb == "avatar":
                path, itype, width, height = arg.split(" ")
                with open(path, "rb") as f:
                    data = f.read()
                id = self["xep_0084"].generate_id(data)
                await self["xep_0084"].publish_avatar(data, timeout=15)
                await self["xep_0084"].publish_avatar_metadata(
                    {"id": id, "type": itype, "bytes": len(data), "width": width, "height": height}, timeout=15)
                print("PUBLISHED avatar %s" % id, flush=True)
            else:
                print("peer: unknown command %r" % verb, file=sys.stderr, flush=True)
        except Exception as e:  # the test waits for PUBLISHED and fails
            print("peer: %s: %r" % (verb, e), file=sys.stderr, flush=True)

    def command(self, line):
        """Runs a command line of muc or pep mode (on the event loop)."""
        verb, _, arg = line.partition(" ")
        if self.mode == "pep":
            asyncio.ensure_future(self.pep_command(verb, arg))
            return
        room = self.args[0]
        if verb == "say":
            self.send_message(mto=room, mbody=arg, mtype="groupchat")
        elif verb == "nick":
            self.send_presence(pto="%s/%s" % (room, arg))
        else:
            print("peer: unknown command %r" % line, file=sys.stderr, flush=True)

    def on_message(self, msg):
        if self.mode == "echo" and msg["type"] == "chat" and msg["body"]:
            msg.reply(self.args[0] + msg["body"]).send()
        if self.mode == "fetch" and msg["type"] == "chat" and msg["oob"]["url"]:
            url = msg["oob"]["url"]
            inline = 1 if msg["body"].strip() == url else 0
            asyncio.get_event_loop().run_in_executor(None, self.fetch, url, inline)

    def fetch(self, url, inline):
        try:
            ctx = ssl.create_default_context(cafile=self.cafile)
            with urllib.request.urlopen(url, context=ctx, timeout=20) as r:
                data = r.read()
            print("FETCHED %d %d %s" % (inline, len(data), hashlib.sha256(data).hexdigest()), flush=True)
        except Exception as e:  # reported to the test, which fails
            print("FETCHFAILED %r" % e, flush=True)


def watch_stdin(loop, peer):
    """Ends the session when stdin is closed: the test's way of saying stop.
    In muc and pep mode, each line read before is a command."""
    for line in sys.stdin:
        if peer.mode in ("muc", "pep") and line.strip():
            loop.call_soon_threadsafe(peer.command, line.rstrip("\n"))
    loop.call_soon_threadsafe(peer.disconnect)


def main():
    if len(sys.argv) < 7:
        print(__doc__, file=sys.stderr)
        return 2
    jid, password, host, port, cafile, mode = sys.argv[1:7]
    args = sys.argv[7:]
    if (mode, len(args)) not in (("echo", 1), ("send", 2), ("fetch", 0), ("muc", 2), ("adhoc-bot", 0), ("adhoc-run", 1), ("pep", 0)):
        print("peer: bad mode or arguments: %s %s" % (mode, args), file=sys.stderr)
        return 2
    level = logging.DEBUG if os.environ.get("PEER_DEBUG") == "1" else logging.WARNING
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    peer = Peer(jid, password, host, int(port), mode, args)
    peer.ca_certs = cafile
    peer.cafile = cafile
    peer.connect(address=(host, int(port)))
    if mode in ("echo", "fetch", "muc", "adhoc-bot", "pep"):
        threading.Thread(target=watch_stdin, args=(loop, peer), daemon=True).start()
        timeout = None
    else:
        timeout = TIMEOUT
    try:
        loop.run_until_complete(asyncio.wait_for(peer.finished, timeout))
    except asyncio.TimeoutError:
        print("peer: timed out after %d s" % TIMEOUT, file=sys.stderr, flush=True)
        return 1
    return peer.result if peer.result is not None else 1


if __name__ == "__main__":
    sys.exit(main())
