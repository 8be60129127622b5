//! Applying a [`Patch`] to the file system.
//!
//! Two phases, so that a patch either applies completely or (almost always) not at all:
//!
//! 1. **Plan**, touching nothing: every hunk is checked and its result computed against an
//!    in-memory overlay of the files (so later hunks see earlier hunks' results, e.g. two updates
//!    of one file). Any missing file or chunk that cannot be located fails here.
//! 2. **Commit**: every new content is first written to a temporary file next to its target
//!    (creating missing parent directories); if any of that fails, the temporaries and the
//!    directories just created are removed and nothing else has changed. Then the temporaries
//!    are renamed over their targets (atomic per file) and deleted files are removed. Only a
//!    failing rename or removal in this last step can leave the patch half-applied.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Component, Path, PathBuf};

use similar::{Algorithm, DiffTag, TextDiff, capture_diff_slices};

use super::parse::{Hunk, Patch, UpdateChunk};
use super::seek::find_lines;

/// What [`apply_patch`] did, one entry per hunk in patch order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppliedPatch {
    pub changes: Vec<FileChange>,
}

/// One applied hunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// Absolute (lexically normalised: no `.` or `..`) path of the file the hunk named.
    pub path: PathBuf,
    pub kind: FileChangeKind,
}

/// The effect of one hunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileChangeKind {
    /// The file was created (or overwritten) with `content`.
    Add { content: String },
    /// The file was removed; `content` is what it held.
    Delete { content: String },
    /// The file was edited. `unified_diff` has `--- a/<path>` / `+++ b/<new path>` headers
    /// (paths relative to the working directory when inside it) and one line of context;
    /// it is empty when the content did not change. `move_path` is the absolute destination
    /// of a `*** Move to:`.
    Update {
        unified_diff: String,
        move_path: Option<PathBuf>,
    },
}

impl AppliedPatch {
    /// The tool output reported to the model: a header line, then `A`, `M` or `D` and the path
    /// relative to `cwd` (absolute if outside it) for each change, one per line; a moved file
    /// is listed as `M <destination>`.
    ///
    /// Example: `"Success. Updated the following files:\nA hello.txt\nD old.txt\n"`.
    pub fn summary(&self, cwd: &Path) -> String {
        let cwd = normalize(cwd);
        let mut out = String::from("Success. Updated the following files:\n");
        for change in &self.changes {
            let (letter, path) = match &change.kind {
                FileChangeKind::Add { .. } => ('A', &change.path),
                FileChangeKind::Delete { .. } => ('D', &change.path),
                FileChangeKind::Update { move_path, .. } => {
                    ('M', move_path.as_ref().unwrap_or(&change.path))
                }
            };
            let _ = writeln!(out, "{letter} {}", relative_to(path, &cwd).display());
        }
        out
    }
}

/// Why a patch could not be applied. Paths are absolute. The message is complete on its own
/// (it includes the underlying I/O error), so the I/O error is not also exposed as `source()`.
#[derive(Debug, thiserror::Error)]
pub enum ApplyPatchError {
    /// A file to update or delete could not be read: it does not exist (also when an earlier
    /// hunk of the same patch deleted it), is a directory, or is not UTF-8 text.
    #[error("cannot read {path}, the file to {action}: {error}")]
    ReadFile {
        path: PathBuf,
        /// `"update"` or `"delete"`.
        action: &'static str,
        error: io::Error,
    },
    /// The parent directory of a file to add or move to cannot exist (a file is in the way)
    /// or could not be created.
    #[error("cannot create the parent directory of {path}: {error}")]
    CreateParent { path: PathBuf, error: io::Error },
    /// The `@@ <context>` line of chunk `chunk` (1-based, of `chunks` in the hunk) was not
    /// found after the previous chunk's position.
    #[error("failed to find context `{context}` in {path} (hunk {chunk} of {chunks})")]
    ContextNotFound {
        path: PathBuf,
        chunk: usize,
        chunks: usize,
        context: String,
    },
    /// The context and `-` lines of chunk `chunk` (1-based, of `chunks` in the hunk) were not
    /// found, even ignoring whitespace and typographic punctuation.
    #[error(
        "failed to find expected lines in {path} (hunk {chunk} of {chunks}):\n{}",
        lines.join("\n")
    )]
    LinesNotFound {
        path: PathBuf,
        chunk: usize,
        chunks: usize,
        lines: Vec<String>,
    },
    /// Writing a file (or its temporary, or a directory in its place) failed.
    #[error("failed to write {path}: {error}")]
    WriteFile { path: PathBuf, error: io::Error },
    /// Removing a deleted or moved-away file failed.
    #[error("failed to remove {path}: {error}")]
    RemoveFile { path: PathBuf, error: io::Error },
}

