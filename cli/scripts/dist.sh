#!/usr/bin/env bash
# The CLI's release packages (issue 23): the `bullseye-webhooks-cli` wheel
# (maturin's `bindings = "bin"`, cli/python/), the npm launcher
# `bullseye-webhooks-cli` (cli/npm/cli/) and the per-platform packages
# `@bullseye-webhooks/cli-<platform>` (cli/npm/<platform>/), esbuild's scheme.
# One binary per platform: the wheel's; each npm platform package carries
# that same file. cli/dist.mk runs `build` and `test` for this machine's
# platform (linux-x64-gnu); .github/workflows/release.yml runs `wheel` and
# `npm-platform` for every platform and `npm-launcher` once.
#
#   dist.sh wheel TARGET COMPAT OUT           a Linux wheel, maturin --zig (PY_VENV's maturin and zig)
#   dist.sh npm-platform PLATFORM WHEEL OUT   @bullseye-webhooks/cli-PLATFORM with WHEEL's binary, packed into OUT
#   dist.sh npm-launcher OUT                  bullseye-webhooks-cli, packed into OUT
#   dist.sh check-launcher TGZ                that package's files (README included) and licences
#   dist.sh build                             wheels x86_64 and aarch64, launcher, linux-x64-gnu and linux-arm64-gnu into CLI_DIST_OUT
#   dist.sh test                              check those and run them as users do (a venv, pipx, npx), offline
#   dist.sh test-arm64                        the aarch64 ones, through pipx and npx under qemu, offline
#
# Environment for build and test (set by cli/dist.mk): PY_VENV, CLI_DIST_OUT,
# CLI_DIST_WORK (made anew by test), CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo="$PWD"
# PYTHON names the interpreter where `python3` is not it (Windows runners).
python="${PYTHON:-$(command -v python3 || command -v python)}"
version="$("$python" -c 'import tomllib; print(tomllib.load(open("Cargo.toml", "rb"))["workspace"]["package"]["version"])')"

step() { printf '\n== dist-cli: %s\n' "$*"; }
fail() { echo "dist-cli: FAILED: $*" >&2; exit 1; }
only() { # the one file a glob names, or fail
  # shellcheck disable=SC2206 # $1 is a glob, expanded here on purpose
  local matches=($1)
  [ "${#matches[@]}" -eq 1 ] && [ -f "${matches[0]}" ] || fail "expected one file for $1, found: ${matches[*]}"
  echo "${matches[0]}"
}

# The Linux targets the wheels are built for, as the library's wheels are
# (bindings-python/tests/dist/dist-test.sh): Rust target, wheel compatibility.
wheel() {
  local target="$1" compat="$2" out="$3"
  : "${PY_VENV:?}"
  "$PY_VENV/bin/python" -m ziglang version >/dev/null || fail "ziglang is not installed in $PY_VENV (make setup-python)"
  mkdir -p "$out"
  (cd cli/python && PATH="$PY_VENV/bin:$PATH" nice -n 10 maturin build --release --quiet --zig \
    --target "$target" --compatibility "$compat" -o "$out")
}

# An npm package folder with the licence texts, ready to pack: $1 the source
# folder in cli/npm/, $2 the stage.
stage() {
  rm -rf "$2"
  mkdir -p "$2"
  cp -R "$1/." "$2/"
  node scripts/copy-licences.mjs "$2"
}

