"""Lesson 11 · Losses built from cross-entropy: distillation, contrastive, preference.

The notebook writes each loss out and runs each training loop in cells the learner reads.
This module holds the rest: the encoder's bigram features, the DPO loop again (stacked over
β) for the β widget and its checker, the τ widget's compute function, the widget factories
and the checkers; the two figures and their readouts are in `views.py`. The data (two crops
of each name, preference pairs of names) and the bigram-model tools (log-probabilities of
names, their exact statistics, samples) are in helpers.data; the reference losses in
helpers.losses.from_cross_entropy.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ... import checks, data, losses, validate
from ...data import ITOS

STOI = {ch: i for i, ch in enumerate(ITOS)}  # '.' is 0, then a..z
V = len(ITOS)  # 27 symbols


# --- contrastive: the encoder's input -----------------------------------------------------------

def bigram_features(words) -> torch.Tensor:
    """[N, 27·27] float64: how often each character bigram occurs in each word, with '.' at both ends."""
    prev, nxt, owner, n = data.transitions(words, STOI)
    x = torch.zeros(n, V * V, dtype=torch.float64)
    return x.index_put_((owner, prev * V + nxt), torch.ones(len(prev), dtype=torch.float64), accumulate=True)


# --- preference: the DPO loop, for the β widget and its checker -----------------------------------

LR_SCALE = 0.5  # lr = LR_SCALE / β: every β takes the same first step (what Adam does by itself)
STEPS = 100


def train_dpo(ref_logits: torch.Tensor, train_pairs, betas, steps: int = STEPS) -> list[dict]:
    """The notebook's DPO loop for several β at once: one policy per β, stacked, each starting as a
    copy of the reference and taking `steps` full-batch gradient steps with lr = LR_SCALE / β.
    Returns one run (history per step, final log-probs) per β."""
    bs = [_beta(b) for b in betas]
    return _dpo_loop(ref_logits, train_pairs, bs, steps)  # one torch thread: `import helpers` sets it


def _dpo_loop(ref_logits: torch.Tensor, train_pairs, bs: list[float], steps: int) -> list[dict]:
    beta = torch.tensor(bs, dtype=torch.float64)[:, None]  # [K, 1]
    ref_log_probs = F.log_softmax(ref_logits, dim=-1)[None]  # [1, 27, 27]
    ref_w, ref_l = (data.log_prob_of_names(ref_log_probs, t) for t in train_pairs)  # [1, N] each
    logits = ref_logits.expand(len(bs), -1, -1).clone().requires_grad_()  # [K, 27, 27]
    history = []
    for step in range(steps + 1):
        log_probs = F.log_softmax(logits, dim=-1)
        ratio_w = data.log_prob_of_names(log_probs, train_pairs[0]) - ref_w  # [K, N] log π(y_w)/π_ref(y_w)
        ratio_l = data.log_prob_of_names(log_probs, train_pairs[1]) - ref_l
        loss = -F.logsigmoid(beta * (ratio_w - ratio_l)).mean(dim=1)  # [K]
        history.append(torch.stack([loss, ratio_w.mean(1), ratio_l.mean(1)]).detach())  # [3, K]
        if step == steps:
            break
        loss.sum().backward()  # the K policies share nothing: each gets the gradient of its own loss
        with torch.no_grad():
            logits -= (LR_SCALE / beta)[:, :, None] * logits.grad
            logits.grad = None
    h = torch.stack(history).numpy()  # [steps + 1, 3, K]
    return [{"beta": b, "lr": LR_SCALE / b, "log_probs": log_probs[k].detach(),
             "history": {"loss": h[:, 0, k], "winner": h[:, 1, k], "loser": h[:, 2, k]}}
            for k, b in enumerate(bs)]


def _beta(beta) -> float:
    return round(validate.positive(beta, "beta"), 6)  # 0.30000000000000004 from a slider is 0.3


class DpoSetup:
    """What the β widget and its checker train on: reference logits, the train / held-out pairs,
    and the runs made so far (the same β always gives the same run)."""

    def __init__(self, ref_logits: torch.Tensor, pairs: dict):
        self.ref_logits = ref_logits
        self.train = tuple(data.transitions(words, STOI) for words in pairs["train"])
        self.held_out = tuple(data.transitions(words, STOI) for words in pairs["held_out"])
        self.ref_log_probs = F.log_softmax(ref_logits, dim=-1)
        self.runs: dict[float, dict] = {}

    def train_all(self, betas) -> None:
        """Train every β not trained yet, in one stacked run."""
        todo = sorted({_beta(b) for b in betas} - set(self.runs))
        for run in (train_dpo(self.ref_logits, self.train, todo) if todo else []):
            lp, ref = run["log_probs"], self.ref_log_probs
            margins = [data.log_prob_of_names(lp, t) - data.log_prob_of_names(ref, t) for t in self.held_out]
            run["held_out_right"] = int((margins[0] - margins[1] > 0).sum())
            run["held_out_pairs"] = self.held_out[0][3]
            run.update(data.bigram_name_stats(lp, ref))
            run["reference"] = data.bigram_name_stats(ref)
            self.runs[run["beta"]] = run


def lesson_setup() -> DpoSetup:
    """The lesson's DPO setup: π_ref is the add-1 bigram model of the training names; 64 + 64 pairs."""
    names = data.load_names()
    stoi, _ = data.build_vocab(names)
    train, _ = data.split_names(names, 0.1, seed=0)
    ref_logits = torch.log(torch.tensor(data.bigram_probs(data.bigram_counts(train, stoi), alpha=1.0)))
    return DpoSetup(ref_logits, data.preference_pairs(train, "a", 64, seed=0))


