"""Time per meta-batch of every method's meta-gradient, in one run, against one plain gradient and torch.func / jax.

Setting (MAML paper §5.1): MLP 1-40-40-1 ReLU, 25 sinusoid tasks of K = 10 support + 10 query points, inner rate
α = 0.01, one inner step (and five). Each method is ``mamlkit.meta_value_and_gradient`` (which takes the vectorised
path of ``mamlkit.batched``) on one fixed batch. References on the same batch:

* plain gradient   ∇_θ (1/T) Σ_t L(θ; D_te,t) by autograd on ``MLP.loss`` (θ broadcast over the tasks): what one
                   reverse-mode pass costs in the same machinery, so "MAML ÷ plain" is the price of second order
* numpy gradient   the same gradient by the hand-written backward pass of batched.py (no autograd at all)
* torch.func       the same computations written with torch.func.grad + vmap, eager, float64 (plain, MAML, FOMAML)
* jax              the same with jax.jit + vmap, float64 (jit compile time excluded)

torch and jax are optional (``pip install -e .[bench]``); without them their columns print n/a. The machine is
shared and noisy: methods are interleaved, each repeat times ``--number`` calls, and the tables give medians
over ``--repeats`` of wall-clock and CPU time per call; ratios use the CPU-time medians (less sensitive to other
jobs on the machine). Writes benchmarks/results/meta_gradient.md (or ``--out``).

    python benchmarks/bench_meta_gradient.py [--repeats 15] [--number 20] [--out benchmarks/results]
"""
import argparse
import pathlib
import statistics
import time

import autograd
import numpy as onp

import machine
import malloc_tuning
from mamlkit import batched, meta_value_and_gradient, models, tasks

ROOT = pathlib.Path(__file__).resolve().parents[1]
META_BATCH, K, LR = 25, 10, 0.01
PACKAGES = ("numpy", "autograd", "torch", "jax")  # versions named on the results pages
IMAML = {"lam": 60.0, "cg_steps": 5}  # λ large enough that CG meets no negative curvature on this batch


def setup(seed=0):
    """The model, its seeded initialisation θ and one fixed batch of 25 sinusoid tasks."""
    model = models.MLP((1, 40, 40, 1), "relu")
    rng = onp.random.default_rng(seed)
    theta = model.init(rng)
    return model, theta, tasks.Sinusoid().sample_batch(rng, META_BATCH, K, K)


def method_calls(model, theta, task_list, steps):
    """{label: zero-argument callable} for the five methods with ``steps`` inner steps."""
    hyper = {"lr": LR, "steps": steps}
    return {
        "pretrain": lambda: meta_value_and_gradient("pretrain", model.loss, theta, task_list),
        "maml": lambda: meta_value_and_gradient("maml", model.loss, theta, task_list, **hyper),
        "fomaml": lambda: meta_value_and_gradient("fomaml", model.loss, theta, task_list, **hyper),
        "reptile": lambda: meta_value_and_gradient("reptile", model.loss, theta, task_list, **hyper),
        "imaml": lambda: meta_value_and_gradient("imaml", model.loss, theta, task_list, **hyper, **IMAML),
    }


def plain_gradients(model, theta, task_list):
    """One plain gradient of the batch's query loss: by autograd on MLP.loss, and by batched.py's numpy backward."""
    batch = batched.stack(task_list)
    grad = autograd.grad(model.loss)
    layers = batched.unpack(model, theta)

    def numpy_gradient():
        return batched.flat_mean(batched._gradient(model, layers, batch.test, onp)[1])

    return {"plain gradient": lambda: grad(theta, batch.test), "plain gradient (numpy backward)": numpy_gradient}


# ----------------------------------------------------------------------------------------------------------
# The same computations in torch.func and jax (optional)


def _mlp_forward(params, x, matmul, relu):
    h = x
    for i in range(0, len(params), 2):
        h = matmul(h, params[i]) + params[i + 1]
        if i < len(params) - 2:
            h = relu(h)
    return h


def _split(model, theta):
    """θ as the tuple (W₁, b₁, W₂, b₂, …) of numpy arrays."""
    return tuple(a for W, b in batched.unpack(model, theta) for a in (W, b[0]))


