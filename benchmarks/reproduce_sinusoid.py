"""Reproduce the MAML paper's sinusoid regression table, with FOMAML, Reptile and iMAML beside it.

Setup (MAML paper §5.1, see shared/reference/results.md): tasks y = A·sin(x − φ), A ~ U[0.1, 5],
φ ~ U[0, π], x ~ U[−5, 5]; an MLP 1-40-40-1 ReLU (tanh for iMAML) from one seeded initialisation
(``MLP.init``, PyTorch's default); meta-batches of 25 tasks of K = 10 support + 10 query points,
drawn from streams spawned by the same seed (never from a seed that draws evaluation tasks). Every
method is trained for 70,000 meta-iterations (settings in ``SETTINGS``, printed and stored in each
weight file's info):

* pretrained  Adam 1e-3 on (1/B) Σ_i ∇L_i(θ; D_i), all 20 points of each task, no adaptation (the
              paper's baseline)
* maml        Adam 1e-3, one inner step α = 0.01, exact second-order meta-gradient (the paper's)
* fomaml      the same with the first-order meta-gradient
* reptile     5 inner steps of rate 0.02 on all 20 points (Nichol et al.'s sinusoid demo), outer
              SGD θ ← θ + ε (φ̄ − θ) over the batch with ε annealed linearly from 1 to 0 (the
              Reptile paper's batched few-shot setting)
* imaml       an MLP 1-40-40-1 with tanh (see below); proximal inner loop, 10 steps of rate 0.005
              on L_tr(φ) + λ/2 ‖φ − θ‖² with λ = LAM = 50, then 5 conjugate gradient steps (as in
              the iMAML paper), Adam 1e-4; a batch on which some task's I + H/λ is found
              indefinite, or whose result is not finite, is redrawn (``train_redrawing``,
              ``imaml_batch``); training stops after 50 redraws in a row.

Why tanh and early stopping for iMAML: λ must exceed −λ_min(H) of the training loss (about −27
for the ReLU network at the initialisation, far above the iMAML paper's λ = 2), and iMAML's
objective rewards ever larger curvature (a direction of curvature h is adapted by the fraction
h/(h + λ), which grows with h), until plain steps of α = 0.01 grow the error (h > 2/α) and the
proximal loop itself diverges. Every ReLU setting tried (λ 20–200, inner rates 0.003–0.01 with 10
or 40 steps, Adam 1e-3 to 1e-4) broke down within 400–12,500 iterations while still worse than
pretrained; the tanh network learns for longer before it breaks down too.

The positive-definiteness guard (``imaml_batch``): CG meeting a direction p with pᵀAp ≤ 0 proves
that A = I + H_tr(φ*)/λ is indefinite; its absence after the gradient's 5 steps proves little.
So every batch whose 5-step gradient passed is checked again by GUARD_STEPS = 20 steps of CG on
the same systems (the same φ*, H and right-hand side ∇L(φ*; D_te)), which meet pᵀAp ≤ 0 just
when the 20-step Lanczos tridiagonal matrix of A from that right-hand side has a Ritz value ≤ 0.
What it detects: a negative eigenvalue of A that the Krylov space of ∇L(φ*; D_te) reaches within
20 steps. On 1,400 tasks drawn at nine states of this training (iterations 2,500 to the
breakdown), each checked against λ_min(H) of its dense Hessian (numpy), it found all 45
indefinite systems (λ_min from −50.003 to −162) and, as it must, no definite one; the 5-step CG
missed 3 of them and 10 steps 1 (λ_min = −50.003, found at step 11). What it does not detect: a
negative eigenvalue closer still to −λ, or one that the right-hand side hardly touches, which
Krylov methods reach only after many more steps (CG also stops once it has converged); passing
the guard is evidence, not proof. It costs a second iMAML pass (the proximal loop again and 20
CG steps, about twice the gradient's time) on each batch the gradient's own steps accept.

Initialisation: PyTorch's default, shared by every method (results/init_pilot.md compares it with
the MAML paper's code's on fresh test tasks; the default met the paper's numbers more often).

Inner rate (``--alpha``): the paper states α = 0.01, and so does this script's default. The MAML
code's usage line for the sinusoid leaves ``--update_lr`` at its default 1e-3 for training and for
its test. ``--alpha`` sets MAML's and FOMAML's inner rate and the rate of every plain fine-tuning
step (validation, evaluation) to another value; results/alpha_pilot.md scores MAML trained and
fine-tuned at 1e-3. The course follows the paper's text (α = 0.01), and so do the shipped weights.
A variant is stored beside the methods under its own key (``--key``, one method only): its results
in sinusoid.json under that key, its weights as <variant-dir>/<key>.npz (default results/seeds/, so
the shipped weights stay the five the widgets use), and its row on the page, fine-tuned at its own
rate. The committed ``maml_alpha_0.001`` is MAML trained and fine-tuned at α = 0.001:

    python benchmarks/reproduce_sinusoid.py --methods maml --alpha 0.001 --key maml_alpha_0.001

Every method is checkpointed every 2,500 meta-iterations (and at the end) and scored on validation
tasks (seed 2: the mean query MSE over K = 5, 10, 20 after 1, 5, 10 plain steps); the best
checkpoint is what is evaluated and shipped (``Checkpoints``). The last iterate is evaluated too,
and shown beside it in sinusoid.md: with a constant meta-rate it can sit where a few 5-point tasks
diverge under plain gradient steps.

All models are then scored as the paper's code scores them, on the same 600 held-out tasks (our
draw, seed 1) per K: fine-tune with plain gradient steps of α = 0.01 on the K = 5, 10, 20 support
points and measure the MSE on 100 query points per task (the paper's code uses K; more points make
each task's error less noisy) after 0, 1, 5, 10 steps (``evaluate.adaptation_curve``), reported as
mean ± 1.96·std/√600. Every model is also scored on the paper's own 600 test tasks, which its code
draws from numpy's generator seeded with 1 (``Sinusoid.reference_heldout``, K query points,
``paper_tasks``): the same tasks as the paper's table, so only the model differs. The two models
the paper reports (pretrained and MAML) are also scored on 30 more draws of 600 5-shot test tasks
(seeds 100–129, ``other_draws``): one task whose fine-tuning runs away can move a draw's mean, so
sinusoid.md shows how far.

Writes <out>/sinusoid.json ({method: {K: {steps: {"mse", "ci95"}}}}), <out>/sinusoid.md (the
table beside the paper's numbers) and the weights <weights-dir>/<method>.npz (``mamlkit.zoo.save``).
A run of some methods only (``--methods``) keeps the other methods' results from
<out>/sinusoid.json and their weights' info in <weights-dir>, and the page says so. Methods train in
parallel worker processes (``--jobs``, default 2 for this 2-core machine); one progress bar counts
all meta-iterations.

    python benchmarks/reproduce_sinusoid.py                      # the full run (2 cores)
    python benchmarks/reproduce_sinusoid.py --methods imaml      # retrain iMAML, keep the others
    python benchmarks/reproduce_sinusoid.py --quick --out /tmp/q --weights-dir /tmp/q  # smoke run
    python benchmarks/reproduce_sinusoid.py --methods maml --init-seed 1 --out /tmp/s1 \\
        --weights-dir /tmp/s1                                    # MAML from another seed
    python benchmarks/reproduce_sinusoid.py --methods maml --alpha 0.001 --out /tmp/a0 \\
        --weights-dir /tmp/a0                                    # at the MAML code's default rate
"""
import argparse
import datetime
import functools
import json
import multiprocessing
import pathlib
import sys
import time

