#!/usr/bin/python3
"""The PyTorch side of learner_bench vit_step_cpu / attention_cpu: timm's vit_tiny (pinned
timm from .pydeps, scripts/python-deps.sh) at B 8, T 8, 112 px, C 1, one training step
(forward, MSE + wCL, backward, AdamW), median of 5 after 1 warm-up, on OMP_NUM_THREADS threads;
and PyTorch's attention written out (softmax(q k^T s) v) fwd+bwd at the same shape.
Usage: OMP_NUM_THREADS=2 bench/vit_step_pytorch.py"""
import os
import statistics
import sys
import time

import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", ".pydeps"))
sys.path.insert(0, os.path.join(here, "..", "tests", "parity"))
import timm  # noqa: E402

from make_reference import contrastive  # noqa: E402


def median(fn, warmup, repeats):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    threads = int(os.environ.get("OMP_NUM_THREADS", torch.get_num_threads()))
    torch.set_num_threads(threads)
    q, k, v = (torch.rand(192, 50, 64, requires_grad=True) for _ in range(3))
    g = torch.rand(192, 50, 64)

    def attn():
        (torch.softmax(q @ k.transpose(1, 2) * 0.125, dim=-1) @ v).backward(g)
    print(f"pytorch attention fwd+bwd (192, 50, 64), {threads} threads: {median(attn, 2, 10) * 1e3:.2f} ms")

    vit = timm.create_model("vit_tiny_patch16_224", pretrained=False, num_classes=0, img_size=112, in_chans=1)
    head = torch.nn.Sequential(torch.nn.Linear(192, 256), torch.nn.ReLU(), torch.nn.Linear(256, 1))
    params = list(vit.parameters()) + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.05)
    x, y = torch.rand(64, 1, 112, 112) * 2 - 1, torch.rand(8)

    def step():
        u = vit(x).view(8, 8, 192).mean(1)
        pred = head(u).view(-1)
        loss = ((pred - y) ** 2).mean() + contrastive(u, y, "wcl", "cos")
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"pytorch vit-tiny step B8 T8 112px, {threads} threads: {median(step, 1, 5) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
