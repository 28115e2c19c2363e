"""Reference answers of lesson 00's exercises (see mamlkit.exercises)."""
import numpy as np

from .. import zoo
from ..inner import adapt, inner_path
from ..models import MLP
from ..tasks import Sinusoid

X_CHECK = np.linspace(-5, 5, 11)  # where exercise 1 asks for the mean curve
X_GRID = np.linspace(-5, 5, 201)[:, None]  # where the lesson measures a curve's error


def narrow_mean_curve():
    """ȳ(x) = E[A] (2/π)(sin x − cos x) for ψ ~ U[0, π/2], the mean of A·sin(x − ψ)."""
    family = Sinusoid(phase=(0.0, np.pi / 2))
    return np.mean(family.amplitude) * 2 / np.pi * (np.sin(X_CHECK) - np.cos(X_CHECK))


def fixed_curve_errors():
    """(E[y²], E[y²] − E_x[ȳ(x)²]): the family-averaged error of predicting 0 and of ȳ(x), with
    E[y²] = E[A²]/2, ȳ(x) = −(2E[A]/π) cos x and E_x[cos² x] = ½ + sin(10)/20 on U[−5, 5]."""
    a, b = Sinusoid().amplitude
    mean_a, mean_a2 = (a + b) / 2, (b**3 - a**3) / (3 * (b - a))
    zero = mean_a2 / 2
    return zero, zero - (2 * mean_a / np.pi) ** 2 * (0.5 + np.sin(10) / 20)


def one_step(model, theta, support, lr):
    return adapt(model.loss, theta, support, lr, steps=1)


def fine_tune(model, theta, support, lr, steps):
    return adapt(model.loss, theta, support, lr, steps)


def cases(with_steps):
    """Two problems of lesson 00's network: fresh θ's and sinusoid support sets, two rates."""
    model, family = MLP((1, 40, 40, 1)), Sinusoid()
    made = []
    for seed, lr, steps in ((0, 0.01, 3), (1, 0.02, 1)):
        rng = np.random.default_rng(seed)
        args = (model, model.init(rng), family.sample(rng, k_support=5, k_query=1).train, lr)
        made.append(args + (steps,) if with_steps else args)
    return made


def steps_worth_one_maml_step():
    """The fewest plain steps after which the pretrained network's error on the grid is at most
    MAML's after one, on the task of the lesson's section 4 (A = 4, ψ = 0.5, 5 points, seed 2)."""
    support = Sinusoid().sample_points(np.random.default_rng(2), 4.0, 0.5, 5)
    truth = Sinusoid.curve(X_GRID[:, 0], 4.0, 0.5)

    def errors(name, steps):
        model, theta, _ = zoo.load(name)
        return np.array([np.mean((model.apply(phi, X_GRID)[:, 0] - truth) ** 2)
                         for phi in inner_path(model.loss, theta, support, 0.01, steps)])

    below = errors("pretrained", 500) <= errors("maml", 1)[1]
    assert below.any(), "the pretrained network never reaches MAML's one-step error"
    return int(np.argmax(below))


ANSWERS = {
    "mean curve of a narrower family": {"value": narrow_mean_curve, "rtol": 0.0, "atol": 0.05},
    "error of the zero curve and of the mean curve": {"value": fixed_curve_errors, "rtol": 1e-4},
    "one fine-tuning step": {"function": one_step, "cases": cases(with_steps=False)},
    "fine-tune": {"function": fine_tune, "cases": cases(with_steps=True)},
    "pretrained steps worth one MAML step": {"value": steps_worth_one_maml_step, "rtol": 0.0,
                                             "atol": 0.0},
}
