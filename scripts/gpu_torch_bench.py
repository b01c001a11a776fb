#!/usr/bin/env python3
"""PyTorch beside learner on the same card and shapes (scripts/gpu-check, step 4).

Reads the "@result<TAB>key<TAB>value<TAB>unit" lines of `learner_bench train_step conv2d_cuda
temporal_shift contrastive_loss` (--learner-log), times the same work in PyTorch twice --
deterministic without TF32 (what learner's default mode promises) and PyTorch's default fast
settings (cudnn.benchmark, TF32 convolutions) -- and prints one table with the ratios.

  learner / torch < 1: learner is faster.  Times are medians of CUDA-event-timed repeats after
  warm-up; GB/s counts one read and one write per value.

--quick runs tiny shapes on any device (the dry run on a machine without a GPU).
"""
import argparse
import os
import statistics
import sys
import time

# Must precede cuBLAS's start for use_deterministic_algorithms(True) on CUDA.
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

import torch  # noqa: E402
import torchvision  # noqa: E402

CLIPS, FRAMES, EPS_W = 8, 8, 0.05

# bench/bench_conv2d.cpp's kLayers: (name, C, H, K, R, stride, pad) at 112 px, 8 frames.
LAYERS = [
    ("conv1 7x7/2 3->64", 3, 112, 64, 7, 2, 3),
    ("layer1 3x3 64->64", 64, 28, 64, 3, 1, 1),
    ("layer2 3x3/2 64->128", 64, 28, 128, 3, 2, 1),
    ("layer2 3x3 128->128", 128, 14, 128, 3, 1, 1),
    ("layer2 down 1x1/2 64->128", 64, 28, 128, 1, 2, 0),
    ("layer3 3x3/2 128->256", 128, 14, 256, 3, 2, 1),
    ("layer3 3x3 256->256", 256, 7, 256, 3, 1, 1),
    ("layer3 down 1x1/2 128->256", 128, 14, 256, 1, 2, 0),
    ("layer4 3x3/2 256->512", 256, 7, 512, 3, 2, 1),
    ("layer4 3x3 512->512", 512, 4, 512, 3, 1, 1),
    ("layer4 down 1x1/2 256->512", 256, 7, 512, 1, 2, 0),
]
# bench/bench_learner_kernels.cpp's kShiftShapes: (name, C, H) of (B*T, C, H, H).
SHIFTS = [("layer1 @112", 64, 28), ("layer2 @112", 128, 14), ("layer3 @112", 256, 7),
          ("layer4 @112", 512, 4), ("layer1 @224", 64, 56), ("layer2 @224", 128, 28),
          ("layer3 @224", 256, 14), ("layer4 @224", 512, 7)]


def set_mode(mode):
    det = mode == "det"
    # warn_only: some of PyTorch's CUDA backward kernels (adaptive average pooling's, index
    # gathers') have no deterministic version; they warn instead of stopping the run.
    torch.use_deterministic_algorithms(det, warn_only=True)
    torch.backends.cudnn.deterministic = det
    torch.backends.cudnn.benchmark = not det
    torch.backends.cudnn.allow_tf32 = not det  # PyTorch's default is True
    torch.backends.cuda.matmul.allow_tf32 = False  # PyTorch's default


