#!/bin/bash
# start-prosody.sh starts a throwaway Prosody (Debian's package, 0.12) that
# listens only on loopback, for tests. It installs what is missing with
# apt-get (as root), writes everything into a fresh `mktemp -d` dir and
# prints KEY=value lines (also written to DIR/instance.env). Stop it with
# stop-prosody.sh DIR.
#
# Environment (all optional):
#   XMPP_DOMAIN           XMPP domain (default localhost)
#   XMPP_C2S_PORT         c2s port, STARTTLS required (default 25222)
#   XMPP_DIRECT_TLS_PORT  c2s direct TLS port, XEP-0368 (default 25223)
#   XMPP_HTTPS_PORT       HTTPS port: upload, BOSH, websocket, host-meta (default 25281)
#   XMPP_HTTP_PORT        plain HTTP port: BOSH and websocket (default 25280)
#   XMPP_COMPONENT_PORT   XEP-0114 component port, plaintext (default 25247)
#   XMPP_COMPONENT_SECRET the components' shared secret (default: random)
#   XMPP_UPLOAD_MAX_BYTES largest file the upload service takes
#                         (default 16777216, 16 MiB)
#   XMPP_TEST_USERS       users, "user:pass" separated by commas or spaces
#                         (default alice:alice-pass,bob:bob-pass,carol:carol-pass,admin:admin-pass)
#   XMPP_EXTRA_USERS      more users, added to XMPP_TEST_USERS
#   XMPP_ADMIN            localpart of the server admin (default admin)
#   XMPP_TLS12_ONLY=1     offer TLS 1.2 only (alias: PROSODY_TLS12_ONLY=1)
#   XMPP_START_TIMEOUT    seconds to wait for the ports (default 60)
#   PROSODY_LOG_LEVEL     debug|info|warn (default info)
#   PROSODY_TCP_NODELAY=1 turn Nagle's algorithm off on Prosody's sockets
#                         (network_settings = { nagle = false }), for
#                         benchmarks: with Prosody's default, a login waits
#                         about 40 ms for the client's delayed ACK
#   PROSODY_EXTRA_MODULES more names for the global modules_enabled
#   PROSODY_EXTRA_CONFIG  Lua lines for the global section
#   PROSODY_EXTRA_HOSTS   Lua appended at the end (VirtualHost/Component sections)
#   PROSODY_PLUGINS_DIR   a dir whose files are copied into DIR/plugins, the
#                         first of plugin_paths (before Debian's modules and
#                         prosody-modules in /usr/lib/prosody/modules)
#   TMPDIR                parent of the instance dir (default /tmp)
#   KEEP_DIR=1            keep the instance dir when the start fails
#   XMPP_SCRIPT_TRACE=1   trace every command (set -x) to stderr
# HTTP File Upload (XEP-0363, mod_http_file_share) is the component
# upload.DOMAIN; its HTTPS service listens on XMPP_HTTPS_PORT with the
# instance's throwaway certificate, and its URLs name localhost (for the
# domain localhost) or 127.0.0.1. BOSH (/http-bind) and websocket
# (/xmpp-websocket) are served on the HTTPS port and on the plain HTTP port;
# host-meta (XEP-0156, static files) on the HTTPS port. The external
# components comp1/comp2/comp3.DOMAIN (XEP-0114) connect to
# XMPP_COMPONENT_PORT on loopback. Federation is disabled.
#
# Exit codes: 0 ok, 64 bad input, 69 packages missing, 75 port in use, 1 other.
set -euo pipefail

XT_NAME=start-prosody.sh
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

