//! Config layers and provenance. Each layer is a TOML table re-rooted at the top level plus the
//! source it came from (a file, or one `-c` argument). Layers merge low to high with a deep
//! merge for tables; afterwards any dotted path in the merged table can be traced back to the
//! highest layer that set it, and from there to `file:line:column` via `toml_edit` spans.

use std::cell::OnceCell;
use std::ops::Range;
use std::path::Path;
use std::path::PathBuf;

use crate::error::ConfigError;
use crate::error::Origin;

/// Where a layer's table came from.
pub(crate) enum SourceKind {
    File { path: PathBuf, text: String },
    Cli { raw: String },
}

pub(crate) struct Source {
    kind: SourceKind,
    /// Parsed lazily, only to recover positions for messages.
    doc: OnceCell<Option<toml_edit::Document<String>>>,
}

pub(crate) struct Layer {
    source: usize,
    /// Where `table` lives inside its source, e.g. `["profiles", "work"]`.
    prefix: Vec<String>,
    table: toml::Table,
    /// Directory against which relative paths set by this layer resolve.
    base_dir: PathBuf,
}

/// What a location should point at.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// The key itself (unknown keys).
    Key,
    /// The value (type errors).
    Value,
}

/// The origin of a dotted path, as written in its source.
pub(crate) struct Located {
    pub(crate) origin: Origin,
    /// The key path as it appears in the source (profile prefix included).
    pub(crate) key: String,
    pub(crate) base_dir: PathBuf,
}

#[derive(Default)]
pub(crate) struct LayerStack {
    sources: Vec<Source>,
    layers: Vec<Layer>,
}

impl LayerStack {
    /// Reads and parses a TOML file; `Ok(None)` if it does not exist.
    pub(crate) fn read_file(path: &Path) -> Result<Option<(String, toml::Table)>, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(ConfigError::ReadFile {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        match toml::from_str::<toml::Table>(&text) {
            Ok(table) => Ok(Some((text, table))),
            Err(e) => {
                let origin = match e.span() {
                    Some(span) => {
                        let (line, column) = line_column(&text, span.start);
                        Origin::File {
                            path: path.to_owned(),
                            line,
                            column,
                        }
                    }
                    None => Origin::FileUnknownPosition {
                        path: path.to_owned(),
                    },
                };
                Err(ConfigError::Syntax {
                    origin,
                    message: e.message().trim().to_owned(),
                })
            }
        }
    }

    /// Registers a file source; returns its id for [`LayerStack::push`].
    pub(crate) fn add_file(&mut self, path: PathBuf, text: String) -> usize {
        self.add_source(SourceKind::File { path, text })
    }

    /// Registers a `-c` source; returns its id for [`LayerStack::push`].
    pub(crate) fn add_cli(&mut self, raw: String) -> usize {
        self.add_source(SourceKind::Cli { raw })
    }

    fn add_source(&mut self, kind: SourceKind) -> usize {
        self.sources.push(Source {
            kind,
            doc: OnceCell::new(),
        });
        self.sources.len() - 1
    }

    /// Adds a layer above all previous ones.
    pub(crate) fn push(
        &mut self,
        source: usize,
        prefix: Vec<String>,
        table: toml::Table,
        base_dir: PathBuf,
    ) {
        self.layers.push(Layer {
            source,
            prefix,
            table,
            base_dir,
        });
    }

    /// All layers merged, low to high.
    pub(crate) fn merged(&self) -> toml::Table {
        let mut out = toml::Table::new();
        for layer in &self.layers {
            merge(&mut out, layer.table.clone());
        }
        out
    }

    /// Traces `path` (a path in the merged table) to the highest layer that sets the longest
    /// prefix of it. `None` only when no layer sets even the first segment.
    pub(crate) fn locate(&self, path: &[String], target: Target) -> Option<Located> {
        let mut best: Option<(usize, &Layer)> = None;
        for layer in &self.layers {
            let depth = matched_depth(&layer.table, path);
            if depth > 0 && best.is_none_or(|(d, _)| depth >= d) {
                best = Some((depth, layer));
            }
        }
        let (depth, layer) = best?;
        let source = self.sources.get(layer.source)?;
        let mut full: Vec<String> = layer.prefix.clone();
        full.extend(path.iter().take(depth).cloned());
        let mut key_path = layer.prefix.clone();
        key_path.extend(path.iter().cloned());
        let origin = match &source.kind {
            SourceKind::Cli { raw } => Origin::CliOverride { raw: raw.clone() },
            SourceKind::File { path: file, text } => {
                let doc = source
                    .doc
                    .get_or_init(|| toml_edit::Document::parse(text.clone()).ok());
                let target = if depth == path.len() {
                    target
                } else {
                    Target::Key
                };
                match doc
                    .as_ref()
                    .and_then(|d| span_of(d.as_table(), &full, target))
                {
                    Some(offset) => {
                        let (line, column) = line_column(text, offset);
                        Origin::File {
                            path: file.clone(),
                            line,
                            column,
                        }
                    }
                    None => Origin::FileUnknownPosition { path: file.clone() },
                }
            }
        };
        Some(Located {
            origin,
            key: dotted(&key_path),
            base_dir: layer.base_dir.clone(),
        })
    }
}

/// Deep merge: tables merge key by key, anything else from `from` replaces.
pub(crate) fn merge(into: &mut toml::Table, from: toml::Table) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(toml::Value::Table(existing)), toml::Value::Table(incoming)) => {
                merge(existing, incoming);
            }
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}

