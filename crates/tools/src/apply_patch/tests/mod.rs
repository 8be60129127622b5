//! Tests for the apply_patch module: parser, applier, shell detection, and properties.

mod apply;
mod parse;
mod props;
mod shell;

use std::fs;
use std::path::Path;

/// Writes `content` at `dir/rel`, creating parent directories.
fn write(dir: &Path, rel: &str, content: &str) {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(path, content).unwrap();
}

fn read(dir: &Path, rel: &str) -> String {
    fs::read_to_string(dir.join(rel)).unwrap()
}

/// Wraps hunk text in the patch markers.
fn patch(body: &str) -> String {
    format!("*** Begin Patch\n{body}*** End Patch\n")
}
