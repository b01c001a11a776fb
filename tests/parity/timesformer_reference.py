#!/usr/bin/python3
"""Writes TimeSformer reference data for learner's parity test (tests/models/test_parity_timesformer.cpp).

The model is our own PyTorch transcription of facebookresearch/TimeSformer's
timesformer/models/vit.py VisionTransformer with attention_type='divided_space_time', qkv_bias
True, LayerNorm eps 1e-6, no dropout or drop-path, num_classes 0: the same state_dict names and
the same arithmetic, written from its definition (not copied):
  - per-frame Conv2d(C, D, 16, stride 16); the cls token in front of every frame's patches and
    pos_embed (1, 1 + L, D) added to each frame; one cls kept (the reference takes x[:B, 0], the
    same value in every frame); time_embed (1, T, D) added over time at each patch position;
    tokens space-major, time-minor: (B, 1 + L T, D);
  - each block: temporal attention over each patch position's T tokens (temporal_norm1,
    temporal_attn, then temporal_fc) added to the patch tokens; spatial attention over each
    frame's tokens with the cls token repeated per frame (norm1, attn), the frames ordered
    (b, t) as the reference orders them, the T cls outputs averaged; x = cat(cls, patches) +
    cat(mean cls output, patch outputs); then x += mlp(norm2(x));
  - clip embedding norm(x)[:, 0].
Tiny size: D 192, 12 blocks, 3 heads. The loss is MSE + wCL (cos) through the regression head,
as in make_reference.py. Cases:

  t8    112 x 112, C 1, B 2, T 8; the file is the VisionTransformer's state_dict at C 1 with a
        400-class head (dropped on import).
  odd   80 x 144 (5 x 9 grid), C 1, B 2, T 3; the file is the TimeSformer wrapper's (names
        under "model.") at RGB, 224 px (14 x 14 grid) and T 8: the import sums the RGB filters
        and resizes pos_embed and time_embed; this script does the same with torch itself:
        F.interpolate(mode='nearest') of the square grid to 5 x 9 as the reference's
        forward_features does it, and over time as its load_pretrained does it.

Per case, in OUT/<case>/: timesformer.safetensors, head.safetensors (the regression head),
inputs.safetensors (x (B*T, 1, H, W), y) and expected.safetensors with eval.embedding,
loaded.<name>, grad.<name> (float32), grad64.<name> (float64, stored f32) and
yardstick.<name>: the float32 reference's relative distance to float64.
"""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from parity_io import write_expected, write_head_and_inputs
from safetensors_io import write_safetensors


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, D = x.shape
        q, k, v = self.qkv(x).reshape(B, N, 3, self.heads, D // self.heads).permute(2, 0, 3, 1, 4)
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
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
        self.temporal_norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.temporal_attn = Attention(dim, heads)
        self.temporal_fc = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, 4 * dim)

    def forward(self, x, T):
        B, N, D = x.shape
        L = (N - 1) // T
        cls, xt = x[:, :1], x[:, 1:]
        # Temporal: 'b (l t) d -> (b l) t d'.
        res = self.temporal_attn(self.temporal_norm1(xt.reshape(B * L, T, D))).reshape(B, L * T, D)
        xt = xt + self.temporal_fc(res)
        # Spatial: 'b (l t) d -> (b t) l d', the cls token repeated per frame.
        xs = xt.reshape(B, L, T, D).permute(0, 2, 1, 3).reshape(B * T, L, D)
        cls_frames = cls.repeat(1, T, 1).reshape(B * T, 1, D)
        res = self.attn(self.norm1(torch.cat((cls_frames, xs), 1)))
        cls_res = res[:, 0].reshape(B, T, D).mean(1, keepdim=True)
        patch_res = res[:, 1:].reshape(B, T, L, D).permute(0, 2, 1, 3).reshape(B, L * T, D)
        x = torch.cat((cls, xt), 1) + torch.cat((cls_res, patch_res), 1)
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, chans, dim, patch=16):
        super().__init__()
        self.proj = nn.Conv2d(chans, dim, kernel_size=patch, stride=patch)

    def forward(self, x):  # (N, C, H, W) -> (N, L, D)
        return self.proj(x).flatten(2).transpose(1, 2)


