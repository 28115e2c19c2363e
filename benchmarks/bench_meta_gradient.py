"""Time per meta-batch of every method's meta-gradient, against plain gradients, torch.func, jax.

Setting (MAML paper §5.1): MLP 1-40-40-1 ReLU, 25 sinusoid tasks of K = 10 support + 10 query
points, inner rate α = 0.01, one inner step (and five). Each method is
``mamlkit.meta_value_and_gradient`` on one fixed batch (``MLP.loss`` is vectorised, so the batch
runs as one (T, d) stack). References on the same batch, all ∇_θ (1/T) Σ_t L(θ; D_te,t):

* plain gradient (autograd)     autograd differentiating a plain MSE of ``MLP.apply`` on the
                                stacked batch: one reverse-mode pass traced by autograd
* plain gradient (hand-written) ``backprop.mse_grad``, the backward pass written out (no tape)
* torch.func                    the same computations with torch.func.grad + vmap, eager, float64
* jax                           the same with jax.jit + vmap, float64 (compile time excluded)

Both configurations in one run: the script times everything in two child processes, one with
the default environment (no ``MALLOC_*`` variables) and one with glibc's malloc tuned as the
Makefile does for ``make lab`` and ``make test`` (``TUNED``). In each, mamlkit is timed first,
before torch or jax has freed memory in the process (which would raise glibc's thresholds and
hide the default configuration's cost), then torch and jax, interleaved with mamlkit's MAML and
FOMAML again. torch and jax are optional (``pip install -e .[bench]``); without them their
columns print n/a. The machine is shared: methods are interleaved, each repeat times ``--number``
calls, and the tables give medians over ``--repeats`` of wall-clock and CPU time per call; ratios
use the CPU-time medians. Writes
benchmarks/results/meta_gradient.md (or ``--out``) and its tables as meta_gradient.json
({configuration: {inner steps: {method: {column: number}}}}, ``results``).

    python benchmarks/bench_meta_gradient.py [--repeats 15] [--number 20] [--out benchmarks/results]
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

import autograd
import autograd.numpy
import numpy as np

import bookkeeping
import machine
from mamlkit import backprop, meta_value_and_gradient, models, tasks

ROOT = pathlib.Path(__file__).resolve().parents[1]
META_BATCH, K, LR = 25, 10, 0.01
PACKAGES = ("numpy", "autograd", "torch", "jax")  # versions named on the results pages
IMAML = {"lam": 60.0, "cg_steps": 5}  # λ large enough that CG meets no negative curvature here
TUNED = {"MALLOC_TRIM_THRESHOLD_": "134217728", "MALLOC_TOP_PAD_": "67108864",
         "MALLOC_MMAP_THRESHOLD_": "16777216"}  # as exported by the Makefile
CONFIGURATIONS = {  # JSON key: page heading (``environment`` gives the child's variables)
    "default": "Default environment (no MALLOC_* variables): Jupyter started by hand",
    "tuned": "glibc malloc tuned (the Makefile's MALLOC_* variables): make lab, make test",
}


def setup(seed=0):
    """The model, its seeded initialisation θ and one fixed batch of 25 sinusoid tasks."""
    model = models.MLP((1, 40, 40, 1), "relu")
    rng = np.random.default_rng(seed)
    theta = model.init(rng)
    return model, theta, tasks.Sinusoid().sample_batch(rng, META_BATCH, K, K)


def method_calls(model, theta, task_list, steps):
    """{label: zero-argument callable} for the five methods with ``steps`` inner steps."""
    hyper = {"lr": LR, "steps": steps}

    def call(method, **more):
        return lambda: meta_value_and_gradient(method, model.loss, theta, task_list, **more)

    return {"pretrain": call("pretrain"), "maml": call("maml", **hyper),
            "fomaml": call("fomaml", **hyper), "reptile": call("reptile", **hyper),
            "imaml": call("imaml", **hyper, **IMAML)}


def plain_gradients(model, theta, task_list):
    """The batch's query-loss gradient by autograd on a plain MSE of ``MLP.apply``, and by the
    hand-written backward pass; θ repeated T times as the methods run it."""
    x, y = tasks.stack(task_list).test

    def plain_mse(t):
        stack = autograd.numpy.repeat(t[None], META_BATCH, 0)
        return autograd.numpy.mean((model.apply(stack, x) - y) ** 2)

    grad = autograd.grad(plain_mse)

    def hand_written():
        return np.mean(backprop.mse_grad(model, np.repeat(theta[None], META_BATCH, 0), x, y), 0)

    return {"plain gradient": lambda: grad(theta), "plain gradient (hand-written)": hand_written}


# --------------------------------------------------------------------------------------------
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
    return tuple(a for W, b in model.layers(theta) for a in (W, b))


def torch_calls(model, theta, task_list, steps):
    """{label: callable} for plain, MAML and FOMAML with torch.func (eager, vmap over tasks,
    float64), or {}."""
    try:
        import torch
        from torch.func import grad, vmap
    except ImportError:
        return {}
    torch.set_num_threads(1)  # like numpy here: one core per process on a shared 2-core machine
    params = tuple(torch.tensor(a, dtype=torch.float64) for a in _split(model, theta))
    (xs, ys), (xq, yq) = (tuple(torch.tensor(a, dtype=torch.float64) for a in part)
                          for part in tasks.stack(task_list))

    def loss(p, x, y):
        return ((_mlp_forward(p, x, torch.matmul, torch.relu) - y) ** 2).mean()

    def adapt(p, x, y):
        for _ in range(steps):
            p = tuple(a - LR * g for a, g in zip(p, grad(loss)(p, x, y)))
        return p

    def query_loss(p, x, y, xt, yt):
        return loss(adapt(p, x, y), xt, yt)

    def maml():
        return grad(lambda p: vmap(query_loss, (None, 0, 0, 0, 0))(p, xs, ys, xq, yq).mean())(
            params)

    def fomaml():
        adapted = vmap(adapt, (None, 0, 0))(params, xs, ys)
        return tuple(g.mean(0) for g in vmap(grad(loss))(adapted, xq, yq))

    def plain():
        return grad(lambda p: vmap(loss, (None, 0, 0))(p, xq, yq).mean())(params)

    return {"plain gradient": plain, "maml": maml, "fomaml": fomaml}


def jax_calls(model, theta, task_list, steps):
    """{label: callable} for plain, MAML and FOMAML with jax.jit + vmap in float64 (compiled
    before timing), or {}."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return {}
    jax.config.update("jax_enable_x64", True)
    params = tuple(jnp.asarray(a) for a in _split(model, theta))
    (xs, ys), (xq, yq) = (tuple(jnp.asarray(a) for a in part) for part in tasks.stack(task_list))

    def loss(p, x, y):
        return jnp.mean((_mlp_forward(p, x, jnp.matmul, jax.nn.relu) - y) ** 2)

    def adapt(p, x, y):
        for _ in range(steps):
            p = tuple(a - LR * g for a, g in zip(p, jax.grad(loss)(p, x, y)))
        return p

    def query_loss(p, x, y, xt, yt):
        return loss(adapt(p, x, y), xt, yt)

    maml = jax.jit(jax.grad(
        lambda p: jnp.mean(jax.vmap(query_loss, (None, 0, 0, 0, 0))(p, xs, ys, xq, yq))))
    fomaml = jax.jit(lambda p: tuple(g.mean(0) for g in jax.vmap(jax.grad(loss))(
        jax.vmap(adapt, (None, 0, 0))(p, xs, ys), xq, yq)))
    plain = jax.jit(jax.grad(lambda p: jnp.mean(jax.vmap(loss, (None, 0, 0))(p, xq, yq))))
    calls = {}
    for label, fn in (("plain gradient", plain), ("maml", maml), ("fomaml", fomaml)):
        jax.block_until_ready(fn(params))  # compile outside the timing
        calls[label] = lambda fn=fn: jax.block_until_ready(fn(params))
    return calls


