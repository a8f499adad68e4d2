#!/usr/bin/env bash
# An arm64 (aarch64) Debian Node.js to run the linux-arm64-gnu addon under
# qemu-user-static, made from Debian's own packages and kept in a cache
# outside the repository. Idempotent: a second run only checks the marker.
#
#   bindings-node/scripts/arm64-node.sh       prints the root directory
#
# The same recipe as bindings-python/tests/dist/aarch64-python.sh, in its own
# root: debootstrap's first stage (--foreign: unpack only, so no arm64 code
# runs and no binfmt_misc registration is needed), then every package it
# downloaded (nodejs and its dependencies, which the first stage leaves
# packed) unpacked with dpkg-deb. Nothing is configured; Node needs nothing
# configured to run. Programs run as
#   qemu-aarch64-static -L "$root" "$root/usr/bin/node" ...
set -euo pipefail

# Its own cache folder (not the Python root's), so that removing one to time a
# cold run leaves the other alone.
cache="${XDG_CACHE_HOME:-$HOME/.cache}/bullseye-webhooks-node"
# The suite of the machine's own Debian.
suite="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"
root="$cache/debian-$suite-arm64"
marker="$root/.bullseye-webhooks-complete"

if [ -f "$marker" ] && [ -x "$root/usr/bin/node" ]; then
  echo "$root"
  exit 0
fi

for tool in debootstrap dpkg-deb qemu-aarch64-static; do
  command -v "$tool" >/dev/null || {
    echo "arm64-node: $tool is missing (scripts/setup.sh installs debootstrap and qemu-user-static)" >&2
    exit 1
  }
done

# The Debian mirror apt already uses here, when it can be read; otherwise
# debootstrap's default. (Only a Debian one: other sources, such as a
# third-party Node.js repository, carry no arm64 Debian suite.)
mirror=""
if [ -r /etc/apt/sources.list.d/debian.sources ]; then
  mirror="$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)"
elif [ -r /etc/apt/sources.list ]; then
  mirror="$(awk '$1 == "deb" && $0 ~ /debian/ && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)"
fi

mkdir -p "$cache"
work="$root.partial"
rm -rf "$work"
echo "arm64-node: debootstrap --foreign --arch=arm64 $suite (nodejs) into $work" >&2
debootstrap --foreign --arch=arm64 --variant=minbase --include=nodejs \
  "$suite" "$work" ${mirror:+"$mirror"} >"$cache/debootstrap.log" 2>&1 || {
  echo "arm64-node: debootstrap failed; its log:" >&2
  tail -n 30 "$cache/debootstrap.log" >&2
  exit 1
}
shopt -s nullglob
debs=("$work"/var/cache/apt/archives/*.deb)
[ "${#debs[@]}" -gt 0 ] || { echo "arm64-node: debootstrap downloaded no package" >&2; exit 1; }
for deb in "${debs[@]}"; do
  dpkg-deb -x "$deb" "$work"
done
rm -f "$work"/var/cache/apt/archives/*.deb
[ -x "$work/usr/bin/node" ] || { echo "arm64-node: no usr/bin/node in the unpacked root" >&2; exit 1; }
# It must run: a Node that prints its architecture under qemu.
arch="$(qemu-aarch64-static -L "$work" "$work/usr/bin/node" -p process.arch)"
[ "$arch" = arm64 ] || { echo "arm64-node: the unpacked Node says its architecture is '$arch'" >&2; exit 1; }
touch "$work/.bullseye-webhooks-complete"
rm -rf "$root"
mv "$work" "$root"
echo "$root"
