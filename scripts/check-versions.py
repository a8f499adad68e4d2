#!/usr/bin/env python3
"""Every package of the project carries one version: the workspace's
`[workspace.package] version` in Cargo.toml. The crates inherit it, the wheel
reads it through maturin (`dynamic = ["version"]`), and this check fails when
an npm manifest, a per-platform package or a pinned workspace dependency says
anything else. Standard library only."""

from __future__ import annotations

import json
import pathlib
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def main() -> int:
    workspace = tomllib.loads((ROOT / "Cargo.toml").read_text(encoding="utf-8"))
    version = workspace["workspace"]["package"]["version"]
    problems: list[str] = []

    for name, spec in workspace["workspace"].get("dependencies", {}).items():
        if isinstance(spec, dict) and "path" in spec and spec.get("version") not in (None, version):
            problems.append(f"Cargo.toml: workspace dependency {name} pins {spec['version']}, not {version}")

    for manifest in sorted(ROOT.glob("*/Cargo.toml")):
        package = tomllib.loads(manifest.read_text(encoding="utf-8")).get("package", {})
        if "version" in package and package["version"] != {"workspace": True}:
            if manifest.parent.name != "fuzz":  # cargo fuzz's own workspace, never published
                problems.append(f"{manifest.relative_to(ROOT)}: version is not `version.workspace = true`")

    # The library wheel and the CLI wheel (cli/python, maturin's bin packaging).
    for path in (ROOT / "bindings-python" / "pyproject.toml", ROOT / "cli" / "python" / "pyproject.toml"):
        pyproject = tomllib.loads(path.read_text(encoding="utf-8"))
        if "version" in pyproject["project"] or "version" not in pyproject["project"].get("dynamic", []):
            problems.append(f"{path.relative_to(ROOT)}: the version must be dynamic (maturin reads Cargo.toml)")

    manifests = [ROOT / "bindings-node" / "package.json", ROOT / "bindings-wasm" / "package.json"]
    manifests += sorted((ROOT / "bindings-node" / "npm").glob("*/package.json"))
    manifests += sorted((ROOT / "cli" / "npm").glob("*/package.json")) if (ROOT / "cli" / "npm").is_dir() else []
    for manifest in manifests:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        if data.get("version") != version:
            problems.append(f"{manifest.relative_to(ROOT)}: version {data.get('version')}, not {version}")
        for dependency, wanted in data.get("optionalDependencies", {}).items():
            # bullseye-webhooks-linux-x64-gnu, @bullseye-webhooks/cli-linux-x64-gnu, ...
            if dependency.lstrip("@").startswith("bullseye-webhooks") and wanted != version:
                problems.append(f"{manifest.relative_to(ROOT)}: {dependency} pinned at {wanted}, not {version}")

    for problem in problems:
        print(f"versions: {problem}", file=sys.stderr)
    if not problems:
        print(f"versions: every package is at {version} ({len(manifests)} npm manifests checked)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
