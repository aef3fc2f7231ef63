"""Build memory and time against the size of the observations CSV (not a test; numbers in README.md).

    python bench/memory.py [--sizes 1 5 20]

For each size (MB), a copy of the project gets a ``data/bulk-2023/`` report: CALB's entities
and an observations file of that size made from the shipped CALB rows, their periods shifted
across the years 1900-2100 (so most rows are distinct figures) and, past that, repeated as they
are (repeated identical rows take the suffixed-IRI path). ``esgkg build`` then runs in a
subprocess, and its peak resident memory (``ru_maxrss`` of the child) and wall time are printed
with the memory per MB of CSV.
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


def make_project(tmp: Path, megabytes: float) -> tuple[Path, int]:
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
            rows += [r for r in csv.DictReader(fh) if r["period"].isdigit()]
        path.unlink()
    header = ["indicator", "entity", "period", "breakdown", "value", "unit", "page", "boundary",
              "restated", "source", "note", "qualifier"]
    target = int(megabytes * 1024 * 1024)
    out = io.StringIO()
    writer = csv.DictWriter(out, header, lineterminator="\n", restval="")
    writer.writeheader()
    n, year = 0, 1900
    while out.tell() < target:
        for row in rows:
            writer.writerow({**row, "period": str(year) if year <= 2100 else row["period"]})
            n += 1
            if out.tell() >= target:
                break
        year += 1
    (folder / "observations.csv").write_text(out.getvalue(), encoding="utf-8")
    return folder / "observations.csv", n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 5, 20])
    args = parser.parse_args()
    esgkg = [sys.executable, "-m", "esgkg.cli", "build"]
    print("| CSV | rows | build wall | peak memory | memory per MB of CSV |")
    print("|---|---|---|---|---|")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            csv_path, rows = make_project(Path(tmp), size)
            env = {**os.environ, "ESGKG_PROJECT": tmp, "ESGKG_STORE": str(Path(tmp) / "store")}
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            start = time.perf_counter()
            done = subprocess.run(esgkg, env=env, capture_output=True, text=True, check=False)
            wall = time.perf_counter() - start
            peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            if done.returncode != 0:
                sys.exit(f"build failed: {done.stderr[-2000:]}")
            mb = csv_path.stat().st_size / 1024 / 1024
            note = "" if peak_mb * 1024 > before else " (peak of an earlier child)"
            print(f"| {mb:.1f} MB | {rows:,} | {wall:.1f} s | {peak_mb:,.0f} MB{note} | "
                  f"{peak_mb / mb:,.0f} MB |")


if __name__ == "__main__":
    main()