def dpo_at_beta(setup: DpoSetup, beta: float = 0.5) -> dict:
    """The DPO run with this β (trained on first use) and what its policy generates."""
    b = _beta(beta)
    setup.train_all([b])
    return setup.runs[b]


# --- figures and widgets ---------------------------------------------------------------------------

CLIP_TAU_GRID = np.logspace(-2.5, 1.5, 81)  # τ from about 0.003 to 32


def contrastive_at(sims, log10_tau: float = -1.0, batch_size: int = 64, curves: dict | None = None) -> dict:
    """CLIP loss of the first `batch_size` pairs of a cosine-similarity table at τ = 10**log10_tau,
    and its loss over CLIP_TAU_GRID (kept in `curves`, by batch size, when given: it does not depend on τ)."""
    s = validate.as_array(sims, "sims")
    if s.ndim != 2 or s.shape[0] != s.shape[1]:
        raise ValueError(f"sims must be a square [B, B] table of cosine similarities; got shape {list(s.shape)}")
    if not 2 <= batch_size <= s.shape[0]:
        raise ValueError(f"batch_size must be between 2 and {s.shape[0]}; got {batch_size}")
    tau, block = 10.0 ** log10_tau, s[:batch_size, :batch_size]
    curves = {} if curves is None else curves
    if batch_size not in curves:
        scaled = block[None] / CLIP_TAU_GRID[:, None, None]  # [81, b, b] the table at every τ of the grid
        curves[batch_size] = -(np.diagonal(losses.log_softmax(scaled), axis1=1, axis2=2).mean(1)
                               + np.diagonal(losses.log_softmax(scaled, dim=1), axis1=1, axis2=2).mean(1)) / 2
    probs = losses.softmax(block / tau)  # [b, b] row i: q(candidate j | query i)
    return {"tau": tau, "batch_size": batch_size, "probs": probs, "chance": math.log(batch_size),
            "loss": 0.5 * (losses.info_nce(block / tau) + losses.info_nce(block.T / tau)),
            "right": int((probs.argmax(axis=1) == np.arange(batch_size)).sum()), "curve": curves[batch_size]}


def untrained_similarities() -> torch.Tensor:
    """[64, 64] cosines of the lesson's two crops through its encoder before training (a default for the widget)."""
    _, view_a, view_b = data.crop_pairs(data.load_names(), 64, seed=0)
    w = torch.randn(V * V, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64) / V
    u, v = (F.normalize(bigram_features(crops) @ w, dim=-1) for crops in (view_a, view_b))
    return u @ v.T


