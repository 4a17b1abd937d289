# shellcheck shell=bash
# Shared helpers for the xmpptest start/stop scripts. Sourced, never run.
#
# Everything here acts only on the throwaway instance dir it is given; the
# system services, /etc/prosody, /etc/ejabberd and /var/lib/* are never used.

XT_NAME=${XT_NAME:-$(basename "$0")}

# XMPP_SCRIPT_TRACE=1 traces every command to stderr, for debugging.
if [ "${XMPP_SCRIPT_TRACE:-0}" = 1 ]; then
	PS4='+ ${BASH_SOURCE##*/}:${LINENO}: '
	set -x
fi

xt_log() { printf '%s: %s\n' "$XT_NAME" "$*" >&2; }

# xt_die MESSAGE [EXIT-CODE]
xt_die() {
	xt_log "error: $1"
	exit "${2:-1}"
}

xt_is_root() { [ "$(id -u)" -eq 0 ]; }

# xt_now prints the time in seconds with millisecond precision.
xt_now() { date +%s.%N | cut -c1-14; }

# xt_elapsed START prints the seconds since START (from xt_now).
xt_elapsed() { awk -v a="$1" -v b="$(xt_now)" 'BEGIN { printf "%.2f", b - a }'; }

# xt_pkg_installed PKG reports whether a Debian package is installed.
xt_pkg_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# xt_ensure_packages PKG... installs the missing packages with apt-get,
# running apt-get update first if the plain install fails. Installs are
# serialized with flock so two scripts started at once do not race for the
# dpkg lock.
xt_ensure_packages() {
	if ! command -v dpkg-query >/dev/null 2>&1; then
		return 0 # not Debian: the caller checks for the commands it needs
	fi
	local missing=() p
	for p in "$@"; do
		xt_pkg_installed "$p" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if ! xt_is_root; then
		xt_die "missing Debian packages: ${missing[*]}; install them with: sudo apt-get install --no-install-recommends ${missing[*]}" 69
	fi
	local lock=/run/lock/xmpptest-apt.lock
	[ -d /run/lock ] || lock=/tmp/xmpptest-apt.lock
	(
		flock -w 900 9 || xt_die "timed out waiting for $lock"
		# Another script may have installed them while we waited.
		local still=() q
		for q in "${missing[@]}"; do
			xt_pkg_installed "$q" || still+=("$q")
		done
		[ ${#still[@]} -eq 0 ] && exit 0
		xt_log "installing ${still[*]}"
		local apt=(apt-get -y -q --no-install-recommends -o DPkg::Lock::Timeout=300)
		export DEBIAN_FRONTEND=noninteractive
		if ! "${apt[@]}" install "${still[@]}" >&2; then
			xt_log "apt-get install failed; running apt-get update and retrying"
			apt-get -q -o DPkg::Lock::Timeout=300 update >&2 || true
			"${apt[@]}" install "${still[@]}" >&2 || xt_die "apt-get install ${still[*]} failed" 69
		fi
	) 9>"$lock"
}

# xt_port_in_use PORT reports whether something accepts TCP on 127.0.0.1:PORT.
xt_port_in_use() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# xt_check_port NAME PORT validates PORT and exits 75 (EX_TEMPFAIL) if it is
# taken, so a caller that picked it at random can pick again.
xt_check_port() {
	case $2 in '' | *[!0-9]*) xt_die "$1 must be a port number, got '$2'" 64 ;; esac
	if [ "$2" -lt 1 ] || [ "$2" -gt 65535 ]; then xt_die "$1=$2 is out of range" 64; fi
	if xt_port_in_use "$2"; then xt_die "port $2 ($1) is already in use" 75; fi
}

# xt_any_port_in_use PORT... reports whether one of the ports accepts TCP.
xt_any_port_in_use() {
	local p
	for p in "$@"; do
		xt_port_in_use "$p" && return 0
	done
	return 1
}

# xt_close_fds closes every file descriptor above 2 in the current (sub)shell,
# so that a server started from it does not hold pipes it inherited (such as
# the one `go test` hands to test binaries, which would keep go test waiting).
xt_close_fds() {
	local fd
	for fd in "/proc/$BASHPID/fd/"*; do
		fd=${fd##*/}
		if [ "$fd" -gt 2 ] 2>/dev/null; then
			eval "exec $fd>&-" 2>/dev/null || true
		fi
	done
}

# xt_have_ipv6_loopback reports whether ::1 is configured.
xt_have_ipv6_loopback() {
	grep -qi '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null
}

# xt_parse_users turns "a:pa,b:pb c:pc" into lines "a pa" on stdout,
# validating them. Passwords may contain ':' but no space or comma.
xt_parse_users() {
	local list entry user pass
	list=$(printf '%s' "$1" | tr ',' ' ')
	for entry in $list; do
		user=${entry%%:*}
		pass=${entry#*:}
		[ "$user" != "$entry" ] || xt_die "user entry '$entry' is not user:password" 64
		[[ $user =~ ^[a-z0-9._-]+$ ]] || xt_die "bad user name '$user' (want [a-z0-9._-]+)" 64
		[[ $pass =~ ^[A-Za-z0-9._+=@%~^:!-]+$ ]] || xt_die "password for '$user' has unsupported characters" 64
		printf '%s %s\n' "$user" "$pass"
	done
}

# xt_gen_certs DIR DOMAIN writes a throwaway CA and a server certificate for
# DOMAIN (SANs: DOMAIN, *.DOMAIN, localhost, 127.0.0.1, ::1) into DIR:
# ca.crt ca.key server.crt server.key server.pem (cert+key).
xt_gen_certs() {
	local d=$1 domain=$2
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/ca.key" -out "$d/ca.crt" -days 30 -sha256 \
		-subj "/CN=xmpptest throwaway CA $(basename "$(dirname "$d")")" \
		-addext 'basicConstraints=critical,CA:TRUE' \
		-addext 'keyUsage=critical,keyCertSign,cRLSign' 2>/dev/null ||
		xt_die "openssl: creating the CA failed"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/server.key" -out "$d/server.csr" -subj "/CN=$domain" 2>/dev/null ||
		xt_die "openssl: creating the server key failed"
	cat >"$d/server.ext" <<EXT
subjectAltName=DNS:$domain,DNS:*.$domain,DNS:localhost,IP:127.0.0.1,IP:::1
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
EXT
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
		-CAcreateserial -days 30 -sha256 -extfile "$d/server.ext" \
		-out "$d/server.crt" 2>/dev/null || xt_die "openssl: signing the server certificate failed"
	cat "$d/server.crt" "$d/server.key" >"$d/server.pem"
	rm -f "$d/server.csr" "$d/server.ext" "$d/ca.srl"
}

# The /proc helpers below use only shell builtins: the stop path runs them
# in loops, and forks are slow on a loaded machine.

# xt_proc_state PID prints the process state letter (R, S, Z, ...) or nothing.
xt_proc_state() {
	local stat
	{ read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 0
	stat=${stat##*) }
	printf '%s' "${stat%% *}"
}

# xt_alive PID reports whether PID runs and is not a zombie.
xt_alive() {
	local s
	s=$(xt_proc_state "$1")
	[ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]
}

# xt_owned PID DIR reports whether PID is alive and its command line names DIR.
xt_owned() {
	xt_alive "$1" || return 1
	local args=()
	{ mapfile -d '' args <"/proc/$1/cmdline"; } 2>/dev/null || return 1
	[[ " ${args[*]} " == *"$2"* ]]
}

# xt_children PID prints the PIDs whose parent is PID.
xt_children() {
	local f stat rest
	for f in /proc/[0-9]*/stat; do
		{ read -r stat <"$f"; } 2>/dev/null || continue
		rest=${stat##*) }
		rest=${rest#* } # drop the state
		if [ "${rest%% *}" = "$1" ]; then
			f=${f#/proc/}
			printf '%s\n' "${f%/stat}"
		fi
	done
}

# xt_kill_pids DIR PID... sends SIGTERM to each PID whose command line names
# DIR, waits up to 5 s, then sends SIGKILL to what is left. Zombies count as
# gone.
xt_kill_pids() {
	local dir=$1 p left left2
	shift
	local mine=()
	for p in "$@"; do
		if xt_owned "$p" "$dir"; then
			mine+=("$p")
		fi
	done
	[ ${#mine[@]} -eq 0 ] && return 0
	kill -TERM "${mine[@]}" 2>/dev/null || true
	for _ in $(seq 50); do
		left=()
		for p in "${mine[@]}"; do
			xt_owned "$p" "$dir" && left+=("$p")
		done
		[ ${#left[@]} -eq 0 ] && return 0
		sleep 0.1
	done
	xt_log "still running after 5 s, sending SIGKILL to ${left[*]}"
	kill -KILL "${left[@]}" 2>/dev/null || true
	for _ in $(seq 20); do
		left2=()
		for p in "${left[@]}"; do
			xt_owned "$p" "$dir" && left2+=("$p")
		done
		[ ${#left2[@]} -eq 0 ] && return 0
		sleep 0.1
	done
	xt_log "could not kill ${left2[*]}"
	return 1
}

# xt_env_get FILE KEY prints KEY's value from a KEY=value file.
xt_env_get() {
	sed -n "s/^$2=//p" "$1" | tail -n 1
}

# xt_remove_dir DIR deletes an instance dir, but only one made by these
# scripts (it holds the marker file), and not when KEEP_DIR=1.
xt_remove_dir() {
	if [ "${KEEP_DIR:-0}" = 1 ]; then
		xt_log "KEEP_DIR=1: keeping $1"
		return 0
	fi
	[ -f "$1/.xmpptest-instance" ] || xt_die "$1 is not an xmpptest instance dir (no marker); not deleting it"
	# A process that just exited may still have been writing: retry once.
	rm -rf -- "$1" 2>/dev/null || { sleep 0.5; rm -rf -- "$1"; }
}

# xt_stop_instance DIR stops the processes recorded in DIR/instance.env (or
# DIR/pids while starting) and removes DIR unless KEEP_DIR=1.
xt_stop_instance() {
	local dir=$1 pids=""
	[ -n "$dir" ] || xt_die "usage: $XT_NAME INSTANCE-DIR" 64
	[ -d "$dir" ] || xt_die "no such dir: $dir" 66
	dir=$(cd "$dir" && pwd -P)
	[ -f "$dir/.xmpptest-instance" ] || xt_die "$dir is not an xmpptest instance dir (no marker file)" 64
	if [ -f "$dir/pids" ]; then
		pids=$(tr ',\n' '  ' <"$dir/pids")
	fi
	# Also the children of the recorded PIDs (e.g. beam.smp under the
	# ejabberdctl shell, if it was not recorded yet); xt_kill_pids only
	# signals those whose command line names the dir.
	local p all=""
	for p in $pids; do
		all="$all $p $(xt_children "$p" | tr '\n' ' ')"
	done
	local rc=0
	# shellcheck disable=SC2086
	xt_kill_pids "$dir" $all || rc=1
	if [ $rc -ne 0 ]; then
		KEEP_DIR=1
	fi
	xt_remove_dir "$dir"
	return $rc
}

# xt_tail FILE [N] prints the last N (default 30) lines of FILE to stderr.
xt_tail() {
	[ -f "$1" ] || return 0
	printf -- '--- last lines of %s ---\n' "$1" >&2
	tail -n "${2:-30}" "$1" >&2
	printf -- '---\n' >&2
}

# xt_cleanup is the start scripts' EXIT trap: when the script fails (or
# has not finished starting the server), it shows the tail of each log in
# XT_LOGS (paths relative to DIR, optionally "path:lines") and stops what
# was started. It ignores INT and TERM from its first line on: a second
# signal (Ctrl-C reaches the whole process group, and Go cancels with
# SIGTERM) must not kill the script halfway through stopping what it
# started.
xt_cleanup() {
	local rc=$? log
	trap - EXIT
	trap "" INT TERM
	if [ -n "$DIR" ] && [ ! -f "$DIR/.xmpptest-instance" ]; then
		rmdir "$DIR" 2>/dev/null || true # interrupted right after mktemp
	elif [ -n "$DIR" ] && { [ $rc -ne 0 ] || [ "$STARTED" != 1 ]; }; then
		[ $rc -ne 0 ] || rc=1
		for log in "${XT_LOGS[@]}"; do
			if [[ $log == *:* ]]; then
				xt_tail "$DIR/${log%%:*}" "${log##*:}"
			else
				xt_tail "$DIR/$log"
			fi
		done
		xt_stop_instance "$DIR" || true
	fi
	exit $rc
}

# xt_make_instance_dir KIND sets DIR to a new instance dir for KIND
# ("prosody" or "ejabberd"), marked as ours, with xt_cleanup as the EXIT
# trap. The traps are set before the dir exists, so that no signal can leave
# it behind.
xt_make_instance_dir() {
	DIR=""
	STARTED=0
	trap xt_cleanup EXIT
	trap 'exit 143' TERM
	trap 'exit 130' INT
	DIR=$(mktemp -d "${TMPDIR:-/tmp}/$1-test.XXXXXX")
	DIR=$(cd "$DIR" && pwd -P)
	touch "$DIR/.xmpptest-instance"
}
