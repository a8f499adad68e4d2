#!/usr/bin/env bash
# Install Debian packages: apt-get as root, or through sudo when not root
# (GitHub's runners), or a message saying what to install when neither.
# `apt-get update` only when the install fails (a fresh machine's package
# lists may be missing or stale). Callers check first whether the packages
# are there, so a machine that has them never gets here (idempotent).
# DEBIAN_FRONTEND is passed through `env`, since sudo resets the environment.
set -euo pipefail
if [ "$#" -eq 0 ]; then
  echo "usage: $0 PACKAGE..." >&2
  exit 2
fi
apt=(env DEBIAN_FRONTEND=noninteractive apt-get)
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "setup: $* missing, and this is not root and has no sudo: install Debian's $* as root" >&2
    exit 1
  fi
  apt=(sudo "${apt[@]}")
fi
if ! "${apt[@]}" install -y -qq "$@"; then
  "${apt[@]}" update -qq
  "${apt[@]}" install -y -qq "$@"
fi
