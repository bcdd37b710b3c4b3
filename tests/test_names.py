"""helpers.names (the names data loader) and data/build_names.py: vocabulary, splits, checksum, errors."""
import hashlib
import importlib.util
import io
import re
import tarfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers import names

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


# --- the committed file ---------------------------------------------------------------

def test_checksum_matches_data_readme():
    documented = re.search(r"sha256 of names\.txt:\*\*\s*`([0-9a-f]{64})`", readme_section())
    assert documented, "data/README.md must give the sha256 of names.txt"
    actual = hashlib.sha256((DATA / "names.txt").read_bytes()).hexdigest()
    assert actual == documented.group(1), "data/names.txt differs from the documented checksum: rebuild it"


def test_file_is_what_the_readme_says():
    all_names = names.load_names()
    assert f"**{len(all_names):,} unique names**" in readme_section()
    assert len(set(all_names)) == len(all_names), "names must be unique"
    assert all_names == sorted(all_names), "names are documented as sorted alphabetically"
    assert all(re.fullmatch(r"[a-z]+", n) for n in all_names)
    assert (DATA / "names.txt").read_bytes().endswith(b"\n")
    lengths = [len(n) for n in all_names]
    assert f"lengths {min(lengths)} to {max(lengths)} characters" in readme_section()


def test_default_path_is_the_repository_data_folder():
    assert names.NAMES_PATH == DATA / "names.txt"
    assert names.load_names() == names.load_names(DATA / "names.txt")


# --- vocabulary -------------------------------------------------------------------------

def test_vocabulary_is_boundary_then_a_to_z():
    stoi, itos = names.build_vocab(["emma", "zoe"])
    assert len(itos) == 27 and itos[0] == "." and itos[1] == "a" and itos[26] == "z"
    assert all(stoi[ch] == i for i, ch in enumerate(itos))
    assert "".join(itos[1:]) == "abcdefghijklmnopqrstuvwxyz"


def test_vocabulary_is_the_same_whatever_letters_the_names_use():
    assert names.build_vocab(["ab"]) == names.build_vocab(names.load_names())


@pytest.mark.parametrize("bad, match", [(["Emma"], "'E'"), (["jo ann"], "' '"), (["zoë"], "'ë'"), ([""], "is empty")])
def test_vocabulary_rejects_names_outside_a_to_z(bad, match):
    with pytest.raises(ValueError, match=match):
        names.build_vocab(["ok", *bad])


# --- splits -----------------------------------------------------------------------------

def test_split_is_disjoint_complete_and_sized():
    all_names = names.load_names()
    train, val = names.split_names(all_names, val_fraction=0.1, seed=0)
    assert not set(train) & set(val)
    assert sorted(train + val) == sorted(all_names)
    assert len(val) == round(0.1 * len(all_names))


def test_split_is_deterministic_by_seed_and_differs_between_seeds():
    all_names = names.load_names()
    assert names.split_names(all_names, 0.2, seed=3) == names.split_names(all_names, 0.2, seed=3)
    assert names.split_names(all_names, 0.2, seed=3)[1] != names.split_names(all_names, 0.2, seed=4)[1]


def test_split_does_not_follow_file_order():
    all_names = names.load_names()
    _, val = names.split_names(all_names, 0.1, seed=0)
    assert val != sorted(val)


def test_split_keeps_at_least_one_name_on_each_side():
    train, val = names.split_names(["ab", "cd"], val_fraction=0.01)
    assert len(train) == 1 and len(val) == 1
    train, val = names.split_names(["ab", "cd", "ef"], val_fraction=0.99)
    assert len(train) == 1 and len(val) == 2


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5, float("nan")])
def test_split_rejects_fractions_outside_0_1(fraction):
    with pytest.raises(ValueError, match="val_fraction must be between 0 and 1"):
        names.split_names(["ab", "cd", "ef"], val_fraction=fraction)


def test_split_needs_two_names():
    with pytest.raises(ValueError, match="at least 2 names"):
        names.split_names(["ab"])


