"""Meta-gradients: MAML, FOMAML, Reptile, iMAML (and pretraining) against finite differences,
closed forms and their identities; conjugate gradient and its positive-definiteness guard; the batch
functions meta_gradient / meta_value_and_gradient against the same quantities computed by hand."""
import autograd
import autograd.numpy
import numpy as np
import pytest

import mamlkit as mk
from mamlkit import Task, models, tasks
from mamlkit.spectrum import extreme_eigenvalues

STEPS = (0, 1, 4)


def query_loss_after_adaptation(problem, steps):
    """θ ↦ L_te(U^k(θ; D_tr)), the function whose gradient MAML is."""
    loss, (train, test), lr = problem.loss, problem.task, problem.lr
    return lambda t: loss(mk.adapt(loss, t, train, lr, steps), test)


def descend(loss, theta, data, lr, steps, lam=0.0):
    """φᵏ by k steps φ ← φ − α (∇L(φ) + λ (φ − θ)), written with autograd.grad (not inner_loop)."""
    grad, phi = autograd.grad(loss), theta
    for _ in range(steps):
        phi = phi - lr * (grad(phi, data) + lam * (phi - theta))
    return phi


# -------------------------------------------------------------------------------------------------
# MAML and FOMAML


@pytest.mark.parametrize("steps", STEPS)
def test_maml_grad_matches_finite_differences(problem, fd, steps):
    """maml_grad · v equals the central difference of θ ↦ L_te(U^k(θ)) along v."""
    grad = mk.maml_grad(problem.loss, problem.theta, problem.task, problem.lr, steps)
    directions = fd.directions(problem.theta.size)
    numeric = fd.diff(query_loss_after_adaptation(problem, steps), problem.theta, directions)
    assert fd.rel(directions @ grad, numeric) < 1e-6


@pytest.mark.parametrize("steps", STEPS)
def test_fomaml_grad_is_query_gradient_at_adapted_point(problem, fd, steps):
    """fomaml_grad · v equals the central difference of φ ↦ L_te(φ) at φ = U^k(θ)."""
    loss, (train, test), lr = problem.loss, problem.task, problem.lr
    grad = mk.fomaml_grad(loss, problem.theta, problem.task, lr, steps)
    phi = mk.adapt(loss, problem.theta, train, lr, steps)
    directions = fd.directions(problem.theta.size)
    numeric = fd.diff(lambda p: loss(p, test), phi, directions)
    assert fd.rel(directions @ grad, numeric) < 1e-6


@pytest.mark.parametrize("steps", STEPS)
def test_maml_is_adaptation_jacobian_transpose_times_fomaml(problem, steps):
    """∇_θ L_te(U^k(θ)) = (dU^k/dθ)ᵀ ∇L_te(φᵏ): the chain rule through the inner loop."""
    loss, lr, theta, task = problem.loss, problem.lr, problem.theta, problem.task
    jac = mk.adaptation_jacobian(loss, theta, task.train, lr, steps)
    first_order = mk.fomaml_grad(loss, theta, task, lr, steps)
    np.testing.assert_allclose(mk.maml_grad(loss, theta, task, lr, steps), jac.T @ first_order,
                               rtol=1e-9, atol=1e-12)


def test_zero_steps_maml_and_fomaml_are_the_query_gradient_at_theta(problem, fd):
    loss, test = problem.loss, problem.task.test
    directions = fd.directions(problem.theta.size)
    numeric = fd.diff(lambda t: loss(t, test), problem.theta, directions)
    maml = mk.maml_grad(loss, problem.theta, problem.task, problem.lr, steps=0)
    fomaml = mk.fomaml_grad(loss, problem.theta, problem.task, problem.lr, steps=0)
    np.testing.assert_allclose(maml, fomaml, rtol=1e-14, atol=0)
    assert fd.rel(directions @ maml, numeric) < 1e-7


def linear_loss(theta, data):
    """L(θ; x, y) = mean_j y_j (x_j · θ): linear in θ, so its Hessian is zero."""
    x, y = data
    return autograd.numpy.mean(y * (x @ theta))


