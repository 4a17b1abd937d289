#!/bin/bash
# start-ejabberd.sh starts a throwaway ejabberd (Debian's package, 23.01)
# that listens only on 127.0.0.1, for tests. It installs what is missing
# with apt-get (as root), writes everything into a fresh `mktemp -d` dir and
# prints KEY=value lines (also written to DIR/instance.env). Stop it with
# stop-ejabberd.sh DIR.
#
# Environment (all optional):
#   XMPP_DOMAIN           XMPP domain (default localhost)
#   XMPP_C2S_PORT         c2s port, STARTTLS required (default 25322)
#   XMPP_DIRECT_TLS_PORT  c2s direct TLS port, XEP-0368 (default 25323)
#   XMPP_HTTPS_PORT       HTTPS port (ejabberd_http) of the upload service
#                         (default 25381)
#   XMPP_UPLOAD_MAX_BYTES largest file the upload service takes
#                         (default 16777216, 16 MiB)
#   XMPP_HTTP_PORT        plain HTTP port (ejabberd_http): BOSH, websocket
#   XMPP_COMPONENT_PORT   XEP-0114 component port (ejabberd_service), plaintext
#   XMPP_COMPONENT_SECRET the components' shared secret (default: random)
#   EJABBERD_EXTRA_LISTEN YAML list items appended under listen: ("  -" items)
#   EJABBERD_EXTRA_MODULES YAML appended under modules: (2-space indent)
#   EJABBERD_EXTRA_CONFIG YAML top-level keys appended at the end
#   EJABBERD_DIST_PORT    Erlang distribution port, 127.0.0.1 only, no epmd
#                         (default 25399)
#   XMPP_TEST_USERS       users, "user:pass" separated by commas or spaces
#                         (default alice:alice-pass,bob:bob-pass,carol:carol-pass,admin:admin-pass)
#   XMPP_EXTRA_USERS      more users, added to XMPP_TEST_USERS
#   XMPP_ADMIN            localpart of the server admin (default admin)
#   XMPP_TLS12_ONLY=1     offer TLS 1.2 only (alias: EJABBERD_TLS12_ONLY=1)
#   XMPP_START_TIMEOUT    seconds to wait for the ports (default 60)
#   EJABBERD_LOG_LEVEL    debug|info|warning (default info)
#   TMPDIR                parent of the instance dir (default /tmp)
#   KEEP_DIR=1            keep the instance dir when the start fails
#   XMPP_SCRIPT_TRACE=1   trace every command (set -x) to stderr
# HTTP File Upload (XEP-0363, mod_http_upload) is the service upload.DOMAIN;
# its ejabberd_http listener takes HTTPS on 127.0.0.1:XMPP_HTTPS_PORT with the
# instance's throwaway certificate, and its URLs name localhost (for the
# domain localhost) or 127.0.0.1. Plain HTTP, BOSH, websocket and
# federation are disabled.
#
# Exit codes: 0 ok, 64 bad input, 69 packages missing, 75 port in use, 1 other.
set -euo pipefail

XT_NAME=start-ejabberd.sh
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

