#!/usr/bin/env bash
# Median launch overhead of the sandbox: 50 runs each of bare `true`, the bare hardened
# `bwrap` command line ours builds (the floor for any bwrap-based launcher: namespaces, fresh
# /dev and /proc, --cap-drop ALL, no seccomp), ours `codex sandbox -- true` (read-only
# policy) and upstream @openai/codex@0.169.0's, in one run.
# Needs: cargo, npm, python3, bubblewrap. Usage: bench/sandbox-overhead.sh [RUNS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-50}"
# Not under /tmp: upstream refuses to install its sandbox helper alias in a CODEX_HOME there.
tmp="$(mktemp -d -p /var/tmp)"
trap 'rm -rf "$tmp"' EXIT
cargo build --release -q -p codex-cli --bin codex --manifest-path "$root/Cargo.toml"
npm install -q --no-audit --no-fund --prefix "$tmp/upstream" @openai/codex@0.169.0 >/dev/null 2>&1
mkdir -p "$tmp/home" "$tmp/work"
git init -q "$tmp/work"
cd "$tmp/work"
python3 - "$runs" "$root/target/release/codex" "$tmp/upstream/node_modules/.bin/codex" "$tmp/home" <<'PY'
import os, statistics, subprocess, sys, time
runs, ours, upstream, home = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
env = {"PATH": os.environ["PATH"], "HOME": home, "CODEX_HOME": home}
def run(argv):
    t = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - t) * 1000
hardened = ["bwrap", "--new-session", "--die-with-parent", "--unshare-user",
            "--unshare-pid", "--unshare-ipc", "--unshare-net", "--ro-bind", "/", "/",
            "--dev", "/dev", "--proc", "/proc", "--ro-bind", "/proc/sys", "/proc/sys",
            "--cap-drop", "ALL", "--disable-userns", "--", "true"]
cases = [["true"], hardened, [ours, "sandbox", "--", "true"], [upstream, "sandbox", "--", "true"]]
# Round-robin, so drift in the machine's speed hits every case alike.
samples = [[] for _ in cases]
for _ in range(runs):
    for i, argv in enumerate(cases):
        samples[i].append(run(argv))
bare, floor, o, u = (statistics.median(s) for s in samples)
print(f"bare true          {bare:7.2f} ms")
print(f"hardened bwrap     {floor:7.2f} ms   overhead {floor - bare:6.2f} ms")
print(f"ours sandbox       {o:7.2f} ms   overhead {o - bare:6.2f} ms   ({o - floor:+.2f} ms over the bare hardened bwrap)")
print(f"upstream sandbox   {u:7.2f} ms   overhead {u - bare:6.2f} ms")
print(f"ratio ours/upstream overhead: {(o - bare) / (u - bare):.3f}x")
PY