import numpy as np
from tqdm.auto import tqdm

import bookkeeping
import machine
import malloc_tuning
from autograd.misc.optimizers import adam
from bookkeeping import MAML_SINUSOID_5SHOT, mse_cell
from mamlkit import (DivergenceError, History, NotPositiveDefiniteError, evaluate, meta_train,
                     meta_value_and_gradient, models, tasks, zoo)

SCRIPT = f"benchmarks/{pathlib.Path(__file__).name}"
ROOT = pathlib.Path(__file__).resolve().parents[1]
ITERATIONS = 70_000
META_BATCH, K_SUPPORT, K_QUERY = 25, 10, 10
INIT_SEED = 0
LAM = 50.0
GUARD_STEPS = 20  # CG steps of iMAML's positive-definiteness guard (see the docstring)
ALPHA = 0.01  # the paper's inner rate: EVAL's unless --alpha, and that of files that do not say
VALIDATION = {"steps": ("1", "5", "10"), "seed": 2, "checkpoints": 28}  # EVAL's grid, other tasks
EVAL = {"n_tasks": 600, "k_query": 100, "shots": (5, 10, 20), "steps": (0, 1, 5, 10), "lr": ALPHA,
        "seed": 1}
DRAWS = {"n_draws": 30, "first_seed": 100}  # more draws of the 5-shot test set (paper's methods)
# name: (meta_train method, optimizer, meta_lr, inner hyperparameters, what the outer rate does)
SETTINGS = {
    "imaml": ("imaml", "adam", 1e-4, {"lr": 0.005, "steps": 10, "lam": LAM, "cg_steps": 5},
              "constant"),
    "reptile": ("reptile", "sgd", 1.0, {"lr": 0.02, "steps": 5}, "linear to 0"),
    "maml": ("maml", "adam", 1e-3, {"lr": ALPHA, "steps": 1}, "constant"),
    "fomaml": ("fomaml", "adam", 1e-3, {"lr": ALPHA, "steps": 1}, "constant"),
    "pretrained": ("pretrain", "adam", 1e-3, {}, "constant"),
}  # longest first, so two workers finish at about the same time
ACTIVATION = {"imaml": "tanh"}  # where a method does not use the paper's ReLU (see the docstring)
ORDER = ("pretrained", "maml", "fomaml", "reptile", "imaml")
VARIANTS = ROOT / "benchmarks" / "results" / "seeds"  # weights of the keyed variants (--key)
ANNEAL_CHUNKS = 100  # the linear schedule as 100 constant pieces (plain SGD keeps no state)
REDRAW_CAUSES = {"cg": "indefinite by the gradient's CG steps",
                 "guard": f"indefinite by the guard's {GUARD_STEPS} CG steps only",
                 "not finite": "not finite"}


def override(name, meta_lr=None, **inner):
    """Change ``SETTINGS[name]``: its meta rate (if given) and some of its inner hyperparameters."""
    method, optimizer, rate, hyper, schedule = SETTINGS[name]
    SETTINGS[name] = (method, optimizer, rate if meta_lr is None else meta_lr,
                      dict(hyper, **inner), schedule)


