"""helpers.data: the names data set, the bigram model, the M&M mixes; data/build_names.py."""
from __future__ import annotations

import hashlib
import importlib.util
import io
import math
import re
import tarfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers import data


@pytest.fixture(scope="module")
def split():
    all_names = data.load_names()
    stoi, itos = data.build_vocab(all_names)
    train_names, val_names = data.split_names(all_names, 0.1, seed=0)
    return {"stoi": stoi, "itos": itos, "train": train_names, "val": val_names}


# --- the bigram model: counts, add-α probabilities, NLL ---------------------------------------

def test_bigram_nll_equals_torch_cross_entropy_with_log_q_logits(split):
    counts = data.bigram_counts(split["train"], split["stoi"])
    val_pairs = data.bigram_counts(split["val"], split["stoi"])
    Xva, Yva = data.build_dataset(split["val"], split["stoi"], block_size=1)
    for alpha in (0.1, 1.0, 10.0):
        q = data.bigram_probs(counts, alpha)
        assert np.allclose(q.sum(axis=1), 1)
        logits = torch.log(torch.tensor(q))[Xva[:, 0]]             # [N, 27]
        assert data.bigram_nll(q, val_pairs) == pytest.approx(F.cross_entropy(logits, Yva).item(), abs=1e-9)


def test_bigram_nll_is_infinite_for_an_unseen_pair_without_smoothing(split):
    counts = data.bigram_counts(split["train"], split["stoi"])
    q = data.bigram_probs(counts, alpha=0.0)          # the MLE: a pair never seen gets q = 0
    assert math.isfinite(data.bigram_nll(q, counts))
    i, j = np.argwhere(counts == 0)[0]
    unseen = np.zeros_like(counts)
    unseen[i, j] = 1
    assert data.bigram_nll(q, counts + unseen) == math.inf
    assert math.isfinite(data.bigram_nll(data.bigram_probs(counts, alpha=0.1), counts + unseen))


def test_bigram_probs_errors():
    with pytest.raises(ValueError, match="2-D"):
        data.bigram_probs([1, 2, 3])
    with pytest.raises(ValueError, match="counts must be >= 0"):
        data.bigram_probs(-np.ones((3, 3)))
    with pytest.raises(ValueError, match="NaN or inf"):
        data.bigram_probs([[1, np.nan], [2, 2]])
    with pytest.raises(ValueError, match="alpha .* must be >= 0"):
        data.bigram_probs(np.ones((3, 3)), alpha=-1)
    with pytest.raises(ValueError, match="row 1 has no counts"):
        data.bigram_probs([[1, 1], [0, 0]], 0.0)


def test_alpha_zero_is_the_mle(random_counts):
    c = random_counts()
    np.testing.assert_allclose(data.bigram_probs(c, 0.0), c / c.sum(axis=1, keepdims=True))


def test_large_alpha_tends_to_uniform(random_counts):
    c = random_counts()
    np.testing.assert_allclose(data.bigram_probs(c, math.inf), np.full(c.shape, 1 / 6))
    np.testing.assert_allclose(data.bigram_probs(c, 1e9), np.full(c.shape, 1 / 6), atol=1e-7)
    gaps = [np.abs(data.bigram_probs(c, a) - 1 / 6).max() for a in [0, 0.1, 1, 10, 100]]
    assert np.all(np.diff(gaps) < 0)


def test_smoothed_rows_sum_to_one_and_unseen_get_alpha_share(random_counts):
    c = random_counts()
    q = data.bigram_probs(c, 1.0)
    np.testing.assert_allclose(q.sum(axis=1), 1.0)
    assert q[1, 2] == pytest.approx(1.0 / (c[1].sum() + 6))


def test_bigram_nll_matches_torch_cross_entropy(random_counts):
    c = random_counts((4, 4), seed=5)
    q = data.bigram_probs(c, 0.5)
    prev, nxt = np.nonzero(c)
    reps = c[prev, nxt]
    xs = torch.tensor(np.repeat(prev, reps))
    ys = torch.tensor(np.repeat(nxt, reps))
    expected = F.cross_entropy(torch.log(torch.tensor(q))[xs], ys).item()
    assert data.bigram_nll(q, c) == pytest.approx(expected, rel=1e-12)


def test_bigram_nll_on_names_matches_torch():
    words = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia"]
    stoi, _ = data.build_vocab(words)
    counts = data.bigram_counts(words, stoi)
    q = data.bigram_probs(counts, 1.0)
    X, Y = data.build_dataset(words, stoi, block_size=1)
    expected = F.cross_entropy(torch.log(torch.tensor(q))[X[:, 0]], Y).item()
    assert data.bigram_nll(q, counts) == pytest.approx(expected, rel=1e-12)


