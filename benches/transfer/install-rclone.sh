#!/usr/bin/env bash
# Installs rclone (the Debian package) for the transfer benchmark's comparison. Idempotent.
set -euo pipefail
if command -v rclone >/dev/null 2>&1; then exit 0; fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq rclone >/dev/null
rclone version | head -1
