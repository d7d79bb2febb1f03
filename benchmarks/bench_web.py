"""Load on the REST API: concurrent checks of a 50,000-row file against a real `kikan-std serve`.

Starts the server on a free loopback port (a child process), sends N concurrent POST /api/v1/check
requests (default 20) cycling over a few variants of a 50,000-row 住登外者宛名 file (different planted
defects, so a mixed-up report would show), then prints:

* correctness: every response's status, input hash and findings equal the library's own report of
  the same variant (reports unmixed);
* wall time and requests per minute;
* the server's peak resident memory (VmHWM of the server process).

Loopback only, a bounded number of requests. Usage:
    .venv/bin/python benchmarks/bench_web.py [--rows 50000] [--requests 20] [--variants 4] [--workers 2]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kikan_std import check

KEYS = ("code", "record", "item", "message")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(port: int, path: Path) -> tuple[int, dict]:  # type: ignore[type-arg]
    boundary = "benchboundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="spec"\r\n\r\njutogai_atena\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n\r\n'
    ).encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/check", data=body, method="POST",
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(req, timeout=1800) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return -1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--requests", type=int, default=20)
    ap.add_argument("--variants", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2, help="server: runs checked at once")
    args = ap.parse_args()
    exe = Path(sys.executable).with_name("kikan-std")
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmpname:
        tmp = Path(tmpname)
        variants: list[Path] = []
        for v in range(args.variants):
            p = tmp / f"atena_{v}.csv"
            subprocess.run([str(exe), "generate", "--spec", "jutogai_atena", "--rows", str(args.rows), "--seed",
                            str(100 + v), "--defect-rate", str(0.002 * v), "-o", str(p)], check=True,
                           stdout=subprocess.DEVNULL)
            variants.append(p)
        print(f"files: {args.variants} variants x {args.rows:,} rows, {variants[0].stat().st_size / 1e6:.1f} MB each")
        expected = {}
        for p in variants:
            rep = check(p, spec="jutogai_atena")
            expected[p.name] = (hashlib.sha256(p.read_bytes()).hexdigest(), 406 if rep.failed else 200,
                                [tuple(getattr(f, k) for k in KEYS) for f in rep.findings])
        port = _free_port()
        server = subprocess.Popen([str(exe), "serve", "--port", str(port), "--workers", str(args.workers),
                                   "--max-upload-mb", "256"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            for _ in range(300):  # bounded wait for the server
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2):
                        break
                except OSError:
                    time.sleep(0.1)
            rss_idle = _peak_rss_kib(server.pid)
            jobs = [variants[i % len(variants)] for i in range(args.requests)]
            t0 = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.requests) as pool:
                results = list(pool.map(lambda p: (p, *_post(port, p)), jobs))
            wall = time.perf_counter() - t0
            peak = _peak_rss_kib(server.pid)
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
        ok = 0
        for p, status, rep in results:
            sha, want_status, want = expected[p.name]
            got = [tuple(f[k] for k in KEYS) for f in rep.get("findings", [])]
            if status == want_status and rep["inputs"][0]["sha256"] == sha and got == want \
                    and rep["inputs"][0]["file"] == p.name:
                ok += 1
        print(f"requests: {args.requests} concurrent, server workers {args.workers}, CPUs {os.cpu_count()}")
        print(f"correct (status, input hash, findings equal the library's; reports unmixed): {ok}/{len(results)}")
        print(f"wall time: {wall:.1f} s ({len(results) / wall * 60:.1f} checks/min, "
              f"{args.rows * len(results) / wall:,.0f} rows/s)")
        print(f"server peak RSS: {peak / 1024:.0f} MiB (after start: {rss_idle / 1024:.0f} MiB)")
        return 0 if ok == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
