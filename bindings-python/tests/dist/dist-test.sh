#!/usr/bin/env bash
# `make dist-test`: the release artifacts of the Python package, built and
# checked as users get them. Fails on the first failing step; never skips.
#
#   dist-test.sh build   the four Linux wheels (maturin + zig) and the sdist
#   dist-test.sh test    check and run what `build` made
#
# Environment (set by bindings-python/dist.mk): PY_DIST_OUT (artifacts),
# PY_DIST_WORK (venvs and unpacked wheels, made anew each run),
# PY_DIST_CARGO (the cargo target dir of these builds), PY_VENV (the dev venv,
# with maturin and ziglang).
set -euo pipefail
cd "$(dirname "$0")/../../.."
repo="$PWD"
here=bindings-python/tests/dist
: "${PY_DIST_OUT:?}" "${PY_DIST_WORK:?}" "${PY_DIST_CARGO:?}" "${PY_VENV:?}"

# Rust target : wheel compatibility. The tags follow from these.
wheels=(
  x86_64-unknown-linux-gnu:manylinux2014
  aarch64-unknown-linux-gnu:manylinux2014
  x86_64-unknown-linux-musl:musllinux_1_2
  aarch64-unknown-linux-musl:musllinux_1_2
)

step() { printf '\n== dist-test: %s\n' "$*"; }
fail() { echo "dist-test: FAILED: $*" >&2; exit 1; }
only() { # the one file a glob names, or fail
  local matches=($1)
  [ "${#matches[@]}" -eq 1 ] && [ -f "${matches[0]}" ] || fail "expected one file for $1, found: ${matches[*]}"
  echo "${matches[0]}"
}

build() {
  rm -rf "$PY_DIST_OUT"
  mkdir -p "$PY_DIST_OUT"
  export PATH="$PY_VENV/bin:$PATH" CARGO_TARGET_DIR="$PY_DIST_CARGO"
  # maturin's --zig takes zig from the ziglang package in the venv.
  "$PY_VENV/bin/python" -m ziglang version >/dev/null || fail "ziglang is not installed in $PY_VENV (make setup-python)"
  for entry in "${wheels[@]}"; do
    target="${entry%%:*}" compat="${entry##*:}"
    step "wheel $compat $target (maturin --zig)"
    (cd bindings-python && nice -n 10 maturin build --release --quiet --zig \
      --target "$target" --compatibility "$compat" -o "$PY_DIST_OUT")
  done
  step "sdist"
  (cd bindings-python && maturin sdist -o "$PY_DIST_OUT")
  ls -l "$PY_DIST_OUT"
}

# The .so of a wheel, unpacked into $2.
unpack() {
  rm -rf "$2"
  mkdir -p "$2"
  "$PY_VENV/bin/python" -m zipfile -e "$1" "$2"
  [ -f "$2/bullseye_webhooks/_native.abi3.so" ] || fail "$1 has no bullseye_webhooks/_native.abi3.so"
}

# A fresh venv with nothing but pip, at $1.
fresh_venv() {
  rm -rf "$1"
  python3 -m venv "$1"
}

