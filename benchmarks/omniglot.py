"""Few-shot classification on real Omniglot: five methods trained, then scored on new characters.

The setting, fixed before the one full run (``mamlkit.omniglot.methods.SETTINGS`` and below):

* data: the two "background small" sets (242 characters of 8 alphabets, 20 drawers each), 28×28;
  40 characters held out for validation (``data.split(242, 40, seed=0)``), the other 202 trained
  on with their 90° rotations as new classes (808 classes). The validation characters (also
  rotated) only choose each method's checkpoint: 50 fixed 20-way 1-shot tasks every ``EVERY``
  iterations. The evaluation characters are never seen in training.
* network: 784-256-128-64-64, ReLU, no batch norm; pretrained: an 808-way head; maml, fomaml,
  reptile: one output unit copied N times (one θ for 5-way and 20-way); protonet: the body alone.
* episodes: 20-way 1-shot, 5 queries a class, 4 tasks a batch; Adam at 0.001 for every method,
  weights initialised as He et al. (2015). maml, fomaml: 1 inner step of rate 1.6 (each class's
  head column moves as far as with the MAML paper's 0.4 on 5-way tasks: the step of a column is
  α/K); reptile: 5 steps of rate 0.4 on all 6 drawings a class in training, on the support set at
  test; pretrained: batches of 128 drawings, then a zero head fitted by 100 steps of rate 1 on the
  support features, scaled to unit RMS norm.
* budget: ``PLAN``, an iteration count and a time limit per method, whichever comes first.
* test: 600 5-way and 600 20-way 1-shot tasks (seed 1) drawn from the 200 characters of the
  official runs (four drawings each: one the support, another the query), and the 20 official
  runs. ``--score-only`` scores the shipped weights again without training.

Writes ``results/omniglot.json`` ({method: {"5way1shot": {"acc", "ci95"}, "20way1shot": …,
"lake20": {"error"}}}, accuracies and errors in per cent) and ``results/omniglot.md``,
and the weights ``mamlkit/weights/omniglot_<method>.npz`` (float16, scored as shipped).
``--quick``: a smoke test of every stage (a few iterations, 20 test tasks) into a temporary folder.
"""
import argparse
import pathlib
import sys
import tempfile
import time

import numpy as np
from tqdm.auto import tqdm

import bookkeeping
import machine
from mamlkit import zoo
from mamlkit.omniglot import data, methods, models
from mamlkit.tasks import stack

ROOT = pathlib.Path(__file__).resolve().parents[1]
# (iterations, minutes at most): sized at 14:35 on one thread, load 3-5 (ms per iteration:
# pretrained 19-30, protonet 23-45, maml 47-146, fomaml 31-60, reptile 109-367): about 23 minutes
# of training if the machine is quiet, never more than 30 if it is busy (the budget stops a method)
PLAN = {"pretrained": (4000, 2), "maml": (12000, 12), "fomaml": (8000, 5), "reptile": (3000, 7),
        "protonet": (8000, 4)}
EVERY, VALIDATION, N_TASKS, TEST_SEED = 500, 40, 600, 1
QUICK = {"iterations": 20, "every": 10, "n_tasks": 20}


def summary(right):
    """{"acc", "ci95"} of per-task accuracies: the mean and 1.96·std/√n, in per cent."""
    right = np.asarray(right, dtype=float)
    return {"acc": 100 * right.mean(), "ci95": 100 * 1.96 * right.std() / np.sqrt(len(right))}


def test_tasks(n_tasks):
    """{"5way1shot": tasks, "20way1shot": tasks} of the evaluation characters, seeded, and the 20
    official runs as one stack of tasks with their answers."""
    evaluation, rng = data.evaluation(), np.random.default_rng(TEST_SEED)
    tasks = {f"{n}way1shot": [data.sample_task(evaluation, n, 1, 1, rng) for _ in range(n_tasks)]
             for n in (5, 20)}
    runs = data.lake_runs()
    support, query, answers = (np.array([run[i] for run in runs]) for i in range(3))
    flat = support.reshape(len(runs), support.shape[1], -1)
    labels = np.tile(np.arange(support.shape[1]), (len(runs), 1))
    return tasks, ((flat, labels), query.reshape(flat.shape), answers)


def score(play, tasks, lake):
    """The results entry of ``play(support, query) -> labels`` (stacked tasks), in per cent."""
    result = {}
    for key, group in tasks.items():
        right = []
        for first in range(0, len(group), 25):
            (xs, ys), (xq, yq) = stack(group[first:first + 25])
            right.append(np.mean(play((xs, ys), xq) == yq, axis=-1))
        result[key] = summary(np.concatenate(right))
    support, query, answers = lake
    result["lake20"] = {"error": 100 * float(np.mean(play(support, query) != answers))}
    return result


