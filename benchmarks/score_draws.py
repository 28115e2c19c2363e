"""Score saved MAML weights on many fresh draws of 5-shot test tasks, grouped by training.

One draw's mean can be moved by a single task whose fine-tuning runs away, so comparing two
training settings on one draw says little. This script scores every weight file on ``--draws``
draws of ``--n-tasks`` 5-shot tasks (numpy seeds ``--first-seed`` onwards; 100 query points, plain
steps of the rate α the file was evaluated with when it was trained, its info's ``finetune_lr``,
0.01 for files that predate it; as ``reproduce_sinusoid.heldout_curves``) and reports, per group
and per file: how many (file, draw) pairs meet all three of the paper's 1 / 5 / 10-step numbers,
the median over draws of each step's mean, and how many tasks ran away (error after 10 steps above
``Sinusoid.zero_error_bound``).

The default seeds 1000–1029 are used by nothing else in the repository (the test tasks are seed 1,
validation seed 2, the other draws of reproduce_sinusoid.py seeds 100–129, training tasks spawned
streams). For example, MAML from seeds N = 1…4 against the shipped model (seed 0):

    python benchmarks/reproduce_sinusoid.py --methods maml --init-seed N --out /tmp/uN \\
        --weights-dir /tmp/uN
    python benchmarks/score_draws.py uniform=mamlkit/weights/maml.npz uniform=/tmp/u1/maml.npz … \\
        --out /tmp/draws.md

results/init_pilot.md and results/alpha_pilot.md were made this way (the second with ``--alpha
0.001`` in each training command); their "reference" rows are weights trained from the MAML code's
initialisation, which the reproduction script no longer offers.
"""
import argparse
import pathlib
import sys

import numpy as np

import machine
from bookkeeping import MAML_SINUSOID_5SHOT, mse_cell
from mamlkit import evaluate, tasks, zoo
from reproduce_sinusoid import EVAL, finetune_lr, heldout_curves

PAPER = MAML_SINUSOID_5SHOT["maml"]  # {steps: the paper's 5-shot MSE}
STEPS = tuple(PAPER)
FRESH = {"first_seed": 1000, "draws": 30}  # seeds used by nothing else in the repository


def score(path, n_tasks, seeds):
    """(per-draw means after 1, 5, 10 steps: array (draws, 3), number of runaway tasks, the file's
    info)."""
    path = pathlib.Path(path)
    model, theta, info = zoo.load(path.stem, directory=path.parent)
    means, runaways = [], 0
    for seed in seeds:
        curves = heldout_curves(model, theta, 5, n_tasks, seed, finetune_lr(info))
        means.append(curves[:, STEPS].mean(axis=0))
        runaways += len(evaluate.runaway(curves, tasks.Sinusoid().zero_error_bound))
    return np.array(means), runaways, info


def cells(means, runaways, n_tasks):
    """The (pairs meeting the paper, median draw, runaway tasks) cells of a table row."""
    meets = int(np.all(means <= np.array([PAPER[s] for s in STEPS]), axis=1).sum())
    median = " / ".join(mse_cell(v) for v in np.median(means, axis=0))
    return f"{meets} of {len(means)} | {median} | {runaways} of {len(means) * n_tasks}"


def tables(groups, n_tasks, seeds):
    """Markdown lines: one row per group (label: [weight files]), then one row per file."""
    target = " / ".join(f"{PAPER[s]:g}" for s in STEPS)
    columns = (f"(file, draw) pairs meeting all of {target} | median over draws after "
               f"{' / '.join(map(str, STEPS))} steps | runaway tasks |")
    by_group = [f"| training | weight files | {columns}", "|---|---|---|---|---|"]
    by_file = [f"| training | file: initialisation, seed, checkpoint, α | {columns}",
               "|---|---|---|---|---|"]
    for label, paths in groups.items():
        scored = [score(path, n_tasks, seeds) for path in paths]
        for path, (means, runaways, info) in zip(paths, scored):
            made = (f"{info['model'].get('init', 'uniform')}, seed {info['init_seed']}, "
                    f"{info['iterations']}, α = {finetune_lr(info):g}")
            by_file.append(f"| {label} | {pathlib.Path(path).name}: {made} | "
                           f"{cells(means, runaways, n_tasks)} |")
        means = np.concatenate([m for m, _, _ in scored])
        runaways = sum(r for _, r, _ in scored)
        by_group.append(f"| {label} | {len(paths)} | {cells(means, runaways, n_tasks)} |")
    return by_group + [""] + by_file


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights", nargs="+", metavar="LABEL=FILE.npz",
                        help="a weight file and its group's label")
    parser.add_argument("--draws", type=int, default=FRESH["draws"],
                        help=f"draws of 5-shot test tasks per file ({FRESH['draws']})")
    parser.add_argument("--first-seed", type=int, default=FRESH["first_seed"],
                        help=f"numpy seed of the first draw ({FRESH['first_seed']})")
    parser.add_argument("--n-tasks", type=int, default=EVAL["n_tasks"],
                        help="tasks per draw (600)")
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
    made = (f"Made by `benchmarks/score_draws.py` on "
            f"{machine.describe(('numpy', 'autograd'), 'end')}. Each file is scored after "
            f"{', '.join(map(str, STEPS))} plain steps of its own α (see the second table) on "
            f"{EVAL['k_query']} query points per task; a task runs away when its error after "
            f"{max(STEPS)} steps is above max A² = {tasks.Sinusoid().zero_error_bound:g}. ∞: a "
            "median of 10⁶ or more (the runaway tasks decide it).")
    header = [f"# MAML on {args.draws} draws of {args.n_tasks} 5-shot test tasks (seeds "
              f"{seeds[0]}–{seeds[-1]})", "", made, ""]
    print("\n".join(lines))
    if args.out:
        pathlib.Path(args.out).write_text("\n".join(header + lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