def contrastive_widget(sims=None):
    """The τ widget: similarities (the lesson passes its trained ones), τ and the batch size B as sliders."""
    from ...widgets import Lesson, slider
    from .views import ContrastiveView, describe_contrastive
    sims = untrained_similarities() if sims is None else sims
    n = validate.as_array(sims, "sims").shape[0]
    controls = {"log10_tau": slider(-1.0, -2.5, 1.5, 0.05, "log₁₀ τ"),
                "batch_size": slider(n, 2, n, 1, "batch size B", integer=True)}
    curves: dict = {}  # the loss-against-τ curve of each batch size, computed once
    return Lesson(controls, lambda log10_tau, batch_size: contrastive_at(sims, log10_tau, batch_size, curves),
                  ContrastiveView(n), describe_contrastive, title="contrastive temperature τ")


MARGIN_GRID = np.linspace(-2, 16, 361)


BETA_GRID = np.round(np.arange(1, 31) * 0.1, 6)  # the slider's values, 0.1 to 3.0


def beta_widget(setup: DpoSetup | None = None):
    """The β widget: train the DPO policy with the chosen β and show what moved (default: the lesson's setup)."""
    from ...widgets import Lesson, slider
    from .views import DpoView, describe_dpo
    setup = lesson_setup() if setup is None else setup

    def compute(beta):
        if _beta(beta) not in setup.runs and setup.runs:
            setup.train_all(BETA_GRID)  # the first move trains every slider value in one stacked run
        return dpo_at_beta(setup, beta)
    return Lesson({"beta": slider(0.5, 0.1, 3.0, 0.1, "β")}, compute, DpoView(), describe_dpo,
                  title="DPO strength β")


# --- checkers for the exercises ------------------------------------------------------------------

def check_equal_similarity_loss(answer, batch_size: int = 64) -> checks.Verdict:
    """Predict-then-check: the InfoNCE loss when all B × B similarities are equal (ln B)."""
    b = batch_size
    return checks.check_number(answer, math.log(b), tol=1e-4, close=0.001, mistakes={
        "that is ln(B − 1): the partner is one of the B candidates, so the softmax runs over all B": math.log(b - 1),
        "that is the probability 1/B the partner gets; the loss is its negative log": 1 / b,
        "that is in bits (log₂ B); the course works in nats": math.log2(b),
        "that is log base 10; use the natural log": math.log10(b),
        "that is the sum over the B rows; the loss is their mean": b * math.log(b),
        "that is the two directions of CLIP added; the loss averages them": 2 * math.log(b),
        "each row chooses among the B candidates of the other view, not among 2B": math.log(2 * b),
    }, hint="with equal logits each of the B candidates gets probability 1/B; take −log of the partner's")


def soft_target_gradient(student_logits, teacher_logits, temperature: float) -> np.ndarray:
    """∂/∂s of the mean KL(p_T ‖ q_T) over the rows: (q_T − p_T) / (T · B), [B, C]."""
    t = validate.positive(temperature, "temperature")
    s, tt = validate.as_array(student_logits, "student_logits"), validate.as_array(teacher_logits, "teacher_logits")
    if s.ndim != 2 or s.shape != tt.shape:
        raise ValueError(f"student and teacher logits must both be [B, C]; got {list(s.shape)} and {list(tt.shape)}")
    return (losses.softmax(s / t) - losses.softmax(tt / t)) / (t * s.shape[0])


STUDENT_NAMES = 10  # the distilled student sees the first 10 training names


def _distillation_data():
    """Section 1's data: the teacher's logits [27, 27], the student's contexts and labels [N], the validation pairs."""
    names = data.load_names()
    stoi, _ = data.build_vocab(names)
    train, val = data.split_names(names, 0.1, seed=0)
    teacher = torch.log(torch.tensor(data.bigram_probs(data.bigram_counts(train, stoi), alpha=1.0)))
    x, y = data.build_dataset(train[:STUDENT_NAMES], stoi, block_size=1)
    x_val, y_val = data.build_dataset(val, stoi, block_size=1)
    return teacher, x[:, 0], y, x_val[:, 0], y_val


