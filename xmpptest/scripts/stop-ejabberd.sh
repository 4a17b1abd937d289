#!/bin/bash
# stop-ejabberd.sh DIR stops the ejabberd instance that start-ejabberd.sh made
# in DIR: only the PIDs recorded there, and only after /proc/PID/cmdline
# shows they belong to DIR (SIGTERM, then SIGKILL after 5 s; zombies count
# as gone). Then it deletes DIR unless KEEP_DIR=1.
set -euo pipefail
XT_NAME=stop-ejabberd.sh
# A stop must not be cut short halfway: a Ctrl-C reaches the whole process
# group, the caller's cancellation sends SIGTERM. It is bounded anyway
# (SIGKILL after 5 s).
trap "" INT TERM
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
[ $# -eq 1 ] || xt_die "usage: $XT_NAME INSTANCE-DIR" 64
xt_stop_instance "$1"