def test_mle_gives_infinite_nll_for_an_unseen_bigram():
    train = np.array([[3, 0], [1, 1]])
    val = np.array([[1, 1], [0, 1]])
    assert data.bigram_nll(data.bigram_probs(train, 0.0), val) == math.inf
    assert math.isfinite(data.bigram_nll(data.bigram_probs(train, 0.1), val))


def test_bad_nll_inputs():
    q = np.full((2, 2), 0.5)
    with pytest.raises(ValueError, match="same shape"):
        data.bigram_nll(q, np.ones((3, 2)))
    with pytest.raises(ValueError, match="all zero"):
        data.bigram_nll(q, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="sum to 1"):
        data.bigram_nll([[0.5, 0.6], [0.5, 0.5]], np.ones((2, 2)))
    with pytest.raises(ValueError, match="counts must be >= 0"):
        data.bigram_nll(q, [[1, -2], [1, 1]])


ROOT = Path(__file__).resolve().parent.parent


HEADER = "bag,label,red,orange,yellow,green,blue,brown,source\n"


GOOD_ROW = "a,bag a,10,20,30,10,20,10,test\n"


# the published mixes, typed in by hand in percent from the sources data/README.md cites
# (Mars consumer affairs 2006 via mmdatasurvey.com; R. Wicklin, SAS blog, 2017) and the invented bag
PUBLISHED = {
    "milk_chocolate_2006": dict(blue=24, orange=20, green=16, yellow=14, red=13, brown=13),
    "peanut_2006": dict(blue=23, orange=23, green=15, yellow=15, red=12, brown=12),
    "plain_1997": dict(brown=30, yellow=20, red=20, orange=10, green=10, blue=10),
    "invented_bag": dict(red=10, green=20, blue=30, yellow=25, brown=15, orange=0),
}


def write_csv(tmp_path, text: str) -> Path:
    path = tmp_path / "mixes.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def mixes():
    return data.load_mixes()



def test_csv_sha256_matches_readme():
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    section = readme.split("## mm_mixes.csv", 1)[1].split("\n## ", 1)[0]
    recorded = re.search(r"sha256[^`]*`([0-9a-f]{64})`", section).group(1)
    assert hashlib.sha256(data.MIXES_PATH.read_bytes()).hexdigest() == recorded


def test_mixes_match_the_published_sources(mixes):
    assert set(mixes) == set(PUBLISHED)
    for bag, percents in PUBLISHED.items():
        want = np.array([percents[c] for c in data.COLOURS]) / 100
        np.testing.assert_allclose(mixes[bag].probs, want)
        assert mixes[bag].as_dict() == pytest.approx(dict(zip(data.COLOURS, want)))
        assert mixes[bag].source


def test_invented_bag_has_no_orange(mixes):
    assert mixes["invented_bag"].as_dict()["orange"] == 0


@pytest.mark.parametrize("text, match", [
    ("bag,label,red,orange,yellow,green,brown,source\na,a,10,20,30,10,30,x\n", r"missing column.*'blue'"),
    (HEADER + "a,bag a,10,20,30,10,20,11,x\n", r"'a' sums to 101 percent.*sum to 100"),
    (HEADER + "a,bag a,0.1,0.2,0.3,0.1,0.2,0.1,x\n", r"sums to 1 percent.*sum to 100"),
    (HEADER + "a,bag a,-10,40,30,10,20,10,x\n", r"negative percentage red=-10"),
    (HEADER + GOOD_ROW + GOOD_ROW, r"duplicate bag name 'a'"),
    (HEADER + "a,bag a,ten,20,30,10,20,10,x\n", r"red='ten'; expected a number"),
    (HEADER + "a,bag a,nan,20,30,10,20,10,x\n", r"expected a finite percentage"),
    (HEADER + "a,bag a,10,20,30,10,20,,x\n", r"brown=''; expected a number"),
    (HEADER + ",bag a,10,20,30,10,20,10,x\n", r"empty bag name"),
    (HEADER, r"no bags"),
    ("bag,label,red,orange,yellow,green,blue,brown,purple\na,a,10,20,30,10,20,10,0\n", r"unexpected column.*purple"),
])
def test_bad_csv_gives_clear_error(tmp_path, text, match):
    with pytest.raises(ValueError, match=match):
        data.load_mixes(write_csv(tmp_path, text))