def torch_calls(model, theta, task_list, steps):
    """{label: callable} for plain, MAML and FOMAML with torch.func (eager, vmap over tasks, float64), or {}."""
    try:
        import torch
        from torch.func import grad, vmap
    except ImportError:
        return {}
    torch.set_num_threads(1)  # like numpy here: one core per process on a shared 2-core machine
    params = tuple(torch.tensor(a, dtype=torch.float64) for a in _split(model, theta))
    (xs, ys), (xq, yq) = (tuple(torch.tensor(a, dtype=torch.float64) for a in part)
                          for part in batched.stack(task_list))

    def loss(p, x, y):
        return ((_mlp_forward(p, x, torch.matmul, torch.relu) - y) ** 2).mean()

    def adapt(p, x, y):
        for _ in range(steps):
            p = tuple(a - LR * g for a, g in zip(p, grad(loss)(p, x, y)))
        return p

    def query_loss(p, x, y, xt, yt):
        return loss(adapt(p, x, y), xt, yt)

    def maml():
        return grad(lambda p: vmap(query_loss, (None, 0, 0, 0, 0))(p, xs, ys, xq, yq).mean())(params)

    def fomaml():
        adapted = vmap(adapt, (None, 0, 0))(params, xs, ys)
        return tuple(g.mean(0) for g in vmap(grad(loss))(adapted, xq, yq))

    def plain():
        return grad(lambda p: vmap(loss, (None, 0, 0))(p, xq, yq).mean())(params)

    return {"plain gradient": plain, "maml": maml, "fomaml": fomaml}


def jax_calls(model, theta, task_list, steps):
    """{label: callable} for plain, MAML and FOMAML with jax.jit + vmap in float64 (compiled before timing), or {}."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return {}
    jax.config.update("jax_enable_x64", True)
    params = tuple(jnp.asarray(a) for a in _split(model, theta))
    (xs, ys), (xq, yq) = (tuple(jnp.asarray(a) for a in part) for part in batched.stack(task_list))

    def loss(p, x, y):
        return jnp.mean((_mlp_forward(p, x, jnp.matmul, jax.nn.relu) - y) ** 2)

    def adapt(p, x, y):
        for _ in range(steps):
            p = tuple(a - LR * g for a, g in zip(p, jax.grad(loss)(p, x, y)))
        return p

    def query_loss(p, x, y, xt, yt):
        return loss(adapt(p, x, y), xt, yt)

    maml = jax.jit(jax.grad(lambda p: jnp.mean(jax.vmap(query_loss, (None, 0, 0, 0, 0))(p, xs, ys, xq, yq))))
    fomaml = jax.jit(lambda p: tuple(g.mean(0) for g in jax.vmap(jax.grad(loss))(
        jax.vmap(adapt, (None, 0, 0))(p, xs, ys), xq, yq)))
    plain = jax.jit(jax.grad(lambda p: jnp.mean(jax.vmap(loss, (None, 0, 0))(p, xq, yq))))
    calls = {}
    for label, fn in (("plain gradient", plain), ("maml", maml), ("fomaml", fomaml)):
        jax.block_until_ready(fn(params))  # compile outside the timing
        calls[label] = lambda fn=fn: jax.block_until_ready(fn(params))
    return calls


def max_difference(model, theta, task_list, steps, calls):
    """max |mamlkit MAML − the other library's MAML| on the batch (both must compute the same thing), or None."""
    if "maml" not in calls:
        return None
    ours = meta_value_and_gradient("maml", model.loss, theta, task_list, lr=LR, steps=steps)[1]
    theirs = onp.concatenate([onp.asarray(g).ravel() for g in calls["maml"]()])
    return float(onp.max(onp.abs(ours - theirs)))


# ----------------------------------------------------------------------------------------------------------
# Timing


def measure(calls, repeats, number):
    """{label: (median wall ms, median CPU ms)} per call; the labels are interleaved within every repeat."""
    wall = {label: [] for label in calls}
    cpu = {label: [] for label in calls}
    for fn in calls.values():
        fn()  # warm up
    for _ in range(repeats):
        for label, fn in calls.items():
            w, c = time.perf_counter(), time.process_time()
            for _ in range(number):
                fn()
            wall[label].append((time.perf_counter() - w) / number * 1e3)
            cpu[label].append((time.process_time() - c) / number * 1e3)
    return {label: (statistics.median(wall[label]), statistics.median(cpu[label])) for label in calls}


def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b else "n/a"


