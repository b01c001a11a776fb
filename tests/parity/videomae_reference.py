#!/usr/bin/python3
"""Writes VideoMAE reference data for learner's parity test (tests/models/test_parity_videomae.cpp).

The model is a compact transcription of MCG-NJU/VideoMAE's modeling_finetune.py
VisionTransformer (use_mean_pooling=True, init_values=0, no dropout or drop-path), with the same
state_dict names and the same arithmetic: Conv3d tubelet embedding, the fixed sinusoid table
(numpy float64, cast to float32, kept out of the state_dict), pre-norm blocks whose qkv Linear
has no bias and gets cat(q_bias, zeros, v_bias), LayerNorm eps 1e-6, exact GELU, and
fc_norm(mean over tokens). D 192, 12 blocks, 3 heads (videomae-tiny). The loss is MSE + wCL
(cos) through the regression head, as in make_reference.py. Cases:

  t8    112 x 112, C 1, B 2, T 8; the file is a fine-tuning state_dict at C 1 with a head.
  odd   80 x 144 (5 x 9 grid), C 1, B 3, T 4; the file holds RGB tubelet filters (learner sums
        them, and so does this script before loading) and a pos_embed: the fixed table for
        224 px and T 16 (1568 tokens), which the import must recognise and drop.

Per case, in OUT/<case>/: videomae.safetensors, head.safetensors (the regression head),
inputs.safetensors (x (B*T, 1, H, W), y) and expected.safetensors with eval.embedding,
loaded.<name>, grad.<name> (float32), grad64.<name> (float64, stored f32) and
yardstick.<name>: the float32 reference's relative distance to float64.
"""
import argparse
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from parity_io import write_expected, write_head_and_inputs
from safetensors_io import write_safetensors


def sinusoid_table(n_position, d_hid):
    """get_sinusoid_encoding_table: float64 angles, sin on even, cos on odd, then float32."""
    angles = np.array([[pos / np.power(10000, 2 * (j // 2) / d_hid) for j in range(d_hid)]
                       for pos in range(n_position)])
    angles[:, 0::2] = np.sin(angles[:, 0::2])
    angles[:, 1::2] = np.cos(angles[:, 1::2])
    return torch.tensor(angles, dtype=torch.float).unsqueeze(0)


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.q_bias = nn.Parameter(torch.zeros(dim))
        self.v_bias = nn.Parameter(torch.zeros(dim))
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, D = x.shape
        bias = torch.cat((self.q_bias, torch.zeros_like(self.v_bias, requires_grad=False), self.v_bias))
        qkv = F.linear(x, self.qkv.weight, bias).reshape(B, N, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * self.scale, qkv[1], qkv[2]
        attn = (q @ k.transpose(-2, -1)).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(B, N, D))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, 4 * dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, chans, dim, tubelet=2, patch=16):
        super().__init__()
        self.proj = nn.Conv3d(chans, dim, kernel_size=(tubelet, patch, patch), stride=(tubelet, patch, patch))

    def forward(self, x):  # (B, C, T, H, W)
        return self.proj(x).flatten(2).transpose(1, 2)


class VideoMAE(nn.Module):
    def __init__(self, chans, frames, size, dim=192, depth=12, heads=3):
        super().__init__()
        self.patch_embed = PatchEmbed(chans, dim)
        self.pos_embed = sinusoid_table((frames // 2) * (size[0] // 16) * (size[1] // 16), dim)  # not a buffer
        self.blocks = nn.ModuleList([Block(dim, heads) for _ in range(depth)])
        self.fc_norm = nn.LayerNorm(dim, eps=1e-6)
        self.embed_dim = dim

    def forward(self, x):
        x = self.patch_embed(x)
        x = x + self.pos_embed.expand(x.shape[0], -1, -1).type_as(x).to(x.device).clone().detach()
        for blk in self.blocks:
            x = blk(x)
        return self.fc_norm(x.mean(1))


def randomize(model, seed):
    """Zero biases, unit norms and zero q/v biases would hide mistakes: make every tensor matter."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name and name.endswith("weight"):
                p.copy_(torch.rand(p.shape, generator=g) + 0.5)
            elif name.endswith("bias"):
                p.copy_(torch.randn(p.shape, generator=g) * 0.05)
            elif p.dim() == 2:
                p.copy_(torch.randn(p.shape, generator=g) * 0.02)


class Pretrain(nn.Module):
    def __init__(self, encoder, frames, seed):
        super().__init__()
        torch.manual_seed(seed)
        self.encoder = encoder
        self.frames = frames
        d = encoder.embed_dim
        self.head = nn.Sequential(nn.Linear(d, 256), nn.ReLU(), nn.Linear(256, 1))

    def forward(self, x):  # x (B*T, C, H, W), a clip's frames contiguous
        bt, c, h, w = x.shape
        clips = x.view(bt // self.frames, self.frames, c, h, w).permute(0, 2, 1, 3, 4)
        u = self.encoder(clips)
        return u, self.head(u).view(-1)


def make_case(out, name, size, frames, batch, saved_chans, extra_table, seed):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    torch.manual_seed(seed)
    saved = VideoMAE(saved_chans, frames, size)
    randomize(saved, seed)
    state = {k: v.clone() for k, v in saved.state_dict().items()}
    state["head.weight"] = torch.randn(400, saved.embed_dim)  # a Kinetics classifier, dropped on import
    state["head.bias"] = torch.randn(400)
    if extra_table:
        state["pos_embed"] = sinusoid_table(8 * 14 * 14, saved.embed_dim)
    write_safetensors(os.path.join(d, "videomae.safetensors"), state)

    encoder = VideoMAE(1, frames, size)
    loaded = {k: v for k, v in state.items() if not k.startswith("head.") and k != "pos_embed"}
    if saved_chans != 1:
        loaded["patch_embed.proj.weight"] = loaded["patch_embed.proj.weight"].sum(dim=1, keepdim=True)
    encoder.load_state_dict(loaded, strict=True)
    model = Pretrain(encoder, frames, seed + 1).eval()  # no dropout anywhere: eval = train
    x, y = write_head_and_inputs(d, model, batch, frames, size, seed + 2)
    write_expected(d, encoder, model, x, y)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(2)
    make_case(args.out, "t8", (112, 112), frames=8, batch=2, saved_chans=1, extra_table=False, seed=30)
    make_case(args.out, "odd", (80, 144), frames=4, batch=3, saved_chans=3, extra_table=True, seed=40)
    with open(os.path.join(args.out, "done.txt"), "w") as f:
        f.write("videomae reference written\n")


if __name__ == "__main__":
    main()
