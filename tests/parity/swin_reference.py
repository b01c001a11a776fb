#!/usr/bin/python3
"""Writes timm Swin reference data for learner's parity test (tests/models/test_parity_swin.cpp).

The reference is timm's own SwinTransformer (pinned timm 0.9.16, installed by
scripts/python-deps.sh into .pydeps/) with one change: PatchMerging.forward is timm >= 1.0's,
which pads an odd map to even; 0.9.16 asserts even maps, so it cannot run Swin at 112 px, where
stage 3's 7 x 7 map is merged into stage 4 (SPEC 4b: "patch merging pads to even size"). The
frame feature is timm's (global_pool 'avg', num_classes 0); the clip embedding the mean over T
and the loss MSE + wCL (cos), as in vit_reference.py. Cases:

  t8    swin_tiny, 112 x 112, C 1, B 4, T 8; weights saved at the model's own size. Stage 1
        (28 x 28) and stage 2 (14 x 14) shift their 7 x 7 windows; stage 3 (7 x 7) has one window
        and no shift; stage 4 (nominal 3 x 3, a 4 x 4 map) windows of 3 on a map padded to 6 x 6.
  odd   swin_tiny, 80 x 144 (a 20 x 36 grid), C 1, B 3, T 3: stage 1 padded to 21 x 42 under a
        shift, stage 3 (5 x 9) a 5 x 7 window shifted along W only, stage 4 (nominal 2 x 4, a
        3 x 5 map) padded to 4 x 8. Weights saved at 224 x 224 RGB, so loading sums the RGB patch
        filters (timm's adapt_input_conv) and crops the bias tables of stages 3 and 4 to their
        smaller windows (learner's rule, docs/spec-notes.md; timm's BEiT-style resize would
        shrink them with a 1 % stretch).

Per case, in OUT/<case>/: timm.safetensors (timm names), head.safetensors, inputs.safetensors and
expected.safetensors, as vit_reference.py writes them without grad.* (the float32 gradients,
which the check does not read), plus params (the encoder's count).
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".pydeps"))
import timm  # noqa: E402
from timm.models import swin_transformer  # noqa: E402
from timm.models._manipulate import adapt_input_conv  # noqa: E402

from parity_io import write_expected, write_head_and_inputs  # noqa: E402
from safetensors_io import write_safetensors  # noqa: E402
from vit_reference import Pretrain, randomize  # noqa: E402


def padded_patch_merging(self, x):
    """timm >= 1.0's PatchMerging.forward: odd maps are zero-padded to even."""
    B, H, W, C = x.shape
    x = torch.nn.functional.pad(x, (0, 0, 0, W % 2, 0, H % 2))
    _, H, W, _ = x.shape
    x = x.reshape(B, H // 2, 2, W // 2, 2, C).permute(0, 1, 3, 4, 2, 5).flatten(3)
    return self.reduction(self.norm(x))


swin_transformer.PatchMerging.forward = padded_patch_merging


def crop_table(table, wh, ww):
    """A ((2S-1)^2, heads) table cut to a wh x ww window: the entries of offsets |dy| < wh, |dx| < ww."""
    side = int(round(table.shape[0] ** 0.5))
    grid = table.view(side, side, -1)
    c = side // 2
    return grid[c - (wh - 1):c + wh, c - (ww - 1):c + ww].reshape(-1, table.shape[1]).clone()


def create(size, chans):
    return timm.create_model("swin_tiny_patch4_window7_224", pretrained=False, num_classes=0, img_size=size,
                             in_chans=chans, drop_path_rate=0.0)


def make_case(out, name, size, frames, batch, saved_size, saved_chans, seed):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    torch.manual_seed(seed)
    saved = create(saved_size, saved_chans)
    randomize(saved, seed)
    g = torch.Generator().manual_seed(seed + 5)
    with torch.no_grad():  # timm's std .02 tables barely move the attention: make them matter
        for pname, p in saved.named_parameters():
            if pname.endswith("relative_position_bias_table"):
                p.copy_(torch.randn(p.shape, generator=g))
    state = {k: v.clone() for k, v in saved.state_dict().items()}
    write_safetensors(os.path.join(d, "timm.safetensors"), state)

    swin = create(size, 1)
    loaded = dict(state)
    if loaded["patch_embed.proj.weight"].shape[1] != 1:
        loaded["patch_embed.proj.weight"] = adapt_input_conv(1, loaded["patch_embed.proj.weight"])
    for pname, p in swin.named_parameters():
        if pname.endswith("relative_position_bias_table") and loaded[pname].shape != p.shape:
            block = swin.get_submodule(pname[:-len(".relative_position_bias_table")])
            loaded[pname] = crop_table(loaded[pname], *block.window_size)
    swin.load_state_dict(loaded, strict=True)
    model = Pretrain(swin, frames, seed + 1).eval()             # no dropout or drop-path: eval = train
    x, y = write_head_and_inputs(d, model, batch, frames, size, seed + 2)
    write_expected(d, swin, model, x, y, float32_gradients=False)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(2)
    make_case(args.out, "t8", (112, 112), frames=8, batch=4, saved_size=(112, 112), saved_chans=1, seed=30)
    make_case(args.out, "odd", (80, 144), frames=3, batch=3, saved_size=(224, 224), saved_chans=3, seed=40)
    with open(os.path.join(args.out, "timm_version.txt"), "w") as f:
        f.write(timm.__version__ + "\n")


if __name__ == "__main__":
    main()
