//! Rules, their evaluation, and loading a rules directory.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ExecPolicyError;
use super::parser::parse_file;
use crate::safety::{is_known_safe_command, parse_shell_script, shell_wrapper_script};

/// What a rule says about the commands it matches. Ordered by strictness, so the strictest of
/// several is their `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Run without asking (and, in the approval engine, outside the sandbox).
    Allow,
    /// Ask the user first.
    Prompt,
    /// Never run.
    Forbidden,
}

impl Decision {
    /// The rule-file spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Prompt => "prompt",
            Decision::Forbidden => "forbidden",
        }
    }
}

/// One element of a `pattern`: a word, or a list of alternative words.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PatternToken {
    Single(String),
    Alternatives(Vec<String>),
}

impl PatternToken {
    fn matches(&self, word: &str) -> bool {
        match self {
            PatternToken::Single(s) => s == word,
            PatternToken::Alternatives(alts) => alts.iter().any(|a| a == word),
        }
    }
}

/// A `prefix_rule(...)`: matches every command whose first words match `pattern`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixRule {
    /// Never empty (the parser and [`PrefixRule::allow`] refuse empty patterns).
    pub pattern: Vec<PatternToken>,
    pub decision: Decision,
    pub justification: Option<String>,
    /// File and 1-based line of the `prefix_rule(` call, for rules read from a file.
    pub source: Option<(PathBuf, usize)>,
}

impl PrefixRule {
    /// An `allow` rule for exactly these leading words (what "don't ask again" remembers).
    /// `None` for an empty prefix.
    pub fn allow(prefix: &[String]) -> Option<Self> {
        if prefix.is_empty() {
            return None;
        }
        Some(Self {
            pattern: prefix.iter().cloned().map(PatternToken::Single).collect(),
            decision: Decision::Allow,
            justification: None,
            source: None,
        })
    }

    /// The words of `command` the pattern matched, or `None` if it does not match (the
    /// command is shorter than the pattern or a word differs).
    pub fn matched_prefix(&self, command: &[String]) -> Option<Vec<String>> {
        if self.pattern.is_empty() || command.len() < self.pattern.len() {
            return None;
        }
        let matched = self
            .pattern
            .iter()
            .zip(command)
            .all(|(token, word)| token.matches(word));
        matched.then(|| command.iter().take(self.pattern.len()).cloned().collect())
    }

    /// Whether this is an `allow` rule for exactly `prefix` (plain words, no alternatives).
    pub fn is_allow_for(&self, prefix: &[String]) -> bool {
        self.decision == Decision::Allow
            && self.pattern.len() == prefix.len()
            && self
                .pattern
                .iter()
                .zip(prefix)
                .all(|(token, word)| matches!(token, PatternToken::Single(s) if s == word))
    }
}

/// A `host_executable(name=..., paths=[...])` declaration: the absolute paths that may stand
/// for `name` when a command names its program by path (`/usr/bin/git status` checked
/// against rules for `git`). `~/` in a path means the user's home directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostExecutable {
    pub name: String,
    pub paths: Vec<PathBuf>,
}

impl HostExecutable {
    /// Whether `program` (absolute) is one of the declared paths.
    fn lists(&self, program: &Path) -> bool {
        self.paths.iter().any(|p| match p.strip_prefix("~") {
            Ok(rest) => std::env::home_dir().is_some_and(|home| home.join(rest) == program),
            Err(_) => p == program,
        })
    }
}

/// One rule that matched a command. JSON: `{"prefixRuleMatch": {"matchedPrefix": [...],
/// "decision": "allow", "justification": "..."}}` (upstream's `execpolicy check` shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum RuleMatch {
    PrefixRuleMatch {
        matched_prefix: Vec<String>,
        decision: Decision,
        /// The absolute program path, when the rule matched through its basename (host
        /// executable resolution).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resolved_program: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        justification: Option<String>,
    },
}