def test_good_csv_loads(tmp_path):
    mixes = data.load_mixes(write_csv(tmp_path, HEADER + GOOD_ROW))
    np.testing.assert_allclose(mixes["a"].probs, [0.1, 0.2, 0.3, 0.1, 0.2, 0.1])
    assert mixes["a"].label == "bag a"


def test_unknown_bag_name(mixes):
    with pytest.raises(ValueError, match=r"unknown bag 'mint'; expected one of \['invented_bag'"):
        data.get_mix("mint", mixes)


ROOT = Path(__file__).resolve().parent.parent


DATA = ROOT / "data"


def readme_section() -> str:
    text = (DATA / "README.md").read_text(encoding="utf-8")
    return text.split("## names.txt", 1)[1].split("\n## ", 1)[0]


def load_build_script():
    spec = importlib.util.spec_from_file_location("build_names", DATA / "build_names.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module



def test_checksum_matches_data_readme():
    documented = re.search(r"sha256 of names\.txt:\*\*\s*`([0-9a-f]{64})`", readme_section())
    assert documented, "data/README.md must give the sha256 of names.txt"
    actual = hashlib.sha256((DATA / "names.txt").read_bytes()).hexdigest()
    assert actual == documented.group(1), "data/names.txt differs from the documented checksum: rebuild it"


def test_file_is_what_the_readme_says():
    all_names = data.load_names()
    assert f"**{len(all_names):,} unique names**" in readme_section()
    assert len(set(all_names)) == len(all_names), "names must be unique"
    assert all_names == sorted(all_names), "names are documented as sorted alphabetically"
    assert all(re.fullmatch(r"[a-z]+", n) for n in all_names)
    assert (DATA / "names.txt").read_bytes().endswith(b"\n")
    lengths = [len(n) for n in all_names]
    assert f"lengths {min(lengths)} to {max(lengths)} characters" in readme_section()


def test_default_path_is_the_repository_data_folder():
    assert data.NAMES_PATH == DATA / "names.txt"
    assert data.load_names() == data.load_names(DATA / "names.txt")


def test_vocabulary_is_boundary_then_a_to_z():
    stoi, itos = data.build_vocab(["emma", "zoe"])
    assert len(itos) == 27 and itos[0] == "." and itos[1] == "a" and itos[26] == "z"
    assert all(stoi[ch] == i for i, ch in enumerate(itos))
    assert "".join(itos[1:]) == "abcdefghijklmnopqrstuvwxyz"


def test_vocabulary_is_the_same_whatever_letters_the_names_use():
    assert data.build_vocab(["ab"]) == data.build_vocab(data.load_names())


@pytest.mark.parametrize("bad, match", [(["Emma"], "'E'"), (["jo ann"], "' '"), (["zoë"], "'ë'"), ([""], "is empty")])
def test_vocabulary_rejects_names_outside_a_to_z(bad, match):
    with pytest.raises(ValueError, match=match):
        data.build_vocab(["ok", *bad])


def test_split_is_disjoint_complete_and_sized():
    all_names = data.load_names()
    train, val = data.split_names(all_names, val_fraction=0.1, seed=0)
    assert not set(train) & set(val)
    assert sorted(train + val) == sorted(all_names)
    assert len(val) == round(0.1 * len(all_names))


def test_split_is_deterministic_by_seed_and_differs_between_seeds():
    all_names = data.load_names()
    assert data.split_names(all_names, 0.2, seed=3) == data.split_names(all_names, 0.2, seed=3)
    assert data.split_names(all_names, 0.2, seed=3)[1] != data.split_names(all_names, 0.2, seed=4)[1]


def test_split_does_not_follow_file_order():
    all_names = data.load_names()
    _, val = data.split_names(all_names, 0.1, seed=0)
    assert val != sorted(val)


def test_split_keeps_at_least_one_name_on_each_side():
    train, val = data.split_names(["ab", "cd"], val_fraction=0.01)
    assert len(train) == 1 and len(val) == 1
    train, val = data.split_names(["ab", "cd", "ef"], val_fraction=0.99)
    assert len(train) == 1 and len(val) == 2


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5, float("nan")])
def test_split_rejects_fractions_outside_0_1(fraction):
    with pytest.raises(ValueError, match="val_fraction must be between 0 and 1"):
        data.split_names(["ab", "cd", "ef"], val_fraction=fraction)


