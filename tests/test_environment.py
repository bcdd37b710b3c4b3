"""The pip pins, the conda environment and the installed packages agree."""
import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CONDA_NAME = {"torch": "pytorch"}  # pip name -> conda-forge name, where they differ
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)")


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = PIN.match(line)
        assert m, f"{path.name}: every requirement must be pinned with ==, got {line!r}"
        out[norm(m.group(1))] = m.group(2)
    return out


def conda_env() -> tuple[dict, dict, list]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda, pip = {}, []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip = dep["pip"]
            continue
        name, _, rest = dep.partition("=")
        conda[norm(name)] = rest
    return env, conda, pip


REQ = pins(ROOT / "requirements.txt")


def test_requirements_pin_torch_cpu_release():
    assert REQ["torch"] == "2.13.0"


@pytest.mark.parametrize("name", sorted(REQ))
def test_every_pip_pin_is_in_environment_yml_at_the_same_version(name):
    _, conda, pip = conda_env()
    conda_name = norm(CONDA_NAME.get(name, name))
    pip_pins = {norm(m.group(1)): m.group(2) for m in map(PIN.match, pip) if m}
    if conda_name in conda:
        spec = conda[conda_name].split("=")[0]
        assert spec == REQ[name], f"environment.yml has {conda_name}={spec}, requirements.txt has {REQ[name]}"
    else:
        assert pip_pins.get(name) == REQ[name], f"{name}=={REQ[name]} is missing from environment.yml"


def test_environment_yml_names_nothing_that_requirements_does_not():
    _, conda, pip = conda_env()
    expected = {norm(CONDA_NAME.get(n, n)) for n in REQ} | {"python", "pip"}
    assert set(conda) <= expected, f"only in environment.yml: {set(conda) - expected}"
    pip_names = {norm(m.group(1)) for m in map(PIN.match, pip) if m}
    assert pip_names <= set(REQ)


def test_environment_yml_is_cpu_torch_python_311_and_installs_helpers():
    env, conda, pip = conda_env()
    assert env["name"] == "loss-course"
    assert "conda-forge" in env["channels"]
    assert conda["python"] == "3.11"
    assert conda["pytorch"].endswith("=cpu*"), "conda-forge's CPU build of pytorch"
    assert not any(norm(p).startswith("torch") for p in pip), "torch in the pip section pulls a CUDA build"
    assert "-e ." in pip


def test_constraints_agree_with_requirements():
    cons = pins(ROOT / "constraints.txt")
    assert "torch" not in cons
    for name, ver in REQ.items():
        if name in cons:
            assert cons[name] == ver, f"constraints.txt pins {name}=={cons[name]}, requirements {ver}"


@pytest.mark.parametrize("name", sorted(REQ))
def test_installed_versions_match_the_pins(name):
    try:
        got = version(name)
    except PackageNotFoundError:
        pytest.fail(f"{name} is pinned but not installed: run make setup")
    assert got.split("+")[0] == REQ[name], f"{name} {got} installed, {REQ[name]} pinned: run make setup"


def imported_modules() -> set[str]:
    """Top-level modules imported by helpers/, tools/ and the notebooks' code cells."""
    import json
    found = set()
    pattern = re.compile(r"^\s*(?:import|from)\s+([A-Za-z_][A-Za-z0-9_]*)", re.M)
    for path in [*(ROOT / "helpers").rglob("*.py"), *(ROOT / "tools").glob("*.py")]:
        found |= set(pattern.findall(path.read_text(encoding="utf-8")))
    for path in (ROOT / "notebooks").rglob("*.ipynb"):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code":
                found |= set(pattern.findall("".join(cell["source"])))
    return found


def test_every_imported_package_is_pinned_and_named_for_conda():
    """repo2docker / conda get every runtime dependency from environment.yml, by name."""
    import sys
    from importlib.metadata import packages_distributions
    dists = packages_distributions()
    _, conda, pip = conda_env()
    named = set(conda) | {norm(m.group(1)) for m in map(PIN.match, pip) if m}
    missing = []
    for module in sorted(imported_modules() - set(sys.stdlib_module_names) - {"helpers", "tools", "__future__"}):
        assert module in dists, f"{module} is imported but no installed package provides it"
        for dist in dists[module]:
            if norm(dist) not in REQ or norm(CONDA_NAME.get(norm(dist), dist)) not in named:
                missing.append(f"{module} (package {dist})")
    assert not missing, f"imported but not pinned in requirements.txt and environment.yml: {missing}"
