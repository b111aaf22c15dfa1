"""A small HTTP load generator, run as its own process by bench/run.py.

    python bench/loadgen.py --port 8123 --path /api/... --header "Authorization: Token …"

Each thread holds one keep-alive connection (http.client) and sends GETs back to back
for a warm-up, then for the measured seconds. Prints one JSON line: requests,
requests per second, latency percentiles and status counts. Only 127.0.0.1 is a target,
and the run is bounded in time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
from collections import Counter

from harness import percentile


def run_thread(args, headers, start_at, measure_from, stop_at, out: list, statuses: Counter):
    latencies: list[float] = []
    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
    while time.monotonic() < start_at:
        time.sleep(0.001)
    while True:
        sent = time.monotonic()
        if sent >= stop_at:
            break
        try:
            conn.request("GET", args.path, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
            if response.will_close:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
        except (OSError, http.client.HTTPException):
            status = 0
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
        done = time.monotonic()
        if sent >= measure_from:
            latencies.append((done - sent) * 1000)
            statuses[status] += 1
    conn.close()
    out.extend(latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    args = parser.parse_args()
    headers = dict(h.split(": ", 1) for h in args.header)

    start_at = time.monotonic() + 0.2
    measure_from = start_at + args.warmup
    stop_at = measure_from + args.seconds
    latencies: list[float] = []
    statuses: Counter = Counter()
    threads = [
        threading.Thread(
            target=run_thread,
            args=(args, headers, start_at, measure_from, stop_at, latencies, statuses),
        )
        for _ in range(args.threads)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(
        json.dumps(
            {
                "requests": len(latencies),
                "rps": len(latencies) / args.seconds,
                "p50_ms": percentile(latencies, 50),
                "p99_ms": percentile(latencies, 99),
                "statuses": {str(k): v for k, v in statuses.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
