#!/usr/bin/env bash
# Compares ours and upstream @openai/codex@0.169.0 on the same scripted 20-request exec session
# (shell commands and patches) against the same local fake server. Prints median wall time,
# median peak RSS, and the ratios ours/upstream. Needs: cargo, npm, python3, git.
# Usage: bench/exec-session.sh [RUNS]   (default 10)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-10}"
tmp="$(mktemp -d)"
trap 'kill "${server_pid:-0}" 2>/dev/null || true; rm -rf "$tmp"' EXIT

echo "building (release)..." >&2
cargo build --release -q -p codex-cli -p codex-test-support --bin codex --example bench_server --manifest-path "$root/Cargo.toml"
ours="$root/target/release/codex"

echo "installing @openai/codex@0.169.0 into $tmp/upstream..." >&2
npm install -q --no-audit --no-fund --prefix "$tmp/upstream" @openai/codex@0.169.0 >/dev/null
upstream="$tmp/upstream/node_modules/.bin/codex"

python3 "$root/bench/measure.py" --runs "$runs" --server "$root/target/release/examples/bench_server" \
  --tmp "$tmp" ours="$ours" upstream="$upstream"
