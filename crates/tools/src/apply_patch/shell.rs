//! Recognising `apply_patch` invoked through a shell command.
//!
//! Models often "run" the patch tool as a command instead of calling it: `apply_patch` with the
//! patch as its argument, or a heredoc such as
//!
//! ```text
//! cd src && apply_patch <<'EOF'
//! *** Begin Patch
//! ...
//! *** End Patch
//! EOF
//! ```
//!
//! possibly wrapped in `bash -lc "..."`. There is no `apply_patch` executable, so the agent
//! intercepts these and applies the patch itself. Only commands that do nothing but that are
//! recognised; anything after the heredoc terminator makes the command an ordinary one.

use std::path::{Path, PathBuf};

/// A patch found in a shell command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellPatch {
    /// The patch text exactly as the command would have fed it to `apply_patch` (for a heredoc,
    /// the body lines, each ending in `\n`).
    pub patch: String,
    /// The directory of a leading `cd <dir> &&`, as written (possibly relative: the caller
    /// resolves it against the command's working directory).
    pub workdir: Option<PathBuf>,
}

const COMMAND_NAMES: [&str; 2] = ["apply_patch", "applypatch"];
const SHELLS: [&str; 3] = ["bash", "sh", "zsh"];

/// Recognises an argv that runs `apply_patch`:
/// `["apply_patch" | "applypatch", PATCH]`, or `[bash|sh|zsh, "-lc"|"-c", SCRIPT]` where
/// `SCRIPT` is recognised by [`patch_from_shell_script`] (the shell may be given as a path,
/// e.g. `/bin/bash`). Returns `None` for any other command.
pub fn patch_from_shell_argv(argv: &[String]) -> Option<ShellPatch> {
    match argv {
        [command, patch] if COMMAND_NAMES.contains(&command.as_str()) => Some(ShellPatch {
            patch: patch.clone(),
            workdir: None,
        }),
        [shell, flag, script] if is_shell(shell) && matches!(flag.as_str(), "-lc" | "-c") => {
            patch_from_shell_script(script)
        }
        _ => None,
    }
}

/// Recognises a shell script that runs `apply_patch` and nothing else, optionally preceded by
/// `cd <dir> &&`:
///
/// - a heredoc: `apply_patch <<'EOF'` (also `<<EOF`, `<<"EOF"`, `<< EOF`, `<<-EOF`), the patch
///   lines, then the terminator line (which may be missing at the very end of the script);
/// - a quoted argument: `apply_patch '*** Begin Patch ...'`;
/// - a nested `bash -lc '...'` of either form.
///
/// Returns `None` for any other script.
pub fn patch_from_shell_script(script: &str) -> Option<ShellPatch> {
    heredoc_form(script).or_else(|| argument_form(script))
}

fn is_shell(program: &str) -> bool {
    Path::new(program)
        .file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| SHELLS.contains(&name))
}

fn heredoc_form(script: &str) -> Option<ShellPatch> {
    let (first_line, body) = script.trim_start().split_once('\n')?;
    let words = shlex::split(first_line)?;
    let (workdir, words) = strip_cd(&words);
    let command = words.join(" ");
    let redirect = COMMAND_NAMES
        .iter()
        .find_map(|name| command.strip_prefix(name))?
        .trim_start()
        .strip_prefix("<<")?;
    let (strip_tabs, delimiter) = match redirect.strip_prefix('-') {
        Some(rest) => (true, rest.trim()),
        None => (false, redirect.trim()),
    };
    if delimiter.is_empty() || delimiter.contains(char::is_whitespace) {
        return None;
    }

    let mut patch = String::new();
    let mut lines = body.split('\n');
    for line in lines.by_ref() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let line = if strip_tabs {
            line.trim_start_matches('\t')
        } else {
            line
        };
        if line.trim() == delimiter {
            break;
        }
        patch.push_str(line);
        patch.push('\n');
    }
    // Only blank lines may follow the terminator; anything else is a command of its own.
    if lines.any(|rest| !rest.trim().is_empty()) {
        return None;
    }
    // An empty heredoc feeds nothing to apply_patch: not a patch invocation worth intercepting.
    if patch.trim().is_empty() {
        return None;
    }
    Some(ShellPatch { patch, workdir })
}

fn argument_form(script: &str) -> Option<ShellPatch> {
    let words = shlex::split(script)?;
    let (workdir, words) = strip_cd(&words);
    let inner = patch_from_shell_argv(words)?;
    let workdir = match (workdir, inner.workdir) {
        (Some(outer), Some(inner)) => Some(outer.join(inner)),
        (outer, inner) => outer.or(inner),
    };
    Some(ShellPatch {
        patch: inner.patch,
        workdir,
    })
}

/// Splits off a leading `cd <dir> &&`.
fn strip_cd(words: &[String]) -> (Option<PathBuf>, &[String]) {
    match words {
        [cd, dir, and, rest @ ..] if cd == "cd" && and == "&&" => (Some(PathBuf::from(dir)), rest),
        _ => (None, words),
    }
}
