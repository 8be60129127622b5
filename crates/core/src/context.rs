//! The context sent before the conversation: our base instructions, the permissions note, the
//! user's developer instructions, AGENTS.md files and the `<environment_context>` block.

use std::path::{Path, PathBuf};

use codex_config::PermissionProfile;
use codex_protocol::{AskForApproval, ResponseItem, SandboxMode};
use codex_sandbox::SandboxPolicy;

/// Our own base instructions (sent as the first developer message, as upstream 0.169 does).
pub const BASE_INSTRUCTIONS: &str = include_str!("base_instructions.md");

/// The sandbox facts the model is told about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionsInfo {
    pub sandbox_mode: SandboxMode,
    pub approval_policy: AskForApproval,
    pub network_access: bool,
    pub writable_roots: Vec<PathBuf>,
    /// Set for a `[permissions.<name>]` profile (not for the built-ins or `sandbox_mode`).
    pub profile: Option<ProfileSummary>,
}

/// What the model is told about a user-defined permissions profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileSummary {
    pub name: String,
    pub description: Option<String>,
    /// `:root = "none"`: only system directories and named paths are readable.
    pub restricted_read: bool,
    pub read_only: Vec<PathBuf>,
    pub hidden: Vec<PathBuf>,
}

impl ProfileSummary {
    /// The summary of `profile` as enforced by `policy`; `None` unless user-defined.
    pub fn of(profile: &PermissionProfile, policy: &SandboxPolicy) -> Option<Self> {
        profile.is_user_defined().then(|| ProfileSummary {
            name: profile.name.clone(),
            description: profile.description.clone(),
            restricted_read: !policy.full_read_access,
            read_only: policy.read_only_paths.clone(),
            hidden: policy.denied_paths.clone(),
        })
    }

