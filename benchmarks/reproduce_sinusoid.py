"""Reproduce the MAML paper's sinusoid regression table, with FOMAML, Reptile and iMAML beside it.

Setup (MAML paper §5.1, see shared/reference/results.md): tasks y = A·sin(x − φ), A ~ U[0.1, 5], φ ~ U[0, π],
x ~ U[−5, 5]; an MLP 1-40-40-1 ReLU from one seeded initialisation; meta-batches of 25 tasks of K = 10 support
+ 10 query points. Every method is trained for 70,000 meta-iterations (settings in ``SETTINGS``, printed and
stored in each weight file's info):

* pretrained  Adam 1e-3 on (1/B) Σ_i ∇L_i(θ; D_i), all 20 points of each task, no adaptation (the paper's baseline)
* maml        Adam 1e-3, one inner step α = 0.01, exact second-order meta-gradient (the paper's setting)
* fomaml      the same with the first-order meta-gradient
* reptile     5 inner steps of rate 0.02 on all 20 points (Nichol et al.'s sinusoid demo: rate 0.02, 5 steps),
              outer SGD θ ← θ + ε (φ̄ − θ) over the batch with ε annealed linearly from 1 to 0 (the Reptile paper's
              batched few-shot setting; the demo's ε = 0.1 for one task per iteration learnt far slower in a pilot)
* imaml       proximal inner loop, 10 steps of rate 0.005 on L_tr(φ) + λ/2 ‖φ − θ‖² with λ = LAM = 50, then 5
              conjugate gradient steps (as in the iMAML paper), Adam 1e-4, with two safeguards (``train_redrawing``):
              a batch where CG meets pᵀ(I + H/λ)p ≤ 0 or whose result is not finite is redrawn (training stops after
              50 in a row), and θ is checkpointed every 250 iterations on 100 validation tasks (seed 2, K = 10,
              query MSE after 5 plain steps): the best checkpoint is what is evaluated and shipped.
              Why: exact iMAML meta-training on this MLP is unstable. λ must exceed −λ_min(H) of the training loss
              (about −27 at the initialisation, far above the iMAML paper's λ = 2), and meta-training then drives
              the Hessian to eigenvalues below −λ or far above 2/rate: every setting tried (λ 20–200, inner rates
              0.003–0.01 with 10 or 40 steps, Adam 1e-3, 3e-4, 1e-4) ended in indefinite systems or NaN within
              400–12,500 iterations. The shipped iMAML is therefore NOT a converged reproduction (see sinusoid.md).

All models are then scored the way the paper's code does: on the same 600 held-out tasks (seed 1) per K, fine-tune
with plain gradient steps of α = 0.01 on the K = 5, 10, 20 support points and measure the MSE on 100 query points
per task after 0, 1, 5, 10 steps (``evaluate.adaptation_curve``), reported as mean ± 1.96·std/√600.

Writes <out>/sinusoid.json ({method: {K: {steps: {"mse", "ci95"}}}}), <out>/sinusoid.md (the table beside the
paper's numbers) and the weights <weights-dir>/<method>.npz (``mamlkit.zoo.save``). Methods train in parallel
worker processes (``--jobs``, default 2 for this 2-core machine); one progress bar counts all meta-iterations.

    python benchmarks/reproduce_sinusoid.py                      # the full run (16 min measured here, 2 cores)
    python benchmarks/reproduce_sinusoid.py --quick --out /tmp/q --weights-dir /tmp/q   # a smoke run
"""
import argparse
import datetime
import json
import multiprocessing
import os
import pathlib
import platform
import sys
import time
from importlib import metadata

import numpy as onp
from tqdm.auto import tqdm

import malloc_tuning
from autograd.misc.optimizers import adam
from mamlkit import (DivergenceError, History, NotPositiveDefiniteError, evaluate, meta_train,
                     meta_value_and_gradient, models, published, tasks, zoo)

