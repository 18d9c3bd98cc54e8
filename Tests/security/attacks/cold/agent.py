#!/usr/bin/env python3
# A seccomp agent for linux.seccomp.listenerPath: accepts, keeps the
# notify descriptors it is sent (so filtered syscalls block, not ENOSYS),
# logs the state it is told.
import socket, sys, os, array
path = sys.argv[1]
try: os.unlink(path)
except FileNotFoundError: pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path); s.listen(16)
keep = []
while True:
    c, _ = s.accept()
    fds = array.array("i")
    msg, anc, flags, addr = c.recvmsg(65536, socket.CMSG_LEN(16 * fds.itemsize))
    for level, typ, data in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            fds.frombytes(data[:len(data) - (len(data) % fds.itemsize)])
    keep.append((c, list(fds)))
    print("agent: got fds", list(fds), "msg", msg[:300], flush=True)