/// Applies `patch`, resolving its relative paths against `cwd` (which should be absolute).
///
/// Every hunk is verified and every new content computed before anything is written, so an
/// error from verification (the common case: a missing file, lines that cannot be found) leaves
/// every file untouched; see the module docs for the commit step.
///
/// Each chunk of an Update File hunk is searched from where the previous one ended: first its
/// `@@` context line, then its old lines, compared exactly, then ignoring trailing whitespace,
/// then ignoring surrounding whitespace, then also mapping typographic dashes, quotes and
/// Unicode spaces to ASCII (an `*** End of File` chunk tries the end of the file first). Lines
/// the chunk keeps keep the file's own text. A chunk without old lines inserts after its
/// context line, or appends. Rewritten files keep their line ending style (`\r\n` if the
/// original used it) and always end with a line ending (an empty result stays empty).
///
/// # Errors
/// [`ApplyPatchError`], naming the file and, for a chunk that cannot be located, the chunk.
pub fn apply_patch(patch: &Patch, cwd: &Path) -> Result<AppliedPatch, ApplyPatchError> {
    let cwd = normalize(cwd);
    let mut overlay = Overlay::default();
    let mut changes = Vec::with_capacity(patch.hunks.len());
    for hunk in &patch.hunks {
        match hunk {
            Hunk::AddFile { path, contents } => {
                let path = cwd.join(path);
                let path = normalize(&path);
                check_writable(&path)?;
                overlay.write(&path, contents.clone());
                changes.push(FileChange {
                    path,
                    kind: FileChangeKind::Add {
                        content: contents.clone(),
                    },
                });
            }
            Hunk::DeleteFile { path } => {
                let path = normalize(&cwd.join(path));
                let content = overlay.read(&path, "delete")?;
                overlay.remove(&path);
                changes.push(FileChange {
                    path,
                    kind: FileChangeKind::Delete { content },
                });
            }
            Hunk::UpdateFile {
                path,
                move_path,
                chunks,
            } => {
                let path = normalize(&cwd.join(path));
                let old = overlay.read(&path, "update")?;
                let new = apply_chunks(&old, chunks, &path)?;
                let move_path = move_path.as_ref().map(|p| normalize(&cwd.join(p)));
                let destination = move_path.as_ref().unwrap_or(&path);
                let unified_diff = unified_diff(
                    &old,
                    &new,
                    relative_to(&path, &cwd),
                    relative_to(destination, &cwd),
                );
                if destination != &path {
                    check_writable(destination)?;
                    let permissions = overlay.permissions(&path);
                    overlay.remove(&path);
                    overlay.write(destination, new);
                    overlay.inherit_permissions(destination, permissions);
                } else {
                    overlay.write(destination, new);
                }
                changes.push(FileChange {
                    path,
                    kind: FileChangeKind::Update {
                        unified_diff,
                        move_path,
                    },
                });
            }
        }
    }
    overlay.commit()?;
    Ok(AppliedPatch { changes })
}

