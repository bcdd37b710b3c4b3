"""The pip pins, the conda environments and the installed packages agree.

Three pip files, two conda files:
    requirements.txt          <-> environment.yml        what a learner (and Binder) installs
    requirements-test.txt     \\
    requirements-grading.txt  /-> environment-test.yml   what `make test` and the graded edition add
"""
import ast
import json
import re
import sys
from importlib.metadata import PackageNotFoundError, packages_distributions, version
from pathlib import Path

import pytest
import yaml

from tools import course

ROOT = Path(__file__).resolve().parent.parent
CONDA_NAME = {"torch": "pytorch"}  # pip name -> conda-forge name, where they differ
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)")
TEST_TOOLS = {"pytest", "pytest-xdist", "hypothesis", "nbval", "ruff", "playwright", "nbgrader"}


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
        assert norm(m.group(1)) not in out, f"{path.name}: {m.group(1)} pinned twice"
        out[norm(m.group(1))] = m.group(2)
    return out


def conda_env(name: str) -> tuple[dict, dict, list]:
    env = yaml.safe_load((ROOT / name).read_text())
    conda, pip = {}, []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip = dep["pip"]
            continue
        pkg, _, rest = dep.partition("=")
        conda[norm(pkg)] = rest
    return env, conda, pip


LEARNER = pins(ROOT / course.LEARNER)
TESTING = pins(ROOT / course.TESTING)
GRADING = pins(ROOT / course.GRADING)
ALL = {**LEARNER, **TESTING, **GRADING}
# each conda file and the pip pins it must name, exactly
PAIRS = {"environment.yml": LEARNER, "environment-test.yml": {**TESTING, **GRADING}}
CASES = [(env, name) for env, req in PAIRS.items() for name in sorted(req)]


def test_requirements_pin_torch_cpu_release():
    assert LEARNER["torch"] == "2.13.0"


def test_a_learner_installs_no_test_or_grading_tools():
    assert not TEST_TOOLS & set(LEARNER), f"test tools in requirements.txt: {TEST_TOOLS & set(LEARNER)}"
    assert course.PROFILES["learner"] == (course.LEARNER,)
    assert set(TESTING) | set(GRADING) == TEST_TOOLS


def test_the_requirement_files_do_not_overlap():
    files = {"learner": LEARNER, "test": TESTING, "grading": GRADING}
    for a in files:
        for b in files:
            if a < b:
                assert not set(files[a]) & set(files[b]), f"{a} and {b} both pin {set(files[a]) & set(files[b])}"


@pytest.mark.parametrize("env_file,name", CASES, ids=[f"{e}:{n}" for e, n in CASES])
def test_every_pip_pin_is_in_its_conda_file_at_the_same_version(env_file, name):
    _, conda, pip = conda_env(env_file)
    want = PAIRS[env_file][name]
    conda_name = norm(CONDA_NAME.get(name, name))
    pip_pins = {norm(m.group(1)): m.group(2) for m in map(PIN.match, pip) if m}
    if conda_name in conda:
        spec = conda[conda_name].split("=")[0]
        assert spec == want, f"{env_file} has {conda_name}={spec}, the pip pin is {want}"
    else:
        assert pip_pins.get(name) == want, f"{name}=={want} is missing from {env_file}"


@pytest.mark.parametrize("env_file", sorted(PAIRS))
def test_conda_files_name_nothing_the_pip_files_do_not(env_file):
    _, conda, pip = conda_env(env_file)
    req = PAIRS[env_file]
    expected = {norm(CONDA_NAME.get(n, n)) for n in req} | {"python", "pip"}
    assert set(conda) <= expected, f"only in {env_file}: {set(conda) - expected}"
    pip_names = {norm(m.group(1)) for m in map(PIN.match, pip) if m}
    assert pip_names <= set(req), f"only in {env_file}'s pip section: {pip_names - set(req)}"


def test_environment_yml_is_cpu_torch_python_311_and_installs_helpers():
    env, conda, pip = conda_env("environment.yml")
    assert env["name"] == "loss-course"
    assert "conda-forge" in env["channels"]
    assert conda["python"] == "3.11"
    assert conda["pytorch"].endswith("=cpu*"), "conda-forge's CPU build of pytorch"
    assert not any(norm(p).startswith("torch") for p in pip), "torch in the pip section pulls a CUDA build"
    assert "-e ." in pip


def test_environment_test_yml_updates_the_same_environment_and_adds_no_torch_or_python():
    env, conda, pip = conda_env("environment-test.yml")
    assert env["name"] == "loss-course", "applied with `conda env update -n loss-course`"
    assert "python" not in conda and "pytorch" not in conda
    assert not any(norm(p).startswith("torch") for p in pip)


def test_constraints_agree_with_every_requirement_file():
    cons = pins(ROOT / "constraints.txt")
    assert "torch" not in cons
    for name, ver in ALL.items():
        if name != "torch":
            assert cons.get(name) == ver, f"constraints.txt pins {name}=={cons.get(name)}, the requirements {ver}"