@pytest.mark.parametrize("steps", STEPS)
def test_fomaml_equals_maml_on_a_linear_loss(steps):
    """FOMAML = MAML without curvature: with H = 0 every factor I − αH is I, so the first-order
    gradient is exact, mean_j y_j x_j of the query set."""
    rng = np.random.default_rng(0)
    task = Task((rng.normal(size=(6, 3)), rng.normal(size=6)),
                (rng.normal(size=(4, 3)), rng.normal(size=4)))
    theta = rng.normal(size=3)
    maml = mk.maml_grad(linear_loss, theta, task, 0.3, steps)
    fomaml = mk.fomaml_grad(linear_loss, theta, task, 0.3, steps)
    x_te, y_te = task.test
    np.testing.assert_allclose(maml, fomaml, rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(maml, np.mean(y_te[:, None] * x_te, axis=0), rtol=1e-14)


@pytest.mark.parametrize("steps", (2, 4))
def test_article_error_3_k_step_maml_uses_the_ordered_product_along_the_path(problem, steps):
    """The article's MAML gradient uses (I − αH(θ))^k for k inner steps, the Hessian at the START
    point only. The correct Jacobian is the ordered product (I − αH(φᵏ⁻¹)) ··· (I − αH(φ⁰)) along
    the inner path. On a non-quadratic loss the two differ, and exact MAML matches the ordered
    product."""
    loss, train, lr, theta = problem.loss, problem.task.train, problem.lr, problem.theta
    ordered = mk.adaptation_jacobian(loss, theta, train, lr, steps)
    eye = np.eye(theta.size)
    # the ordered product written out from the inner path, independently of adaptation_jacobian
    path = mk.inner_path(loss, theta, train, lr, steps)
    product = eye
    for phi in path[:-1]:
        product = (eye - lr * autograd.hessian(loss)(phi, train)) @ product
    np.testing.assert_allclose(ordered, product, rtol=1e-10, atol=1e-12)
    article = np.linalg.matrix_power(eye - lr * mk.hessian(loss, theta, train), steps)
    assert np.linalg.norm(ordered - article) > 1e-2 * np.linalg.norm(ordered)

    first_order = mk.fomaml_grad(loss, theta, problem.task, lr, steps)
    maml = mk.maml_grad(loss, theta, problem.task, lr, steps)
    np.testing.assert_allclose(maml, ordered.T @ first_order, rtol=1e-9, atol=1e-12)
    assert np.linalg.norm(maml - article.T @ first_order) > 1e-2 * np.linalg.norm(maml)


# -------------------------------------------------------------------------------------------------
# Pretraining and Reptile


def joined(task):
    """Support and query (x, y) sets stacked: all of the task's data."""
    (x_tr, y_tr), (x_te, y_te) = task
    return np.concatenate([x_tr, x_te]), np.concatenate([y_tr, y_te])


@pytest.mark.parametrize("name", ["softplus", "mlp_tanh"])
def test_pretrain_grad_is_the_gradient_on_all_of_the_task_data(name, problems, fd):
    problem = problems[name]
    data = joined(problem.task)
    directions = fd.directions(problem.theta.size)
    numeric = fd.diff(lambda t: problem.loss(t, data), problem.theta, directions)
    grad = mk.pretrain_grad(problem.loss, problem.theta, problem.task)
    assert fd.rel(directions @ grad, numeric) < 1e-7


@pytest.mark.parametrize("name", ["softplus", "mlp_tanh", "mlp_relu"])
@pytest.mark.parametrize("steps", STEPS)
def test_reptile_grad_is_theta_minus_adapted_on_all_data(name, problems, steps):
    loss, theta, task, lr = problems[name]
    expected = theta - mk.adapt(loss, theta, joined(task), lr, steps)
    np.testing.assert_allclose(mk.reptile_grad(loss, theta, task, lr, steps), expected,
                               rtol=1e-12, atol=1e-15)


def test_reptile_one_step_is_lr_times_the_plain_gradient(problem, fd):
    """k = 1: θ − U(θ) = α ∇L(θ; D), joint training: on a Task it is α · pretrain_grad, on plain
    data α ∇L by finite differences."""
    loss, theta, lr = problem.loss, problem.theta, problem.lr
    np.testing.assert_allclose(mk.reptile_grad(loss, theta, problem.task, lr, 1),
                               lr * mk.pretrain_grad(loss, theta, problem.task),
                               rtol=1e-12, atol=1e-15)
    data = problem.task.train
    directions = fd.directions(theta.size)
    numeric = fd.diff(lambda t: loss(t, data), theta, directions)
    assert fd.rel(directions @ mk.reptile_grad(loss, theta, data, lr, 1), lr * numeric) < 1e-7


def test_toy_task_with_the_same_support_and_query_counts_its_data_once():
    """SoftplusLine.task uses one data set as support and query: Reptile and pretraining see it
    once, not twice (a summed loss over duplicated points would double the step)."""
    line = tasks.SoftplusLine(0.5, 0.05, n=25)
    theta = np.array([0.3, 0.85])
    grad = autograd.grad(line.loss)(theta, line.data)
    np.testing.assert_allclose(mk.pretrain_grad(line.loss, theta, line.task), grad, rtol=1e-12)
    np.testing.assert_allclose(mk.reptile_grad(line.loss, theta, line.task, 0.015, 1), 0.015 * grad,
                               rtol=1e-12)
    quad = tasks.Quadratic()  # data (C, g) is a pair but not (x, y): it must not be concatenated
    np.testing.assert_allclose(mk.pretrain_grad(quad.loss, theta, quad.task),
                               quad.C @ (theta - 0.5) + quad.g, rtol=1e-12)


# -------------------------------------------------------------------------------------------------
# iMAML and conjugate gradient

LAM = 15.0  # above −λ_min(H_train) for every problem, so I + H/λ is positive definite


@pytest.mark.parametrize("steps", (0, 1, 5))
def test_imaml_grad_matches_dense_solve(problem, steps):
    """(I + H_tr(φ*)/λ) g = ∇L_te(φ*), solved densely, with φ* from proximal_adapt and enough CG
    steps."""
    loss, (train, test), lr = problem.loss, problem.task, problem.lr
    phi = mk.proximal_adapt(loss, problem.theta, train, lr, steps, LAM)
    d = problem.theta.size
    system = np.eye(d) + mk.hessian(loss, phi, train) / LAM
    expected = np.linalg.solve(system, autograd.grad(loss)(phi, test))
    got = mk.imaml_grad(loss, problem.theta, problem.task, lr, steps, LAM, cg_steps=min(d, 40))
    np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-10)