/// Sets `value` at `path`, creating (or replacing non-table) intermediate tables.
pub(crate) fn set_path(table: &mut toml::Table, path: &[String], value: toml::Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut current = table;
    for key in parents {
        let entry = current
            .entry(key.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        let toml::Value::Table(next) = entry else {
            return;
        };
        current = next;
    }
    current.insert(last.clone(), value);
}

fn child<'a>(value: &'a toml::Value, segment: &str) -> Option<&'a toml::Value> {
    match value {
        toml::Value::Table(t) => t.get(segment),
        toml::Value::Array(a) => a.get(segment.parse::<usize>().ok()?),
        _ => None,
    }
}

/// How many leading segments of `path` exist in `table`.
fn matched_depth(table: &toml::Table, path: &[String]) -> usize {
    let Some((first, rest)) = path.split_first() else {
        return 0;
    };
    let Some(mut current) = table.get(first) else {
        return 0;
    };
    let mut depth = 1;
    for segment in rest {
        match child(current, segment) {
            Some(next) => {
                current = next;
                depth += 1;
            }
            None => break,
        }
    }
    depth
}

/// Byte offset of `path` in a parsed document: the value's (or key's) start, falling back to the
/// deepest enclosing key that has a span.
fn span_of(root: &toml_edit::Table, path: &[String], target: Target) -> Option<usize> {
    let mut node = Node::Table(root);
    let mut key_span = None;
    let mut fallback: Option<Range<usize>> = None;
    for segment in path {
        let Some((span, next)) = node.child(segment) else {
            return fallback.map(|s| s.start);
        };
        key_span = span;
        node = next;
        fallback = key_span.clone().or_else(|| node.span()).or(fallback);
    }
    let span = match target {
        Target::Value => node.value_span().or(key_span),
        Target::Key => key_span.or_else(|| node.value_span()),
    };
    span.or(fallback).map(|s| s.start)
}

/// A position while walking a `toml_edit` document.
#[derive(Clone, Copy)]
enum Node<'a> {
    Item(&'a toml_edit::Item),
    Value(&'a toml_edit::Value),
    Table(&'a toml_edit::Table),
}

impl<'a> Node<'a> {
    fn span(self) -> Option<Range<usize>> {
        match self {
            Node::Item(item) => item.span(),
            Node::Value(value) => value.span(),
            Node::Table(table) => table.span(),
        }
    }

    fn value_span(self) -> Option<Range<usize>> {
        match self {
            Node::Item(toml_edit::Item::Value(value)) | Node::Value(value) => value.span(),
            Node::Item(_) | Node::Table(_) => None,
        }
    }

    /// The child at `segment` and the span of the key that names it (if any).
    fn child(self, segment: &str) -> Option<(Option<Range<usize>>, Node<'a>)> {
        let index = || segment.parse::<usize>().ok();
        match self {
            Node::Table(table) | Node::Item(toml_edit::Item::Table(table)) => table
                .get_key_value(segment)
                .map(|(k, v)| (k.span(), Node::Item(v))),
            Node::Item(toml_edit::Item::Value(value)) | Node::Value(value) => match value {
                toml_edit::Value::InlineTable(table) => table
                    .get_key_value(segment)
                    .map(|(k, v)| (k.span(), Node::Item(v))),
                toml_edit::Value::Array(array) => {
                    array.get(index()?).map(|v| (None, Node::Value(v)))
                }
                _ => None,
            },
            Node::Item(toml_edit::Item::ArrayOfTables(tables)) => {
                tables.get(index()?).map(|t| (t.span(), Node::Table(t)))
            }
            Node::Item(toml_edit::Item::None) => None,
        }
    }
}

/// 1-based line and char column of a byte offset.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

/// Renders a key path as a TOML dotted key, quoting segments that are not bare keys.
pub(crate) fn dotted(path: &[String]) -> String {
    path.iter()
        .map(|segment| {
            toml_edit::Key::new(segment.as_str())
                .display_repr()
                .into_owned()
        })
        .collect::<Vec<_>>()
        .join(".")
}
