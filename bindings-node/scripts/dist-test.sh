#!/usr/bin/env bash
# The per-platform packages, packed and installed as users get them (napi-rs's
# scheme): `make dist-test-node` runs this after building the addons into
# bindings-node/npm/<platform>/ (scripts/build-platforms.sh) and packing the
# main package into dist/ (make dist-node).
#
# 1. Stage the release packages: the main package from dist/ with its addon
#    taken out and every napi target's package in optionalDependencies,
#    pinned to its own version (what `napi pre-publish` writes at release);
#    each Linux platform package from npm/<platform>/. npm pack each.
# 2. Check each Linux addon's ELF: machine, and glibc (<= 2.17) or musl.
# 3. linux-x64-gnu: `npm install --offline` the main and platform tarballs
#    into a clean folder, then run the shared vector suites
#    (tests/js/vectors.test.js, tests/js/bitnob-vectors.test.js) against the
#    installed package by name (BULLSEYE_IMPL=package).
# 4. linux-arm64-gnu: the same install with --cpu=arm64, and the same suites
#    in Debian's arm64 Node.js under qemu-user-static (scripts/arm64-root.sh).
# Every process that loads the package reports which addon it loaded
# (tests-dist/addon-report.js); it must be the platform package's.
# The musl addons are built and checked, not run: there is no musl Node.js
# here.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
node_dir="$root/bindings-node"

version="$(node -p 'require("./bindings-node/package.json").version')"
main_tgz="$root/dist/bullseye-webhooks-$version.tgz"
[ -f "$main_tgz" ] || { echo "dist-test-node: $main_tgz is missing (make dist-node packs it)" >&2; exit 1; }
linux_platforms=(linux-x64-gnu linux-x64-musl linux-arm64-gnu linux-arm64-musl)
for platform in "${linux_platforms[@]}"; do
  [ -f "$node_dir/npm/$platform/bullseye-webhooks.$platform.node" ] ||
    { echo "dist-test-node: npm/$platform has no addon (scripts/build-platforms.sh builds it)" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tarballs"
fail() { echo "dist-test-node: $*" >&2; exit 1; }

# 1. Stage and pack.
"$node_dir/scripts/stage-release.sh" "$work/main"
(cd "$work/main/package" && npm pack --silent --pack-destination "$work/tarballs" >/dev/null)
for platform in "${linux_platforms[@]}"; do
  (cd "$node_dir/npm/$platform" && npm pack --silent --pack-destination "$work/tarballs" >/dev/null)
done
main_release="$work/tarballs/bullseye-webhooks-$version.tgz"
tar -tzf "$main_release" | grep -q '\.node$' && fail "the release main package still carries an addon"
# Every tarball carries both licence texts, byte for byte the repository's.
same_licences() {
  for licence in LICENSE-MIT LICENSE-APACHE; do
    tar -xOzf "$1" "package/$licence" | cmp -s - "$root/$licence" || fail "$(basename "$1"): package/$licence differs from $licence or is missing"
  done
}
same_licences "$main_release"
for platform in "${linux_platforms[@]}"; do
  tarball="$work/tarballs/bullseye-webhooks-$platform-$version.tgz"
  listing="$(tar -tzf "$tarball" | LC_ALL=C sort | tr '\n' ' ')"
  [ "$listing" = "package/LICENSE-APACHE package/LICENSE-MIT package/README.md package/bullseye-webhooks.$platform.node package/package.json " ] ||
    fail "bullseye-webhooks-$platform-$version.tgz holds: $listing"
  same_licences "$tarball"
done
# The packed manifest: one optional dependency per napi target, each the
# package in npm/ of that name, at exactly this version.
optional="$(tar -xOzf "$main_release" package/package.json | node -e '
  const [npmDir, version] = process.argv.slice(1);
  const manifest = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
  const entries = Object.entries(manifest.optionalDependencies ?? {});
  const platforms = require("node:fs").readdirSync(npmDir).filter((d) => !d.startsWith("."));
  if (entries.length !== manifest.napi.targets.length || entries.length !== platforms.length) {
    throw new Error(`${entries.length} optional dependencies, ${manifest.napi.targets.length} targets, ${platforms.length} folders in npm/`);
  }
  for (const [name, spec] of entries) {
    if (spec !== version) throw new Error(`${name}: ${spec}, not ${version}`);
    if (!platforms.some((p) => `${manifest.name}-${p}` === name)) throw new Error(`${name}: no npm/ folder`);
  }
  console.log(entries.map(([name]) => name.replace(`${manifest.name}-`, "")).join(" "));
' "$node_dir/npm" "$version")" || fail "the release main package's optionalDependencies"
echo "dist-test-node: packed the main package (no addon; optionalDependencies at $version: $optional) and ${#linux_platforms[@]} Linux platform packages"

# 2. The ELF of each addon.
for platform in "${linux_platforms[@]}"; do
  addon="$node_dir/npm/$platform/bullseye-webhooks.$platform.node"
  machine="$(readelf -h "$addon" | awk -F: '/Machine:/ { gsub(/^ +/, "", $2); print $2 }')"
  needed="$(readelf -d "$addon" | awk '/NEEDED/ { gsub(/[][]/, "", $NF); print $NF }' | sort | tr '\n' ' ')"
  glibc="$(objdump -T "$addon" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1 || true)"
  case "$platform" in
    linux-x64-*) [ "$machine" = "Advanced Micro Devices X86-64" ] || fail "$platform: machine $machine" ;;
    linux-arm64-*) [ "$machine" = "AArch64" ] || fail "$platform: machine $machine" ;;
  esac
  case "$platform" in
    *-gnu)
      [[ " $needed" == *" libc.so.6 "* ]] || fail "$platform: no libc.so.6 among NEEDED: $needed"
      [ -n "$glibc" ] && [ "$(printf '%s\n2.17\n' "$glibc" | sort -V | tail -n 1)" = 2.17 ] ||
        fail "$platform: needs glibc $glibc (more than 2.17)"
      echo "dist-test-node: $platform: $machine, NEEDED $needed, glibc symbols up to $glibc" ;;
    *-musl)
      [[ " $needed" == *" libc.so "* ]] || fail "$platform: musl's libc.so is not among NEEDED: $needed"
      [[ "$needed" != *libc.so.6* && "$needed" != *ld-linux* ]] || fail "$platform: glibc among NEEDED: $needed"
      [ -z "$glibc" ] || fail "$platform: glibc-versioned symbols (up to $glibc)"
      echo "dist-test-node: $platform: $machine, NEEDED $needed, no glibc symbol (built and checked, not run: no musl Node.js here)" ;;
  esac