def test_proximal_adapt_follows_the_regularised_gradient(problem, fd):
    """One step: φ = θ − α(∇L(θ) + λ(θ − θ)) = θ − α∇L(θ); two steps add the pull λ(φ − θ)."""
    loss, train, lr = problem.loss, problem.task.train, problem.lr
    theta = problem.theta
    eye = np.eye(theta.size)

    def grad(t):
        return fd.diff(lambda s: loss(s, train), t, eye)

    phi1 = theta - lr * grad(theta)
    phi2 = phi1 - lr * (grad(phi1) + LAM * (phi1 - theta))
    assert fd.rel(mk.proximal_adapt(loss, theta, train, lr, 2, LAM), phi2) < 1e-8


QUAD_TRAIN = tasks.Quadratic(a=0.5, b=-0.1, c=0.3, g=(0.1, -0.1))
QUAD_TEST = tasks.Quadratic(a=0.8, b=0.2, c=0.4, g=(-0.3, 0.2))
QUAD_TASK = Task(QUAD_TRAIN.data, QUAD_TEST.data)
QUAD_THETA = np.array([0.3, 0.1])


def quadratic_proximal_point(lam):
    """φ* = argmin ½(φ−½)ᵀC(φ−½) + gᵀφ + λ/2‖φ−θ‖² = (C + λI)⁻¹(λθ + C·½ − g)."""
    C, g = QUAD_TRAIN.data
    return np.linalg.solve(C + lam * np.eye(2), lam * QUAD_THETA + C @ np.full(2, 0.5) - g)


