"""Lesson 10, section 7: forward and reverse KL between a two-bump p and one Gaussian q, on a grid.

The notebook writes the same computation out (log densities, the KL as a sum over the grid, the
fit by gradient descent on (μ, log σ)); the widget and the tests use these.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch

from ... import checks


KL_X = np.linspace(-8.0, 8.0, 801)
KL_DX = float(KL_X[1] - KL_X[0])
MIX_WEIGHTS, MIX_MEANS, MIX_SD = (0.4, 0.6), (-2.0, 2.0), 0.6
KL_MU = np.linspace(-4.0, 4.0, 161)


def normal_log_density(x, mu, sigma):
    """log N(x; mu, sigma²), for numpy arrays or torch tensors."""
    log_sigma = torch.log(sigma) if isinstance(sigma, torch.Tensor) else np.log(sigma)
    return -0.5 * ((x - mu) / sigma) ** 2 - log_sigma - 0.5 * math.log(2 * math.pi)


def mixture_log_density(x, weights=MIX_WEIGHTS, means=MIX_MEANS, sd: float = MIX_SD):
    """log p(x) for p = Σ_k w_k N(m_k, sd²): the two bumps of section 7."""
    if not math.isclose(sum(weights), 1.0) or min(weights) <= 0 or not sd > 0:
        raise ValueError("weights must be > 0 and sum to 1, and sd must be > 0")
    parts = [math.log(w) + normal_log_density(x, m, sd) for w, m in zip(weights, means)]
    if isinstance(x, torch.Tensor):
        return torch.logsumexp(torch.stack(parts), dim=0)
    return np.logaddexp.reduce(np.stack(parts), axis=0)


def kl_on_grid(log_a, log_b, dx: float = KL_DX):
    """KL(a‖b) = ∫ a log(a / b) dx, as a sum over grid points (numpy or torch)."""
    a = log_a.exp() if isinstance(log_a, torch.Tensor) else np.exp(log_a)
    return (a * (log_a - log_b)).sum() * dx


def fit_gaussian(direction: str, mu0: float, steps: int = 120, lr: float = 0.5) -> tuple[float, float]:
    """The notebook's fit of N(mu, sigma²) to the mixture by gradient descent on (mu, log sigma)."""
    if direction not in ("forward", "reverse"):
        raise ValueError(f"direction must be 'forward' (KL(p‖q)) or 'reverse' (KL(q‖p)); got {direction!r}")
    x = torch.tensor(KL_X)
    log_p = mixture_log_density(x)
    mu = torch.tensor(float(mu0), dtype=torch.float64, requires_grad=True)
    log_sigma = torch.zeros((), dtype=torch.float64, requires_grad=True)
    for _ in range(steps):
        log_q = normal_log_density(x, mu, log_sigma.exp())
        loss = kl_on_grid(log_p, log_q) if direction == "forward" else kl_on_grid(log_q, log_p)
        mu.grad = log_sigma.grad = None
        loss.backward()
        with torch.no_grad():
            mu -= lr * mu.grad
            log_sigma -= lr * log_sigma.grad
    return mu.item(), log_sigma.exp().item()


@lru_cache(maxsize=64)
def _kl_curves(sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """KL(p‖q) and KL(q‖p) for q = N(μ, σ²) at every μ of KL_MU (cached: moving μ alone reuses them)."""
    log_p = mixture_log_density(KL_X)
    log_qs = normal_log_density(KL_X[None, :], KL_MU[:, None], sigma)     # [161, 801]
    forward = (np.exp(log_p) * (log_p - log_qs)).sum(-1) * KL_DX
    reverse = (np.exp(log_qs) * (log_qs - log_p)).sum(-1) * KL_DX
    return forward, reverse


def kl_fit(mu: float = 0.0, sigma: float = 1.0) -> dict:
    """The widget's numbers: p and q = N(mu, sigma²) on KL_X, both KLs, and both as curves over KL_MU."""
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0; got {sigma}")
    log_p = mixture_log_density(KL_X)
    log_q = normal_log_density(KL_X, mu, sigma)
    forward, reverse = _kl_curves(float(sigma))
    return {"mu": float(mu), "sigma": float(sigma), "x": KL_X, "p": np.exp(log_p), "q": np.exp(log_q),
            "forward": float(kl_on_grid(log_p, log_q)), "reverse": float(kl_on_grid(log_q, log_p)),
            "mu_grid": KL_MU, "forward_curve": forward, "reverse_curve": reverse}


# --- exercise (d): F.kl_div's argument order ----------------------------------------------------------

KL_DIV_SNIPPETS = {
    "a": "F.kl_div(log_p, q)",
    "b": "F.kl_div(log_q, p, reduction=\"batchmean\")",
    "c": "F.kl_div(log_p, q, reduction=\"batchmean\")",
    "d": "F.kl_div(p, q, reduction=\"batchmean\")",
}


def check_kl_div_call(answer) -> checks.Verdict:
    """Which call returns the mean over the batch of the reverse KL(q‖p), given p, q and their logs?"""
    why_not = {"a": "the direction is right, but the default reduction='mean' also divides by the number of "
                    "classes (torch warns)",
               "b": "that is the forward KL(p‖q), section 7's call: F.kl_div(input, target) computes "
                    "Σ target · (log target − input), so the distribution outside the log comes first in KL",
               "d": "the input must be log-probabilities; p itself gives a wrong number, with no error"}
    return checks.check_choice(answer, "c", why_not=why_not, options=KL_DIV_SNIPPETS)