SCRIPT = f"benchmarks/{pathlib.Path(__file__).name}"
ROOT = pathlib.Path(__file__).resolve().parents[1]
ITERATIONS = 70_000
META_BATCH, K_SUPPORT, K_QUERY = 25, 10, 10
INIT_SEED = 0
LAM = 50.0
VALIDATION = {"n_tasks": 100, "k_query": 100, "steps": 5, "seed": 2, "every": 250}
EVAL = {"n_tasks": 600, "k_query": 100, "shots": (5, 10, 20), "steps": (0, 1, 5, 10), "lr": 0.01, "seed": 1}
# name: (meta_train method, optimizer, meta_lr, inner hyperparameters, what the outer rate does)
SETTINGS = {
    "imaml": ("imaml", "adam", 1e-4, {"lr": 0.005, "steps": 10, "lam": LAM, "cg_steps": 5}, "constant"),
    "reptile": ("reptile", "sgd", 1.0, {"lr": 0.02, "steps": 5}, "linear to 0"),
    "maml": ("maml", "adam", 1e-3, {"lr": 0.01, "steps": 1}, "constant"),
    "fomaml": ("fomaml", "adam", 1e-3, {"lr": 0.01, "steps": 1}, "constant"),
    "pretrained": ("pretrain", "adam", 1e-3, {}, "constant"),
}  # longest first, so two workers finish at about the same time
ORDER = ("pretrained", "maml", "fomaml", "reptile", "imaml")
ANNEAL_CHUNKS = 100  # the linear schedule as 100 constant pieces (plain SGD keeps no state between them)

_counter = None  # iterations done by all workers, shared with the parent's progress bar


def _init_worker(counter):
    global _counter
    _counter = counter
    malloc_tuning.keep_freed_memory()


def _counting(sampler):
    """``sample_tasks`` that also counts the meta-iterations (meta_train draws one batch per iteration)."""

    def sample(rng, n):
        if _counter is not None:
            with _counter.get_lock():
                _counter.value += 1
        return sampler(rng, n)

    return sample


def train(name, iterations):
    """Meta-train one method from the shared seeded initialisation; returns (θ, info)."""
    method, optimizer, meta_lr, inner, schedule = SETTINGS[name]
    model = models.MLP((1, 40, 40, 1), "relu")
    theta = model.init(onp.random.default_rng(INIT_SEED))
    sampler = _counting(tasks.Sinusoid().sampler(K_SUPPORT, K_QUERY))
    start, cpu = time.perf_counter(), time.process_time()
    losses = []
    # A linearly annealed rate runs as constant pieces, each with its own task seed.
    chunks = ANNEAL_CHUNKS if schedule != "constant" else 1
    bounds = onp.linspace(0, iterations, chunks + 1).round().astype(int)
    safeguards = {}
    for i, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
        rate = meta_lr * (1.0 - i / chunks)
        if method == "imaml":
            theta, history, safeguards = train_redrawing(model, theta, sampler, int(hi - lo), rate,
                                                         INIT_SEED + 1 + i, inner)
        else:
            theta, history = meta_train(method, model.loss, theta, sampler, int(hi - lo), META_BATCH, rate,
                                        optimizer=optimizer, seed=INIT_SEED + 1 + i, progress=False, **inner)
        losses += history.loss
    info = {
        "method": method, "iterations": iterations, "init_seed": INIT_SEED, "task_seed": INIT_SEED + 1,
        "model": {"sizes": list(model.sizes), "activation": model.activation},
        "inner_lr": inner.get("lr"), "inner_steps": inner.get("steps", 0), "k_support": K_SUPPORT,
        "k_query": K_QUERY, "meta_batch": META_BATCH, "meta_lr": meta_lr, "meta_lr_schedule": schedule,
        "optimizer": optimizer, "hyper": inner,
        "final_loss_mean_last_100": float(onp.mean(losses[-100:])),
        "wall_time_s": round(time.perf_counter() - start, 1), "cpu_time_s": round(time.process_time() - cpu, 1),
        "date": datetime.date.today().isoformat(), "script": SCRIPT,
    }
    info.update(safeguards)
    if "best_iteration" in safeguards:  # the shipped θ is a checkpoint: say how far it was really trained
        info["iterations_planned"], info["iterations"] = iterations, safeguards["best_iteration"]
    return model, theta, info


def validation_score(model, theta):
    """Mean query MSE after 5 plain steps (α = 0.01) on 100 validation tasks with K = 10 (seed 2: not the test tasks)."""
    tasks_ = tasks.Sinusoid().heldout(VALIDATION["n_tasks"], K_SUPPORT, VALIDATION["k_query"], seed=VALIDATION["seed"])
    curves = evaluate.adaptation_curve(model.loss, theta, tasks_, EVAL["lr"], VALIDATION["steps"])
    score = float(curves[:, -1].mean())
    return score if onp.isfinite(score) else float("inf")


