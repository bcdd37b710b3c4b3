"""Lesson 08 (regularization_and_overfitting): the checkers of its "Check yourself" exercises.

    check_best_lambda         9.1 (applied): refits the ridge polynomial at the learner's λ
    check_decay_groups        9.2 (applied): runs one step of the learner's optimizer, on a copy
    check_pull_shift          9.3 (predict, then check): how far add-α pulls a row with more data
    check_weight_decay        9.4: the weight_decay equal to λ · mean(w²)

Every checker returns a `helpers.checks.Verdict` and never raises on a learner's answer; each
hint is chosen by what the answer is (too small, too large, log10 λ, ...), so it fits the answer.
"""
from __future__ import annotations

import copy
import math

import numpy as np

from ... import checks, validate
from . import (LOG10_LAMBDAS, default_data, default_sweep, poly_mse, ridge_fit, shrinkage_weight,
               weight_decay_for_mean_penalty)

BEST_LAMBDA_TOLERANCE = 0.05  # a λ whose validation MSE is within 5 % of the grid's lowest is a good choice


def check_best_lambda(answer, degree: int = 9) -> checks.Verdict:
    """A λ for the degree-`degree` polynomial: judged by the validation MSE of the fit at that λ.

    Correct when that MSE is within BEST_LAMBDA_TOLERANCE (relative) of the lowest on the
    slider's grid, so 0.003 counts as well as the grid's 3.16e-03.
    """
    if checks.unanswered(answer):
        return checks.Verdict("unanswered", checks.NOT_ANSWERED)
    lam = checks.as_number(answer)  # [[1.0]] is one number too
    if lam is None or not math.isfinite(lam):
        return checks.Verdict("wrong", f"expected one finite number, λ itself; got {answer!r}")
    sweep = default_sweep(validate.whole_number(degree, "degree"))
    best_lam, best_val = sweep["best_lam"], sweep["best_val"]
    if lam < 0:
        if LOG10_LAMBDAS[0] - 0.5 <= lam <= LOG10_LAMBDAS[-1]:
            return checks.Verdict("wrong", f"{lam:g}. Hint: λ is positive; that looks like log10 λ, the slider's "
                                           f"value: λ = 10 ** {lam:g} = {10 ** lam:.3g}")
        return checks.Verdict("wrong", f"{lam:g}. Hint: λ is a penalty strength, a positive number")
    data = default_data()
    w = ridge_fit(data["x_train"], data["y_train"], degree, lam)
    train, val = poly_mse(w, data["x_train"], data["y_train"]), poly_mse(w, data["x_val"], data["y_val"])
    at = f"at λ = {lam:.3g} the training MSE is {train:.4f} and the validation MSE {val:.4f}"
    if val <= (1 + BEST_LAMBDA_TOLERANCE) * best_val:
        return checks.Verdict("correct", f"{at}, within {BEST_LAMBDA_TOLERANCE:.0%} of the lowest on the grid "
                                         f"({best_val:.4f} at λ = {best_lam:.2e})")
    if lam == 0:
        return checks.Verdict("wrong", f"{at}. Hint: λ = 0 is no penalty at all, the least-squares fit")
    if lam < best_lam:
        extra = (" You picked where the training MSE is lowest: the question asks where the validation MSE is."
                 if lam <= 10 ** LOG10_LAMBDAS[1] else "")
        return checks.Verdict("wrong", f"{at}. Hint: too small: the fit still follows the noise of the 12 "
                                       f"training points; look further right on the validation curve.{extra}")
    return checks.Verdict("wrong", f"{at}. Hint: too large: the penalty flattens the fit (underfitting); "
                                   "look further left on the validation curve")