/// Applies the chunks of one Update File hunk to `old`, returning the new content.
fn apply_chunks(old: &str, chunks: &[UpdateChunk], path: &Path) -> Result<String, ApplyPatchError> {
    let crlf = old.contains("\r\n");
    let mut lines: Vec<String> = old
        .split('\n')
        .map(|l| {
            if crlf {
                l.strip_suffix('\r').unwrap_or(l)
            } else {
                l
            }
        })
        .map(str::to_owned)
        .collect();
    // The text after the final newline (or of an empty file) is not a line.
    if lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }

    // (first line index, number of lines replaced, replacement), in original coordinates.
    let mut edits: Vec<(usize, usize, Vec<String>)> = Vec::with_capacity(chunks.len());
    let mut cursor = 0usize;
    for (index, chunk) in chunks.iter().enumerate() {
        if let Some(context) = &chunk.change_context {
            let Some(at) = find_lines(&lines, std::slice::from_ref(context), cursor, false) else {
                return Err(ApplyPatchError::ContextNotFound {
                    path: path.to_owned(),
                    chunk: index + 1,
                    chunks: chunks.len(),
                    context: context.clone(),
                });
            };
            cursor = at + 1;
        }

        if chunk.old_lines.is_empty() {
            // Pure insertion: right after the context line, or appended to the file. An append
            // does not move the cursor, so later chunks may still edit earlier lines.
            let at = if chunk.change_context.is_some() && !chunk.is_end_of_file {
                cursor
            } else {
                lines.len()
            };
            edits.push((at, 0, chunk.new_lines.clone()));
            continue;
        }

        let mut old_lines = chunk.old_lines.as_slice();
        let mut new_lines = chunk.new_lines.as_slice();
        let found = loop {
            if let Some(at) = find_lines(&lines, old_lines, cursor, chunk.is_end_of_file) {
                break Some(at);
            }
            // A trailing empty line is often an artifact of how the patch was written (a blank
            // line before the next hunk); retry without it, but never down to nothing.
            match old_lines.split_last() {
                Some((last, rest)) if last.is_empty() && !rest.is_empty() => {
                    old_lines = rest;
                    if let Some((last, rest)) = new_lines.split_last()
                        && last.is_empty()
                    {
                        new_lines = rest;
                    }
                }
                _ => break None,
            }
        };
        let Some(at) = found else {
            return Err(ApplyPatchError::LinesNotFound {
                path: path.to_owned(),
                chunk: index + 1,
                chunks: chunks.len(),
                lines: chunk.old_lines.clone(),
            });
        };
        let replacement = keep_context_as_in_file(&lines, at, old_lines, new_lines);
        edits.push((at, old_lines.len(), replacement));
        cursor = at + old_lines.len();
    }

    // Bottom-up, so earlier indices stay valid. The sort is stable and ties are applied in
    // reverse chunk order, which keeps an insertion before a replacement at the same line.
    edits.sort_by_key(|(at, _, _)| *at);
    for (at, removed, replacement) in edits.into_iter().rev() {
        let end = (at + removed).min(lines.len());
        let at = at.min(end);
        lines.splice(at..end, replacement);
    }

    let eol = if crlf { "\r\n" } else { "\n" };
    let mut new = lines.join(eol);
    if !lines.is_empty() {
        new.push_str(eol);
    }
    Ok(new)
}

/// The lines replacing the `old_lines` found at `lines[at..]`: `new_lines`, except that lines
/// the chunk leaves unchanged keep the file's text. A fuzzy match must not rewrite the
/// whitespace or punctuation of the context lines it matched loosely.
fn keep_context_as_in_file(
    lines: &[String],
    at: usize,
    old_lines: &[String],
    new_lines: &[String],
) -> Vec<String> {
    let mut out = Vec::with_capacity(new_lines.len());
    for op in capture_diff_slices(Algorithm::Myers, old_lines, new_lines) {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        match tag {
            DiffTag::Equal => {
                let in_file = lines.get(at + old_range.start..at + old_range.end);
                let in_patch = new_lines.get(new_range).unwrap_or_default();
                out.extend_from_slice(in_file.unwrap_or(in_patch));
            }
            DiffTag::Insert | DiffTag::Replace => {
                out.extend_from_slice(new_lines.get(new_range).unwrap_or_default());
            }
            DiffTag::Delete => {}
        }
    }
    out
}

