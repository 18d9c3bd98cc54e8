#!/usr/bin/env bats
# Rootless podman on hako: an unprivileged user the harness creates (with
# subordinate ids, as useradd gives them) runs podman 4.3 with hako as its
# OCI runtime. podman maps the user and its subordinate range through
# newuidmap, and calls hako from inside its own user namespace, where hako
# is "root" without any host privilege and cannot create cgroups (cgroup v1).
# The user, its files and its /etc/subuid lines are removed afterwards.

load "$BATS_TEST_DIRNAME/../helpers"

setup_file() {
    # root to create the test user
    requires root podman newuidmap setpriv useradd || return 0
    export U=hakorl$$
    export T=$(mktemp -d /tmp/hako-podman-rootless.XXXXXX)
    chmod 755 "$T"
    # The user's podman must reach hako whatever the checkout's permissions
    # (a clone under a 0700 directory hides .build from it): a copy in $T.
    cp "$HAKO" "$T/hako"
    chmod 755 "$T/hako"
    for f in subuid subgid; do cp -p /etc/$f "$T/$f.saved" 2>/dev/null || true; done
    useradd --create-home --home-dir "$T/home" --shell /bin/sh "$U"
    # useradd gives subordinate ids only where login.defs asks it to; make sure.
    for f in subuid subgid; do
        grep -q "^$U:" /etc/$f 2>/dev/null || echo "$U:300000:65536" >> /etc/$f
    done
    export UID_=$(id -u "$U")
    mkdir -m 700 "$T/run"
    chown "$U:" "$T/run"
    cat > "$T/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=1024:1024"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "hako"
runtime_supports_json = ["crun", "runc", "hako"]
[engine.runtimes]
hako = ["$T/hako"]
CONF
    chmod 644 "$T/containers.conf"
    HAKO=$HAKO "$ROOT/scripts/busybox-bundle" "$T/bundle" true >/dev/null
    tar -C "$T/bundle/rootfs" -c . > "$T/rootfs.tar"
    chmod 644 "$T/rootfs.tar"
    as_user podman import "$T/rootfs.tar" localhost/busybox >/dev/null
}

setup() { skip_if_unmet; }

teardown_file() {
    [ -n "${T:-}" ] || return 0
    as_user podman rm -af -t 0 >/dev/null 2>&1 || true
    as_user podman system reset -f >/dev/null 2>&1 || true
    # Processes of the user (podman's pause process) end with it.
    for pid in $(pgrep -u "$U" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    userdel "$U" 2>/dev/null || true
    for f in subuid subgid; do
        if [ -e "$T/$f.saved" ]; then cp -p "$T/$f.saved" /etc/$f; fi
    done
    rm -rf "$T"
}

as_user() {
    (cd "$T" && setpriv --reuid "$U" --regid "$U" --init-groups \
        env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$T/home" USER="$U" LOGNAME="$U" \
        XDG_RUNTIME_DIR="$T/run" CONTAINERS_CONF="$T/containers.conf" "$@")
}

@test "rootless podman: run --rm on hako, as root of a user namespace over the user's ids" {
    run as_user podman run --rm --network none localhost/busybox sh -c 'id -u; cat /proc/self/uid_map'
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "${lines[0]}" = 0 ]
    # podman's own namespace maps the user to 0 and the subordinate range above it.
    [[ "$output" == *" 0 "*"$UID_"*" 1"* ]] || { echo "$output"; false; }
    run as_user podman run --rm --network none localhost/busybox sh -c 'exit 3'
    [ "$status" -eq 3 ]
}

@test "rootless podman: run -d, exec and rm -f, with hako's state under the user's runtime directory" {
    run as_user podman run -d --name r1 --network none localhost/busybox sleep 100
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    run as_user podman exec r1 echo exec-ok
    [ "$status" -eq 0 ] && [ "$output" = exec-ok ] || { echo "$output"; false; }
    [ -n "$(find "$T/run" -path '*hako*' -name state.json 2>/dev/null | head -1)" ] || {
        find "$T/run" -maxdepth 3 | head -20; false; }
    run as_user podman rm -f -t 0 r1
    [ "$status" -eq 0 ]
    run as_user podman ps -aq
    [ -z "$output" ]
}