def test_imaml_on_a_quadratic_inner_loss_equals_the_closed_form():
    """Many inner steps reach φ* = (C + λI)⁻¹(λθ + C·½ − g); then g = (I + C/λ)⁻¹ ∇L_te(φ*)."""
    lam, lr, steps = 2.0, 0.4, 80
    phi_star = quadratic_proximal_point(lam)
    adapted = mk.proximal_adapt(QUAD_TRAIN.loss, QUAD_THETA, QUAD_TRAIN.data, lr, steps, lam)
    np.testing.assert_allclose(adapted, phi_star, rtol=1e-12)
    C_te, g_te = QUAD_TEST.data
    expected = np.linalg.solve(np.eye(2) + QUAD_TRAIN.C / lam, C_te @ (phi_star - 0.5) + g_te)
    got = mk.imaml_grad(QUAD_TRAIN.loss, QUAD_THETA, QUAD_TASK, lr, steps, lam, cg_steps=2)
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_article_error_4_imaml_solves_with_the_test_gradient():
    """The article's iMAML text puts the TRAIN gradient on the right-hand side of
    (I + H_tr/λ) g = ∇L. It must be the test (query) gradient: with train ≠ test the result equals
    the solve with ∇L_te(φ*) and differs from the solve with ∇L_tr(φ*)."""
    lam, lr, steps = 2.0, 0.4, 80
    phi_star = quadratic_proximal_point(lam)
    system = np.eye(2) + QUAD_TRAIN.C / lam
    with_test = np.linalg.solve(system, QUAD_TEST.C @ (phi_star - 0.5) + QUAD_TEST.g)
    with_train = np.linalg.solve(system, QUAD_TRAIN.C @ (phi_star - 0.5) + QUAD_TRAIN.g)
    assert np.linalg.norm(with_test - with_train) > 0.1 * np.linalg.norm(with_test)
    got = mk.imaml_grad(QUAD_TRAIN.loss, QUAD_THETA, QUAD_TASK, lr, steps, lam, cg_steps=2)
    np.testing.assert_allclose(got, with_test, rtol=1e-10)
    assert np.linalg.norm(got - with_train) > 0.1 * np.linalg.norm(got)


def test_conjugate_gradient_matches_numpy_solve():
    rng = np.random.default_rng(0)
    M = rng.normal(size=(6, 6))
    A = M @ M.T + 0.5 * np.eye(6)
    b = rng.normal(size=6)
    x = mk.conjugate_gradient(lambda v: A @ v, b, steps=6)
    np.testing.assert_allclose(x, np.linalg.solve(A, b), rtol=1e-9)
    # fewer steps than d: an approximation that is not yet the solution
    two = mk.conjugate_gradient(lambda v: A @ v, b, steps=2)
    assert np.linalg.norm(two - np.linalg.solve(A, b)) > 1e-6


def test_conjugate_gradient_of_zero_right_hand_side_is_zero():
    np.testing.assert_array_equal(mk.conjugate_gradient(lambda v: 2 * v, np.zeros(3), steps=3),
                                  np.zeros(3))


def test_conjugate_gradient_refuses_an_indefinite_system():
    A = np.diag([1.0, -2.0, 3.0])
    with pytest.raises(mk.NotPositiveDefiniteError, match="not positive definite"):
        mk.conjugate_gradient(lambda v: A @ v, np.ones(3), steps=3)
    assert issubclass(mk.NotPositiveDefiniteError, ValueError)


def test_conjugate_gradient_refuses_a_direction_of_zero_curvature():
    """pᵀAp = 0 exactly is refused too (the step rr / pᵀAp would be infinite), not only pᵀAp < 0."""
    A = np.diag([0.0, 2.0])
    with pytest.raises(mk.NotPositiveDefiniteError):
        mk.conjugate_gradient(lambda v: A @ v, np.array([1.0, 0.0]), steps=2)


def test_imaml_refuses_lambda_below_minus_the_smallest_hessian_eigenvalue(problems):
    """At a hill of the bumps the train Hessian is negative definite: I + H/λ is positive definite
    only when λ > −λ_min(H). Just below it iMAML raises; just above it, it matches the dense
    solve."""
    loss, theta, task, lr = problems["bumps"]
    H = mk.hessian(loss, theta, task.train)  # steps = 0: φ* = θ
    threshold = -np.linalg.eigvalsh(H)[0]
    assert threshold > 0
    with pytest.raises(mk.NotPositiveDefiniteError, match="λ"):
        mk.imaml_grad(loss, theta, task, lr, 0, 0.9 * threshold, cg_steps=5)
    lam = 1.1 * threshold
    expected = np.linalg.solve(np.eye(2) + H / lam, autograd.grad(loss)(theta, task.test))
    np.testing.assert_allclose(mk.imaml_grad(loss, theta, task, lr, 0, lam, cg_steps=5), expected,
                               rtol=1e-9)


# -------------------------------------------------------------------------------------------------
# The positive-definiteness guard: pᵀAp ≤ 0 proves that A is indefinite; its absence proves nothing

GUARD_SEEDS = range(10)