fn unified_diff(old: &str, new: &str, old_name: &Path, new_name: &Path) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(1)
        .header(
            &format!("a/{}", old_name.display()),
            &format!("b/{}", new_name.display()),
        )
        .to_string()
}

/// `path` relative to `base` if it is inside it, else `path` itself.
fn relative_to<'a>(path: &'a Path, base: &Path) -> &'a Path {
    path.strip_prefix(base).unwrap_or(path)
}

/// Removes `.` and resolves `..` lexically (without consulting the file system), so that two
/// spellings of one file are recognised as the same file within a patch.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                Some(Component::ParentDir | Component::CurDir) | None => out.push(".."),
            },
            other => out.push(other),
        }
    }
    out
}

/// Fails early when a file cannot be written at `path`: a directory is there, or an existing
/// ancestor is not a directory.
fn check_writable(path: &Path) -> Result<(), ApplyPatchError> {
    if path.is_dir() {
        return Err(ApplyPatchError::WriteFile {
            path: path.to_owned(),
            error: io::Error::other("a directory exists at this path"),
        });
    }
    for ancestor in path.ancestors().skip(1) {
        if ancestor.as_os_str().is_empty() {
            break;
        }
        match fs::metadata(ancestor) {
            Ok(meta) if meta.is_dir() => break,
            Ok(_) => {
                return Err(ApplyPatchError::CreateParent {
                    path: path.to_owned(),
                    error: io::Error::other(format!("{} is not a directory", ancestor.display())),
                });
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(ApplyPatchError::CreateParent {
                    path: path.to_owned(),
                    error,
                });
            }
        }
    }
    Ok(())
}

/// The planned state of every file the patch touches, in order of first touch.
#[derive(Default)]
struct Overlay {
    entries: Vec<Entry>,
}

struct Entry {
    path: PathBuf,
    /// `None`: to be deleted.
    content: Option<String>,
    /// Something existed at `path` before the patch (so a deletion must remove it).
    existed: bool,
    /// Permissions of the existing file, kept when it is rewritten (an executable script stays
    /// executable).
    permissions: Option<fs::Permissions>,
}

impl Overlay {
    fn entry(&mut self, path: &Path) -> Option<&mut Entry> {
        self.entries.iter_mut().find(|e| e.path == path)
    }

    fn read(&mut self, path: &Path, action: &'static str) -> Result<String, ApplyPatchError> {
        if let Some(entry) = self.entry(path) {
            return entry
                .content
                .clone()
                .ok_or_else(|| ApplyPatchError::ReadFile {
                    path: path.to_owned(),
                    action,
                    error: io::Error::new(
                        io::ErrorKind::NotFound,
                        "deleted by an earlier hunk of this patch",
                    ),
                });
        }
        let content = fs::read_to_string(path).map_err(|error| ApplyPatchError::ReadFile {
            path: path.to_owned(),
            action,
            error,
        })?;
        self.entries.push(Entry {
            path: path.to_owned(),
            content: Some(content.clone()),
            existed: true,
            permissions: fs::metadata(path).ok().map(|m| m.permissions()),
        });
        Ok(content)
    }

    fn write(&mut self, path: &Path, content: String) {
        if let Some(entry) = self.entry(path) {
            entry.content = Some(content);
            return;
        }
        let existing = fs::symlink_metadata(path).ok();
        self.entries.push(Entry {
            path: path.to_owned(),
            content: Some(content),
            existed: existing.is_some(),
            permissions: fs::metadata(path).ok().map(|m| m.permissions()),
        });
    }

    fn permissions(&mut self, path: &Path) -> Option<fs::Permissions> {
        self.entry(path).and_then(|e| e.permissions.clone())
    }

    /// A file moved to a new path keeps its permissions.
    fn inherit_permissions(&mut self, path: &Path, permissions: Option<fs::Permissions>) {
        if let Some(entry) = self.entry(path)
            && entry.permissions.is_none()
        {
            entry.permissions = permissions;
        }
    }

