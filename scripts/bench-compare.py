#!/usr/bin/env python3
"""Runs `thorax bench` and scripts/bench-pytorch.py on the same configurations, alternating
them in one run, and prints the BENCHMARKS.md table (medians, ratio thorax / PyTorch).

Usage (from the repository root, after `swift build -c release`):
  python3 scripts/bench-compare.py [--thorax .build/release/thorax] [--threads N] [--iterations N] [--skip-512] [--only ARCH...]
"""
import argparse
import json
import os
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
    parser.add_argument("--skip-512", action="store_true", help="leave out the 512x512 rows")
    parser.add_argument("--only", nargs="*", help="architectures to include")
    args = parser.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    rows = []
    load_before = os.getloadavg()
    print("| model | mode | batch | size | thorax s/iter | PyTorch s/iter | ratio | CPU-s ratio | thorax img/s | PyTorch img/s | thorax peak RSS | PyTorch peak RSS |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for arch, mode, batch, size, iterations in CONFIGURATIONS:
        if args.only and arch not in args.only:
            continue
        if args.skip_512 and size == 512:
            continue
        iterations = args.iterations or iterations
        common = ["--arch", arch, "--mode", mode, "--batch", str(batch), "--size", str(size),
                  "--iterations", str(iterations), "--threads", str(args.threads), "--json"]
        ours = run([args.thorax, "bench"] + common)
        theirs = run([sys.executable, os.path.join(here, "bench-pytorch.py")] + common)
        ratio = ours["seconds_per_iteration"] / theirs["seconds_per_iteration"]
        rows.append((arch, mode, batch, size, ours, theirs, ratio))
        cpu_ratio = ours["cpu_seconds_per_iteration"] / theirs["cpu_seconds_per_iteration"]
        print("| %s | %s | %d | %d | %.4f | %.4f | **%.2f** | %.2f | %.1f | %.1f | %.0f MB | %.0f MB |" % (
            arch, mode, batch, size, ours["seconds_per_iteration"], theirs["seconds_per_iteration"], ratio, cpu_ratio,
            ours["images_per_second"], theirs["images_per_second"],
            ours["peak_rss_bytes"] / 2**20, theirs["peak_rss_bytes"] / 2**20), flush=True)
    print("\n%s, %d threads, %s, load average before the run: %s" % (
        platform.node(), args.threads, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        " ".join("%.2f" % v for v in load_before)))


if __name__ == "__main__":
    main()
