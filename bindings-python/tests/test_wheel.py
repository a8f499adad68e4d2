"""The built wheel, installed into a fresh virtual environment, as users get it."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import venv

SNIPPET = r"""
import bullseye_webhooks as bw
body = b'{"event":"visitor.identified","visitor":{"email":"a@b.example"}}'
event = bw.Webhook("whsec_x").construct_event(body, bw.sign("whsec_x", body))
assert event.visitor.email == "a@b.example", event
import bullseye_webhooks._native as native
assert native.__file__.endswith(".abi3.so"), native.__file__
print("ok", bw.__file__)
"""


def test_wheel_installs_and_works_in_a_fresh_venv(tmp_path: pathlib.Path) -> None:
    wheel = os.environ.get("BULLSEYE_WHEEL")
    assert wheel, "BULLSEYE_WHEEL is not set: run through `make test-python`, which builds the wheel"
    assert pathlib.Path(wheel).is_file(), wheel
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-index", "--no-deps", wheel], check=True, timeout=300)
    result = subprocess.run([python, "-c", SNIPPET], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok ") and str(env_dir) in result.stdout
    # Its typing marker and stubs ship too (the records' stubs are generated apart).
    site = next((env_dir / "lib").glob("python*/site-packages/bullseye_webhooks"))
    assert (site / "py.typed").is_file() and (site / "_native.pyi").is_file()
    assert (site / "_records.pyi").is_file()
    assert sys.version_info >= (3, 9)
