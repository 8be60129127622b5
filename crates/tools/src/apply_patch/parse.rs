//! Text → [`Patch`] parser, and the inverse renderer [`Patch::to_text`].
//!
//! The parser works on lines (`\n`, with an optional `\r` before it) and keeps the 1-based line
//! number of the original text for every error. Leniency is deliberate and limited to what models
//! actually produce: whitespace around marker lines, blank lines around the patch or between
//! hunks, a `<<'EOF'` ... `EOF` heredoc wrapper, an Update File hunk whose first chunk has no
//! `@@` line, blank lines inside a chunk (read as empty context lines), and `@@ -1,3 +1,4 @@`
//! unified-diff range headers (the range is dropped, any text after it is the context).

use std::fmt::Write as _;
use std::path::PathBuf;

use similar::{Algorithm, DiffTag, capture_diff_slices};

pub(crate) const BEGIN_PATCH: &str = "*** Begin Patch";
const END_PATCH: &str = "*** End Patch";
const ADD_FILE: &str = "*** Add File:";
const DELETE_FILE: &str = "*** Delete File:";
const UPDATE_FILE: &str = "*** Update File:";
const MOVE_TO: &str = "*** Move to:";
const END_OF_FILE: &str = "*** End of File";

const EXPECTED_HUNK_HEADER: &str = "`*** Add File:`, `*** Delete File:` or `*** Update File:`";
const EXPECTED_CHUNK_LINE: &str =
    "a chunk line starting with ` `, `+` or `-`, an `@@` line, or `*** End of File`";

/// A parsed patch: the hunks in the order they appear in the text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Patch {
    /// One entry per `*** Add File:` / `*** Delete File:` / `*** Update File:` section.
    pub hunks: Vec<Hunk>,
}

/// One file operation of a [`Patch`]. Paths are exactly as written in the patch (usually
/// relative; [`apply_patch`](super::apply_patch) resolves them against a working directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hunk {
    /// Create (or overwrite) `path` with `contents`: every `+` line plus `\n`, so the text is
    /// empty for a hunk without lines and otherwise ends with a newline.
    AddFile { path: PathBuf, contents: String },
    /// Remove `path`, which must exist.
    DeleteFile { path: PathBuf },
    /// Edit `path` chunk by chunk, then optionally move the result to `move_path`.
    UpdateFile {
        path: PathBuf,
        move_path: Option<PathBuf>,
        /// Never empty in a parsed patch.
        chunks: Vec<UpdateChunk>,
    },
}

/// One `@@` section of an Update File hunk.
///
/// `old_lines` are the context and `-` lines (what must be found in the file), `new_lines` the
/// context and `+` lines (what replaces them); lines carry no `\n` and no diff prefix.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UpdateChunk {
    /// The text after `@@ `: a line (typically a function or class signature) to find before
    /// looking for `old_lines`. `None` for a bare `@@` or a first chunk without an `@@` line.
    pub change_context: Option<String>,
    pub old_lines: Vec<String>,
    pub new_lines: Vec<String>,
    /// Set by a `*** End of File` line: the chunk is expected to match at the end of the file.
    pub is_end_of_file: bool,
}

/// Why patch text could not be parsed. Every variant carries the 1-based line number in the
/// original text (see [`ParseError::line`]) and its message starts with `line N:`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The text is empty or only whitespace.
    #[error("line 1: patch must start with `*** Begin Patch`, but it is empty")]
    Empty,
    /// The first non-blank line (after a heredoc opener) is not `*** Begin Patch`.
    #[error("line {line}: patch must start with `*** Begin Patch`, found `{found}`")]
    MissingBegin { line: usize, found: String },
    /// The last non-blank line (before a heredoc terminator) is not `*** End Patch`.
    #[error("line {line}: patch must end with `*** End Patch`, found `{found}`")]
    MissingEnd { line: usize, found: String },
    /// `*** Begin Patch` is directly followed by `*** End Patch`.
    #[error("line {line}: patch contains no hunks")]
    NoHunks { line: usize },
    /// A line that does not fit where it stands.
    #[error("line {line}: expected {expected}, found `{found}`")]
    Unexpected {
        line: usize,
        expected: &'static str,
        found: String,
    },
    /// A hunk header or `*** Move to:` without a path after the colon.
    #[error("line {line}: `{marker}` must be followed by a file path")]
    MissingPath { line: usize, marker: &'static str },
    /// An Update File hunk with no chunk at all.
    #[error("line {line}: Update File hunk for `{path}` is empty")]
    EmptyUpdate { line: usize, path: String },
    /// A chunk with neither diff lines nor a context that leads into a following chunk.
    #[error("line {line}: chunk {chunk} of the Update File hunk for `{path}` has no lines")]
    EmptyChunk {
        line: usize,
        chunk: usize,
        path: String,
    },
}

