"""Build memory and time against the size of the observations CSV (not a test; numbers in README.md).

    python bench/memory.py [--sizes 1 5 20]

For each size (MB), a copy of the project gets a ``data/bulk-2023/`` report: CALB's entities
and an observations file of that size made from the shipped CALB rows, copied over and over, each
copy's source locator numbered (``line 1559 copy 7``) so that every row is a distinct printing.
``esgkg build`` then runs in a subprocess, and its peak resident memory (``ru_maxrss`` of the
child) and wall time are printed with the memory per MB of CSV. With ``--repeated`` the rows are
copied as they are instead: a file of repeated rows, which the build refuses (a repeated row is
an error); the time to that refusal shows it is found in linear time.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_project(tmp: Path, megabytes: float, repeated: bool = False) -> tuple[Path, int]:
    """A project copy with a bulk report whose observations CSV is about ``megabytes`` MB."""
    for part in ("ontology", "queries", "shapes"):
        shutil.copytree(ROOT / part, tmp / part)
    data = tmp / "data"
    shutil.copytree(ROOT / "data" / "calb-2023", data / "bulk-2023")
    folder = data / "bulk-2023"
    for path in folder.glob("entities*.yaml"):
        path.write_text(path.read_text(encoding="utf-8").replace("key: calb-2023", "key: bulk-2023"),
                        encoding="utf-8")
    rows: list[dict[str, str]] = []
    for path in sorted(folder.glob("observations*.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            rows += list(csv.DictReader(fh))
        path.unlink()
    header = ["indicator", "entity", "period", "breakdown", "value", "unit", "page", "boundary",
              "restated", "source", "note", "qualifier"]
    target = int(megabytes * 1024 * 1024)
    out = io.StringIO()
    writer = csv.DictWriter(out, header, lineterminator="\n", restval="")
    writer.writeheader()
    n, copy = 0, 0
    while out.tell() < target:
        for row in rows:
            writer.writerow(row if repeated else {**row, "source": f"{row['source']} copy {copy}"})
            n += 1
            if out.tell() >= target:
                break
        copy += 1
    (folder / "observations.csv").write_text(out.getvalue(), encoding="utf-8")
    return folder / "observations.csv", n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 5, 20])
    parser.add_argument("--repeated", action="store_true", help="rows repeated as they are (refused)")
    args = parser.parse_args()
    esgkg = [sys.executable, "-m", "esgkg.cli", "build"]
    print("| CSV | rows | build wall | peak memory | memory per MB of CSV |")
    print("|---|---|---|---|---|")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            csv_path, rows = make_project(Path(tmp), size, args.repeated)
            env = {**os.environ, "ESGKG_PROJECT": tmp, "ESGKG_STORE": str(Path(tmp) / "store")}
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            start = time.perf_counter()
            done = subprocess.run(esgkg, env=env, capture_output=True, text=True, check=False)
            wall = time.perf_counter() - start
            peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            if done.returncode != 0 and not args.repeated:
                sys.exit(f"build failed: {done.stderr[-2000:]}")
            if args.repeated and done.returncode != 2:
                sys.exit(f"a file of repeated rows was not refused (exit {done.returncode})")
            mb = csv_path.stat().st_size / 1024 / 1024
            note = "" if peak_mb * 1024 > before else " (peak of an earlier child)"
            print(f"| {mb:.1f} MB | {rows:,} | {wall:.1f} s | {peak_mb:,.0f} MB{note} | "
                  f"{peak_mb / mb:,.0f} MB |")


if __name__ == "__main__":
    main()
