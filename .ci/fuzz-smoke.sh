#!/usr/bin/env bash
# Runs every fuzz target of the module for FUZZTIME (default 5s).
#
# A target fails the run when the fuzzer finds a failing input (it writes it
# under testdata/fuzz, which is then shown). A run that fails without a
# failing input is the fuzzing engine itself failing (a worker killed or
# hung on a loaded machine): its output is shown and the target is tried
# once more.
set -uo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-5s}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
for pkg in $($GO list ./...); do
	for f in $($GO test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		echo "fuzz $pkg $f"
		for try in 1 2; do
			if $GO test -run '^$' -fuzz "^$f\$" -fuzztime "$FUZZTIME" "$pkg" >"$out" 2>&1; then
				break
			fi
			cat "$out"
			if grep -q 'Failing input written to' "$out"; then
				status=1
				break
			fi
			if [ "$try" = 2 ]; then
				status=1
			else
				echo "fuzz $pkg $f: the fuzzing engine failed without a failing input; trying once more"
			fi
		done
	done
done
exit $status
