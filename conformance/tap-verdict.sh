#!/bin/sh
# tap-verdict.sh FILE.tap EXIT_STATUS: prints "pass" or "FAIL: <why>" for one
# runtime-tools validation program, from its TAP output and exit status.
#
# A program fails when it exits non-zero, when a check says "not ok", or
# when it writes a YAML diagnostic with an "error" key that belongs to no
# check. The *_fail, hooks, poststart, poststop, prestart and pidfile
# programs make no check at all ("1..0") and report a broken lifecycle only
# that way: poststart_fail, for one, writes {"error": "if any poststart hook
# fails, the runtime MUST log a warning..."} and exits 0. The first
# diagnostic after an "ok" line (whose text may run on several lines)
# belongs to that check (create and state print there the error they
# expected), and the check's own line decides.
set -eu
tap=${1:?usage: tap-verdict.sh FILE.tap EXIT_STATUS}
status=${2:?usage: tap-verdict.sh FILE.tap EXIT_STATUS}
[ "$status" -eq 0 ] || { echo "FAIL: exit status $status"; exit 0; }
not_ok=$(grep -c '^not ok' "$tap" || true)
[ "$not_ok" -eq 0 ] || { echo "FAIL: $not_ok check(s) not ok"; exit 0; }
# tap-go writes a diagnostic between "  ---" and "  ...", as YAML or, in
# this version, as an indented JSON object ("error": "...").
notes=$(awk '
    /^(ok|not ok)/ { after_check = 1; next }
    /^  ---/ { in_yaml = 1; owned = after_check; after_check = 0; next }
    /^  \.\.\./ { in_yaml = 0; next }
    in_yaml && !owned && /^ *"?error"? *:/ { sub(/^ *"?error"? *: *"?/, ""); sub(/\\n.*/, ""); sub(/",?$/, ""); print; exit }
' "$tap")
[ -z "$notes" ] || { echo "FAIL: error note: $notes"; exit 0; }
echo pass