    /// Only called for paths already read (so an entry exists).
    fn remove(&mut self, path: &Path) {
        if let Some(entry) = self.entry(path) {
            entry.content = None;
        }
    }

    fn commit(self) -> Result<(), ApplyPatchError> {
        let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
        let mut created_dirs: Vec<PathBuf> = Vec::new();
        if let Err(error) = self.stage(&mut staged, &mut created_dirs) {
            for (temp, _) in &staged {
                let _ = fs::remove_file(temp);
            }
            for dir in created_dirs.iter().rev() {
                let _ = fs::remove_dir(dir);
            }
            return Err(error);
        }
        for (index, (temp, target)) in staged.iter().enumerate() {
            if let Err(error) = fs::rename(temp, target) {
                for (temp, _) in staged.iter().skip(index) {
                    let _ = fs::remove_file(temp);
                }
                return Err(ApplyPatchError::WriteFile {
                    path: target.clone(),
                    error,
                });
            }
        }
        for entry in &self.entries {
            if entry.content.is_none() && entry.existed {
                match fs::remove_file(&entry.path) {
                    Ok(()) => {}
                    Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                    Err(error) => {
                        return Err(ApplyPatchError::RemoveFile {
                            path: entry.path.clone(),
                            error,
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// Writes every new content to a temporary next to its target; records what it created.
    fn stage(
        &self,
        staged: &mut Vec<(PathBuf, PathBuf)>,
        created_dirs: &mut Vec<PathBuf>,
    ) -> Result<(), ApplyPatchError> {
        for entry in &self.entries {
            let Some(content) = &entry.content else {
                continue;
            };
            // Write through a symlink to its target instead of replacing the link.
            let target = match fs::symlink_metadata(&entry.path) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    fs::canonicalize(&entry.path).unwrap_or_else(|_| entry.path.clone())
                }
                _ => entry.path.clone(),
            };
            create_parents(&target, created_dirs)?;
            let temp = write_temp(&target, content, entry.permissions.as_ref())?;
            staged.push((temp, target));
        }
        Ok(())
    }
}

/// Creates the missing ancestors of `path`, recording each directory it created.
fn create_parents(path: &Path, created: &mut Vec<PathBuf>) -> Result<(), ApplyPatchError> {
    let err = |error| ApplyPatchError::CreateParent {
        path: path.to_owned(),
        error,
    };
    let mut missing = Vec::new();
    for ancestor in path.ancestors().skip(1) {
        if ancestor.as_os_str().is_empty() {
            break;
        }
        match fs::metadata(ancestor) {
            Ok(meta) if meta.is_dir() => break,
            Ok(_) => {
                return Err(err(io::Error::other(format!(
                    "{} is not a directory",
                    ancestor.display()
                ))));
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => missing.push(ancestor),
            Err(error) => return Err(err(error)),
        }
    }
    for dir in missing.into_iter().rev() {
        match fs::create_dir(dir) {
            Ok(()) => created.push(dir.to_owned()),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(err(error)),
        }
    }
    Ok(())
}

/// Writes `content` to a new hidden file in `target`'s directory and returns its path.
fn write_temp(
    target: &Path,
    content: &str,
    permissions: Option<&fs::Permissions>,
) -> Result<PathBuf, ApplyPatchError> {
    let err = |error| ApplyPatchError::WriteFile {
        path: target.to_owned(),
        error,
    };
    let dir = target.parent().unwrap_or(Path::new(""));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut attempts = 0;
    let (temp, mut file) = loop {
        let temp = dir.join(format!(".{name}.{:016x}.patch-tmp", rand::random::<u64>()));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
        {
            Ok(file) => break (temp, file),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists && attempts < 8 => {
                attempts += 1;
            }
            Err(error) => return Err(err(error)),
        }
    };
    let written = file
        .write_all(content.as_bytes())
        .and_then(|()| match permissions {
            Some(permissions) => file.set_permissions(permissions.clone()),
            None => Ok(()),
        });
    if let Err(error) = written {
        let _ = fs::remove_file(&temp);
        return Err(err(error));
    }
    Ok(temp)
}
