#!/usr/bin/env python3
"""Reads a learner clip store with h5py alone (no learner code) and prints it as JSON, so a
test can compare what h5py sees with what was written. Usage: read_clip_store.py FILE.h5"""
import json
import sys

import h5py
import numpy as np


def text(value):
    """Format 2 stores fixed-length strings, which h5py gives back as bytes."""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def main(path):
    with h5py.File(path, "r") as f:
        frames = f["frames"]
        scans = f["scans"]
        out = {
            "format": text(f.attrs["format"]),
            "format_version": int(f.attrs["format_version"]),
            "shape": [int(f.attrs["channels"]), int(f.attrs["height"]), int(f.attrs["width"])],
            "frames_shape": list(frames.shape),
            "frames_dtype": str(frames.dtype),
            "chunks": list(frames.chunks),
            "compression": frames.compression,
            "fletcher32": bool(frames.fletcher32),
            "scans_fletcher32": all(scans[name].fletcher32 for name in scans if scans[name].shape[0] > 0),
            "score": [float(f.attrs["score_lo"]), float(f.attrs["score_hi"]),
                      int(f.attrs["higher_is_better"]), [float(e) for e in f.attrs["score_edges"]],
                      float(f.attrs["change_band"])],
            "split_fractions": [float(x) for x in f.attrs["split_fractions"]],
            "split_seed": int(f.attrs["split_seed"]),
            "scans": [],
        }
        for i in range(scans["scan_id"].shape[0]):
            start = int(scans["frame_offset"][i])
            count = int(scans["frame_count"][i])
            clip = frames[start:start + count]  # (F, C, H, W) uint8
            out["scans"].append({
                "patient_id": scans["patient_id"].asstr()[i],
                "scan_id": scans["scan_id"].asstr()[i],
                "order": int(scans["order"][i]),
                "date": scans["date"].asstr()[i],
                "score": float(scans["score"][i]),
                "source_path": scans["source_path"].asstr()[i],
                "modality": scans["modality"].asstr()[i],
                "frames": count,
                "fps": float(scans["fps"][i]),
                "pixel_spacing": float(scans["pixel_spacing"][i]),
                "split": int(scans["split"][i]),
                "pixel_sum": int(clip.astype(np.int64).sum()),
                "weighted_sum": int((clip.reshape(-1).astype(np.int64) *
                                     (np.arange(clip.size, dtype=np.int64) % 251 + 1)).sum()),
            })
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
