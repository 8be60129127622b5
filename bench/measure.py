#!/usr/bin/env python3
"""Runs each binary RUNS times on the scripted bench session and prints medians and ratios.

Each run gets a fresh CODEX_HOME and git work dir; the fake server (bench_server) serves RUNS
sessions per binary. Wall time is measured around the process; peak RSS is the child's
ru_maxrss from wait4 (KiB on Linux), which covers the process tree's largest member.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

CONFIG = """model = "gpt-5.5"
model_provider = "mock"
[model_providers.mock]
name = "mock"
base_url = "{url}"
env_key = "OPENAI_API_KEY"
wire_api = "responses"
"""


def one_run(name, binary, url, tmp, i):
    home = os.path.join(tmp, f"run-{name}-{i}")
    codex_home = os.path.join(home, "codex_home")
    work = os.path.join(home, "work")
    os.makedirs(codex_home)
    os.makedirs(work)
    with open(os.path.join(codex_home, "config.toml"), "w") as f:
        f.write(CONFIG.format(url=url))
    subprocess.run(["git", "init", "-q", work], check=True)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": home,
        "CODEX_HOME": codex_home,
        "OPENAI_API_KEY": "sk-bench",
    }
    start = time.perf_counter()
    proc = subprocess.Popen(
        [binary, "exec", "--json", "--dangerously-bypass-approvals-and-sandbox", "run the bench session"],
        cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if not b"Benchmark session finished." in out:
        sys.exit(f"{binary}: run {i} did not finish the session (status {status})")
    return wall, usage.ru_maxrss / 1024.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--server", required=True)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("binaries", nargs="+", help="name=path")
    args = ap.parse_args()
    results = {}
    for spec in args.binaries:
        name, path = spec.split("=", 1)
        server = subprocess.Popen([args.server, str(args.runs)], stdout=subprocess.PIPE, text=True)
        url = server.stdout.readline().strip()
        try:
            samples = [one_run(name, path, url, args.tmp, i) for i in range(args.runs)]
        finally:
            server.kill()
            server.wait()
        walls = [s[0] for s in samples]
        rss = [s[1] for s in samples]
        results[name] = (statistics.median(walls), statistics.median(rss))
        print(f"{name:10s} median wall {results[name][0]*1000:8.1f} ms   median peak RSS {results[name][1]:7.1f} MiB")
    if "ours" in results and "upstream" in results:
        (ow, orss), (uw, urss) = results["ours"], results["upstream"]
        print(f"ratio ours/upstream: wall {ow/uw:.3f}x   peak RSS {orss/urss:.3f}x")


if __name__ == "__main__":
    main()
