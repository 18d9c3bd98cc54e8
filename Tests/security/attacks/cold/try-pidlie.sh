#!/bin/sh
# one try: returns the state's pid
cd /tmp/cold; export PATH=/work/wt/coldattack/.build/release:$PATH; H="hako --root /tmp/cold/state"
A=$($H state a | jq .pid); APNS=$(readlink /proc/$A/ns/pid); for p in /proc/[0-9]*; do [ "$(readlink $p/ns/pid 2>/dev/null)" = "$APNS" ] && [ ${p#/proc/} != $A ] && kill -9 ${p#/proc/}; done 2>/dev/null; sleep 0.3
$H delete --force b2 2>/dev/null
V=$(cat victim.pid)
$H exec -d --env THREADS=$1 a /bin/pidlie $V > /tmp/cold/pidlie-try.log 2>&1; sleep 0.5
$H create --bundle b2 b2; echo create rc $?; sleep 0.3; cat pidlie-try.log; $H state b2 | jq -c '{status,pid}'; grep '^init' state/b2/intent
