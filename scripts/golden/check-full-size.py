#!/usr/bin/env python3
"""The full-size exactness check of issue 3: `thorax forward` against PyTorch (CPU).

For each architecture (default ResNet-50 and DenseNet-121) with random weights (BatchNorm
statistics randomized too), a random batch of 2 at 224x224: runs `thorax forward` in eval and
train mode with --backward and compares with PyTorch's
  output:        max|ours - torch| / max|torch| <= 1e-4
  every gradient (input and each parameter) and each updated running statistic: <= 1e-3.
Prints one line per mode and the worst tensors; exits 1 when a bound is exceeded.

Usage (from the repository root, after `swift build -c release`):
  python3 scripts/golden/check-full-size.py [--thorax .build/release/thorax] [--arch resnet50 densenet121]
         [--size 224] [--batch 2] [--threads N] [--keep DIR]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import torch
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models as tm  # noqa: E402

OUTPUT_BOUND, GRADIENT_BOUND = 1e-4, 1e-3


def relative_error(ours, theirs):
    scale = theirs.abs().max().item()
    return (ours - theirs).abs().max().item() / (scale if scale > 0 else 1.0)


def run(arch, args, directory):
    g = torch.Generator().manual_seed(2017)
    torch.manual_seed(2017)
    model = tm.build(arch)
    tm.randomize_batch_norm(model, g)
    weights = {k: v.contiguous() for k, v in model.state_dict().items()}
    weights_path = os.path.join(directory, arch + ".weights.safetensors")
    save_file(weights, weights_path)
    x = torch.randn(args.batch, 3, args.size, args.size, generator=g)
    grad_output = torch.randn(args.batch, 1000, generator=g)
    input_path = os.path.join(directory, arch + ".input.safetensors")
    save_file({"input": x, "grad_output": grad_output}, input_path)
    failed = False
    for mode in ["eval", "train"]:
        model.load_state_dict(weights)
        model.train(mode == "train")
        model.zero_grad()
        xi = x.clone().requires_grad_(True)
        started = time.time()
        y = model(xi)
        y.backward(grad_output)
        torch_seconds = time.time() - started
        output_path = os.path.join(directory, "%s.%s.output.safetensors" % (arch, mode))
        command = [args.thorax, "forward", "--arch", arch, "--weights", weights_path, "--input", input_path,
                   "--output", output_path, "--mode", mode, "--backward"]
        if args.threads:
            command += ["--threads", str(args.threads)]
        started = time.time()
        subprocess.run(command, check=True)
        thorax_seconds = time.time() - started
        ours = load_file(output_path)
        errors = {"output": relative_error(ours["output"], y.detach())}
        gradient_errors = {"grad.input": relative_error(ours["grad.input"], xi.grad)}
        for name, p in model.named_parameters():
            key = "grad." + name
            if key not in ours:
                print("  MISSING", key)
                failed = True
                continue
            gradient_errors[key] = relative_error(ours[key], p.grad)
        if mode == "train":
            for name, b in model.named_buffers():
                key = "buffer." + name
                if b.dtype.is_floating_point and key in ours:
                    gradient_errors[key] = relative_error(ours[key], b)
        worst = sorted(gradient_errors.items(), key=lambda item: -item[1])[:3]
        ok = errors["output"] <= OUTPUT_BOUND and worst[0][1] <= GRADIENT_BOUND
        failed = failed or not ok
        print("%-12s %-5s output %.2e (bound %.0e)  %d gradients/statistics, worst %.2e (bound %.0e)  %s"
              "  [torch %.1fs, thorax process %.1fs]" % (
                  arch, mode, errors["output"], OUTPUT_BOUND, len(gradient_errors), worst[0][1], GRADIENT_BOUND,
                  "ok" if ok else "FAILED", torch_seconds, thorax_seconds))
        for name, error in worst:
            print("    %-50s %.2e" % (name, error))
    return failed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--thorax", default=".build/release/thorax")
    parser.add_argument("--arch", nargs="+", default=["resnet50", "densenet121"])
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--keep", help="directory to keep the files in")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    directory = args.keep or tempfile.mkdtemp(prefix="thorax-check-")
    os.makedirs(directory, exist_ok=True)
    failed = False
    for arch in args.arch:
        failed = run(arch, args, directory) or failed
    print("FAILED" if failed else "all within bounds")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
