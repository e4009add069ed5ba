"""pyproject.toml (pip users) and environment.yml (conda users) must install the same packages."""

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
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
