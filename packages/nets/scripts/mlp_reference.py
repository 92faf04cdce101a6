#!/usr/bin/env python3
"""PyTorch reference MLP (spec §5.3, `mip/networks/mlp.py: MLP`) to check the @mipjs/nets `mlp`.

Two commands:

  compare DUMP.json
      Loads the weights that `scripts/mlp_forward_dump.mjs` wrote from a seeded @mipjs/nets `mlp`
      into this module and prints the max abs difference of the forward outputs (with a condition
      and with cond=None). A faithful port agrees to ~1e-5 (float32).

  train [--emb-dim 128 --n-layers 2 --temb-dim 32 --max-freq 100 ...]
      Trains flow matching on the bench's 2-D checkerboard ([-1, 1]^2, 4 cells per side, support
      = cells (i, j) with i + j even) with the bench trainer's recipe: batch 256, AdamW (wd 1e-5),
      cosine LR to 0, global-norm clip 10, EMA 0.995 for evaluation, loss 0.1 * mean_b sum_a
      (f(x_t, t, t) - (a - z))^2 with x_t = (1 - t) z + t a, t ~ U(0, 1), z ~ N(0, I). Samples
      2000 points per NFE with Euler from z ~ N(0, I) and prints inSupport per NFE.
      Ablation flags change one ingredient at a time: --max-freq, --temb-dim, --no-in-norm,
      --act relu, --init default (PyTorch's kaiming-uniform), --arch relu3 (3x256 ReLU MLP),
      and --x-gain G (scales flatten(x) in the input; a probe, not in the reference).

Run from the repository root (PyTorch >= 1.13, CPU is enough):
  pnpm --filter @mipjs/nets build
  (cd packages/nets && node scripts/mlp_forward_dump.mjs) > /tmp/mlp_dump.json
  python3 packages/nets/scripts/mlp_reference.py compare /tmp/mlp_dump.json
  python3 packages/nets/scripts/mlp_reference.py train --steps 1500 --lr 1e-3 --seed 0
  python3 packages/nets/scripts/mlp_reference.py train --max-freq 1   # an ablation
"""
import argparse
import copy
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def uniform_frequency_embedding(t, dim, max_freq):
    """[sin(t w), cos(t w)], w = linspace(0, max_freq, dim/2)  (mlp.py's time features)."""
    freqs = torch.linspace(0, max_freq, dim // 2, dtype=t.dtype)
    arg = t[:, None] * freqs[None, :]
    return torch.cat([torch.sin(arg), torch.cos(arg)], dim=-1)


class ReferenceMLP(nn.Module):
    """in = [flatten(x), emb(s), emb(t), flatten(cond)] -> act(LN(Linear(in, E))),
    n_layers pre-norm blocks h += Drop(Linear(4E, E)(LN(Drop(act(Linear(E, 4E)(LN(h))))))),
    LN, head Linear(E, H A) (+ the zero scalar head Linear(E, 1))."""

    def __init__(self, act_dim, horizon, obs_steps, cond_dim, emb_dim=512, n_layers=8, dropout=0.0,
                 temb_dim=128, max_freq=100.0, in_norm=True, act='gelu', init='orthogonal', x_gain=1.0):
        super().__init__()
        self.x_gain = x_gain
        self.act_dim, self.horizon = act_dim, horizon
        self.obs_steps, self.cond_dim = obs_steps, cond_dim
        self.temb_dim, self.max_freq = temb_dim, max_freq
        in_dim = horizon * act_dim + 2 * temb_dim + obs_steps * cond_dim
        e = emb_dim
        self.act = {'gelu': nn.GELU(), 'relu': nn.ReLU()}[act]
        self.in_proj = nn.Linear(in_dim, e)
        self.in_norm = nn.LayerNorm(e) if in_norm else nn.Identity()
        self.blocks = nn.ModuleList()
        for _ in range(n_layers):
            self.blocks.append(nn.ModuleDict(dict(
                norm1=nn.LayerNorm(e), fc1=nn.Linear(e, 4 * e), drop1=nn.Dropout(dropout),
                norm2=nn.LayerNorm(4 * e), fc2=nn.Linear(4 * e, e), drop2=nn.Dropout(dropout))))
        self.out_norm = nn.LayerNorm(e)
        self.head = nn.Linear(e, horizon * act_dim)
        self.scalar_head = nn.Linear(e, 1)
        if init == 'orthogonal':
            for lin in [self.in_proj, self.head] + [b[k] for b in self.blocks for k in ('fc1', 'fc2')]:
                nn.init.orthogonal_(lin.weight)
                nn.init.zeros_(lin.bias)
        nn.init.zeros_(self.scalar_head.weight)
        nn.init.zeros_(self.scalar_head.bias)

    def forward(self, x, s, t, cond=None):
        b = x.shape[0]
        if cond is None:
            cond = torch.zeros(b, self.obs_steps, self.cond_dim, dtype=x.dtype)
        h = torch.cat([self.x_gain * x.reshape(b, -1),
                       uniform_frequency_embedding(s, self.temb_dim, self.max_freq),
                       uniform_frequency_embedding(t, self.temb_dim, self.max_freq),
                       cond.reshape(b, -1)], dim=-1)
        h = self.act(self.in_norm(self.in_proj(h)))
        for blk in self.blocks:
            r = blk['drop1'](self.act(blk['fc1'](blk['norm1'](h))))
            h = h + blk['drop2'](blk['fc2'](blk['norm2'](r)))
        return self.head(self.out_norm(h)).reshape(b, self.horizon, self.act_dim)


class ReluMLP(nn.Module):
    """The toy experiments' ConcatMLP (spec §11.2): [flatten(x), t] -> 3 x (Linear 256, ReLU) -> Linear."""

    def __init__(self, act_dim, horizon, width=256):
        super().__init__()
        d = act_dim * horizon
        self.shape = (horizon, act_dim)
        self.net = nn.Sequential(nn.Linear(d + 1, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                                 nn.Linear(width, width), nn.ReLU(), nn.Linear(width, d))

    def forward(self, x, s, t, cond=None):
        b = x.shape[0]
        return self.net(torch.cat([x.reshape(b, -1), t[:, None]], -1)).reshape(b, *self.shape)


# ---------------------------------------------------------------------------------------------
# compare: same weights as the JS network


def load_js_weights(model, weights):
    """JS names `in_proj/kernel` ([in, out]) -> torch `in_proj.weight` ([out, in]); LN gamma/beta
    -> weight/bias; `blocks.0/fc1/...` -> `blocks.0.fc1....`."""
    state = {}
    for name, w in weights.items():
        module, leaf = name.rsplit('/', 1)
        module = module.replace('/', '.')
        value = torch.tensor(w['data'], dtype=torch.float32).reshape(w['shape'])
        key = {'kernel': 'weight', 'bias': 'bias', 'gamma': 'weight', 'beta': 'bias'}[leaf]
        state[f'{module}.{key}'] = value.t().contiguous() if leaf == 'kernel' else value
    missing, unexpected = model.load_state_dict(state, strict=True), None
    return missing


def cmd_compare(args):
    dump = json.load(open(args.dump))
    c = dump['config']
    model = ReferenceMLP(c['actDim'], c['horizon'], c['obsSteps'], c['condDim'], emb_dim=c['embDim'],
                         n_layers=c['nLayers'], dropout=0.0, temb_dim=c['timestepEmbDim'],
                         max_freq=c['maxFreq'], act=c['activation'])
    load_js_weights(model, dump['weights'])
    model.eval()
    i = dump['inputs']
    b, h, a = i['B'], c['horizon'], c['actDim']
    x = torch.tensor(i['x']).reshape(b, h, a)
    s, t = torch.tensor(i['s']), torch.tensor(i['t'])
    cond = torch.tensor(i['cond']).reshape(b, c['obsSteps'], c['condDim'])
    with torch.no_grad():
        y = model(x, s, t, cond).reshape(-1)
        y0 = model(x, s, t, None).reshape(-1)
    d = (y - torch.tensor(dump['output'])).abs().max().item()
    d0 = (y0 - torch.tensor(dump['outputNullCond'])).abs().max().item()
    scale = y.abs().max().item()
    print(json.dumps({'maxAbsDiff': d, 'maxAbsDiffNullCond': d0, 'maxAbsOutput': scale,
                      'config': {k: c[k] for k in ('embDim', 'nLayers', 'timestepEmbDim', 'maxFreq')}}))
    return 0 if max(d, d0) < 1e-4 * max(1.0, scale) else 1


# ---------------------------------------------------------------------------------------------
# train: flow matching on the checkerboard


def sample_checkerboard(n, gen, cells=4):
    out = torch.empty(0, 2)
    while out.shape[0] < n:
        p = torch.rand(2 * n, 2, generator=gen) * 2 - 1
        out = torch.cat([out, p[in_support(p, cells)]])
    return out[:n]


def in_support(p, cells=4):
    inside = (p >= -1).all(-1) & (p <= 1).all(-1)
    ij = torch.clamp(torch.floor((p + 1) / 2 * cells), max=cells - 1).long()
    return inside & ((ij[:, 0] + ij[:, 1]) % 2 == 0)


def build(args):
    if args.arch == 'relu3':
        return ReluMLP(2, 1, width=args.emb_dim)
    return ReferenceMLP(2, 1, 1, 1, emb_dim=args.emb_dim, n_layers=args.n_layers, dropout=0.0,
                        temb_dim=args.temb_dim, max_freq=args.max_freq, in_norm=not args.no_in_norm,
                        act=args.act, init=args.init, x_gain=args.x_gain)


@torch.no_grad()
def euler(model, n, nfe, gen):
    x = torch.randn(n, 1, 2, generator=gen)
    for k in range(nfe):
        t = torch.full((n,), k / nfe)
        x = x + model(x, t, t) / nfe
    return x.reshape(n, 2)


def cmd_train(args):
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    model = build(args)
    ema = copy.deepcopy(model)
    params = [p for n, p in model.named_parameters() if not n.startswith('scalar_head')]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=1e-5)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.steps, eta_min=0)
    t0 = time.time()
    for step in range(args.steps):
        a = sample_checkerboard(args.batch, gen).reshape(-1, 1, 2)
        z = torch.randn(a.shape, generator=gen)
        t = torch.rand(args.batch, generator=gen)
        xt = (1 - t[:, None, None]) * z + t[:, None, None] * a
        loss = 0.1 * ((model(xt, t, t) - (a - z)) ** 2).sum(-1).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 10.0)
        opt.step()
        sched.step()
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), model.parameters()):
                pe.mul_(args.ema).add_(p, alpha=1 - args.ema)
        if (step + 1) % 500 == 0:
            print(f'step {step + 1} loss {loss.item():.4f} ({time.time() - t0:.0f} s)', file=sys.stderr)
    ema.eval()
    egen = torch.Generator().manual_seed(10_000 + args.seed)
    result = {k: getattr(args, k) for k in ('arch', 'emb_dim', 'n_layers', 'temb_dim', 'max_freq',
                                            'no_in_norm', 'act', 'init', 'x_gain', 'steps', 'lr', 'seed')}
    result['inSupport'] = {nfe: round(in_support(euler(ema, args.samples, nfe, egen)).float().mean().item(), 4)
                           for nfe in args.nfe}
    print(json.dumps(result))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='cmd', required=True)
    c = sub.add_parser('compare')
    c.add_argument('dump')
    t = sub.add_parser('train')
    t.add_argument('--arch', choices=['mlp', 'relu3'], default='mlp')
    t.add_argument('--emb-dim', type=int, default=128)
    t.add_argument('--n-layers', type=int, default=2)
    t.add_argument('--temb-dim', type=int, default=32)
    t.add_argument('--max-freq', type=float, default=100.0)
    t.add_argument('--no-in-norm', action='store_true')
    t.add_argument('--act', choices=['gelu', 'relu'], default='gelu')
    t.add_argument('--x-gain', type=float, default=1.0, help='scale flatten(x) in the input (not in the reference)')
    t.add_argument('--init', choices=['orthogonal', 'default'], default='orthogonal')
    t.add_argument('--steps', type=int, default=1500)
    t.add_argument('--lr', type=float, default=1e-3)
    t.add_argument('--batch', type=int, default=256)
    t.add_argument('--ema', type=float, default=0.995)
    t.add_argument('--samples', type=int, default=2000)
    t.add_argument('--nfe', type=int, nargs='+', default=[1, 2, 4, 8, 16])
    t.add_argument('--seed', type=int, default=0)
    t.add_argument('--threads', type=int, default=1)
    args = p.parse_args()
    if args.cmd == 'compare':
        return cmd_compare(args)
    torch.set_num_threads(args.threads)
    return cmd_train(args)


if __name__ == '__main__':
    sys.exit(main())
