#!/usr/bin/env python3
"""PyTorch's side of `thorax bench`: the same work, timed the same way.

  train: forward, BCE-with-logits loss on 14 random 0/1 labels, backward, SGD step
         (lr 0.01, momentum 0.9, weight decay 1e-4), on random data;
  infer: forward under no_grad in eval mode.
Model: torchvision's topology (scripts/golden/torch_models.py) with a 14-class classifier,
channels_last memory format (the fastest on this CPU), torch.set_num_threads(--threads).
Two warm-up iterations, then --iterations timed ones; prints the median seconds per
iteration (wall, and the process's CPU seconds) and images per second, or with --json the same
keys as `thorax bench --json`.
Peak RSS is the process's maximum resident set (ru_maxrss), Python and torch included.

Usage: python3 scripts/bench-pytorch.py --arch resnet50 --batch 16 --size 224 --mode train [--iterations 10] [--threads 2] [--json]
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden"))
import torch_models as tm  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", default="resnet50")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--mode", choices=["train", "infer"], default="train")
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = tm.build(args.arch, num_classes=14).to(memory_format=torch.channels_last)
    x = torch.randn(args.batch, 3, args.size, args.size).to(memory_format=torch.channels_last)
    y = (torch.rand(args.batch, 14) < 0.3).float()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)

    def iteration():
        if args.mode == "train":
            optimizer.zero_grad(set_to_none=True)
            loss = F.binary_cross_entropy_with_logits(model(x), y)
            loss.backward()
            optimizer.step()
        else:
            with torch.no_grad():
                model(x)

    model.train(args.mode == "train")
    times, cpu_times = [], []
    for i in range(args.iterations + 2):
        started, cpu_started = time.perf_counter(), time.process_time()
        iteration()
        if i >= 2:
            times.append(time.perf_counter() - started)
            cpu_times.append(time.process_time() - cpu_started)
    seconds = statistics.median(times)
    result = {
        "arch": args.arch, "mode": args.mode, "batch": args.batch, "size": args.size,
        "seconds_per_iteration": seconds, "images_per_second": args.batch / seconds,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "cpu_seconds_per_iteration": statistics.median(cpu_times),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print("pytorch %s %s batch %d size %d: %.4f s/iteration (median of %d; %.4f CPU s), %.1f images/s, peak RSS %.0f MB" % (
            args.arch, args.mode, args.batch, args.size, seconds, args.iterations, result["cpu_seconds_per_iteration"],
            result["images_per_second"],
            result["peak_rss_bytes"] / 2**20))


if __name__ == "__main__":
    main()