def timer(device, fn, warmup, repeats):
    """Median seconds of fn() (CUDA events on a GPU, the host clock otherwise)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end) / 1e3)
        else:
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def temporal_shift(x, frames, fold_div=8):
    bt, c, h, w = x.shape
    v = x.view(bt // frames, frames, c, h, w)
    fold = c // fold_div
    out = torch.zeros_like(v)
    out[:, :-1, :fold] = v[:, 1:, :fold]
    out[:, 1:, fold:2 * fold] = v[:, :-1, fold:2 * fold]
    out[:, :, 2 * fold:] = v[:, :, 2 * fold:]
    return out.view(bt, c, h, w)


class PretrainModel(torch.nn.Module):
    """TSM-ResNet18 + regression head, as tests/parity/make_reference.py builds it."""

    def __init__(self, frames):
        super().__init__()
        net = torchvision.models.resnet18()
        net.conv1 = torch.nn.Conv2d(1, 64, 7, 2, 3, bias=False)
        net.fc = torch.nn.Identity()
        for layer in (net.layer1, net.layer2, net.layer3, net.layer4):
            for block in layer:
                block.conv1.register_forward_pre_hook(lambda m, inp: (temporal_shift(inp[0], frames),))
        self.encoder, self.frames = net, frames
        self.head = torch.nn.Sequential(torch.nn.Linear(512, 256), torch.nn.ReLU(), torch.nn.Linear(256, 1))

    def forward(self, x):
        u = self.encoder(x).view(-1, self.frames, 512).mean(dim=1)
        return u, self.head(u).view(-1)


def wcl_loss(u, y, sim="cos"):
    """SPEC section 6, vectorised: per anchor the others sorted by (|y_i - y_j|, j); the first
    k-1 are positives, the last k negatives (k = B // 2)."""
    n = u.shape[0]
    k = n // 2
    d = (y[:, None] - y[None, :]).abs()
    if sim == "cos":
        norms = torch.clamp(u.norm(dim=1), min=1e-8)
        s = torch.clamp((1 + (u @ u.t()) / (norms[:, None] * norms[None, :])) / 2, 1e-4, 1.0)
    else:
        diff = u[:, None, :] - u[None, :, :]
        s = 1.0 / (1.0 + torch.sqrt((diff * diff).sum(-1) + 1e-12))
    masked = d + torch.diag(torch.full((n,), float("inf"), device=d.device))
    order = torch.sort(masked, dim=1, stable=True).indices[:, : n - 1]
    pos, neg = order[:, : k - 1], order[:, n - 1 - k:]
    sp, dp = s.gather(1, pos), d.gather(1, pos)
    sn, dn = s.gather(1, neg), d.gather(1, neg)
    return (torch.log(sn * (dn + EPS_W)).sum() - (torch.log(sp) / (dp + EPS_W)).sum()) / n


def train_step(device, size, quick):
    torch.manual_seed(7)
    model = PretrainModel(FRAMES).to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(CLIPS * FRAMES, 1, size, size, device=device)
    y = torch.rand(CLIPS, device=device)

    def step():
        opt.zero_grad(set_to_none=False)
        u, pred = model(x)
        (((pred - y) ** 2).mean() + wcl_loss(u, y)).backward()
        opt.step()
    return timer(device, step, 1 if quick else 3, 2 if quick else 10) * 1e3


def conv(device, layer, quick):
    name, c, h, k, r, stride, pad = layer
    if quick:
        h = max(4, h // 4)
    x = torch.rand(FRAMES, c, h, h, device=device) * 2 - 1
    w = (torch.rand(k, c, r, r, device=device) * 2 - 1).requires_grad_()
    xg = x.clone().requires_grad_()
    y = torch.nn.functional.conv2d(x, w, stride=stride, padding=pad)
    dy = torch.rand_like(y)
    reps = (1, 3) if quick else (3, 20)
    fwd = timer(device, lambda: torch.nn.functional.conv2d(x, w.detach(), stride=stride, padding=pad), *reps)

    def backward():
        out = torch.nn.functional.conv2d(xg, w, stride=stride, padding=pad)
        torch.autograd.grad(out, (xg, w), dy)
    both = timer(device, backward, *reps)
    return fwd * 1e3, max(both - fwd, 0.0) * 1e3  # backward alone: (fwd + bwd) - fwd


def shift(device, c, h, quick):
    n = CLIPS * FRAMES
    if quick:
        h = max(2, h // 4)
    x = torch.rand(n, c, h, h, device=device)
    out = torch.empty_like(x)
    gb = 2 * x.numel() * 4 / 1e9
    reps = (1, 3) if quick else (2, 9)
    copy_s = timer(device, lambda: out.copy_(x), *reps)
    shift_s = timer(device, lambda: temporal_shift(x, FRAMES), *reps)
    return gb / copy_s, gb / shift_s


def loss_path(device, sim, batch, quick):
    e = 512
    u = (torch.rand(batch, e, device=device) - 0.5).requires_grad_()
    y = torch.rand(batch, device=device)
    reps = (1, 3) if quick else (1, 15)
    with torch.no_grad():
        fwd = timer(device, lambda: wcl_loss(u, y, sim), *reps)

    def both():
        u.grad = None
        wcl_loss(u, y, sim).backward()
    return fwd * 1e6, timer(device, both, *reps) * 1e6


def read_learner(path):
    results = {}
    if path and os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 4 and parts[0] == "@result":
                    results[parts[1]] = float(parts[2])
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--learner-log", help="learner_bench output with @result lines")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--quick", action="store_true", help="tiny shapes (dry run)")
    args = ap.parse_args()
    device = torch.device(args.device)
    ours = read_learner(args.learner_log)
    print(f"torch {torch.__version__}, device {device}"
          + (f" ({torch.cuda.get_device_name(0)}, cuDNN {torch.backends.cudnn.version()})"
             if device.type == "cuda" else ""), flush=True)

    rows = []  # (key, unit, {mode: value}); a larger GB/s is better, a smaller time is better
    sizes = [32] if args.quick else [112, 224]
    layers = LAYERS[:2] if args.quick else LAYERS
    shifts = SHIFTS[:2] if args.quick else SHIFTS
    batches = [8, 64] if args.quick else [8, 64, 1024]
    for mode in ("det", "fast"):
        set_mode(mode)
        for size in sizes:
            rows.append((f"train_step/{size}", "ms", mode, train_step(device, size, args.quick)))
        for layer in layers:
            fwd, bwd = conv(device, layer, args.quick)
            rows.append((f"conv/{layer[0]}/fwd", "ms", mode, fwd))
            rows.append((f"conv/{layer[0]}/bwd", "ms", mode, bwd))
        for name, c, h in shifts:
            copy_gbps, shift_gbps = shift(device, c, h, args.quick)
            rows.append((f"shift/{name}/copy", "GB/s", mode, copy_gbps))
            rows.append((f"shift/{name}/shift", "GB/s", mode, shift_gbps))
        for sim in ("cos", "l2"):
            for b in batches:
                fwd, both = loss_path(device, sim, b, args.quick)
                rows.append((f"loss/wCL {sim}/B{b}/fwd", "us", mode, fwd))
                rows.append((f"loss/wCL {sim}/B{b}/fwd+bwd", "us", mode, both))
        print(f"  {mode}: {len(rows)} measurements so far", flush=True)

    table = {}
    for key, unit, mode, value in rows:
        table.setdefault((key, unit), {})[mode] = value
    print(f"\n{'key':44} {'unit':5} {'learner':>10} {'torch det':>10} {'torch fast':>10}"
          f" {'l/det':>7} {'l/fast':>7}")
    for (key, unit), by_mode in table.items():
        mine = ours.get(key)

        def ratio(theirs):
            if mine is None or not theirs:
                return "-"
            r = mine / theirs
            return f"{1 / r if unit == 'GB/s' else r:.2f}"  # always time(learner) / time(torch)
        print(f"{key:44} {unit:5} {mine if mine is not None else float('nan'):10.3f}"
              f" {by_mode.get('det', float('nan')):10.3f} {by_mode.get('fast', float('nan')):10.3f}"
              f" {ratio(by_mode.get('det')):>7} {ratio(by_mode.get('fast')):>7}")
    print("\nl/det, l/fast: learner's time over PyTorch's (GB/s rows inverted): < 1 means learner is faster."
          " learner's numbers are its deterministic mode (train_step/N/fast and conv/.../fast rows"
          " in the learner log are its fast mode).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
