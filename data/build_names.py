"""Rebuild data/names.txt from the PyPI sdist of `names` 0.3.0 (US Census 1990 first names).

    python data/build_names.py                          # downloads the sdist with pip into a temp dir
    python data/build_names.py path/to/names-0.3.0.tar.gz

The sdist ships the Census Bureau's 1990 frequent-first-name lists as
`names/dist.female.first` and `names/dist.male.first` (public domain). Each line there is
`NAME  freq%  cumulative%  rank`. This script keeps the NAME column, lowercases it, checks
that it is a-z only, merges the two lists (a name in both appears once) and writes the
names sorted alphabetically, one per line, to data/names.txt. It prints the counts and
the sha256 that data/README.md records and tests/test_names.py checks.

Only this script touches the network (once, at authoring time); the course reads the
committed file and never downloads anything at run time or test time.
"""
from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "names.txt"
PACKAGE = "names==0.3.0"
SDIST_NAME = "names-0.3.0.tar.gz"
SDIST_SHA256 = "726e46254f2ed03f1ffb5d941dae3bc67c35123941c29becd02d48d0caa2a671"  # as on PyPI
MEMBERS = {"female": "names-0.3.0/names/dist.female.first",
           "male": "names-0.3.0/names/dist.male.first"}
NAME = re.compile(r"^[a-z]+$")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download_sdist(folder: Path) -> Path:
    """`pip download` the sdist (source only, no dependencies) into `folder`."""
    cmd = [sys.executable, "-m", "pip", "download", PACKAGE, "--no-deps",
           "--no-binary", ":all:", "-d", str(folder)]
    subprocess.run(cmd, check=True)
    path = folder / SDIST_NAME
    if not path.exists():
        raise SystemExit(f"pip did not produce {SDIST_NAME} in {folder}")
    return path


def parse_first_names(text: str, member: str) -> list[str]:
    """The NAME column of a Census dist.*.first file, lowercased, in file order."""
    names = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name = line.split()[0].lower()
        if not NAME.match(name):
            raise SystemExit(f"{member} line {number}: {name!r} is not a-z only")
        names.append(name)
    return names


def read_lists(sdist: Path) -> dict[str, list[str]]:
    with tarfile.open(sdist, "r:gz") as tar:
        return {key: parse_first_names(tar.extractfile(member).read().decode("ascii"), member)
                for key, member in MEMBERS.items()}


def build(sdist: Path, out: Path = OUT) -> dict:
    """Write `out` from the sdist; return the counts and checksums."""
    digest = sha256(sdist.read_bytes())
    if digest != SDIST_SHA256:
        raise SystemExit(f"{sdist} has sha256 {digest}, expected {SDIST_SHA256} (the PyPI sdist of {PACKAGE})")
    lists = read_lists(sdist)
    female, male = lists["female"], lists["male"]
    names = sorted(set(female) | set(male))
    data = ("\n".join(names) + "\n").encode("ascii")
    out.write_bytes(data)
    return {"female": len(female), "male": len(male), "in both": len(set(female) & set(male)),
            "unique": len(names), "sha256": sha256(data), "sdist sha256": digest}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sdist", nargs="?", type=Path, help=f"path to {SDIST_NAME} (default: pip download it)")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write (default: data/names.txt)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        sdist = args.sdist or download_sdist(Path(tmp))
        info = build(sdist, args.out)
    print(f"wrote {args.out}")
    for key, value in info.items():
        print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