impl RuleMatch {
    pub fn decision(&self) -> Decision {
        match self {
            RuleMatch::PrefixRuleMatch { decision, .. } => *decision,
        }
    }

    pub fn justification(&self) -> Option<&str> {
        match self {
            RuleMatch::PrefixRuleMatch { justification, .. } => justification.as_deref(),
        }
    }

    pub fn matched_prefix(&self) -> &[String] {
        match self {
            RuleMatch::PrefixRuleMatch { matched_prefix, .. } => matched_prefix,
        }
    }

    /// The absolute program path when the rule matched through its basename.
    pub fn resolved_program(&self) -> Option<&str> {
        match self {
            RuleMatch::PrefixRuleMatch {
                resolved_program, ..
            } => resolved_program.as_deref(),
        }
    }
}

/// The result of checking a command: every matching rule, in file order, and the strictest
/// decision among them (`None` when no rule matched). JSON: `{"matchedRules": [...],
/// "decision": "prompt"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Evaluation {
    pub matched_rules: Vec<RuleMatch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
}

impl Evaluation {
    fn of(matched_rules: Vec<RuleMatch>) -> Self {
        let decision = matched_rules.iter().map(RuleMatch::decision).max();
        Self {
            matched_rules,
            decision,
        }
    }

    /// The justification of the first matched rule with the evaluation's decision.
    pub fn justification(&self) -> Option<&str> {
        let decision = self.decision?;
        self.matched_rules
            .iter()
            .filter(|m| m.decision() == decision)
            .find_map(RuleMatch::justification)
    }
}

/// A set of rules, from any number of files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    rules: Vec<PrefixRule>,
    host_executables: Vec<HostExecutable>,
}