def test_split_needs_two_names():
    with pytest.raises(ValueError, match="at least 2 names"):
        data.split_names(["ab"])


def test_dataset_of_one_name_by_hand():
    stoi, itos = data.build_vocab([])
    X, Y = data.build_dataset(["emma"], stoi, block_size=3)
    contexts = ["".join(itos[i] for i in row) for row in X.tolist()]
    assert contexts == ["...", "..e", ".em", "emm", "mma"]
    assert "".join(itos[i] for i in Y.tolist()) == "emma."
    assert X.dtype == torch.long and Y.dtype == torch.long


@pytest.mark.parametrize("block_size", [1, 2, 5])
def test_dataset_shapes(block_size):
    stoi, _ = data.build_vocab([])
    group = ["ab", "xyz", "q"]
    X, Y = data.build_dataset(group, stoi, block_size=block_size)
    n = sum(len(name) + 1 for name in group)
    assert X.shape == (n, block_size) and Y.shape == (n,)
    assert int((Y == 0).sum()) == len(group)  # one end token per name


@pytest.mark.parametrize("block_size", [0, -1, 2.5, True, "3"])
def test_dataset_rejects_bad_block_size(block_size):
    stoi, _ = data.build_vocab([])
    with pytest.raises(ValueError, match="block_size must be a whole number >= 1"):
        data.build_dataset(["ab"], stoi, block_size=block_size)


def test_dataset_rejects_unknown_characters_and_no_names():
    stoi, _ = data.build_vocab([])
    with pytest.raises(ValueError, match="'A'.*not in the vocabulary"):
        data.build_dataset(["Ab"], stoi)
    with pytest.raises(ValueError, match="no names given"):
        data.build_dataset([], stoi)
    with pytest.raises(ValueError, match="no boundary token"):
        data.build_dataset(["ab"], {"a": 0, "b": 1})


def test_bigram_counts_match_a_plain_counter():
    group = data.load_names()[:300]
    stoi, _ = data.build_vocab(group)
    expected = Counter()
    for name in group:
        chars = "." + name + "."
        expected.update(zip(chars, chars[1:]))
    counts = data.bigram_counts(group, stoi)
    assert counts.shape == (27, 27) and counts.dtype == np.int64
    for (a, b), n in expected.items():
        assert counts[stoi[a], stoi[b]] == n
    assert counts.sum() == sum(expected.values())
    assert counts[0].sum() == len(group) == counts[:, 0].sum()  # every name starts and ends once
    assert counts[0, 0] == 0


def test_missing_file_says_where_and_how_to_rebuild(tmp_path):
    missing = tmp_path / "nowhere" / "names.txt"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing)) + r".*python data/build_names\.py"):
        data.load_names(missing)


def test_empty_file(tmp_path):
    path = tmp_path / "names.txt"
    path.write_text("")
    with pytest.raises(ValueError, match="is empty"):
        data.load_names(path)


@pytest.mark.parametrize("text, match", [("anna\nBob\n", "line 2: 'Bob' has the character 'B'"),
                                         ("anna\nr2d2\n", "line 2: 'r2d2' has the character '2'"),
                                         ("anna\n\nzoe\n", "line 2: '' is empty"),
                                         ("anna \n", "line 1: 'anna ' has the character ' '")])
def test_bad_lines_name_the_line(tmp_path, text, match):
    path = tmp_path / "names.txt"
    path.write_text(text)
    with pytest.raises(ValueError, match=re.escape(match)):
        data.load_names(path)


def test_a_good_custom_file_loads_in_file_order(tmp_path):
    path = tmp_path / "names.txt"
    path.write_text("zoe\nanna\n")
    assert data.load_names(path) == ["zoe", "anna"]


def test_build_script_parses_census_lines():
    build = load_build_script()
    text = "MARY           2.629  2.629      1\nPATRICIA       1.073  3.702      2\n\n"
    assert build.parse_first_names(text, "f") == ["mary", "patricia"]
    with pytest.raises(SystemExit, match="line 1: .o'neil. is not a-z only"):
        build.parse_first_names("O'NEIL  0.1 0.1 1\n", "f")


def test_build_script_rejects_a_tarball_that_is_not_the_pypi_sdist(tmp_path):
    build = load_build_script()
    fake = tmp_path / "names-0.3.0.tar.gz"
    with tarfile.open(fake, "w:gz") as tar:
        for member in build.MEMBERS.values():
            data = b"ANNA 1.0 1.0 1\n"
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with pytest.raises(SystemExit, match="expected " + build.SDIST_SHA256):
        build.build(fake, tmp_path / "out.txt")
    assert build.read_lists(fake) == {"female": ["anna"], "male": ["anna"]}


