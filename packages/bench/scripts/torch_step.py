#!/usr/bin/env python3
"""PyTorch twin of `mipjs perf`'s MLP and ChiUNet measurements (the mip.js / PyTorch column).

Builds the reference MLP exactly as @mipjs/nets' `mlp` (mip/networks/mlp.py): input
[flatten(x), emb(s), emb(t), flatten(cond)] -> act(LN(Linear(-> E))), nLayers pre-norm blocks
h += Drop(Linear(4E -> E)(LN(Drop(GELU(Linear(E -> 4E)(LN(h))))))), head Linear(E -> H A) after LN,
plus the unused scalar head. One train step = the reference's step (mip/agent.py): the loss of
one algorithm in the reference's own formulation (mip/losses.py, /work/shared/reference/spec.md
section 3.4), backward, global-norm clip 10, AdamW (lr 1e-4, wd 1e-5), EMA 0.995, loss read back
to the host. The JVP losses (lmd, lsd, esd, mf) take their JVPs as the reference does: per sample
with `torch.func.jvp` batched by `torch.func.vmap(randomness="same")` (torch 1.13: `functorch`).
lmd and ctm call a frozen second network of the same shape as the reference velocity.
The ChiUNet rows (`--chiunet-algorithms`, at `--chiunet-batch`) time the same steps on the
reference's ConditionalUnet1D at chiunet.yaml's size (class ChiUNet); the script refuses to time one
whose parameter count differs from `--chiunet-params`, mip.js's count at the same shape.

The BLAS report: the shared object torch's GEMM really runs (read from /proc/self/maps after a
matmul, not from the build config), its kind (openblas, mkl, blis, reference, built-in) and a short
GEMM probe (512x512x512 float32, best of 20 calls) in GFLOP/s.
Sampling latency at batch 1 (eval mode, no grad): mip (2 calls), flow (9 Euler steps), a flow
map (1 call), each with the action read back.

Prints progress on stderr and one JSON line on stdout:
{"torch": ..., "blas": {"path", "kind", "gflops", "config"}, "threads": n,
 "rows": [{"name", "samples", "unit"}]}
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


BLAS_NAME = re.compile(r"(openblas|mkl|blis|blas|atlas)", re.IGNORECASE)


def blas_kind(path):
    """openblas / mkl / blis / atlas / reference (netlib's libblas, Debian's blas/ folder) / unknown."""
    low = path.lower()
    for k in ("openblas", "mkl", "blis", "atlas"):
        if k in low:
            return k
    if "/blas/" in low or "netlib" in low or os.path.basename(low).startswith("libblas"):
        return "reference"
    return "unknown"


def loaded_blas():
    """Path of the BLAS library mapped into this process after a GEMM ("" when none is: built in)."""
    a = torch.randn(64, 64)
    (a @ a).sum().item()
    paths = []
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and BLAS_NAME.search(os.path.basename(parts[5])) and parts[5] not in paths:
                paths.append(parts[5])
    # libcblas / liblapack come along; the GEMM is in the libblas (or libopenblas, libmkl_*) one.
    blas = [q for q in paths if "lapack" not in os.path.basename(q).lower()]
    return os.path.realpath(blas[0]) if blas else ""


def gemm_gflops(n=512, calls=20):
    """Best-of-`calls` float32 GEMM rate: 2 n^3 flops per n x n x n product."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = math.inf
    for _ in range(calls):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best / 1e9


def blas_report():
    cfg = torch.__config__.show()
    m = re.search(r"BLAS_INFO=([^,\s]+)", cfg)
    path = loaded_blas()
    kind = blas_kind(path) if path else "built-in (" + (m.group(1) if m else "unknown") + ")"
    return dict(path=path, kind=kind, gflops=round(gemm_gflops(), 1), config=m.group(1) if m else "unknown")