    fn text(&self) -> String {
        let list = |paths: &[PathBuf]| {
            paths
                .iter()
                .map(|p| format!("`{}`", p.display()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut text = format!("The permissions profile `{}` applies", self.name);
        if let Some(d) = &self.description {
            text.push_str(&format!(" ({d})"));
        }
        text.push('.');
        if self.restricted_read {
            text.push_str(" Only system directories, the writable roots and the paths named here can be read.");
        }
        if !self.read_only.is_empty() {
            text.push_str(&format!(" Read-only: {}.", list(&self.read_only)));
        }
        if !self.hidden.is_empty() {
            text.push_str(&format!(
                " Hidden (no access; do not try to read or change them): {}.",
                list(&self.hidden)
            ));
        }
        text
    }
}

/// `<permissions instructions>` developer text.
pub fn permissions_text(p: &PermissionsInfo) -> String {
    let mode = match p.sandbox_mode {
        SandboxMode::ReadOnly => {
            "The sandbox is `read-only`: commands run confined; they can read files but not write any."
                .to_string()
        }
        SandboxMode::WorkspaceWrite => {
            let roots: Vec<String> = p
                .writable_roots
                .iter()
                .map(|r| format!("`{}`", r.display()))
                .collect();
            format!(
                "The sandbox is `workspace-write`: files may be changed only under the writable roots {}; `.git`, `.codex` and `.agents` inside them stay read-only.",
                roots.join(", ")
            )
        }
        SandboxMode::DangerFullAccess => {
            "The sandbox is `danger-full-access`: commands run without confinement.".to_string()
        }
    };
    let network = if p.network_access || p.sandbox_mode == SandboxMode::DangerFullAccess {
        "Network access is enabled."
    } else {
        "Network access is disabled."
    };
    let granular;
    let approval = match p.approval_policy {
        AskForApproval::Never => {
            "The approval policy is `never`: nobody will be asked to approve anything, so when something is refused, find another way or explain what is needed."
        }
        AskForApproval::Granular(g) => {
            let yes_no = |b: bool| if b { "asked" } else { "refused without asking" };
            granular = format!(
                "The approval policy is `granular`: like `on-request`, but requests to run outside the sandbox are {}, and commands matching a `prompt` rule are {}.",
                yes_no(g.sandbox_approval),
                yes_no(g.rules)
            );
            granular.as_str()
        }
        AskForApproval::OnRequest => {
            "The approval policy is `on-request`: you may ask the user to run a command outside the sandbox when it is truly necessary."
        }
        AskForApproval::OnFailure => {
            "The approval policy is `on-failure`: when the sandbox blocks a command, the user is asked whether to run it without the sandbox."
        }
        AskForApproval::UnlessTrusted => {
            "The approval policy is `untrusted`: commands that are not known to be safe need the user's approval."
        }
    };
    let profile = p
        .profile
        .as_ref()
        .map(|s| format!("{}\n", s.text()))
        .unwrap_or_default();
    format!(
        "<permissions instructions>\n{mode}\n{profile}{network}\n{approval}\n</permissions instructions>"
    )
}

/// `<environment_context>` user text.
pub fn environment_context(
    cwd: &Path,
    shell: &str,
    date: &str,
    timezone: &str,
    p: &PermissionsInfo,
) -> String {
    let network = if p.network_access || p.sandbox_mode == SandboxMode::DangerFullAccess {
        "enabled"
    } else {
        "restricted"
    };
    let mut roots = String::new();
    for r in &p.writable_roots {
        roots.push_str(&format!("    <root>{}</root>\n", r.display()));
    }
    format!(
        "<environment_context>\n  <cwd>{}</cwd>\n  <shell>{shell}</shell>\n  <current_date>{date}</current_date>\n  <timezone>{timezone}</timezone>\n  <approval_policy>{}</approval_policy>\n  <sandbox_mode>{}</sandbox_mode>\n  <network_access>{network}</network_access>\n  <writable_roots>\n{roots}  </writable_roots>\n</environment_context>",
        cwd.display(),
        p.approval_policy.as_str(),
        p.sandbox_mode.as_str(),
    )
}

/// One AGENTS.md-style file that was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectDoc {
    pub path: PathBuf,
    pub contents: String,
}

/// Finds the instruction files, in order: `$CODEX_HOME/AGENTS.override.md` or `AGENTS.md`,
/// then for each directory from the git root (the nearest ancestor holding `.git`, else `cwd`)
/// down to `cwd`: `AGENTS.override.md`, else `AGENTS.md`, else the first existing fallback name.
/// Empty files are skipped. The total is capped at `max_bytes` (later files are cut, then
/// dropped).
pub fn discover_project_docs(
    codex_home: &Path,
    cwd: &Path,
    fallbacks: &[String],
    max_bytes: usize,
) -> Vec<ProjectDoc> {
    let mut found = Vec::new();
    let global = ["AGENTS.override.md", "AGENTS.md"]
        .iter()
        .map(|n| codex_home.join(n))
        .find(|p| p.is_file());
    if let Some(path) = global {
        found.push(path);
    }
    let root = cwd
        .ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(cwd);
    let mut dirs: Vec<&Path> = cwd.ancestors().take_while(|d| *d != root).collect();
    dirs.push(root);
    dirs.reverse();
    for dir in dirs {
        let names = ["AGENTS.override.md", "AGENTS.md"]
            .into_iter()
            .chain(fallbacks.iter().map(String::as_str));
        if let Some(path) = names.map(|n| dir.join(n)).find(|p| p.is_file()) {
            found.push(path);
        }
    }
    let mut budget = max_bytes;
    let mut docs = Vec::new();
    for path in found {
        if budget == 0 {
            break;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if text.trim().is_empty() {
            continue;
        }
        let mut cut = text.len().min(budget);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let contents = text.get(..cut).unwrap_or_default().to_string();
        budget -= cut;
        docs.push(ProjectDoc { path, contents });
    }
    docs
}

/// The user message carrying the project docs, or `None` when there are none.
pub fn project_docs_message(cwd: &Path, docs: &[ProjectDoc]) -> Option<ResponseItem> {
    if docs.is_empty() {
        return None;
    }
    let joined: Vec<&str> = docs.iter().map(|d| d.contents.trim_end()).collect();
    Some(ResponseItem::text_message(
        "user",
        format!(
            "# AGENTS.md instructions for {}\n\n<INSTRUCTIONS>\n{}\n</INSTRUCTIONS>",
            cwd.display(),
            joined.join("\n\n")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_md_joined_root_to_leaf_with_override_and_fallback() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        let repo = tmp.path().join("repo");
        let sub = repo.join("a/b");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(home.join("AGENTS.md"), "global").unwrap();
        std::fs::write(repo.join("AGENTS.md"), "root").unwrap();
        std::fs::write(repo.join("a/AGENTS.md"), "a plain").unwrap();
        std::fs::write(repo.join("a/AGENTS.override.md"), "a override").unwrap();
        std::fs::write(sub.join("TEAM.md"), "fallback").unwrap();
        let docs = discover_project_docs(&home, &sub, &["TEAM.md".to_string()], 32 * 1024);
        let texts: Vec<&str> = docs.iter().map(|d| d.contents.as_str()).collect();
        assert_eq!(texts, vec!["global", "root", "a override", "fallback"]);
        let capped = discover_project_docs(&home, &sub, &[], 8);
        let texts: Vec<&str> = capped.iter().map(|d| d.contents.as_str()).collect();
        assert_eq!(texts, vec!["global", "ro"]);
    }
}
