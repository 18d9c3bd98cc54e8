#!/usr/bin/env python3
# bench/interleave.py RUNS NAME=COMMAND... : runs the commands in turn, one
# run of each per round, RUNS rounds (after 3 rounds of warm-up), and prints
# a Markdown table: median wall time, mean and median CPU (user + system of
# the command and every child it waited for, from wait4's rusage), and both
# as ratios to the last command's.
#
# hyperfine runs all of one command's runs, then all of the next's: on a
# shared machine whose load drifts over a minute, that puts the drift into
# the comparison. Taking turns puts the same load on every command.
# A COMMAND may begin with VAR=value words, given to its environment.
import os
import shlex
import statistics
import sys
import time

def parse(spec):
    name, command = spec.split("=", 1)
    argv, env = shlex.split(command), dict(os.environ)
    while argv and "=" in argv[0] and not argv[0].startswith("/"):
        key, value = argv.pop(0).split("=", 1)
        env[key] = value
    return name, argv, env

def run_once(argv, env, devnull):
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        try:
            os.execvpe(argv[0], argv, env)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime, status

def main():
    runs = int(sys.argv[1])
    commands = [parse(s) for s in sys.argv[2:]]
    wall = {n: [] for n, _, _ in commands}
    cpu = {n: [] for n, _, _ in commands}
    failed = {n: 0 for n, _, _ in commands}
    devnull = os.open("/dev/null", os.O_RDWR)
    for round_ in range(runs + 3):
        for name, argv, env in commands:
            w, c, status = run_once(argv, env, devnull)
            if status != 0:
                failed[name] += 1
            if round_ >= 3:
                wall[name].append(w)
                cpu[name].append(c)
    base = commands[-1][0]
    bw, bc = statistics.median(wall[base]), statistics.mean(cpu[base])
    print(f"| command | wall ms (median) | CPU ms (mean) | CPU ms (median) | wall / {base} | CPU / {base} | failed runs |")
    print("|---|---|---|---|---|---|---|")
    for name, _, _ in commands:
        w, c = statistics.median(wall[name]), statistics.mean(cpu[name])
        print(f"| {name} | {w * 1000:.2f} | {c * 1000:.2f} | {statistics.median(cpu[name]) * 1000:.2f} "
              f"| {w / bw:.2f} | {c / bc:.2f} | {failed[name]} |")

main()