def check_decay_groups(answer, layer) -> checks.Verdict:
    """An optimizer for `layer` that decays layer.weight and not layer.bias: one step is run on a copy."""
    import torch

    if checks.unanswered(answer):
        return checks.Verdict("unanswered", checks.NOT_ANSWERED)
    if not isinstance(answer, torch.optim.Optimizer):
        return checks.Verdict("wrong", f"expected a torch.optim optimizer built on layer's parameters; got "
                                       f"{type(answer).__name__}")
    places = {id(p): (g, k) for g, group in enumerate(answer.param_groups) for k, p in enumerate(group["params"])}
    missing = [name for name, p in layer.named_parameters() if id(p) not in places]
    if missing:
        return checks.Verdict("wrong", f"layer.{' and layer.'.join(missing)} is not in the optimizer, so it would "
                                       "never be trained. Hint: give every parameter of this layer a group "
                                       "(the bias one with weight_decay 0)")
    trial = copy.deepcopy(answer)  # its own copies of the parameters: the learner's layer stays as it is
    for group in trial.param_groups:
        for p in group["params"]:
            p.grad = torch.zeros_like(p)  # a zero loss: only weight decay can move a parameter
    (gw, kw), (gb, kb) = places[id(layer.weight)], places[id(layer.bias)]
    weight, bias = trial.param_groups[gw]["params"][kw], trial.param_groups[gb]["params"][kb]
    w0, b0 = weight.detach().clone(), bias.detach().clone()
    try:
        trial.step()
    except Exception as exc:  # a learner's optimizer may be set up wrongly; say so, never crash
        return checks.Verdict("wrong", f"one step of your optimizer failed: {type(exc).__name__}: {exc}")
    shrank = bool(torch.all((weight.detach() - w0) * w0 < 0))  # every weight moved toward 0
    bias_moved = not torch.equal(bias.detach(), b0)
    if shrank and not bias_moved:
        return checks.Verdict("correct", "one step with a zero loss moves every entry of layer.weight toward 0 "
                                         "and leaves layer.bias as it was")
    if shrank:
        return checks.Verdict("wrong", "the bias decayed too. Hint: put layer.bias in its own group with "
                                       "weight_decay 0")
    if bias_moved:
        return checks.Verdict("wrong", "the groups are swapped: the bias decays and the weight does not")
    return checks.Verdict("wrong", "nothing decayed. Hint: give layer.weight's group a weight_decay > 0 "
                                   "(and a learning rate > 0)")


def best_alpha(train_counts, val_counts, alphas) -> float:
    """The α of `alphas` whose add-α estimate of `train_counts` has the lowest validation NLL."""
    train = np.asarray(train_counts, dtype=np.float64)
    val = np.asarray(val_counts, dtype=np.float64)
    nlls = [-(val * np.log((train + a) / (train.sum(axis=1, keepdims=True) + train.shape[1] * a))).sum() / val.sum()
            for a in alphas]
    return float(alphas[int(np.argmin(nlls))])


def check_pull_shift(answer, few_counts, many_counts, row: int, alpha: float) -> checks.Verdict:
    """Prediction: with more training names and the same α, is one row pulled more, the same or less of the
    way to uniform? The checker computes the pull s = Vα / (N[row] + Vα) from both sets of counts."""
    few, many = (np.asarray(c, dtype=np.float64) for c in (few_counts, many_counts))
    s_few, s_many = (shrinkage_weight(c[row].sum(), alpha, c.shape[1]) for c in (few, many))
    expected = "less" if s_many < 0.9 * s_few else ("more" if s_many > 1.1 * s_few else "same")
    why_not = {"more": "α is a fixed number of pretend counts added to the row; against more real counts "
                       "they weigh less, not more",
               "same": "α adds the same pretend counts, but the row now holds many more real counts, so "
                       "the pretend ones weigh less",
               "less": "the row holds no more real counts than before; look at the printed counts"}
    why_not.pop(expected)
    return checks.check_choice(answer, expected, why_not=why_not, options=("more", "same", "less"))


def check_weight_decay(answer, lam: float, n_weights: int) -> checks.Verdict:
    """The torch.optim.SGD weight_decay equal to adding λ · mean(w²) to the loss."""
    mistakes = {"you dropped the 2 from the derivative of w²": lam / n_weights,
                "weight_decay=λ matches (λ/2)·Σw², not λ·mean(w²)": lam,
                "that matches λ·Σw² (a sum); the mean divides by the number of weights": 2 * lam}
    return checks.check_number(answer, weight_decay_for_mean_penalty(lam, n_weights), mistakes=mistakes,
                               hint="differentiate (λ/n)·Σw² with respect to one weight")
