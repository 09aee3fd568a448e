#!/usr/bin/env python3
"""Runs one command and writes what it cost to OUT as one line, for bench/cpu-bench.sh.

  measure-child.py --counter cpu OUT CMD...           -> "cpu_s wall_s max_rss_kib"
  measure-child.py --counter instructions OUT CMD...  -> "instructions wall_s 0"

cpu: user+system seconds of the command and every thread of it, from wait4() on its pid, which
keeps microseconds (GNU time prints hundredths: a 0.2 s command then moves in steps of 5 %).
getrusage(RUSAGE_CHILDREN) is not used: here it read 0.11-0.13 s for a command that wait4, GNU
time and perf's task-clock all put at 0.03-0.05 s.

instructions: the command under valgrind's callgrind, which counts the instructions every thread
executed. The count does not depend on what else the machine is doing, so two builds can be told
apart by a few per cent in 2-3 runs, where CPU seconds of a short process move ±10 % run to run on a
shared 2-core machine. It is 30-60 times slower, and only the instructions of the process itself
are counted: the kernel's work for its system calls is not. valgrind runs without SHA extensions,
so hashing costs more instructions than it does cycles on a CPU that has them. Go programs do not
run under it here: callgrind 3.19 aborts on Go's preemption signals (threads.c:247,
vgCallgrind_post_signal; skopeo's many-small copy), and with GODEBUG=asyncpreemptoff=1 the same
copy spun for 11 CPU-minutes without finishing. So cpu-bench counts only regtopo's builds this way.
"""
import glob
import os
import re
import subprocess
import sys
import time


def main() -> int:
    args = sys.argv[1:]
    if len(args) < 4 or args[0] != "--counter" or args[1] not in ("cpu", "instructions"):
        print("\n".join(__doc__.strip().splitlines()[2:4]), file=sys.stderr)
        return 2
    counter, out, cmd = args[1], args[2], args[3:]
    if counter == "instructions":
        # Children too (a wrapper script that execs node, say): each process logs its own count.
        log = f"{out}.valgrind"
        cmd = ["valgrind", "--tool=callgrind", "--trace-children=yes", "--callgrind-out-file=/dev/null", f"--log-file={log}.%p", *cmd]
    started = time.monotonic()
    child = subprocess.Popen(cmd)
    # wait4 rather than child.wait(): it returns the child's own rusage. Told the code, Popen does not
    # try to reap the child a second time.
    _, status, usage = os.wait4(child.pid, 0)
    rc = child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    if counter == "cpu":
        line = f"{usage.ru_utime + usage.ru_stime:.4f} {wall:.3f} {usage.ru_maxrss}"
    else:
        counts = []
        for name in glob.glob(f"{glob.escape(log)}.*"):
            with open(name, encoding="utf-8", errors="replace") as f:
                counts += [int(n) for n in re.findall(r"Collected\s*:\s*(\d+)", f.read())]
            os.unlink(name)
        if not counts:
            print(f"measure-child: no instruction count in valgrind's logs for {cmd[-1]}", file=sys.stderr)
            return rc or 1
        line = f"{sum(counts)} {wall:.3f} 0"
    with open(out, "w", encoding="utf-8") as f:
        f.write(line + "\n")
    return rc


if __name__ == "__main__":
    sys.exit(main())
