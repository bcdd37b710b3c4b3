"""helpers.lessons.initialization_and_loss_estimation: the lesson's pure functions, views, widgets and checkers."""
import math

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from helpers import data
from helpers.lessons import initialization_and_loss_estimation as lesson

LN27 = 3.295836866  # -ln(1/27) = ln 27 to 9 decimals (checked against torch below)


@pytest.fixture(scope="module")
def split():
    all_names = data.load_names()
    stoi, itos = data.build_vocab(all_names)
    train_names, val_names = data.split_names(all_names, 0.1, seed=0)
    Xtr, Ytr = data.build_dataset(train_names, stoi)
    return {"stoi": stoi, "itos": itos, "train": train_names, "val": val_names, "Xtr": Xtr, "Ytr": Ytr}


def widget_batch(seed, split):
    ix = torch.randperm(len(split["Xtr"]), generator=torch.Generator().manual_seed(seed))[:lesson.WIDGET_BATCH]
    return split["Xtr"][ix], split["Ytr"][ix]



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


def test_shapes_and_forward_written_out():
    model = lesson.CharMLP(seed=1, block_size=4, n_embd=5, n_hidden=16)
    X = torch.randint(0, 27, (7, 4))
    pre, h = model.hidden_states(X)
    assert pre.shape == h.shape == (7, 16)
    emb = model.emb.weight[X].reshape(7, 20)
    by_hand = torch.tanh(emb @ model.hidden.weight.T + model.hidden.bias) @ model.out.weight.T + model.out.bias
    assert torch.allclose(model(X), by_hand, atol=1e-6)
    assert model(X).shape == (7, 27)


def test_torch_init_is_exactly_pytorchs_default():
    for seed in (0, 5):
        torch.manual_seed(seed)
        emb, hidden, out = nn.Embedding(27, 10), nn.Linear(30, 200), nn.Linear(200, 27)
        model = lesson.CharMLP(init="torch", seed=seed)
        for ours, theirs in [(model.emb.weight, emb.weight), (model.hidden.weight, hidden.weight),
                             (model.hidden.bias, hidden.bias), (model.out.weight, out.weight),
                             (model.out.bias, out.bias)]:
            assert torch.equal(ours, theirs)
    bound = 1 / math.sqrt(200)  # the brief: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    assert model.out.weight.abs().max() <= bound
    assert model.out.weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.05)


def test_randn_init_is_standard_normal_and_out_scale_rescales_it():
    naive = lesson.CharMLP(init="randn", seed=3)
    for p in naive.parameters():
        assert p.mean().item() == pytest.approx(0, abs=0.25)
        assert p.std().item() == pytest.approx(1, abs=0.25)
    fixed = lesson.CharMLP(init="randn", seed=3, out_scale=0.01)
    assert torch.equal(fixed.hidden.weight, naive.hidden.weight)
    assert torch.allclose(fixed.out.weight, naive.out.weight * 0.01)
    assert torch.count_nonzero(fixed.out.bias) == 0


def test_hidden_gain_and_emb_scale():
    kaiming = lesson.CharMLP(init="randn", seed=0, hidden_gain=5 / 3)
    assert kaiming.hidden.weight.std().item() == pytest.approx(5 / 3 / math.sqrt(30), rel=0.05)
    assert torch.count_nonzero(kaiming.hidden.bias) == 0
    small = lesson.CharMLP(init="randn", seed=0, hidden_gain=5 / 3, emb_scale=0.1)
    assert torch.allclose(small.emb.weight, kaiming.emb.weight * 0.1)


def test_models_are_deterministic_and_leave_the_global_generator_alone():
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    a = lesson.CharMLP(init="randn", seed=7, out_scale=0.01)
    lesson.DeepTanh(seed=7)
    after = torch.rand(3)
    assert torch.equal(before, after)
    b = lesson.CharMLP(init="randn", seed=7, out_scale=0.01)
    c = lesson.CharMLP(init="randn", seed=8, out_scale=0.01)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.hidden.weight, c.hidden.weight)


@pytest.mark.parametrize("kwargs, match", [
    ({"init": "xavier"}, "init must be 'torch' or 'randn'"),
    ({"out_scale": -0.1}, "out_scale must be >= 0"),
    ({"hidden_gain": 0}, "hidden_gain must be > 0"),
    ({"n_hidden": 0}, "n_hidden must be a whole number >= 1"),
    ({"block_size": 2.5}, "block_size must be a whole number >= 1"),
])
def test_charmlp_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lesson.CharMLP(**kwargs)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_fixed_init_first_loss_is_within_005_of_ln27(split, seed):
    fixed = lesson.CharMLP(init="randn", seed=seed, out_scale=0.01)
    assert abs(lesson.evaluate(fixed, split["Xtr"], split["Ytr"]) - LN27) < 0.05
    naive = lesson.CharMLP(init="randn", seed=seed)
    assert lesson.evaluate(naive, split["Xtr"], split["Ytr"]) > 3 * LN27  # far above: the bad init