T0=$(xt_now)
DOMAIN=${XMPP_DOMAIN:-localhost}
C2S_PORT=${XMPP_C2S_PORT:-25322}
TLS_PORT=${XMPP_DIRECT_TLS_PORT:-25323}
DIST_PORT=${EJABBERD_DIST_PORT:-25399}
HTTPS_PORT=${XMPP_HTTPS_PORT:-25381}
HTTP_PORT=${XMPP_HTTP_PORT:-25380}
COMP_PORT=${XMPP_COMPONENT_PORT:-25347}
COMP_SECRET=${XMPP_COMPONENT_SECRET:-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')}
UPLOAD_MAX=${XMPP_UPLOAD_MAX_BYTES:-16777216}
USERS=${XMPP_TEST_USERS:-alice:alice-pass,bob:bob-pass,carol:carol-pass,admin:admin-pass}
USERS="$USERS ${XMPP_EXTRA_USERS:-}"
ADMIN=${XMPP_ADMIN:-admin}
TLS12=${XMPP_TLS12_ONLY:-${EJABBERD_TLS12_ONLY:-0}}
TIMEOUT=${XMPP_START_TIMEOUT:-60}
LOG_LEVEL=${EJABBERD_LOG_LEVEL:-info}

[[ $DOMAIN =~ ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ ]] || xt_die "bad XMPP_DOMAIN '$DOMAIN'" 64
if [ "$C2S_PORT" = "$TLS_PORT" ] || [ "$C2S_PORT" = "$DIST_PORT" ] || [ "$TLS_PORT" = "$DIST_PORT" ]; then
	xt_die "XMPP_C2S_PORT, XMPP_DIRECT_TLS_PORT and EJABBERD_DIST_PORT must differ" 64
fi
if [ "$HTTPS_PORT" = "$C2S_PORT" ] || [ "$HTTPS_PORT" = "$TLS_PORT" ] || [ "$HTTPS_PORT" = "$DIST_PORT" ]; then
	xt_die "XMPP_HTTPS_PORT must differ from the other ports" 64
fi
case $UPLOAD_MAX in '' | *[!0-9]*) xt_die "XMPP_UPLOAD_MAX_BYTES must be a number, got '$UPLOAD_MAX'" 64 ;; esac
for p in "$HTTP_PORT" "$COMP_PORT"; do
	case $p in "$C2S_PORT" | "$TLS_PORT" | "$HTTPS_PORT" | "$DIST_PORT") xt_die "XMPP_HTTP_PORT and XMPP_COMPONENT_PORT must differ from the other ports" 64 ;; esac
done
[ "$HTTP_PORT" != "$COMP_PORT" ] || xt_die "XMPP_HTTP_PORT and XMPP_COMPONENT_PORT must differ" 64
[[ $COMP_SECRET =~ ^[A-Za-z0-9._-]+$ ]] || xt_die "XMPP_COMPONENT_SECRET must match [A-Za-z0-9._-]+" 64
HTTP_HOST=127.0.0.1
if [ "$DOMAIN" = localhost ]; then HTTP_HOST=localhost; fi
USER_LINES=$(xt_parse_users "$USERS")

xt_ensure_packages ejabberd openssl util-linux
for c in erl openssl setsid; do
	command -v "$c" >/dev/null || xt_die "$c not found" 69
done
[ -f /usr/sbin/ejabberdctl ] || xt_die "/usr/sbin/ejabberdctl not found" 69
T_INSTALLED=$(xt_now)

xt_check_port XMPP_C2S_PORT "$C2S_PORT"
xt_check_port XMPP_DIRECT_TLS_PORT "$TLS_PORT"
xt_check_port EJABBERD_DIST_PORT "$DIST_PORT"
xt_check_port XMPP_HTTPS_PORT "$HTTPS_PORT"
xt_check_port XMPP_HTTP_PORT "$HTTP_PORT"
xt_check_port XMPP_COMPONENT_PORT "$COMP_PORT"

XT_LOGS=(log/ejabberd.log log/error.log:10 console.log:10)
xt_make_instance_dir ejabberd

mkdir -p "$DIR/spool" "$DIR/log" "$DIR/home" "$DIR/upload"
xt_gen_certs "$DIR/certs" "$DOMAIN"

TLS_OPTIONS='    - "no_sslv3"
    - "no_tlsv1"
    - "no_tlsv1_1"
    - "no_compression"'
if [ "$TLS12" = 1 ]; then
	# fast_tls (erlang-p1-tls 1.1.16) understands no_tlsv1_3.
	TLS_OPTIONS="$TLS_OPTIONS
    - \"no_tlsv1_3\""
fi

CFG=$DIR/ejabberd.yml
cat >"$CFG" <<EOF
# Throwaway ejabberd test instance (generated by xmpptest start-ejabberd.sh)
hosts:
  - "$DOMAIN"
loglevel: $LOG_LEVEL
log_rotate_count: 0
hide_sensitive_log_data: false
language: en

certfiles:
  - "$DIR/certs/server.pem"
  - "$DIR/certs/ca.crt"
ca_file: "$DIR/certs/ca.crt"

define_macro:
  'TLS_OPTIONS':
$TLS_OPTIONS
c2s_protocol_options: 'TLS_OPTIONS'