npm_platform() {
  local platform="$1" wheel_file="$2" out="$3"
  local source="cli/npm/$platform"
  [ -f "$source/package.json" ] || fail "no package cli/npm/$platform"
  # The binary's name is the one the package lists (bullseye-webhooks[.exe]).
  local exe
  exe="$(node -p "require('./$source/package.json').files.find((f) => f.startsWith('bullseye-webhooks'))")"
  local work
  work="$(mktemp -d)"
  stage "$source" "$work/package"
  "$python" - "$wheel_file" "$exe" "$work/package/$exe" <<'PY'
import shutil, sys, zipfile
wheel, exe, target = sys.argv[1:]
with zipfile.ZipFile(wheel) as archive:
    names = [n for n in archive.namelist() if n.endswith(".data/scripts/" + exe)]
    if len(names) != 1:
        sys.exit(f"{wheel}: expected one .data/scripts/{exe}, found {names}")
    with archive.open(names[0]) as source, open(target, "wb") as copy:
        shutil.copyfileobj(source, copy)
PY
  chmod 755 "$work/package/$exe"
  mkdir -p "$out"
  (cd "$work/package" && npm pack --silent --pack-destination "$out" >/dev/null)
  rm -rf "$work"
}

npm_launcher() {
  local out="$1" work
  work="$(mktemp -d)"
  stage cli/npm/cli "$work/package"
  mkdir -p "$out"
  (cd "$work/package" && npm pack --silent --pack-destination "$out" >/dev/null)
  rm -rf "$work"
}

build() {
  : "${CLI_DIST_OUT:?}"
  rm -rf "$CLI_DIST_OUT"
  step "wheel manylinux2014 x86_64 (maturin --zig)"
  wheel x86_64-unknown-linux-gnu manylinux2014 "$CLI_DIST_OUT"
  step "npm: the launcher and @bullseye-webhooks/cli-linux-x64-gnu"
  npm_launcher "$CLI_DIST_OUT"
  npm_platform linux-x64-gnu "$(only "$CLI_DIST_OUT/bullseye_webhooks_cli-$version-*manylinux2014_x86_64*.whl")" "$CLI_DIST_OUT"
  step "wheel manylinux2014 aarch64 (maturin --zig) and @bullseye-webhooks/cli-linux-arm64-gnu, run under qemu by test"
  wheel aarch64-unknown-linux-gnu manylinux2014 "$CLI_DIST_OUT"
  npm_platform linux-arm64-gnu "$(only "$CLI_DIST_OUT/bullseye_webhooks_cli-$version-*manylinux2014_aarch64*.whl")" "$CLI_DIST_OUT"
  ls -l "$CLI_DIST_OUT"
}

# The launcher's tarball ($1) holds exactly its script, README and licences
# (the README byte for byte cli/npm/cli's). Needs only node and npm:
# `dist.sh npm-launcher OUT` then `dist.sh check-launcher OUT/*.tgz` run
# without a Rust build.
check_launcher() {
  local listing
  listing="$(tar -tzf "$1" | LC_ALL=C sort | tr '\n' ' ')"
  [ "$listing" = "package/LICENSE-APACHE package/LICENSE-MIT package/README.md package/bin/bullseye-webhooks.js package/package.json " ] ||
    fail "$(basename "$1") holds: $listing"
  tar -xOzf "$1" package/README.md | cmp -s - "$repo/cli/npm/cli/README.md" || fail "$(basename "$1"): package/README.md differs from cli/npm/cli/README.md"
  same_licences "$1"
  echo "dist-cli: $(basename "$1"): the launcher, its README and both licences"
}

# The wheel's binary ($1): a 64-bit ELF for the machine readelf names $2,
# needing no glibc symbol newer than manylinux2014's 2.17.
check_binary() {
  local machine newest
  machine="$(readelf -h "$1" | sed -n 's/^ *Machine: *//p')"
  [ "$machine" = "$2" ] && readelf -h "$1" | grep -q 'Class: *ELF64' || fail "the wheel's binary is for '$machine', not a 64-bit $2"
  newest="$(readelf -V -W "$1" | grep -o 'GLIBC_[0-9.]*' | sort -V | tail -n 1)"
  [ -n "$newest" ] && [ "$(printf '%s\n' "$newest" GLIBC_2.17 | sort -V | tail -n 1)" = GLIBC_2.17 ] ||
    fail "the wheel's binary needs $newest, newer than manylinux2014's glibc 2.17"
  echo "dist-cli: the binary: ELF64 $machine, newest glibc symbol version $newest (manylinux2014: 2.17)"
}