# --- the dataset of (context, next) pairs --------------------------------------------------

def test_dataset_of_one_name_by_hand():
    stoi, itos = names.build_vocab([])
    X, Y = names.build_dataset(["emma"], stoi, block_size=3)
    contexts = ["".join(itos[i] for i in row) for row in X.tolist()]
    assert contexts == ["...", "..e", ".em", "emm", "mma"]
    assert "".join(itos[i] for i in Y.tolist()) == "emma."
    assert X.dtype == torch.long and Y.dtype == torch.long


@pytest.mark.parametrize("block_size", [1, 2, 5])
def test_dataset_shapes(block_size):
    stoi, _ = names.build_vocab([])
    group = ["ab", "xyz", "q"]
    X, Y = names.build_dataset(group, stoi, block_size=block_size)
    n = sum(len(name) + 1 for name in group)
    assert X.shape == (n, block_size) and Y.shape == (n,)
    assert int((Y == 0).sum()) == len(group)  # one end token per name


@pytest.mark.parametrize("block_size", [0, -1, 2.5, True, "3"])
def test_dataset_rejects_bad_block_size(block_size):
    stoi, _ = names.build_vocab([])
    with pytest.raises(ValueError, match="block_size must be a whole number >= 1"):
        names.build_dataset(["ab"], stoi, block_size=block_size)


def test_dataset_rejects_unknown_characters_and_no_names():
    stoi, _ = names.build_vocab([])
    with pytest.raises(ValueError, match="'A'.*not in the vocabulary"):
        names.build_dataset(["Ab"], stoi)
    with pytest.raises(ValueError, match="no names given"):
        names.build_dataset([], stoi)
    with pytest.raises(ValueError, match="no boundary token"):
        names.build_dataset(["ab"], {"a": 0, "b": 1})


# --- bigram counts ------------------------------------------------------------------------

def test_bigram_counts_match_a_plain_counter():
    group = names.load_names()[:300]
    stoi, _ = names.build_vocab(group)
    expected = Counter()
    for name in group:
        chars = "." + name + "."
        expected.update(zip(chars, chars[1:]))
    counts = names.bigram_counts(group, stoi)
    assert counts.shape == (27, 27) and counts.dtype == np.int64
    for (a, b), n in expected.items():
        assert counts[stoi[a], stoi[b]] == n
    assert counts.sum() == sum(expected.values())
    assert counts[0].sum() == len(group) == counts[:, 0].sum()  # every name starts and ends once
    assert counts[0, 0] == 0


# --- loading: errors --------------------------------------------------------------------

def test_missing_file_says_where_and_how_to_rebuild(tmp_path):
    missing = tmp_path / "nowhere" / "names.txt"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing)) + r".*python data/build_names\.py"):
        names.load_names(missing)


def test_empty_file(tmp_path):
    path = tmp_path / "names.txt"
    path.write_text("")
    with pytest.raises(ValueError, match="is empty"):
        names.load_names(path)


@pytest.mark.parametrize("text, match", [("anna\nBob\n", "line 2: 'Bob' has the character 'B'"),
                                         ("anna\nr2d2\n", "line 2: 'r2d2' has the character '2'"),
                                         ("anna\n\nzoe\n", "line 2: '' is empty"),
                                         ("anna \n", "line 1: 'anna ' has the character ' '")])
def test_bad_lines_name_the_line(tmp_path, text, match):
    path = tmp_path / "names.txt"
    path.write_text(text)
    with pytest.raises(ValueError, match=re.escape(match)):
        names.load_names(path)


def test_a_good_custom_file_loads_in_file_order(tmp_path):
    path = tmp_path / "names.txt"
    path.write_text("zoe\nanna\n")
    assert names.load_names(path) == ["zoe", "anna"]


# --- the build script (no network: a made-up tarball) ------------------------------------------

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
    all_names = names.load_names()
    stoi, _ = names.build_vocab(all_names)
    counts = names.bigram_counts(all_names, stoi)
    return torch.log(torch.tensor((counts + alpha) / (counts + alpha).sum(1, keepdims=True))), stoi


