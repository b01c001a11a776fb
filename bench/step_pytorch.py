#!/usr/bin/python3
"""The PyTorch side of `learner bench step` (tools/bench_step.cpp): the same model, loss and
optimizer, timed the same way (median of --steps after --warmup untimed steps).

Model: torchvision's resnet18 without fc, 1-channel conv1, the temporal shift of SPEC.md
section 4 before conv1 of every BasicBlock (tsm) or none (resnet2d, per-frame features
concatenated); or timm's VisionTransformer per frame, the frame features averaged (vit-tiny,
vit-small, vit-base; timm 0.9.16 from .pydeps, scripts/python-deps.sh), or its SwinTransformer
(swin-tiny, with the padding patch merging of tests/parity/swin_reference.py); or VideoMAE
(videomae-tiny/small/base: the compact transcription of MCG-NJU/VideoMAE's VisionTransformer in
tests/parity/videomae_reference.py); or TimeSformer (timesformer-tiny/base: our transcription of
facebookresearch/TimeSformer's divided space-time VisionTransformer in
tests/parity/timesformer_reference.py); then the regression head Linear(E, 256)-ReLU-Linear(256, 1).
Loss: MSE + wCL with
cosine similarity (SPEC section 6, lambda 1, eps_w 0.05). Adam, lr 1e-3.
"train": forward, loss, zero_grad, backward, Adam step. "embed": the encoder in eval mode
under no_grad. Prints one line "seconds <median>"; exits 3 when torch is not importable.
"""
import argparse
import os
import sys
import time

try:
    import torch
    import torchvision
except ImportError as e:  # the C++ side prints this and skips the comparison
    print(f"torch or torchvision not importable by {sys.executable}: {e}")
    sys.exit(3)

EPS_W = 0.05


def temporal_shift(x, frames, fold_div=8):
    bt, c, h, w = x.shape
    v = x.view(bt // frames, frames, c, h, w)
    fold = c // fold_div
    out = torch.zeros_like(v)
    out[:, :-1, :fold] = v[:, 1:, :fold]                    # out[t] = x[t+1], zero at T-1
    out[:, 1:, fold:2 * fold] = v[:, :-1, fold:2 * fold]    # out[t] = x[t-1], zero at 0
    out[:, :, 2 * fold:] = v[:, :, 2 * fold:]
    return out.view(bt, c, h, w)


class PretrainModel(torch.nn.Module):
    def __init__(self, backbone, frames, channels):
        super().__init__()
        net = torchvision.models.resnet18()
        net.conv1 = torch.nn.Conv2d(channels, 64, 7, 2, 3, bias=False)
        net.fc = torch.nn.Identity()
        if backbone == "tsm":
            for layer in (net.layer1, net.layer2, net.layer3, net.layer4):
                for block in layer:
                    block.conv1.register_forward_pre_hook(lambda m, inp: (temporal_shift(inp[0], frames),))
        self.backbone, self.frames = backbone, frames
        self.encoder = net
        width = 512 if backbone == "tsm" else 512 * frames
        self.head = torch.nn.Sequential(torch.nn.Linear(width, 256), torch.nn.ReLU(), torch.nn.Linear(256, 1))

    def embed(self, x):
        feats = self.encoder(x).view(-1, self.frames, 512)
        return feats.mean(dim=1) if self.backbone == "tsm" else feats.flatten(1)

    def forward(self, x):
        u = self.embed(x)
        return u, self.head(u).view(-1)


def timm_module():
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "..", ".pydeps"))
    try:
        import timm
    except ImportError as e:
        print(f"timm not importable from .pydeps (run scripts/python-deps.sh): {e}")
        sys.exit(3)
    return timm


class FrameTransformerModel(torch.nn.Module):
    """timm's ViT or Swin per frame (SPEC 4b), the T frame features averaged, the same head."""

    def __init__(self, backbone, frames, channels, size):
        super().__init__()
        timm = timm_module()
        if backbone == "swin-tiny":
            # timm 0.9.16's Swin with timm >= 1.0's padding patch merging, as the parity test runs it
            sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "parity"))
            from swin_reference import create
            self.encoder = create((size, size), channels)
        else:
            name = {"vit-tiny": "vit_tiny_patch16_224", "vit-small": "vit_small_patch16_224",
                    "vit-base": "vit_base_patch16_224"}[backbone]
            self.encoder = timm.create_model(name, pretrained=False, num_classes=0, img_size=size, in_chans=channels)
        self.frames = frames
        width = self.encoder.num_features
        self.head = torch.nn.Sequential(torch.nn.Linear(width, 256), torch.nn.ReLU(), torch.nn.Linear(256, 1))

    def embed(self, x):
        feats = self.encoder(x)
        return feats.view(-1, self.frames, feats.shape[-1]).mean(dim=1)

    def forward(self, x):
        u = self.embed(x)
        return u, self.head(u).view(-1)