def pixels(support, query):
    """Nearest neighbour on raw pixels (1-shot: the nearest class mean), the untrained baseline."""
    return np.argmax(models.prototype_logits(support[0], support[1], query), axis=-1)


def run(names, plan, every, n_tasks, out, weights, progress=True, score_only=False):
    images, _ = data.background()
    train, held = data.split(len(images), VALIDATION, seed=0)
    train, held = data.rotations(images[train]), data.rotations(images[held])
    tasks, lake = test_tasks(n_tasks)
    results, runs, start = {}, {}, machine.describe(["numpy", "autograd"], "start")
    for name in tqdm(names, desc="methods", disable=not progress):
        began = time.perf_counter()
        iterations, minutes = plan[name]
        if score_only:  # the weights in ``weights`` as they are, with their training record
            theta, info = methods.load(name, weights)
        else:
            theta, info = methods.train(name, train, held, iterations, seed=0, every=every,
                                        budget=None if minutes is None else 60 * minutes,
                                        progress=progress)
            info["train_seconds"] = time.perf_counter() - began
            theta = theta.astype(np.float16).astype(np.float64)  # scored as shipped
            methods.save(name, theta, info, weights)
        began = time.perf_counter()
        results[name] = score(lambda s, q, n=name, t=theta: methods.predict(n, t, s, q), tasks,
                              lake)
        runs[name] = {k: info[k] for k in ("iterations", "planned_iterations", "best_iteration",
                                            "train_seconds", "diverged_at")}
        runs[name]["test_seconds"] = time.perf_counter() - began
    bookkeeping.write_json(out / "omniglot.json", results)
    end = machine.describe(["numpy", "autograd"], "end")
    text = page(results, runs, score(pixels, tasks, lake), start, end, n_tasks, plan)
    (out / "omniglot.md").write_text(text, encoding="utf-8")
    return results, runs


# (row, 5-way 1-shot, 20-way 1-shot, source): accuracies in per cent, as published; all trained on
# Vinyals et al.'s split (1,200 characters of any alphabet, with rotations), and tested on its
# other 423 characters
PUBLISHED = [
    ("MAML, this fully connected network with batch norm", "89.7 ± 1.1", "–",
     "Finn, Abbeel & Levine 2017, Table 1 (\"MAML, no conv\")"),
    ("MAML, 4-layer conv net", "98.7 ± 0.4", "95.8 ± 0.3", "Finn et al. 2017, Table 1"),
    ("FOMAML, conv", "98.3 ± 0.5", "89.4 ± 0.5", "Finn et al. 2017, Table 1"),
    ("Reptile, conv (transductive)", "97.68 ± 0.04", "89.43 ± 0.14", "Nichol, Achiam & "
     "Schulman 2018"),
    ("iMAML (GD), conv", "99.16 ± 0.35", "94.46 ± 0.42", "Rajeswaran, Finn, Kakade & "
     "Levine 2019"),
    ("ProtoNets, conv", "98.8", "96.0", "Snell, Swersky & Zemel 2017, Table 1"),
]


def cell(entry, key):
    return f"{entry[key]['acc']:.1f} ± {entry[key]['ci95']:.1f}"


def page(results, runs, baseline, start, end, n_tasks, plan):
    rows = "\n".join(
        f"| {name} | {cell(r, '5way1shot')} | {cell(r, '20way1shot')} | {r['lake20']['error']:.1f} "
        f"| {runs[name]['iterations']} of {runs[name]['planned_iterations']} "
        f"({runs[name]['best_iteration']}) | {runs[name]['train_seconds'] / 60:.1f} |"
        for name, r in results.items())
    published = "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in PUBLISHED)
    total = sum(r["train_seconds"] for r in runs.values()) / 60
    tests = sum(r["test_seconds"] for r in runs.values()) / 60
    budgets = ", ".join(f"{name} {n} iterations" + (f" or {m} min" if m else "")
                        for name, (n, m) in plan.items())
    return f"""# Few-shot classification on Omniglot

Made by `benchmarks/omniglot.py`.
Start: {start}.
End: {end}.

## This run

Accuracy (%) on {n_tasks} 1-shot tasks of the 200 evaluation characters (± the 95% interval of
the mean over tasks) and the error (%) over the 20 official 20-way runs (400 test drawings).
Training: {total:.1f} minutes in all, scoring {tests:.1f}, one process, one thread. Plan, fixed
before the run: {budgets}, whichever comes first. "Checkpoint": the iteration whose θ scored best on
the validation characters, the one shipped and scored here.

| method | 5-way 1-shot | 20-way 1-shot | official runs, error | iterations (checkpoint) | minutes |
|---|---|---|---|---|---|
{rows}
| nearest neighbour, raw pixels (no training) | {cell(baseline, '5way1shot')} | \
{cell(baseline, '20way1shot')} | {baseline['lake20']['error']:.1f} | – | – |

Chance: 20% (5-way), 5% (20-way), error 95% on the official runs.

## Published numbers

| method | 5-way 1-shot | 20-way 1-shot | source |
|---|---|---|---|
{published}

On the 20 official runs the Omniglot repository's baseline, the modified Hausdorff distance
between the inked pixels, makes 38.8% errors (`python/one-shot-classification/
demo_classification.py` of github.com/brendenlake/omniglot). Lake, Salakhutdinov & Tenenbaum
(2015, Science 350:1332) report people at 4.5% errors on the same runs and their Bayesian program
learning model at 3.3%.

{SETTING}
"""