impl ParseError {
    /// The 1-based line number in the patch text the error refers to.
    pub fn line(&self) -> usize {
        match self {
            ParseError::Empty => 1,
            ParseError::MissingBegin { line, .. }
            | ParseError::MissingEnd { line, .. }
            | ParseError::NoHunks { line }
            | ParseError::Unexpected { line, .. }
            | ParseError::MissingPath { line, .. }
            | ParseError::EmptyUpdate { line, .. }
            | ParseError::EmptyChunk { line, .. } => *line,
        }
    }
}

/// Parses patch text (see the [module docs](super) for the format).
///
/// # Errors
/// A [`ParseError`] naming the offending line: missing `*** Begin Patch` / `*** End Patch`
/// markers, a line that is neither a hunk header nor valid chunk content, a header without a
/// path, an Update File hunk without chunks, or a chunk without lines.
pub fn parse_patch(text: &str) -> Result<Patch, ParseError> {
    let lines = significant_lines(text);
    let Some(first) = lines.first() else {
        return Err(ParseError::Empty);
    };
    if first.text.trim() != BEGIN_PATCH {
        return Err(ParseError::MissingBegin {
            line: first.no,
            found: first.text.to_owned(),
        });
    }
    let last = lines.last().unwrap_or(first);
    if lines.len() < 2 || last.text.trim() != END_PATCH {
        return Err(ParseError::MissingEnd {
            line: last.no,
            found: last.text.to_owned(),
        });
    }
    let body = lines.get(1..lines.len() - 1).unwrap_or(&[]);
    let hunks = Parser {
        lines: body,
        pos: 0,
    }
    .hunks()?;
    if hunks.is_empty() {
        return Err(ParseError::NoHunks { line: last.no });
    }
    Ok(Patch { hunks })
}

impl Patch {
    /// Renders the patch in the canonical form of the format: every chunk starts with an `@@`
    /// line, context lines are written with a leading space, and the `-`/`+` lines of a chunk
    /// are ordered by a line diff of `old_lines` against `new_lines`.
    ///
    /// `parse_patch(&patch.to_text())` returns an equal patch for every patch the parser can
    /// produce (paths, context and lines without line breaks, non-blank paths and contexts,
    /// Add File contents empty or ending in `\n`).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        out.push_str(BEGIN_PATCH);
        out.push('\n');
        for hunk in &self.hunks {
            match hunk {
                Hunk::AddFile { path, contents } => {
                    let _ = writeln!(out, "{ADD_FILE} {}", path.display());
                    if !contents.is_empty() {
                        let body = contents.strip_suffix('\n').unwrap_or(contents);
                        for line in body.split('\n') {
                            let _ = writeln!(out, "+{line}");
                        }
                    }
                }
                Hunk::DeleteFile { path } => {
                    let _ = writeln!(out, "{DELETE_FILE} {}", path.display());
                }
                Hunk::UpdateFile {
                    path,
                    move_path,
                    chunks,
                } => {
                    let _ = writeln!(out, "{UPDATE_FILE} {}", path.display());
                    if let Some(move_path) = move_path {
                        let _ = writeln!(out, "{MOVE_TO} {}", move_path.display());
                    }
                    for chunk in chunks {
                        render_chunk(&mut out, chunk);
                    }
                }
            }
        }
        out.push_str(END_PATCH);
        out.push('\n');
        out
    }
}

fn render_chunk(out: &mut String, chunk: &UpdateChunk) {
    match &chunk.change_context {
        Some(context) => {
            let _ = writeln!(out, "@@ {context}");
        }
        None => out.push_str("@@\n"),
    }
    let old = &chunk.old_lines;
    let new = &chunk.new_lines;
    for op in capture_diff_slices(Algorithm::Myers, old, new) {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        let removed = old.get(old_range).unwrap_or_default();
        let added = new.get(new_range).unwrap_or_default();
        match tag {
            DiffTag::Equal => removed.iter().for_each(|l| {
                let _ = writeln!(out, " {l}");
            }),
            DiffTag::Delete | DiffTag::Insert | DiffTag::Replace => {
                for line in removed {
                    let _ = writeln!(out, "-{line}");
                }
                for line in added {
                    let _ = writeln!(out, "+{line}");
                }
            }
        }
    }
    if chunk.is_end_of_file {
        out.push_str(END_OF_FILE);
        out.push('\n');
    }
}