VIDEOMAE_SIZES = {"videomae-tiny": (192, 3), "videomae-small": (384, 6), "videomae-base": (768, 12)}


class VideoMAEPretrainModel(torch.nn.Module):
    def __init__(self, backbone, frames, channels, size):
        super().__init__()
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "parity"))
        from videomae_reference import VideoMAE
        dim, heads = VIDEOMAE_SIZES[backbone]
        self.frames = frames
        self.encoder = VideoMAE(channels, frames, (size, size), dim=dim, heads=heads)
        self.head = torch.nn.Sequential(torch.nn.Linear(dim, 256), torch.nn.ReLU(), torch.nn.Linear(256, 1))

    def embed(self, x):
        bt, c, h, w = x.shape
        return self.encoder(x.view(bt // self.frames, self.frames, c, h, w).permute(0, 2, 1, 3, 4))

    def forward(self, x):
        u = self.embed(x)
        return u, self.head(u).view(-1)


TIMESFORMER_SIZES = {"timesformer-tiny": (192, 3), "timesformer-base": (768, 12)}


class TimeSformerPretrainModel(torch.nn.Module):
    def __init__(self, backbone, frames, channels, size):
        super().__init__()
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "parity"))
        from timesformer_reference import TimeSformer
        dim, heads = TIMESFORMER_SIZES[backbone]
        self.frames = frames
        self.encoder = TimeSformer(channels, frames, (size, size), dim=dim, heads=heads)
        self.head = torch.nn.Sequential(torch.nn.Linear(dim, 256), torch.nn.ReLU(), torch.nn.Linear(256, 1))

    def embed(self, x):  # the clip as (B, C, T, H, W), as the reference takes it
        bt, c, h, w = x.shape
        return self.encoder(x.view(bt // self.frames, self.frames, c, h, w).permute(0, 2, 1, 3, 4))

    def forward(self, x):
        u = self.embed(x)
        return u, self.head(u).view(-1)


def make_model(backbone, frames, channels, size):
    if backbone in ("tsm", "resnet2d"):
        return PretrainModel(backbone, frames, channels)
    if backbone.startswith("vit-") or backbone == "swin-tiny":
        return FrameTransformerModel(backbone, frames, channels, size)
    if backbone in VIDEOMAE_SIZES:
        return VideoMAEPretrainModel(backbone, frames, channels, size)
    if backbone in TIMESFORMER_SIZES:
        return TimeSformerPretrainModel(backbone, frames, channels, size)
    print(f"no PyTorch model for backbone {backbone} in {__file__}")
    sys.exit(3)


def wcl_cos(u, y):
    """SPEC 6, vectorised: for anchor i the others sorted by (d_ij, j); positives are the first
    k - 1, negatives the last k (k = B / 2)."""
    n = u.shape[0]
    k = n // 2
    d = (y[:, None] - y[None, :]).abs()
    norms = torch.clamp(u.norm(dim=1), min=1e-8)
    s = torch.clamp((1 + (u @ u.t()) / (norms[:, None] * norms[None, :])) / 2, 1e-4, 1.0)
    ranked = d.detach().clone()
    ranked.fill_diagonal_(float("inf"))                     # the anchor itself sorts last
    order = torch.sort(ranked, dim=1, stable=True).indices  # ties by index j
    pos = torch.zeros(n, n, dtype=torch.bool).scatter_(1, order[:, :k - 1], True)
    neg = torch.zeros(n, n, dtype=torch.bool).scatter_(1, order[:, n - 1 - k:n - 1], True)
    neg_terms = torch.where(neg, torch.log(s * (d + EPS_W)), torch.zeros_like(s))
    pos_terms = torch.where(pos, torch.log(s) / (d + EPS_W), torch.zeros_like(s))
    return (neg_terms.sum() - pos_terms.sum()) / n


def median_seconds(step, warmup, repeats):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--backbone", default="tsm")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--frames", type=int, default=8)
    p.add_argument("--size", type=int, default=112)
    p.add_argument("--channels", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=6)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--mode", choices=("train", "embed"), default="train")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model = make_model(a.backbone, a.frames, a.channels, a.size)
    x = torch.rand(a.batch * a.frames, a.channels, a.size, a.size) * 2 - 1
    y = (torch.arange(a.batch, dtype=torch.float32) + 0.5) / a.batch  # as the C++ side: no ties

    if a.mode == "train":
        model.train()
        adam = torch.optim.Adam(model.parameters(), lr=1e-3)

        def step():
            u, pred = model(x)
            loss = ((pred - y) ** 2).mean() + wcl_cos(u, y)
            loss.item()
            adam.zero_grad()
            loss.backward()
            adam.step()
    else:
        model.eval()

        def step():
            with torch.no_grad():
                model.embed(x).numpy()
    print(f"seconds {median_seconds(step, a.warmup, a.steps):.6f}")


if __name__ == "__main__":
    main()