def imaml_system(seed, factor, activation="tanh"):
    """iMAML's system at steps = 0 (φ* = θ) on a 1-8-8-1 MLP's sinusoid task: the problem, λ =
    factor · (−λ_min(H_tr)), A = I + H_tr/λ and b = ∇L_te(θ). factor < 1: A is indefinite."""
    model = models.MLP((1, 8, 8, 1), activation)
    rng = np.random.default_rng(seed)
    theta, task = model.init(rng), tasks.Sinusoid().sample(rng, 10, 10)
    H = mk.hessian(model.loss, theta, task.train)
    lam = factor * -np.linalg.eigvalsh(H)[0]
    assert lam > 0
    A = np.eye(theta.size) + H / lam
    return model, theta, task, lam, A, autograd.grad(model.loss)(theta, task.test)


def first_refusal(A, b, most):
    """The least number of CG steps k ≤ ``most`` at which conjugate_gradient raises, else None."""
    for k in range(1, most + 1):
        try:
            mk.conjugate_gradient(lambda v: A @ v, b, k)
        except mk.NotPositiveDefiniteError:
            return k
    return None


def first_indefinite_krylov_space(A, b, most):
    """The least k ≤ ``most`` for which A restricted to span{b, Ab, …, A^(k−1) b} has an eigenvalue
    ≤ 0 (its smallest Ritz value, by Lanczos with full reorthogonalisation), else None."""
    basis = [b / np.linalg.norm(b)]
    for k in range(1, most + 1):
        Q = np.array(basis).T
        if np.linalg.eigvalsh(Q.T @ A @ Q)[0] <= 0:
            return k
        w = A @ basis[-1]
        for _ in range(2):
            w = w - Q @ (Q.T @ w)
        basis.append(w / np.linalg.norm(w))
    return None


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_the_guard_fires_once_the_krylov_space_holds_a_direction_of_negative_curvature(activation):
    """CG's k-th direction p has pᵀAp ≤ 0 exactly when A restricted to the k-dimensional Krylov
    space of b is not positive definite. So after k steps the guard has detected indefiniteness if
    and only if A is indefinite on that space: at λ = 0.98 · (−λ_min(H)), 20 steps always get
    there, the default 5 steps usually do not."""
    refusals = []
    for seed in GUARD_SEEDS:
        *_, A, b = imaml_system(seed, 0.98, activation)
        refusal = first_refusal(A, b, 20)
        assert refusal is not None and refusal == first_indefinite_krylov_space(A, b, 20)
        refusals.append(refusal)
    assert max(refusals) > 5


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_imaml_with_few_cg_steps_can_miss_a_slightly_indefinite_system(activation):
    """The guard is a proof of indefiniteness only: with cg_steps = 5 most slightly indefinite
    systems (λ = 0.98 · (−λ_min)) pass without an error and give a finite, meaningless gradient,
    although Lanczos (spectrum.extreme_eigenvalues, which="SA") shows λ_min(H) < −λ; with 20 steps
    each raises."""
    missed = 0
    for seed in GUARD_SEEDS:
        model, theta, task, lam, A, b = imaml_system(seed, 0.98, activation)
        smallest = extreme_eigenvalues(model.loss, theta, task.train, k=1, which="SA")[0]
        assert 1 + smallest / lam < 0  # A = I + H/λ has a negative eigenvalue
        with pytest.raises(mk.NotPositiveDefiniteError):
            mk.imaml_grad(model.loss, theta, task, 0.01, 0, lam, cg_steps=20)
        try:
            grad = mk.imaml_grad(model.loss, theta, task, 0.01, 0, lam, cg_steps=5)
        except mk.NotPositiveDefiniteError:
            continue
        assert np.all(np.isfinite(grad))
        missed += 1
    assert missed >= len(GUARD_SEEDS) // 2


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_the_guard_never_fires_on_a_positive_definite_system(activation):
    """Just above the threshold (λ = 1.02 · (−λ_min), A's smallest eigenvalue about 0.02) every
    direction has pᵀAp > 0, so even d = 97 CG steps raise nothing: an error is a proof."""
    for seed in GUARD_SEEDS:
        model, theta, task, lam, A, b = imaml_system(seed, 1.02, activation)
        assert np.linalg.eigvalsh(A)[0] > 0
        mk.conjugate_gradient(lambda v: A @ v, b, theta.size)
        mk.imaml_grad(model.loss, theta, task, 0.01, 0, lam, cg_steps=theta.size)


# -------------------------------------------------------------------------------------------------
# A batch of tasks