@pytest.mark.parametrize("name", sorted(ALL))
def test_installed_versions_match_the_pins(name):
    try:
        got = version(name)
    except PackageNotFoundError:
        pytest.fail(f"{name} is pinned but not installed: run make setup")
    assert got.split("+")[0] == ALL[name], f"{name} {got} installed, {ALL[name]} pinned: run make setup"


IMPORT = re.compile(r"^\s*(?:import|from)\s+([A-Za-z_][A-Za-z0-9_]*)", re.M)


def py_imports(source: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def imported_modules(*folders: str, notebooks: bool = False) -> set[str]:
    """Top-level modules imported by the .py files of `folders` (and the notebooks' code cells)."""
    found = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):  # helpers/lessons/ too
            found |= py_imports(path.read_text(encoding="utf-8"))
    if notebooks:
        for path in (ROOT / "notebooks").rglob("*.ipynb"):
            for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
                if cell["cell_type"] == "code":
                    found |= set(IMPORT.findall("".join(cell["source"])))
    return found - set(sys.stdlib_module_names) - {"helpers", "tools", "__future__"}


def unpinned(modules: set[str], req: dict, env_files: list[str]) -> list[str]:
    dists = packages_distributions()
    named = set()
    for env_file in env_files:
        _, conda, pip = conda_env(env_file)
        named |= set(conda) | {norm(m.group(1)) for m in map(PIN.match, pip) if m}
    missing = []
    for module in sorted(modules):
        assert module in dists, f"{module} is imported but no installed package provides it"
        for dist in dists[module]:
            if norm(dist) not in req or norm(CONDA_NAME.get(norm(dist), dist)) not in named:
                missing.append(f"{module} (package {dist})")
    return missing


def test_what_the_lessons_import_is_in_the_learner_files():
    """repo2docker / conda / `make lab` get every package a lesson needs, by name."""
    missing = unpinned(imported_modules("helpers", notebooks=True), LEARNER, ["environment.yml"])
    assert not missing, f"imported by helpers/ or a notebook but not in requirements.txt and environment.yml: {missing}"


# tools that a learner's commands never load, and the extra requirement file each may use
TOOLS_BEYOND_LEARNER = {"graded.py": GRADING, "browser.py": TESTING}  # graded edition; browser tests


def test_what_the_tools_import_is_pinned():
    """A learner's commands (lab, nav, book, outputs) need only requirements.txt."""
    for path in sorted((ROOT / "tools").glob("*.py")):
        if path in HUB_ONLY:
            continue  # test_hub_code_imports_only_pinned_packages
        extra = TOOLS_BEYOND_LEARNER.get(path.name, {})
        modules = py_imports(path.read_text(encoding="utf-8")) - set(sys.stdlib_module_names) - {"helpers", "tools", "__future__"}
        missing = unpinned(modules, {**LEARNER, **extra}, ["environment.yml", "environment-test.yml"])
        assert not missing, f"tools/{path.name} imports what is not pinned for it: {missing}"


# the class hub (make hub): installed from hub/requirements.txt, never part of a learner's environment
HUB = pins(ROOT / course.HUB)
HUB_ONLY = [ROOT / "tools" / "hub.py", ROOT / "tools" / "hub_browser.py", ROOT / "hub" / "jupyterhub_config.py"]


def test_hub_pins_agree_with_the_course_and_are_installed():
    """hub/requirements.txt adds to constraints.txt and never re-pins what the course pins."""
    cons = pins(ROOT / "constraints.txt")
    for name, ver in HUB.items():
        assert name not in ALL and name not in cons, f"hub/requirements.txt re-pins {name} (constraints.txt has it)"
        try:
            got = version(name)
        except PackageNotFoundError:
            pytest.fail(f"{name} is pinned for the hub but not installed: run make hub (or make test)")
        assert got == ver, f"{name} {got} installed, {ver} pinned in hub/requirements.txt"
    assert HUB.get("jupyterhub") and HUB.get("nbgitpuller")


def test_hub_code_imports_only_pinned_packages():
    dists = packages_distributions()
    pinned = set(ALL) | set(HUB) | set(pins(ROOT / "constraints.txt"))
    found = set()
    for path in HUB_ONLY:
        found |= py_imports(path.read_text(encoding="utf-8"))
    for module in sorted(found - set(sys.stdlib_module_names) - {"helpers", "tools", "__future__"}):
        assert module in dists, f"{module} is imported by the hub's code but no installed package provides it"
        assert any(norm(d) in pinned for d in dists[module]), f"{module} is imported by the hub's code but not pinned"


def test_proxy_is_pinned_with_a_lock_file():
    package = json.loads((ROOT / "hub" / "package.json").read_text())
    lock = json.loads((ROOT / "hub" / "package-lock.json").read_text())
    (name, want), = package["dependencies"].items()
    assert name == "configurable-http-proxy" and re.fullmatch(r"\d+\.\d+\.\d+", want), want
    entry = lock["packages"][f"node_modules/{name}"]
    assert entry["version"] == want and entry["integrity"].startswith("sha512-")
    assert all(p.get("integrity") for k, p in lock["packages"].items() if k), "every locked package has a checksum"