def base_method(name):
    """The method (a ``SETTINGS`` name) that a results key stands for: the key itself, or the
    method a variant key starts with ("maml_alpha_0.001" → "maml")."""
    if name in SETTINGS:
        return name
    for method in sorted(SETTINGS, key=len, reverse=True):
        if name.startswith(method + "_"):
            return method
    raise ValueError(f"a results key must be a method of {sorted(SETTINGS)} or start with one "
                     f"and '_', got {name!r}")


def ordered(names):
    """``names`` in the page's order: ORDER, each method followed by its variants (sorted)."""
    names = set(names)
    return [n for method in ORDER
            for n in [method] * (method in names)
            + sorted(v for v in names if v != method and base_method(v) == method)]


_counter = None  # iterations done by all workers, shared with the parent's progress bar


def _init_worker(counter):
    global _counter
    _counter = counter
    malloc_tuning.keep_freed_memory()


def _counting(sampler):
    """``sample_tasks`` that also counts the meta-iterations (one batch drawn per iteration)."""

    def sample(rng, n):
        if _counter is not None:
            with _counter.get_lock():
                _counter.value += 1
        return sampler(rng, n)

    return sample


def training_streams(init_seed, n):
    """``n`` seeds for the training tasks: children of SeedSequence(init_seed). A spawned stream
    never coincides with the plain integer seeds that draw the validation (2), test (1) and extra
    test tasks (100–129), nor with the initialisation's own stream, so no evaluation task is ever
    trained on."""
    return np.random.SeedSequence(init_seed).spawn(n)