T0=$(xt_now)
DOMAIN=${XMPP_DOMAIN:-localhost}
C2S_PORT=${XMPP_C2S_PORT:-25222}
TLS_PORT=${XMPP_DIRECT_TLS_PORT:-25223}
HTTPS_PORT=${XMPP_HTTPS_PORT:-25281}
HTTP_PORT=${XMPP_HTTP_PORT:-25280}
COMP_PORT=${XMPP_COMPONENT_PORT:-25247}
COMP_SECRET=${XMPP_COMPONENT_SECRET:-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')}
EXTRA_MODULES=""
for m in ${PROSODY_EXTRA_MODULES:-}; do
	[[ $m =~ ^[a-z0-9_]+$ ]] || xt_die "bad module name '$m' in PROSODY_EXTRA_MODULES" 64
	EXTRA_MODULES="$EXTRA_MODULES \"$m\";"
done
UPLOAD_MAX=${XMPP_UPLOAD_MAX_BYTES:-16777216}
USERS=${XMPP_TEST_USERS:-alice:alice-pass,bob:bob-pass,carol:carol-pass,admin:admin-pass}
USERS="$USERS ${XMPP_EXTRA_USERS:-}"
ADMIN=${XMPP_ADMIN:-admin}
TLS12=${XMPP_TLS12_ONLY:-${PROSODY_TLS12_ONLY:-0}}
TIMEOUT=${XMPP_START_TIMEOUT:-60}
LOG_LEVEL=${PROSODY_LOG_LEVEL:-info}
NODELAY=${PROSODY_TCP_NODELAY:-0}

[[ $DOMAIN =~ ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ ]] || xt_die "bad XMPP_DOMAIN '$DOMAIN'" 64
if [ "$C2S_PORT" = "$TLS_PORT" ] || [ "$C2S_PORT" = "$HTTPS_PORT" ] || [ "$TLS_PORT" = "$HTTPS_PORT" ]; then
	xt_die "XMPP_C2S_PORT, XMPP_DIRECT_TLS_PORT and XMPP_HTTPS_PORT must differ" 64
fi
for p in "$HTTP_PORT" "$COMP_PORT"; do
	case $p in "$C2S_PORT" | "$TLS_PORT" | "$HTTPS_PORT") xt_die "XMPP_HTTP_PORT and XMPP_COMPONENT_PORT must differ from the other ports" 64 ;; esac
done
[ "$HTTP_PORT" != "$COMP_PORT" ] || xt_die "XMPP_HTTP_PORT and XMPP_COMPONENT_PORT must differ" 64
[[ $COMP_SECRET =~ ^[A-Za-z0-9._-]+$ ]] || xt_die "XMPP_COMPONENT_SECRET must match [A-Za-z0-9._-]+" 64
case $UPLOAD_MAX in '' | *[!0-9]*) xt_die "XMPP_UPLOAD_MAX_BYTES must be a number, got '$UPLOAD_MAX'" 64 ;; esac
HTTP_HOST=127.0.0.1
if [ "$DOMAIN" = localhost ]; then HTTP_HOST=localhost; fi
USER_LINES=$(xt_parse_users "$USERS")

xt_ensure_packages prosody prosody-modules lua-unbound openssl util-linux
for c in prosody prosodyctl openssl setsid; do
	command -v "$c" >/dev/null || xt_die "$c not found" 69
done
T_INSTALLED=$(xt_now)

xt_check_port XMPP_C2S_PORT "$C2S_PORT"
xt_check_port XMPP_DIRECT_TLS_PORT "$TLS_PORT"
xt_check_port XMPP_HTTPS_PORT "$HTTPS_PORT"
xt_check_port XMPP_HTTP_PORT "$HTTP_PORT"
xt_check_port XMPP_COMPONENT_PORT "$COMP_PORT"

XT_LOGS=(prosody.log console.log:10)
xt_make_instance_dir prosody

mkdir -p "$DIR/data"
xt_gen_certs "$DIR/certs" "$DOMAIN"
mkdir -p "$DIR/plugins" "$DIR/www"
if [ -n "${PROSODY_PLUGINS_DIR:-}" ]; then
	cp -R "$PROSODY_PLUGINS_DIR"/. "$DIR/plugins/"