class TimeSformer(nn.Module):
    def __init__(self, chans, frames, size, dim=192, depth=12, heads=3):
        super().__init__()
        self.patch_embed = PatchEmbed(chans, dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + (size[0] // 16) * (size[1] // 16), dim))
        self.time_embed = nn.Parameter(torch.zeros(1, frames, dim))
        self.blocks = nn.ModuleList([Block(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.embed_dim = dim

    def forward(self, x):  # (B, C, T, H, W)
        B, C, T, H, W = x.shape
        x = self.patch_embed(x.transpose(1, 2).reshape(B * T, C, H, W))
        L, D = x.shape[1], x.shape[2]
        x = torch.cat((self.cls_token.expand(B * T, -1, -1), x), 1) + self.pos_embed
        cls = x[:B, :1]
        x = x[:, 1:].reshape(B, T, L, D).transpose(1, 2) + self.time_embed  # (B, L, T, D)
        x = torch.cat((cls, x.reshape(B, L * T, D)), 1)
        for blk in self.blocks:
            x = blk(x, T)
        return self.norm(x)[:, 0]


def randomize(model, seed):
    """Zero biases, unit norms, zero temporal_fc and zero embeddings would hide mistakes."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name and name.endswith("weight"):
                p.copy_(torch.rand(p.shape, generator=g) + 0.5)
            elif name.endswith("bias"):
                p.copy_(torch.randn(p.shape, generator=g) * 0.05)
            elif p.dim() == 2:
                p.copy_(torch.randn(p.shape, generator=g) * 0.02)
            elif name in ("cls_token", "pos_embed", "time_embed"):
                p.copy_(torch.randn(p.shape, generator=g) * 0.2)


def resize_pos_embed(pos_embed, grid):
    """forward_features' run-time resize: nearest on the square grid, the cls entry kept."""
    cls, other = pos_embed[:, :1], pos_embed[0, 1:].t().unsqueeze(0)  # (1, D, P*P)
    side = int(other.shape[2] ** 0.5)
    other = F.interpolate(other.reshape(1, -1, side, side), size=grid, mode="nearest")
    return torch.cat((cls, other.flatten(2).transpose(1, 2)), 1)


def resize_time_embed(time_embed, frames):
    """load_pretrained's resize: nearest over time."""
    return F.interpolate(time_embed.transpose(1, 2), size=frames, mode="nearest").transpose(1, 2)


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


def make_case(out, name, size, frames, batch, saved, seed):
    """saved: (channels, size, frames, prefix) of the file the reference writes."""
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    chans, saved_size, saved_frames, prefix = saved
    torch.manual_seed(seed)
    source = TimeSformer(chans, saved_frames, saved_size)
    randomize(source, seed)
    state = {prefix + k: v.clone() for k, v in source.state_dict().items()}
    state[prefix + "head.weight"] = torch.randn(400, source.embed_dim)  # a Kinetics classifier
    state[prefix + "head.bias"] = torch.randn(400)
    write_safetensors(os.path.join(d, "timesformer.safetensors"), state)

    encoder = TimeSformer(1, frames, size)
    loaded = {k[len(prefix):]: v for k, v in state.items() if not k.startswith(prefix + "head.")}
    if chans != 1:
        loaded["patch_embed.proj.weight"] = loaded["patch_embed.proj.weight"].sum(dim=1, keepdim=True)
    if saved_size != size:
        loaded["pos_embed"] = resize_pos_embed(loaded["pos_embed"], (size[0] // 16, size[1] // 16))
    if saved_frames != frames:
        loaded["time_embed"] = resize_time_embed(loaded["time_embed"], frames)
    encoder.load_state_dict(loaded, strict=True)
    model = Pretrain(encoder, frames, seed + 1).eval()  # no dropout anywhere: eval = train
    x, y = write_head_and_inputs(d, model, batch, frames, size, seed + 2)
    write_expected(d, encoder, model, x, y)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(2)
    make_case(args.out, "t8", (112, 112), frames=8, batch=2, saved=(1, (112, 112), 8, ""), seed=50)
    make_case(args.out, "odd", (80, 144), frames=3, batch=2, saved=(3, (224, 224), 8, "model."), seed=60)
    with open(os.path.join(args.out, "done.txt"), "w") as f:
        f.write("timesformer reference written\n")


if __name__ == "__main__":
    main()
