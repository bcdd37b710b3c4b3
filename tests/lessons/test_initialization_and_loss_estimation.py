"""helpers.lessons.initialization_and_loss_estimation: the lesson's reference model, widget and checkers,
and the notebook's own model and training loop (read from its cells) against them."""
import ast
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers import data, losses
from helpers.lessons import initialization_and_loss_estimation as lesson
from tests.checker_contract import Table, number_forms

LN27 = 3.295836866  # -ln(1/27) = ln 27 to 9 decimals (checked against torch below)
ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "05_initialization_and_loss_estimation.ipynb"


def _split():
    all_names = data.load_names()
    stoi, itos = data.build_vocab(all_names)
    train_names, val_names = data.split_names(all_names, 0.1, seed=0)
    Xtr, Ytr = data.build_dataset(train_names, stoi)
    return {"stoi": stoi, "itos": itos, "train": train_names, "Xtr": Xtr, "Ytr": Ytr}


SPLIT = _split()
X3K, Y3K = SPLIT["Xtr"][:3000], SPLIT["Ytr"][:3000]   # enough for the checker's table, and quick


def fixed_output_layer(seed=5, w_scale=0.0, bias="log p", Y=Y3K):
    """A naive model's parameters with its output layer replaced, as a learner would."""
    C, W1, b1, W2, _ = lesson.init_mlp(1, seed)
    p = torch.bincount(Y, minlength=27).double() / len(Y)
    b2 = {"log p": p.log(), "p": p, "zero": torch.zeros(27), "-log p": -p.log(), "2 log p": 2 * p.log()}[bias]
    return [C, W1, b1, W2 * w_scale, b2[None]]


CHECKER_TABLES = [
    Table(lesson.check_uniform_loss, args=(27,),
          right=number_forms(math.log(27)),
          mistakes={"bits": math.log2(27), "base 10": math.log10(27), "probability 1/n": 1 / 27,
                    "sign": -math.log(27), "boundary token": math.log(26)},
          wrong=[math.log(28), 27.0, 3.0, 3.4]),
    Table(lesson.check_uniform_loss, args=(50257,),
          right=number_forms(math.log(50257)),
          mistakes={"bits": math.log2(50257), "sign": -math.log(50257)},
          wrong=[math.log(50000), math.log(50304), math.log(50256), 10.8]),  # the defect of issue 13
    Table(lesson.check_first_loss, args=(X3K, Y3K),
          right=[fixed_output_layer(), fixed_output_layer(w_scale=0.01), fixed_output_layer(seed=2),
                 tuple(fixed_output_layer()), [p[0] if i == 4 else p for i, p in enumerate(fixed_output_layer())]],
          mistakes={"the uniform start": fixed_output_layer(w_scale=0.01, bias="zero"),
                    "holds the probabilities": fixed_output_layer(bias="p"),
                    "logits are still large": fixed_output_layer(w_scale=1.0)},
          wrong=[fixed_output_layer(bias="-log p"), fixed_output_layer(bias="2 log p"),
                 fixed_output_layer(w_scale=0.3), lesson.init_mlp(1, 5), lesson.init_mlp(2, 5, out_scale=0.0),
                 fixed_output_layer()[:4]]),
    Table(lesson.check_first_loss, args=(X3K, Y3K), kwargs={"start": "uniform"},
          right=[fixed_output_layer(bias="zero"), fixed_output_layer(w_scale=0.01, bias="zero")],
          mistakes={"logits are still large": fixed_output_layer(w_scale=1.0, bias="zero")},
          wrong=[fixed_output_layer(), fixed_output_layer(bias="-log p")]),
    Table(lesson.check_high_first_loss, right=["b", " B ", "b"],
          mistakes={"worse than a uniform guess": "a", "log2(10)": "c", "hockey stick": "d"},
          wrong=["e", ["b", "c"]]),
    Table(lesson.check_masked_first_loss,
          right=number_forms(math.log(27) * 3 / 8),
          mistakes={"the loss without the bug": math.log(27), "the other way round": math.log(27) * 8 / 3,
                    "only the fraction of real positions": 3 / 8, "in bits": math.log2(27) * 3 / 8,
                    "the fraction of padding": math.log(27) * 5 / 8},
          wrong=[math.log(27) / 8, math.log(27) * 3 / 64, math.log(10) * 3 / 8, -0.0380]),
    Table(lesson.check_gain, args=(0.2,),
          right=number_forms(math.sqrt(2 / 1.04)),
          mistakes={"ReLU's gain": math.sqrt(2), "gain squared": 2 / 1.04, "take 1 over it": math.sqrt(1.04 / 2),
                    "enters squared": math.sqrt(2 / 1.2)},
          wrong=[5 / 3, 1.0, 1.2]),
]


