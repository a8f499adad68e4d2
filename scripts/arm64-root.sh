#!/usr/bin/env bash
# An arm64 (aarch64) Debian root holding one program from Debian's own
# packages, to run the project's aarch64 builds under qemu-user-static (the
# aarch64 wheel with python3, the linux-arm64-gnu addon with nodejs). Kept in
# a cache outside the repository. Idempotent: a second run only checks the
# marker.
#
#   scripts/arm64-root.sh python3|python3-venv|nodejs   prints the root directory
#
# The root is debootstrap's first stage (--foreign: unpack only, so no arm64
# code runs and no binfmt_misc registration is needed), then every package it
# downloaded (the program and its dependencies, which the first stage leaves
# packed) unpacked with dpkg-deb. Nothing in it is configured; neither
# program needs anything configured to run. Programs run as
#   qemu-aarch64-static -L "$root" "$root/usr/bin/python3" ...
set -euo pipefail

package=${1:-}
case "$package" in
  python3) program=usr/bin/python3; probe=(-c 'import platform; print(platform.machine())'); expected=aarch64 ;;
  # python3 with ensurepip (Debian splits it off): pipx makes venvs with pip.
  python3-venv) program=usr/bin/python3; probe=(-c 'import ensurepip, platform; print(platform.machine())'); expected=aarch64 ;;
  nodejs) program=usr/bin/node; probe=(-p process.arch); expected=arm64 ;;
  *) echo "usage: scripts/arm64-root.sh python3|python3-venv|nodejs" >&2; exit 2 ;;
esac

cache="${XDG_CACHE_HOME:-$HOME/.cache}/bullseye-webhooks"
# The suite of the machine's own Debian (the aarch64 Python is then the same
# version as the x86_64 one here).
suite="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"
# One root per program, so that removing one (to time a cold run) leaves the
# other alone.
root="$cache/debian-$suite-arm64-$package"
marker="$root/.bullseye-webhooks-complete"

if [ -f "$marker" ] && [ -x "$root/$program" ]; then
  echo "$root"
  exit 0
fi

for tool in debootstrap dpkg-deb qemu-aarch64-static; do
  command -v "$tool" >/dev/null || {
    echo "arm64-root: $tool is missing (scripts/setup.sh installs debootstrap and qemu-user-static)" >&2
    exit 1
  }
done

# The Debian mirror apt already uses here, when it can be read; otherwise
# debootstrap's default. (Only a Debian one: other sources carry no arm64
# Debian suite.)
mirror=""
if [ -r /etc/apt/sources.list.d/debian.sources ]; then
  mirror="$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)"
elif [ -r /etc/apt/sources.list ]; then
  mirror="$(awk '$1 == "deb" && $0 ~ /debian/ && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)"
fi

mkdir -p "$cache"
work="$root.partial"
rm -rf "$work"
log="$cache/debootstrap-$package.log"
echo "arm64-root: debootstrap --foreign --arch=arm64 $suite ($package) into $work" >&2
debootstrap --foreign --arch=arm64 --variant=minbase --include="$package" \
  "$suite" "$work" ${mirror:+"$mirror"} >"$log" 2>&1 || {
  echo "arm64-root: debootstrap failed; its log:" >&2
  tail -n 30 "$log" >&2
  exit 1
}
shopt -s nullglob
debs=("$work"/var/cache/apt/archives/*.deb)
[ "${#debs[@]}" -gt 0 ] || { echo "arm64-root: debootstrap downloaded no package" >&2; exit 1; }
for deb in "${debs[@]}"; do
  dpkg-deb -x "$deb" "$work"
done
rm -f "$work"/var/cache/apt/archives/*.deb
[ -x "$work/$program" ] || { echo "arm64-root: no $program in the unpacked root" >&2; exit 1; }
# It must run: the program names its machine under qemu.
machine="$(qemu-aarch64-static -L "$work" "$work/$program" "${probe[@]}")"
[ "$machine" = "$expected" ] || { echo "arm64-root: the unpacked $program says its machine is '$machine'" >&2; exit 1; }
touch "$work/.bullseye-webhooks-complete"
rm -rf "$root"
mv "$work" "$root"
echo "$root"
