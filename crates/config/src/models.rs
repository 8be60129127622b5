//! The bundled model catalog: per-model facts the agent needs to build a request (context
//! window, reasoning support, which shell and `apply_patch` tool shapes the model was trained
//! on). Lookup is by exact slug, then by the longest known slug that prefixes the requested one
//! at a `-`/`:`/`@`/`_`/`/` boundary, so dated snapshots (`gpt-5.1-codex-2026-01-01`) inherit
//! their family's facts.

use codex_protocol::ReasoningEffort;
use codex_protocol::Verbosity;

/// Which command tool the model gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShellToolKind {
    /// `exec_command` + `write_stdin` (PTY sessions).
    UnifiedExec,
    /// `shell` taking an argv array.
    Shell,
}

/// Which `apply_patch` tool shape the model gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApplyPatchToolKind {
    /// A custom (freeform) tool constrained by the patch grammar.
    Freeform,
    /// A JSON function tool with an `input` string.
    Function,
}

/// Facts about one model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    /// The slug as requested (sent to the API unchanged).
    pub slug: String,
    /// Whether the slug matched the bundled catalog.
    pub known: bool,
    /// Context window in tokens.
    pub context_window: Option<u64>,
    /// Accepts a `reasoning` request parameter.
    pub supports_reasoning: bool,
    /// Can stream reasoning summaries (`reasoning.summary`).
    pub supports_reasoning_summaries: bool,
    pub default_reasoning_effort: Option<ReasoningEffort>,
    pub shell_type: ShellToolKind,
    pub apply_patch_tool_type: ApplyPatchToolKind,
    pub supports_parallel_tool_calls: bool,
    /// `text.verbosity` to send when the user set none; `None` means the model takes no
    /// verbosity parameter (the codex variants) or the API default is fine.
    pub default_verbosity: Option<Verbosity>,
}

#[derive(Clone, Copy)]
struct Spec {
    context_window: u64,
    reasoning: bool,
    summaries: bool,
    effort: Option<ReasoningEffort>,
    shell: ShellToolKind,
    patch: ApplyPatchToolKind,
    parallel: bool,
    verbosity: Option<Verbosity>,
}

/// gpt-5 family models that take a verbosity parameter.
const GPT5: Spec = Spec {
    context_window: 272_000,
    reasoning: true,
    summaries: true,
    effort: Some(ReasoningEffort::Medium),
    shell: ShellToolKind::UnifiedExec,
    patch: ApplyPatchToolKind::Freeform,
    parallel: true,
    verbosity: Some(Verbosity::Low),
};

/// gpt-5 codex variants reject `text.verbosity`.
const GPT5_CODEX: Spec = Spec {
    verbosity: None,
    ..GPT5
};

const O_SERIES: Spec = Spec {
    context_window: 200_000,
    reasoning: true,
    summaries: true,
    effort: Some(ReasoningEffort::Medium),
    shell: ShellToolKind::Shell,
    patch: ApplyPatchToolKind::Function,
    parallel: false,
    verbosity: None,
};

const GPT4: Spec = Spec {
    context_window: 128_000,
    reasoning: false,
    summaries: false,
    effort: None,
    shell: ShellToolKind::Shell,
    patch: ApplyPatchToolKind::Function,
    parallel: false,
    verbosity: None,
};

/// Open-weight models served by Ollama / LM Studio: reasoning without summaries.
const GPT_OSS: Spec = Spec {
    reasoning: true,
    ..GPT4
};

const CATALOG: &[(&str, Spec)] = &[
    ("gpt-5.5", GPT5),
    ("gpt-5.4", GPT5),
    ("gpt-5.3-codex", GPT5_CODEX),
    ("gpt-5.2", GPT5),
    ("gpt-5.2-codex", GPT5_CODEX),
    ("gpt-5.1", GPT5),
    ("gpt-5.1-codex", GPT5_CODEX),
    ("gpt-5.1-codex-max", GPT5_CODEX),
    ("gpt-5.1-codex-mini", GPT5_CODEX),
    ("gpt-5", GPT5),
    ("gpt-5-codex", GPT5_CODEX),
    ("gpt-5-mini", GPT5),
    ("o3", O_SERIES),
    ("o4-mini", O_SERIES),
    (
        "gpt-4.1",
        Spec {
            context_window: 1_047_576,
            ..GPT4
        },
    ),
    ("gpt-4o", GPT4),
    ("gpt-oss:20b", GPT_OSS),
    ("gpt-oss:120b", GPT_OSS),
];