def test_train_first_loss_is_the_untrained_models_first_batch(split):
    X, Y = split["Xtr"], split["Ytr"]
    model = lesson.CharMLP(init="randn", seed=0, out_scale=0.01)
    untouched = lesson.CharMLP(init="randn", seed=0, out_scale=0.01)
    losses = lesson.train(model, X, Y, steps=50, batch_size=16, lr=0.1, seed=4)
    ix = torch.randint(0, len(X), (16,), generator=torch.Generator().manual_seed(4))
    assert losses[0] == pytest.approx(F.cross_entropy(untouched(X[ix]), Y[ix]).item(), abs=1e-6)
    assert losses.shape == (50,)
    assert losses[-10:].mean() < losses[0] - 0.3  # it learns
    assert not torch.equal(model.out.weight, untouched.out.weight)


def test_train_is_deterministic_and_quiet_by_default(split, capsys):
    runs = [lesson.train(lesson.CharMLP(init="randn", seed=0, out_scale=0.01), split["Xtr"], split["Ytr"],
                            steps=20, seed=1) for _ in range(2)]
    assert np.array_equal(runs[0], runs[1])
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_train_shows_a_bar_when_asked(split, capsys):
    lesson.train(lesson.CharMLP(seed=0), split["Xtr"], split["Ytr"], steps=3, progress=True, desc="demo bar")
    assert "demo bar" in capsys.readouterr().err


@pytest.mark.parametrize("kwargs, match", [({"steps": 0}, "steps must be a whole number >= 1"), ({"batch_size": 1.5}, "batch_size must be a whole number >= 1"),
                                           ({"lr": 0}, "lr must be > 0")])
def test_train_rejects_bad_settings(split, kwargs, match):
    with pytest.raises(ValueError, match=match):
        lesson.train(lesson.CharMLP(), split["Xtr"], split["Ytr"], **kwargs)


def test_train_and_evaluate_reject_mismatched_data(split):
    with pytest.raises(ValueError, match=r"expected X \[N, block_size\] and Y \[N\]"):
        lesson.evaluate(lesson.CharMLP(), split["Xtr"][:5], split["Ytr"][:4])
    with pytest.raises(ValueError, match=r"expected X \[N, block_size\] and Y \[N\]"):
        lesson.train(lesson.CharMLP(), split["Xtr"][:0], split["Ytr"][:0])


@pytest.mark.parametrize("env, expected", [({}, False), ({"JPY_SESSION_NAME": "/x/05.ipynb"}, True),
                                           ({"JPY_SESSION_NAME": "/x/05.ipynb", "COURSE_PROGRESS": "0"}, False),
                                           ({"COURSE_PROGRESS": "1"}, True), ({"COURSE_PROGRESS": "off"}, False)])
def test_show_progress(env, expected):
    assert lesson.show_progress(env) is expected


def test_saturation():
    assert lesson.saturation(torch.tensor([0.0, 0.5, -0.98, 0.99])) == pytest.approx(0.5)
    assert lesson.saturation(np.array([0.96, -0.96])) == 0.0
    with pytest.raises(ValueError, match="no activations"):
        lesson.saturation(torch.tensor([]))


def test_kaiming_gains_are_torchs():
    assert torch.nn.init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert torch.nn.init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert torch.nn.init.calculate_gain("linear") == torch.nn.init.calculate_gain("sigmoid") == 1


def test_deep_tanh_activation_stats(split):
    X = split["Xtr"][:1000]
    gain1 = lesson.activation_stats(lesson.DeepTanh(gain=1.0, seed=0), X)
    gain53 = lesson.activation_stats(lesson.DeepTanh(gain=5 / 3, seed=0), X)
    big = lesson.activation_stats(lesson.DeepTanh(gain=None, seed=0), X)
    assert len(gain1["std"]) == 5
    assert all(a > b for a, b in zip(gain1["std"], gain1["std"][1:]))        # gain 1: the signal fades
    assert gain53["std"][-1] > 0.8 * gain53["std"][0]                          # gain 5/3: it holds
    assert gain53["std"][-1] > gain1["std"][-1] + 0.2
    assert min(big["saturated"]) > 0.5                                         # N(0, 1): saturated
    deep = lesson.DeepTanh(gain=5 / 3, seed=0, depth=3, width=8)
    acts = deep.activations(X[:4])
    assert [a.shape for a in acts] == [(4, 8)] * 3 and deep(X[:4]).shape == (4, 27)
    assert deep.layers[1].weight.std().item() == pytest.approx(5 / 3 / math.sqrt(8), rel=0.5)


def test_deep_tanh_rejects_bad_settings():
    with pytest.raises(ValueError, match="depth must be a whole number >= 1"):
        lesson.DeepTanh(depth=0)
    with pytest.raises(ValueError, match="width must be a whole number >= 1"):
        lesson.DeepTanh(width=2.5)
    with pytest.raises(ValueError, match="gain must be > 0"):
        lesson.DeepTanh(gain=-1.0)


