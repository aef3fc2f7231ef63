"""Benchmark of `esgkg serve`: latency of every named query over HTTP, against the same query
through the Python API, and the throughput of parallel clients (not a test; numbers go in README.md).

    python bench/server.py [--repeat N] [--clients C] [--store PATH]

Starts `esgkg serve` on a free loopback port over the built store (default: the project's store;
build it first), then for each named query times N requests to ``/api/queries/<name>`` (JSON)
and N calls of ``KnowledgeGraph.query(name)``, and reports the medians and the p95; then C
clients ask the ISO 45001 question in a loop for a few seconds (requests per second), alone
and while one client runs a query that only the time limit stops.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from esgkg.api import KnowledgeGraph
from esgkg.project import Project
from esgkg.store import EmbeddedStore

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 60) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def start_server(root: Path, store: Path, port: int, timeout: float) -> subprocess.Popen:
    env = {**os.environ, "ESGKG_PROJECT": str(root), "ESGKG_STORE": str(store)}
    proc = subprocess.Popen([sys.executable, "-m", "esgkg.cli", "serve", "--port", str(port),
                             "--timeout", str(timeout)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            get(base + "/api/queries", timeout=2)
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("esgkg serve did not start")


def load(base: str, seconds: float, clients: int) -> tuple[int, list[float]]:
    url = base + "/api/queries/sites-with-standard?standard=iso-45001"
    stop = time.monotonic() + seconds
    latencies: list[float] = []
    lock = threading.Lock()

    def client() -> None:
        while time.monotonic() < stop:
            t = time.perf_counter()
            status, _ = get(url)
            dt = time.perf_counter() - t
            if status == 200:
                with lock:
                    latencies.append(dt)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies), latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--store", type=Path)
    args = parser.parse_args()
    project = Project(Path(__file__).resolve().parents[1])
    store = args.store or project.default_store
    kg = KnowledgeGraph(EmbeddedStore(store), project)
    port = free_port()
    proc = start_server(project.root, store, port, timeout=5.0)
    base = f"http://127.0.0.1:{port}"
    try:
        print(f"{'query':36} {'HTTP p50':>9} {'HTTP p95':>9} {'API p50':>9}  rows")
        http_all, api_all = [], []
        for name in sorted(kg.queries):
            http, api = [], []
            for _ in range(args.repeat):
                t = time.perf_counter()
                status, body = get(f"{base}/api/queries/{name}")
                http.append(time.perf_counter() - t)
                t = time.perf_counter()
                rows = len(kg.query(name))
                api.append(time.perf_counter() - t)
            n = len(json.loads(body)["results"]["bindings"]) if status == 200 else f"HTTP {status}"
            http_all.append(statistics.median(http))
            api_all.append(statistics.median(api))
            print(f"{name:36} {statistics.median(http) * 1000:8.1f}ms {percentile(http, 0.95) * 1000:8.1f}ms "
                  f"{statistics.median(api) * 1000:8.1f}ms  {n} ({rows} by the API)")
        overhead = [h - a for h, a in zip(http_all, api_all, strict=True)]
        print(f"HTTP over API, median over the queries: {statistics.median(overhead) * 1000:.1f} ms")
        n, lat = load(base, args.seconds, args.clients)
        print(f"{args.clients} clients, ISO 45001 question, {args.seconds:g} s: "
              f"{n / args.seconds:.0f} req/s, "
              f"p50 {percentile(lat, 0.5) * 1000:.1f} ms, p95 {percentile(lat, 0.95) * 1000:.1f} ms")
        runaway_status: list[int] = []
        runaway = threading.Thread(target=lambda: runaway_status.append(
            get(f"{base}/sparql?{urllib.parse.urlencode({'query': RUNAWAY})}")[0]))
        runaway.start()
        time.sleep(0.2)
        n, lat = load(base, args.seconds, args.clients)
        runaway.join()
        print(f"the same while one runaway query runs into the 5 s limit (HTTP {runaway_status[0]}): "
              f"{n / args.seconds:.0f} req/s, p50 {percentile(lat, 0.5) * 1000:.1f} ms, "
              f"p95 {percentile(lat, 0.95) * 1000:.1f} ms")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        kg.close()


if __name__ == "__main__":
    main()
