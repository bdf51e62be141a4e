#!/usr/bin/python3
"""PyTorch reference of stackae's default level, for the side-by-side benchmark.

Exactly model/'s reference architecture and optimiser: blocks of two 4x4
convs + batch norm + LeakyReLU(0.2) ('same' padding as TensorFlow: 1 before,
2 after); each downscale a stride-2 4x4 conv (pad 1, bias) with a residual
conv block; each upscale nearest 2x + a conv block with 4x4 "to image"
outputs summed across scales; tanh on the encoding and the reconstruction;
"flatten" levels use dense heads. Init N(0, 0.02), zero biases; MSE; Adam
lr 1e-4, betas (0.5, 0.999), eps 1e-8. NCHW, the PyTorch default.

Run with Debian's interpreter (/usr/bin/python3, package python3-torch):
  torch_ref.py step --level 1 --steps 5       # prints {"times": [...], ...}
  torch_ref.py forward --rows 640 --batch 64  # encoder, inference only
"""
import argparse
import json
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SLOPE = 0.2


def conv(cin, cout, k=4, stride=1, bias=True):
    c = nn.Conv2d(cin, cout, k, stride=stride, padding=(k - 2) // 2 if stride == 2 else 0, bias=bias)
    nn.init.normal_(c.weight, 0.0, 0.02)
    if bias:
        nn.init.zeros_(c.bias)
    return c


class Same(nn.Module):
    """A stride-1 even-kernel conv with TF 'same' padding (k/2-1 before, k/2 after)."""

    def __init__(self, cin, cout, k=4, bias=True):
        super().__init__()
        self.pad = ((k - 1) // 2, k // 2, (k - 1) // 2, k // 2)
        self.conv = conv(cin, cout, k, 1, bias)

    def forward(self, x):
        return self.conv(F.pad(x, self.pad))


class Block(nn.Module):
    def __init__(self, cin, cout, k):
        super().__init__()
        self.c0, self.b0 = Same(cin, cout, k, bias=False), nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)
        self.c1, self.b1 = Same(cout, cout, k, bias=False), nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)

    def forward(self, x):
        x = F.leaky_relu(self.b0(self.c0(x)), SLOPE)
        return F.leaky_relu(self.b1(self.c1(x)), SLOPE)


def dense(i, o):
    d = nn.Linear(i, o)
    nn.init.normal_(d.weight, 0.0, 0.02)
    nn.init.zeros_(d.bias)
    return d


class Level(nn.Module):
    def __init__(self, h, w, c, factor, features=32, width=32, k=4):
        super().__init__()
        self.h, self.w, self.factor, self.features, self.width = h, w, factor, features, width
        downs = factor.bit_length() - 1 if factor else 0
        self.enc_in = Block(c, width, k)
        self.enc_down = nn.ModuleList(conv(width, width, k, 2) for _ in range(downs))
        self.enc_blocks = nn.ModuleList(Block(width, width, k) for _ in range(downs))
        if factor:
            self.enc_out = Same(width, features, k)
            cin = features
        else:
            self.fc = nn.Sequential(nn.Flatten(), dense(width * h * w, 2 * features), nn.LeakyReLU(SLOPE),
                                    dense(2 * features, features), nn.Tanh())
            self.dfc = nn.Sequential(dense(features, 2 * features), nn.LeakyReLU(SLOPE), dense(2 * features, width * h * w))
            cin = width
        self.dec_in = Block(cin, width, k)
        self.rgb = nn.ModuleList(Same(width, c, k) for _ in range(downs + 1))
        self.dec_blocks = nn.ModuleList(Block(width, width, k) for _ in range(downs))

    def encode(self, x):
        h = self.enc_in(x)
        for down, block in zip(self.enc_down, self.enc_blocks):
            d = down(h)
            h = d + block(d)
        if self.factor:
            return torch.tanh(self.enc_out(h))
        return self.fc(h).view(-1, self.features, 1, 1)

    def decode(self, z):
        h = z if self.factor else self.dfc(z.flatten(1)).view(-1, self.width, self.h, self.w)
        h = self.dec_in(h)
        img = self.rgb[0](h)
        for block, rgb in zip(self.dec_blocks, self.rgb[1:]):
            h = block(F.interpolate(h, scale_factor=2, mode="nearest"))
            img = F.interpolate(img, scale_factor=2, mode="nearest") + rgb(h)
        return torch.tanh(img)

    def forward(self, x):
        return self.decode(self.encode(x))


LEVELS = {1: (64, 64, 3, 8), 2: (8, 8, 32, 0)}  # level 2 reads level 1's 8x8x32 codes


def step_times(args):
    h, w, c, factor = LEVELS[args.level]
    net = Level(h, w, c, factor)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4, betas=(0.5, 0.999), eps=1e-8)
    x = torch.rand(args.batch, c, h, w) * 2 - 1
    times = []
    for i in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = F.mse_loss(net(x), x)
        loss.backward()
        opt.step()
        if i >= args.warmup:
            times.append(time.perf_counter() - t0)
    return {"times": times, "loss": loss.item(), "params": sum(q.numel() for q in net.parameters())}


def forward_rate(args):
    h, w, c, factor = LEVELS[1]
    net = Level(h, w, c, factor).eval()
    x = torch.rand(args.batch, c, h, w) * 2 - 1
    with torch.no_grad():
        net.encode(x)  # warm-up
        t0 = time.perf_counter()
        done = 0
        while done < args.rows:
            net.encode(x)
            done += args.batch
        return {"images_per_s": done / (time.perf_counter() - t0)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["step", "forward"])
    p.add_argument("--level", type=int, default=1, choices=sorted(LEVELS))
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--rows", type=int, default=640)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    args = p.parse_args()
    torch.manual_seed(1)
    torch.set_num_threads(args.threads)
    out = step_times(args) if args.mode == "step" else forward_rate(args)
    out.update(torch=torch.__version__, threads=torch.get_num_threads(),
               onednn=torch.backends.mkldnn.is_available())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