def flat(gradient):
    """A gradient as one numpy vector (a tuple of per-layer arrays is concatenated)."""
    if isinstance(gradient, tuple):
        return np.concatenate([np.asarray(g).ravel() for g in gradient])
    return np.asarray(gradient)


# --------------------------------------------------------------------------------------------
# Timing (in a child process)


def measure(calls, repeats, number):
    """{label: (median wall ms, median CPU ms)} per call; the labels are interleaved within every
    repeat."""
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
    return {label: (statistics.median(wall[label]), statistics.median(cpu[label]))
            for label in calls}


def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b else "n/a"


BESIDE = " (beside torch.func and jax)"  # the rows of mamlkit timed again with the other libraries


def table(results, reference):
    """Markdown rows: label | wall ms | CPU ms | × plain (autograd) | × plain (hand-written) |
    × torch.func | × jax."""
    torch_res, jax_res = results["torch.func"], results["jax"]
    lines = ["| method | ms per meta-batch (wall) | ms (CPU) | × plain gradient (autograd) "
             "| × plain gradient (hand-written) | × torch.func | × jax.jit |",
             "|---|---|---|---|---|---|---|"]
    rows = [(label, label, times) for label, times in results["mamlkit"].items()]
    rows += [(label + BESIDE, label, times) for label, times in results["beside"].items()]
    for label, method, (wall, cpu) in rows:
        torch_cpu = torch_res.get(method, (None, None))[1]
        jax_cpu = jax_res.get(method, (None, None))[1]
        lines.append(f"| {label} | {wall:.2f} | {cpu:.2f} | {ratio(cpu, reference['autograd'])} "
                     f"| {ratio(cpu, reference['hand-written'])} | {ratio(cpu, torch_cpu)} "
                     f"| {ratio(cpu, jax_cpu)} |")
    for name, res in (("torch.func", torch_res), ("jax.jit", jax_res)):
        for label, (wall, cpu) in res.items():
            lines.append(f"| {name}: {label} | {wall:.2f} | {cpu:.2f} "
                         f"| {ratio(cpu, reference['autograd'])} "
                         f"| {ratio(cpu, reference['hand-written'])} | | |")
    return lines


