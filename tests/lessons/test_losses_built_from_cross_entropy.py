"""helpers.lessons.losses_built_from_cross_entropy (lesson 11): data, the DPO loop, widgets, checkers.

Every checker has a table: the right answer in several forms is ✓, each listed mistake is ✗
with its own hint, and further plausible wrong answers are neither ✓ nor ≈.
"""
import functools
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers import data, losses
from helpers.lessons.losses_built_from_cross_entropy import contrastive
from helpers.lessons import losses_built_from_cross_entropy as lesson
from tests.checker_contract import Table, number_forms

ALL_NAMES = data.load_names()
STOI, _ = data.build_vocab(ALL_NAMES)


@functools.lru_cache(maxsize=None)
def lesson_setup():
    return lesson.lesson_setup()


@pytest.fixture(scope="module")
def setup():
    return lesson_setup()


@pytest.fixture(scope="module")
def trained():
    return trained_pairs()


@functools.lru_cache(maxsize=None)
def trained_pairs():
    """The lesson's held-out contrastive batch and its encoder after 200 steps on fresh training batches."""
    train, val = data.split_names(ALL_NAMES, 0.1, seed=0)
    _, view_a, view_b = data.crop_pairs(val, 64, seed=0)
    x_a, x_b = lesson.bigram_features(view_a), lesson.bigram_features(view_b)
    w = (torch.randn(729, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
         / math.sqrt(729)).requires_grad_()
    for step in range(200):
        _, crops_a, crops_b = data.crop_pairs(train, 64, seed=1000 + step)
        xa, xb = lesson.bigram_features(crops_a), lesson.bigram_features(crops_b)
        logits = F.normalize(xa @ w, dim=-1) @ F.normalize(xb @ w, dim=-1).T / 0.1
        loss = 0.5 * (F.cross_entropy(logits, torch.arange(64)) + F.cross_entropy(logits.T, torch.arange(64)))
        loss.backward()
        with torch.no_grad():
            w -= w.grad
            w.grad = None
    u, v = (x_a @ w).detach(), (x_b @ w).detach()
    return {"u": u, "v": v, "sims": F.normalize(u, dim=-1) @ F.normalize(v, dim=-1).T}


def distillation_batch():
    g = torch.Generator().manual_seed(0)
    return torch.randn(4, 10, generator=g).double(), torch.randn(4, 10, generator=g).double()


# --- data --------------------------------------------------------------------------------------

def test_bigram_features_count_each_bigram_with_boundaries():
    x = lesson.bigram_features(["anna", "bob"])
    assert x.shape == (2, 729) and x.dtype == torch.float64
    assert x.sum(1).tolist() == [5.0, 4.0]  # len + 1 bigrams each
    assert x[0, STOI["n"] * 27 + STOI["n"]] == 1 and x[0, 0 * 27 + STOI["a"]] == 1 and x[0, STOI["a"] * 27] == 1
    with pytest.raises(ValueError, match="not in the vocabulary"):
        lesson.bigram_features(["Anna"])


# --- the DPO loop --------------------------------------------------------------------------------

def test_dpo_starts_at_ln_2_and_moves_the_log_ratios_apart(setup):
    run = lesson.dpo_at_beta(setup, 0.5)
    h = run["history"]
    assert len(h["loss"]) == lesson.STEPS + 1
    assert h["loss"][0] == pytest.approx(math.log(2), abs=1e-12)
    assert h["winner"][0] == h["loser"][0] == 0.0
    assert np.all(np.diff(h["loss"]) < 0)
    assert h["winner"][-1] > 0 > h["loser"][-1]
    assert run["ends_in"] > run["reference"]["ends_in"] and run["kl"] > 0
    assert lesson.dpo_at_beta(setup, 0.5) is run  # cached: one β, one run


def test_dpo_at_beta_matches_the_reference_loss_on_its_final_policy(setup):
    run = lesson.dpo_at_beta(setup, 1.3)
    ref = setup.ref_log_probs
    lp = [data.log_prob_of_names(run["log_probs"], t) for t in setup.train]
    lr = [data.log_prob_of_names(ref, t) for t in setup.train]
    assert losses.dpo_loss(lp[0], lp[1], lr[0], lr[1], 1.3) == pytest.approx(run["history"]["loss"][-1], abs=1e-9)


def test_a_larger_beta_keeps_the_policy_closer_to_the_reference(setup):
    runs = [lesson.dpo_at_beta(setup, b) for b in (0.1, 0.5, 1.0, 3.0)]
    kls = [r["kl"] for r in runs]
    shares = [r["ends_in"] for r in runs]
    margins = [r["history"]["winner"][-1] - r["history"]["loser"][-1] for r in runs]
    assert kls == sorted(kls, reverse=True) and shares == sorted(shares, reverse=True)
    assert margins == sorted(margins, reverse=True)


def test_dpo_rejects_a_bad_beta(setup):
    for bad in (0, -1.0, float("nan"), "1"):
        with pytest.raises(ValueError, match="beta must be"):
            lesson.dpo_at_beta(setup, bad)


# --- contrastive: the τ widget's compute function --------------------------------------------------

def test_contrastive_at_is_the_clip_loss_and_tends_to_ln_b(trained):
    sims = trained["sims"]
    r = lesson.contrastive_at(sims, -1.0, 64)
    assert r["loss"] == pytest.approx(losses.clip_loss(trained["u"], trained["v"], 0.1), abs=1e-12)
    np.testing.assert_allclose(r["probs"].sum(1), 1.0)
    assert lesson.contrastive_at(sims, 3.0, 64)["loss"] == pytest.approx(math.log(64), abs=1e-3)
    for b in (2, 8, 30):
        small = lesson.contrastive_at(sims, 1.0, b)
        assert small["chance"] == math.log(b) and small["loss"] < math.log(b)
    assert {lesson.contrastive_at(sims, t, 64)["right"] for t in (-2.0, -1.0, 0.0, 1.0)} == {r["right"]}


def test_contrastive_at_rejects_bad_input(trained):
    with pytest.raises(ValueError, match="batch_size must be between 2 and 64"):
        lesson.contrastive_at(trained["sims"], -1.0, 65)
    with pytest.raises(ValueError, match="square"):
        lesson.contrastive_at(trained["sims"][:, :10], -1.0, 8)


def test_soft_target_gradient_matches_autograd():
    student, teacher = distillation_batch()
    for t in (1.0, 3.0, 16.0):
        s = student.clone().requires_grad_()
        F.kl_div(F.log_softmax(s / t, -1), F.log_softmax(teacher / t, -1), reduction="batchmean",
                 log_target=True).backward()
        np.testing.assert_allclose(lesson.soft_target_gradient(student, teacher, t), s.grad.numpy(), atol=1e-12)


# --- widgets: what each figure shows (tests/test_lesson_widgets.py checks redrawing and blitting) ---

def test_contrastive_widget_shows_the_first_b_rows_and_reads_out_tau_and_b(trained):
    w = lesson.contrastive_widget(trained["sims"])
    w.controls["log10_tau"].value = 0.5
    w.controls["batch_size"].value = 10
    assert "B = 10" in w.readout.value and "τ = 3.1623" in w.readout.value
    shown = np.ma.filled(w.view.image.get_array().astype(float), np.nan)
    assert np.isnan(shown[10:, :]).all() and np.allclose(shown[:10, :10], w.result["probs"])
    np.testing.assert_allclose(w.view.curve.get_ydata(), lesson.contrastive_at(trained["sims"], 0.5, 10)["curve"])


def test_contrastive_marker_stays_on_the_axes_when_the_loss_leaves_them(trained):
    w = lesson.contrastive_widget(trained["sims"])
    top = w.view.loss_top
    w.controls["log10_tau"].value = -2.5                             # τ ≈ 0.003: the loss is far above the axis
    assert w.result["loss"] > top and w.view.marker.get_marker() == "^"
    assert w.view.marker.get_ydata()[0] < top
    w.controls["log10_tau"].value = -1.0                             # τ = 0.1: on the axis, a dot at the loss
    assert w.view.marker.get_marker() == "o" and w.view.marker.get_ydata()[0] == pytest.approx(w.result["loss"])


def test_contrastive_widget_default_is_the_untrained_encoder():
    sims = lesson.untrained_similarities()
    assert sims.shape == (64, 64) and sims.abs().max() <= 1 + 1e-12  # cosines
    assert lesson.contrastive_at(sims, -1.0, 64)["right"] == 28  # as the lesson prints before training


def test_beta_widget_draws_the_run_of_the_chosen_beta():
    setup = lesson.lesson_setup()
    w = lesson.beta_widget(setup)
    assert list(setup.runs) == [0.5]  # building the widget trains only the β it shows
    w.controls["beta"].value = 2.0
    assert "β = 2.00" in w.readout.value
    run = lesson.dpo_at_beta(setup, 2.0)
    np.testing.assert_allclose(w.view.win.get_ydata(), run["history"]["winner"])
    np.testing.assert_allclose(w.view.lose.get_ydata(), run["history"]["loser"])
    assert set(lesson.BETA_GRID) <= set(setup.runs)  # the first move trained every slider value at once


# --- checkers: answer tables ------------------------------------------------------------------------

def status(verdict):
    return verdict.status


def test_check_equal_similarity_loss_table():
    right = math.log(64)
    for answer in (right, np.float64(right), torch.tensor(right), round(right, 4), torch.tensor(right).float()):
        assert status(lesson.check_equal_similarity_loss(answer, 64)) == "correct", answer
    mistakes = {math.log(63): "ln(B − 1)", 1 / 64: "probability 1/B", 6.0: "bits", math.log10(64): "base 10",
                64 * right: "sum over the B rows", 2 * right: "two directions", math.log(128): "not among 2B"}
    for answer, hint in mistakes.items():
        v = lesson.check_equal_similarity_loss(answer, 64)
        assert v.status == "wrong" and hint in v.detail, (answer, v)
    for answer in (math.log(65), 4.0, math.log(32), 0.0, -right):
        assert status(lesson.check_equal_similarity_loss(answer, 64)) == "wrong", answer
    assert status(lesson.check_equal_similarity_loss(..., 64)) == "unanswered"
    assert status(lesson.check_equal_similarity_loss("four", 64)) == "wrong"
    assert status(lesson.check_equal_similarity_loss(math.log(32), 32)) == "correct"


def test_student_without_t_squared_stays_near_uniform():
    out = lesson.without_t_squared_outcome(16.0)
    assert out["with T²"] == pytest.approx(lesson.distilled_student_nll(2.0), abs=0.01)  # T² makes T matter little
    assert out["teacher"] < out["with T²"] < out["teacher"] + 0.05
    assert abs(out["measured"] - out["uniform"]) < 0.2 < abs(out["measured"] - out["teacher"])
    assert out["one-hot"] > 4.5
    assert lesson.distilled_student_nll(16.0, t_squared=False, steps=0) == pytest.approx(math.log(27))


def test_check_without_t_squared_table():
    for answer in ("uniform", "Uniform", " UNIFORM "):
        assert status(lesson.check_without_t_squared(answer)) == "correct", answer
    for answer, hint in {"teacher": "1/256", "one-hot": "never sees a label"}.items():
        v = lesson.check_without_t_squared(answer)
        assert v.status == "wrong" and hint in v.detail, (answer, v)
    for answer in ("A", "student B", 3.1589, "near uniform"):
        assert status(lesson.check_without_t_squared(answer)) == "wrong", answer
    assert status(lesson.check_without_t_squared(...)) == "unanswered"


def nt_right_cross_entropy(u, v, tau):
    z = F.normalize(torch.cat([u, v]), dim=-1)
    logits = (z @ z.T / tau).masked_fill(torch.eye(2 * len(u), dtype=torch.bool), float("-inf"))
    return F.cross_entropy(logits, torch.cat([torch.arange(len(u), 2 * len(u)), torch.arange(len(u))]))


def nt_right_by_hand(u, v, tau):
    z = torch.cat([u / u.norm(dim=1, keepdim=True), v / v.norm(dim=1, keepdim=True)])
    logits = z @ z.T / tau - torch.diag(torch.full((2 * len(u),), float("inf"), dtype=z.dtype)).nan_to_num(posinf=1e9)
    B = len(u)
    logp = F.log_softmax(logits, dim=1)
    return -(logp[torch.arange(B), torch.arange(B, 2 * B)].sum() + logp[torch.arange(B, 2 * B), torch.arange(B)].sum()) / (2 * B)


def nt_slip(kind):
    """NT-Xent with one of the usual mistakes."""
    def fn(u, v, tau):
        B = len(u)
        z = torch.cat([u, v]) if kind == "no_norm" else F.normalize(torch.cat([u, v]), dim=-1)
        sims = z @ z.T
        logits = {"no_tau": sims, "times_tau": sims * tau}.get(kind, sims / tau)
        eye = torch.eye(2 * B, dtype=torch.bool)
        if kind == "zero_diag":
            logits = logits.masked_fill(eye, 0.0)
        elif kind != "no_mask":
            logits = logits.masked_fill(eye, float("-inf"))
        t = torch.cat([torch.arange(B, 2 * B), torch.arange(B)])
        if kind in ("self_target", "clip_targets"):
            t = torch.arange(2 * B)
        if kind == "clip_targets":
            logits = z @ z.T / tau                     # CLIP's targets on the unmasked [2B, 2B] table
        if kind == "clip":
            c = F.normalize(u, dim=-1) @ F.normalize(v, dim=-1).T / tau
            return (F.cross_entropy(c, torch.arange(B)) + F.cross_entropy(c.T, torch.arange(B))) / 2
        if kind == "u_rows":
            return F.cross_entropy(logits[:B], t[:B])
        if kind == "sum":
            return F.cross_entropy(logits, t, reduction="sum")
        return F.cross_entropy(logits, t)
    return fn


NT_HINTS = {"no_mask": "compared with itself", "zero_diag": "must be -inf", "no_norm": "length 1",
            "no_tau": "forgot to divide", "times_tau": "do not multiply", "clip": "that is CLIP's loss",
            "u_rows": "every one of the 2B views is a row", "sum": "sum over the 2B views",
            "self_target": "partner is i + B", "clip_targets": "the view itself"}


def test_check_nt_xent_table(trained):
    u, v = trained["u"], trained["v"]
    right = [nt_right_cross_entropy, nt_right_by_hand,
             lambda a, b, t: nt_right_cross_entropy(a, b, t).item(),
             lambda a, b, t: nt_right_cross_entropy(a, b, t).numpy(),
             lambda a, b, t: contrastive.nt_xent(a, b, t)]
    for fn in right:
        v_ = lesson.check_nt_xent(fn, u, v, 0.1)
        assert v_.status == "correct" and f"{contrastive.nt_xent(u, v, 0.1):.4f}" in v_.detail, v_
    for kind, hint in NT_HINTS.items():
        verdict = lesson.check_nt_xent(nt_slip(kind), u, v, 0.1)
        assert verdict.status == "wrong" and hint in verdict.detail, (kind, verdict)
    further = [lambda a, b, t: 0.0,
               lambda a, b, t: 1.01 * nt_right_cross_entropy(a, b, t),
               lambda a, b, t: nt_right_cross_entropy(a, b, t) + 4e-5,
               lambda a, b, t: nt_right_cross_entropy(a, b, 2 * t),
               lambda a, b, t: lesson.losses.clip_loss(a, b, t)]
    for fn in further:
        assert lesson.check_nt_xent(fn, u, v, 0.1).status == "wrong"

    def raises(a, b, t):
        raise RuntimeError("shapes")
    assert "RuntimeError" in lesson.check_nt_xent(raises, u, v, 0.1).detail
    assert lesson.check_nt_xent(lambda a, b, t: torch.zeros(3), u, v, 0.1).status == "wrong"
    assert lesson.check_nt_xent(lambda a, b, t: None, u, v, 0.1).status == "unanswered"
    assert lesson.check_nt_xent(..., u, v, 0.1).status == "unanswered"

    def todo(a, b, t):
        raise NotImplementedError
    assert lesson.check_nt_xent(todo, u, v, 0.1).status == "unanswered"


def test_the_lesson_module_does_not_hand_out_the_answer():
    assert not hasattr(lesson, "nt_xent") and not hasattr(lesson, "nt_xent_mistakes")


def test_nt_xent_at_equal_similarities_is_ln_of_2b_minus_1():
    same = torch.ones(4, 3, dtype=torch.float64)          # every view the same direction: all similarities 1
    assert abs(contrastive.nt_xent(same, same, 0.5) - math.log(7)) < 1e-12


def test_check_beta_table(setup):
    for answer in (1.0, np.float64(0.9), torch.tensor(1.0), 1.1, 0.85, np.array(1.0)):
        verdict = lesson.check_beta(answer, setup)
        assert verdict.status == "correct", (answer, verdict)
    too_far = lesson.check_beta(0.1, setup)
    assert too_far.status == "wrong" and "drifted too far" in too_far.detail
    too_little = lesson.check_beta(3.0, setup)
    assert too_little.status == "wrong" and "too few 'a' names" in too_little.detail
    for answer in (0.5, 2.0, 0.7, 1.3, 5.0):
        assert lesson.check_beta(answer, setup).status == "wrong", answer
    for answer in (0, -1.0, 11.0, "one", True, [1.0, 2.0]):
        verdict = lesson.check_beta(answer, setup)
        assert verdict.status == "wrong" and "β" in verdict.detail, (answer, verdict)
    assert lesson.check_beta(..., setup).status == "unanswered"


# --- the lesson's glossary links and exercise rules ------------------------------------------------

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
LESSON = NOTEBOOKS / "11_losses_built_from_cross_entropy.ipynb"


def lesson_cells():
    return json.loads(LESSON.read_text(encoding="utf-8"))["cells"]


def test_the_lessons_glossary_links_point_at_entries():
    anchors = {h.replace(" ", "-") for h in re.findall(r"^## (.+)$", (NOTEBOOKS / "glossary.md").read_text(), re.M)}
    links = [a for c in lesson_cells() if c["cell_type"] == "markdown"
             for a in re.findall(r"\(glossary\.md#([^)]+)\)", "".join(c["source"]))]
    assert {"Distillation", "Soft-targets", "InfoNCE", "Contrastive-loss", "Bradley–Terry-model", "DPO",
            "Reference-policy"} <= set(links)
    assert set(links) <= anchors


def test_no_exercise_answer_is_printed_before_its_exercise():
    """ln 64 (4.1589) and student C's measured NLL next to the T² one (2.3915) first appear after their
    prediction cells."""
    outputs = []
    for cell in lesson_cells():
        src = "".join(cell["source"])
        for answer, call in [("4.1589", "check_equal_similarity_loss"), ("2.3915", "check_without_t_squared")]:
            if call in src:
                assert not any(answer in text for text in outputs), f"{answer} printed before {call}"
        for out in cell.get("outputs", []):
            outputs.append("".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", "")))


def test_the_lesson_has_an_applied_and_a_predict_then_check_exercise_and_fits_its_budget():
    sources = ["".join(c["source"]) for c in lesson_cells()]
    assert sum("check_nt_xent(" in s or "check_beta(" in s for s in sources) == 2         # applied
    assert sum("prediction = ..." in s for s in sources) == 2                              # predict, then check
    assert len(sources) <= 55


# --- the checker contract (tests/test_checker_contract.py runs these tables) -----------------------


CHECKER_TABLES = [
    Table(lesson.check_equal_similarity_loss, args=(64,),
          right=number_forms(math.log(64)),
          mistakes={"ln(B − 1)": math.log(63), "probability 1/B": 1 / 64, "bits": 6.0, "base 10": math.log10(64),
                    "sum over the B rows": 64 * math.log(64), "two directions": 2 * math.log(64)},
          wrong=[math.log(65), 4.0, math.log(32), -math.log(64)]),
    Table(lesson.check_without_t_squared,
          right=["uniform", "Uniform", " uniform "],
          mistakes={"1/256": "teacher", "never sees a label": "one-hot"},
          wrong=["A", "student B", "near uniform", 3.1589]),
    Table(lesson.check_nt_xent,
          setup=lambda: ((trained_pairs()["u"], trained_pairs()["v"], 0.1), {}),
          right=[nt_right_cross_entropy, nt_right_by_hand,
                 lambda a, b, t: nt_right_cross_entropy(a, b, t).item(),
                 lambda a, b, t: contrastive.nt_xent(a, b, t)],
          mistakes={hint: nt_slip(kind) for kind, hint in NT_HINTS.items()},
          wrong=[lambda a, b, t: 0.0,
                 lambda a, b, t: 1.01 * nt_right_cross_entropy(a, b, t),
                 lambda a, b, t: nt_right_cross_entropy(a, b, t) + 4e-5,
                 lambda a, b, t: nt_right_cross_entropy(a, b, 2 * t)]),
    Table(lesson.check_beta, setup=lambda: ((lesson_setup(),), {}),
          right=[1.0, np.float64(0.9), torch.tensor(1.0), 1.1, np.array(1.0)],
          mistakes={"drifted too far": 0.1, "too few 'a' names": 3.0},
          wrong=[0.5, 2.0, 0.7, 1.3, 5.0]),
]