# A platform package's tarball ($1): its binary, byte for byte the wheel's
# ($2) and executable, its manifest and both licences, nothing else.
check_platform_tgz() {
  local listing
  listing="$(tar -tzf "$1" | LC_ALL=C sort | tr '\n' ' ')"
  [ "$listing" = "package/LICENSE-APACHE package/LICENSE-MIT package/bullseye-webhooks package/package.json " ] ||
    fail "$(basename "$1") holds: $listing"
  same_licences "$1"
  tar -tvzf "$1" package/bullseye-webhooks | grep -q '^-rwxr-xr-x' || fail "the binary in $(basename "$1") is not executable"
  tar -xOzf "$1" package/bullseye-webhooks | cmp -s - "$2" || fail "the binary in $(basename "$1") differs from the wheel's"
}

# Both licence texts in a tarball ($1), byte for byte the repository's.
same_licences() {
  for licence in LICENSE-MIT LICENSE-APACHE; do
    tar -xOzf "$1" "package/$licence" | cmp -s - "$repo/$licence" || fail "$(basename "$1"): package/$licence differs from $licence or is missing"
  done
}

# A wheel's ($1) files, METADATA and licences.
check_wheel() {
  "$python" - "$1" "$version" "$repo" <<'PY'
import pathlib, sys, zipfile
wheel, version, repo = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
dist = f"bullseye_webhooks_cli-{version}"
with zipfile.ZipFile(wheel) as archive:
    names = sorted(archive.namelist())
    want = sorted([f"{dist}.data/scripts/bullseye-webhooks", f"{dist}.dist-info/METADATA", f"{dist}.dist-info/WHEEL",
                   f"{dist}.dist-info/RECORD", f"{dist}.dist-info/licenses/LICENSE-MIT", f"{dist}.dist-info/licenses/LICENSE-APACHE",
                   # maturin's CycloneDX list of the crates compiled in.
                   f"{dist}.dist-info/sboms/bullseye-webhooks-cli.cyclonedx.json"])
    if names != want:
        sys.exit(f"{wheel}: holds {names}, expected {want}")
    for licence in ("LICENSE-MIT", "LICENSE-APACHE"):
        if archive.read(f"{dist}.dist-info/licenses/{licence}") != (repo / licence).read_bytes():
            sys.exit(f"{wheel}: {licence} differs from the repository's")
    metadata = archive.read(f"{dist}.dist-info/METADATA").decode()
    for line in ("Name: bullseye-webhooks-cli", f"Version: {version}", "License-Expression: MIT OR Apache-2.0"):
        if line not in metadata.splitlines():
            sys.exit(f"{wheel}: METADATA lacks {line!r}")
print(f"dist-cli: {pathlib.Path(wheel).name}: the binary, METADATA ({version}, MIT OR Apache-2.0) and both licences")
PY
}

# A project ($1) that depends on the launcher ($2) alone, with
# @bullseye-webhooks/cli-$3 pointed at its tarball ($4).
consumer_manifest() {
  node -e '
    const [dir, launcher, platform, tarball] = process.argv.slice(1);
    require("node:fs").writeFileSync(`${dir}/package.json`, JSON.stringify({
      name: "consumer", private: true,
      dependencies: { "bullseye-webhooks-cli": `file:${launcher}` },
      overrides: { [`@bullseye-webhooks/cli-${platform}`]: `file:${tarball}` },
    }, null, 2));
  ' "$@"
}