listen:
  -
    port: $C2S_PORT
    ip: "127.0.0.1"
    backlog: 128
    module: ejabberd_c2s
    max_stanza_size: 262144
    shaper: c2s_shaper
    access: c2s
    starttls_required: true
  -
    port: $TLS_PORT
    ip: "127.0.0.1"
    backlog: 128
    module: ejabberd_c2s
    max_stanza_size: 262144
    shaper: c2s_shaper
    access: c2s
    tls: true
  -
    # XEP-0363 uploads, BOSH, websocket, XEP-0156 host-meta over HTTPS
    port: $HTTPS_PORT
    ip: "127.0.0.1"
    backlog: 128
    module: ejabberd_http
    tls: true
    request_handlers:
      /upload: mod_http_upload
      /bosh: mod_bosh
      /ws: ejabberd_http_ws
      /.well-known/host-meta: mod_host_meta
      /.well-known/host-meta.json: mod_host_meta
  -
    # BOSH and websocket over plain HTTP, for the tests of the Insecure options
    port: $HTTP_PORT
    ip: "127.0.0.1"
    backlog: 128
    module: ejabberd_http
    request_handlers:
      /bosh: mod_bosh
      /ws: ejabberd_http_ws
  -
    # XEP-0114 external components
    port: $COMP_PORT
    ip: "127.0.0.1"
    module: ejabberd_service
    hosts:
      "comp1.$DOMAIN":
        password: "$COMP_SECRET"
      "comp2.$DOMAIN":
        password: "$COMP_SECRET"
      "comp3.$DOMAIN":
        password: "$COMP_SECRET"
${EJABBERD_EXTRA_LISTEN:-}

# no federation: no s2s listener, no dialback, no outgoing s2s
s2s_access: none

auth_password_format: plain
auth_method: internal
default_db: mnesia
disable_sasl_mechanisms:
  - "digest-md5"
  - "X-OAUTH2"
registration_timeout: infinity

acl:
  admin:
    user:
      - "$ADMIN@$DOMAIN"
  local:
    user_regexp: ""
  loopback:
    ip:
      - 127.0.0.0/8
      - ::1/128

access_rules:
  local:
    allow: local
  c2s:
    deny: blocked
    allow: all
  announce:
    allow: admin
  configure:
    allow: admin
  muc_create:
    allow: local
  pubsub_createnode:
    allow: local
  trusted_network:
    allow: loopback
  register:
    allow: all

api_permissions:
  "console commands":
    from:
      - ejabberd_ctl
    who: all
    what: "*"

shaper_rules:
  max_user_sessions: 100
  max_user_offline_messages: 5000
  c2s_shaper: none

modules:
  mod_adhoc: {}
  mod_admin_extra: {}
  mod_announce:
    access: announce
  mod_blocking: {}
  mod_bosh: {}
  mod_host_meta:
    bosh_service_url: "https://$HTTP_HOST:$HTTPS_PORT/bosh"
    websocket_url: "wss://$HTTP_HOST:$HTTPS_PORT/ws"
  mod_caps: {}
  mod_carboncopy: {}
  mod_client_state: {}
  mod_configure: {}
  mod_disco:
    # XEP-0157 addresses, an XEP-0128 form in disco#info
    server_info:
      -
        modules: all
        name: "abuse-addresses"
        urls: ["mailto:abuse@$DOMAIN", "xmpp:$ADMIN@$DOMAIN"]
      -
        modules: all
        name: "admin-addresses"
        urls: ["xmpp:$ADMIN@$DOMAIN"]
  mod_http_upload:
    put_url: "https://$HTTP_HOST:$HTTPS_PORT/upload"
    docroot: "$DIR/upload"
    max_size: $UPLOAD_MAX
    thumbnail: false
  mod_last: {}
  mod_mam:
    assume_mam_usage: true
    default: always
  mod_muc:
    access:
      - allow
    access_admin:
      - allow: admin
    access_create: muc_create
    access_persistent: muc_create
    access_mam:
      - allow
    default_room_options:
      mam: true
  mod_muc_admin: {}
  mod_offline:
    access_max_user_messages: max_user_offline_messages
  mod_ping: {}
  mod_privacy: {}
  mod_private: {}
  mod_pubsub:
    access_createnode: pubsub_createnode
    plugins:
      - flat
      - pep
    force_node_config:
      storage:bookmarks:
        access_model: whitelist
  mod_register:
    access: register
    ip_access: trusted_network
    password_strength: 0
  mod_roster:
    versioning: true
  mod_stream_mgmt:
    resend_on_timeout: if_offline
  mod_time: {}
  mod_vcard:
    search: false
  mod_vcard_xupdate: {}
  mod_version:
    show_os: true
