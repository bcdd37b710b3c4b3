"""The course's version, and the release step (`python -m tools.course release`).

The version lives in one place, `pyproject.toml` ([project] version). The README (a line
written by `make nav`), the static edition (tools/book.py), the graded edition and
CITATION.cff show it; tests check that they agree.

A release is a git tag `vX.Y.Z` on a commit whose pyproject.toml says X.Y.Z, whose
CHANGELOG.md has a dated section `## [X.Y.Z] - YYYY-MM-DD`, whose CITATION.cff says
`version: X.Y.Z`, and whose `make test` passed. `python -m tools.release` checks all that
and prints what is missing; with `--tag` it also creates the annotated tag (it never pushes).
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
SECTION = re.compile(r"^## \[(?P<version>[^\]]+)\](?: - (?P<date>\d{4}-\d{2}-\d{2}|unreleased))?\s*$", re.M)


def course_version(root: Path = ROOT) -> str:
    with open(root / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["version"]


VERSION_START, VERSION_END = "<!-- version:start -->", "<!-- version:end -->"


def version_line(version: str) -> str:
    return (f"**Version {version}** · [changelog](CHANGELOG.md) · [how to pin a term to a release]"
            "(#releases-pin-a-term-to-one-version)")


def readme_with_version(text: str, version: str | None = None) -> str:
    """README text with the version line between its markers (written by `make nav`)."""
    if VERSION_START not in text or VERSION_END not in text:
        raise SystemExit(f"README.md needs the markers {VERSION_START} and {VERSION_END}")
    head, rest = text.split(VERSION_START, 1)
    _, tail = rest.split(VERSION_END, 1)
    return f"{head}{VERSION_START}{version_line(version or course_version())}{VERSION_END}{tail}"


def changelog_sections(text: str) -> dict[str, str | None]:
    """Version -> release date (None while unreleased), in the order they appear."""
    return {m.group("version"): (None if m.group("date") in (None, "unreleased") else m.group("date"))
            for m in SECTION.finditer(text)}


def citation_version(root: Path = ROOT) -> str | None:
    m = re.search(r"^version:\s*\"?([^\"\s]+)\"?\s*$", (root / "CITATION.cff").read_text(encoding="utf-8"), re.M)
    return m.group(1) if m else None


def problems(root: Path = ROOT, *, releasing: bool = False) -> list[str]:
    """What keeps the tree from being consistent (and, when releasing, from being tagged)."""
    version = course_version(root)
    found = []
    if not SEMVER.match(version):
        found.append(f"pyproject.toml version {version!r} is not X.Y.Z")
    sections = changelog_sections((root / "CHANGELOG.md").read_text(encoding="utf-8"))
    if version not in sections:
        found.append(f"CHANGELOG.md has no section '## [{version}] - YYYY-MM-DD'")
    elif releasing and sections[version] is None:
        found.append(f"CHANGELOG.md: give the section [{version}] its release date")
    if citation_version(root) != version:
        found.append(f"CITATION.cff says version {citation_version(root)}, pyproject.toml {version}")
    return found


def git(*args: str, root: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tag", action="store_true", help="create the annotated tag vX.Y.Z (never pushes)")
    args = parser.parse_args(argv)
    version = course_version()
    found = problems(releasing=args.tag)
    if args.tag:
        if git("status", "--porcelain").stdout.strip():
            found.append("the working tree has uncommitted changes")
        if git("rev-parse", "-q", "--verify", f"refs/tags/v{version}").returncode == 0:
            found.append(f"tag v{version} exists already: bump the version in pyproject.toml")
    if found:
        print(f"version {version}: not ready", *found, sep="\n  - ")
        return 1
    if not args.tag:
        print(f"version {version}: consistent (pyproject.toml, CHANGELOG.md, CITATION.cff)")
        return 0
    made = git("tag", "-a", f"v{version}", "-m", f"Loss functions, interactively {version}")
    if made.returncode:
        print(made.stderr, file=sys.stderr)
        return 1
    print(f"tagged v{version}. Publish it with: git push origin v{version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
