# Shared by the conformance tests: each test gets a fresh busybox bundle and
# a private state root; its container's cgroup is /hako-test/conf-<n>, and
# everything a test makes is removed in teardown, also when it fails.

setup_file() {
    ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
    export HAKO=${HAKO:-$ROOT/.build/release/hako}
    [ -x "$HAKO" ] || { echo "no hako at $HAKO: swift build -c release" >&2; return 1; }
    [ "$(id -u)" = 0 ] || { echo "the conformance tests create real containers and need root" >&2; return 1; }
    # One busybox bundle per file, copied for each test: making it runs a
    # process per applet, which costs seconds in the emulated v2 guest.
    export TEMPLATE=$BATS_FILE_TMPDIR/template
    HAKO=$HAKO "$ROOT/scripts/busybox-bundle" "$TEMPLATE" true >/dev/null
}

setup() {
    T=$(mktemp -d /tmp/hako-conf.XXXXXX)
    NAME=conf-$BATS_TEST_NUMBER-$$
    B=$T/$NAME
    cp -a "$TEMPLATE" "$B"
    cfg '.linux.cgroupsPath = $cg' --arg cg "/hako-test/$NAME"
}

teardown() {
    for id in $(hk list -q 2>/dev/null); do hk delete --force "$id" >/dev/null 2>&1 || true; done
    for d in /sys/fs/cgroup/*/hako-test/$NAME /sys/fs/cgroup/hako-test/$NAME; do
        [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    done
    rm -rf "$T"
}

hk() { "$HAKO" --root "$T/state" "$@"; }

# cfg JQ-FILTER [ARGS...]: edits the bundle's config.json.
cfg() {
    local filter=$1; shift
    jq "$@" "$filter" "$B/config.json" > "$B/config.json.new" && mv "$B/config.json.new" "$B/config.json"
}

# args ARG...: the container's process.args.
args() {
    local a
    a=$(for x in "$@"; do printf '%s\n' "$x"; done | jq -R . | jq -s -c .)
    cfg '.process.args = $a' --argjson a "$a"
}

# runc_in CMD: runs `sh -c CMD` in a container of the bundle, output in $output.
run_in() {
    args sh -c "$1"
    run hk run --bundle "$B" "$NAME"
}

# status ID: the container's status from `state`.
status_of() { hk state "$1" | jq -r .status; }

# A host directory bind-mounted at /out in the container, to see what
# happened inside after the container is gone.
with_out() {
    mkdir -p "$T/out"
    cfg '.mounts += [{"destination": "/out", "type": "bind", "source": $s, "options": ["rbind", "rw"]}]' --arg s "$T/out"
}
