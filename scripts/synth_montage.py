#!/usr/bin/env python3
"""Montage of `learner synth` clips for docs/synthetic.md.

usage: synth_montage.py SYNTH_DIR OUT.png
Top: one clip per severity level (different patients), frames 0, 4, 8 of each.
Bottom: every scan of the patient whose S/F moves the most (frame 0).
Needs Debian's python3-pil and python3-numpy.
"""
import csv
import sys

import numpy as np
from PIL import Image, ImageDraw


def frame(root, path, index):
    return np.array(Image.open(f"{root}/{path}/frame_{index:04d}.png"))


def main(root, out):
    with open(f"{root}/truth.csv") as f:
        truth = {r["scan_id"]: r for r in csv.DictReader(f)}
    with open(f"{root}/manifest.csv") as f:
        manifest = list(csv.DictReader(f))
    for row in manifest:
        row.update(truth[row["scan_id"]])

    levels = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    picks = [min(manifest, key=lambda r: abs(float(r["severity"]) - s)) for s in levels]
    by_patient = {}
    for row in manifest:
        by_patient.setdefault(row["patient_id"], []).append(row)
    patient = max(by_patient.values(),
                  key=lambda rows: (len(rows) >= 4, abs(float(rows[-1]["true_sf"]) - float(rows[0]["true_sf"]))))

    size = frame(root, picks[0]["path"], 0).shape[0]
    label_h, gap = 30, 6
    cols = len(picks)
    top_rows = 3
    width = cols * (size + gap)
    height = label_h + top_rows * (size + gap) + 2 * label_h + size + gap
    canvas = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(canvas)
    for c, row in enumerate(picks):
        x = c * (size + gap)
        draw.text((x + 2, 2), f"S/F {float(row['true_sf']):.0f}  sev {float(row['severity']):.2f}", fill=0)
        draw.text((x + 2, 14), f"{row['scan_id']}  B-lines {row['b_lines']}", fill=0)
        for r, index in enumerate([0, 4, 8]):
            index = min(index, int(row["frames"]) - 1)
            canvas.paste(Image.fromarray(frame(root, row["path"], index)), (x, label_h + r * (size + gap)))
    y0 = label_h + top_rows * (size + gap) + label_h
    draw.text((2, y0 - 24), f"one patient over time ({patient[0]['patient_id']}, {patient[0]['trajectory']})", fill=0)
    for c, row in enumerate(patient[:cols]):
        x = c * (size + gap)
        draw.text((x + 2, y0 - 12), f"scan {row['order']}: S/F {float(row['true_sf']):.0f}", fill=0)
        canvas.paste(Image.fromarray(frame(root, row["path"], 0)), (x, y0))
    canvas.save(out, optimize=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