def key_ratios(results, reference):
    """{name: ratio or None}: the targets of issue 17 and the ratios given for reference."""
    ours, torch_res, jax_res = results["mamlkit"], results["torch.func"], results["jax"]
    maml_cpu = ours["maml"][1]
    torch_maml = torch_res["maml"][1] if "maml" in torch_res else None
    return {
        "MAML ÷ torch.func MAML (target ≤ 1.0)": maml_cpu / torch_maml if torch_maml else None,
        "FOMAML ÷ MAML (target ≤ 0.6)": ours["fomaml"][1] / maml_cpu,
        "MAML timed beside torch.func ÷ torch.func MAML (for reference)":
            results["beside"]["maml"][1] / torch_maml if torch_maml else None,
        "MAML ÷ jax.jit MAML (for reference)":
            maml_cpu / jax_res["maml"][1] if "maml" in jax_res else None,
        "MAML ÷ plain gradient, autograd (for reference)": maml_cpu / reference["autograd"],
        "MAML ÷ plain gradient, hand-written (for reference)":
            maml_cpu / reference["hand-written"],
    }


def section(steps, results, ours, others):
    """One number of inner steps: (markdown lines, key ratios)."""
    reference = {"autograd": results["mamlkit"]["plain gradient"][1],
                 "hand-written": results["mamlkit"]["plain gradient (hand-written)"][1]}
    ratios = key_ratios(results, reference)
    lines = [f"### {steps} inner step{'s' * (steps != 1)}", ""] + table(results, reference) + [""]
    lines += [f"- {name}: " + (f"{value:.2f}" if value is not None else "n/a (not installed)")
              for name, value in ratios.items()]
    plain = flat(ours["plain gradient"]())
    pairs = [("plain gradient (hand-written)", "plain gradient (autograd)",
              flat(ours["plain gradient (hand-written)"]()), plain)]
    maml = ours["maml"]()[1]  # (value, gradient)
    for name, lib_calls in others.items():
        if lib_calls:
            pairs += [(f"{name} plain gradient", "plain gradient (autograd)",
                       flat(lib_calls["plain gradient"]()), plain),
                      (f"{name} MAML", "mamlkit MAML", flat(lib_calls["maml"]()), maml)]
    lines += [f"- max |{a} − {b}| on this batch: {np.max(np.abs(u - v)):.1e}"
              for a, b, u, v in pairs]
    return lines + [""], ratios


def child(configuration, repeats, number, steps_list=(1, 5)):
    """Time everything in this process, as ``configuration``: mamlkit's rows first, while the
    process has run nothing else (as a learner's kernel), then torch.func's and jax's rows
    interleaved with mamlkit's MAML and FOMAML again. Returns the page's lines and the key
    ratios."""
    set_here = {k: v for k, v in os.environ.items() if k.startswith("MALLOC_")}
    lines = [f"## {CONFIGURATIONS[configuration]}", "",
             f"Environment: {', '.join(f'{k}={v}' for k, v in set_here.items()) or 'no MALLOC_*'}"
             f"; load average (1, 5, 15 min) at the start of this part: {machine.load_average()}.",
             ""]
    model, theta, task_list = setup()
    ours = {s: {**plain_gradients(model, theta, task_list),
                **method_calls(model, theta, task_list, s)} for s in steps_list}
    alone = measure({(s, label): f for s in ours for label, f in ours[s].items()}, repeats, number)
    others = {s: {"torch.func": torch_calls(model, theta, task_list, s),
                  "jax": jax_calls(model, theta, task_list, s)} for s in steps_list}
    calls = {(s, "beside", label): ours[s][label] for s in steps_list
             for label in ("maml", "fomaml")}
    calls.update({(s, lib, label): f for s in steps_list for lib, c in others[s].items()
                  for label, f in c.items()})
    beside = measure(calls, repeats, number)
    ratios = {}
    for s in steps_list:
        results = {"mamlkit": {label: alone[(s, label)] for label in ours[s]}}
        results.update({lib: {label: beside[key] for key in calls if key[:2] == (s, lib)
                              for label in key[2:]} for lib in ("beside", "torch.func", "jax")})
        part, ratios[s] = section(s, results, ours[s], others[s])
        print("\n".join(part), file=sys.stderr, flush=True)
        lines += part
    return {"lines": lines, "ratios": ratios}