@pytest.mark.parametrize("scale, seed", [(1.0, 0), (0.07, 0), (0.01, 2)])
def test_widget_matches_the_full_model(split, scale, seed):
    r = lesson.output_scale_demo(scale=scale, seed=seed)
    X, Y = widget_batch(seed, split)
    model = lesson.CharMLP(init="randn", seed=seed, out_scale=scale)
    with torch.no_grad():
        logits = model(X)
    assert np.allclose(r["logits"], logits.numpy(), atol=1e-4)
    assert r["loss"] == pytest.approx(F.cross_entropy(logits, Y).item(), abs=1e-5)
    assert np.allclose(r["probs0"], F.softmax(logits[0], dim=-1).numpy(), atol=1e-6)
    assert r["target0"] == int(Y[0]) and r["next0"] == split["itos"][int(Y[0])]
    assert r["context0"] == "".join(split["itos"][i] for i in X[0].tolist())


def test_widget_is_pure_and_reaches_ln27_at_scale_0():
    a, b = lesson.output_scale_demo(0.3, 1), lesson.output_scale_demo(0.3, 1)
    assert a["loss"] == b["loss"] and np.array_equal(a["logits"], b["logits"])
    zero = lesson.output_scale_demo(0.0)
    assert zero["loss"] == pytest.approx(LN27, abs=1e-6)
    assert np.allclose(zero["probs0"], 1 / 27)
    losses = [lesson.output_scale_demo(s)["loss"] for s in (0.01, 0.1, 0.3, 1.0)]
    assert losses == sorted(losses) and losses[-1] > 10 * LN27 / 2


@pytest.mark.parametrize("kwargs, match", [({"scale": -0.1}, "scale must be >= 0"), ({"seed": -1}, "seed must be"),
                                           ({"seed": 1.5}, "seed must be")])
def test_widget_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lesson.output_scale_demo(**kwargs)


def test_lesson_updates_in_place_when_the_slider_moves():
    widget = lesson.output_scale_widget()
    view = widget.view
    loss_bar = view.loss.bars[0]
    before_loss, before_hist = widget.result["loss"], [b.get_height() for b in view.hist]
    assert loss_bar.get_height() == pytest.approx(min(before_loss, lesson.LOSS_MAX))
    widget.controls["scale"].value = 0.01
    assert widget.result["loss"] == pytest.approx(lesson.output_scale_demo(0.01, 0)["loss"])
    assert widget.result["loss"] < before_loss
    assert loss_bar.get_height() == pytest.approx(widget.result["loss"])
    assert [b.get_height() for b in view.hist] != before_hist
    assert f"{widget.result['loss']:.4f}" in widget.readout.value
    assert view.soft.bars[widget.result["target0"]].get_height() == pytest.approx(widget.result["q_target0"])
    assert sum(b.get_height() for b in view.soft.bars) == pytest.approx(1.0, abs=1e-5)
    widget.controls["seed"].value = 3
    assert widget.result["seed"] == 3
    assert widget.updates == 3


def test_check_uniform_loss():
    check = lesson.check_uniform_loss
    assert check(..., 27).status == "unanswered"
    assert check(3.2958, 27).status == "correct"
    assert check(math.log(10), 10).status == "correct"
    assert check(10.8249, 50257).status == "correct"
    for wrong, hint in [(4.7549, "bits"), (math.log10(27), "base 10"), (1 / 27, "probability 1/n"),
                        (-3.2958, "sign"), (math.log(26), "boundary token")]:
        verdict = check(wrong, 27)
        assert verdict.status == "wrong" and hint in verdict.detail
    assert check(math.log(26), 10).status == "wrong" and "boundary" not in check(math.log(26), 10).detail


def test_check_first_loss_diagnosis():
    check = lesson.check_first_loss_diagnosis
    assert check(...).status == "unanswered"
    assert check("b").status == "correct" and check(" B ").status == "correct"
    assert "log2(10)" in check("c").detail and check("c").status == "wrong"
    assert check("a").status == "wrong" and "uniform guess" in check("a").detail
    assert check("e").status == "wrong" and "not one of the options" in check("e").detail


def test_check_excess_nats():
    check = lesson.check_excess_nats
    assert check(...).status == "unanswered"
    assert check(14 - math.log(10)).status == "correct"
    assert check(11.7).status == "correct"
    assert "ratio" in check(14 / math.log(10)).detail
    assert "bits" in check(14 - math.log2(10)).detail


def test_widget_axes_are_labelled_and_ln27_sits_on_its_line():
    view = lesson.ScaleView()
    ax_loss, _, ax_soft = view.fig.axes
    ticks = dict(zip([t.get_text() for t in ax_loss.get_yticklabels()], ax_loss.get_yticks()))
    assert ticks["ln 27"] == pytest.approx(math.log(27))
    assert ax_soft.get_ylabel() and ax_soft.get_xlabel()
