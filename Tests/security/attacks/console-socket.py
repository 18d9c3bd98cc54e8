#!/usr/bin/env python3
# console-socket.py SOCKET READY: the engine's end of --console-socket.
# Takes the pty master hako sends and prints what the container writes to
# its terminal until it closes.
import os, socket, sys

path, ready = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(1)
open(ready, "w").close()
s.settimeout(30)
c, _ = s.accept()
_, fds, _, _ = socket.recv_fds(c, 1024, 1)
if not fds:
    sys.exit("console-socket.py: no descriptor received")
out = b""
while True:
    try:
        d = os.read(fds[0], 4096)
    except OSError:
        break
    if not d:
        break
    out += d
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
