#!/usr/bin/env bash
# Runs every cargo-fuzz target of the log file reader for a bounded time (CI: npm run test:fuzz).
# Idempotent: installs cargo-fuzz into ~/.cargo/bin when missing. FUZZ_SECONDS per target
# (default 20). New inputs found go to a scratch corpus, so the committed corpora
# (crates/core/fuzz/corpus/<target>, plus regressions/<target>: every input that ever crashed)
# only change by hand. A crash fails the run and leaves its input in $FUZZ_ARTIFACTS.
set -euo pipefail
cd "$(dirname "$0")/../crates/core/fuzz"
seconds="${FUZZ_SECONDS:-20}"
export PATH="$HOME/.cargo/bin:$PATH"
if ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked --debug # a debug build compiles faster; its speed does not matter
fi
cargo +nightly fuzz build -O
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
artifacts="${FUZZ_ARTIFACTS:-$PWD/artifacts}"
for target in $(cargo +nightly fuzz list); do
  mkdir -p "$scratch/$target" "$artifacts/$target" "regressions/$target"
  echo "fuzz: $target for ${seconds}s"
  cargo +nightly fuzz run -O "$target" "$scratch/$target" "corpus/$target" "regressions/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=1024 -malloc_limit_mb=64 -timeout=10 \
    -artifact_prefix="$artifacts/$target/" -print_final_stats=1 2>&1 | grep -v '^#[0-9]' || {
    echo "fuzz: $target FAILED; crashing input in $artifacts/$target/" >&2
    exit 1
  }
done