/// A line of the input with its 1-based number; `\r` before the `\n` is already removed.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    no: usize,
    text: &'a str,
}

/// The lines between the first and last non-blank line, without a heredoc wrapper.
fn significant_lines(text: &str) -> Vec<Line<'_>> {
    let mut lines: Vec<Line<'_>> = text
        .split('\n')
        .enumerate()
        .map(|(i, text)| Line {
            no: i + 1,
            text: text.strip_suffix('\r').unwrap_or(text),
        })
        .collect();
    trim_blank_lines(&mut lines);
    let delimiter = lines
        .first()
        .and_then(|first| first.text.trim().strip_prefix("<<"))
        .and_then(heredoc_delimiter);
    if let Some(delimiter) = delimiter {
        lines.remove(0);
        if lines.last().is_some_and(|l| l.text.trim() == delimiter) {
            lines.pop();
        }
        trim_blank_lines(&mut lines);
    }
    lines
}

fn trim_blank_lines(lines: &mut Vec<Line<'_>>) {
    while lines.last().is_some_and(|l| l.text.trim().is_empty()) {
        lines.pop();
    }
    let leading = lines
        .iter()
        .take_while(|l| l.text.trim().is_empty())
        .count();
    lines.drain(..leading);
}

/// The delimiter word of a heredoc redirection, given the text after `<<`: accepts `EOF`,
/// `'EOF'`, `"EOF"`, `-EOF` and a space before the word. `None` if no word follows.
pub(crate) fn heredoc_delimiter(after_redirect: &str) -> Option<&str> {
    let word = after_redirect.strip_prefix('-').unwrap_or(after_redirect);
    let word = word.trim();
    let word = ['\'', '"']
        .iter()
        .find_map(|q| word.strip_prefix(*q).and_then(|w| w.strip_suffix(*q)))
        .unwrap_or(word);
    let valid = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.');
    valid.then_some(word)
}

struct Parser<'a> {
    lines: &'a [Line<'a>],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<Line<'a>> {
        self.lines.get(self.pos).copied()
    }

    fn hunks(&mut self) -> Result<Vec<Hunk>, ParseError> {
        let mut hunks = Vec::new();
        while let Some(line) = self.peek() {
            let trimmed = line.text.trim();
            self.pos += 1;
            if trimmed.is_empty() {
                continue;
            }
            if let Some(rest) = trimmed.strip_prefix(ADD_FILE) {
                let path = path_argument(rest, line.no, ADD_FILE)?;
                let contents = self.add_file_body();
                hunks.push(Hunk::AddFile { path, contents });
            } else if let Some(rest) = trimmed.strip_prefix(DELETE_FILE) {
                let path = path_argument(rest, line.no, DELETE_FILE)?;
                hunks.push(Hunk::DeleteFile { path });
            } else if let Some(rest) = trimmed.strip_prefix(UPDATE_FILE) {
                let path = path_argument(rest, line.no, UPDATE_FILE)?;
                hunks.push(self.update_file_body(path, line.no)?);
            } else {
                return Err(ParseError::Unexpected {
                    line: line.no,
                    expected: EXPECTED_HUNK_HEADER,
                    found: line.text.to_owned(),
                });
            }
        }
        Ok(hunks)
    }

    /// `+` lines; blank lines between them count as empty lines, blank lines after the last
    /// one are separators.
    fn add_file_body(&mut self) -> String {
        let mut contents = String::new();
        let mut pending_blank = 0usize;
        while let Some(line) = self.peek() {
            if let Some(rest) = line.text.strip_prefix('+') {
                for _ in 0..pending_blank {
                    contents.push('\n');
                }
                pending_blank = 0;
                contents.push_str(rest);
                contents.push('\n');
            } else if line.text.trim().is_empty() {
                pending_blank += 1;
            } else {
                break;
            }
            self.pos += 1;
        }
        contents
    }

    fn update_file_body(&mut self, path: PathBuf, header_no: usize) -> Result<Hunk, ParseError> {
        let mut move_path = None;
        if let Some(line) = self.peek()
            && let Some(rest) = line.text.trim().strip_prefix(MOVE_TO)
        {
            move_path = Some(path_argument(rest, line.no, MOVE_TO)?);
            self.pos += 1;
        }

        let mut chunks: Vec<(UpdateChunk, usize)> = Vec::new();
        let mut open: Option<OpenChunk> = None;
        while let Some(line) = self.peek() {
            let raw = line.text;
            if let Some(rest) = raw.strip_prefix([' ', '+', '-']) {
                let chunk = open.get_or_insert_with(|| OpenChunk::new(None, line.no));
                chunk.trailing_blank = 0;
                if raw.starts_with(' ') {
                    chunk.chunk.old_lines.push(rest.to_owned());
                    chunk.chunk.new_lines.push(rest.to_owned());
                } else if raw.starts_with('-') {
                    chunk.chunk.old_lines.push(rest.to_owned());
                } else {
                    chunk.chunk.new_lines.push(rest.to_owned());
                }
            } else if raw.trim().is_empty() {
                // A blank line inside a chunk stands for an empty context line; before any
                // chunk it is just spacing.
                if let Some(chunk) = open.as_mut() {
                    chunk.chunk.old_lines.push(String::new());
                    chunk.chunk.new_lines.push(String::new());
                    chunk.trailing_blank += 1;
                }
            } else if let Some(rest) = raw.trim_start().strip_prefix("@@") {
                if let Some(done) = open.take() {
                    chunks.push(done.close());
                }
                open = Some(OpenChunk::new(change_context(rest), line.no));
            } else if raw.trim() == END_OF_FILE {
                let Some(mut done) = open.take() else {
                    return Err(ParseError::Unexpected {
                        line: line.no,
                        expected: "chunk lines before `*** End of File`",
                        found: raw.to_owned(),
                    });
                };
                done.chunk.is_end_of_file = true;
                chunks.push(done.close());
            } else if raw.trim_start().starts_with("***") {
                // The next hunk header (or a stray marker the caller reports).
                break;
            } else {
                return Err(ParseError::Unexpected {
                    line: line.no,
                    expected: EXPECTED_CHUNK_LINE,
                    found: raw.to_owned(),
                });
            }
            self.pos += 1;
        }
        if let Some(done) = open.take() {
            chunks.push(done.close());
        }

        let display = path.display().to_string();
        if chunks.is_empty() {
            return Err(ParseError::EmptyUpdate {
                line: header_no,
                path: display,
            });
        }
        let count = chunks.len();
        for (index, (chunk, start)) in chunks.iter().enumerate() {
            let has_lines = !chunk.old_lines.is_empty() || !chunk.new_lines.is_empty();
            // `@@ class Foo` directly followed by `@@ def bar` narrows the search step by step:
            // the first chunk only moves the cursor.
            let leads_on = chunk.change_context.is_some() && index + 1 < count;
            if !has_lines && !leads_on {
                return Err(ParseError::EmptyChunk {
                    line: *start,
                    chunk: index + 1,
                    path: display,
                });
            }
        }
        Ok(Hunk::UpdateFile {
            path,
            move_path,
            chunks: chunks.into_iter().map(|(chunk, _)| chunk).collect(),
        })
    }
}

