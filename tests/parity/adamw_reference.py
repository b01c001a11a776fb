#!/usr/bin/python3
"""torch.optim.AdamW on the parameters and gradients learner wrote, for tests/framework/test_adamw.cpp.
Input (safetensors): p.<i> the initial parameters, g.<i>.<step> their gradients, decay.<i>
(1 or 0: whether the parameter is in the weight-decay group), plus lr, weight_decay as
one-element tensors. Output: p.<i> after every step, written next to the input as
<input>.out.safetensors. Usage: adamw_reference.py INPUT.safetensors"""
import sys

import torch

from safetensors_io import read_safetensors, write_safetensors


def main():
    src = sys.argv[1]
    t = read_safetensors(src)
    lr, wd = float(t["lr"][0]), float(t["weight_decay"][0])
    count = sum(1 for k in t if k.startswith("p."))
    steps = sum(1 for k in t if k.startswith("g.0."))
    params = [torch.nn.Parameter(t[f"p.{i}"].clone()) for i in range(count)]
    groups = [{"params": [p for i, p in enumerate(params) if t[f"decay.{i}"][0] == 1], "weight_decay": wd},
              {"params": [p for i, p in enumerate(params) if t[f"decay.{i}"][0] == 0], "weight_decay": 0.0}]
    opt = torch.optim.AdamW([g for g in groups if g["params"]], lr=lr, betas=(0.9, 0.999), eps=1e-8)
    for step in range(steps):
        for i, p in enumerate(params):
            p.grad = t[f"g.{i}.{step}"].clone()
        opt.step()
    write_safetensors(src + ".out.safetensors", {f"p.{i}": p for i, p in enumerate(params)})


if __name__ == "__main__":
    main()
