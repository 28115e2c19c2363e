"""Score saved MAML weights on many fresh draws of 5-shot test tasks, grouped by how they were trained.

One draw's mean can be moved by a single task whose fine-tuning runs away, so comparing two training settings on
one draw says little. This script scores every weight file on ``--draws`` draws of ``--n-tasks`` 5-shot tasks (numpy
seeds ``--first-seed`` onwards; 100 query points, plain steps of the rate α the file was evaluated with when it was
trained, its info's ``finetune_lr``, 0.01 for files that predate it; as ``reproduce_sinusoid.heldout_curves``)
and reports, per group and per file: how many (file, draw) pairs meet all three of the paper's 1 / 5 / 10-step
numbers, the median over draws of each step's mean, and how many tasks ran away (error after 10 steps above
``Sinusoid.zero_error_bound``).

The default seeds 1000–1029 are used by nothing else in the repository (the test tasks are seed 1, validation seed
2, the other draws of reproduce_sinusoid.py seeds 100–129, training tasks spawned streams). This is how the
initialisation pilot in reproduce_sinusoid.py's docstring was run (N = 1…4 for the default, 0…3 for the reference
initialisation; the default's seed 0 is the shipped model):

    python benchmarks/reproduce_sinusoid.py --methods maml --init-seed N --out /tmp/uN --weights-dir /tmp/uN
    python benchmarks/reproduce_sinusoid.py --methods maml --init reference --init-seed N \\
        --out /tmp/rN --weights-dir /tmp/rN
    python benchmarks/score_draws.py uniform=mamlkit/weights/maml.npz uniform=/tmp/u1/maml.npz … \\
        reference=/tmp/r0/maml.npz … --out benchmarks/results/init_pilot.md

The rate pilot (results/alpha_pilot.md: MAML trained and fine-tuned at α = 0.001, the MAML code's default) is the
same with ``--alpha 0.001`` added to each training command, seeds N = 0…3 for both initialisations.
"""
import argparse
import pathlib
import sys

import numpy as onp

import machine
from mamlkit import evaluate, published, tasks, zoo
from reproduce_sinusoid import EVAL, _number, finetune_lr, heldout_curves

PAPER = published.MAML_SINUSOID_5SHOT["maml"]  # {steps: the paper's 5-shot MSE}
STEPS = tuple(PAPER)
FRESH = {"first_seed": 1000, "draws": 30}  # seeds used by nothing else in the repository


def score(path, n_tasks, seeds):
    """(per-draw means after 1, 5, 10 steps: array (draws, 3), number of runaway tasks, the file's info)."""
    path = pathlib.Path(path)
    model, theta, info = zoo.load(path.stem, directory=path.parent)
    means, runaways = [], 0
    for seed in seeds:
        curves = heldout_curves(model, theta, 5, n_tasks, seed, finetune_lr(info))
        means.append(curves[:, STEPS].mean(axis=0))
        runaways += len(evaluate.runaway(curves, tasks.Sinusoid().zero_error_bound))
    return onp.array(means), runaways, info


def cells(means, runaways, n_tasks):
    """The (pairs meeting the paper, median draw, runaway tasks) cells of a table row."""
    meets = int(onp.all(means <= onp.array([PAPER[s] for s in STEPS]), axis=1).sum())
    median = " / ".join(_number(v) for v in onp.median(means, axis=0))
    return f"{meets} of {len(means)} | {median} | {runaways} of {len(means) * n_tasks}"


def tables(groups, n_tasks, seeds):
    """Markdown lines: one row per group (label: [weight files]), then one row per file."""
    target = " / ".join(f"{PAPER[s]:g}" for s in STEPS)
    columns = (f"(file, draw) pairs meeting all of {target} | median over draws after {' / '.join(map(str, STEPS))} "
               "steps | runaway tasks |")
    by_group = [f"| training | weight files | {columns}", "|---|---|---|---|---|"]
    by_file = [f"| training | file: initialisation, seed, checkpoint, α | {columns}", "|---|---|---|---|---|"]
    for label, paths in groups.items():
        scored = [score(path, n_tasks, seeds) for path in paths]
        for path, (means, runaways, info) in zip(paths, scored):
            made = (f"{info['model'].get('init', 'uniform')}, seed {info['init_seed']}, {info['iterations']}, "
                    f"α = {finetune_lr(info):g}")
            by_file.append(f"| {label} | {pathlib.Path(path).name}: {made} | {cells(means, runaways, n_tasks)} |")
        means = onp.concatenate([m for m, _, _ in scored])
        by_group.append(f"| {label} | {len(paths)} | {cells(means, sum(r for _, r, _ in scored), n_tasks)} |")
    return by_group + [""] + by_file


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights", nargs="+", metavar="LABEL=FILE.npz", help="a weight file and its group's label")
    parser.add_argument("--draws", type=int, default=FRESH["draws"],
                        help=f"draws of 5-shot test tasks per file ({FRESH['draws']})")
    parser.add_argument("--first-seed", type=int, default=FRESH["first_seed"],
                        help=f"numpy seed of the first draw ({FRESH['first_seed']})")
    parser.add_argument("--n-tasks", type=int, default=EVAL["n_tasks"], help="tasks per draw (600)")
    parser.add_argument("--out", help="also write the table to this markdown file")
    args = parser.parse_args(argv)
    groups = {}
    for item in args.weights:
        label, sep, path = item.partition("=")
        if not sep or not pathlib.Path(path).is_file():
            parser.error(f"weights must be LABEL=FILE.npz with an existing file, got {item!r}")
        groups.setdefault(label, []).append(path)
    if args.draws < 1 or args.n_tasks < 1:
        parser.error("--draws and --n-tasks must be positive whole numbers")
    seeds = range(args.first_seed, args.first_seed + args.draws)
    lines = tables(groups, args.n_tasks, seeds)
    made = (f"Made by `benchmarks/score_draws.py` on {machine.describe(('numpy', 'autograd'), 'end')}. Each file is "
            f"scored after {', '.join(map(str, STEPS))} plain steps of its own α (see the second table) on "
            f"{EVAL['k_query']} query points per task; a task runs away when its error after {max(STEPS)} steps is "
            f"above max A² = {tasks.Sinusoid().zero_error_bound:g}. ∞: a median of 10⁶ or more (the runaway tasks "
            "decide it).")
    header = [f"# MAML on {args.draws} draws of {args.n_tasks} 5-shot test tasks (seeds {seeds[0]}–{seeds[-1]})",
              "", made, ""]
    print("\n".join(lines))
    if args.out:
        pathlib.Path(args.out).write_text("\n".join(header + lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
