#!/usr/bin/env python3
"""Runs `thorax bench` and scripts/bench-pytorch.py on the same configurations, alternating
them in one run, and prints the docs/benchmarks.md table (medians, ratio thorax / PyTorch).

With --repeats N each configuration runs as N alternating pairs (thorax, PyTorch, thorax, ...):
the table then gives the median of each side's N results, the ratio of those medians, and the
ratios of the N pairs (PyTorch's own step time moves 15-20 % from run to run on a shared host,
more than the margins being measured).

Usage (from the repository root, after `swift build -c release`):
  python3 scripts/bench-compare.py [--thorax .build/release/thorax] [--threads N] [--iterations N] [--repeats N] [--skip-512] [--size S] [--only ARCH...]
Example:
  python3 scripts/bench-compare.py --only resnet50 --skip-512 --repeats 3
"""
import argparse
import json
import os
import statistics
import platform
import subprocess
import sys
import time

CONFIGURATIONS = [
    # arch, mode, batch, size, iterations
    ("resnet50", "train", 16, 224, 10),
    ("resnet50", "infer", 16, 224, 10),
    ("densenet121", "train", 16, 224, 10),
    ("densenet121", "infer", 16, 224, 10),
    ("resnet50", "infer", 1, 224, 30),
    ("densenet121", "infer", 1, 224, 30),
    ("resnet50", "infer", 4, 512, 5),
    ("resnet50", "train", 4, 512, 5),
]


def run(command):
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--thorax", default=".build/release/thorax")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--iterations", type=int, help="timed iterations for every configuration (default: per row)")
    parser.add_argument("--repeats", type=int, default=1, help="alternating (thorax, PyTorch) pairs per configuration")
    parser.add_argument("--skip-512", action="store_true", help="leave out the 512x512 rows")
    parser.add_argument("--size", type=int, help="only the rows of this image size (224 or 512)")
    parser.add_argument("--only", nargs="*", help="architectures to include")
    args = parser.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    rows = []
    load_before = os.getloadavg()
    pairs = " | pair ratios" if args.repeats > 1 else ""
    print("| model | mode | batch | size | thorax s/iter | PyTorch s/iter | ratio | CPU-s ratio | thorax img/s | PyTorch img/s | thorax peak RSS | PyTorch peak RSS%s |" % pairs)
    print("|---|---|---|---|---|---|---|---|---|---|---|---|%s" % ("---|" if pairs else ""))
    for arch, mode, batch, size, iterations in CONFIGURATIONS:
        if args.only and arch not in args.only:
            continue
        if args.skip_512 and size == 512:
            continue
        if args.size and size != args.size:
            continue
        iterations = args.iterations or iterations
        common = ["--arch", arch, "--mode", mode, "--batch", str(batch), "--size", str(size),
                  "--iterations", str(iterations), "--threads", str(args.threads), "--json"]
        ours_runs, theirs_runs = [], []
        for _ in range(args.repeats):
            ours_runs.append(run([args.thorax, "bench"] + common))
            theirs_runs.append(run([sys.executable, os.path.join(here, "bench-pytorch.py")] + common))

        def median(runs, key):
            return statistics.median(r[key] for r in runs)

        ours_seconds, theirs_seconds = median(ours_runs, "seconds_per_iteration"), median(theirs_runs, "seconds_per_iteration")
        ratio = ours_seconds / theirs_seconds
        cpu_ratio = median(ours_runs, "cpu_seconds_per_iteration") / median(theirs_runs, "cpu_seconds_per_iteration")
        rows.append((arch, mode, batch, size, ours_seconds, theirs_seconds, ratio))
        pair_ratios = ""
        if args.repeats > 1:
            pair_ratios = " | " + ", ".join("%.2f" % (o["seconds_per_iteration"] / t["seconds_per_iteration"])
                                             for o, t in zip(ours_runs, theirs_runs))
        print("| %s | %s | %d | %d | %.4f | %.4f | **%.2f** | %.2f | %.1f | %.1f | %.0f MB | %.0f MB%s |" % (
            arch, mode, batch, size, ours_seconds, theirs_seconds, ratio, cpu_ratio,
            batch / ours_seconds, batch / theirs_seconds,
            max(r["peak_rss_bytes"] for r in ours_runs) / 2**20, max(r["peak_rss_bytes"] for r in theirs_runs) / 2**20,
            pair_ratios), flush=True)
    print("\n%s, %d threads, %d pair(s) per row, %s, load average before the run: %s" % (
        platform.node(), args.threads, args.repeats, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        " ".join("%.2f" % v for v in load_before)))


if __name__ == "__main__":
    main()