# --- the loss of a uniform guess -------------------------------------------------------------

def test_uniform_loss_matches_the_brief_and_torch():
    assert lesson.uniform_loss(27) == pytest.approx(LN27, abs=1e-9)
    assert lesson.LN_VOCAB == pytest.approx(LN27, abs=1e-9)
    assert lesson.uniform_loss(27) / math.log(2) == pytest.approx(4.7549, abs=1e-4)
    assert lesson.uniform_loss(10) == pytest.approx(2.302585, abs=1e-6)
    for n in (2, 10, 27, 50257):
        logits = torch.zeros(3, n, dtype=torch.float64)
        torch_loss = F.cross_entropy(logits, torch.tensor([0, 1, n - 1])).item()
        assert lesson.uniform_loss(n) == pytest.approx(torch_loss, abs=1e-9)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "27"])
def test_uniform_loss_rejects_bad_class_counts(bad):
    with pytest.raises(ValueError, match="n_classes must be a whole number >= 1"):
        lesson.uniform_loss(bad)


# --- the reference model ---------------------------------------------------------------------

def test_init_mlp_shapes_draws_and_fixes():
    C, W1, b1, W2, b2 = naive = lesson.init_mlp(3, seed=4)
    assert [tuple(p.shape) for p in naive] == [(3, 27, 10), (3, 30, 100), (3, 100), (3, 100, 27), (3, 27)]
    assert all(p.dtype == torch.float64 for p in naive)
    for p in naive:
        tol = 4 / math.sqrt(p.numel())   # four standard errors
        assert p.mean().item() == pytest.approx(0, abs=tol) and p.std().item() == pytest.approx(1, abs=tol)
    C2, W12, b12, W22, b22 = lesson.init_mlp(3, seed=4, out_scale=0.01, hidden_gain=5 / 3, emb_scale=0.1)
    assert torch.equal(C2, C * 0.1)
    assert torch.allclose(W12, W1 * 5 / 3 / math.sqrt(30)) and torch.count_nonzero(b12) == 0
    assert torch.allclose(W22, W2 * 0.01) and torch.count_nonzero(b22) == 0


def test_init_mlp_is_deterministic_and_leaves_the_global_generator_alone():
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    a = lesson.init_mlp(2, seed=7)
    after = torch.rand(3)
    assert torch.equal(before, after)
    assert all(torch.equal(p, q) for p, q in zip(a, lesson.init_mlp(2, seed=7)))
    assert not torch.equal(a[1], lesson.init_mlp(2, seed=8)[1])


@pytest.mark.parametrize("kwargs, match", [
    ({"n_models": 0, "seed": 0}, "n_models must be a whole number >= 1"),
    ({"n_models": 1, "seed": -1}, "seed must be"),
    ({"n_models": 1, "seed": 0, "hidden_gain": 0}, "hidden_gain must be > 0"),
    ({"n_models": 1, "seed": 0, "n_hidden": 2.5}, "n_hidden must be a whole number >= 1"),
])
def test_init_mlp_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lesson.init_mlp(**kwargs)