test_all() {
  rm -rf "$PY_DIST_WORK"
  mkdir -p "$PY_DIST_WORK"
  local fixtures="$repo/fixtures" runner="$repo/$here/run_vectors.py"

  step "artifacts: tags, ELF machine, licence files, PEP 639 metadata (zipfile/tarfile)"
  "$PY_VENV/bin/python" "$here/check_artifacts.py" "$PY_DIST_OUT" "$repo"

  step "manylinux2014 x86_64: installed into a clean venv, the vectors"
  local wheel venv
  wheel="$(only "$PY_DIST_OUT/bullseye_webhooks-*-cp39-abi3-manylinux2014_x86_64.*.whl")"
  venv="$PY_DIST_WORK/venv-wheel"
  fresh_venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-index --no-deps "$wheel"
  ! "$venv/bin/python" -c 'import pytest' 2>/dev/null || fail "pytest is importable in the clean venv"
  (cd "$PY_DIST_WORK" && "$venv/bin/python" "$runner" "$fixtures" --expect-machine x86_64 --expect-under "$venv")

  step "manylinux2014 aarch64: Debian's arm64 Python under qemu-aarch64-static, the vectors"
  local root dir
  root="$("$repo/scripts/arm64-root.sh" python3)"
  wheel="$(only "$PY_DIST_OUT/bullseye_webhooks-*-cp39-abi3-manylinux2014_aarch64.*.whl")"
  dir="$PY_DIST_WORK/aarch64-gnu"
  unpack "$wheel" "$dir"
  (cd "$PY_DIST_WORK" && PYTHONPATH="$dir" PYTHONNOUSERSITE=1 \
    qemu-aarch64-static -L "$root" "$root/usr/bin/python3" "$runner" "$fixtures" \
    --expect-machine aarch64 --expect-under "$dir")

  step "musllinux_1_2 x86_64 and aarch64: built only (no musl Python here); the native module links no glibc symbol"
  local target machine so needed
  for target in x86_64 aarch64; do
    wheel="$(only "$PY_DIST_OUT/bullseye_webhooks-*-cp39-abi3-musllinux_1_2_$target.whl")"
    dir="$PY_DIST_WORK/musl-$target"
    unpack "$wheel" "$dir"
    so="$dir/bullseye_webhooks/_native.abi3.so"
    machine="$(readelf -h "$so" | awk -F: '/Machine:/ { gsub(/^ +/, "", $2); print $2 }')"
    case "$target:$machine" in
      x86_64:"Advanced Micro Devices X86-64" | aarch64:AArch64) ;;
      *) fail "$wheel: ELF machine '$machine'" ;;
    esac
    needed="$(readelf -d -W "$so" | awk '/\(NEEDED\)/ { gsub(/[][]/, "", $NF); print $NF }' | sort | tr '\n' ' ')"
    [ "$needed" = "libc.so " ] || fail "$wheel: NEEDED is '$needed', expected musl's libc.so alone"
    if readelf -V -W "$so" | grep -q 'GLIBC_'; then fail "$wheel: needs glibc symbol versions"; fi
    if readelf --dyn-syms -W "$so" | grep -q '@GLIBC_'; then fail "$wheel: imports glibc-versioned symbols"; fi
    if readelf -p .interp "$so" 2>/dev/null | grep -q 'ld-linux'; then fail "$wheel: asks for glibc's loader"; fi
    echo "musllinux_1_2 $target: $machine, NEEDED $needed, no GLIBC_ symbol version"
  done
  # The glibc wheels, for contrast: their newest symbol version is within manylinux2014 (glibc 2.17).
  for target in x86_64 aarch64; do
    wheel="$(only "$PY_DIST_OUT/bullseye_webhooks-*-cp39-abi3-manylinux2014_$target.*.whl")"
    dir="$PY_DIST_WORK/gnu-$target"
    unpack "$wheel" "$dir"
    newest="$(readelf -V -W "$dir/bullseye_webhooks/_native.abi3.so" | grep -o 'GLIBC_[0-9.]*' | sort -V | tail -n 1)"
    [ -n "$newest" ] || fail "$wheel: no GLIBC_ symbol version at all"
    [ "$(printf '%s\n' "$newest" GLIBC_2.17 | sort -V | tail -n 1)" = GLIBC_2.17 ] \
      || fail "$wheel: needs $newest, newer than manylinux2014's glibc 2.17"
    echo "manylinux2014 $target: newest symbol version $newest"
  done

  step "sdist: built from source (maturin backend) into a clean venv, the vectors"
  local sdist
  sdist="$(only "$PY_DIST_OUT/bullseye_webhooks-*.tar.gz")"
  venv="$PY_DIST_WORK/venv-sdist"
  fresh_venv "$venv"
  # --no-binary for this package only: ':all:' would also compile the
  # build backend (maturin) itself from its sdist, which tests nothing of ours.
  # (pip keeps no wheel it builds from a local file: this compiles every run.)
  CARGO_TARGET_DIR="$PY_DIST_CARGO/sdist" nice -n 10 "$venv/bin/python" -m pip install -q --disable-pip-version-check \
    --no-binary bullseye-webhooks "$sdist"
  (cd "$PY_DIST_WORK" && "$venv/bin/python" "$runner" "$fixtures" --expect-machine x86_64 --expect-under "$venv")

  step "all passed"
}

case "${1:-}" in
  build) build ;;
  test) test_all ;;
  *) echo "usage: $0 build|test" >&2; exit 2 ;;
esac
