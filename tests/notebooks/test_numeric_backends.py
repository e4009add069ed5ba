"""Every source notebook's outputs come out the same under other numeric back-ends (issue: CI on any CPU).

numpy's OpenBLAS chooses its kernels from the CPU at run time, numpy's own loops dispatch on the CPU's
SIMD extensions, and both round differently from one choice to the next. CI and instructors run on
whatever machine they have, so nbval is re-run here with the back-end forced onto other paths that this
CPU supports: other OpenBLAS kernels (``OPENBLAS_CORETYPE``), one thread instead of two, and numpy's SIMD
dispatch limited (``NPY_DISABLE_CPU_FEATURES``). The plain run (this machine's own choice, all threads)
is pytest's ordinary nbval run of ``notebooks/``.

One more entry catches a training run on a knife edge whatever kernels this CPU offers: every network
that ``helpers.network.train`` trains starts from weights perturbed by a relative 1e-13 (an IPython
start-up file in the kernel wraps ``train``). A run whose printed result changes is chaotic with respect
to rounding, and would read differently on another machine.

The entries run two at a time in subprocesses, each a full nbval pass over every source notebook.
"""

import os
import platform
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support import REPO

pytestmark = pytest.mark.slow

#: Seconds one nbval pass over every notebook may take before the entry counts as hung.
PASS_TIMEOUT = 600
#: Relative perturbation of the initial weights in the knife-edge entry: far above round-off (1e-16),
#: far below anything a printed figure shows.
PERTURBATION = 1e-13
#: IPython start-up file of the knife-edge entry: ``train`` perturbs whatever ``initialize`` returns.
PERTURB_TRAINING = f"""
import numpy as _np
import helpers.network as _network

_train = _network.train


def _perturbed_train(X, Y, layers_dims, initialize, **kwargs):
    rng = _np.random.default_rng(20261122)

    def perturbed(dims):
        return {{key: value * (1 + {PERTURBATION!r} * rng.standard_normal(value.shape))
                for key, value in initialize(dims).items()}}

    return _train(X, Y, layers_dims, perturbed, **kwargs)


_network.train = _perturbed_train
"""
KNIFE_EDGE = "initial weights of every training run perturbed by 1e-13"


def _cpu_flags():
    """The CPU's feature flags as Linux reports them (empty elsewhere)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def _numpy_dispatch():
    """numpy's run-time SIMD targets this CPU supports, e.g. ["X86_V3"] or ["X86_V3", "X86_V4", ...]."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:  # numpy moved its private module: no NPY_DISABLE_CPU_FEATURES entries
        return []
    return [target for target in __cpu_dispatch__ if __cpu_features__.get(target)]


def matrix():
    """[(name, environment overrides)]: the back-ends this machine can run besides its default.

    Every kernel set is paired with one thread count, so that both counts are covered without running
    the full cross product.
    """
    one_thread = {"OPENBLAS_NUM_THREADS": "1"}
    entries = []
    if platform.machine() in {"x86_64", "AMD64"}:
        flags = _cpu_flags()
        # Forcing a kernel set the CPU lacks (SkylakeX without AVX-512) crashes the process: only offer
        # the ones this CPU runs.
        entries.append(("OpenBLAS Prescott kernels", {"OPENBLAS_CORETYPE": "Prescott"}))
        if "avx" in flags:
            entries.append(
                ("OpenBLAS Sandybridge kernels, 1 thread", {"OPENBLAS_CORETYPE": "Sandybridge", **one_thread})
            )
        if "avx2" in flags:
            entries.append(
                ("OpenBLAS Haswell kernels, 1 thread", {"OPENBLAS_CORETYPE": "Haswell", **one_thread})
            )
    else:
        entries.append(("1 thread", one_thread))
    dispatch = _numpy_dispatch()
    if dispatch:
        entries.append(("numpy SIMD at its baseline", {"NPY_DISABLE_CPU_FEATURES": " ".join(dispatch)}))
        avx512 = [target for target in dispatch if target == "X86_V4" or target.startswith("AVX512")]
        if avx512 and len(avx512) < len(dispatch):
            entries.append(
                (
                    "numpy without AVX-512, 1 thread",
                    {"NPY_DISABLE_CPU_FEATURES": " ".join(avx512), **one_thread},
                )
            )
    return entries


MATRIX = matrix()


def _blas_architecture(env):
    """The OpenBLAS kernel set a Python with ``env`` really uses (threadpoolctl reads it from OpenBLAS)."""
    code = (
        "import numpy, threadpoolctl; "
        "print(','.join(str(i.get('architecture')) for i in threadpoolctl.threadpool_info()"
        " if i['internal_api'] == 'openblas'))"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return result.stdout.strip()


def _run(overrides, ipython_dir=None):
    env = dict(os.environ, **overrides)
    if ipython_dir is not None:
        env["IPYTHONDIR"] = str(ipython_dir)
    architecture = _blas_architecture(env)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "notebooks", "-q", "-p", "no:cacheprovider", "--no-header"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=PASS_TIMEOUT,
        check=False,
    )
    return architecture, result


@pytest.fixture(scope="module")
def runs(request, tmp_path_factory):
    """The selected entries' nbval passes, started at once, two at a time (the machines have 2 cores)."""
    selected = {
        item.callspec.params["name"]
        for item in request.session.items
        if getattr(item, "module", None) is request.module and hasattr(item, "callspec")
    }
    startup = tmp_path_factory.mktemp("ipython") / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-perturb-training.py").write_text(PERTURB_TRAINING)
    entries = [(name, overrides, None) for name, overrides in MATRIX]
    entries.append((KNIFE_EDGE, {}, startup.parent.parent))
    pool = ThreadPoolExecutor(max_workers=max(1, min(2, os.cpu_count() or 1)))
    futures = {name: pool.submit(_run, *args) for name, *args in entries if name in selected}
    yield futures
    pool.shutdown(cancel_futures=True)


@pytest.mark.parametrize("name", [name for name, _ in MATRIX] + [KNIFE_EDGE])
def test_notebook_outputs_do_not_depend_on_the_numeric_backend(runs, name):
    architecture, result = runs[name].result()
    failed = [line for line in result.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    tail = "\n".join(result.stdout.strip().splitlines()[-40:])
    assert result.returncode == 0, (
        f"under {name} (OpenBLAS {architecture}) the notebooks' outputs differ from the committed ones:\n"
        + "\n".join(failed or [tail])
        + "\nprint such figures in a form that does not depend on rounding (see README, Reproducibility)"
    )


def test_the_matrix_really_changes_the_backend(runs):
    """The overrides take effect: on x86 with AVX2, at least three OpenBLAS kernel sets are exercised."""
    if platform.machine() not in {"x86_64", "AMD64"} or "avx2" not in _cpu_flags():
        pytest.skip("the OpenBLAS kernel overrides are for x86 CPUs with AVX2")
    if not {name for name, _ in MATRIX} <= set(runs):
        pytest.skip("only part of the matrix was selected")
    default = _blas_architecture(dict(os.environ))
    seen = {future.result()[0] for future in runs.values()} | {default}
    assert len(seen) >= 3, f"OPENBLAS_CORETYPE was ignored: every run used {seen}"
