#!/usr/bin/python3
"""Loads a learner checkpoint into the PyTorch TSM-ResNet18 + head of make_reference.py with
a plain safetensors reader and load_state_dict(strict=True); exits non-zero on any mismatch.
Usage: load_in_pytorch.py CHECKPOINT.safetensors"""
import json
import struct
import sys

import numpy as np
import torch

from make_reference import PretrainModel

DTYPES = {"F32": np.float32, "I64": np.int64, "I32": np.int32, "U8": np.uint8}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
        out[name] = torch.from_numpy(array.copy())
    return out


def main():
    state = read_safetensors(sys.argv[1])
    model = PretrainModel()
    model.load_state_dict(state, strict=True)
    # Prove the values arrived, not just the names: one weight checksum back to the caller.
    print(f"{float(model.encoder.layer2[0].conv1.weight.double().sum()):.9g}")


if __name__ == "__main__":
    main()