/// Facts for `slug`.
///
/// Unknown models get a conservative fallback: `known = false`, no context window, no
/// reasoning parameters, `exec_command`/`write_stdin` ([`ShellToolKind::UnifiedExec`]), the JSON
/// `apply_patch` function (unlike upstream, which offers no `apply_patch` to unknown models),
/// and no parallel tool calls.
pub fn model_info(slug: &str) -> ModelInfo {
    let spec = CATALOG
        .iter()
        .find(|(known, _)| *known == slug)
        .or_else(|| {
            CATALOG
                .iter()
                .filter(|(known, _)| is_family_prefix(known, slug))
                .max_by_key(|(known, _)| known.len())
        })
        .map(|(_, spec)| *spec);
    match spec {
        Some(s) => ModelInfo {
            slug: slug.to_owned(),
            known: true,
            context_window: Some(s.context_window),
            supports_reasoning: s.reasoning,
            supports_reasoning_summaries: s.summaries,
            default_reasoning_effort: s.effort,
            shell_type: s.shell,
            apply_patch_tool_type: s.patch,
            supports_parallel_tool_calls: s.parallel,
            default_verbosity: s.verbosity,
        },
        None => ModelInfo {
            slug: slug.to_owned(),
            known: false,
            context_window: None,
            supports_reasoning: false,
            supports_reasoning_summaries: false,
            default_reasoning_effort: None,
            shell_type: ShellToolKind::UnifiedExec,
            apply_patch_tool_type: ApplyPatchToolKind::Function,
            supports_parallel_tool_calls: false,
            default_verbosity: None,
        },
    }
}

/// `known` prefixes `slug` and the next char separates words (so `gpt-5.10` is not `gpt-5.1`).
fn is_family_prefix(known: &str, slug: &str) -> bool {
    slug.strip_prefix(known)
        .and_then(|rest| rest.chars().next())
        .is_some_and(|c| matches!(c, '-' | ':' | '@' | '_' | '/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn exact_and_prefix_matches() {
        let m = model_info("gpt-5.5");
        assert!(m.known);
        assert_eq!(m.context_window, Some(272_000));
        assert_eq!(m.shell_type, ShellToolKind::UnifiedExec);
        assert_eq!(m.apply_patch_tool_type, ApplyPatchToolKind::Freeform);
        assert_eq!(m.default_reasoning_effort, Some(ReasoningEffort::Medium));
        assert_eq!(m.default_verbosity, Some(Verbosity::Low));
        assert!(m.supports_parallel_tool_calls);

        let dated = model_info("gpt-5.1-codex-2026-01-01");
        assert_eq!(dated.slug, "gpt-5.1-codex-2026-01-01");
        assert_eq!(
            ModelInfo {
                slug: "gpt-5.1-codex".into(),
                ..dated
            },
            model_info("gpt-5.1-codex")
        );
        assert_eq!(model_info("gpt-5.1-codex-max-x").default_verbosity, None);

        let old = model_info("gpt-4.1");
        assert!(!old.supports_reasoning);
        assert_eq!(old.context_window, Some(1_047_576));
        assert_eq!(old.shell_type, ShellToolKind::Shell);
        assert_eq!(old.apply_patch_tool_type, ApplyPatchToolKind::Function);
        assert_eq!(model_info("gpt-4o-mini").context_window, Some(128_000));
        assert_eq!(model_info("o3").context_window, Some(200_000));
        let oss = model_info("gpt-oss:120b");
        assert!(oss.supports_reasoning);
        assert_eq!(oss.apply_patch_tool_type, ApplyPatchToolKind::Function);
    }

    #[test]
    fn unknown_models_fall_back() {
        for slug in ["llama3", "gpt-5.10", "o3x", ""] {
            assert_eq!(
                model_info(slug),
                ModelInfo {
                    slug: slug.to_owned(),
                    known: false,
                    context_window: None,
                    supports_reasoning: false,
                    supports_reasoning_summaries: false,
                    default_reasoning_effort: None,
                    shell_type: ShellToolKind::UnifiedExec,
                    apply_patch_tool_type: ApplyPatchToolKind::Function,
                    supports_parallel_tool_calls: false,
                    default_verbosity: None,
                }
            );
        }
    }
}
