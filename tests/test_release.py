"""One version (pyproject.toml), shown by the README, the static edition, CITATION.cff and the
changelog; the release step's checks; the licence files the README promises."""
import re
from pathlib import Path

import nbformat
import yaml

from tools import book, release

ROOT = Path(__file__).resolve().parent.parent
VERSION = release.course_version()


def test_version_is_semver_and_every_place_agrees():
    assert re.fullmatch(r"\d+\.\d+\.\d+", VERSION)
    assert release.problems() == []
    assert yaml.safe_load((ROOT / "CITATION.cff").read_text())["version"] == VERSION


def test_readme_shows_the_version_written_by_nav():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"{release.VERSION_START}{release.version_line(VERSION)}{release.VERSION_END}" in text
    assert "## Releases: pin a term to one version" in text, "the version line's link target"


def test_static_edition_shows_the_version():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 00 · Start here")])
    page = book.render(nb, 0, "00 · Start here")
    assert f"course version {VERSION}" in page
    assert f"(version {VERSION})" in book.index_page(VERSION)


def test_changelog_sections_and_release_readiness(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nversion = "1.2.0"\n')
    (tmp_path / "CITATION.cff").write_text('version: "1.2.0"\n')
    (tmp_path / "CHANGELOG.md").write_text("# Changelog\n\n## [1.2.0] - unreleased\n\n## [1.1.0] - 2026-01-05\n")
    assert release.changelog_sections((tmp_path / "CHANGELOG.md").read_text()) == {"1.2.0": None, "1.1.0": "2026-01-05"}
    assert release.problems(tmp_path) == []
    assert release.problems(tmp_path, releasing=True) == ["CHANGELOG.md: give the section [1.2.0] its release date"]
    (tmp_path / "CITATION.cff").write_text('version: "1.1.0"\n')
    assert "CITATION.cff says version 1.1.0" in release.problems(tmp_path)[0]
    (tmp_path / "pyproject.toml").write_text('[project]\nversion = "1.3"\n')
    assert any("not X.Y.Z" in p for p in release.problems(tmp_path))


def test_licences_cover_code_text_and_data():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in text and "CC BY 4.0" in text and "public domain" in text
    assert "Creative Commons Attribution 4.0 International Public License" in (ROOT / "LICENSE-CC-BY-4.0.txt").read_text()
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["license"] == ["MIT", "CC-BY-4.0"]
    assert [a.keys() for a in cff["authors"]] == [{"name": None}.keys()], "the contributors as a group, no invented names"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("LICENSE", "CITATION.cff", "CHANGELOG.md", "INSTRUCTORS.md", "data/README.md"):
        assert f"]({name}" in readme, f"the README links {name}"


def github_anchor(heading: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lstrip("#").strip())
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


DOCS = ["README.md", "INSTRUCTORS.md", "CONTRIBUTING.md", "CHANGELOG.md"]


def test_links_between_the_documents_resolve_with_their_anchors():
    """INSTRUCTORS.md links README sections another branch may rename: this says which broke."""
    anchors = {}
    for name in DOCS:
        text = (ROOT / name).read_text(encoding="utf-8")
        anchors[name] = {github_anchor(h) for h in re.findall(r"^#+ .+$", text, re.M)}
    for name in DOCS:
        text = (ROOT / name).read_text(encoding="utf-8")
        text = re.sub(r"`[^`\n]*`", "", re.sub(r"```.*?```", "", text, flags=re.S))  # examples, not links
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"^[a-z]+:", target) or target.startswith("<"):
                continue
            file, _, anchor = target.partition("#")
            file = file or name
            assert (ROOT / file).exists(), f"{name}: broken link {target}"
            if anchor and file in anchors:
                assert anchor in anchors[file], f"{name}: {target}: no heading with that anchor in {file}"
