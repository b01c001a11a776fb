#!/usr/bin/env python3
"""Data-parallel scaling model of docs/multi-gpu.md: predicted step time and efficiency of
TSM-ResNet18 pre-training on N GPUs from the one-GPU step time, the gradient bytes and the
all-reduce bus bandwidth. A model, not a measurement: every input is a flag.

  python3 scripts/scaling_model.py                      # the table in docs/multi-gpu.md
  python3 scripts/scaling_model.py --step-ms 42.0       # with a measured one-GPU step time
"""
import argparse
import math


def resnet18_param_counts():
    """Parameter tensors of torchvision's ResNet-18 in registration order (11,689,512 in all:
    46.8 MB in f32). TSM adds none; our regression head replaces fc with fewer."""
    counts = [64 * 3 * 7 * 7, 64, 64]  # conv1, bn1
    inplanes = 64
    for planes, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        for block in range(2):
            cin = inplanes if block == 0 else planes
            counts += [planes * cin * 9, planes, planes, planes * planes * 9, planes, planes]
            if block == 0 and (stride != 1 or cin != planes):
                counts += [planes * cin, planes, planes]  # downsample conv + bn
        inplanes = planes
    counts += [1000 * 512, 1000]  # fc
    return counts


def buckets(counts, bucket_bytes):
    """parallel/grad_sync.cpp's plan_buckets: reverse order, at most bucket_bytes each."""
    out = []
    for n in reversed(counts):
        nbytes = 4 * n
        if not out or (out[-1] > 0 and out[-1] + nbytes > bucket_bytes):
            out.append(0)
        out[-1] += nbytes
    return out


def allreduce_s(nbytes, n, gpus_per_node, busbw_intra, bw_node):
    """Ring inside a node, hierarchical across nodes (intra reduce-scatter + all-gather, and
    an inter-node all-reduce through each node's NICs)."""
    if n == 1:
        return 0.0
    g = min(n, gpus_per_node)
    nodes = math.ceil(n / gpus_per_node)
    t = 2 * (g - 1) / g * nbytes / busbw_intra if g > 1 else 0.0
    if nodes > 1:
        t += 2 * (nodes - 1) / nodes * nbytes / bw_node
    return t


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--step-ms", type=float, nargs="+", default=[30.0, 100.0],
                   help="one-GPU step time(s), forward + backward + optimizer (assumed: not yet measured)")
    p.add_argument("--gpus", type=int, nargs="+", default=[2, 4, 8, 64])
    p.add_argument("--grad-mb", type=float, default=46.8, help="gradient bytes per step, MB (1e6)")
    p.add_argument("--busbw-gbs", type=float, default=370.0, help="NCCL all-reduce bus bandwidth in a node (8 H100, NVLink)")
    p.add_argument("--node-gbs", type=float, default=50.0, help="inter-node bandwidth per node (one 400 Gb/s IB NIC)")
    p.add_argument("--gpus-per-node", type=int, default=8)
    p.add_argument("--hbm-gbs", type=float, default=3000.0, help="device memory bandwidth (pack/unpack copies)")
    p.add_argument("--latency-us", type=float, nargs=2, default=[15.0, 40.0],
                   help="latency of one small collective inside a node / across nodes")
    p.add_argument("--bn-layers", type=int, default=20, help="BatchNorm layers (SyncBN: 2 small collectives each)")
    p.add_argument("--backward-fraction", type=float, default=2 / 3, help="share of the step that backward takes")
    p.add_argument("--bucket-mb", type=float, default=25.0)
    a = p.parse_args()

    G = a.grad_mb * 1e6
    counts = resnet18_param_counts()
    scale = G / (4 * sum(counts))  # keep the bucket shapes, match --grad-mb
    sizes = [b * scale for b in buckets(counts, a.bucket_mb * 1024 * 1024)]
    tail = sizes[-1] / G  # share of the bytes in the bucket backward finishes last
    busbw, node = a.busbw_gbs * 1e9, a.node_gbs * 1e9

    print(f"G = {a.grad_mb} MB, busbw = {a.busbw_gbs} GB/s in a node, {a.node_gbs} GB/s per node across nodes, "
          f"{len(sizes)} buckets of <= {a.bucket_mb} MB (last: {sizes[-1] / 1e6:.1f} MB)")
    header = "| GPUs | nodes | all-reduce ms | small coll. ms |"
    rule = "|---:|---:|---:|---:|"
    for t in a.step_ms:
        header += f" T={t:g} ms: no overlap | T={t:g} ms: overlap |"
        rule += "---:|---:|"
    print(header)
    print(rule)
    for n in a.gpus:
        nodes = math.ceil(n / a.gpus_per_node)
        t_ar = allreduce_s(G, n, a.gpus_per_node, busbw, node)
        lat = (a.latency_us[0] if nodes == 1 else a.latency_us[1]) * 1e-6
        small = (3 + 2 * a.bn_layers) * lat  # global mining (3) + SyncBN (2 per layer)
        copies = 4 * G / (a.hbm_gbs * 1e9)   # pack + unpack, read + write
        row = f"| {n} | {nodes} | {t_ar * 1e3:.2f} | {small * 1e3:.2f} |"
        for t_ms in a.step_ms:
            T = t_ms * 1e-3
            no_overlap = T / (T + t_ar + copies + small)
            exposed = max(t_ar - a.backward_fraction * T, tail * t_ar)
            overlap = T / (T + exposed + copies + small)
            row += f" {no_overlap:.1%} | {overlap:.1%} |"
        print(row.replace("%", " %"))


if __name__ == "__main__":
    main()