SETTING = """## How this setting differs from the papers'

- Background: 242 characters, the two "background small" sets (8 alphabets; the Omniglot
  repository's "minimal" splits, five alphabets each, meant as "a closer approximation to the
  experience that a human adult might have"). 40 are held out for validation, 202 are trained on:
  808 classes with their rotations, against the 1,200 characters (4,800 classes with rotations)
  of Vinyals et al.'s split, drawn from all 50 alphabets, that both the MAML paper and ProtoNets
  train on: six times fewer classes.
- Test characters: the 200 characters of the official 20 runs (10 of the 20 evaluation alphabets:
  the runs come in pairs that show the same 20 characters, drawn by other people), four drawings
  each; the papers draw their tasks from the split's other 423 characters, with 20 drawings each.
- Network: no batch norm (the MAML paper's fully connected network has it, with batch statistics
  at test); weights initialised as He et al. (2015) for ReLU. One output unit copied N times
  serves 5-way and 20-way (Ye & Chao 2022's UNICORN-MAML head); the papers train one model per N,
  MAML on 5-way tasks for the 5-way table. Here every episodic method trains on 20-way 1-shot.
- No convolutional network: the papers' 4-layer conv net (3×3, 64 filters, 28×28 input) needs
  about 9.8 million multiply-adds per image against 0.25 million for this network (40 times as
  many), and autograd has no fast convolution; the half hour here would buy it a few hundred
  iterations.
- Compute: about half an hour on two shared CPU cores for all five methods, a few thousand
  iterations of 4 tasks each; the MAML code's 5-way Omniglot command runs 60,000 iterations of 32
  tasks (one inner step of 0.4; 20-way: 16 tasks, 5 steps of 0.1), on a GPU.
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke test of every stage")
    parser.add_argument("--methods", nargs="+", default=list(methods.METHODS),
                        choices=methods.METHODS)
    parser.add_argument("--iterations", type=int, default=None,
                        help="iterations of every method, no time budget (default: PLAN)")
    parser.add_argument("--out", default=None, help="results folder (benchmarks/results; "
                        "--quick: a temporary folder)")
    parser.add_argument("--score-only", action="store_true", help="score the weights already "
                        "in the weights folder again, without training")
    parser.add_argument("--weights-dir", default=None, help="weights folder (mamlkit/weights; "
                        "--quick: the results folder)")
    args = parser.parse_args(argv)
    if args.quick:
        out = pathlib.Path(args.out or tempfile.mkdtemp(prefix="omniglot-quick-"))
        plan = {name: (QUICK["iterations"], None) for name in methods.METHODS}
        every, n_tasks = QUICK["every"], QUICK["n_tasks"]
    else:
        out = pathlib.Path(args.out or ROOT / "benchmarks" / "results")
        plan, every, n_tasks = PLAN, EVERY, N_TASKS
    weights = pathlib.Path(args.weights_dir or (out if args.quick else zoo.WEIGHTS))
    out.mkdir(parents=True, exist_ok=True)
    weights.mkdir(parents=True, exist_ok=True)
    if args.iterations is not None:
        plan = {name: (args.iterations, None) for name in methods.METHODS}
    results, _ = run(args.methods, plan, every, n_tasks, out, weights,
                     score_only=args.score_only)
    for name, r in results.items():
        print(f"{name:10s} 5-way {r['5way1shot']['acc']:5.1f}  20-way {r['20way1shot']['acc']:5.1f}"
              f"  official runs error {r['lake20']['error']:5.1f}", file=sys.stderr)
    print(f"wrote {out / 'omniglot.json'}, {out / 'omniglot.md'} and weights in {weights}")


if __name__ == "__main__":
    main()