def table(results, reference):
    """Markdown rows: label | wall ms | CPU ms | × plain (autograd) | × plain (numpy) | × torch.func | × jax."""
    ours, torch_res, jax_res = results["mamlkit"], results["torch.func"], results["jax"]
    lines = ["| method | ms per meta-batch (wall) | ms (CPU) | × plain gradient (autograd) | × plain gradient (numpy) "
             "| × torch.func | × jax.jit |", "|---|---|---|---|---|---|---|"]
    for label, (wall, cpu) in ours.items():
        torch_cpu = torch_res.get(label, (None, None))[1]
        jax_cpu = jax_res.get(label, (None, None))[1]
        lines.append(f"| {label} | {wall:.2f} | {cpu:.2f} | {ratio(cpu, reference['autograd'])} | "
                     f"{ratio(cpu, reference['numpy'])} | {ratio(cpu, torch_cpu)} | {ratio(cpu, jax_cpu)} |")
    for name, res in (("torch.func", torch_res), ("jax.jit", jax_res)):
        for label, (wall, cpu) in res.items():
            lines.append(f"| {name}: {label} | {wall:.2f} | {cpu:.2f} | {ratio(cpu, reference['autograd'])} | "
                         f"{ratio(cpu, reference['numpy'])} | | |")
    return lines


def run(steps, repeats, number):
    """Time everything for one number of inner steps; returns (markdown lines, {name: ratio} for the targets)."""
    model, theta, task_list = setup()
    ours = {**plain_gradients(model, theta, task_list), **method_calls(model, theta, task_list, steps)}
    calls = {("mamlkit", k): v for k, v in ours.items()}
    calls.update({("torch.func", k): v for k, v in torch_calls(model, theta, task_list, steps).items()})
    calls.update({("jax", k): v for k, v in jax_calls(model, theta, task_list, steps).items()})
    timed = measure(calls, repeats, number)
    results = {lib: {label: timed[(l, label)] for (l, label) in calls if l == lib} for lib in ("mamlkit", "torch.func", "jax")}
    reference = {"autograd": results["mamlkit"]["plain gradient"][1],
                 "numpy": results["mamlkit"]["plain gradient (numpy backward)"][1]}
    maml_cpu = results["mamlkit"]["maml"][1]
    targets = {
        "MAML ÷ torch.func MAML (target ≤ 2, goal ≤ 1)":
            maml_cpu / results["torch.func"]["maml"][1] if "maml" in results["torch.func"] else None,
        "FOMAML ÷ MAML (target ≤ 0.6)": results["mamlkit"]["fomaml"][1] / maml_cpu,
        "MAML ÷ jax.jit MAML (for reference)":
            maml_cpu / results["jax"]["maml"][1] if "maml" in results["jax"] else None,
        f"MAML ÷ plain gradient, autograd ({'target ≤ 4' if steps == 1 else 'the ≤ 4 target is for one step'})":
            maml_cpu / reference["autograd"],
        "MAML ÷ plain gradient, numpy backward (for reference)": maml_cpu / reference["numpy"],
    }
    lines = [f"### {steps} inner step{'s' * (steps != 1)}", ""] + table(results, reference) + [""]
    lines += [f"- {name}: " + (f"{value:.2f}" if value is not None else "n/a (not installed)")
              for name, value in targets.items()]
    for name, lib in (("torch.func", torch_calls), ("jax", jax_calls)):
        difference = max_difference(model, theta, task_list, steps, lib(model, theta, task_list, steps))
        if difference is not None:
            lines.append(f"- max |mamlkit MAML − {name} MAML| on this batch: {difference:.1e}")
    return lines + [""]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--number", type=int, default=20, help="calls per timed repeat")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    tuned = malloc_tuning.keep_freed_memory()
    header = machine.describe(PACKAGES, "start")
    print(header, flush=True)
    lines = ["# Meta-gradient time per meta-batch", "",
             f"Made by `benchmarks/bench_meta_gradient.py --repeats {args.repeats} --number {args.number}` on {header}.",
             "",
             f"One fixed batch of {META_BATCH} sinusoid tasks, K = {K} + {K}, MLP 1-40-40-1 ReLU (d = 1761), α = {LR}; "
             f"iMAML with λ = {IMAML['lam']:g}, {IMAML['cg_steps']} CG steps, inner rate α. Reptile runs its steps on "
             "all 20 points of each task. Medians over the repeats of the time per call, methods interleaved; "
             "ratios from the CPU-time medians. torch.func runs eagerly with one thread; jax.jit with XLA's default "
             "threads, compile time excluded; numpy's BLAS as installed. "
             f"glibc malloc tuned to keep freed memory (benchmarks/malloc_tuning.py): {tuned}.", ""]
    for steps in (1, 5):
        section = run(steps, args.repeats, args.number)
        print("\n".join(section), flush=True)
        lines += section
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "meta_gradient.md").write_text("\n".join(lines))
    print(f"wrote {out / 'meta_gradient.md'}")


if __name__ == "__main__":
    main()
