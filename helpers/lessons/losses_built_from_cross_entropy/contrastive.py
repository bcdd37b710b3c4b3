"""Lesson 11, exercise (b): SimCLR's NT-Xent loss, its usual slips and the checker that runs a learner's version.

Section 2 of the lesson writes CLIP's loss out; NT-Xent puts both views of every pair in one table,
so the learner has to work out what changes (which entries are candidates, which is the target).
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ... import checks, losses, validate


def _unit_rows(x: np.ndarray, axis: int = 1) -> np.ndarray:
    return x / np.linalg.norm(x, axis=axis, keepdims=True)


def _views(u, v) -> np.ndarray:
    return np.concatenate([validate.as_array(u, "u"), validate.as_array(v, "v")])   # [2B, d]


def _nt_xent_from_logits(logits: np.ndarray, diagonal: float | None = None, rows: int | None = None,
                         reduce=np.mean) -> float:
    """NT-Xent from a [2B, 2B] table: view i's partner is i + B (and i + B's is i).

    diagonal=None leaves each view out of its own row (the right loss); a number puts it in, with
    that logit (a slip). `rows` keeps only the first rows (a slip); `reduce` is the mean (or a slip).
    """
    n2 = len(logits)
    b = n2 // 2
    partner = np.concatenate([np.arange(b, n2), np.arange(b)])
    if diagonal is None:   # drop the diagonal: row i keeps its 2B - 1 others; columns after i move left by one
        table = logits[~np.eye(n2, dtype=bool)].reshape(n2, n2 - 1)
        partner = partner - (partner > np.arange(n2))
    else:
        table = logits.copy()
        np.fill_diagonal(table, diagonal)
    per_view = -losses.log_softmax(table)[np.arange(n2), partner]   # [2B]
    return float(reduce(per_view[:rows]))


def nt_xent(u, v, tau: float) -> float:
    """SimCLR's NT-Xent loss of u, v [B, d]: all 2B views in one table of cosine similarities / τ,
    each view's partner its other view, the other 2(B − 1) views its negatives, never itself."""
    z = _unit_rows(_views(u, v))
    return _nt_xent_from_logits(z @ z.T / tau)


def nt_xent_mistakes(u, v, tau: float) -> dict[str, float]:
    """What the usual slips give for NT-Xent of u, v [B, d] at temperature tau."""
    raw = _views(u, v)
    z = _unit_rows(raw)
    cos = z @ z.T
    b = len(raw) // 2
    return {
        "each view is compared with itself: its own similarity (1, the largest) competes with its partner. "
        "Leave the diagonal of the [2B, 2B] table out of the softmax: set it to -inf (masked_fill)":
            _nt_xent_from_logits(cos / tau, diagonal=cos[0, 0] / tau),
        "a diagonal set to 0 is still a candidate (a logit of 0); it must be -inf to drop out of the softmax":
            _nt_xent_from_logits(cos / tau, diagonal=0.0),
        "scale the rows to length 1 first (F.normalize(..., dim=-1)): the logits are cosine similarities / τ":
            _nt_xent_from_logits(raw @ raw.T / tau),
        "you forgot to divide the similarities by τ": _nt_xent_from_logits(cos),
        "divide by τ, do not multiply": _nt_xent_from_logits(cos * tau),
        "that is CLIP's loss (each u against the B v's, and back); NT-Xent puts all 2B views in one table, "
        "so each view has 2(B − 1) negatives": losses.clip_loss(raw[:b], raw[b:], tau),
        "only the u views are rows there; every one of the 2B views is a row (each v finds its u too)":
            _nt_xent_from_logits(cos / tau, rows=b),
        "that is a sum over the 2B views; the loss is the mean": _nt_xent_from_logits(cos / tau, reduce=np.sum),
        "row i's target there is column i, the view itself (CLIP's targets on a [2B, 2B] table): view i's "
        "partner is view i + B, and the diagonal must not be a candidate at all": _self_target(cos / tau),
    }


def _self_target(logits: np.ndarray) -> float:
    """The slip that keeps CLIP's targets arange(2B) on the unmasked [2B, 2B] table."""
    return float(-np.diag(losses.log_softmax(logits)).mean())


def _loss_cases(u, v, tau: float) -> list[tuple]:
    g = torch.Generator().manual_seed(11)
    cases = [(torch.as_tensor(validate.as_array(u, "u")), torch.as_tensor(validate.as_array(v, "v")), float(tau))]
    for (n, d), t in [((5, 3), 0.5), ((3, 4), 0.07), ((8, 8), 2.0)]:
        cases.append((3 * torch.randn(n, d, generator=g, dtype=torch.float64) + 1,
                      torch.randn(n, d, generator=g, dtype=torch.float64), t))
    return cases


def check_nt_xent(fn, u, v, tau: float) -> checks.Verdict:
    """Applied: run the learner's my_nt_xent(u, v, tau) on the lesson's batch and three more; compare to 1e-6."""
    if checks.unanswered(fn):
        return checks.Verdict("unanswered", checks.NOT_ANSWERED)
    cases = _loss_cases(u, v, tau)
    on_lesson = nt_xent(*cases[0])
    for k, (a, b, t) in enumerate(cases):
        where = "the lesson's validation batch" if k == 0 else f"test batch {k}"
        try:
            got = fn(a.clone(), b.clone(), t)
        except NotImplementedError:
            return checks.Verdict("unanswered", "your function still raises NotImplementedError; fill it in")
        except Exception as exc:  # a learner's bug is feedback, not a crash
            hint = (" Hint: if you cut the diagonal out, the columns after i move left by one, and so do the "
                    "targets that point past it" if "out of bounds" in str(exc) else "")
            return checks.Verdict("wrong", f"your function raised {type(exc).__name__}: {exc}.{hint}")
        if checks.unanswered(got):
            return checks.Verdict("unanswered", "your function returns nothing yet")
        value = checks.as_number(got)
        if value is not None and (math.isinf(value) or abs(value) > 1e6):   # -inf or a huge stand-in for it
            return checks.Verdict("wrong", f"your loss is {value} on {where}: some row's target is an entry you "
                                           "masked out. View i's partner is i + B, and view i + B's is i")
        if value is None or math.isnan(value):
            return checks.Verdict("wrong", f"return one number (the mean loss); got {type(got).__name__} "
                                           f"of shape {list(np.shape(got))}")
        want = on_lesson if k == 0 else nt_xent(a, b, t)
        if abs(value - want) <= 1e-6:
            continue
        for why, wrong in nt_xent_mistakes(a, b, t).items():
            if abs(value - wrong) <= 1e-6:
                return checks.Verdict("wrong", f"{value:.4f} on {where}. Hint: {why}")
        return checks.Verdict("wrong", f"{value:.4f} on {where}, expected {want:.4f}. Hint: go back to the three "
                                       "questions: what shape is the table, which entry is row i's target, and how "
                                       "does a view stay out of its own row?")
    return checks.Verdict("correct", f"matches on {len(cases)} batches to 1e-6; on the lesson's validation batch "
                                     f"your loss is {on_lesson:.4f} nats (its CLIP loss: "
                                     f"{losses.clip_loss(*cases[0]):.4f}; NT-Xent's rows have 2B − 1 candidates, "
                                     f"so its chance level is ln(2B − 1), not ln B)")