def test_log_prob_of_names_sums_the_transitions_of_each_name():
    lp, stoi = bigram_log_probs()
    words = ["emma", "bo", "anastasia"]
    got = names.log_prob_of_names(lp, names.transitions(words, stoi))
    for word, value in zip(words, got):
        ix = [0, *(stoi[c] for c in word), 0]
        assert value.item() == pytest.approx(sum(lp[a, b].item() for a, b in zip(ix[:-1], ix[1:])), abs=1e-12)


def test_transitions_reject_bad_names():
    _, stoi = bigram_log_probs()
    with pytest.raises(ValueError, match="not in the vocabulary"):
        names.transitions(["anna", "o'neil"], stoi)
    with pytest.raises(ValueError, match="no names given"):
        names.transitions([], stoi)


def test_bigram_name_stats_agree_with_sampling():
    lp, stoi = bigram_log_probs()
    other = torch.log_softmax(lp + 0.3 * torch.randn(27, 27, generator=torch.Generator().manual_seed(1),
                                                       dtype=torch.float64), dim=-1)
    exact = names.bigram_name_stats(other, lp, letter="a")
    sampled = names.sample_names(other, 20_000, seed=0, max_length=60)
    assert np.mean([s.endswith("a") for s in sampled]) == pytest.approx(exact["ends_in"], abs=0.01)
    assert np.mean([len(s) for s in sampled]) == pytest.approx(exact["mean_length"], abs=0.06)
    trans = names.transitions([s for s in sampled if s], stoi)  # KL = E_q[log q(y) - log q_ref(y)]
    log_ratio = (names.log_prob_of_names(other, trans) - names.log_prob_of_names(lp, trans)).mean().item()
    assert log_ratio == pytest.approx(exact["kl"], rel=0.05)
    assert names.bigram_name_stats(lp, lp)["kl"] == pytest.approx(0.0, abs=1e-12)


def test_sample_names_is_seeded_and_uses_letters_only():
    lp, _ = bigram_log_probs()
    first, again = names.sample_names(lp, 50, seed=3), names.sample_names(lp, 50, seed=3)
    assert first == again and first != names.sample_names(lp, 50, seed=4)
    assert all(set(s) <= set("abcdefghijklmnopqrstuvwxyz") for s in first)


def test_bigram_name_stats_reject_a_table_that_is_not_log_probabilities():
    with pytest.raises(ValueError, match=r"\[27, 27\] table"):
        names.bigram_name_stats(torch.zeros(26, 26))
    with pytest.raises(ValueError, match="sum to 1"):
        names.bigram_name_stats(torch.zeros(27, 27))


def test_crop_pairs_give_two_crops_of_each_distinct_name():
    batch, view_a, view_b = names.crop_pairs(names.load_names(), 64, seed=0)
    assert len(set(batch)) == 64 and all(len(n) >= 6 for n in batch)
    for name, a, b in zip(batch, view_a, view_b):
        assert a in name and b in name and len(a) == len(b) == max(3, round(0.7 * len(name)))
    assert names.crop_pairs(names.load_names(), 64, seed=0) == (batch, view_a, view_b)
    assert names.crop_pairs(names.load_names(), 64, seed=1)[0] != batch
    with pytest.raises(ValueError, match="batch_size must be between 2"):
        names.crop_pairs(names.load_names(), 1)


def test_preference_pairs_follow_the_stated_preference_and_never_reuse_a_name():
    pairs = names.preference_pairs(names.split_names(names.load_names(), 0.1, seed=0)[0], "a", 64, seed=0)
    (w, l_), (hw, hl) = pairs["train"], pairs["held_out"]
    assert all(n.endswith("a") for n in w + hw) and not any(n.endswith("a") for n in l_ + hl)
    assert len(set(w + hw + l_ + hl)) == 4 * 64
    with pytest.raises(ValueError, match="need 200 names"):
        names.preference_pairs(names.split_names(names.load_names(), 0.1, seed=0)[0][:50], "a", 100)
