#!/usr/bin/env python3
"""Compares two thorax binaries on the same `thorax bench` configurations, alternating them.

For a change that must not move speed (a refactoring, a new abstraction), build the binary before
and after it and run both here: each configuration runs as N pairs whose order swaps every pair
(A B, B A, A B, …), and the table gives each side's median step time, the ratio of the medians
(B / A: below 1 means B is faster) and every pair's ratio, so the machine's drift shows.

Usage:
  python3 scripts/bench-ab.py A_THORAX B_THORAX [--pairs N] [--threads N] [--only ARCH...] [--skip-512]
Example:
  git worktree add /tmp/before HEAD~1 && (cd /tmp/before && swift build -c release --product thorax)
  swift build -c release --product thorax
  python3 scripts/bench-ab.py /tmp/before/.build/release/thorax .build/release/thorax --pairs 5
"""
import argparse
import json
import os
import statistics
import subprocess
import time

CONFIGURATIONS = [
    # arch, mode, batch, size, iterations, extra arguments
    ("resnet50", "train", 16, 224, 5, []),
    ("resnet50", "infer", 16, 224, 10, []),
    ("densenet121", "train", 16, 224, 5, []),
    ("densenet121", "infer", 16, 224, 10, []),
    ("efficientnet-lite0", "train", 16, 224, 5, ["--head", "--transition-channels", "256", "--optimizer", "adam"]),
    ("resnet50", "infer", 4, 512, 3, []),
    ("resnet50", "train", 4, 512, 3, []),
]


def bench(binary, arch, mode, batch, size, iterations, extra, threads):
    command = [binary, "bench", "--arch", arch, "--mode", mode, "--batch", str(batch), "--size", str(size),
               "--iterations", str(iterations), "--threads", str(threads), "--json"] + extra
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a", help="the baseline thorax binary (A)")
    parser.add_argument("b", help="the thorax binary measured against it (B)")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--only", nargs="*", help="architectures to include")
    parser.add_argument("--skip-512", action="store_true")
    args = parser.parse_args()
    print("A = %s\nB = %s\n%d pairs per row (order swaps each pair), %d threads, load %s\n" % (
        args.a, args.b, args.pairs, args.threads, " ".join("%.1f" % v for v in os.getloadavg())))
    print("| model | mode | batch | size | A s/step | B s/step | B / A | pair ratios | A peak RSS | B peak RSS |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for arch, mode, batch, size, iterations, extra in CONFIGURATIONS:
        if args.only and arch not in args.only:
            continue
        if args.skip_512 and size == 512:
            continue
        runs = {"a": [], "b": []}
        for pair in range(args.pairs):
            order = ("a", "b") if pair % 2 == 0 else ("b", "a")
            for side in order:
                binary = args.a if side == "a" else args.b
                runs[side].append(bench(binary, arch, mode, batch, size, iterations, extra, args.threads))
        seconds = {side: [r["seconds_per_iteration"] for r in runs[side]] for side in runs}
        a, b = statistics.median(seconds["a"]), statistics.median(seconds["b"])
        pairs = ", ".join("%.2f" % (y / x) for x, y in zip(seconds["a"], seconds["b"]))
        print("| %s%s | %s | %d | %d | %.4f | %.4f | **%.3f** | %s | %.0f MB | %.0f MB |" % (
            arch, " (head, Adam)" if extra else "", mode, batch, size, a, b, b / a, pairs,
            max(r["peak_rss_bytes"] for r in runs["a"]) / 2**20, max(r["peak_rss_bytes"] for r in runs["b"]) / 2**20),
            flush=True)
    print("\n%s" % time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))


if __name__ == "__main__":
    main()