def test_mlp_logits_is_the_forward_pass_written_out():
    params = lesson.init_mlp(2, seed=1)
    X = torch.randint(0, 27, (7, 3), generator=torch.Generator().manual_seed(0))
    logits = lesson.mlp_logits(params, X)
    assert logits.shape == (2, 7, 27)
    for m in range(2):
        C, W1, b1, W2, b2 = (p[m] for p in params)
        by_hand = torch.tanh(C[X].reshape(7, 30) @ W1 + b1) @ W2 + b2
        assert torch.allclose(logits[m], by_hand, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_a_small_output_layer_starts_near_ln27_and_n01_far_above(seed):
    X, Y = SPLIT["Xtr"], SPLIT["Ytr"]
    fixed = F.cross_entropy(lesson.mlp_logits(lesson.init_mlp(1, seed, out_scale=0.01), X)[0], Y).item()
    assert abs(fixed - LN27) < 0.05
    naive = F.cross_entropy(lesson.mlp_logits(lesson.init_mlp(1, seed), X)[0], Y).item()
    assert naive > 3 * LN27


def test_prior_entropy_is_the_entropy_of_the_class_frequencies():
    Y = SPLIT["Ytr"]
    p = torch.bincount(Y, minlength=27).double() / len(Y)
    assert lesson.prior_entropy(Y) == pytest.approx(losses.entropy(p.numpy()), abs=1e-12)
    logits = p.log().expand(len(Y), 27)  # a model that outputs log p everywhere scores H(p)
    assert F.cross_entropy(logits, Y).item() == pytest.approx(lesson.prior_entropy(Y), abs=1e-10)
    assert lesson.prior_entropy(Y) < LN27


def test_saturation():
    assert lesson.saturation(torch.tensor([0.0, 0.5, -0.98, 0.99])) == pytest.approx(0.5)
    assert lesson.saturation(np.array([0.96, -0.96])) == 0.0
    with pytest.raises(ValueError, match="no activations"):
        lesson.saturation(torch.tensor([]))


@pytest.mark.parametrize("a", [0.0, 0.01, 0.2, 1.0])
def test_leaky_relu_gain_is_torchs_and_the_mean_square_argument(a):
    assert lesson.leaky_relu_gain(a) == pytest.approx(torch.nn.init.calculate_gain("leaky_relu", a))
    z = torch.linspace(-8, 8, 200_001, dtype=torch.float64)
    density = torch.exp(-z**2 / 2) / math.sqrt(2 * math.pi)
    mean_square = torch.trapezoid(F.leaky_relu(z, a) ** 2 * density, z).item()   # E[f(z)²], z ~ N(0, 1)
    assert 1 / math.sqrt(mean_square) == pytest.approx(lesson.leaky_relu_gain(a), rel=1e-6)


def test_kaiming_gains_are_torchs():
    assert torch.nn.init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert torch.nn.init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert torch.nn.init.calculate_gain("linear") == torch.nn.init.calculate_gain("sigmoid") == 1


# --- the notebook's own model and loop, read from its cells ------------------------------------

def notebook_functions(names=("init_mlp", "stack", "forward", "loss_per_model", "train", "init_deep", "deep_forward")):
    """The lesson notebook's function definitions, compiled in a namespace like the notebook's."""
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    defs = []
    for cell in cells:
        if cell["cell_type"] == "code":
            tree = ast.parse("".join(cell["source"]))
            defs += [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name in names]
    assert sorted(d.name for d in defs) == sorted(names), "the notebook no longer defines these functions"
    from tqdm.auto import tqdm
    ns = {"math": math, "torch": torch, "F": F, "np": np, "DTYPE": torch.float64, "tqdm": tqdm,
          "SHOW_PROGRESS": False, "Xtr": SPLIT["Xtr"], "Ytr": SPLIT["Ytr"]}
    exec(compile(ast.Module(body=defs, type_ignores=[]), str(NOTEBOOK), "exec"), ns)
    return ns


NB = notebook_functions()


@pytest.mark.parametrize("kwargs", [{}, {"out_scale": 0.01}, {"out_scale": 0.01, "hidden_gain": 5 / 3},
                                    {"out_scale": 0.01, "hidden_gain": 5 / 3, "emb_scale": 0.1}])
def test_helpers_init_mlp_draws_exactly_what_the_notebook_draws(kwargs):
    ours, theirs = lesson.init_mlp(3, seed=2, **kwargs), NB["init_mlp"](3, 2, **kwargs)
    assert all(torch.equal(a, b) for a, b in zip(ours, theirs))
    X = SPLIT["Xtr"][:50]
    assert torch.equal(lesson.mlp_logits(ours, X), NB["forward"](theirs, X))


def test_loss_per_model_is_each_models_cross_entropy():
    params = NB["stack"](NB["init_mlp"](2, 0), NB["init_mlp"](1, 3, out_scale=0.01))
    X, Y = SPLIT["Xtr"][:64], SPLIT["Ytr"][:64]
    logits = NB["forward"](params, X)
    assert logits.shape == (3, 64, 27)
    per_model = NB["loss_per_model"](logits, Y)
    assert per_model.shape == (3,)
    for m in range(3):
        assert per_model[m].item() == pytest.approx(F.cross_entropy(logits[m], Y).item(), abs=1e-12)


def test_stacked_training_is_independent_training():
    """The lesson's claim: backpropagating the sum of M losses trains M models as if each ran alone."""
    a, b = NB["init_mlp"](1, 0, out_scale=0.01), NB["init_mlp"](1, 1)
    together, curve = NB["train"](NB["stack"](a, b), NB["forward"], 12)
    alone = [NB["train"](p, NB["forward"], 12) for p in (a, b)]
    assert curve.shape == (12, 2)
    for m, (params, own_curve) in enumerate(alone):
        assert torch.allclose(curve[:, m], own_curve[:, 0], rtol=0, atol=1e-10)
        assert all(torch.allclose(t[m], p[0], rtol=0, atol=1e-10) for t, p in zip(together, params))
    assert curve[-5:, 0].mean() < curve[0, 0] - 0.2                                    # it learns


def test_deep_net_activations_and_the_gain():
    X = SPLIT["Xtr"][:1000]
    stds = {}
    for label, gain in {"1": 1.0, "5/3": 5 / 3, "N(0,1)": None}.items():
        acts = []
        NB["deep_forward"]([p.requires_grad_() for p in NB["init_deep"](1, 0, gain)], X, acts)
        stds[label] = [h.std().item() for h in acts]
        assert [tuple(h.shape) for h in acts] == [(1, 1000, 64)] * 5
    assert all(a > b for a, b in zip(stds["1"], stds["1"][1:]))          # gain 1: the signal fades
    assert stds["5/3"][-1] > 0.8 * stds["5/3"][0] > 0.5                  # gain 5/3: it holds
    assert min(stds["N(0,1)"]) > 0.9                                     # N(0, 1): saturated


def repro_numbers() -> list[float]:
    """Short float64 runs of the kinds the notebook prints: one-layer N(0, 1) and fixed, deep gains 1 and 5/3."""
    torch.set_num_threads(1)
    nb = NB
    params = nb["stack"](nb["init_mlp"](2, 0), nb["init_mlp"](2, 0, out_scale=0.01))
    _, curve = nb["train"](params, nb["forward"], 60)
    deep, _ = nb["train"](nb["stack"](nb["init_deep"](2, 0, 1.0), nb["init_deep"](2, 0, 5 / 3)), nb["deep_forward"], 60)
    return curve[-1].tolist() + nb["loss_per_model"](nb["deep_forward"](deep, X3K[:500]), Y3K[:500]).tolist()


def test_float64_training_gives_the_same_numbers_on_every_cpu_path():
    """What keeps the notebook's outputs reproducible on another x86 CPU (ATEN_CPU_CAPABILITY picks the kernels).

    The kinds of run the notebook prints, in float64, here and with the default and AVX2
    kernels. (The deep N(0, 1) net is chaotic: its results differ between kernels, so the
    notebook does not train it.)
    """
    here = repro_numbers()
    code = "import json; from tests.lessons.test_initialization_and_loss_estimation import repro_numbers as r; print(json.dumps(r()))"
    for capability in ("default", "avx2"):
        env = {**os.environ, "ATEN_CPU_CAPABILITY": capability}
        out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                             timeout=600, check=True)
        there = json.loads(out.stdout.strip().splitlines()[-1])
        np.testing.assert_allclose(there, here, rtol=1e-9, err_msg=f"ATEN_CPU_CAPABILITY={capability}")


