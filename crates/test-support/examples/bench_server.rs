//! A fake model server for `bench/`: serves `RUNS` copies of a scripted 20-request session
//! (shell commands and patches, then a final answer) on 127.0.0.1 and prints its base URL.
//! Usage: `cargo run --release -p codex-test-support --example bench_server -- RUNS`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use codex_test_support::responses::{custom_tool_call, function_call, message, turn};
use codex_test_support::{FakeServer, Scripted};
use serde_json::json;

/// Model requests in one session.
const TURNS: usize = 20;

fn session() -> Vec<Scripted> {
    let mut script = Vec::new();
    for i in 0..TURNS - 1 {
        let id = format!("resp_{i}");
        let call = format!("call_{i}");
        let item = if i % 2 == 0 {
            function_call(
                call,
                "exec_command",
                json!({"cmd": format!("echo step {i} && ls")}).to_string(),
            )
        } else {
            let patch =
                format!("*** Begin Patch\n*** Add File: bench_{i}.txt\n+line {i}\n*** End Patch");
            custom_tool_call(call, "apply_patch", patch)
        };
        script.push(turn(&id, vec![item]));
    }
    script.push(turn(
        "resp_final",
        vec![message("Benchmark session finished.")],
    ));
    script
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1);
    let script = (0..runs).flat_map(|_| session()).collect();
    let server = FakeServer::start_blocking(script);
    println!("{}", server.url());
    // Serve until the bench script kills us.
    loop {
        std::thread::park();
    }
}
