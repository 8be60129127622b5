//! "Don't ask again": appending an `allow` prefix rule to a rules file, once.

use std::io::Write;
use std::path::Path;

use super::ExecPolicyError;
use super::policy::Policy;

/// The rule line for `prefix`, e.g. `prefix_rule(pattern=["git", "push"], decision="allow")`.
pub fn render_prefix_rule(prefix: &[String]) -> String {
    let words: Vec<String> = prefix.iter().map(|w| quote(w)).collect();
    format!(
        "prefix_rule(pattern=[{}], decision=\"allow\")",
        words.join(", ")
    )
}

/// A double-quoted Starlark string literal our parser reads back as `s`.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\U{:08x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Appends an `allow` rule for `prefix` to `rules_file` (creating the file and its directory),
/// unless the file already has an `allow` rule for exactly that prefix. Returns whether a rule
/// was written. A file that does not parse is still appended to (the user's broken rules stay
/// theirs to fix) unless it already contains the identical line.
pub fn append_prefix_rule(rules_file: &Path, prefix: &[String]) -> Result<bool, ExecPolicyError> {
    if prefix.is_empty() {
        return Err(ExecPolicyError::EmptyPrefix);
    }
    let io = |source| ExecPolicyError::Io {
        path: rules_file.to_path_buf(),
        source,
    };
    let line = render_prefix_rule(prefix);
    let existing = match std::fs::read_to_string(rules_file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io(e)),
    };
    let already = match Policy::parse(rules_file, &existing) {
        Ok(policy) => policy.rules().iter().any(|r| r.is_allow_for(prefix)),
        Err(_) => existing.lines().any(|l| l.trim() == line),
    };
    if already {
        return Ok(false);
    }
    if let Some(dir) = rules_file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut text = String::new();
    if !existing.is_empty() && !existing.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&line);
    text.push('\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(rules_file)
        .map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)?;
    Ok(true)
}