test_all() {
  : "${CLI_DIST_OUT:?}" "${CLI_DIST_WORK:?}" "${PY_VENV:?}"
  rm -rf "$CLI_DIST_WORK"
  mkdir -p "$CLI_DIST_WORK"
  local runner="$repo/cli/tests/dist/run_cli.py" fixtures="$repo/fixtures"
  local wheel_file launcher platform_tgz
  wheel_file="$(only "$CLI_DIST_OUT/bullseye_webhooks_cli-$version-py3-none-*manylinux2014_x86_64*.whl")"
  launcher="$(only "$CLI_DIST_OUT/bullseye-webhooks-cli-$version.tgz")"
  platform_tgz="$(only "$CLI_DIST_OUT/bullseye-webhooks-cli-linux-x64-gnu-$version.tgz")"

  step "artifacts: the wheel's files and licences, the binary's glibc, the npm tarballs' files, modes and manifests"
  check_wheel "$wheel_file"
  local unpacked="$CLI_DIST_WORK/wheel"
  "$python" -m zipfile -e "$wheel_file" "$unpacked"
  local binary="$unpacked/bullseye_webhooks_cli-$version.data/scripts/bullseye-webhooks"
  check_binary "$binary" "Advanced Micro Devices X86-64"

  check_launcher "$launcher"
  check_platform_tgz "$platform_tgz" "$binary"
  local listing
  # The launcher lists every package of cli/npm/, at exactly this version.
  tar -xOzf "$launcher" package/package.json | node -e '
    const [npmDir, version] = process.argv.slice(1);
    const fs = require("node:fs");
    const manifest = JSON.parse(fs.readFileSync(0, "utf8"));
    const listed = Object.entries(manifest.optionalDependencies ?? {});
    const folders = fs.readdirSync(npmDir).filter((d) => d !== "cli");
    const names = folders.map((d) => require(`${npmDir}/${d}/package.json`).name).sort();
    if (JSON.stringify(listed.map(([n]) => n).sort()) !== JSON.stringify(names)) throw new Error(`lists ${listed.map(([n]) => n)}, cli/npm has ${names}`);
    for (const [name, spec] of listed) if (spec !== version) throw new Error(`${name} at ${spec}, not ${version}`);
    console.log(`dist-cli: the launcher: ${listed.length} platform packages at ${version}; both tarballs carry both licences`);
  ' "$repo/cli/npm" "$version" || fail "the launcher's optionalDependencies"

  step "the crate: packaged with its own copies of the example payloads, nothing from outside it"
  listing="$(cargo package --list --allow-dirty -p bullseye-webhooks-cli 2>/dev/null | LC_ALL=C sort | tr '\n' ' ')"
  [[ " $listing" == *" payloads/bullseye-partner-api-identification.json "* ]] || fail "the crate lacks payloads/: $listing"
  [[ " $listing" != *" npm/"* && " $listing" != *" python/"* && "$listing" != *../* ]] ||
    fail "the crate carries the npm or Python packaging, or a path outside it: $listing"
  echo "dist-cli: the crate's files: $listing"

  step "wheel: installed into a clean venv (no index), then run"
  local venv="$CLI_DIST_WORK/venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-index --no-deps "$wheel_file"
  (cd "$CLI_DIST_WORK" && "$python" "$runner" --fixtures "$fixtures" --version "$version" -- "$venv/bin/bullseye-webhooks")

  # pipx from the project's venv (cli/requirements-dist.txt), its home in the
  # work folder; pip offline: the wheel has no dependency to fetch, and pipx
  # keeps the pip its Python bundles instead of upgrading it from an index.
  # By name, the folder of built packages stands in for the package index.
  step "wheel: pipx run --spec WHEEL|bullseye-webhooks-cli bullseye-webhooks ..., pipx install bullseye-webhooks-cli; offline"
  local pipx_env=(env PIPX_HOME="$CLI_DIST_WORK/pipx" PIPX_BIN_DIR="$CLI_DIST_WORK/pipx-bin"
    PIPX_MAN_DIR="$CLI_DIST_WORK/pipx-man" PIPX_DISABLE_SHARED_LIBS_AUTO_UPGRADE=1
    PIP_NO_INDEX=1 PIP_FIND_LINKS="$CLI_DIST_OUT" PIP_DISABLE_PIP_VERSION_CHECK=1)
  (cd "$CLI_DIST_WORK" && "${pipx_env[@]}" "$python" "$runner" --fixtures "$fixtures" --version "$version" -- \
    "$PY_VENV/bin/pipx" run --spec "$wheel_file" bullseye-webhooks)
  # (--spec NAME COMMAND: `pipx run bullseye-webhooks-cli` alone also works,
  # but first prints a note on stdout, in front of what the command prints.)
  (cd "$CLI_DIST_WORK" && "${pipx_env[@]}" "$python" "$runner" --fixtures "$fixtures" --version "$version" -- \
    "$PY_VENV/bin/pipx" run --spec bullseye-webhooks-cli bullseye-webhooks)
  "${pipx_env[@]}" "$PY_VENV/bin/pipx" install --quiet bullseye-webhooks-cli >/dev/null
  [ "$("$CLI_DIST_WORK/pipx-bin/bullseye-webhooks" --version)" = "bullseye-webhooks $version" ] ||
    fail "pipx install: bullseye-webhooks --version"
  echo "dist-cli: pipx install bullseye-webhooks-cli: bullseye-webhooks $version on the pipx PATH"

  # A consumer that depends on the launcher alone; npm picks the platform
  # package from its optionalDependencies by os/cpu/libc. Offline with an
  # empty cache: the launcher and platform tarballs are all there is (the
  # other platforms' names are left out as optional dependencies npm cannot
  # fetch, as bindings-node/scripts/dist-test.sh does).
  step "npm: the launcher and linux-x64-gnu installed offline into a clean project; npx bullseye-webhooks-cli ..."
  local consumer="$CLI_DIST_WORK/consumer"
  mkdir -p "$consumer"
  consumer_manifest "$consumer" "$launcher" linux-x64-gnu "$platform_tgz"
  local npm_env=(env npm_config_cache="$CLI_DIST_WORK/npm-cache" npm_config_offline=true npm_config_update_notifier=false)
  (cd "$consumer" && "${npm_env[@]}" npm install --no-audit --no-fund --loglevel=error >/dev/null)
  local installed
  installed="$(cd "$consumer/node_modules" && ls -d bullseye-webhooks* @bullseye-webhooks/* | tr '\n' ' ')"
  [ "$installed" = "@bullseye-webhooks/cli-linux-x64-gnu bullseye-webhooks-cli " ] || fail "npm installed: $installed"
  (cd "$consumer" && "${npm_env[@]}" "$python" "$runner" --fixtures "$fixtures" --version "$version" -- npx bullseye-webhooks-cli)
  [ "$(cd "$consumer" && "${npm_env[@]}" npx bullseye-webhooks --version)" = "bullseye-webhooks $version" ] ||
    fail "npx bullseye-webhooks --version (the launcher's second name)"
  echo "dist-cli: npx bullseye-webhooks --version: the launcher's second name works too"

  # The README's lines for the packages built here: `npm install` of the
  # launcher's tarball and this platform's.
  step "npm: npm install OUT/bullseye-webhooks-cli-[0-9]*.tgz OUT/bullseye-webhooks-cli-linux-x64-gnu-*.tgz into a clean project, offline; npx bullseye-webhooks-cli ..."
  local direct="$CLI_DIST_WORK/direct"
  mkdir -p "$direct"
  (cd "$direct" && "${npm_env[@]}" npm init -y >/dev/null &&
    "${npm_env[@]}" npm install --no-audit --no-fund --loglevel=error "$CLI_DIST_OUT"/bullseye-webhooks-cli-[0-9]*.tgz "$CLI_DIST_OUT"/bullseye-webhooks-cli-linux-x64-gnu-*.tgz >/dev/null)
  (cd "$direct" && "${npm_env[@]}" "$python" "$runner" --fixtures "$fixtures" --version "$version" -- npx bullseye-webhooks-cli)

  step "all passed"
}

# linux aarch64 under qemu: the manylinux2014_aarch64 wheel through pipx and
# the linux-arm64-gnu package through npx, each run by Debian's arm64 Python
# or Node.js (scripts/arm64-root.sh). pipx and npm are pure Python and JS:
# the project's pipx (cli/requirements-dist.txt) and this machine's npm run
# in those interpreters, so every process from pipx or npx to the CLI is
# aarch64. They start each other, which qemu-user alone cannot do;
# scripts/arm64-exec.sh gives them a binfmt_misc entry of their own.
# --quick: --version, send and emulate (each start costs seconds under qemu).
test_arm64() {
  : "${CLI_DIST_OUT:?}" "${CLI_DIST_WORK:?}" "${PY_VENV:?}"
  local work="$CLI_DIST_WORK-arm64"
  rm -rf "$work"
  mkdir -p "$work"
  local runner="$repo/cli/tests/dist/run_cli.py" fixtures="$repo/fixtures"
  local wheel_file launcher platform_tgz binary
  wheel_file="$(only "$CLI_DIST_OUT/bullseye_webhooks_cli-$version-py3-none-*manylinux2014_aarch64*.whl")"
  launcher="$(only "$CLI_DIST_OUT/bullseye-webhooks-cli-$version.tgz")"
  platform_tgz="$(only "$CLI_DIST_OUT/bullseye-webhooks-cli-linux-arm64-gnu-$version.tgz")"

  step "aarch64: the wheel and its binary, the linux-arm64-gnu package"
  check_wheel "$wheel_file"
  "$python" -m zipfile -e "$wheel_file" "$work/wheel"
  binary="$work/wheel/bullseye_webhooks_cli-$version.data/scripts/bullseye-webhooks"
  check_binary "$binary" AArch64
  check_platform_tgz "$platform_tgz" "$binary"
  echo "dist-cli: $(basename "$platform_tgz"): that binary, executable, with its manifest and both licences"

  step "aarch64: pipx run --spec bullseye-webhooks-cli bullseye-webhooks ... in Debian's arm64 Python under qemu, offline"
  local py_root lib
  py_root="$("$repo/scripts/arm64-root.sh" python3-venv)"
  lib="$work/pipx-lib"
  mkdir -p "$lib"
  "$PY_VENV/bin/python" - "$lib" <<'PY'
import importlib.util, pathlib, sys
# pipx and what it imports: pure Python, so the aarch64 Python imports them too.
for name in ("pipx", "argcomplete", "filelock", "packaging", "platformdirs", "userpath", "click"):
    spec = importlib.util.find_spec(name)
    source = pathlib.Path(spec.submodule_search_locations[0] if spec.submodule_search_locations else spec.origin)
    pathlib.Path(sys.argv[1], source.name).symlink_to(source)
PY
  local pipx=(env PYTHONPATH="$lib" PIPX_HOME="$work/pipx" PIPX_BIN_DIR="$work/pipx-bin" PIPX_MAN_DIR="$work/pipx-man"
    PIPX_DISABLE_SHARED_LIBS_AUTO_UPGRADE=1 PIP_NO_INDEX=1 PIP_FIND_LINKS="$CLI_DIST_OUT" PIP_DISABLE_PIP_VERSION_CHECK=1
    "$py_root/usr/bin/python3" -m pipx run --spec bullseye-webhooks-cli bullseye-webhooks)
  # The first run makes pipx's venvs and installs the wheel (pip picks the
  # aarch64 one of the two in PIP_FIND_LINKS by its tag); the runner's
  # reuse them. The installed binary is the aarch64 wheel's.
  local out start=$SECONDS
  out="$(cd "$work" && "$repo/scripts/arm64-exec.sh" "$py_root" "${pipx[@]}" --version)"
  [ "$out" = "bullseye-webhooks $version" ] || fail "pipx run under qemu: --version printed '$out'"
  cmp -s "$(only "$work/pipx/.cache/*/bin/bullseye-webhooks")" "$binary" || fail "pipx installed a binary other than the aarch64 wheel's"
  echo "dist-cli: aarch64 pipx made its venvs and installed the aarch64 wheel ($((SECONDS - start)) s)"
  (cd "$work" && "$repo/scripts/arm64-exec.sh" "$py_root" \
    "$python" "$runner" --quick --timeout 300 --fixtures "$fixtures" --version "$version" -- "${pipx[@]}")

  # npm and npx are this machine's, run by the aarch64 node first on PATH
  # (their `#!/usr/bin/env node` finds it, as does the launcher's); npm
  # chooses the platform package by that node's arch and libc. (Debian's
  # nodejs comes without npm, a package of its own; npm 11 warns that it does
  # not support Debian 12's Node.js 18, loglevel=error hides that, and works.)
  step "aarch64: the launcher installed offline by npm, npx bullseye-webhooks-cli ... in Debian's arm64 Node.js under qemu"
  local node_root consumer="$work/consumer"
  node_root="$("$repo/scripts/arm64-root.sh" nodejs)"
  mkdir -p "$work/node-bin" "$consumer"
  ln -s "$node_root/usr/bin/node" "$work/node-bin/node"
  consumer_manifest "$consumer" "$launcher" linux-arm64-gnu "$platform_tgz"
  local npm_env=(env PATH="$work/node-bin:$PATH" npm_config_cache="$work/npm-cache" npm_config_offline=true
    npm_config_update_notifier=false npm_config_loglevel=error)
  start=$SECONDS
  out="$(cd "$consumer" && "$repo/scripts/arm64-exec.sh" "$node_root" "${npm_env[@]}" sh -c \
    'node -p process.arch && npm install --no-audit --no-fund >/dev/null')"
  [ "$out" = arm64 ] || fail "the node first on PATH under qemu says its arch is '$out'"
  local installed
  installed="$(cd "$consumer/node_modules" && ls -d bullseye-webhooks* @bullseye-webhooks/* | tr '\n' ' ')"
  [ "$installed" = "@bullseye-webhooks/cli-linux-arm64-gnu bullseye-webhooks-cli " ] || fail "arm64 npm installed: $installed"
  echo "dist-cli: arm64 npm installed the launcher and chose @bullseye-webhooks/cli-linux-arm64-gnu ($((SECONDS - start)) s)"
  (cd "$consumer" && "$repo/scripts/arm64-exec.sh" "$node_root" "${npm_env[@]}" \
    "$python" "$runner" --quick --timeout 300 --fixtures "$fixtures" --version "$version" -- npx bullseye-webhooks-cli)

  step "aarch64: all passed"
}

case "${1:-}" in
  wheel) [ "$#" -eq 4 ] || fail "usage: dist.sh wheel TARGET COMPAT OUT"; wheel "$2" "$3" "$4" ;;
  npm-platform) [ "$#" -eq 4 ] || fail "usage: dist.sh npm-platform PLATFORM WHEEL OUT"; npm_platform "$2" "$3" "$4" ;;
  npm-launcher) [ "$#" -eq 2 ] || fail "usage: dist.sh npm-launcher OUT"; npm_launcher "$2" ;;
  check-launcher) [ "$#" -eq 2 ] || fail "usage: dist.sh check-launcher TGZ"; check_launcher "$2" ;;
  build) build ;;
  test) test_all ;;
  test-arm64) test_arm64 ;;
  *) echo "usage: $0 wheel|npm-platform|npm-launcher|check-launcher|build|test|test-arm64 ..." >&2; exit 2 ;;
esac
