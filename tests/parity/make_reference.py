#!/usr/bin/python3
"""Writes PyTorch reference data for learner's parity test (tests/models/test_parity_pytorch.cpp).

An implementation nobody here wrote: torchvision's resnet18 with the temporal shift of
SPEC.md section 4 applied by a forward pre-hook on conv1 of every BasicBlock (so tensor names
stay torchvision's), the regression head of section 5, and the losses of section 6 written
straight from the formulas. Outputs (safetensors, written with a plain writer below):

  weights.safetensors    encoder.* (random weights, random BatchNorm running stats), head.*
  inputs.safetensors     x (B*T, C, H, W), y (B) normalized targets
  expected.safetensors   eval.embedding, eval.prediction; for each loss config
                         "<loss>_<sim>": <cfg>.loss, <cfg>.mse, <cfg>.cl, grad.<cfg>.<param>;
                         adam.<param>: weights after one Adam step (lr 1e-3) on wcl_cos;
                         grad64.<cfg>.<param>: the same gradients in float64 (stored as f32),
                         yardstick.<cfg>.<param>: (1) the largest distance of two float32
                         PyTorch computations (default and channels_last) to float64

Why a float64 reference and a yardstick: a ReLU network's gradient jumps where a
pre-activation crosses zero, and at every seed tried some pre-activation lies within float32
rounding of zero (docs/checkpoints.md), so two float32 implementations can differ by percents in
every tensor upstream of it. The test measures learner against float64 and allows what
PyTorch's own float32 computations are seen to need, with a floor.
"""
import copy
import argparse
import json
import os
import struct

import numpy as np
import torch
import torchvision

B, T, C, H, W = 6, 4, 1, 32, 32
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
    def __init__(self):
        super().__init__()
        net = torchvision.models.resnet18()
        net.conv1 = torch.nn.Conv2d(C, 64, 7, 2, 3, bias=False)
        net.fc = torch.nn.Identity()
        for layer in (net.layer1, net.layer2, net.layer3, net.layer4):
            for block in layer:
                block.conv1.register_forward_pre_hook(lambda m, inp: (temporal_shift(inp[0], T),))
        self.encoder = net
        self.head = torch.nn.Sequential(torch.nn.Linear(512, 256), torch.nn.ReLU(), torch.nn.Linear(256, 1))

    def forward(self, x):
        feats = self.encoder(x)                        # (B*T, 512)
        u = feats.view(-1, T, 512).mean(dim=1)         # clip embedding
        return u, self.head(u).view(-1)


def mine(d):
    """SPEC 6: for anchor i sort the others by (d_ij, j); positives first k-1, negatives last k."""
    n = d.shape[0]
    k = n // 2
    pos, neg = [], []
    for i in range(n):
        order = sorted((j for j in range(n) if j != i), key=lambda j: (d[i, j].item(), j))
        pos.append(order[:k - 1])
        neg.append(order[len(order) - k:])
    return pos, neg


def similarity(u, sim):
    if sim == "cos":
        norms = torch.clamp(u.norm(dim=1), min=1e-8)
        c = (u @ u.t()) / (norms[:, None] * norms[None, :])
        return torch.clamp((1 + c) / 2, 1e-4, 1.0)
    diff = u[:, None, :] - u[None, :, :]
    return 1.0 / (1.0 + torch.sqrt((diff * diff).sum(-1) + 1e-12))


def contrastive(u, y, kind, sim):
    d = (y[:, None] - y[None, :]).abs()
    s = similarity(u, sim)
    pos, neg = mine(d)
    total = u.new_zeros(())
    for i in range(u.shape[0]):
        for j in neg[i]:
            total = total + (torch.log(s[i, j] * (d[i, j] + EPS_W)) if kind == "wcl" else torch.log(s[i, j]))
        for j in pos[i]:
            total = total - (torch.log(s[i, j]) / (d[i, j] + EPS_W) if kind == "wcl" else torch.log(s[i, j]))
    return total / u.shape[0]


def gradients(model, x, y, kind, sim):
    """The parameter gradients of MSE + CL in train mode, as float64 (model: a copy)."""
    model.train()
    model.zero_grad()
    u, pred = model(x)
    (((pred - y) ** 2).mean() + contrastive(u, y, kind, sim)).backward()
    return {name: p.grad.detach().double().clone() for name, p in model.named_parameters()}


def relative_error(a, b):
    """max|a - b| / max|b|, as the C++ test measures it."""
    scale = b.abs().max().item()
    diff = (a - b).abs().max().item()
    return diff / scale if scale > 0 else diff


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        a = t.detach().cpu().contiguous().numpy()
        dtype = {np.float32: "F32", np.int64: "I64"}[a.dtype.type]
        raw = a.tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = PretrainModel()
    with torch.no_grad():  # random running statistics, so eval mode is a real test
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.num_batches_tracked.fill_(3)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    write_safetensors(os.path.join(args.out, "weights.safetensors"), state)

    x = torch.rand(B * T, C, H, W) * 2 - 1
    y = torch.tensor([0.10, 0.80, 0.35, 0.80, 0.55, 0.20])  # one tie (0.80) on purpose
    write_safetensors(os.path.join(args.out, "inputs.safetensors"), {"x": x, "y": y})

    expected = {}
    model.eval()
    with torch.no_grad():
        u, pred = model(x)
    expected["eval.embedding"], expected["eval.prediction"] = u, pred

    model.train()
    for kind in ("cl", "wcl"):
        for sim in ("cos", "l2"):
            cfg = f"{kind}_{sim}"
            model.load_state_dict(state)
            model.zero_grad()
            u, pred = model(x)
            mse = ((pred - y) ** 2).mean()
            cl = contrastive(u, y, kind, sim)
            loss = mse + cl
            loss.backward()
            expected[f"{cfg}.loss"], expected[f"{cfg}.mse"], expected[f"{cfg}.cl"] = loss, mse, cl
            for name, p in model.named_parameters():
                expected[f"grad.{cfg}.{name}"] = p.grad.clone()
            exact = gradients(copy.deepcopy(model).double(), x.double(), y.double(), kind, sim)
            other = gradients(copy.deepcopy(model).to(memory_format=torch.channels_last),
                              x.to(memory_format=torch.channels_last), y, kind, sim)
            for name, p in model.named_parameters():
                g64 = exact[name]
                spread = max(relative_error(p.grad.double(), g64), relative_error(other[name], g64))
                expected[f"grad64.{cfg}.{name}"] = g64.float()
                expected[f"yardstick.{cfg}.{name}"] = torch.tensor([spread], dtype=torch.float32)
            if cfg == "wcl_cos":
                torch.optim.Adam(model.parameters(), lr=1e-3).step()
                for name, p in model.named_parameters():
                    expected[f"adam.{name}"] = p.detach().clone()
    write_safetensors(os.path.join(args.out, "expected.safetensors"), expected)


if __name__ == "__main__":
    main()