class Embedding(nn.Module):
    def __init__(self, dim, max_freq=100.0):
        super().__init__()
        self.register_buffer("w", torch.linspace(0, max_freq, dim // 2))

    def forward(self, t):
        a = t[:, None] * self.w[None, :]
        return torch.cat([torch.sin(a), torch.cos(a)], dim=1)


class Mlp(nn.Module):
    def __init__(self, in_dim, width, layers, out_dim, dropout=0.1, temb=128, max_freq=100.0):
        super().__init__()
        self.emb = Embedding(temb, max_freq)
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


class PositionalEmbedding(nn.Module):
    """mip/embeddings.py PositionalEmbedding(dim): freq_k = (1/10000)^(k/(dim/2)), [cos(x f), sin(x f)]."""

    def __init__(self, dim, max_positions=10000):
        super().__init__()
        half = dim // 2
        self.register_buffer("freqs", (1.0 / max_positions) ** (torch.arange(half, dtype=torch.float32) / half))

    def forward(self, x):
        a = x[:, None] * self.freqs[None, :].to(x.dtype)
        return torch.cat([torch.cos(a), torch.sin(a)], dim=1)


def group_norm(channels):
    """mip/network_utils.py GroupNorm1d(dim, 8, 4): min(8, dim // 4) groups, eps 1e-5, affine."""
    return nn.GroupNorm(max(1, min(8, channels // 4)), channels, eps=1e-5)


class ChiResidualBlock(nn.Module):
    """conv -> GN -> GELU; FiLM h = scale h + bias from Linear(GELU(c)); conv -> GN -> GELU; + residual."""

    def __init__(self, cin, cout, cond, k):
        super().__init__()
        self.cout = cout
        self.conv1 = nn.Conv1d(cin, cout, k, padding=k // 2)
        self.norm1 = group_norm(cout)
        self.film = nn.Linear(cond, 2 * cout)
        self.conv2 = nn.Conv1d(cout, cout, k, padding=k // 2)
        self.norm2 = group_norm(cout)
        self.residual = nn.Conv1d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, c):
        h = F.gelu(self.norm1(self.conv1(x)))
        f = self.film(F.gelu(c))
        h = f[:, : self.cout, None] * h + f[:, self.cout :, None]
        h = F.gelu(self.norm2(self.conv2(h)))
        return h + self.residual(x)


class ChiUNet(nn.Module):
    """The reference's ConditionalUnet1D (mip/networks/chiunet.py, spec section 5.5), channels first.

    Time map_emb(cat(pos(s, E/2), pos(t, E/2))) with map_emb = Linear(E, 4E) -> GELU -> Linear(4E, E);
    observation Linear(To D, E) on the flattened condition; conditioning c = [time, obs] (2E).
    Channels [A, m cumprod(dim_mult)]; down: 2 blocks + stride-2 Conv1d(k 3) except the last level;
    mid: 2 blocks; up over reversed(in_out[1:]): concat skip, 2 blocks, ConvTranspose1d(k 4, s 2, p 1);
    final Conv1d(m, m, k) -> GN -> GELU -> Conv1d(m, A, 1). PyTorch's default initialisation. The
    scalar head's parameters exist (the parameter count is the reference's) but, as in mip.js and in
    every loss, its output is not used, so forward does not compute it.
    """

    def __init__(self, act_dim, obs_steps, cond_dim, emb=256, model_dim=128, k=5, dim_mult=(1, 2, 2)):
        super().__init__()
        self.pos = PositionalEmbedding(emb // 2)
        self.map_emb = nn.Sequential(nn.Linear(emb, 4 * emb), nn.GELU(), nn.Linear(4 * emb, emb))
        self.global_cond_encoder = nn.Linear(obs_steps * cond_dim, emb)
        dims, m = [act_dim], 1
        for f in dim_mult:
            m *= f
            dims.append(model_dim * m)
        in_out = list(zip(dims[:-1], dims[1:]))
        c = 2 * emb
        self.down = nn.ModuleList()
        for i, (cin, cout) in enumerate(in_out):
            last = i == len(in_out) - 1
            self.down.append(nn.ModuleList([
                ChiResidualBlock(cin, cout, c, k), ChiResidualBlock(cout, cout, c, k),
                nn.Identity() if last else nn.Conv1d(cout, cout, 3, stride=2, padding=1)]))
        mid = dims[-1]
        self.mid = nn.ModuleList([ChiResidualBlock(mid, mid, c, k), ChiResidualBlock(mid, mid, c, k)])
        self.up = nn.ModuleList()
        for cin, cout in reversed(in_out[1:]):
            self.up.append(nn.ModuleList([
                ChiResidualBlock(2 * cout, cin, c, k), ChiResidualBlock(cin, cin, c, k),
                nn.ConvTranspose1d(cin, cin, 4, stride=2, padding=1)]))
        self.final = nn.Sequential(
            nn.Conv1d(model_dim, model_dim, k, padding=k // 2), group_norm(model_dim), nn.GELU(),
            nn.Conv1d(model_dim, act_dim, 1))
        self.scalar_head = nn.Sequential(nn.Linear(mid, 128), nn.SiLU(), nn.Linear(128, 1))
        nn.init.zeros_(self.scalar_head[2].weight)
        nn.init.zeros_(self.scalar_head[2].bias)

    def forward(self, x, s, t, cond):
        b = x.shape[0]
        c = torch.cat([self.map_emb(torch.cat([self.pos(s), self.pos(t)], dim=1)),
                       self.global_cond_encoder(cond.reshape(b, -1))], dim=1)
        h = x.transpose(1, 2)
        skips = []
        for b1, b2, downsample in self.down:
            h = b2(b1(h, c), c)
            skips.append(h)
            h = downsample(h)
        h = self.mid[1](self.mid[0](h, c), c)
        for b1, b2, upsample in self.up:
            h = torch.cat([h, skips.pop()], dim=1)
            h = upsample(b2(b1(h, c), c))
        return self.final(h).transpose(1, 2)


def parameter_count(net):
    return sum(q.numel() for q in net.parameters())


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


try:  # torch >= 2.0 has torch.func; Debian's torch 1.13 ships the same functions as functorch.
    from torch.func import jvp, vmap
except ImportError:
    from functorch import jvp, vmap

ALGORITHMS = ["flow", "regression", "straight_flow", "tsd", "mip", "mip_origin", "ctm", "lmd", "psd", "lsd", "esd", "mf"]
T_STAR = 0.9  # c.t_two_step
# mip.js's createNetwork('chiunet') at `mipjs perf`'s shape (A 2, H 16, To 2, D 20) with the
# reference's chiunet.yaml (E 256, model_dim 128, k 5, dim_mult [1, 2, 2]); perf/torch.ts passes it.
CHIUNET_PERF_PARAMS = 19_541_891
DISCRETE_DT = 0.01  # c.discrete_dt


def cols(t, x):
    """at_least_ndim: (B,) -> (B, 1, 1) against x (B, H, A)."""
    return t.reshape(t.shape + (1,) * (x.dim() - t.dim()))


def norm(x):
    """get_norm l2: sum of squares over the last axis, then the mean (loss_scale 1)."""
    return (x**2).sum(-1).mean()


class FlowMap:
    """mip/flow_map.py: X_{s,t}(x) = x + (t - s) f(x, s, t, cond), JVPs per sample under vmap."""

    def __init__(self, net, ref=None):
        self.net, self.ref = net, ref

    def f(self, x, s, t, cond):
        return self.net(x, s, t, cond)

    def map(self, s, t, x, cond):
        return x + cols(t - s, x) * self.f(x, s, t, cond)

    def velocity(self, t, x, cond):
        return self.f(x, t, t, cond)

    def ref_velocity(self, t, x, cond):
        return self.ref(x, t, t, cond)

    def _single(self, s, t, x, cond):
        return self.map(s[None], t[None], x[None], cond[None])[0]

    def jvp_t(self, s, t, x, cond):
        def one(s1, t1, x1, c1):
            return jvp(lambda tt: self._single(s1, tt, x1, c1), (t1,), (torch.ones_like(t1),))

        return vmap(one, randomness="same")(s, t, x, cond)

    def jvp_s(self, s, t, x, cond):
        def one(s1, t1, x1, c1):
            return jvp(lambda ss: self._single(ss, t1, x1, c1), (s1,), (torch.ones_like(s1),))

        return vmap(one, randomness="same")(s, t, x, cond)

    def jvp_x(self, s, t, x, v, cond):
        def one(s1, t1, x1, v1, c1):
            return jvp(lambda xx: self._single(s1, t1, xx, c1), (x1,), (v1,))

        return vmap(one, randomness="same")(s, t, x, v, cond)


# The loss anchor's fixed draws, by @mipjs/losses' LossDraws names (tFlow, z, noise, s, t, h);
# empty (the timed steps): every draw is fresh.
DRAWS = {}


def rand(key, b):
    """U(0, 1) of shape (b,), or the anchor's draw `key`."""
    return DRAWS[key] if key in DRAWS else torch.rand(b)


def randn_like(key, x):
    """N(0, I) shaped like x, or the anchor's draw `key`."""
    return DRAWS[key] if key in DRAWS else torch.randn_like(x)


def st_pair(b, delta_t):
    """Section 3.3: s = min(u1, u2), t = max(u1, u2), s = max(s, t - delta_t)."""
    u1, u2 = rand("s", b), rand("t", b)
    s, t = torch.minimum(u1, u2), torch.maximum(u1, u2)
    return torch.maximum(s, t - delta_t), t


def flow_term(fm, act, cond, z):
    """L_b: I_t = (1 - t) z + t act, target act - z (linear interpolant)."""
    t = rand("tFlow", act.shape[0])
    it = (1 - cols(t, act)) * z + cols(t, act) * act
    return norm(fm.velocity(t, it, cond) - (act - z))


def reference_loss(name, fm, act, cond, delta_t=1.0):
    """One loss of mip/losses.py (spec section 3.4) at loss_scale 1 and norm l2."""
    b = act.shape[0]
    zero = torch.zeros(b)
    if name == "flow":
        return flow_term(fm, act, cond, randn_like("z", act))
    if name == "regression":
        return norm(fm.velocity(zero, torch.zeros_like(act), cond) - act)
    if name == "straight_flow":
        return norm(fm.velocity(zero, randn_like("z", act), cond) - act)
    if name in ("tsd", "mip", "mip_origin"):
        # @mipjs/losses' names: mip calls its noise z; tsd's first input is z and its noise `noise`.
        n = randn_like("noise" if name == "tsd" else "z", act)
        a_t = (T_STAR * act if name == "mip_origin" else act) + (1 - T_STAR) * n
        x0 = randn_like("z", act) if name == "tsd" else torch.zeros_like(act)
        p0 = fm.velocity(zero, x0, cond)
        p1 = fm.velocity(torch.full((b,), T_STAR), a_t, cond)
        target0 = {"tsd": a_t, "mip": act, "mip_origin": T_STAR * act}[name]
        return (((p0 - target0) / T_STAR) ** 2).sum(-1).mean() + (((p1 - act) / (1 - T_STAR)) ** 2).sum(-1).mean()
    s, t = st_pair(b, delta_t)
    z = randn_like("z", act)
    if name == "ctm":
        s_plus = s + DISCRETE_DT
        t = torch.maximum(t, s_plus)
        i_s = (1 - cols(s, act)) * z + cols(s, act) * act
        pred = fm.map(s, t, i_s, cond)
        i_sp = i_s + DISCRETE_DT * fm.ref_velocity(s, i_s, cond)
        target = fm.map(s_plus, t, i_sp, cond)
        return (((target - pred) / DISCRETE_DT) ** 2).mean()
    i_s = (1 - cols(s, act)) * z + cols(s, act) * act
    if name == "lmd":
        x, dxdt = fm.jvp_t(s, t, i_s, cond)
        r = fm.ref_velocity(t, x, cond)
        return ((dxdt - r) ** 2).reshape(b, -1).mean(1).mean()
    lb = flow_term(fm, act, cond, z)
    if name == "psd":
        h = rand("h", b)
        u = s + h * (t - s)
        student = fm.f(i_s, s, t, cond)
        f_su = fm.f(i_s, s, u, cond)
        x_su = i_s + cols(u - s, i_s) * f_su
        f_ut = fm.f(x_su, u, t, cond)
        teacher = (1 - cols(h, i_s)) * f_su + cols(h, i_s) * f_ut
        return lb + norm(student - teacher)
    if name == "lsd":
        x, dxdt = fm.jvp_t(s, t, i_s, cond)
        return lb + norm(fm.velocity(t, x, cond) - dxdt)
    if name == "esd":
        x, dxds = fm.jvp_s(s, t, i_s, cond)
        with torch.no_grad():
            v = fm.velocity(t, x, cond)
        _, jv = fm.jvp_x(s, t, i_s, v, cond)
        return lb + norm(dxds + jv)
    if name == "mf":
        x, dxds = fm.jvp_s(s, t, i_s, cond)
        with torch.no_grad():
            _, jv = fm.jvp_x(s, t, i_s, act - z, cond)
        return lb + norm(dxds + jv)
    raise ValueError(f"torch_step.py: unknown algorithm '{name}'; valid: {', '.join(ALGORITHMS)}")


def train_samples(name, net, ref, action, cond, warmup, repeats):
    """Times one full reference step (loss, backward, clip 10, AdamW, EMA 0.995, loss.item())."""
    ema = copy.deepcopy(net)
    for q in ema.parameters():
        q.requires_grad_(False)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-4, weight_decay=1e-5)
    params = list(net.parameters())
    fm = FlowMap(net, ref)
    times = []
    net.train()
    for i in range(warmup + repeats):
        t0 = time.perf_counter()
        loss = reference_loss(name, fm, action, cond)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([q for q in params if q.grad is not None], 10.0)
        opt.step()
        with torch.no_grad():
            for e, q in zip(ema.parameters(), net.parameters()):
                e.mul_(0.995).add_(q, alpha=0.005)
        loss.item()
        dt = (time.perf_counter() - t0) * 1000
        if i >= warmup:
            times.append(dt)
    return times, ema


def check_network(net, ref, x, cond, eps=1e-6):
    """One network's JVPs against central finite differences and every loss on it (float64)."""
    fm = FlowMap(net, ref)
    B = x.shape[0]
    s, t = torch.rand(B, dtype=torch.float64) * 0.5, 0.5 + torch.rand(B, dtype=torch.float64) * 0.5
    v = torch.randn_like(x)
    with torch.no_grad():
        fd_t = (fm.map(s, t + eps, x, cond) - fm.map(s, t - eps, x, cond)) / (2 * eps)
        fd_s = (fm.map(s + eps, t, x, cond) - fm.map(s - eps, t, x, cond)) / (2 * eps)
        fd_x = (fm.map(s, t, x + eps * v, cond) - fm.map(s, t, x - eps * v, cond)) / (2 * eps)
        primal = fm.map(s, t, x, cond)

        def rel(a, b):
            return float((a - b).abs().max() / b.abs().max())

        p_t, j_t = fm.jvp_t(s, t, x, cond)
        _, j_s = fm.jvp_s(s, t, x, cond)
        _, j_x = fm.jvp_x(s, t, x, v, cond)
        errors = dict(primal=rel(p_t, primal), jvp_t=rel(j_t, fd_t), jvp_s=rel(j_s, fd_s), jvp_x=rel(j_x, fd_x))
    torch.set_default_dtype(torch.float64)
    try:
        losses = {n: float(reference_loss(n, fm, x, cond)) for n in ALGORITHMS}
    finally:
        torch.set_default_dtype(torch.float32)
    return errors, losses


def self_check():
    """The companion's JVPs against central finite differences (float64, dropout 0, tiny MLP and
    tiny ChiUNet).

    Returns the largest relative error of jvp_t, jvp_s and jvp_x and each loss value (finite,
    real numbers: every formulation runs end to end), for the MLP at the top level and for the
    ChiUNet under "chiunet" with its parameter count (A 2, H 8, To 2, D 3, E 16, model_dim 8,
    k 3, dim_mult [1, 2]: mip.js's createNetwork('chiunet') has the same). `mipjs perf`'s test runs this.
    """
    torch.manual_seed(0)
    H, A, To, D, B = 3, 2, 2, 3, 4
    net = Mlp(H * A + To * D, 16, 2, H * A, dropout=0.0, temb=8).double()
    ref = Mlp(H * A + To * D, 16, 2, H * A, dropout=0.0, temb=8).double()
    x = torch.randn(B, H, A, dtype=torch.float64)
    cond = torch.randn(B, To, D, dtype=torch.float64)
    errors, losses = check_network(net, ref, x, cond)
    H = 8
    unet = dict(emb=16, model_dim=8, k=3, dim_mult=(1, 2))
    net = ChiUNet(A, To, D, **unet).double()
    ref = ChiUNet(A, To, D, **unet).double()
    x = torch.randn(B, H, A, dtype=torch.float64)
    cond = torch.randn(B, To, D, dtype=torch.float64)
    chi_errors, chi_losses = check_network(net, ref, x, cond)
    chiunet = dict(errors=chi_errors, losses=chi_losses, params=parameter_count(net))
    return dict(errors=errors, losses=losses, chiunet=chiunet)


def load_mipjs_weights(net, arrays):
    """Sets every parameter of `net` from mip.js's variables, in their creation order and layouts.

    mip.js creates its variables in the order PyTorch lists these modules' parameters; the layouts
    differ: Dense kernel [in, out] (Linear [out, in]); Conv1d kernel [k in, out], row j in + c for
    tap j and channel c (an unfold and a product; Conv1d [out, in, k]); ConvTranspose1d kernel
    [in, k out], column j out + o (ConvTranspose1d [in, out, k]). Norm scales and biases are as they are.
    """
    params = list(net.named_parameters())
    if len(arrays) != len(params):
        sys.exit(f"torch_step.py --loss-anchor: {len(arrays)} weights for a network of {len(params)} parameters")
    with torch.no_grad():
        for (name, q), e in zip(params, arrays):
            w = torch.tensor(e["data"], dtype=q.dtype).reshape(e["shape"])
            module = net.get_submodule(name.rsplit(".", 1)[0])
            if name.endswith(".weight") and isinstance(module, nn.Linear):
                w = w.t()
            elif name.endswith(".weight") and isinstance(module, nn.ConvTranspose1d):
                cin, cout, k = q.shape
                w = w.reshape(cin, k, cout).permute(0, 2, 1)
            elif name.endswith(".weight") and isinstance(module, nn.Conv1d):
                cout, cin, k = q.shape
                w = w.reshape(k, cin, cout).permute(2, 1, 0)
            if w.shape != q.shape:
                sys.exit(f"torch_step.py --loss-anchor: mip.js weight {e['shape']} does not fit {name} {list(q.shape)}")
            q.copy_(w)


def anchor_network(c):
    """The network of an anchor file: {"kind": "mlp" | "chiunet", shape and mip.js's options}."""
    H, A, To, D = c["horizon"], c["actDim"], c["obsSteps"], c["condDim"]
    if c["kind"] == "mlp":
        return Mlp(H * A + To * D, c["embDim"], c["nLayers"], H * A, dropout=0.0, temb=c["timestepEmbDim"],
                   max_freq=c.get("maxFreq", 100.0))
    if c["kind"] == "chiunet":
        return ChiUNet(A, To, D, emb=c["embDim"], model_dim=c["modelDim"], k=c["kernelSize"],
                       dim_mult=tuple(c["dimMult"]))
    sys.exit(f"torch_step.py --loss-anchor: network kind '{c['kind']}'; valid: mlp, chiunet")


def loss_anchor(path):
    """The reference losses on given weights, batch and draws, in float64 (eval mode, loss_scale 1).

    `path`: JSON {"network": {kind, horizon, actDim, obsSteps, condDim, and mip.js's options:
    embDim, nLayers, timestepEmbDim, maxFreq (mlp) or embDim, modelDim, kernelSize, dimMult
    (chiunet)}, "weights": [{shape, data}] (mip.js's variables, see load_mipjs_weights),
    "action" / "cond": {shape, data}, "draws": {algorithm: {key: {shape, data}}}} (keys as
    @mipjs/losses' LossDraws). Returns {"losses": {algorithm: value}}: what
    torch-companion.test.ts compares with @mipjs/losses on the same numbers.
    """
    with open(path) as f:
        spec = json.load(f)
    net = anchor_network(spec["network"]).double().eval()
    load_mipjs_weights(net, spec["weights"])

    def tensor(e):
        return torch.tensor(e["data"], dtype=torch.float64).reshape(e["shape"])

    act, cond = tensor(spec["action"]), tensor(spec["cond"])
    fm = FlowMap(net)
    losses = {}
    torch.set_default_dtype(torch.float64)
    try:
        for name, draws in spec["draws"].items():
            if name not in ALGORITHMS or name in ("lmd", "ctm"):
                sys.exit(f"torch_step.py --loss-anchor: algorithm '{name}' is not anchored (lmd, ctm need a teacher)")
            DRAWS.clear()
            DRAWS.update({k: tensor(v) for k, v in draws.items()})
            losses[name] = float(reference_loss(name, fm, act, cond))
    finally:
        DRAWS.clear()
        torch.set_default_dtype(torch.float32)
    return dict(losses=losses)


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
    p.add_argument("--algorithms", default=",".join(ALGORITHMS))
    p.add_argument("--chiunet-algorithms", default="flow,mip,lsd",
                   help="algorithms timed on the reference-size ChiUNet ('' = none)")
    p.add_argument("--chiunet-batch", type=int, default=32)
    p.add_argument("--chiunet-params", type=int, default=CHIUNET_PERF_PARAMS,
                   help="the parameter count mip.js's ChiUNet has at this shape (0 = not checked)")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--self-check", action="store_true", help="JVPs vs finite differences; prints JSON")
    p.add_argument("--loss-anchor", metavar="FILE", help="the reference losses on the weights and draws in FILE; prints JSON")
    a = p.parse_args()
    if a.self_check:
        print(json.dumps(self_check()))
        return
    if a.loss_anchor:
        print(json.dumps(loss_anchor(a.loss_anchor)))
        return
    algorithms = [x for x in a.algorithms.split(",") if x]
    chi_algorithms = [x for x in a.chiunet_algorithms.split(",") if x]
    for flag, names in (("--algorithms", algorithms), ("--chiunet-algorithms", chi_algorithms)):
        for x in names:
            if x not in ALGORITHMS:
                p.error(f"{flag}: unknown '{x}'; valid: {', '.join(ALGORITHMS)}")
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    blas = blas_report()
    print(f"pytorch BLAS {blas['kind']} {blas['path'] or '(built in)'}: {blas['gflops']} GFLOP/s", file=sys.stderr)
    H, A, To, D, B = a.horizon, a.act_dim, a.obs_steps, a.cond_dim, a.batch
    rows = []

    def train_rows(label, make, names, batch):
        """Times each algorithm's step on a fresh network from `make` (seed 0); returns an EMA copy."""
        ema = None
        for name in names:
            torch.manual_seed(0)
            net = make()
            ref = None
            if name in ("lmd", "ctm"):
                ref = make().eval()
                for q in ref.parameters():
                    q.requires_grad_(False)
            action = torch.randn(batch, H, A)
            cond = torch.randn(batch, To, D)
            times, e = train_samples(name, net, ref, action, cond, a.warmup, a.repeats)
            ema = ema or e
            print(f"pytorch train {label} {name}: median {median(times):.1f} ms", file=sys.stderr)
            rows.append(dict(name=f"train/{label}/{name}", samples=times, unit="ms"))
        return ema

    if chi_algorithms:
        n = parameter_count(ChiUNet(A, To, D))
        if a.chiunet_params and n != a.chiunet_params:
            sys.exit(f"torch_step.py: the ChiUNet has {n} parameters at A {A}, To {To}, D {D}; "
                     f"--chiunet-params (mip.js's) says {a.chiunet_params}")
    for width in [int(w) for w in a.widths.split(",") if w]:
        ema = train_rows(f"mlp-w{width}", lambda: Mlp(H * A + To * D, width, a.layers, H * A), algorithms, B)
        if ema is None:
            continue
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
    if chi_algorithms:
        train_rows(f"chiunet-b{a.chiunet_batch}", lambda: ChiUNet(A, To, D), chi_algorithms, a.chiunet_batch)
    print(json.dumps(dict(torch=torch.__version__, blas=blas, threads=torch.get_num_threads(), rows=rows)))


if __name__ == "__main__":
    main()