fi
# XEP-0156 host-meta, served as static files by mod_http_files
WS_URL="wss://$HTTP_HOST:$HTTPS_PORT/xmpp-websocket"
BOSH_URL="https://$HTTP_HOST:$HTTPS_PORT/http-bind"
cat >"$DIR/www/host-meta" <<EOF
<?xml version='1.0' encoding='utf-8'?>
<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>
  <Link rel="urn:xmpp:alt-connections:xbosh" href="$BOSH_URL"/>
  <Link rel="urn:xmpp:alt-connections:websocket" href="$WS_URL"/>
</XRD>
EOF
cat >"$DIR/www/host-meta.json" <<EOF
{"links":[{"rel":"urn:xmpp:alt-connections:xbosh","href":"$BOSH_URL"},{"rel":"urn:xmpp:alt-connections:websocket","href":"$WS_URL"}]}
EOF

INTERFACES='"127.0.0.1"'
if xt_have_ipv6_loopback; then INTERFACES='"127.0.0.1", "::1"'; fi
PROTOCOL='"tlsv1_2+"'
if [ "$TLS12" = 1 ]; then PROTOCOL='"tlsv1_2"'; fi
NETWORK='-- network_settings: Prosody defaults (Nagle on)'
if [ "$NODELAY" = 1 ]; then NETWORK='network_settings = { nagle = false } -- PROSODY_TCP_NODELAY=1'; fi

CFG=$DIR/prosody.cfg.lua
cat >"$CFG" <<EOF
-- Throwaway Prosody test instance (generated by xmpptest start-prosody.sh)
data_path = "$DIR/data"
pidfile = "$DIR/prosody.pid"
plugin_paths = { "$DIR/plugins" }
admins = { "$ADMIN@$DOMAIN" }

-- loopback only
interfaces = { $INTERFACES }
local_interfaces = { $INTERFACES }
c2s_ports = { $C2S_PORT }
c2s_direct_tls_ports = { $TLS_PORT }
c2s_interfaces = { $INTERFACES }
c2s_direct_tls_interfaces = { $INTERFACES }
$NETWORK

-- HTTPS (upload, BOSH, websocket, host-meta) with the global ssl
-- certificate, and plain HTTP (BOSH, websocket)
http_ports = { $HTTP_PORT }
https_ports = { $HTTPS_PORT }
http_interfaces = { $INTERFACES }
https_interfaces = { $INTERFACES }
http_default_host = "$DOMAIN"
http_external_url = "https://$HTTP_HOST:$HTTPS_PORT/"
http_files_dir = "$DIR/www"
http_paths = { files = "/.well-known" }
-- auth over plain-HTTP BOSH and websocket on loopback, for the tests of
-- the Insecure options
consider_bosh_secure = true
consider_websocket_secure = true

-- XEP-0114 external components, plaintext on loopback
component_ports = { $COMP_PORT }
component_interfaces = { "127.0.0.1" }

modules_enabled = {
  "roster"; "saslauth"; "tls"; "disco";
  "carbons"; "pep"; "private"; "blocklist";
  "vcard4"; "vcard_legacy";
  "version"; "uptime"; "time"; "ping";
  "register"; "mam"; "csi_simple"; "smacks";
  "bookmarks";
  "server_contact_info"; -- XEP-0157 addresses, an XEP-0128 form in disco#info
  "posix";
  "admin_shell"; -- 'prosodyctl shell' over a unix socket in data_path
  "adhoc"; "admin_adhoc"; -- XEP-0050 commands, XEP-0133 admin commands for the admin
  "bosh"; "websocket"; "http_files"; -- XEP-0206, RFC 7395, XEP-0156 host-meta
  $EXTRA_MODULES
}
-- no federation: nothing listens on 5269, nothing dials out
modules_disabled = { "s2s"; "dialback"; "s2s_auth_certs"; }

storage = "internal"
authentication = "internal_hashed"

ssl = {
  certificate = "$DIR/certs/server.crt";
  key = "$DIR/certs/server.key";
  protocol = $PROTOCOL;
}
c2s_require_encryption = true
allow_registration = true
registration_allowlist = { "127.0.0.1", "::1" }
min_seconds_between_registrations = 0