impl Policy {
    /// A policy without rules: nothing matches.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Every `*.rules` file of `dir`, in file-name order. A missing directory is an empty
    /// policy; an unreadable or invalid file is an error.
    pub fn load_dir(dir: &Path) -> Result<Self, ExecPolicyError> {
        let io = |source| ExecPolicyError::Io {
            path: dir.to_path_buf(),
            source,
        };
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::empty()),
            Err(e) => return Err(io(e)),
        };
        let mut files = Vec::new();
        for entry in entries {
            let path = entry.map_err(io)?.path();
            if path.extension().is_some_and(|ext| ext == "rules") && path.is_file() {
                files.push(path);
            }
        }
        files.sort();
        Self::load_files(&files)
    }

    /// The given rule files, in order.
    pub fn load_files(paths: &[PathBuf]) -> Result<Self, ExecPolicyError> {
        let mut policy = Self::empty();
        for path in paths {
            let text = std::fs::read_to_string(path).map_err(|source| ExecPolicyError::Io {
                path: path.clone(),
                source,
            })?;
            policy.add_source(path, &text)?;
        }
        Ok(policy)
    }

    /// Parses `text` (named `path` in errors) and adds its rules.
    pub fn add_source(&mut self, path: &Path, text: &str) -> Result<(), ExecPolicyError> {
        let parsed = parse_file(path, text)?;
        self.rules.extend(parsed.rules);
        self.host_executables.extend(parsed.host_executables);
        Ok(())
    }

    /// Parses one file's text into a policy.
    pub fn parse(path: &Path, text: &str) -> Result<Self, ExecPolicyError> {
        let mut policy = Self::empty();
        policy.add_source(path, text)?;
        Ok(policy)
    }

    /// Adds a rule unless an identical one (pattern and decision) is already there.
    pub fn add_rule(&mut self, rule: PrefixRule) {
        let duplicate = self
            .rules
            .iter()
            .any(|r| r.pattern == rule.pattern && r.decision == rule.decision);
        if !duplicate {
            self.rules.push(rule);
        }
    }

    pub fn rules(&self) -> &[PrefixRule] {
        &self.rules
    }

    pub fn host_executables(&self) -> &[HostExecutable] {
        &self.host_executables
    }

    /// Checks `argv` literally, word for word (what `codex execpolicy check` does).
    pub fn check(&self, argv: &[String]) -> Evaluation {
        self.check_with(argv, false)
    }

    /// Checks `argv`; with `resolve_host_executables`, a program named by absolute path that
    /// no rule names exactly is checked as its basename (`/usr/bin/git` as `git`), provided
    /// the path is listed by a `host_executable(name = "git", ...)` or no such declaration
    /// exists for that name (upstream's execpolicy semantics). Such matches carry
    /// `resolvedProgram`.
    pub fn check_with(&self, argv: &[String], resolve_host_executables: bool) -> Evaluation {
        let literal = self.matches(argv, None);
        if !literal.is_empty() || !resolve_host_executables {
            return Evaluation::of(literal);
        }
        let Some(program) = argv.first().map(Path::new).filter(|p| p.is_absolute()) else {
            return Evaluation::of(literal);
        };
        let Some(name) = program.file_name().and_then(|n| n.to_str()) else {
            return Evaluation::of(literal);
        };
        let mut declared = self
            .host_executables
            .iter()
            .filter(|h| h.name == name)
            .peekable();
        if declared.peek().is_some() && !declared.any(|h| h.lists(program)) {
            return Evaluation::of(literal);
        }
        let mut renamed = argv.to_vec();
        if let Some(first) = renamed.first_mut() {
            *first = name.to_string();
        }
        Evaluation::of(self.matches(&renamed, argv.first().cloned()))
    }

    /// [`check_with`](Self::check_with) host-executable resolution, as the agent applies it:
    /// an `allow` reached through the basename would run the program outside the sandbox, so
    /// it only counts for a path a `host_executable` declaration lists (`prompt` and
    /// `forbidden` count for any path: stricter is safe).
    fn check_resolved(&self, argv: &[String]) -> Evaluation {
        let evaluation = self.check_with(argv, true);
        let listed = argv
            .first()
            .map(Path::new)
            .is_some_and(|program| self.host_executables.iter().any(|h| h.lists(program)));
        Evaluation::of(
            evaluation
                .matched_rules
                .into_iter()
                .filter(|m| {
                    m.resolved_program().is_none() || m.decision() != Decision::Allow || listed
                })
                .collect(),
        )
    }

    fn matches(&self, argv: &[String], resolved_program: Option<String>) -> Vec<RuleMatch> {
        self.rules
            .iter()
            .filter_map(|rule| {
                rule.matched_prefix(argv)
                    .map(|matched_prefix| RuleMatch::PrefixRuleMatch {
                        matched_prefix,
                        decision: rule.decision,
                        resolved_program: resolved_program.clone(),
                        justification: rule.justification.clone(),
                    })
            })
            .collect()
    }

    /// Checks a command as the agent runs it: a `bash -lc '...'` wrapper whose script is plain
    /// commands is judged by those commands (see [`crate::safety::parse_shell_script`]);
    /// anything else literally; programs named by path also through their basename (see
    /// `check_resolved`). For a script, any `forbidden` or `prompt` command decides; the
    /// script is `allow`ed only if every command is allowed by a rule or known to be safe and
    /// at least one rule matched. Otherwise the decision is `None`.
    pub fn check_command(&self, argv: &[String]) -> Evaluation {
        let Some(commands) = shell_wrapper_script(argv).and_then(parse_shell_script) else {
            return self.check_resolved(argv);
        };
        if commands.is_empty() {
            return self.check_resolved(argv);
        }
        let mut matched_rules = Vec::new();
        let mut strictest: Option<Decision> = None;
        let mut all_allowed = true;
        for command in &commands {
            let evaluation = self.check_resolved(command);
            match evaluation.decision {
                Some(d) => strictest = strictest.max(Some(d)),
                None => all_allowed &= is_known_safe_command(command),
            }
            matched_rules.extend(evaluation.matched_rules);
        }
        let decision = match strictest {
            Some(Decision::Allow) if !all_allowed => None,
            other => other,
        };
        Evaluation {
            matched_rules,
            decision,
        }
    }
}
