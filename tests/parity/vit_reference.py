#!/usr/bin/python3
"""Writes timm ViT reference data for learner's parity test (tests/models/test_parity_vit.cpp).

The reference is timm's own VisionTransformer (pinned timm, installed by
scripts/python-deps.sh into .pydeps/), not a re-implementation: random weights are saved as
timm's state_dict, and learner must load them with --init's import and agree. On each frame
timm gives the frame feature (global_pool 'token', num_classes 0); the clip embedding is the
mean over T (SPEC 4b) and the loss MSE + wCL (cos) through the regression head, as in
make_reference.py. Cases:

  t8    vit_tiny, 112 x 112, C 1, B 4, T 8; weights saved at the model's own size.
  odd   vit_tiny, 80 x 144 (a 5 x 9 grid), C 1, B 3, T 3; weights saved at 224 x 224 RGB, so
        loading sums the RGB patch filters and resamples pos_embed, timm's way
        (checkpoint_filter_fn + adapt_input_conv) on the reference side.

Per case, in OUT/<case>/: timm.safetensors (timm names), head.safetensors (head.*),
inputs.safetensors (x, y) and expected.safetensors with eval.embedding, loaded.<name> (the
weights after timm's import), grad.<name> (float32), grad64.<name> (float64, stored f32) and
yardstick.<name>: the float32 reference's relative distance to float64.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".pydeps"))
import timm  # noqa: E402
from timm.models._manipulate import adapt_input_conv  # noqa: E402
from timm.models.vision_transformer import checkpoint_filter_fn  # noqa: E402

from parity_io import write_expected, write_head_and_inputs  # noqa: E402
from safetensors_io import write_safetensors  # noqa: E402


def randomize(model, seed):
    """timm's init leaves biases 0, norms 1 and the cls token ~1e-6: make every tensor matter."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name and name.endswith("weight"):
                p.copy_(torch.rand(p.shape, generator=g) + 0.5)
            elif name.endswith("bias") or name in ("cls_token", "pos_embed"):
                p.copy_(torch.randn(p.shape, generator=g) * 0.05)


class Pretrain(torch.nn.Module):
    def __init__(self, vit, frames, seed):
        super().__init__()
        torch.manual_seed(seed)
        self.encoder = vit
        self.frames = frames
        d = vit.num_features                                       # ViT: D; Swin: 8 x 96
        self.head = torch.nn.Sequential(torch.nn.Linear(d, 256), torch.nn.ReLU(), torch.nn.Linear(256, 1))

    def forward(self, x):
        feats = self.encoder(x)                                    # (B*T, D): the frame features
        u = feats.view(-1, self.frames, feats.shape[1]).mean(dim=1)
        return u, self.head(u).view(-1)


def make_case(out, name, size, frames, batch, saved_size, saved_chans, seed):
    os.makedirs(os.path.join(out, name), exist_ok=True)
    d = os.path.join(out, name)
    torch.manual_seed(seed)
    saved = timm.create_model("vit_tiny_patch16_224", pretrained=False, num_classes=0,
                              img_size=saved_size, in_chans=saved_chans)
    randomize(saved, seed)
    state = {k: v.clone() for k, v in saved.state_dict().items()}
    write_safetensors(os.path.join(d, "timm.safetensors"), state)

    vit = timm.create_model("vit_tiny_patch16_224", pretrained=False, num_classes=0, img_size=size, in_chans=1)
    loaded = checkpoint_filter_fn(dict(state), vit)           # pos_embed resampled if sizes differ
    if loaded["patch_embed.proj.weight"].shape[1] != 1:
        loaded["patch_embed.proj.weight"] = adapt_input_conv(1, loaded["patch_embed.proj.weight"])
    vit.load_state_dict(loaded, strict=True)
    model = Pretrain(vit, frames, seed + 1).eval()              # no dropout anywhere: eval = train
    x, y = write_head_and_inputs(d, model, batch, frames, size, seed + 2)
    write_expected(d, vit, model, x, y)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(2)
    make_case(args.out, "t8", (112, 112), frames=8, batch=4, saved_size=112, saved_chans=1, seed=10)
    make_case(args.out, "odd", (80, 144), frames=3, batch=3, saved_size=224, saved_chans=3, seed=20)
    with open(os.path.join(args.out, "timm_version.txt"), "w") as f:
        f.write(timm.__version__ + "\n")


if __name__ == "__main__":
    main()