def train_redrawing(model, theta, sampler, iterations, meta_lr, seed, inner, max_redraws=50):
    """iMAML's outer loop: Adam on the iMAML meta-gradient, as ``meta_train('imaml')``, with two safeguards:

    * a batch in which conjugate gradient meets pᵀ(I + H/λ)p ≤ 0 for some task (an indefinite system, for which
      the iMAML gradient is not defined), or whose meta-gradient is not finite, is redrawn; after ``max_redraws``
      in a row training stops;
    * every VALIDATION["every"] iterations θ is scored on held-out validation tasks (``validation_score``) and the
      best checkpoint is what is returned (early stopping: meta-training iMAML here eventually breaks down).

    Returns (best θ, History, {"batches_redrawn", "stopped_early_at_iteration", "best_iteration", "best_score"}).
    """
    rng = onp.random.default_rng(seed)
    history = History()
    state = {"batches_redrawn": 0, "stopped_early_at_iteration": None, "best_iteration": 0,
             "best_score": validation_score(model, theta), "best_theta": theta}

    def batch_gradient(current, iteration):
        for _ in range(max_redraws):
            try:
                value, grad = meta_value_and_gradient("imaml", model.loss, current, sampler(rng, META_BATCH),
                                                      **inner)
            except NotPositiveDefiniteError:
                value, grad = float("nan"), None
            if onp.isfinite(value) and onp.all(onp.isfinite(grad)):
                history.loss.append(value)
                return grad
            state["batches_redrawn"] += 1
        raise DivergenceError(iteration, history, current)

    def checkpoint(current, iteration, _grad):
        if (iteration + 1) % VALIDATION["every"] == 0:
            score = validation_score(model, current)
            if score < state["best_score"]:
                state.update(best_score=score, best_iteration=iteration + 1, best_theta=onp.array(current))

    try:
        adam(batch_gradient, theta, callback=checkpoint, num_iters=iterations, step_size=meta_lr)
    except DivergenceError as err:
        state["stopped_early_at_iteration"] = int(err.iteration)
    best = state.pop("best_theta")
    return best, history, state


def evaluate_model(model, theta, n_tasks):
    """{K: {steps: {"mse", "ci95"}}} on the held-out tasks (seed 1), K and steps as strings."""
    table = {}
    for shots in EVAL["shots"]:
        heldout = tasks.Sinusoid().heldout(n_tasks, shots, EVAL["k_query"], seed=EVAL["seed"])
        curves = evaluate.adaptation_curve(model.loss, theta, heldout, EVAL["lr"], max(EVAL["steps"]))
        mean, ci = evaluate.mean_ci95(curves)
        table[str(shots)] = {str(s): {"mse": float(mean[s]), "ci95": float(ci[s])} for s in EVAL["steps"]}
    return table


def run_method(job):
    """Worker: train, save the weights, evaluate. Returns (name, results, info) or (name, None, error text)."""
    name, iterations, n_tasks, weights_dir = job
    try:
        model, theta, info = train(name, iterations)
    except Exception as err:  # noqa: BLE001 - report the failure, keep the other methods' results
        return name, None, f"{type(err).__name__}: {err}"
    start = time.perf_counter()
    results = evaluate_model(model, theta, n_tasks)
    info["eval_wall_time_s"] = round(time.perf_counter() - start, 1)
    info["heldout_5shot_mse"] = {s: results["5"][s]["mse"] for s in results["5"]}
    zoo.save(name, model, theta, info, directory=weights_dir)
    return name, results, info


def describe_settings(iterations):
    """One line per method: what it optimises and with which settings."""
    lines = []
    for name in ORDER:
        method, optimizer, meta_lr, inner, schedule = SETTINGS[name]
        inner_text = ", ".join(f"{k}={v}" for k, v in inner.items()) or "no adaptation"
        loop = "`train_redrawing` (meta_train's loop, redrawing indefinite batches)" if method == "imaml" \
            else f"`meta_train('{method}')`"
        lines.append(f"- **{name}**: {loop}, {iterations} meta-iterations of {META_BATCH} tasks "
                     f"(K = {K_SUPPORT} + {K_QUERY}), {optimizer} rate {meta_lr:g} ({schedule}); inner: {inner_text}")
    return lines


