#!/usr/bin/env python3
"""oci-seccomp.py PROFILE [CAP...] > seccomp.json

Turns an engine's seccomp profile (Docker's and podman's format, as in
/usr/share/containers/seccomp.json from Debian's
golang-github-containers-common) into the `linux.seccomp` object of an OCI
config for x86_64, the way the engines do it: the native architecture and
its sub-architectures from archMap, and each rule kept when its includes
(caps, arches) hold and its excludes do not. CAPs default to runc spec's
set (CAP_AUDIT_WRITE CAP_KILL CAP_NET_BIND_SERVICE)."""
import json
import sys

profile = json.load(open(sys.argv[1]))
caps = set(sys.argv[2:] or ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"])
arch = "SCMP_ARCH_X86_64"
arches = [arch]
for m in profile.get("archMap") or []:
    if m["architecture"] == arch:
        arches += m.get("subArchitectures") or []
names = {"SCMP_ARCH_X86_64": "amd64", "SCMP_ARCH_X86": "x86", "SCMP_ARCH_X32": "x32"}

def holds(cond, default):
    if not cond:
        return default
    ok_caps = not cond.get("caps") or set(cond["caps"]) <= caps
    ok_arch = not cond.get("arches") or names[arch] in cond["arches"]
    return ok_caps and ok_arch

syscalls = []
for s in profile.get("syscalls") or []:
    inc, exc = s.get("includes") or {}, s.get("excludes") or {}
    if inc and not holds(inc, True):
        continue
    if exc and (set(exc.get("caps") or []) & caps or names[arch] in (exc.get("arches") or [])):
        continue
    rule = {"names": s["names"] if "names" in s else [s["name"]], "action": s["action"]}
    for key in ("args", "errnoRet"):
        if s.get(key) is not None:
            rule[key] = s[key]
    syscalls.append(rule)

out = {"defaultAction": profile["defaultAction"], "architectures": arches, "syscalls": syscalls}
if profile.get("defaultErrnoRet") is not None:
    out["defaultErrnoRet"] = profile["defaultErrnoRet"]
json.dump(out, sys.stdout, indent=1)