contact_info = {
  abuse = { "mailto:abuse@$DOMAIN", "xmpp:$ADMIN@$DOMAIN" };
  admin = { "xmpp:$ADMIN@$DOMAIN" };
}

archive_expires_after = "never"
default_archive_policy = true
max_archive_query_results = 250

log = {
  { levels = { min = "$LOG_LEVEL" }, to = "file", filename = "$DIR/prosody.log" };
}

${PROSODY_EXTRA_CONFIG:-}

VirtualHost "$DOMAIN"
  ssl = {
    certificate = "$DIR/certs/server.crt";
    key = "$DIR/certs/server.key";
    protocol = $PROTOCOL;
  }

Component "conference.$DOMAIN" "muc"
  modules_enabled = { "muc_mam" }
  restrict_room_creation = false

-- XEP-0363 HTTP File Upload; PUT needs the slot's Authorization header
Component "upload.$DOMAIN" "http_file_share"
  http_host = "$DOMAIN"
  http_file_share_size_limit = $UPLOAD_MAX
  http_file_share_daily_quota = $((UPLOAD_MAX * 1000))
  http_file_share_expires_after = 3600

-- XEP-0114 external components
Component "comp1.$DOMAIN"
  component_secret = "$COMP_SECRET"
Component "comp2.$DOMAIN"
  component_secret = "$COMP_SECRET"
Component "comp3.$DOMAIN"
  component_secret = "$COMP_SECRET"

${PROSODY_EXTRA_HOSTS:-}
EOF

RUNAS=()
CTLUSER=$(id -un)
if xt_is_root; then
	# Prosody 0.12.3 refuses to run as root and then hangs; run it as the
	# package's system user, which must own the instance dir.
	getent passwd prosody >/dev/null || xt_die "user prosody does not exist (is the prosody package installed?)"
	chown -R prosody:prosody "$DIR"
	chmod 0755 "$DIR"
	setpriv --reuid=prosody --regid=prosody --init-groups test -w "$DIR/data" ||
		xt_die "user prosody cannot write $DIR (is ${TMPDIR:-/tmp} traversable by other users?)"
	RUNAS=(setpriv --reuid=prosody --regid=prosody --init-groups --)
	CTLUSER=prosody
fi

# Instance control wrapper: DIR/ctl ARGS... runs prosodyctl for this instance
# (as root, prosodyctl switches to the prosody user itself).
cat >"$DIR/ctl" <<EOF
#!/bin/bash
exec prosodyctl --config "$CFG" "\$@"
EOF
chmod 0755 "$DIR/ctl"

# Register the users before the start: prosodyctl writes straight to storage.
while read -r u p; do
	[ -n "$u" ] || continue
	"$DIR/ctl" register "$u" "$DOMAIN" "$p" >>"$DIR/ctl.log" 2>&1 ||
		{ xt_tail "$DIR/ctl.log"; xt_die "prosodyctl register $u failed"; }
done <<<"$USER_LINES"

T_START=$(xt_now)
(
	xt_close_fds
	exec setsid "${RUNAS[@]}" prosody -F --config "$CFG" </dev/null >>"$DIR/console.log" 2>&1
) &
PID=$!
echo "$PID" >"$DIR/pids"

