#!/usr/bin/env python3
"""Writes the golden fixtures of the Models and NN tests from PyTorch (CPU).

Run from the repository root:  python3 scripts/golden/make-fixtures.py
Needs torch and safetensors. Outputs (committed; the Swift tests never run Python):
  Tests/ModelsTests/Fixtures/dtypes.safetensors        F32/F16/BF16/I64 tensors and their F32 values
  Tests/ModelsTests/Fixtures/<model>.weights.safetensors  a tiny torchvision-topology model
  Tests/ModelsTests/Fixtures/<model>.golden.safetensors   input, outputs, gradients, running stats, and
                                                        PyTorch float32 errors vs float64 (contiguous, channels_last)
  Tests/NNTests/LossGoldenValues.swift                 BCE / weighted cross-entropy values, gradients
  Tests/NNTests/OptimGoldenValues.swift                SGD/Adam/AdamW trajectories, LR schedules
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models as tm  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODELS_FIXTURES = os.path.join(ROOT, "Tests", "ModelsTests", "Fixtures")
NN_TESTS = os.path.join(ROOT, "Tests", "NNTests")
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


def contiguous(tensors):
    return {k: v.detach().contiguous().clone() for k, v in tensors.items()}


# ---------------------------------------------------------------- dtypes

def write_dtypes():
    g = torch.Generator().manual_seed(1)
    base = torch.randn(3, 5, generator=g) * 10
    tensors = {
        "f32": base.float(),
        "f16": base.half(),
        "bf16": base.bfloat16(),
        "scalar_i64": torch.tensor(7, dtype=torch.int64),
        "vector_i64": torch.tensor([-3, 0, 1 << 40], dtype=torch.int64),
        "empty_f32": torch.zeros(0, 4),
        # The exact Float32 values PyTorch gives the narrow types, for the reader to match.
        "f16_as_f32": base.half().float(),
        "bf16_as_f32": base.bfloat16().float(),
        # What PyTorch rounds these Float32 values to in F16, for the writer to match.
        "to_f16_source": torch.tensor([0.1, -2.5e-5, 65504.0, 3.0e-8, 1.0 / 3.0, -7.77]),
    }
    tensors["to_f16_expected"] = tensors["to_f16_source"].half().float()
    save_file(tensors, os.path.join(MODELS_FIXTURES, "dtypes.safetensors"), metadata={"source": "make-fixtures.py"})


# ---------------------------------------------------------------- models

class WeaklySupervisedHead(nn.Module):
    """The paper's head: transition conv (3x3, pad 1, bias) to D maps, global pooling
    (avg | max | lse with r), prediction layer D x C."""

    def __init__(self, cin, d, c, pooling, r=10.0):
        super().__init__()
        self.transition = nn.Conv2d(cin, d, 3, padding=1, bias=True)
        self.prediction = nn.Linear(d, c)
        self.pooling, self.r = pooling, r

    def pool(self, a):
        if self.pooling == "avg":
            return a.mean((2, 3))
        if self.pooling == "max":
            return a.amax((2, 3))
        m = a.amax((2, 3), keepdim=True)
        return (m + torch.log(torch.exp(self.r * (a - m)).mean((2, 3), keepdim=True)) / self.r).flatten(1)

    def forward(self, features):
        a = self.transition(features)
        return self.prediction(self.pool(a)), a

    def cam(self, a):
        # heatmap[n, c, i, j] = sum_d w[c, d] * a[n, d, i, j]
        return torch.einsum("cd,ndij->ncij", self.prediction.weight, a)


class Backboned(nn.Module):
    def __init__(self, backbone, head):
        super().__init__()
        self.backbone, self.head = backbone, head

    def forward(self, x):
        return self.head(self.backbone.features(x))[0]


def model_case(name, model, size, seed, extra=None, eval_parameter_gradients=False):
    """Saves weights, then eval/train outputs and gradients for one tiny model (parameter
    gradients in eval mode only where asked, to keep the fixtures small)."""
    g = torch.Generator().manual_seed(seed)
    tm.randomize_batch_norm(model, g)
    weights = contiguous(model.state_dict())
    x = torch.randn(2, 3, size, size, generator=g)
    golden = {"input": x}
    # The reference values are computed in float64 from the float32 weights and input, so that
    # they are the exact answer to float32 inputs (PyTorch's own float32 result is off by up to
    # 1e-3 in the ill-conditioned BatchNorm weight gradients of these tiny models).
    model.double()
    for mode in ["eval", "train"]:
        model.load_state_dict(weights)
        model.train(mode == "train")
        model.zero_grad()
        xi = x.double().requires_grad_(True)
        y = model(xi)
        if mode == "eval":
            golden["grad_output"] = torch.randn(y.shape, generator=g)
        y.backward(golden["grad_output"].double())
        golden["output." + mode] = y.float()
        golden["grad.%s.input" % mode] = xi.grad.float()
        for pname, p in model.named_parameters():
            if mode == "train" or eval_parameter_gradients:
                golden["grad.%s.%s" % (mode, pname)] = p.grad.float()
        if mode == "train":
            for bname, b in model.named_buffers():
                if b.dtype.is_floating_point:
                    golden["running_after." + bname] = b.detach().float().clone()
    # PyTorch's own float32 error against the float64 values, per gradient: the tests allow
    # Thorax a small multiple of it where it exceeds their bound (ill-conditioned sums).
    model.float()
    model.load_state_dict(weights)
    model.train()
    model.zero_grad()
    xi = x.clone().requires_grad_(True)
    model(xi).backward(golden["grad_output"])
    for pname, p in model.named_parameters():
        reference = golden["grad.train." + pname]
        golden["f32error.grad.train." + pname] = torch.tensor(
            [((p.grad - reference).abs().max() / reference.abs().max().clamp_min(1e-30)).item()])
    # The same for PyTorch's channels_last (NHWC) float32 path, whose batch norm sums in float32
    # as oneDNN's does (the contiguous one sums in double): a second float32 opinion.
    model.load_state_dict(weights)
    model.to(memory_format=torch.channels_last)
    model.train()
    model.zero_grad()
    xi = x.clone().contiguous(memory_format=torch.channels_last).requires_grad_(True)
    model(xi).backward(golden["grad_output"].contiguous(memory_format=torch.channels_last)
                       if golden["grad_output"].dim() == 4 else golden["grad_output"])
    for pname, p in model.named_parameters():
        reference = golden["grad.train." + pname]
        golden["f32nhwcerror.grad.train." + pname] = torch.tensor(
            [((p.grad - reference).abs().max() / reference.abs().max().clamp_min(1e-30)).item()])
    model.to(memory_format=torch.contiguous_format)
    model.double()
    if extra:
        extra(model, weights, x, golden)
    save_file(swift_names(weights), os.path.join(MODELS_FIXTURES, name + ".weights.safetensors"))
    save_file(swift_names(contiguous(golden)), os.path.join(MODELS_FIXTURES, name + ".golden.safetensors"))
    size_kb = sum(os.path.getsize(os.path.join(MODELS_FIXTURES, name + s)) for s in
                  [".weights.safetensors", ".golden.safetensors"]) / 1024
    print("%-22s %6d parameters, %5.0f KB" % (name, sum(p.numel() for p in model.parameters()), size_kb))


def swift_names(tensors):
    """Thorax's head model keeps the backbone's torchvision names at the top level
    (`conv1.weight`) beside `transition.*` and `prediction.*`: drop the wrapper prefixes."""
    renamed = {}
    for key, value in tensors.items():
        for prefix in ["backbone.", "head."]:
            key = key.replace("." + prefix, ".", 1) if key.startswith(("grad.", "running_after.")) else key
            if key.startswith(prefix):
                key = key[len(prefix):]
        renamed[key] = value
    return renamed


def head_extra(model, weights, x, golden):
    """Outputs with each pooling, and the CAM heatmaps, in eval mode."""
    model.load_state_dict(weights)
    model.eval()
    with torch.no_grad():
        features = model.backbone.features(x.double())
        for pooling in ["avg", "max", "lse"]:
            model.head.pooling = pooling
            scores, a = model.head(features)
            golden["output.eval.%s" % pooling] = scores.float()
        golden["transition.eval"] = a.float()
        golden["cam.eval"] = model.head.cam(a).float()
    model.head.pooling = "lse"


def write_models():
    torch.manual_seed(0)
    model_case("tiny-resnet-basic", tm.ResNet(tm.BasicBlock, [2, 1, 1, 1], num_classes=5, width=4), 51, 10,
               eval_parameter_gradients=True)
    torch.manual_seed(1)
    model_case("tiny-resnet-bottleneck", tm.ResNet(tm.Bottleneck, [1, 2, 1, 1], num_classes=5, width=4), 51, 11)
    torch.manual_seed(2)
    model_case("tiny-densenet", tm.DenseNet(4, (2, 3, 2, 2), 8, 2, num_classes=5), 64, 12)
    torch.manual_seed(3)
    backbone = tm.ResNet(tm.BasicBlock, [1, 1, 1, 1], num_classes=5, width=4)
    del backbone.fc
    model_case("tiny-head-lse", Backboned(backbone, WeaklySupervisedHead(32, 6, 3, "lse", r=10.0)), 51, 13,
               extra=head_extra)


# ---------------------------------------------------------------- Swift source helpers

def swift_floats(values):
    return "[" + ", ".join("%.9g" % float(v) for v in torch.as_tensor(values).flatten().tolist()) + "]"


def swift_file(path, header, body):
    with open(path, "w") as f:
        f.write("// Generated by scripts/golden/make-fixtures.py from PyTorch %s; do not edit.\n" % torch.__version__)
        f.write("// " + header + "\n\n")
        f.write(body)


# ---------------------------------------------------------------- losses

def weighted_cross_entropy(logits, targets, mask, reduction):
    """The paper's W-CEL: beta_P = (|P|+|N|)/|P|, beta_N = (|P|+|N|)/|N| over the batch's known labels."""
    known = mask.bool()
    positives = ((targets == 1) & known).sum()
    negatives = ((targets == 0) & known).sum()
    total = positives + negatives
    beta_p = total / positives if positives > 0 else torch.tensor(0.0)
    beta_n = total / negatives if negatives > 0 else torch.tensor(0.0)
    weight = torch.where(targets == 1, beta_p, beta_n) * mask
    loss = F.binary_cross_entropy_with_logits(logits, targets, weight=weight, reduction="sum")
    return loss / total if reduction == "mean" else loss


def bce(logits, targets, mask):
    return F.binary_cross_entropy_with_logits(logits, targets, weight=mask, reduction="sum") / mask.sum()


def write_losses():
    g = torch.Generator().manual_seed(20)
    cases = []
    for name, n, c, mask_fraction, force_negative in [
        ("plain", 4, 5, 0.0, False), ("masked", 6, 14, 0.25, False), ("noPositives", 3, 4, 0.0, True),
    ]:
        logits = torch.randn(n, c, generator=g) * 4
        targets = (torch.rand(n, c, generator=g) < 0.3).float()
        if force_negative:
            targets.zero_()
        logits[0, 0] = 40.0  # a saturated logit exercises the stable form
        mask = (torch.rand(n, c, generator=g) >= mask_fraction).float()
        values = {}
        for key, fn in [("bce", lambda x: bce(x, targets, mask)),
                        ("wcelSum", lambda x: weighted_cross_entropy(x, targets, mask, "sum")),
                        ("wcelMean", lambda x: weighted_cross_entropy(x, targets, mask, "mean"))]:
            x = logits.clone().requires_grad_(True)
            loss = fn(x)
            loss.backward()
            values[key] = (loss.item(), x.grad)
        cases.append((name, n, c, logits, targets, mask, values))
    body = "/// One loss case: logits (N, C), targets 0/1, mask 1 = known label, 0 = unknown.\n"
    body += "struct LossGoldenCase {\n    let name: String\n    let batch: Int\n    let classes: Int\n"
    body += "    let logits: [Float]\n    let targets: [Float]\n    let mask: [Float]\n"
    body += "    let bce: Float\n    let bceGradient: [Float]\n"
    body += "    let weightedSum: Float\n    let weightedSumGradient: [Float]\n"
    body += "    let weightedMean: Float\n    let weightedMeanGradient: [Float]\n}\n\n"
    body += "enum LossGoldenValues {\n    static let cases: [LossGoldenCase] = [\n"
    for name, n, c, logits, targets, mask, v in cases:
        body += "        LossGoldenCase(\n"
        body += '            name: "%s", batch: %d, classes: %d,\n' % (name, n, c)
        body += "            logits: %s,\n            targets: %s,\n            mask: %s,\n" % (
            swift_floats(logits), swift_floats(targets), swift_floats(mask))
        body += "            bce: %.9g, bceGradient: %s,\n" % (v["bce"][0], swift_floats(v["bce"][1]))
        body += "            weightedSum: %.9g, weightedSumGradient: %s,\n" % (v["wcelSum"][0], swift_floats(v["wcelSum"][1]))
        body += "            weightedMean: %.9g, weightedMeanGradient: %s\n        ),\n" % (v["wcelMean"][0], swift_floats(v["wcelMean"][1]))
    body += "    ]\n}\n"
    swift_file(os.path.join(NN_TESTS, "LossGoldenValues.swift"),
               "BCE with logits (mean over known labels) and the paper's weighted cross-entropy.", body)


# ---------------------------------------------------------------- optimizers and schedules

def write_optimizers():
    g = torch.Generator().manual_seed(30)
    shapes = [(3, 2), (4,)]
    initial = [torch.randn(s, generator=g) for s in shapes]
    steps = 5
    grads = [[torch.randn(s, generator=g) for s in shapes] for _ in range(steps)]
    configs = [
        ("sgd", "SGD", dict(lr=0.1), False),
        ("sgdWeightDecay", "SGD", dict(lr=0.1, weight_decay=0.01), False),
        ("sgdMomentum", "SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01), False),
        ("sgdDampening", "SGD", dict(lr=0.1, momentum=0.9, dampening=0.5), False),
        ("sgdNesterov", "SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01), False),
        ("sgdMomentumFrozen", "SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01), True),
        ("adam", "Adam", dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8), False),
        ("adamWeightDecay", "Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1), False),
        ("adamW", "AdamW", dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1), False),
    ]
    body = "/// A parameter trajectory: two tensors, `steps` gradients each, the values after every step.\n"
    body += "struct OptimGoldenCase {\n    let name: String\n    let optimizer: String\n"
    body += "    let learningRate: Float\n    let momentum: Float\n    let dampening: Float\n    let nesterov: Bool\n"
    body += "    let beta1: Float\n    let beta2: Float\n    let epsilon: Float\n    let weightDecay: Float\n"
    body += "    /// The second tensor is frozen (no gradient; PyTorch skips it).\n    let secondFrozen: Bool\n"
    body += "    let shapes: [[Int]]\n    let initial: [[Float]]\n    /// gradients[step][tensor]\n    let gradients: [[[Float]]]\n"
    body += "    /// after[step][tensor]\n    let after: [[[Float]]]\n}\n\n"
    body += "enum OptimGoldenValues {\n    static let cases: [OptimGoldenCase] = [\n"
    for name, kind, kwargs, frozen in configs:
        params = [p.clone().requires_grad_(True) for p in initial]
        optimizer = getattr(torch.optim, kind)(params, **kwargs)
        after = []
        for step in range(steps):
            optimizer.zero_grad(set_to_none=True)
            for i, p in enumerate(params):
                if not (frozen and i == 1):
                    p.grad = grads[step][i].clone()
            optimizer.step()
            after.append([p.detach().clone() for p in params])
        betas = kwargs.get("betas", (0.9, 0.999))
        body += "        OptimGoldenCase(\n"
        body += '            name: "%s", optimizer: "%s", learningRate: %.9g, momentum: %.9g, dampening: %.9g, nesterov: %s,\n' % (
            name, kind, kwargs["lr"], kwargs.get("momentum", 0), kwargs.get("dampening", 0),
            "true" if kwargs.get("nesterov") else "false")
        body += "            beta1: %.9g, beta2: %.9g, epsilon: %.9g, weightDecay: %.9g, secondFrozen: %s,\n" % (
            betas[0], betas[1], kwargs.get("eps", 1e-8), kwargs.get("weight_decay", 0), "true" if frozen else "false")
        body += "            shapes: %s,\n" % str([list(s) for s in shapes])
        body += "            initial: [%s],\n" % ", ".join(swift_floats(p) for p in initial)
        body += "            gradients: [%s],\n" % ", ".join("[" + ", ".join(swift_floats(t) for t in s) + "]" for s in grads)
        body += "            after: [%s]\n        ),\n" % ", ".join("[" + ", ".join(swift_floats(t) for t in s) + "]" for s in after)
    body += "    ]\n"

    # Schedules: the learning rate in force for each epoch, starting with the initial one.
    def lrs(make, epochs, metrics=None):
        p = torch.zeros(1, requires_grad=True)
        optimizer = torch.optim.SGD([p], lr=0.1)
        scheduler = make(optimizer)
        values = [optimizer.param_groups[0]["lr"]]
        for epoch in range(epochs):
            optimizer.step()
            if metrics is None:
                scheduler.step()
            else:
                scheduler.step(metrics[epoch])
            values.append(optimizer.param_groups[0]["lr"])
        return values

    metrics = [1.0, 0.9, 0.91, 0.905, 0.9, 0.95, 0.7, 0.71, 0.7, 0.702, 0.69, 0.7, 0.7, 0.7, 0.7, 0.7]
    step = lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.1), 10)
    cosine = lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=8, eta_min=0.001), 8)
    plateau = lrs(lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(
        o, mode="min", factor=0.5, patience=2, threshold=0.01, threshold_mode="rel", cooldown=1, min_lr=0.02),
        len(metrics), metrics)
    body += "    /// StepLR(step_size: 3, gamma: 0.1) from 0.1, epochs 0...10.\n"
    body += "    static let stepLearningRates: [Float] = %s\n" % swift_floats(step)
    body += "    /// CosineAnnealingLR(T_max: 8, eta_min: 0.001) from 0.1, epochs 0...8.\n"
    body += "    static let cosineLearningRates: [Float] = %s\n" % swift_floats(cosine)
    body += "    /// ReduceLROnPlateau(min, factor 0.5, patience 2, threshold 0.01 rel, cooldown 1, min_lr 0.02).\n"
    body += "    static let plateauMetrics: [Float] = %s\n" % swift_floats(metrics)
    body += "    static let plateauLearningRates: [Float] = %s\n}\n" % swift_floats(plateau)
    swift_file(os.path.join(NN_TESTS, "OptimGoldenValues.swift"),
               "torch.optim SGD / Adam / AdamW steps and StepLR / CosineAnnealingLR / ReduceLROnPlateau.", body)


if __name__ == "__main__":
    os.makedirs(MODELS_FIXTURES, exist_ok=True)
    write_dtypes()
    write_models()
    write_losses()
    write_optimizers()
    total = sum(os.path.getsize(os.path.join(MODELS_FIXTURES, f)) for f in os.listdir(MODELS_FIXTURES))
    print("fixtures: %.0f KB in %s" % (total / 1024, MODELS_FIXTURES))
