//! Rollout recorder and reader. Each item is one JSON line, written and flushed before the agent
//! goes on, so a killed process loses nothing it already reported. Files live at
//! `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-YYYY-MM-DDTHH-MM-SS-<thread id>.jsonl` (UTC), as
//! upstream names them.

use std::path::{Path, PathBuf};

use codex_protocol::{ResponseItem, RolloutItem, RolloutLine, SessionMeta};
use tokio::io::AsyncWriteExt;

use crate::error::CodexError;

/// Appends lines to one rollout file.
pub struct RolloutRecorder {
    path: PathBuf,
    file: tokio::fs::File,
    ordinal: u64,
}

/// `2026-11-22T01:02:03.456Z`.
pub fn timestamp_now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

impl RolloutRecorder {
    /// Creates a new file for `thread_id` under `codex_home/sessions`.
    pub async fn create(codex_home: &Path, thread_id: &str) -> Result<Self, CodexError> {
        let now = jiff::Timestamp::now();
        let dir = codex_home
            .join("sessions")
            .join(now.strftime("%Y").to_string())
            .join(now.strftime("%m").to_string())
            .join(now.strftime("%d").to_string());
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|source| CodexError::Rollout {
                path: dir.clone(),
                source,
            })?;
        let name = format!(
            "rollout-{}-{thread_id}.jsonl",
            now.strftime("%Y-%m-%dT%H-%M-%S")
        );
        Self::open(&dir.join(name), 0).await
    }

    /// Opens an existing file for appending (resume); `ordinal` continues its numbering.
    pub async fn open(path: &Path, ordinal: u64) -> Result<Self, CodexError> {
        let file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .await
            .map_err(|source| CodexError::Rollout {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
            ordinal,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one line and flushes it.
    pub async fn record(&mut self, item: RolloutItem) -> Result<(), CodexError> {
        let line = RolloutLine {
            timestamp: timestamp_now(),
            ordinal: self.ordinal,
            item,
        };
        self.ordinal += 1;
        let mut text = serde_json::to_string(&line).map_err(|e| CodexError::Rollout {
            path: self.path.clone(),
            source: std::io::Error::other(e),
        })?;
        text.push('\n');
        let io = |source| CodexError::Rollout {
            path: self.path.clone(),
            source,
        };
        self.file.write_all(text.as_bytes()).await.map_err(io)?;
        self.file.flush().await.map_err(io)
    }
}

/// What a rollout holds, for resume.
#[derive(Debug, Clone)]
pub struct LoadedRollout {
    pub path: PathBuf,
    pub meta: SessionMeta,
    pub history: Vec<ResponseItem>,
    pub lines: u64,
    /// The thread's token total so far, from the last `token_count` event.
    pub total_usage: codex_protocol::TokenUsage,
}

/// Reads a rollout file. A torn last line (a crash mid-write) is ignored.
pub fn load_rollout(path: &Path) -> Result<LoadedRollout, CodexError> {
    let text = std::fs::read_to_string(path).map_err(|source| CodexError::Rollout {
        path: path.to_path_buf(),
        source,
    })?;
    let mut meta = None;
    let mut history = Vec::new();
    let mut lines = 0;
    let mut total_usage = codex_protocol::TokenUsage::default();
    let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    for (i, line) in all.iter().enumerate() {
        let parsed: RolloutLine = match serde_json::from_str(line) {
            Ok(p) => p,
            Err(_) if i + 1 == all.len() => break,
            Err(e) => {
                return Err(CodexError::BadRollout {
                    path: path.to_path_buf(),
                    message: format!("line {}: {e}", i + 1),
                });
            }
        };
        lines += 1;
        match parsed.item {
            RolloutItem::SessionMeta(m) => {
                if meta.is_none() {
                    meta = Some(m);
                }
            }
            RolloutItem::ResponseItem(item) => {
                if !matches!(item, ResponseItem::Other) {
                    history.push(item);
                }
            }
            RolloutItem::EventMsg(codex_protocol::EventMsg::TokenCount {
                info: Some(info),
                ..
            }) => total_usage = info.total_token_usage,
            RolloutItem::EventMsg(_) | RolloutItem::TurnContext(_) | RolloutItem::Other => {}
        }
    }
    let meta = meta.ok_or_else(|| CodexError::BadRollout {
        path: path.to_path_buf(),
        message: "no session_meta line".into(),
    })?;
    Ok(LoadedRollout {
        path: path.to_path_buf(),
        meta,
        history,
        lines,
        total_usage,
    })
}

/// Every rollout file under `codex_home/sessions`, newest first (by file name, which starts
/// with the UTC creation time).
pub fn list_rollouts(codex_home: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("rollout-") && n.ends_with(".jsonl"))
            {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&codex_home.join("sessions"), &mut out);
    out.sort_by(|a, b| b.file_name().cmp(&a.file_name()));
    out
}

/// The rollout of a thread id (file name ends with `-<id>.jsonl`).
pub fn find_rollout_by_id(codex_home: &Path, id: &str) -> Option<PathBuf> {
    let suffix = format!("-{id}.jsonl");
    list_rollouts(codex_home).into_iter().find(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(&suffix))
    })
}

/// The newest rollout recorded in `cwd` (or anywhere when `cwd` is `None`).
pub fn find_last_rollout(codex_home: &Path, cwd: Option<&Path>) -> Option<PathBuf> {
    list_rollouts(codex_home).into_iter().find(|p| match cwd {
        None => true,
        Some(cwd) => load_rollout(p).is_ok_and(|r| r.meta.cwd == cwd),
    })
}
