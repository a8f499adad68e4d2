#!/usr/bin/env bash
# Runs a command where aarch64 programs run as if native, child processes
# included: an aarch64 pipx or npx (pure Python or JS, in the arm64 root's
# interpreter) starts venvs, pip, node and the CLI binary, and each of those is
# an aarch64 executable. `qemu-aarch64-static -L ROOT PROGRAM` alone runs one
# process: the guest's execve goes to the host kernel, which cannot run an
# aarch64 file without a binfmt_misc entry for it.
#
#   scripts/arm64-exec.sh ROOT COMMAND...
#
# The entry is made in a binfmt_misc instance of the command's own: a new user
# and mount namespace (Linux >= 6.7 gives each user namespace its own
# binfmt_misc when mounted there), so the machine's registrations are neither
# needed nor touched, and none is left behind. The entry is Debian's
# qemu-user-static one with the F flag (the interpreter is opened now, so
# later path lookups do not matter); QEMU_LD_PREFIX=ROOT gives every aarch64
# process ROOT's loader and libraries. Host (x86_64) programs the command
# starts, /bin/sh for one, stay native.
set -euo pipefail

root=${1:?usage: scripts/arm64-exec.sh ROOT COMMAND...}
shift
[ "$#" -gt 0 ] || { echo "usage: scripts/arm64-exec.sh ROOT COMMAND..." >&2; exit 2; }
qemu="$(command -v qemu-aarch64-static)" || {
  echo "arm64-exec: qemu-aarch64-static is missing (scripts/setup.sh installs qemu-user-static)" >&2
  exit 1
}

if [ "${ARM64_EXEC_INSIDE:-}" != 1 ]; then
  exec env ARM64_EXEC_INSIDE=1 unshare --user --map-root-user --mount --fork -- "$0" "$root" "$@"
fi

# Mounted where binfmt_misc usually is, in this mount namespace only; it
# stays mounted while the command runs (unmounting drops the entries).
misc=/proc/sys/fs/binfmt_misc
mount -t binfmt_misc binfmt_misc "$misc" || {
  echo "arm64-exec: could not mount binfmt_misc in a user namespace (needs Linux >= 6.7 and user namespaces)" >&2
  exit 1
}
# A fresh instance: nothing registered yet (else this would be the machine's).
[ ! -e "$misc/qemu-aarch64" ] || { echo "arm64-exec: binfmt_misc here is not a namespace's own" >&2; exit 1; }
printf ':qemu-aarch64:M::%s:%s:%s:F' \
  '\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00' \
  '\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff' \
  "$qemu" >"$misc/register"
export QEMU_LD_PREFIX="$root"
unset ARM64_EXEC_INSIDE
exec "$@"
