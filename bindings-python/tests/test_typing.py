"""Types are part of the product: the stub matches the module, and typed
code written against it passes `mypy --strict`."""

from __future__ import annotations

import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, cwd=HERE, timeout=600)


def test_stubtest_is_clean() -> None:
    result = run("mypy.stubtest", "bullseye_webhooks._native")
    assert result.returncode == 0, result.stdout + result.stderr


def test_typed_usage_passes_mypy_strict() -> None:
    result = run("mypy", "--strict", "--no-incremental", str(HERE / "typed_usage.py"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_package_itself_passes_mypy_strict() -> None:
    """Its pure-Python modules (integrations, stores) against the stub.
    Django ships no types, hence --ignore-missing-imports."""
    result = run("mypy", "--strict", "--ignore-missing-imports", "--no-incremental", "-p", "bullseye_webhooks")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_fleet_scripts_pass_mypy() -> None:
    """The fleet runs (tests/fleet/) are Python too: their annotations are
    checked, not only their runs."""
    fleet = HERE.parents[1] / "tests" / "fleet"
    scripts = sorted(str(path) for path in fleet.glob("*.py"))
    assert len(scripts) >= 5, scripts
    result = run("mypy", "--ignore-missing-imports", "--no-incremental", *scripts)
    assert result.returncode == 0, result.stdout + result.stderr
