"""What every release artifact of the Python package must carry, read with zipfile/tarfile.

    python check_artifacts.py DIST_DIR REPO_ROOT

DIST_DIR holds the four Linux wheels (manylinux2014 and musllinux_1_2, x86_64
and aarch64) and the sdist that `make dist-test` built. For each: the tags in
its name and in its WHEEL file, the native module's ELF machine, the licence
texts (byte-equal to the repository's LICENSE-MIT and LICENSE-APACHE), and the
PEP 639 / PEP 621 metadata (License-Expression, License-File, classifiers,
project URLs). Standard library only. Prints one line per failure and a closing
'N passed, N failed' line; exits 1 on any failure.
"""

from __future__ import annotations

import email.parser
import pathlib
import sys
import tarfile
import zipfile
from typing import Callable

LICENSES = ("LICENSE-MIT", "LICENSE-APACHE")
# The wheels `make dist-test` builds: the platform tag and the ELF e_machine
# of the native module (62 = EM_X86_64, 183 = EM_AARCH64).
WHEELS = {
    "manylinux2014_x86_64.manylinux_2_17_x86_64": ("x86_64", 62),
    "manylinux2014_aarch64.manylinux_2_17_aarch64": ("aarch64", 183),
    "musllinux_1_2_x86_64": ("x86_64", 62),
    "musllinux_1_2_aarch64": ("aarch64", 183),
}
PREFIX = "bullseye_webhooks-"
ABI = "cp39-abi3"


def check_metadata(text: str) -> None:
    meta = email.parser.Parser().parsestr(text)
    assert meta["Metadata-Version"] in ("2.4", "2.5"), f"Metadata-Version {meta['Metadata-Version']}: PEP 639 needs 2.4"
    assert meta["License-Expression"] == "MIT OR Apache-2.0", meta["License-Expression"]
    assert sorted(meta.get_all("License-File") or []) == sorted(LICENSES), meta.get_all("License-File")
    assert meta["License"] is None, "a legacy License field next to License-Expression"
    classifiers = meta.get_all("Classifier") or []
    assert not [c for c in classifiers if c.startswith("License ::")], "licence classifiers are superseded by PEP 639"
    for wanted in ("Programming Language :: Rust", "Typing :: Typed", "Programming Language :: Python :: 3 :: Only"):
        assert wanted in classifiers, f"classifier {wanted!r} missing"
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
    for label in ("Homepage", "Documentation", "Repository", "Issues"):
        assert urls.get(label, "").startswith("https://"), f"Project-URL {label} missing"
    assert meta["Requires-Python"] == ">=3.9", meta["Requires-Python"]


def elf_machine(data: bytes) -> int:
    assert data[:4] == b"\x7fELF", "not an ELF file"
    assert data[4] == 2 and data[5] == 1, "not a 64-bit little-endian ELF"
    return int.from_bytes(data[18:20], "little")


def check_wheel(path: pathlib.Path, repo: pathlib.Path, platform_tag: str, machine: int) -> None:
    with zipfile.ZipFile(path) as wheel:
        names = wheel.namelist()
        dist_info = next(n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info"))
        for name in LICENSES:
            member = f"{dist_info}/licenses/{name}"
            assert member in names, f"{member} missing"
            assert wheel.read(member) == (repo / name).read_bytes(), f"{member} differs from the repository's {name}"
        check_metadata(wheel.read(f"{dist_info}/METADATA").decode("utf-8"))
        tags = [line.split(": ", 1)[1] for line in wheel.read(f"{dist_info}/WHEEL").decode().splitlines()
                if line.startswith("Tag: ")]
        want = sorted(f"{ABI}-{p}" for p in platform_tag.split("."))
        assert sorted(tags) == want, f"WHEEL tags {tags}, expected {want}"
        modules = [n for n in names if n.startswith("bullseye_webhooks/_native") and n.endswith(".so")]
        assert modules == ["bullseye_webhooks/_native.abi3.so"], modules
        got = elf_machine(wheel.read(modules[0]))
        assert got == machine, f"the native module's e_machine is {got}, expected {machine}"
        for marker in ("bullseye_webhooks/py.typed", "bullseye_webhooks/_native.pyi",
                       "bullseye_webhooks/_records.pyi", "bullseye_webhooks/__init__.py"):
            assert marker in names, f"{marker} missing"


def check_sdist(path: pathlib.Path, repo: pathlib.Path) -> None:
    with tarfile.open(path) as sdist:
        root = path.name[: -len(".tar.gz")]
        members = {m.name: m for m in sdist.getmembers()}
        for name in LICENSES:
            member = members.get(f"{root}/{name}")
            assert member is not None and member.isfile(), f"{root}/{name} missing (or not a regular file)"
            data = sdist.extractfile(member)
            assert data is not None and data.read() == (repo / name).read_bytes(), f"{name} differs"
        for needed in ("pyproject.toml", "Cargo.lock", "Cargo.toml", "core/src/lib.rs", "bindings-python/src/lib.rs",
                       "python/bullseye_webhooks/__init__.py", "python/bullseye_webhooks/py.typed"):
            assert f"{root}/{needed}" in members, f"{needed} missing from the sdist"
        info = sdist.extractfile(members[f"{root}/PKG-INFO"])
        assert info is not None
        check_metadata(info.read().decode("utf-8"))


def main() -> int:
    dist, repo = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    passed, failures = 0, []

    def check(name: str, test: Callable[[], None]) -> None:
        nonlocal passed
        try:
            test()
        except Exception as error:  # noqa: BLE001 - each artifact's failure is reported
            failures.append(f"FAIL {name}: {type(error).__name__}: {error}")
        else:
            passed += 1

    for platform_tag, (_, machine) in WHEELS.items():
        found = sorted(dist.glob(f"{PREFIX}*-{ABI}-{platform_tag}.whl"))
        name = f"wheel {platform_tag}"
        if len(found) != 1:
            failures.append(f"FAIL {name}: {len(found)} wheels found in {dist}")
            continue
        check(name, lambda path=found[0], tag=platform_tag, m=machine: check_wheel(path, repo, tag, m))
    sdists = sorted(dist.glob(f"{PREFIX}*.tar.gz"))
    if len(sdists) != 1:
        failures.append(f"FAIL sdist: {len(sdists)} found in {dist}")
    else:
        check("sdist", lambda: check_sdist(sdists[0], repo))
    unexpected = sorted(p.name for p in dist.iterdir()
                        if p.suffix == ".whl" and not any(p.name.endswith(f"-{ABI}-{t}.whl") for t in WHEELS))
    if unexpected:
        failures.append(f"FAIL unexpected wheels: {unexpected}")

    for failure in failures:
        print(failure)
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
