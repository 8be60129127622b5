//! Stand-alone `codex-linux-sandbox` helper (the Landlock + seccomp fallback), which the
//! `codex` binary also reaches by arg0 or flag dispatch (`codex --codex-linux-sandbox ...`).
//! Useful for debugging a launch by hand and as the helper in this crate's integration tests.

fn main() {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if !codex_sandbox::is_linux_sandbox_invocation(&args) {
        // Invoked under another name (e.g. `codex-linux-sandbox-x86_64`): treat as arg0 form.
        if let Some(first) = args.first_mut() {
            *first = codex_sandbox::LINUX_SANDBOX_ARG0.into();
        }
    }
    codex_sandbox::run_linux_sandbox_main(args)
}