struct OpenChunk {
    chunk: UpdateChunk,
    start: usize,
    /// Blank (not even a space) lines at the current end of the chunk.
    trailing_blank: usize,
}

impl OpenChunk {
    fn new(change_context: Option<String>, start: usize) -> Self {
        OpenChunk {
            chunk: UpdateChunk {
                change_context,
                ..UpdateChunk::default()
            },
            start,
            trailing_blank: 0,
        }
    }

    /// Blank lines before the next `@@` or hunk header separate sections; they are not context.
    fn close(mut self) -> (UpdateChunk, usize) {
        for _ in 0..self.trailing_blank {
            self.chunk.old_lines.pop();
            self.chunk.new_lines.pop();
        }
        (self.chunk, self.start)
    }
}

/// The context of an `@@` line, given the text after `@@`.
fn change_context(after_marker: &str) -> Option<String> {
    let context = after_marker.strip_prefix(' ').unwrap_or(after_marker);
    let context = strip_unified_range(context).unwrap_or(context);
    (!context.trim().is_empty()).then(|| context.to_owned())
}

/// Models trained on unified diffs sometimes write `@@ -12,3 +12,4 @@ fn foo()`; the numbers
/// mean nothing here, so keep only what follows the closing `@@`.
fn strip_unified_range(context: &str) -> Option<&str> {
    let rest = context.strip_prefix('-')?;
    let (old_range, rest) = rest.split_once(" +")?;
    let (new_range, rest) = rest.split_once(" @@")?;
    let is_range = |r: &str| {
        let (start, len) = r.split_once(',').unwrap_or((r, "0"));
        [start, len]
            .iter()
            .all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    };
    (is_range(old_range) && is_range(new_range)).then(|| rest.strip_prefix(' ').unwrap_or(rest))
}

fn path_argument(rest: &str, line: usize, marker: &'static str) -> Result<PathBuf, ParseError> {
    let path = rest.trim();
    if path.is_empty() {
        return Err(ParseError::MissingPath { line, marker });
    }
    Ok(PathBuf::from(path))
}