# --- names under a bigram model (lesson 11) -----------------------------------------------------

def bigram_log_probs(alpha=1.0):
    all_names = data.load_names()
    stoi, _ = data.build_vocab(all_names)
    counts = data.bigram_counts(all_names, stoi)
    return torch.log(torch.tensor((counts + alpha) / (counts + alpha).sum(1, keepdims=True))), stoi


def test_log_prob_of_names_sums_the_transitions_of_each_name():
    lp, stoi = bigram_log_probs()
    words = ["emma", "bo", "anastasia"]
    got = data.log_prob_of_names(lp, data.transitions(words, stoi))
    for word, value in zip(words, got):
        ix = [0, *(stoi[c] for c in word), 0]
        assert value.item() == pytest.approx(sum(lp[a, b].item() for a, b in zip(ix[:-1], ix[1:])), abs=1e-12)


def test_transitions_reject_bad_names():
    _, stoi = bigram_log_probs()
    with pytest.raises(ValueError, match="not in the vocabulary"):
        data.transitions(["anna", "o'neil"], stoi)
    with pytest.raises(ValueError, match="no names given"):
        data.transitions([], stoi)


def test_bigram_name_stats_agree_with_sampling():
    lp, stoi = bigram_log_probs()
    other = torch.log_softmax(lp + 0.3 * torch.randn(27, 27, generator=torch.Generator().manual_seed(1),
                                                       dtype=torch.float64), dim=-1)
    exact = data.bigram_name_stats(other, lp, letter="a")
    sampled = data.sample_names(other, 20_000, seed=0, max_length=60)
    assert np.mean([s.endswith("a") for s in sampled]) == pytest.approx(exact["ends_in"], abs=0.01)
    assert np.mean([len(s) for s in sampled]) == pytest.approx(exact["mean_length"], abs=0.06)
    trans = data.transitions([s for s in sampled if s], stoi)  # KL = E_q[log q(y) - log q_ref(y)]
    log_ratio = (data.log_prob_of_names(other, trans) - data.log_prob_of_names(lp, trans)).mean().item()
    assert log_ratio == pytest.approx(exact["kl"], rel=0.05)
    assert data.bigram_name_stats(lp, lp)["kl"] == pytest.approx(0.0, abs=1e-12)


def test_sample_names_is_seeded_and_uses_letters_only():
    lp, _ = bigram_log_probs()
    first, again = data.sample_names(lp, 50, seed=3), data.sample_names(lp, 50, seed=3)
    assert first == again and first != data.sample_names(lp, 50, seed=4)
    assert all(set(s) <= set("abcdefghijklmnopqrstuvwxyz") for s in first)


def test_bigram_name_stats_reject_a_table_that_is_not_log_probabilities():
    with pytest.raises(ValueError, match=r"\[27, 27\] table"):
        data.bigram_name_stats(torch.zeros(26, 26))
    with pytest.raises(ValueError, match="sum to 1"):
        data.bigram_name_stats(torch.zeros(27, 27))


def test_crop_pairs_give_two_crops_of_each_distinct_name():
    batch, view_a, view_b = data.crop_pairs(data.load_names(), 64, seed=0)
    assert len(set(batch)) == 64 and all(len(n) >= 6 for n in batch)
    for name, a, b in zip(batch, view_a, view_b):
        assert a in name and b in name and len(a) == len(b) == max(3, round(0.7 * len(name)))
    assert data.crop_pairs(data.load_names(), 64, seed=0) == (batch, view_a, view_b)
    assert data.crop_pairs(data.load_names(), 64, seed=1)[0] != batch
    with pytest.raises(ValueError, match="batch_size must be between 2"):
        data.crop_pairs(data.load_names(), 1)


def test_preference_pairs_follow_the_stated_preference_and_never_reuse_a_name():
    pairs = data.preference_pairs(data.split_names(data.load_names(), 0.1, seed=0)[0], "a", 64, seed=0)
    (w, l_), (hw, hl) = pairs["train"], pairs["held_out"]
    assert all(n.endswith("a") for n in w + hw) and not any(n.endswith("a") for n in l_ + hl)
    assert len(set(w + hw + l_ + hl)) == 4 * 64
    with pytest.raises(ValueError, match="need 200 names"):
        data.preference_pairs(data.split_names(data.load_names(), 0.1, seed=0)[0][:50], "a", 100)