def train(name, iterations, n_validation, init_seed=INIT_SEED):
    """Meta-train one method from the shared seeded initialisation, keeping the checkpoint that
    scores best on the validation tasks (``Checkpoints``). Returns (model, selected θ, last θ,
    info)."""
    method, optimizer, meta_lr, inner, schedule = SETTINGS[name]
    model = models.MLP((1, 40, 40, 1), ACTIVATION.get(name, "relu"))
    theta = model.init(np.random.default_rng(init_seed))
    sampler = _counting(tasks.Sinusoid().sampler(K_SUPPORT, K_QUERY))
    keeper = Checkpoints(model, n_validation,
                         every=max(1, iterations // VALIDATION["checkpoints"]))
    start, cpu = time.perf_counter(), time.process_time()
    losses = []
    # A linearly annealed rate runs as constant pieces, each with its own stream of training tasks.
    chunks = ANNEAL_CHUNKS if schedule != "constant" else 1
    streams = training_streams(init_seed, chunks)
    bounds = np.linspace(0, iterations, chunks + 1).round().astype(int)
    safeguards, done = {}, 0
    for i, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
        rate = meta_lr * (1.0 - i / chunks)
        observe = functools.partial(keeper.observe, offset=int(lo))
        if method == "imaml":
            theta, history, safeguards = train_redrawing(model, theta, sampler, int(hi - lo),
                                                         rate, streams[i], inner, observe)
        else:
            theta, history = meta_train(method, model.loss, theta, sampler, int(hi - lo),
                                        META_BATCH, rate, optimizer=optimizer, seed=streams[i],
                                        progress=False, callback=observe, **inner)
        losses += history.loss
        done = int(lo) + len(history.loss)
        if safeguards.get("stopped_early_at_iteration") is not None:
            break
    keeper.score(theta, done)
    score, selected, best = keeper.best
    info = {
        "method": method, "iterations": selected, "iterations_planned": iterations,
        "iterations_run": done, "init_seed": init_seed,
        "task_streams": f"SeedSequence({init_seed}).spawn({chunks})",
        "model": {"sizes": list(model.sizes), "activation": model.activation, "init": "uniform"},
        "inner_lr": inner.get("lr"), "inner_steps": inner.get("steps", 0), "k_support": K_SUPPORT,
        "k_query": K_QUERY, "meta_batch": META_BATCH, "meta_lr": meta_lr,
        "meta_lr_schedule": schedule, "optimizer": optimizer, "hyper": inner,
        "finetune_lr": EVAL["lr"], "final_loss_mean_last_100": float(np.mean(losses[-100:])),
        "validation": {"tasks": n_validation, "seed": VALIDATION["seed"], "every": keeper.every,
                       "score": score, "scores": [[it, value if np.isfinite(value) else None]
                                                  for it, value in keeper.scores]},
        "wall_time_s": round(time.perf_counter() - start, 1),
        "cpu_time_s": round(time.process_time() - cpu - keeper.cpu_s, 1),  # training alone
        "validation_cpu_time_s": round(keeper.cpu_s, 1),
        "date": datetime.date.today().isoformat(), "script": SCRIPT,
    }
    info.update(safeguards)
    return model, best, theta, info


def finetune_lr(info):
    """The rate of the plain fine-tuning steps a weight file was scored with when it was trained
    (its info's ``finetune_lr``; ALPHA for files written before it was recorded)."""
    return info.get("finetune_lr", ALPHA)


def validation_score(model, theta, n_tasks):
    """Mean query MSE over the evaluation grid (K = 5, 10, 20; 1, 5, 10 plain steps of EVAL's α)
    on validation tasks (seed 2, never the held-out test tasks of seed 1); inf when some task's
    adaptation diverged."""
    table = evaluate_model(model, theta, n_tasks, seed=VALIDATION["seed"])
    score = np.mean([row[s]["mse"] for row in table.values() for s in VALIDATION["steps"]])
    return float(score) if np.isfinite(score) else float("inf")


class Checkpoints:
    """Early stopping on validation tasks: θ is scored every ``every`` meta-iterations and at the
    end, and the best (lowest ``validation_score``) is kept as ``best`` = (score, iteration, θ).

    Why: with a constant meta-rate the iterate keeps moving, and at some iterates plain gradient
    steps run away on a few 5-point tasks: each step that grows the error lands where the
    curvature is higher, so the next one grows it more (appendix A1). Curvature above 2/α at θ
    alone is common and harmless (see sinusoid.md, "last iterate").
    """

    def __init__(self, model, n_tasks, every):
        self.model, self.n_tasks, self.every = model, n_tasks, every
        self.scores, self.best, self.cpu_s = [], (float("inf"), 0, None), 0.0

    def observe(self, theta, iteration, offset=0):
        """``meta_train``'s callback: θ after ``offset + iteration`` updates."""
        if iteration + offset > 0 and (iteration + offset) % self.every == 0:
            self.score(theta, iteration + offset)

    def score(self, theta, iteration):
        cpu = time.process_time()
        value = validation_score(self.model, theta, self.n_tasks)
        self.cpu_s += time.process_time() - cpu
        self.scores.append((iteration, value))
        if self.best[2] is None or value < self.best[0]:
            self.best = (value, iteration, np.array(theta))


def imaml_batch(loss, theta, batch, inner, guard_steps=GUARD_STEPS):
    """(mean loss, iMAML meta-gradient, None) of a batch of tasks, or (None, None, why it is
    redrawn): "cg" when the gradient's own CG steps meet pᵀAp ≤ 0 (A = I + H_tr(φ*)/λ), "guard"
    when ``guard_steps`` CG steps on the same systems do (``meta_value_and_gradient`` with
    cg_steps = ``guard_steps``: the same φ*, H and right-hand side), "not finite" when the result
    is not finite. The gradient is always that of ``inner``'s CG steps; see the docstring for what
    the guard detects and what it does not."""
    try:
        value, grad = meta_value_and_gradient("imaml", loss, theta, batch, **inner)
    except NotPositiveDefiniteError:
        return None, None, "cg"
    except ValueError as err:  # CG refuses a non-finite right-hand side ∇L(φ*; D_te)
        if "finite" not in str(err):
            raise
        return None, None, "not finite"
    if not (np.isfinite(value) and np.all(np.isfinite(grad))):
        return None, None, "not finite"
    try:  # the same φ*, H and right-hand side, as the same function computes them
        meta_value_and_gradient("imaml", loss, theta, batch, **dict(inner, cg_steps=guard_steps))
    except NotPositiveDefiniteError:
        return None, None, "guard"
    return value, grad, None


def train_redrawing(model, theta, sampler, iterations, meta_lr, seed, inner, callback,
                    max_redraws=50, guard_steps=GUARD_STEPS):
    """iMAML's outer loop: Adam on the iMAML meta-gradient, as ``meta_train('imaml')``, except
    that a batch that ``imaml_batch`` rejects (some task's system indefinite, for which the iMAML
    gradient is not defined, or a result that is not finite) is redrawn; after ``max_redraws`` in
    a row training stops.

    Returns (last θ, History, {"batches_redrawn", "redrawn_by": {cause: count},
    "stopped_early_at_iteration", "guard_cg_steps"}).
    """
    rng = np.random.default_rng(seed)
    history = History()
    state = {"batches_redrawn": 0, "redrawn_by": dict.fromkeys(REDRAW_CAUSES, 0),
             "stopped_early_at_iteration": None, "guard_cg_steps": guard_steps}

    def batch_gradient(current, iteration):
        for _ in range(max_redraws):
            value, grad, cause = imaml_batch(model.loss, current, sampler(rng, META_BATCH), inner,
                                             guard_steps)
            if cause is None:
                history.loss.append(value)
                return grad
            state["batches_redrawn"] += 1
            state["redrawn_by"][cause] += 1
        raise DivergenceError(iteration, history, current)

    try:
        theta = adam(batch_gradient, theta, callback=lambda th, i, _g: callback(th, i),
                     num_iters=iterations, step_size=meta_lr)
    except DivergenceError as err:
        state["stopped_early_at_iteration"], theta = int(err.iteration), err.theta
    return theta, history, state


def curves(model, theta, task_list, lr=None):
    """Query MSE after 0..10 plain steps of rate ``lr`` (EVAL's α unless given), one row per
    task."""
    with np.errstate(all="ignore"):  # a diverging task overflows; its MSE is then inf
        return evaluate.adaptation_curve(model.loss, theta, task_list,
                                         EVAL["lr"] if lr is None else lr, max(EVAL["steps"]))


def heldout_curves(model, theta, shots, n_tasks, seed, lr=None):
    """``curves`` on ``n_tasks`` held-out tasks of K = ``shots`` drawn with ``seed`` (100 query
    points each)."""
    return curves(model, theta, tasks.Sinusoid().heldout(n_tasks, shots, EVAL["k_query"],
                                                         seed=seed), lr)


def summary(curve):
    """{steps: {"mse", "ci95"}} of per-task curves at the evaluation steps, steps as strings."""
    mean, ci = evaluate.mean_ci95(curve)
    return {str(s): {"mse": float(mean[s]), "ci95": float(ci[s])} for s in EVAL["steps"]}


def evaluate_model(model, theta, n_tasks, seed=EVAL["seed"]):
    """{K: {steps: {"mse", "ci95"}}} on ``n_tasks`` held-out tasks per K (seed 1 unless told), K
    and steps as strings."""
    return {str(shots): summary(heldout_curves(model, theta, shots, n_tasks, seed))
            for shots in EVAL["shots"]}


def paper_tasks(model, theta, n_tasks):
    """The scores on the first ``n_tasks`` of the paper's own test tasks per K
    (``Sinusoid.reference_heldout``, K query points each): {"tasks", "seed", "mse": {K: {steps:
    {"mse", "ci95"}}}, "median": {K: {steps: the median task's MSE}}}. A task whose fine-tuning
    overflowed counts as inf (``evaluate.adaptation_curve``)."""
    table, median = {}, {}
    for shots in EVAL["shots"]:
        curve = curves(model, theta, tasks.Sinusoid().reference_heldout(n_tasks, shots,
                                                                        EVAL["seed"]))
        table[str(shots)] = summary(curve)
        median[str(shots)] = {str(s): float(np.median(curve[:, s])) for s in EVAL["steps"]}
    return {"tasks": n_tasks, "seed": EVAL["seed"], "mse": table, "median": median}


def other_draws(model, theta, n_tasks, n_draws):
    """The 5-shot mean MSE after 1, 5 and 10 steps on ``n_draws`` more sets of ``n_tasks`` test
    tasks (seeds 100, 101, …): how far the number the paper reports, one draw's mean, moves from
    one draw of tasks to the next. A draw whose mean is not finite (some task diverged to
    overflow) is inf here and null in the files."""
    seeds = range(DRAWS["first_seed"], DRAWS["first_seed"] + n_draws)
    means = [heldout_curves(model, theta, 5, n_tasks, seed).mean(axis=0) for seed in seeds]
    return {"seed_range": [seeds[0], seeds[-1]], "tasks": n_tasks,
            "mse": {s: [float(m[int(s)]) for m in means] for s in VALIDATION["steps"]}}


def run_method(job):
    """Worker: train, save the selected weights, evaluate them and the last iterate. Returns
    (name, results, info) or (name, None, error text)."""
    name, key, iterations, n_tasks, weights_dir, init_seed, n_draws = job
    try:
        model, theta, last, info = train(name, iterations, n_tasks, init_seed)
    except Exception as err:  # noqa: BLE001 - report the failure, keep the other methods' results
        return key, None, f"{type(err).__name__}: {err}"
    start = time.perf_counter()
    results = evaluate_model(model, theta, n_tasks)
    info["eval_wall_time_s"] = round(time.perf_counter() - start, 1)
    info["heldout_5shot_mse"] = {s: results["5"][s]["mse"] for s in results["5"]}
    info["last_iterate"] = {"iteration": info["iterations_run"],
                            "heldout": evaluate_model(model, last, n_tasks)}
    info["paper_tasks"] = paper_tasks(model, theta, n_tasks)
    if name in MAML_SINUSOID_5SHOT:  # a variant of a reported method too
        info["other_draws"] = other_draws(model, theta, n_tasks, n_draws)
    if key != name:
        info["results_key"] = key
    zoo.save(key, model, theta, info, directory=weights_dir)
    return key, results, info


def describe_settings(iterations, names=ORDER, infos=None):
    """One line per method in ``names``: what it optimises and with which settings (as its info in
    ``infos`` records them where given: a kept result's or a variant's may differ from SETTINGS)."""
    lines = []
    for name in ordered(names):
        info, planned = (infos or {}).get(name), iterations
        if info is None:
            method, optimizer, meta_lr, inner, schedule = SETTINGS[name]
        else:
            method, optimizer, meta_lr, inner, schedule = (
                info["method"], info["optimizer"], info["meta_lr"], info["hyper"],
                info["meta_lr_schedule"])
            planned = info.get("iterations_planned", iterations)
        inner_text = ", ".join(f"{k}={v}" for k, v in inner.items()) or "no adaptation"
        loop = (f"`train_redrawing` (meta_train's loop, redrawing indefinite batches; guard: "
                f"{GUARD_STEPS} CG steps)" if method == "imaml" else f"`meta_train('{method}')`")
        lines.append(f"- **{name}**: {loop}, MLP 1-40-40-1 "
                     f"{ACTIVATION.get(base_method(name), 'relu')}, "
                     f"{planned} meta-iterations of {META_BATCH} tasks (K = {K_SUPPORT} + "
                     f"{K_QUERY}), {optimizer} rate {meta_lr:g} ({schedule}); inner: {inner_text}")
    return lines


def _entry(entry):
    """A table cell "mean ± ci95", or ∞ for a diverged mean (see ``bookkeeping.mse_cell``)."""
    mse = mse_cell(entry["mse"])
    return "∞" if mse == "∞" else f"{mse} ± {entry['ci95']:.3f}"


def redraw_line(info):
    """The sentence of the page on iMAML's redrawn batches, with their causes if recorded."""
    causes = info.get("redrawn_by")
    text = (f"iMAML batches redrawn because some task's system was indefinite or the result was "
            f"not finite: {info['batches_redrawn']}")
    if causes:
        text += " (" + ", ".join(f"{causes.get(key, 0)} {words}"
                                 for key, words in REDRAW_CAUSES.items()) + ")"
    return text + "."


def draw_spread_lines(results, infos):
    """The table of ``other_draws``: where the seed-1 draw and the paper's number sit among other
    draws of tasks."""
    reported = [name for name in ordered(results) if "other_draws" in infos.get(name, {})]
    if not reported:
        return []
    draws = infos[reported[0]]["other_draws"]
    first, last = draws["seed_range"]
    lines = ["", "### How far one draw of test tasks moves", "",
             (f"The paper's numbers and ours are each the mean over one draw of test tasks "
              f"({EVAL['n_tasks']} in the paper, {draws['tasks']} here). The same weights were "
              f"scored on {last - first + 1} more draws of {draws['tasks']} 5-shot tasks (seeds "
              f"{first}–{last}). The mean over tasks is a heavy-tailed statistic: one task whose "
              "fine-tuning runs away (each step that grows the error, α·λ_max > 2, raises the "
              "curvature further) can move a whole draw's mean (∞: some task overflowed)."), "",
             ("| method | steps | paper | the draw above (seed 1) | median of the other draws | "
              "10th–90th percentile | other draws at or below the paper |"),
             "|---|---|---|---|---|---|---|"]
    for name in reported:
        paper = MAML_SINUSOID_5SHOT[base_method(name)]
        for steps, values in bookkeeping.other_draws(infos[name]).items():
            low, high = np.percentile(values, [10, 90], method="nearest")  # draws, not between
            ours = results[name]["5"][str(steps)]["mse"]
            lines.append(f"| {name} | {steps} | {paper[steps]:.2f} | {mse_cell(ours)} "
                         f"| {mse_cell(np.median(values))} | {mse_cell(low)}–{mse_cell(high)} | "
                         f"{int(np.sum(values <= paper[steps]))} of {values.size} |")
    return lines


def paper_task_lines(infos):
    """The 5-shot table on the paper's own test tasks (``paper_tasks``), mean and median task,
    beside the paper."""
    scored = [name for name in ordered(infos) if "paper_tasks" in infos.get(name, {})]
    if not scored:
        return []
    first = infos[scored[0]]["paper_tasks"]
    lines = ["", "### On the paper's own test tasks", "",
             (f"The paper's code seeds numpy's generator with {first['seed']} and draws its test "
              "tasks in a fixed order (A, φ, then 2K inputs; the first K points are the support "
              "set, the last K the query set), so `Sinusoid.reference_heldout` regenerates them "
              f"value for value. On the first {first['tasks']} of those tasks the comparison with "
              "the paper is paired: the tasks are the same, only the model differs. Each cell is "
              "the mean over the tasks (∞: above 10⁶, some task's fine-tuning diverged) and, in "
              "brackets, the median task; K = 10 and 20 are in each weight file's info under "
              "`paper_tasks`."), "",
             "| method | 1 step | 5 steps | 10 steps | paper 1 | paper 5 | paper 10 |",
             "|---|---|---|---|---|---|---|"]
    for name in scored:
        scores = infos[name]["paper_tasks"]
        paper = MAML_SINUSOID_5SHOT.get(base_method(name), {})
        cells = [f"{mse_cell(scores['mse']['5'][s]['mse'])} ({mse_cell(scores['median']['5'][s])})"
                 for s in ("1", "5", "10")]
        cells += [f"{paper[s]:.2f}" if s in paper else "–" for s in (1, 5, 10)]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def page_rate(infos):
    """The fine-tuning rate of the page's methods (not of its variants)."""
    rates = {finetune_lr(info) for name, info in infos.items() if name in SETTINGS}
    return rates.pop() if len(rates) == 1 else EVAL["lr"]


def variant_rates(infos):
    """"; rate 0.001 for maml_alpha_0.001, …": the variants fine-tuned at another rate, or ""."""
    other = [f"rate {finetune_lr(info):g} for {name}" for name, info in infos.items()
             if name not in SETTINGS and finetune_lr(info) != page_rate(infos)]
    return "; " + ", ".join(other) + ", the rate it was trained with" if other else ""


def markdown(results, infos, failures, args, wall, earlier=()):
    """The results page: settings, the 5-shot table beside the paper, then every K (``earlier``:
    methods whose results were kept from an earlier run)."""
    lines = [
        "# Sinusoid regression: MAML paper setting, reproduced", "",
        f"Made by `{SCRIPT}{' --quick' if args.quick else ''}` (PyTorch's initialisation "
        f"`MLP.init` from seed {args.init_seed}; training tasks from streams spawned by "
        f"SeedSequence({args.init_seed}), apart from every evaluation seed) on "
        f"{machine.describe(('numpy', 'autograd', 'mamlkit'), 'end')}. "
        f"Whole script: {wall / 60:.1f} min wall time with {args.jobs} worker "
        f"process{'es' * (args.jobs != 1)}"
        + (f" for {', '.join(args.methods)} only" if set(args.methods) != set(SETTINGS) else "")
        + (f" (stored as {args.key})" if args.key else "")
        + (f"; the results and times of {', '.join(earlier)} come from an earlier run of this "
           "script (see their weights' info)" if earlier else "") + ".", "",
    ]
    if args.quick:
        lines += ["**QUICK SMOKE RUN** (few iterations, few held-out tasks): not the reproduction.",
                  ""]
    lines += (["## Training", ""]
              + describe_settings(args.iterations, [*results, *failures], infos) + [""])
    if infos.get("imaml", {}).get("batches_redrawn") is not None:
        lines += [redraw_line(infos["imaml"]), ""]
    for name, info in infos.items():
        if info.get("stopped_early_at_iteration") is not None:
            lines += [(f"**{name} stopped early at meta-iteration "
                       f"{info['stopped_early_at_iteration']}** of {info['iterations_planned']}: "
                       "50 batches in a row were indefinite or not finite."), ""]
    selected = [name for name in ordered(infos) if "validation" in infos.get(name, {})]
    every = {infos[name]["validation"]["every"] for name in selected}
    lines += [
        "### Checkpoint selection", "",
        (f"Every method keeps the checkpoint (every {'/'.join(map(str, sorted(every)))} "
         "meta-iterations, and the last iterate) with the lowest validation score: the mean query "
         f"MSE over K = {', '.join(map(str, EVAL['shots']))} and "
         f"{', '.join(VALIDATION['steps'])} plain steps on {args.n_tasks} validation tasks per K "
         f"(seed {VALIDATION['seed']}; the test tasks below are seed {EVAL['seed']}). The shipped "
         "weights and the tables below are that checkpoint. Why: with a constant meta rate the "
         "iterate keeps moving, and at some iterates plain gradient steps on a few 5-point tasks "
         "run away (each step grows the error along the steepest direction, α·λ_max > 2, and "
         "raises the curvature further), and those tasks "
         "dominate the mean. The last iterate is scored on the same test tasks for comparison "
         "(∞: some task diverged)."), "",
        ("| method | iterations run | selected | validation score (selected) | last iterate: "
         "5-shot 1 / 5 / 10 steps | selected: 5-shot 1 / 5 / 10 steps |"),
        "|---|---|---|---|---|---|",
    ]
    for name in selected:
        info = infos[name]
        last = info["last_iterate"]["heldout"]["5"]
        chosen = results[name]["5"]
        lines.append(f"| {name} | {info['iterations_run']} | {info['iterations']} | "
                     f"{info['validation']['score']:.3f} | "
                     + " / ".join(mse_cell(last[s]["mse"]) for s in ("1", "5", "10")) + " | "
                     + " / ".join(mse_cell(chosen[s]["mse"]) for s in ("1", "5", "10")) + " |")
    lines += [""]
    lines += ["Time per method, wall seconds (training and validation) / CPU seconds of training "
              "alone / CPU seconds of validation: " + ", ".join(
                  f"{n} {infos[n]['wall_time_s']:.0f} / {infos[n]['cpu_time_s']:.0f} / "
                  f"{infos[n].get('validation_cpu_time_s', 0):.0f}" for n in ordered(infos))
              + ".", ""]
    for name, error in failures.items():
        lines += [f"**{name} FAILED**: {error}", ""]
    lines += [
        "## Evaluation", "",
        f"{args.n_tasks} held-out tasks per K (seed {EVAL['seed']}, the same for every method), "
        f"fine-tuned with plain gradient steps of rate {page_rate(infos)} on the K support points "
        f"(the same points at every step{variant_rates(infos)}); MSE on {EVAL['k_query']} query "
        f"points per task; mean ± 1.96·std/√{args.n_tasks}.", "",
        "### 5-shot, beside the MAML paper (Appendix C)", "",
        "| method | 1 step | 5 steps | 10 steps | paper 1 | paper 5 | paper 10 |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in ordered(results):
        row = results[name]["5"]
        paper = MAML_SINUSOID_5SHOT.get(base_method(name), {})
        cells = [_entry(row[s]) for s in ("1", "5", "10")]
        cells += [f"{paper[s]:.2f}" if s in paper else "–" for s in (1, 5, 10)]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += draw_spread_lines(results, infos)
    lines += paper_task_lines(infos)
    lines += ["", "### Every K", "",
              "| method | K | " + " | ".join(f"{s} steps" for s in EVAL["steps"]) + " |",
              "|---|---|" + "---|" * len(EVAL["steps"])]
    for name in ordered(results):
        for shots in results[name]:
            row = results[name][shots]
            lines.append(f"| {name} | {shots} | "
                         + " | ".join(_entry(row[str(s)]) for s in EVAL["steps"]) + " |")
    return "\n".join(lines) + "\n"


def parse(argv):
    """The command line, checked; sets EVAL's rate and the settings it overrides."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 200 iterations, 50 held-out tasks")
    parser.add_argument("--iterations", type=int, default=None,
                        help=f"meta-iterations per method ({ITERATIONS})")
    parser.add_argument("--n-tasks", type=int, default=None,
                        help=f"held-out tasks per K ({EVAL['n_tasks']})")
    parser.add_argument("--methods", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--draws", type=int, default=None,
                        help=("other draws of the 5-shot test tasks for pretrained and MAML "
                              f"({DRAWS['n_draws']})"))
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"),
                        help="folder for the results")
    parser.add_argument("--weights-dir", default=str(zoo.WEIGHTS),
                        help="folder for the <method>.npz weights")
    parser.add_argument("--imaml", nargs=4, type=float,
                        metavar=("LAM", "INNER_LR", "INNER_STEPS", "META_LR"),
                        help="override iMAML's λ, proximal inner rate and steps, and Adam rate")
    parser.add_argument("--init-seed", type=int, default=INIT_SEED,
                        help=(f"seed of the initialisation and of the training tasks' streams "
                              f"({INIT_SEED}; for a seed study)"))
    parser.add_argument("--alpha", type=float, default=ALPHA,
                        help=(f"inner rate of MAML and FOMAML and of every plain fine-tuning step "
                              f"({ALPHA}, the paper's; the MAML code's default is 0.001)"))
    parser.add_argument("--key", default=None,
                        help=("store the run (one method) under this key, beside the method's "
                              "own results: e.g. maml_alpha_0.001"))
    parser.add_argument("--variant-dir", default=str(VARIANTS),
                        help="folder for the <key>.npz weights of keyed variants")
    args = parser.parse_args(argv)
    if args.key is not None:
        if len(args.methods) != 1:
            parser.error(f"--key stores one method's run, got --methods {' '.join(args.methods)}")
        try:
            keyed = base_method(args.key)
        except ValueError as err:
            parser.error(str(err))
        if args.key in SETTINGS or keyed != args.methods[0]:
            parser.error(f"--key must name a variant of {args.methods[0]} "
                         f"('{args.methods[0]}_…'), got {args.key!r}")
    if not (np.isfinite(args.alpha) and args.alpha > 0):
        parser.error(f"--alpha must be a finite number > 0, got {args.alpha}")
    EVAL["lr"] = args.alpha
    override("maml", lr=args.alpha)
    override("fomaml", lr=args.alpha)
    if args.imaml:
        lam, inner_lr, inner_steps, meta_lr = args.imaml
        override("imaml", meta_lr, lam=lam, lr=inner_lr, steps=int(inner_steps))
    defaults = {"iterations": (200, ITERATIONS), "n_tasks": (50, EVAL["n_tasks"]),
                "draws": (3, DRAWS["n_draws"])}
    for option, (quick, full) in defaults.items():
        if getattr(args, option) is None:
            setattr(args, option, quick if args.quick else full)
        elif getattr(args, option) < 1:
            parser.error(f"--{option.replace('_', '-')} must be a positive whole number, got "
                         f"{getattr(args, option)}")
    return parser, args


def main(argv=None):
    parser, args = parse(argv)
    out = pathlib.Path(args.out)
    earlier = {}
    own = [args.key] if args.key else args.methods  # the results keys this run writes
    if (set(own) != set(SETTINGS) or args.key) and (out / "sinusoid.json").exists():
        # A partial rerun (--methods) keeps the other methods' committed results and their info,
        # and those of the variants (--key), whose weights are in --variant-dir.
        for name, res in json.loads((out / "sinusoid.json").read_text()).items():
            if name not in own:
                folder = args.weights_dir if name in SETTINGS else args.variant_dir
                earlier[name] = (res, zoo.load(name, directory=folder)[2])
        # the methods of one page share one evaluation; a variant (--key) has its own rate
        rates = set() if args.key else {finetune_lr(info) for name, (_, info) in earlier.items()
                                        if name in SETTINGS} - {EVAL["lr"]}
        if rates:  # one page, one evaluation: results fine-tuned at another rate cannot be beside
            parser.error(f"--alpha is {EVAL['lr']} but the results kept in {out} were fine-tuned "
                         f"at α = {', '.join(map(str, sorted(rates)))}: use another --out and "
                         "--weights-dir")
    print("Settings:", *describe_settings(args.iterations, args.methods), sep="\n")
    print(f"Evaluation: {args.n_tasks} held-out tasks per K in {EVAL['shots']}, steps "
          f"{EVAL['steps']}, α = {EVAL['lr']}, {EVAL['k_query']} query points per task",
          flush=True)

    start = time.perf_counter()
    counter = multiprocessing.get_context("fork").Value("l", 0)
    jobs = [(name, args.key or name, args.iterations, args.n_tasks,
             args.variant_dir if args.key else args.weights_dir, args.init_seed, args.draws)
            for name in SETTINGS if name in args.methods]
    results, infos, failures = {}, {}, {}
    with multiprocessing.get_context("fork").Pool(args.jobs, _init_worker, (counter,)) as pool:
        pending = pool.imap_unordered(run_method, jobs)
        bar = tqdm(total=args.iterations * len(jobs), desc="meta-iterations (all methods)",
                   unit="it", mininterval=2.0, file=sys.stdout)
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
                continue
            results[name], infos[name] = res, info
            redrawn = (f", {info['batches_redrawn']} batches redrawn {info['redrawn_by']}"
                       if "batches_redrawn" in info else "")
            stopped = (f", stopped early at {info['stopped_early_at_iteration']}"
                       if info.get("stopped_early_at_iteration") is not None else "")
            tqdm.write(f"{name}: trained in {info['wall_time_s']:.0f} s (cpu "
                       f"{info['cpu_time_s']:.0f} s{redrawn}{stopped}, selected checkpoint "
                       f"{info['iterations']}), 5-shot MSE after 0/1/5/10 steps: "
                       + " / ".join(f"{res['5'][s]['mse']:.3f}" for s in ("0", "1", "5", "10")))
        bar.close()
    wall = time.perf_counter() - start

    out.mkdir(parents=True, exist_ok=True)
    for name, (res, info) in earlier.items():
        results[name], infos[name] = res, info
    results = {name: results[name] for name in ordered(results)}
    bookkeeping.write_json(out / "sinusoid.json", results)
    (out / "sinusoid.md").write_text(markdown(results, infos, failures, args, wall,
                                              ordered(earlier)))
    print(f"wrote {out / 'sinusoid.json'}, {out / 'sinusoid.md'} and weights in "
          f"{args.variant_dir if args.key else args.weights_dir}; whole script {wall / 60:.1f} min")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
