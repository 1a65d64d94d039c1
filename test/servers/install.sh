#!/usr/bin/env bash
# Installs (idempotently) every server the test suites start. Owned by the storage layer work.
set -euo pipefail