def distilled_student_nll(temperature: float, soft_targets: bool = True, t_squared: bool = True,
                          steps: int = 150, lr: float = 50.0) -> float:
    """The lesson's distillation run (section 1) and the student's NLL on the validation names.

    A bigram logit table, from 0, trained on the first 10 training names: on one-hot labels
    (`soft_targets=False`) or on the teacher's rows at `temperature`, the KL multiplied by T² or not."""
    t = validate.positive(temperature, "temperature")
    teacher, ctx, y, ctx_val, y_val = _distillation_data()
    p_t = F.softmax(teacher[ctx] / t, dim=-1)  # [N, 27]
    w = torch.zeros(V, V, dtype=torch.float64, requires_grad=True)
    for _ in range(steps):
        logits = w[ctx]
        if soft_targets:
            loss = (t**2 if t_squared else 1.0) * F.kl_div(F.log_softmax(logits / t, -1), p_t, reduction="batchmean")
        else:
            loss = F.cross_entropy(logits, y)
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            w.grad = None
    return F.cross_entropy(w.detach()[ctx_val], y_val).item()


def without_t_squared_outcome(temperature: float = 16.0) -> dict[str, float]:
    """Validation NLLs: the student trained at `temperature` without T², the same with T², and the
    three landmarks of the exercise (the teacher, the one-hot student A, the uniform model)."""
    teacher, _, _, ctx_val, y_val = _distillation_data()
    return {"measured": distilled_student_nll(temperature, t_squared=False),
            "with T²": distilled_student_nll(temperature, t_squared=True),
            "teacher": F.cross_entropy(teacher[ctx_val], y_val).item(),
            "one-hot": distilled_student_nll(1.0, soft_targets=False),
            "uniform": math.log(V)}


def check_without_t_squared(answer, temperature: float = 16.0) -> checks.Verdict:
    """Predict-then-check: student C (soft targets at T = 16, no T² factor, same 150 steps and lr):
    is its validation NLL nearest the teacher's, the one-hot student's, or the uniform model's?"""
    out = without_t_squared_outcome(temperature)
    nearest = min(["teacher", "one-hot", "uniform"], key=lambda k: abs(out[k] - out["measured"]))
    return checks.check_choice(answer, nearest, options=["teacher", "one-hot", "uniform"], why_not={
        "teacher": "the targets are the teacher's, but without T² the gradient at T = 16 is about 1/T² = 1/256 "
                   "of the scaled one: 150 steps at the same lr move the table very little",
        "one-hot": "student C never sees a label, so it cannot overfit the 78 letters as student A did; "
                   "and its steps are tiny: think about where the table starts",
    })


def _finite_number(x) -> float | None:
    value = checks.as_number(x)
    return value if value is not None and math.isfinite(value) else None


SHARE_TARGET = 0.75  # at least this share of generated names should end in 'a' ...
KL_BUDGET = 0.8  # ... with KL(π ‖ π_ref) at most this many nats per name


def check_beta(answer, setup: DpoSetup) -> checks.Verdict:
    """Applied: train the DPO policy with the learner's β and check the share of 'a' names and the KL."""
    if checks.unanswered(answer):
        return checks.Verdict("unanswered", checks.NOT_ANSWERED)
    value = _finite_number(answer)
    if value is None or isinstance(answer, (bool, str)):
        return checks.Verdict("wrong", f"β is one positive number such as 0.5; got {answer!r}")
    if not 0 < value <= 10:
        return checks.Verdict("wrong", f"β = {value:g}: choose a β above 0 and at most 10 (the widget's slider "
                                       "runs from 0.1 to 3)")
    r = dpo_at_beta(setup, value)
    text = (f"β = {value:g}: names ending in 'a' {r['ends_in']:.4f} (target ≥ {SHARE_TARGET}), "
            f"KL(π‖π_ref) {r['kl']:.4f} nats per name (budget ≤ {KL_BUDGET})")
    if r["ends_in"] < SHARE_TARGET:
        return checks.Verdict("wrong", f"{text}. Hint: too few 'a' names: the push faded before the policy "
                                       "moved enough; a smaller β keeps pushing longer")
    if r["kl"] > KL_BUDGET:
        return checks.Verdict("wrong", f"{text}. Hint: the policy drifted too far from the reference; "
                                       "a larger β stops pushing at a smaller margin")
    return checks.Verdict("correct", text)


# Exercise (b), SimCLR's NT-Xent: its reference and checker (contrastive.py).
# (The reference loss stays in .contrastive: the lesson module does not hand the learner the answer.)
from .contrastive import check_nt_xent as check_nt_xent  # noqa: E402