# --------------------------------------------------------------------------------------------
# The page (in the parent process)


def environment(configuration):
    """The child's environment: this one without any MALLOC_* variable, plus ``TUNED`` if tuned."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    return {**env, **TUNED} if configuration == "tuned" else env


def results(page):
    """{configuration: {inner steps: {row label: {column: number}}}} of a ``meta_gradient.md``
    page: its configurations' sections read by ``bookkeeping.timing``."""
    parts, current = {}, None
    headings = {heading: key for key, heading in CONFIGURATIONS.items()}
    for line in page.splitlines():
        if line.startswith("## "):
            current = headings.get(line[3:].strip())
            if current:
                parts[current] = []
        elif current:
            parts[current].append(line)
    return {key: bookkeeping.timing("\n".join(parts[key])) for key in CONFIGURATIONS
            if key in parts}


def summary(measured):
    """The key ratios of both configurations side by side (markdown lines)."""
    names = list(next(iter(measured.values()))["ratios"]["1"])
    columns = [(c, s) for s in ("1", "5") for c in measured]
    lines = ["| ratio (CPU time) | " + " | ".join(f"{c}, {s} step{'s' * (s != '1')}"
                                                 for c, s in columns) + " |",
             "|---" * (len(columns) + 1) + "|"]
    for name in names:
        cells = [measured[c]["ratios"][s][name] for c, s in columns]
        lines.append(f"| {name} | " + " | ".join("n/a" if v is None else f"{v:.2f}"
                                                for v in cells) + " |")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--number", type=int, default=20, help="calls per timed repeat")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument("--child", choices=list(CONFIGURATIONS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.repeats, args.number), ensure_ascii=False))
        return
    header = machine.describe(PACKAGES, "start")
    print(header, flush=True)
    measured = {}
    for configuration in CONFIGURATIONS:
        print(f"\n## {CONFIGURATIONS[configuration]}", flush=True)
        done = subprocess.run(
            [sys.executable, __file__, "--child", configuration, "--repeats", str(args.repeats),
             "--number", str(args.number)], env=environment(configuration), check=True,
            stdout=subprocess.PIPE, text=True)
        measured[configuration] = json.loads(done.stdout.splitlines()[-1])
    tuned = ", ".join(f"{k}={v}" for k, v in TUNED.items())
    lines = [
        "# Meta-gradient time per meta-batch", "",
        f"Made by `benchmarks/bench_meta_gradient.py --repeats {args.repeats} --number "
        f"{args.number}` on {header}; at the end of the run: {machine.load_average()}.", "",
        f"One fixed batch of {META_BATCH} sinusoid tasks, K = {K} + {K}, MLP 1-40-40-1 ReLU "
        f"(d = 1761), α = {LR}; iMAML with λ = {IMAML['lam']:g}, {IMAML['cg_steps']} CG steps, "
        "inner rate α. Reptile runs its steps on all 20 points of each task. Medians over the "
        "repeats of the time per call, methods interleaved; ratios from the CPU-time medians. "
        "torch.func runs eagerly with one thread; jax.jit with XLA's default threads, compile time "
        "excluded; numpy's BLAS as installed.", "",
        "Each configuration ran in its own child process: the default environment (every "
        "MALLOC_* variable removed), then glibc's malloc told to keep freed memory for reuse "
        f"({tuned}). In each process mamlkit's rows were timed first, before torch or jax had "
        "run there, as in a learner's kernel; then torch.func's and jax.jit's rows, interleaved "
        f"with mamlkit's MAML and FOMAML timed again (rows marked \"{BESIDE.strip()}\"). The "
        "order would matter in the default environment: until a process has freed a block of a "
        "few MB, glibc hands every freed array of over 128 kB back to the kernel, and each new "
        "one page-faults fresh memory (measured: MAML 3.6–4.3 ms instead of 2.4 ms). Importing "
        "mamlkit frees one 4 MB block (mamlkit/backprop.py), which sets glibc's adaptive "
        "threshold as torch.func, jax or any larger computation would.", "",
        "`make lab` and `make test` export the three variables (Makefile), so the notebooks' "
        "kernels and the tests run in the tuned configuration; a learner who starts Jupyter by "
        "hand (`jupyter lab`) runs in the default one, with mamlkit's own warm-up.", "",
        "## Key ratios", ""] + summary(measured) + [""]
    for configuration in CONFIGURATIONS:
        lines += measured[configuration]["lines"]
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    page = "\n".join(lines)
    (out / "meta_gradient.md").write_text(page)
    bookkeeping.write_json(out / "meta_gradient.json", results(page))
    print("\n".join(summary(measured)))
    print(f"wrote {out / 'meta_gradient.md'} and {out / 'meta_gradient.json'}")


if __name__ == "__main__":
    main()
