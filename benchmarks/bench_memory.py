"""Peak memory of one meta-gradient as the inner steps grow: MAML's grows linearly, iMAML's is flat.

MAML differentiates through the unrolled inner loop, so reverse mode keeps every step's
intermediate arrays until the backward pass; iMAML only needs the end point φ* and solves
(I + H/λ) g = ∇L_te by conjugate gradient with Hessian-vector products, so its memory does not
depend on the number of inner steps. FOMAML is shown too (no recorded path either). Measured with
``tracemalloc`` (numpy reports its array buffers to it): the peak of traced allocations during
one ``meta_value_and_gradient`` call on the batch of bench_meta_gradient.py (25 tasks, K = 10 +
10, 1-40-40-1 ReLU, run as one (T, d) stack), minus what was allocated before the call. Writes
benchmarks/results/memory.md (or ``--out``) and its table as memory.json ({column: [numbers]},
``bookkeeping.memory``).

    python benchmarks/bench_memory.py [--max-steps 20] [--out benchmarks/results]
"""
import argparse
import pathlib
import tracemalloc

import numpy as np

import bookkeeping
import machine
from bench_meta_gradient import IMAML, LR, PACKAGES, ROOT, setup
from mamlkit import meta_value_and_gradient

METHODS = {"maml": {}, "imaml": IMAML, "fomaml": {}}
NAMES = {"maml": "MAML", "imaml": "iMAML", "fomaml": "FOMAML"}


def peak_megabytes(call):
    """Peak traced memory (MB, 10⁶ bytes) allocated while ``call()`` runs, above what was in use
    before it."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        call()
        return (tracemalloc.get_traced_memory()[1] - before) / 1e6
    finally:
        tracemalloc.stop()


def measured(peaks):
    """The sentence that says what the table shows: MAML's growth per step (least squares) and the
    range of the other methods' peaks."""
    steps = np.arange(1, len(peaks["maml"]) + 1)
    slope, intercept = np.polyfit(steps, peaks["maml"], 1)
    residual = np.max(np.abs(peaks["maml"] - (slope * steps + intercept)))
    ranges = ", ".join(f"{NAMES[m]}'s from {min(p):.2f} to {max(p):.2f} MB"
                       for m, p in peaks.items() if m != "maml")
    return (f"Measured: MAML's peak grows by {slope:.2f} MB per inner step (a straight line within "
            f"{residual:.2f} MB); {ranges}.")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-steps", type=int, default=20)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    model, theta, task_list = setup()
    header = machine.describe(PACKAGES, "start")
    lines = ["# Peak memory of one meta-gradient against the number of inner steps", "",
             f"Made by `benchmarks/bench_memory.py --max-steps {args.max_steps}` on {header}.", "",
             "Peak traced memory (tracemalloc, MB = 10⁶ bytes) of one `meta_value_and_gradient` "
             f"call on a batch of 25 sinusoid tasks (K = 10 + 10, MLP 1-40-40-1 ReLU, α = {LR}; "
             f"iMAML λ = {IMAML['lam']:g}, {IMAML['cg_steps']} CG steps), the batch run as one "
             "(T, d) stack. Expected: MAML's grows linearly with the steps (reverse mode stores "
             "the whole inner path); iMAML's and FOMAML's stay flat.", "",
             "| inner steps | MAML peak (MB) | iMAML peak (MB) | FOMAML peak (MB) |",
             "|---|---|---|---|"]
    print(header)
    peaks = {method: [] for method in METHODS}
    for steps in range(1, args.max_steps + 1):
        for method, hyper in METHODS.items():
            peaks[method].append(peak_megabytes(lambda m=method, h=hyper: meta_value_and_gradient(
                m, model.loss, theta, task_list, lr=LR, steps=steps, **h)))
        lines.append(f"| {steps} | " + " | ".join(f"{p[-1]:.2f}" for p in peaks.values()) + " |")
        print(lines[-1], flush=True)
    lines += ["", measured(peaks)]
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    page = "\n".join(lines) + "\n"
    (out / "memory.md").write_text(page)
    bookkeeping.write_json(out / "memory.json", bookkeeping.memory(page))
    print(f"wrote {out / 'memory.md'} and {out / 'memory.json'}")


if __name__ == "__main__":
    main()
