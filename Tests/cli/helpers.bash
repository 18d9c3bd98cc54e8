# Tests/cli: runc's command-line behaviours that engines and test authors
# rely on. Each case runs on hako and, where runc is installed, on runc with
# the same bundle, so the claim "as runc does" is checked, not assumed.
# runc gets a private --root and an absolute cgroupsPath under /hako-test,
# never the host's default cgroup.

load ../../conformance/helpers

setup_file() {
    ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
    export HAKO=${HAKO:-$ROOT/.build/release/hako}
    [ -x "$HAKO" ] || { echo "no hako at $HAKO: swift build -c release" >&2; return 1; }
    [ "$(id -u)" = 0 ] || { echo "these tests create real containers and need root" >&2; return 1; }
    export TEMPLATE=$BATS_FILE_TMPDIR/template
    HAKO=$HAKO "$ROOT/scripts/busybox-bundle" "$TEMPLATE" true >/dev/null
}

# rc ARG...: runc with a private state root (skips loudly if runc is missing).
rc() { "$RUNC" --root "$T/runc" "$@"; }

need_runc() {
    RUNC=$(command -v runc) || skip "runc is not installed: the runc half of this case cannot run"
}

# runc_bundle: a copy of the bundle for runc, with its own cgroup.
runc_bundle() {
    RB=$T/runc-$NAME
    cp -a "$B" "$RB"
    jq --arg cg "/hako-test/$NAME-runc" '.linux.cgroupsPath = $cg' "$RB/config.json" > "$RB/c.new" && mv "$RB/c.new" "$RB/config.json"
}

teardown() {
    if [ -n "${RUNC:-}" ] && [ -d "$T/runc" ]; then
        for id in $(rc list -q 2>/dev/null); do rc delete --force "$id" >/dev/null 2>&1 || true; done
    fi
    for d in /sys/fs/cgroup/*/hako-test/$NAME-runc /sys/fs/cgroup/hako-test/$NAME-runc; do
        [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    done
    for id in $(hk list -q 2>/dev/null); do hk delete --force "$id" >/dev/null 2>&1 || true; done
    for d in /sys/fs/cgroup/*/hako-test/$NAME /sys/fs/cgroup/hako-test/$NAME; do
        [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    done
    rm -rf "$T"
}