done

# 3 and 4. Install as a user does: the consumer depends on the main package
# alone, and npm picks the platform package from its optionalDependencies by
# os/cpu/libc. Offline, every Linux platform name is pointed at its local
# tarball (overrides); darwin and win32 have none here and are left out as
# optional dependencies npm cannot fetch. --cpu/--libc give the platform
# (arm64: the machine qemu runs). $1: folder, $2: the platform whose package
# npm must choose.
consumer() {
  local dir="$1" platform="$2"
  local cpu="${platform#linux-}"; cpu="${cpu%-*}"
  local libc=glibc; [[ "$platform" == *-musl ]] && libc=musl
  mkdir -p "$dir"
  node -e '
    const [dir, tarballs, version, ...platforms] = process.argv.slice(1);
    const overrides = {};
    for (const p of platforms) overrides[`bullseye-webhooks-${p}`] = `file:${tarballs}/bullseye-webhooks-${p}-${version}.tgz`;
    require("node:fs").writeFileSync(`${dir}/package.json`, JSON.stringify({
      name: "consumer", private: true,
      dependencies: { "bullseye-webhooks": `file:${tarballs}/bullseye-webhooks-${version}.tgz` },
      overrides,
    }, null, 2));
  ' "$dir" "$work/tarballs" "$version" "${linux_platforms[@]}"
  (cd "$dir" && npm install --offline --no-audit --no-fund --loglevel=error --os=linux --cpu="$cpu" --libc="$libc" >/dev/null)
  local installed
  installed="$(cd "$dir/node_modules" && ls -d bullseye-webhooks* | tr '\n' ' ')"
  [ "$installed" = "bullseye-webhooks bullseye-webhooks-$platform " ] || fail "$platform: npm installed $installed"
}
for platform in "${linux_platforms[@]}"; do
  consumer "$work/choose-$platform" "$platform"
done
echo "dist-test-node: npm chose the right package out of the four for each of ${linux_platforms[*]}"

# $1: folder, $2: platform, $3...: the node command (plain, or under qemu).
suites=(tests/js/vectors.test.js tests/js/bitnob-vectors.test.js)
install_and_run() {
  local dir="$1" platform="$2"
  shift 2
  consumer "$dir" "$platform"
  local report="$dir/addon-report.txt"
  local start=$SECONDS
  for suite in "${suites[@]}"; do
    # Each suite file runs as its own process (node:test runs the file's
    # tests in it): no child processes, which qemu-user would need binfmt for.
    BULLSEYE_IMPL=package BULLSEYE_PACKAGE_DIR="$dir/node_modules/bullseye-webhooks" \
      BULLSEYE_ADDON_REPORT="$report" NODE_OPTIONS="--require=$node_dir/tests-dist/addon-report.js" \
      "$@" "$root/$suite" >"$dir/$(basename "$suite").log" 2>&1 ||
      { tail -n 40 "$dir/$(basename "$suite").log" >&2; fail "$platform: $suite failed"; }
    grep -E '^# (tests|pass|fail) ' "$dir/$(basename "$suite").log" | tr '\n' ' ' | sed "s|^|dist-test-node: $platform: $suite: |; s| $|\n|"
  done
  local want="$dir/node_modules/bullseye-webhooks-$platform/bullseye-webhooks.$platform.node"
  local lines
  lines="$(wc -l <"$report")"
  [ "$lines" -eq "${#suites[@]}" ] || fail "$platform: $lines processes reported their addon, expected ${#suites[@]}"
  while read -r arch addons; do
    [ "$addons" = "$want" ] || fail "$platform: a process ($arch) loaded '$addons', not $want"
  done <"$report"
  echo "dist-test-node: $platform: every suite ran through $(basename "$want") from the bullseye-webhooks-$platform package ($((SECONDS - start)) s)"
}

install_and_run "$work/x64-gnu" linux-x64-gnu node

arm64_root="$("$root/scripts/arm64-root.sh" nodejs)"
echo "dist-test-node: arm64 Node.js $(qemu-aarch64-static -L "$arm64_root" "$arm64_root/usr/bin/node" -p 'process.version + ", N-API " + process.versions.napi') under qemu-aarch64-static"
install_and_run "$work/arm64-gnu" linux-arm64-gnu qemu-aarch64-static -L "$arm64_root" "$arm64_root/usr/bin/node"