# Wait until Prosody says it listens on both ports. (Prosody keeps running
# when it cannot bind a port, and a port probe alone could reach whoever
# took the port: look at the log.)
# The host's HTTP services are mounted after the ports open.
http_ready() {
	local svc
	for svc in bosh websocket files; do
		grep -qF "$DOMAIN:http	info	Serving '$svc' at " "$DIR/prosody.log" || return 1
	done
}
deadline=$(($(date +%s) + TIMEOUT))
while :; do
	if grep -q 'Failed to open server port' "$DIR/prosody.log" 2>/dev/null; then
		xt_die "prosody could not bind its ports: $(grep -m1 'Failed to open server port' "$DIR/prosody.log")" 75
	fi
	if ! xt_alive "$PID"; then
		if xt_any_port_in_use "$C2S_PORT" "$TLS_PORT"; then
			xt_die "prosody exited: a port is already in use" 75
		fi
		xt_die "prosody exited during startup"
	fi
	# e.g. "Activated service 'c2s' on [::1]:25222, [127.0.0.1]:25222"
	if grep -qE "Activated service 'c2s' on .*\[127\.0\.0\.1\]:$C2S_PORT(,|\$)" "$DIR/prosody.log" 2>/dev/null &&
		grep -qE "Activated service 'c2s_direct_tls' on .*\[127\.0\.0\.1\]:$TLS_PORT(,|\$)" "$DIR/prosody.log" &&
		grep -qE "Activated service 'https' on .*\[127\.0\.0\.1\]:$HTTPS_PORT(,|\$)" "$DIR/prosody.log" &&
		grep -qE "Activated service 'http' on .*\[127\.0\.0\.1\]:$HTTP_PORT(,|\$)" "$DIR/prosody.log" &&
		grep -qE "Activated service 'component' on .*\[127\.0\.0\.1\]:$COMP_PORT(,|\$)" "$DIR/prosody.log" &&
		xt_port_in_use "$C2S_PORT" && xt_port_in_use "$TLS_PORT" && xt_port_in_use "$HTTPS_PORT" &&
		xt_port_in_use "$HTTP_PORT" && xt_port_in_use "$COMP_PORT" && http_ready; then
		break
	fi
	if [ "$(date +%s)" -ge "$deadline" ]; then
		xt_die "prosody ports not open after ${TIMEOUT}s"
	fi
	sleep 0.02
done
UP=$(xt_elapsed "$T_START")

USERS_OUT=$(printf '%s\n' "$USER_LINES" | awk 'NF == 2 { printf "%s%s:%s", (n++ ? "," : ""), $1, $2 }')
cat >"$DIR/instance.env" <<EOF
XMPP_KIND=prosody
XMPP_DOMAIN=$DOMAIN
XMPP_C2S_ADDR=127.0.0.1:$C2S_PORT
XMPP_DIRECT_TLS_ADDR=127.0.0.1:$TLS_PORT
XMPP_HTTPS_ADDR=127.0.0.1:$HTTPS_PORT
XMPP_HTTP_ADDR=127.0.0.1:$HTTP_PORT
XMPP_WEBSOCKET_URL=$WS_URL
XMPP_BOSH_URL=$BOSH_URL
XMPP_INSECURE_WEBSOCKET_URL=ws://$HTTP_HOST:$HTTP_PORT/xmpp-websocket
XMPP_INSECURE_BOSH_URL=http://$HTTP_HOST:$HTTP_PORT/http-bind
XMPP_HOST_META_URL=https://$HTTP_HOST:$HTTPS_PORT/.well-known/host-meta
XMPP_COMPONENT_ADDR=127.0.0.1:$COMP_PORT
XMPP_COMPONENT_DOMAINS=comp1.$DOMAIN,comp2.$DOMAIN,comp3.$DOMAIN
XMPP_COMPONENT_SECRET=$COMP_SECRET
XMPP_UPLOAD_DOMAIN=upload.$DOMAIN
XMPP_UPLOAD_MAX_BYTES=$UPLOAD_MAX
XMPP_CA_FILE=$DIR/certs/ca.crt
XMPP_USERS=$USERS_OUT
XMPP_ADMIN=$ADMIN@$DOMAIN
XMPP_TLS12_ONLY=$TLS12
XMPP_DIR=$DIR
XMPP_CONFIG=$CFG
XMPP_CTL=$DIR/ctl
XMPP_LOG=$DIR/prosody.log
XMPP_PIDS=$PID
XMPP_RUN_AS=$CTLUSER
XMPP_INSTALL_SECONDS=$(awk -v a="$T0" -v b="$T_INSTALLED" 'BEGIN { printf "%.2f", b - a }')
XMPP_STARTUP_SECONDS=$UP
XMPP_TOTAL_SECONDS=$(xt_elapsed "$T0")
EOF
chmod 0644 "$DIR/instance.env"
STARTED=1
cat "$DIR/instance.env"
