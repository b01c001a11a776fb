"""What the transformer references (vit, swin, timesformer, videomae _reference.py) write for the
shared parity check (tests/models/transformer_parity.h), in one place: the head, the inputs and
the expected values, with the float32 reference's distance to float64 as the yardstick.
"""
import copy
import os

import torch

from make_reference import contrastive, relative_error
from safetensors_io import write_safetensors


def gradients(model, x, y):
    """The gradients of MSE + wCL (cos) through the model's regression head, as float64."""
    model.zero_grad()
    u, pred = model(x)
    (((pred - y) ** 2).mean() + contrastive(u, y, "wcl", "cos")).backward()
    return {name: p.grad.detach().double().clone() for name, p in model.named_parameters()}


def write_head_and_inputs(d, model, batch, frames, size, seed):
    """head.safetensors (the model's head.*) and inputs.safetensors: x in [-1, 1) of (B*T, 1, H, W)
    and y in [0, 1) of (B). Returns x, y."""
    write_safetensors(os.path.join(d, "head.safetensors"),
                      {f"head.{k}": v for k, v in model.head.state_dict().items()})
    g = torch.Generator().manual_seed(seed)
    x = torch.rand((batch * frames, 1) + tuple(size), generator=g) * 2 - 1
    y = torch.rand(batch, generator=g)
    write_safetensors(os.path.join(d, "inputs.safetensors"), {"x": x, "y": y})
    return x, y


def write_expected(d, encoder, model, x, y, float32_gradients=True):
    """expected.safetensors: loaded.<name> (the encoder's weights as the reference loaded them),
    params (their count), eval.embedding, grad64.<name> and yardstick.<name> (the float32
    gradient's relative distance to float64); grad.<name> (float32) too unless float32_gradients
    is False (a large model, where the check does not read them)."""
    expected = {f"loaded.{k}": v for k, v in encoder.state_dict().items()}
    expected["params"] = torch.tensor([float(sum(p.numel() for p in encoder.parameters()))])
    with torch.no_grad():
        expected["eval.embedding"], _ = model(x)
    grad32 = gradients(model, x, y)
    grad64 = gradients(copy.deepcopy(model).double(), x.double(), y.double())
    for name, g32 in grad32.items():
        if float32_gradients:
            expected[f"grad.{name}"] = g32
        expected[f"grad64.{name}"] = grad64[name]
        expected[f"yardstick.{name}"] = torch.tensor([relative_error(g32, grad64[name])])
    write_safetensors(os.path.join(d, "expected.safetensors"), expected)
