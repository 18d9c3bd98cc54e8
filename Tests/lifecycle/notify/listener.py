#!/usr/bin/env python3
"""The host's side of sd_notify ("systemd") for notify.bats: binds a unix
datagram socket at argv[1] and appends each message to argv[2], one line
each, as it arrives. Descriptors sent with a message (BARRIER=1's pipe) are
closed at once, which is systemd's answer to a barrier."""
import os
import socket
import sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as out:
    while True:
        data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(16))
        for level, kind, fds in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                for i in range(0, len(fds) - len(fds) % 4, 4):
                    os.close(int.from_bytes(fds[i:i + 4], sys.byteorder))
        for line in data.decode(errors="replace").splitlines():
            out.write(line + "\n")
        out.flush()