${EJABBERD_EXTRA_MODULES:-}

${EJABBERD_EXTRA_CONFIG:-}
EOF

# A private ejabberdctl.cfg: unique node name, random cookie, no epmd, the
# distribution port on 127.0.0.1 only.
SUFFIX=$(basename "$DIR")
NODE="ejabberd-test-$(printf '%s' "${SUFFIX#*.}" | tr -dc 'A-Za-z0-9' | tr '[:upper:]' '[:lower:]')@localhost"
COOKIE=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
cat >"$DIR/ejabberdctl.cfg" <<EOF
ERLANG_NODE=$NODE
ERL_DIST_PORT=$DIST_PORT
ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0 -setcookie $COOKIE -kernel inet_dist_use_interface {127,0,0,1}"
EJABBERD_PID_PATH=$DIR/ejabberd.pid
EJABBERD_BYPASS_WARNINGS=true
EOF
chmod 0600 "$DIR/ejabberdctl.cfg"

# Debian's ejabberdctl insists on running as user ejabberd (via su, with
# HOME=/var/lib/ejabberd). A private copy with INSTALLUSER emptied runs as
# whoever calls it.
sed -e 's/^INSTALLUSER=.*/INSTALLUSER=/' /usr/sbin/ejabberdctl >"$DIR/ejabberdctl"
chmod 0755 "$DIR/ejabberdctl"
# ejabberdctl points ERL_INETRC at the config dir; without the file every VM
# prints an "inet_config: file ... not found" error report.
printf '{lookup,["file","native"]}.\n{host,{127,0,0,1}, ["localhost"]}.\n' >"$DIR/inetrc"

RUNAS=()
CTLUSER=$(id -un)
if xt_is_root; then
	getent passwd ejabberd >/dev/null || xt_die "user ejabberd does not exist (is the ejabberd package installed?)"
	chown -R ejabberd:ejabberd "$DIR"
	chmod 0755 "$DIR"
	setpriv --reuid=ejabberd --regid=ejabberd --init-groups test -w "$DIR/spool" ||
		xt_die "user ejabberd cannot write $DIR (is ${TMPDIR:-/tmp} traversable by other users?)"
	RUNAS=(setpriv --reuid=ejabberd --regid=ejabberd --init-groups --)
	CTLUSER=ejabberd
fi

# Instance control wrapper: DIR/ctl ARGS... runs ejabberdctl for this instance.
{
	echo '#!/bin/bash'
	printf 'cd %q\n' "$DIR/spool"
	printf 'exec %s env HOME=%q bash %q --config-dir %q --config %q --ctl-config %q --logs %q --spool %q "$@"\n' \
		"${RUNAS[*]}" "$DIR/home" "$DIR/ejabberdctl" "$DIR" "$CFG" "$DIR/ejabberdctl.cfg" "$DIR/log" "$DIR/spool"
} >"$DIR/ctl"
chmod 0755 "$DIR/ctl"

T_START=$(xt_now)
(
	xt_close_fds
	exec setsid bash "$DIR/ctl" foreground </dev/null >>"$DIR/console.log" 2>&1
) &
PID=$!
echo "$PID" >"$DIR/pids"

# Wait for the listeners. ejabberd stops when it cannot bind a port.
deadline=$(($(date +%s) + TIMEOUT))
BEAM=""
while :; do
	if [ -z "$BEAM" ]; then
		BEAM=$(xt_children "$PID" | head -n 1)
		[ -z "$BEAM" ] || echo "$PID,$BEAM" >"$DIR/pids"
	fi
	if ! xt_alive "$PID"; then
		if grep -qiE 'eaddrinuse' "$DIR/log/ejabberd.log" "$DIR/console.log" 2>/dev/null ||
			xt_any_port_in_use "$C2S_PORT" "$TLS_PORT" "$DIST_PORT" "$HTTPS_PORT" "$HTTP_PORT" "$COMP_PORT"; then
			xt_die "ejabberd exited: a port is already in use" 75
		fi
		xt_die "ejabberd exited during startup"
	fi
	if grep -qF "Start accepting TCP connections at 127.0.0.1:$C2S_PORT " "$DIR/log/ejabberd.log" 2>/dev/null &&
		grep -qF "Start accepting TLS connections at 127.0.0.1:$TLS_PORT " "$DIR/log/ejabberd.log" &&
		grep -qF "Start accepting TLS connections at 127.0.0.1:$HTTPS_PORT " "$DIR/log/ejabberd.log" &&
		grep -qF "Start accepting TCP connections at 127.0.0.1:$HTTP_PORT " "$DIR/log/ejabberd.log" &&
		grep -qF "Start accepting TCP connections at 127.0.0.1:$COMP_PORT " "$DIR/log/ejabberd.log" &&
		xt_port_in_use "$C2S_PORT" && xt_port_in_use "$TLS_PORT" && xt_port_in_use "$HTTPS_PORT" &&
		xt_port_in_use "$HTTP_PORT" && xt_port_in_use "$COMP_PORT"; then
		break
	fi
	if grep -qiE 'eaddrinuse' "$DIR/log/ejabberd.log" 2>/dev/null; then
		xt_die "ejabberd could not bind: a port is already in use" 75
	fi
	if [ "$(date +%s)" -ge "$deadline" ]; then
		xt_die "ejabberd ports not open after ${TIMEOUT}s"
	fi
	sleep 0.05
done
UP=$(xt_elapsed "$T_START")
[ -n "$BEAM" ] || xt_die "cannot find the beam process under PID $PID"

# Register the users with one XEP-0227 import: each ejabberdctl call boots an
# Erlang VM (~0.5 s), and parallel calls turned out slower than one import.
{
	echo "<?xml version='1.0' encoding='UTF-8'?>"
	echo "<server-data xmlns='urn:xmpp:pie:0'><host jid='$DOMAIN'>"
	while read -r u p; do
		[ -z "$u" ] || echo "<user name='$u' password='$p'/>"
	done <<<"$USER_LINES"
	echo "</host></server-data>"
} >"$DIR/users.xml"
if grep -q '<user ' "$DIR/users.xml"; then
	[ -z "${RUNAS[*]}" ] || chown ejabberd:ejabberd "$DIR/users.xml"
	bash "$DIR/ctl" import_piefxis "$DIR/users.xml" >"$DIR/log/import.log" 2>&1 ||
		{ xt_tail "$DIR/log/import.log"; xt_die "ejabberdctl import_piefxis failed"; }
fi
rm -f "$DIR/users.xml"

USERS_OUT=$(printf '%s\n' "$USER_LINES" | awk 'NF == 2 { printf "%s%s:%s", (n++ ? "," : ""), $1, $2 }')
cat >"$DIR/instance.env" <<EOF
XMPP_KIND=ejabberd
XMPP_DOMAIN=$DOMAIN
XMPP_C2S_ADDR=127.0.0.1:$C2S_PORT
XMPP_DIRECT_TLS_ADDR=127.0.0.1:$TLS_PORT
XMPP_HTTPS_ADDR=127.0.0.1:$HTTPS_PORT
XMPP_HTTP_ADDR=127.0.0.1:$HTTP_PORT
XMPP_WEBSOCKET_URL=wss://$HTTP_HOST:$HTTPS_PORT/ws
XMPP_BOSH_URL=https://$HTTP_HOST:$HTTPS_PORT/bosh
XMPP_INSECURE_WEBSOCKET_URL=ws://$HTTP_HOST:$HTTP_PORT/ws
XMPP_INSECURE_BOSH_URL=http://$HTTP_HOST:$HTTP_PORT/bosh
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
XMPP_LOG=$DIR/log/ejabberd.log
XMPP_PIDS=$PID,$BEAM
XMPP_RUN_AS=$CTLUSER
EJABBERD_NODE=$NODE
EJABBERD_DIST_ADDR=127.0.0.1:$DIST_PORT
XMPP_INSTALL_SECONDS=$(awk -v a="$T0" -v b="$T_INSTALLED" 'BEGIN { printf "%.2f", b - a }')
XMPP_STARTUP_SECONDS=$UP
XMPP_TOTAL_SECONDS=$(xt_elapsed "$T0")
EOF
chmod 0644 "$DIR/instance.env"
STARTED=1
cat "$DIR/instance.env"
