"""PyTorch on the same CPU, as a peer for the benches: one workload, timed like the benches.

Usage: /usr/bin/python3 bench/torch/peer.py WORKLOAD
Prints one JSON line {"workload", "ms" (median ms per run), "runs", "torch", "threads"}.

The problems match bench/train.ts, bench/ode.ts, bench/node-train.ts and the dispatch chain of
bench/kernels.ts in sizes and math (float32); the data are drawn from the same distributions
with torch's own generator (torch.manual_seed(0)), not the same numbers.
"""

import json
import math
import statistics
import sys
import time

import torch

torch.manual_seed(0)
torch.set_default_dtype(torch.float32)

BATCH, WIDTH = 256, 64  # bench/ode.ts, bench/node-train.ts


def time_chunks(step, steps, chunks=7, warmup=10):
    """bench/train.ts timeSteps: a warm-up chunk, then the median over `chunks` chunks of
    `steps` iterations, each chunk ending with one read (.item()) of the last result."""

    def chunk(n):
        t0 = time.perf_counter()
        out = None
        for _ in range(n):
            out = step()
        out.item()
        return (time.perf_counter() - t0) * 1000 / n

    chunk(warmup)
    return statistics.median(chunk(steps) for _ in range(chunks)), chunks


def glorot_uniform(fan_in, fan_out):
    a = math.sqrt(6 / (fan_in + fan_out))
    return torch.empty(fan_in, fan_out).uniform_(-a, a)


def mlp_sgd():
    # bench/train.ts: MLP 2→64→64→2, tanh hidden, linear output, glorotUniform W [in, out],
    # zero biases, MSE (mean over all elements), batch 256, SGD lr 0.05.
    sizes, lr = [2, 64, 64, 2], 0.05
    params = []
    for i, o in zip(sizes[:-1], sizes[1:]):
        params += [glorot_uniform(i, o).requires_grad_(), torch.zeros(o, requires_grad=True)]
    x = torch.randn(BATCH, 2)
    y = torch.tanh(torch.randn(BATCH, 2))

    def step():
        h = x
        for k in range(0, len(params), 2):
            h = torch.addmm(params[k + 1], h, params[k])
            if k + 2 < len(params):
                h = torch.tanh(h)
        loss = torch.mean((h - y) ** 2)
        loss.backward()
        # the update in place under torch.no_grad: measured a few per cent faster here than
        # torch.optim.SGD's step (with zero_grad) on these six small tensors
        with torch.no_grad():
            for p in params:
                p.sub_(p.grad, alpha=lr)
                p.grad = None
        return loss.detach()

    return time_chunks(step, steps=20, warmup=10)


def ode_problem():
    y0 = torch.randn(BATCH, WIDTH)
    W = torch.randn(WIDTH, WIDTH) / math.sqrt(WIDTH)
    b = torch.randn(WIDTH) * 0.1
    return y0, W, b


def rk4(f, y, steps, h):
    # the classical RK4 step, written as bench/ode-tfjs.ts's rk4Steps
    for _ in range(steps):
        k1 = f(y)
        k2 = f(y + k1 * (h / 2))
        k3 = f(y + k2 * (h / 2))
        k4 = f(y + k3 * h)
        y = y + (k1 + 2 * k2 + 2 * k3 + k4) * (h / 6)
    return y


def rk4_forward():
    # bench/ode.ts ode-rk4-forward: 100 RK4 steps on [0, 1] of dy/dt = tanh(y W + b), no grad;
    # one run is the 100 steps then reading y.sum(). Timed as its timeRuns: 2 warm-up runs, 7 runs.
    y0, W, b = ode_problem()
    f = lambda y: torch.tanh(torch.addmm(b, y, W))

    def run():
        with torch.no_grad():
            return rk4(f, y0, 100, 1 / 100).sum()

    return time_chunks(run, steps=1, chunks=7, warmup=2)


def node_train_backprop():
    # bench/node-train.ts, backprop: RK4 ×10 on [0, 1] of dx/dt = tanh(x W + b), loss MSE of
    # x(1) against tanh(N(0, 1)), autograd through the steps, Adam lr 1e-2 (0.9, 0.999, 1e-8).
    # Timed as its timeInterleaved: 3 warm-up steps, 7 chunks of 5 steps.
    x0, W, b = ode_problem()
    W.requires_grad_()
    b.requires_grad_()
    target = torch.tanh(torch.randn(BATCH, WIDTH))
    opt = torch.optim.Adam([W, b], lr=1e-2, betas=(0.9, 0.999), eps=1e-8)
    f = lambda x: torch.tanh(torch.addmm(b, x, W))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = torch.mean((rk4(f, x0, 10, 1 / 10) - target) ** 2)
        loss.backward()
        opt.step()
        return loss.detach()

    return time_chunks(step, steps=5, chunks=7, warmup=3)


def add_chain():
    # the dispatch chain's length and size (bench/kernels.ts 'dispatch': 200 ops on 64 floats),
    # as adds y = y + c; no grad, one read at the end. Warm-up 20 runs, median of 15.
    c = torch.randn(64)

    def run():
        with torch.no_grad():
            y = c
            for _ in range(200):
                y = y + c
            return y.sum()

    return time_chunks(run, steps=1, chunks=15, warmup=20)


WORKLOADS = {
    "mlp-sgd": mlp_sgd,
    "rk4-forward": rk4_forward,
    "node-train-backprop": node_train_backprop,
    "add-chain": add_chain,
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in WORKLOADS:
        sys.exit(f"usage: peer.py {{{'|'.join(WORKLOADS)}}}")
    ms, runs = WORKLOADS[sys.argv[1]]()
    print(json.dumps({"workload": sys.argv[1], "ms": ms, "runs": runs, "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