SINE_MLP = models.MLP((1, 8, 8, 1), "tanh")
SINE_THETA = SINE_MLP.init(np.random.default_rng(5))
SINE_TASKS = tasks.Sinusoid().sample_batch(np.random.default_rng(6), 3, 5, 5)
LINE_TASKS = [Task(tasks.SoftplusLine(a, b, seed=s).data,
                   tasks.SoftplusLine(a, b, seed=s + 10).data)
              for s, (a, b) in enumerate([(0.3, 0.05), (0.83, 0.75), (0.5, 0.2)])]
# (loss, θ, tasks): an MLP's own loss is vectorised, so meta_value_and_gradient runs the batch at
# once; the softplus loss is not, so it runs task by task.
BATCHES = {"mlp": (SINE_MLP.loss, SINE_THETA, SINE_TASKS),
           "softplus": (tasks.softplus_line_loss, np.array([0.35, 0.55]), LINE_TASKS)}
LR = 0.05
HYPER = {"pretrain": {}, "maml": {"lr": LR, "steps": 2}, "fomaml": {"lr": LR, "steps": 2},
         "reptile": {"lr": LR, "steps": 3},
         "imaml": {"lr": LR, "steps": 3, "lam": LAM, "cg_steps": 40}}


def by_hand(method, loss, theta, task):
    """(the loss the method reports, its meta-gradient) on one task, from the formulas written out
    with autograd.grad, ``descend`` and a dense solve: none of mamlkit's meta-gradient code."""
    train, test = task
    grad = autograd.grad(loss)
    if method == "pretrain":
        return loss(theta, joined(task)), grad(theta, joined(task))
    if method == "maml":
        def query_loss(t):
            return loss(descend(loss, t, train, LR, 2), test)
        return query_loss(theta), autograd.grad(query_loss)(theta)
    if method == "fomaml":
        phi = descend(loss, theta, train, LR, 2)
        return loss(phi, test), grad(phi, test)
    if method == "reptile":
        phi = descend(loss, theta, joined(task), LR, 3)
        return loss(phi, joined(task)), theta - phi
    phi = descend(loss, theta, train, LR, 3, LAM)
    system = np.eye(theta.size) + autograd.hessian(loss)(phi, train) / LAM
    return loss(phi, test), np.linalg.solve(system, grad(phi, test))


@pytest.mark.parametrize("batch", sorted(BATCHES))
@pytest.mark.parametrize("method", sorted(HYPER))
def test_meta_value_and_gradient_is_the_mean_over_tasks(method, batch, plain_mse):
    """(1/T) Σ_i (L_i, g_i) with every L_i and g_i computed by hand; for the MLP by hand also means
    through a plain-autograd MSE of MLP.apply instead of the hand-written backward pass."""
    loss, theta, task_list = BATCHES[batch]
    reference = plain_mse(SINE_MLP) if batch == "mlp" else loss
    values, grads = zip(*(by_hand(method, reference, theta, task) for task in task_list))
    value, grad = mk.meta_value_and_gradient(method, loss, theta, task_list, **HYPER[method])
    assert value == pytest.approx(np.mean(values), rel=1e-12)
    np.testing.assert_allclose(grad, np.mean(grads, axis=0), rtol=1e-8, atol=1e-12)
    np.testing.assert_array_equal(mk.meta_gradient(method, loss, theta, task_list, **HYPER[method]),
                                  grad)
    # the tasks differ, so the mean is not any single task's gradient
    assert min(np.linalg.norm(grad - g) for g in grads) > 1e-6


def test_meta_gradient_accepts_any_iterable_of_tasks():
    expected = mk.meta_gradient("maml", SINE_MLP.loss, SINE_THETA, SINE_TASKS, **HYPER["maml"])
    np.testing.assert_allclose(mk.meta_gradient("maml", SINE_MLP.loss, SINE_THETA, iter(SINE_TASKS),
                                                **HYPER["maml"]), expected, rtol=1e-12)


def test_unknown_method_lists_the_valid_ones():
    with pytest.raises(ValueError, match="method") as info:
        mk.meta_gradient("mamll", SINE_MLP.loss, SINE_THETA, SINE_TASKS, lr=LR)
    for name in ("pretrain", "maml", "fomaml", "reptile", "imaml"):
        assert repr(name) in str(info.value)


@pytest.mark.parametrize("function", [mk.meta_gradient, mk.meta_value_and_gradient])
def test_empty_task_list_is_refused(function):
    with pytest.raises(ValueError, match="tasks"):
        function("maml", SINE_MLP.loss, SINE_THETA, [], lr=LR, steps=1)
