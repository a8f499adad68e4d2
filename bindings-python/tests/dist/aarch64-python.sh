#!/usr/bin/env bash
# An aarch64 (arm64) Debian Python to run the aarch64 wheel under
# qemu-user-static, made from Debian's own packages and kept in a cache outside
# the repository. Idempotent: a second run only checks the marker.
#
#   tests/dist/aarch64-python.sh          prints the root directory
#
# The root is debootstrap's first stage (--foreign: unpack only, so no arm64
# code runs and no binfmt_misc registration is needed), then every package it
# downloaded (python3 and its dependencies, which the first stage leaves
# packed) unpacked with dpkg-deb. Nothing in it is configured; Python needs
# nothing configured to run. Programs run as
#   qemu-aarch64-static -L "$root" "$root/usr/bin/python3" ...
set -euo pipefail

cache="${XDG_CACHE_HOME:-$HOME/.cache}/bullseye-webhooks"
# The suite of the machine's own Debian (the Python the aarch64 wheel meets
# is then the same version as the x86_64 one here).
suite="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"
root="$cache/debian-$suite-arm64"
marker="$root/.bullseye-webhooks-complete"

if [ -f "$marker" ] && [ -x "$root/usr/bin/python3" ]; then
  echo "$root"
  exit 0
fi

for tool in debootstrap dpkg-deb qemu-aarch64-static; do
  command -v "$tool" >/dev/null || {
    echo "aarch64-python: $tool is missing (scripts/setup.sh installs debootstrap and qemu-user-static)" >&2
    exit 1
  }
done

# The mirror apt already uses here, when it can be read; otherwise
# debootstrap's default.
mirror=""
if [ -r /etc/apt/sources.list.d/debian.sources ]; then
  mirror="$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)"
elif [ -r /etc/apt/sources.list ]; then
  mirror="$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)"
fi

mkdir -p "$cache"
work="$root.partial"
rm -rf "$work"
echo "aarch64-python: debootstrap --foreign --arch=arm64 $suite into $work" >&2
debootstrap --foreign --arch=arm64 --variant=minbase --include=python3 \
  "$suite" "$work" ${mirror:+"$mirror"} >"$cache/debootstrap.log" 2>&1 || {
  echo "aarch64-python: debootstrap failed; its log:" >&2
  tail -n 30 "$cache/debootstrap.log" >&2
  exit 1
}
shopt -s nullglob
debs=("$work"/var/cache/apt/archives/*.deb)
[ "${#debs[@]}" -gt 0 ] || { echo "aarch64-python: debootstrap downloaded no package" >&2; exit 1; }
for deb in "${debs[@]}"; do
  dpkg-deb -x "$deb" "$work"
done
rm -f "$work"/var/cache/apt/archives/*.deb
[ -x "$work/usr/bin/python3" ] || { echo "aarch64-python: no usr/bin/python3 in the unpacked root" >&2; exit 1; }
# It must run: a Python that prints its machine under qemu.
machine="$(qemu-aarch64-static -L "$work" "$work/usr/bin/python3" -c 'import platform; print(platform.machine())')"
[ "$machine" = aarch64 ] || { echo "aarch64-python: the unpacked Python says its machine is '$machine'" >&2; exit 1; }
touch "$work/.bullseye-webhooks-complete"
rm -rf "$root"
mv "$work" "$root"
echo "$root"
