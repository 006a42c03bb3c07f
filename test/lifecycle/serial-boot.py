#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Run QEMU with the guest's serial console on a pipe: copy it to LOG (and stdout, prefixed),
answer prompts, stop at the end marker or on timeout.

  serial-boot.py --log LOG --timeout S [--answer REGEX=FILE]... [--end REGEX] [--times FILE] -- QEMU ARGS...

--answer: when the console output matches REGEX (once), the content of FILE plus a newline is
typed into the console. --end: once matched, QEMU is given 60 s to power off by itself.
--times: every complete console line, prefixed with the seconds since QEMU started (the host's
monotonic clock, read when the line arrived), for benchmarks (bench/lifecycle-boot.sh).
Exit status: 0 when QEMU exited by itself (guest powered off) after --end matched; 2 on timeout;
3 when it exited without the end marker; QEMU's own non-zero status is passed on as 4.
The matched answers are listed on stderr as "serial-boot: answered REGEX after N s".
"""
import argparse
import os
import re
import select
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--timeout", type=float, required=True)
    ap.add_argument("--answer", action="append", default=[])
    ap.add_argument("--end")
    ap.add_argument("--times")
    ap.add_argument("qemu", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.qemu[1:] if a.qemu and a.qemu[0] == "--" else a.qemu
    answers = []
    for spec in a.answer:
        rx, _, path = spec.rpartition("=")
        with open(path, "rb") as f:
            answers.append([re.compile(rx.encode()), f.read().rstrip(b"\n") + b"\r", False])
    end_rx = re.compile(a.end.encode()) if a.end else None

    start = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    buf = b""
    ended_at = None
    times = open(a.times, "w") if a.times else None
    partial = b""
    with open(a.log, "wb") as log:
        fd = p.stdout.fileno()
        while True:
            now = time.monotonic()
            if now - start > a.timeout or (ended_at is not None and now - ended_at > 60):
                p.kill()
                p.wait()
                print(f"serial-boot: timeout after {now - start:.0f} s", file=sys.stderr)
                return 2
            r, _, _ = select.select([fd], [], [], 1.0)
            if not r:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            log.write(chunk)
            log.flush()
            if times is not None:
                *lines, partial = (partial + chunk).split(b"\n")
                for line in lines:
                    text = line.rstrip(b"\r").decode("utf-8", "replace")
                    times.write(f"{time.monotonic() - start:.3f} {text}\n")
            buf = (buf + chunk)[-65536:]
            for ans in answers:
                if not ans[2] and ans[0].search(buf):
                    ans[2] = True
                    time.sleep(1)  # the prompt's reader may not be ready the instant it is drawn
                    p.stdin.write(ans[1])
                    p.stdin.flush()
                    print(f"serial-boot: answered {ans[0].pattern.decode()!r} after {time.monotonic() - start:.0f} s",
                          file=sys.stderr)
                    buf = b""
            if end_rx is not None and ended_at is None and end_rx.search(buf):
                ended_at = time.monotonic()
        rc = p.wait()
    if times is not None:
        times.close()
    took = time.monotonic() - start
    print(f"serial-boot: QEMU exited with {rc} after {took:.0f} s", file=sys.stderr)
    if rc != 0:
        return 4
    if end_rx is not None and ended_at is None:
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
