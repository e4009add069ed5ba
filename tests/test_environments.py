"""pyproject.toml (pip users) and environment.yml (conda users) must install the same packages."""

import platform
import re
import sys

from tests.support import REPO

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

# Tooling that only one of the two files needs: conda installs pip itself; the pip side needs
# tomli on Python 3.10 to read pyproject.toml in this very test, and psycopg's binary wheel, which
# brings the libpq that conda-forge's psycopg gets from conda's own libpq package.
CONDA_ONLY = {"python", "pip"}
PIP_ONLY = {"tomli", "psycopg-binary"}


def requirement(spec):
    """Split 'numpy>=2' into ('numpy', '>=2'); environment markers are dropped."""
    spec = spec.split(";")[0].strip()
    name, version = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", spec).groups()
    return name.lower().replace("_", "-"), version.replace(" ", "")


def pip_requirements():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + [
        s for extra in project["optional-dependencies"].values() for s in extra
    ]
    return dict(requirement(s) for s in specs)


def conda_requirements():
    specs = {}
    text = (REPO / "environment.yml").read_text()
    for line in text.split("dependencies:", 1)[1].splitlines():
        match = re.match(r"^  - ([^\s#:]+)", line)  # top-level dependencies only, not the pip: list
        if match:
            name, version = requirement(match.group(1))
            specs[name] = version
    return specs


def test_both_files_list_the_same_packages_and_versions():
    pip = {k: v for k, v in pip_requirements().items() if k not in PIP_ONLY}
    conda = {k: v for k, v in conda_requirements().items() if k not in CONDA_ONLY}
    assert pip == conda


def test_environment_installs_the_helpers_package_and_explains_each_line():
    text = (REPO / "environment.yml").read_text()
    assert re.search(r"^\s+- -e \.\s", text, re.MULTILINE), "environment.yml must pip install -e . the repo"
    for line in text.split("dependencies:", 1)[1].splitlines():
        if re.match(r"^\s+- ", line):
            assert "#" in line, f"say why this dependency is there: {line.strip()}"


def test_python_versions_agree():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == conda_requirements()["python"]


# --- requirements.lock: the exact versions `make` installs -----------------------------------------
#: The Python versions the universal lock resolves for (pyproject's requires-python onwards).
LOCKED_PYTHONS = ("3.10", "3.11", "3.12", "3.13")
#: The installer, which `make install` upgrades on its own: not compared.
LOCK_INSTALL_TOOLS = {"pip"}


def locked():
    """requirements.lock as [(name, version, marker or None)]."""
    from packaging.requirements import Requirement

    pins = []
    for line in (REPO / "requirements.lock").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            pin = Requirement(line)
            (specifier,) = pin.specifier
            assert specifier.operator == "==", f"requirements.lock must pin exact versions: {line}"
            pins.append((canonical(pin.name), specifier.version, pin.marker))
    return pins


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def applies(marker, python):
    """Whether a lock line's marker selects it on Python ``python`` ("3.11" or "3.11.7")."""
    if marker is None:
        return True
    full = python if python.count(".") == 2 else f"{python}.0"
    short = ".".join(full.split(".")[:2])
    return marker.evaluate({"python_version": short, "python_full_version": full, "extra": ""})


def test_the_lock_pins_every_requirement_within_its_range_on_every_python():
    from packaging.requirements import Requirement

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + [
        s for extra in project["optional-dependencies"].values() for s in extra
    ]
    pins = locked()
    for python in LOCKED_PYTHONS:
        for spec in specs:
            wanted = Requirement(spec)
            if not applies(wanted.marker, python):
                continue
            versions = [
                v for name, v, marker in pins if name == canonical(wanted.name) and applies(marker, python)
            ]
            assert len(versions) == 1, (
                f"requirements.lock pins {wanted.name} {len(versions)} times for Python {python}: run `make lock`"
            )
            assert wanted.specifier.contains(versions[0], prereleases=True), (
                f"requirements.lock pins {wanted.name}=={versions[0]}, outside pyproject.toml's {wanted.specifier} "
                f"for Python {python}: run `make lock`"
            )


def test_the_environment_is_the_locked_one():
    """What `make` installed is what the lock says (a package upgraded by hand shows up here)."""
    from importlib.metadata import PackageNotFoundError, version

    python = platform.python_version()
    different = []
    for name, pinned, marker in locked():
        if not applies(marker, python) or name in LOCK_INSTALL_TOOLS:
            continue
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = "not installed"
        if installed != pinned:
            different.append(f"{name}: locked {pinned}, installed {installed}")
    assert not different, (
        "the environment differs from requirements.lock (run `make install`):\n" + "\n".join(different)
    )
