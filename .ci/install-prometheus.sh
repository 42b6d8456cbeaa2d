#!/usr/bin/env bash
# Install Debian's `prometheus` package (prometheus + promtool) for the live-Prometheus integration
# tests, only when it is missing. About 5 s; no service starts in a container. CI runs as root.
set -euo pipefail
if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y --no-install-recommends prometheus
prometheus --version 2>&1 | head -1