def versions():
    """Python, numpy, autograd and mamlkit versions, for the results page."""
    return (f"Python {platform.python_version()}, numpy {onp.__version__}, autograd {metadata.version('autograd')}, "
            f"mamlkit {metadata.version('mamlkit')}")


def markdown(results, infos, failures, args, wall):
    """The results page: settings, the 5-shot table beside the paper, then every K."""
    lines = [
        "# Sinusoid regression: MAML paper setting, reproduced", "",
        f"Made by `{SCRIPT}{' --quick' if args.quick else ''}` on {datetime.date.today().isoformat()}; "
        f"{versions()}; machine: {os.cpu_count()} cores ({platform.machine()}, {platform.processor() or 'cpu'}), "
        f"shared with other jobs (load average at the end {os.getloadavg()[0]:.1f}). "
        f"Whole script: {wall / 60:.1f} min wall time with {args.jobs} worker processes"
        + (f" for {', '.join(args.methods)} only; the other methods' results and times come from an earlier run "
           "of this script (see their weights' info)" if set(args.methods) != set(SETTINGS) else "") + ".", "",
    ]
    if args.quick:
        lines += ["**QUICK SMOKE RUN** (few iterations, few held-out tasks): not the reproduction.", ""]
    lines += ["## Training", ""] + describe_settings(args.iterations) + [""]
    redrawn = infos.get("imaml", {}).get("batches_redrawn")
    if redrawn is not None:
        lines += [f"iMAML batches redrawn because CG met negative curvature or the result was not finite: {redrawn}.", ""]
    if "best_iteration" in infos.get("imaml", {}):
        info = infos["imaml"]
        stopped = info["stopped_early_at_iteration"]
        lines += [(f"**iMAML stopped early at meta-iteration {stopped}** of {info['iterations_planned']}: "
                   "50 batches in a row were indefinite or not finite. " if stopped is not None else "")
                  + f"**The iMAML weights and numbers below are its best validation checkpoint, meta-iteration "
                  f"{info['best_iteration']}** (validation: query MSE after {VALIDATION['steps']} steps on "
                  f"{VALIDATION['n_tasks']} tasks, K = {K_SUPPORT}, seed {VALIDATION['seed']}, every "
                  f"{VALIDATION['every']} iterations; score {info['best_score']:.3f}).", ""]
    lines += ["Training time per method (wall / CPU seconds): " + ", ".join(
        f"{n} {infos[n]['wall_time_s']:.0f} / {infos[n]['cpu_time_s']:.0f}" for n in ORDER if n in infos) + ".", ""]
    for name, error in failures.items():
        lines += [f"**{name} FAILED**: {error}", ""]
    lines += [
        "## Evaluation", "",
        f"{args.n_tasks} held-out tasks per K (seed {EVAL['seed']}, the same for every method), fine-tuned with "
        f"plain gradient steps of rate {EVAL['lr']} on the K support points (the same points at every step); "
        f"MSE on {EVAL['k_query']} query points per task; mean ± 1.96·std/√{args.n_tasks}.", "",
        "### 5-shot, beside the MAML paper (Appendix C)", "",
        "| method | 1 step | 5 steps | 10 steps | paper 1 | paper 5 | paper 10 |", "|---|---|---|---|---|---|---|",
    ]
    for name in ORDER:
        if name not in results:
            continue
        row = results[name]["5"]
        paper = published.MAML_SINUSOID_5SHOT.get(name, {})
        cells = [f"{row[s]['mse']:.3f} ± {row[s]['ci95']:.3f}" for s in ("1", "5", "10")]
        cells += [f"{paper[s]:.2f}" if s in paper else "–" for s in (1, 5, 10)]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "### Every K", "", "| method | K | " + " | ".join(f"{s} steps" for s in EVAL["steps"]) + " |",
              "|---|---|" + "---|" * len(EVAL["steps"])]
    for name in ORDER:
        for shots in results.get(name, {}):
            row = results[name][shots]
            lines.append(f"| {name} | {shots} | " + " | ".join(
                f"{row[str(s)]['mse']:.3f} ± {row[str(s)]['ci95']:.3f}" for s in EVAL["steps"]) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 200 iterations, 50 held-out tasks")
    parser.add_argument("--iterations", type=int, default=None, help=f"meta-iterations per method ({ITERATIONS})")
    parser.add_argument("--n-tasks", type=int, default=None, help=f"held-out tasks per K ({EVAL['n_tasks']})")
    parser.add_argument("--methods", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"), help="folder for the results")
    parser.add_argument("--weights-dir", default=str(zoo.WEIGHTS), help="folder for the <method>.npz weights")
    parser.add_argument("--imaml", nargs=4, type=float, metavar=("LAM", "INNER_LR", "INNER_STEPS", "META_LR"),
                        help="override iMAML's λ, proximal inner rate and steps, and Adam rate")
    args = parser.parse_args(argv)
    if args.imaml:
        lam, inner_lr, inner_steps, meta_lr = args.imaml
        method, optimizer, _, inner, schedule = SETTINGS["imaml"]
        SETTINGS["imaml"] = (method, optimizer, meta_lr, dict(inner, lam=lam, lr=inner_lr, steps=int(inner_steps)),
                             schedule)
    args.iterations = args.iterations or (200 if args.quick else ITERATIONS)
    args.n_tasks = args.n_tasks or (50 if args.quick else EVAL["n_tasks"])
    print("Settings:", *describe_settings(args.iterations), sep="\n")
    print(f"Evaluation: {args.n_tasks} held-out tasks per K in {EVAL['shots']}, steps {EVAL['steps']}, "
          f"α = {EVAL['lr']}, {EVAL['k_query']} query points per task", flush=True)

    start = time.perf_counter()
    counter = multiprocessing.get_context("fork").Value("l", 0)
    jobs = [(name, args.iterations, args.n_tasks, args.weights_dir) for name in SETTINGS if name in args.methods]
    results, infos, failures = {}, {}, {}
    with multiprocessing.get_context("fork").Pool(args.jobs, _init_worker, (counter,)) as pool:
        pending = pool.imap_unordered(run_method, jobs)
        bar = tqdm(total=args.iterations * len(jobs), desc="meta-iterations (all methods)", unit="it",
                   mininterval=2.0, file=sys.stdout)
        done = 0
        while done < len(jobs):
            try:
                name, res, info = pending.next(timeout=2.0)
            except multiprocessing.TimeoutError:
                bar.update(counter.value - bar.n)
                continue
            done += 1
            bar.update(counter.value - bar.n)
            if res is None:
                failures[name] = info
                tqdm.write(f"{name}: FAILED: {info}")
            else:
                results[name], infos[name] = res, info
                tqdm.write(f"{name}: trained in {info['wall_time_s']:.0f} s (cpu {info['cpu_time_s']:.0f} s"
                           + (f", {info['batches_redrawn']} batches redrawn" if "batches_redrawn" in info else "")
                           + (f", stopped early at {info['stopped_early_at_iteration']}"
                              if info.get("stopped_early_at_iteration") is not None else "")
                           + (f", best checkpoint {info['best_iteration']}" if "best_iteration" in info else "")
                           + "), "
                           "5-shot MSE after 0/1/5/10 steps: " + " / ".join(
                               f"{res['5'][s]['mse']:.3f}" for s in ("0", "1", "5", "10")))
        bar.close()
    wall = time.perf_counter() - start

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if set(args.methods) != set(SETTINGS) and (out / "sinusoid.json").exists():
        # A partial rerun (--methods) keeps the other methods' committed results and reads their weights' info.
        for name, res in json.loads((out / "sinusoid.json").read_text()).items():
            if name not in results and name not in failures:
                results[name] = res
                infos[name] = json.loads(str(onp.load(pathlib.Path(args.weights_dir) / f"{name}.npz")["info"]))
    ordered = {name: results[name] for name in ORDER if name in results}
    (out / "sinusoid.json").write_text(json.dumps(ordered, indent=1) + "\n")
    (out / "sinusoid.md").write_text(markdown(ordered, infos, failures, args, wall))
    print(f"wrote {out / 'sinusoid.json'}, {out / 'sinusoid.md'} and weights in {args.weights_dir}; "
          f"whole script {wall / 60:.1f} min")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
