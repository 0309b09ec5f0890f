#!/usr/bin/env bash
# Installs Debian packages as root, or through sudo when available; says what to do otherwise.
set -euo pipefail
if [ "$(id -u)" -eq 0 ]; then sudo=""
elif command -v sudo >/dev/null 2>&1; then sudo="sudo"
else
  echo "lakebox needs the Debian packages: $* (run as root, or install them, then retry)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