# --- the widget -----------------------------------------------------------------------------

def widget_batch(seed):
    X, Y = data.build_dataset(SPLIT["train"][:500], SPLIT["stoi"])
    ix = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed))[:lesson.WIDGET_BATCH]
    return X[ix], Y[ix]


@pytest.mark.parametrize("scale, seed", [(1.0, 0), (0.07, 0), (0.01, 2)])
def test_widget_matches_the_full_model(scale, seed):
    r = lesson.output_scale_demo(scale=scale, seed=seed)
    X, Y = widget_batch(seed)
    C, W1, b1, W2, b2 = lesson.init_mlp(1, seed)                       # the widget: W2 × scale, bias 0
    logits = lesson.mlp_logits([C, W1, b1, W2 * scale, b2 * 0], X)[0]
    assert np.allclose(r["logits"], logits.numpy(), atol=1e-10)
    assert r["loss"] == pytest.approx(F.cross_entropy(logits, Y).item(), abs=1e-10)
    assert np.allclose(r["probs0"], F.softmax(logits[0], dim=-1).numpy(), atol=1e-12)
    assert r["target0"] == int(Y[0]) and r["next0"] == SPLIT["itos"][int(Y[0])]
    assert r["context0"] == "".join(SPLIT["itos"][i] for i in X[0].tolist())


