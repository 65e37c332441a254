#!/usr/bin/env python3
"""torch_reference.py BATCH THREADS - PyTorch on the CPU training the same
network as clvsim's benchmark: 32 inputs -> 64 -> 64 (ReLU) -> 3 outputs,
the zero-inflated lognormal loss, Adam, float32, on 65,536 random rows.
Prints "samples_per_second X" (the best of 3 passes over the data), which
make bench reads beside clvsim's own figure."""
import math
import sys
import time

import torch


def ziln_loss(out, y):
    logit, mu, s = out[:, 0], out[:, 1], out[:, 2]
    pos = (y > 0).float()
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logit, pos, reduction="none")
    sigma = torch.nn.functional.softplus(s)
    safe_y = torch.where(y > 0, y, torch.ones_like(y))
    z = (torch.log(safe_y) - mu) / sigma
    ln = torch.log(safe_y) + torch.log(sigma) + 0.5 * math.log(2 * math.pi) + 0.5 * z * z
    return (bce + pos * ln).mean()


def main():
    batch = int(sys.argv[1]) if len(sys.argv) > 1 else 256
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    n = 65536
    x = torch.rand(n, 32) * 2 - 1
    u = torch.rand(n)
    y = torch.where(u < 0.4, torch.zeros(n), torch.exp(1 + 0.7 * torch.randn(n)))
    net = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64), torch.nn.ReLU(),
                              torch.nn.Linear(64, 3))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    best = 0.0
    for _ in range(3):
        start = time.perf_counter()
        for i in range(0, n - batch + 1, batch):
            opt.zero_grad()
            loss = ziln_loss(net(x[i:i + batch]), y[i:i + batch])
            loss.backward()
            opt.step()
        best = max(best, (n // batch) * batch / (time.perf_counter() - start))
    print("samples_per_second %.6g" % best)


if __name__ == "__main__":
    main()
