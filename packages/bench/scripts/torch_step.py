#!/usr/bin/env python3
"""PyTorch twin of `mipjs perf`'s MLP measurements (the mip.js / PyTorch column).

Builds the reference MLP exactly as @mipjs/nets' `mlp` (mip/networks/mlp.py): input
[flatten(x), emb(s), emb(t), flatten(cond)] -> act(LN(Linear(-> E))), nLayers pre-norm blocks
h += Drop(Linear(4E -> E)(LN(Drop(GELU(Linear(E -> 4E)(LN(h))))))), head Linear(E -> H A) after LN,
plus the unused scalar head. One train step = the bench trainer's step: flow-matching loss,
backward, global-norm clip 10, AdamW (lr 1e-4, wd 1e-5), EMA 0.995, loss read back to the host.
Sampling latency at batch 1 (eval mode, no grad): mip (2 calls), flow (9 Euler steps), a flow
map (1 call), each with the action read back.

Prints progress on stderr and one JSON line on stdout:
{"torch": ..., "blas": ..., "threads": n, "rows": [{"name", "samples", "unit"}]}
"""
import argparse
import copy
import json
import math
import os
import re
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def blas_in_use():
    """The BLAS torch calls: its build config, and the libblas.so.3 alternative Debian links."""
    cfg = torch.__config__.show()
    parts = []
    for key in ("BLAS_INFO", "LAPACK_INFO"):
        m = re.search(key + r"=([^,\s]+)", cfg)
        if m:
            parts.append(key + "=" + m.group(1))
    for path in ("/etc/alternatives/libblas.so.3-x86_64-linux-gnu", "/etc/alternatives/libblas.so.3"):
        if os.path.exists(path):
            parts.append("libblas.so.3 -> " + os.path.realpath(path))
            break
    return "; ".join(parts) or "unknown"


class Embedding(nn.Module):
    def __init__(self, dim, max_freq=100.0):
        super().__init__()
        self.register_buffer("w", torch.linspace(0, max_freq, dim // 2))

    def forward(self, t):
        a = t[:, None] * self.w[None, :]
        return torch.cat([torch.sin(a), torch.cos(a)], dim=1)


class Mlp(nn.Module):
    def __init__(self, in_dim, width, layers, out_dim, dropout=0.1, temb=128):
        super().__init__()
        self.emb = Embedding(temb)
        self.in_proj = nn.Linear(in_dim + 2 * temb, width)
        self.in_norm = nn.LayerNorm(width)
        self.blocks = nn.ModuleList()
        for _ in range(layers):
            self.blocks.append(nn.ModuleDict(dict(
                norm1=nn.LayerNorm(width), fc1=nn.Linear(width, 4 * width), drop1=nn.Dropout(dropout),
                norm2=nn.LayerNorm(4 * width), fc2=nn.Linear(4 * width, width), drop2=nn.Dropout(dropout))))
        self.out_norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, out_dim)
        self.scalar_head = nn.Linear(width, 1)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.orthogonal_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x, s, t, cond):
        b = x.shape[0]
        h = torch.cat([x.reshape(b, -1), self.emb(s), self.emb(t), cond.reshape(b, -1)], dim=1)
        h = F.gelu(self.in_norm(self.in_proj(h)))
        for blk in self.blocks:
            r = blk["drop1"](F.gelu(blk["fc1"](blk["norm1"](h))))
            r = blk["drop2"](blk["fc2"](blk["norm2"](r)))
            h = h + r
        return self.head(self.out_norm(h)).reshape(x.shape)


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--widths", default="256,512")
    p.add_argument("--layers", type=int, default=8)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--horizon", type=int, default=16)
    p.add_argument("--act-dim", type=int, default=2)
    p.add_argument("--obs-steps", type=int, default=2)
    p.add_argument("--cond-dim", type=int, default=20)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--sample-repeats", type=int, default=50)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    H, A, To, D, B = a.horizon, a.act_dim, a.obs_steps, a.cond_dim, a.batch
    rows = []
    for width in [int(w) for w in a.widths.split(",") if w]:
        net = Mlp(H * A + To * D, width, a.layers, H * A)
        ema = copy.deepcopy(net)
        for q in ema.parameters():
            q.requires_grad_(False)
        opt = torch.optim.AdamW(net.parameters(), lr=1e-4, weight_decay=1e-5)
        params = [q for q in net.parameters()]
        action = torch.randn(B, H, A)
        cond = torch.randn(B, To, D)
        times = []
        net.train()
        for i in range(a.warmup + a.repeats):
            t0 = time.perf_counter()
            t = torch.rand(B)
            z = torch.randn(B, H, A)
            xt = t[:, None, None] * action + (1 - t[:, None, None]) * z
            loss = ((net(xt, t, t, cond) - (action - z)) ** 2).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_([q for q in params if q.grad is not None], 10.0)
            opt.step()
            with torch.no_grad():
                for e, q in zip(ema.parameters(), net.parameters()):
                    e.mul_(0.995).add_(q, alpha=0.005)
            loss.item()
            dt = (time.perf_counter() - t0) * 1000
            if i >= a.warmup:
                times.append(dt)
        print(f"pytorch train mlp-w{width} flow: median {median(times):.1f} ms", file=sys.stderr)
        rows.append(dict(name=f"train/mlp-w{width}/flow", samples=times, unit="ms"))

        ema.eval()
        c1 = torch.randn(1, To, D)
        with torch.no_grad():
            def call(x, s, t):
                return ema(x, torch.full((1,), s), torch.full((1,), t), c1)

            def mip():
                x = torch.zeros(1, H, A)
                a0 = call(x, 0.0, 0.0)
                return call(0.9 * a0, 0.9, 0.9)

            def flow(n=9):
                x = torch.zeros(1, H, A)
                for k in range(n):
                    s, t = k / n, (k + 1) / n
                    x = x + (t - s) * call(x, s, s)
                return x

            def flow_map():
                x = torch.zeros(1, H, A)
                return x + call(x, 0.0, 1.0)

            for label, fn in (("mip-2nfe", mip), ("flow-9nfe", flow), ("flowmap-1nfe", flow_map)):
                samples = []
                for i in range(5 + a.sample_repeats):
                    t0 = time.perf_counter()
                    fn().numpy()
                    if i >= 5:
                        samples.append((time.perf_counter() - t0) * 1000)
                print(f"pytorch sample mlp-w{width} {label}: median {median(samples):.3f} ms", file=sys.stderr)
                rows.append(dict(name=f"sample/mlp-w{width}/{label}", samples=samples, unit="ms"))
    print(json.dumps(dict(torch=torch.__version__, blas=blas_in_use(), threads=torch.get_num_threads(), rows=rows)))


if __name__ == "__main__":
    main()