def test_widget_is_pure_and_reaches_ln27_at_scale_0():
    a, b = lesson.output_scale_demo(0.3, 1), lesson.output_scale_demo(0.3, 1)
    assert a["loss"] == b["loss"] and np.array_equal(a["logits"], b["logits"])
    zero = lesson.output_scale_demo(0.0)
    assert zero["loss"] == pytest.approx(LN27, abs=1e-9)
    assert np.allclose(zero["probs0"], 1 / 27)
    losses_ = [lesson.output_scale_demo(s)["loss"] for s in (0.01, 0.1, 0.3, 1.0)]
    assert losses_ == sorted(losses_) and losses_[-1] > 3 * LN27


@pytest.mark.parametrize("kwargs, match", [({"scale": -0.1}, "scale must be >= 0"), ({"seed": -1}, "seed must be"),
                                           ({"seed": 1.5}, "seed must be")])
def test_widget_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lesson.output_scale_demo(**kwargs)


def test_lesson_updates_in_place_when_the_slider_moves():
    widget = lesson.output_scale_widget()
    view = widget.view
    loss_bar = view.loss.bars[0]
    before_loss, before_hist = widget.result["loss"], view.hist.get_data().values.copy()
    assert loss_bar.get_height() == pytest.approx(min(before_loss, lesson.LOSS_MAX))
    widget.controls["scale"].value = 0.01
    assert widget.result["loss"] == pytest.approx(lesson.output_scale_demo(0.01, 0)["loss"])
    assert widget.result["loss"] < before_loss
    assert loss_bar.get_height() == pytest.approx(widget.result["loss"])
    assert not np.array_equal(view.hist.get_data().values, before_hist)
    counts, _ = np.histogram(np.clip(widget.result["logits"].ravel(), -40, 40), lesson.LOGIT_BINS)
    assert np.array_equal(view.hist.get_data().values, np.maximum(counts, 1e-3))
    assert f"{widget.result['loss']:.4f}" in widget.readout.value
    assert view.soft.bars[widget.result["target0"]].get_height() == pytest.approx(widget.result["q_target0"])
    assert sum(b.get_height() for b in view.soft.bars) == pytest.approx(1.0, abs=1e-5)
    widget.controls["seed"].value = 3
    assert widget.result["seed"] == 3
    assert widget.updates == 3


def test_widget_axes_are_labelled_and_ln27_sits_on_its_line():
    view = lesson.ScaleView()
    ax_loss, _, ax_soft = view.fig.axes
    ticks = dict(zip([t.get_text() for t in ax_loss.get_yticklabels()], ax_loss.get_yticks()))
    assert ticks["ln 27"] == pytest.approx(math.log(27))
    assert ax_soft.get_ylabel() and ax_soft.get_xlabel()


# --- progress bars and checkers ----------------------------------------------------------------

@pytest.mark.parametrize("env, expected", [({}, False), ({"JPY_SESSION_NAME": "/x/05.ipynb"}, True),
                                           ({"JPY_SESSION_NAME": "/x/05.ipynb", "COURSE_PROGRESS": "0"}, False),
                                           ({"COURSE_PROGRESS": "1"}, True), ({"COURSE_PROGRESS": "off"}, False)])
def test_show_progress(env, expected):
    assert lesson.show_progress(env) is expected


def test_check_uniform_loss_never_accepts_another_class_count():
    check = lesson.check_uniform_loss
    assert check(..., 27).status == "unanswered"
    assert check(math.log(10), 10).status == "correct"
    for other in (50000, 50304, 50256, 50258):          # issue 13: these were judged correct
        assert check(math.log(other), 50257).status == "wrong"
    assert check(10.8249, 50257).status == "correct"     # the 4-decimal form, nearest to ln 50257
    assert check(10.82, 50257).status != "correct"
    assert check(math.log(26), 10).status == "wrong" and "boundary" not in check(math.log(26), 10).detail


def test_check_uniform_loss_calls_a_short_prediction_close_not_wrong():
    for short in (3.3, 3.29):
        verdict = lesson.check_uniform_loss(short, 27)
        assert verdict.status == "close" and "4 decimals" in verdict.detail
    assert lesson.check_uniform_loss(3.2, 27).status == "wrong"  # nearer ln 25 than ln 27


def test_check_first_loss_runs_the_model_and_explains_the_usual_slips():
    verdict = lesson.check_first_loss(fixed_output_layer(), X3K, Y3K)
    assert verdict.status == "correct" and f"{lesson.prior_entropy(Y3K):.4f}" in verdict.detail
    C, W1, b1, W2, b2 = lesson.init_mlp(1, 5)
    assert lesson.check_first_loss([C, W1, b1, ..., ...], X3K, Y3K).status == "unanswered"
    assert "shape" in lesson.check_first_loss([C, W1, b1, W2[0, :5], b2], X3K, Y3K).detail
    assert "nan" in lesson.check_first_loss([C, W1, b1, W2 * float("nan"), b2], X3K, Y3K).detail
    assert "one model" in lesson.check_first_loss(lesson.init_mlp(2, 5), X3K, Y3K).detail
    with pytest.raises(ValueError, match="start must be"):
        lesson.check_first_loss(fixed_output_layer(), X3K, Y3K, start="zero")


def _bias_scaled_to(extra):
    """Output weights 0 and bias t·log p, t > 1 found by bisection so that the first loss is H(p) + extra.

    With W2 = 0 every row of logits is the bias, so the loss is -Σ p log softmax(t·log p): no model needed.
    """
    params = fixed_output_layer()
    log_p = params[4][0]
    p, H, lo, hi = log_p.exp(), lesson.prior_entropy(Y3K), 1.0, 4.0
    for _ in range(50):
        t = (lo + hi) / 2
        loss = -(p * F.log_softmax(t * log_p, dim=-1)).sum().item()
        lo, hi = (t, hi) if loss - H < extra else (lo, t)
    params[4] = t * log_p[None]
    return params


@pytest.mark.parametrize("extra, status", [(0.045, "correct"), (0.055, "wrong"), (0.5, "wrong")])
def test_check_first_loss_judges_by_0_05_around_the_target(extra, status):
    assert lesson.check_first_loss(_bias_scaled_to(extra), X3K, Y3K).status == status
