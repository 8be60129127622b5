use std::path::PathBuf;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use tempfile::TempDir;

use super::{read, write};
use crate::apply_patch::{
    Hunk, Patch, UpdateChunk, apply_patch, parse_patch, patch_from_shell_script,
};

/// Line text: mostly a tiny alphabet (so lines repeat and matching has to pick the right
/// occurrence), sometimes arbitrary printable text including non-ASCII.
fn line_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[ab ]{0,2}",
        2 => "[ -~]{0,12}",
        1 => "\\PC{0,8}",
    ]
}

fn joined(lines: &[String]) -> String {
    if lines.is_empty() {
        String::new()
    } else {
        format!("{}\n", lines.join("\n"))
    }
}

/// A file, a contiguous range of it to replace, the replacement, and how much context to show.
fn replacement_case() -> impl Strategy<Value = (Vec<String>, usize, usize, Vec<String>, usize)> {
    vec(line_text(), 0..16).prop_flat_map(|file| {
        let len = file.len();
        (0..=len).prop_flat_map(move |start| {
            let file = file.clone();
            (
                Just(file),
                Just(start),
                0..=(len - start),
                vec(line_text(), 0..4),
                0usize..3,
            )
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 128,
        // Keep regressions next to this file (`props.regressions`).
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::default()
    })]

    /// (a) A patch that replaces lines `start..start + count` (with up to `context` lines of
    /// context on each side) applies and yields exactly the expected text. When the same block
    /// also occurs earlier, the first exact occurrence is the one edited, as documented.
    #[test]
    fn replacing_a_range_yields_the_expected_text(
        (file, start, count, replacement, context) in replacement_case(),
        trailing_newline in any::<bool>(),
    ) {
        let before_from = start.saturating_sub(context);
        let after_to = (start + count + context).min(file.len());
        let before = &file[before_from..start];
        let removed = &file[start..start + count];
        let after = &file[start + count..after_to];
        prop_assume!(!(before.is_empty() && removed.is_empty() && after.is_empty() && replacement.is_empty()));

        let mut body = String::from("*** Begin Patch\n*** Update File: f.txt\n@@\n");
        for line in before { body.push_str(&format!(" {line}\n")); }
        for line in removed { body.push_str(&format!("-{line}\n")); }
        for line in &replacement { body.push_str(&format!("+{line}\n")); }
        for line in after { body.push_str(&format!(" {line}\n")); }
        body.push_str("*** End Patch\n");

        let old_block: Vec<&String> = before.iter().chain(removed).chain(after).collect();
        let expected: Vec<String> = if old_block.is_empty() {
            // Nothing to find: a pure insertion appends.
            file.iter().chain(&replacement).cloned().collect()
        } else {
            let first = (0..=file.len() - old_block.len())
                .find(|&at| file[at..].iter().zip(&old_block).all(|(a, b)| a == *b))
                .unwrap();
            let mut lines = file[..first].to_vec();
            lines.extend(before.iter().cloned());
            lines.extend(replacement.iter().cloned());
            lines.extend(after.iter().cloned());
            lines.extend(file[first + old_block.len()..].iter().cloned());
            lines
        };

        let dir = TempDir::new().unwrap();
        let mut original = joined(&file);
        // Only a last line with text can lack its newline ("" alone would be no line at all).
        if !trailing_newline && file.last().is_some_and(|l| !l.is_empty()) {
            original.pop();
        }
        write(dir.path(), "f.txt", &original);
        let parsed = parse_patch(&body).unwrap();
        apply_patch(&parsed, dir.path()).unwrap();
        prop_assert_eq!(read(dir.path(), "f.txt"), joined(&expected));
    }

    /// (b) The parser (and the shell detection) never panic, on arbitrary text or on text
    /// assembled from the format's own line kinds.
    #[test]
    fn parse_never_panics_on_arbitrary_text(text in any::<String>()) {
        let _ = parse_patch(&text);
        let _ = patch_from_shell_script(&text);
    }

    #[test]
    fn parse_never_panics_on_patch_like_text(pieces in vec(patch_piece(), 0..24)) {
        let text: String = pieces.concat();
        let _ = parse_patch(&text);
        let _ = patch_from_shell_script(&format!("apply_patch <<'EOF'\n{text}EOF\n"));
    }

    /// (c) Rendering a patch and parsing it back gives the same patch.
    #[test]
    fn to_text_round_trips(patch in patch_strategy()) {
        let text = patch.to_text();
        prop_assert_eq!(parse_patch(&text), Ok(patch), "{}", text);
    }
}

fn patch_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("*** Begin Patch\n".to_owned()),
        Just("*** End Patch\n".to_owned()),
        Just("*** Add File: a\n".to_owned()),
        Just("*** Delete File: a\n".to_owned()),
        Just("*** Update File: a\n".to_owned()),
        Just("*** Move to: b\n".to_owned()),
        Just("*** End of File\n".to_owned()),
        Just("*** Add File:\n".to_owned()),
        Just("@@\n".to_owned()),
        Just("@@ -1,2 +1,3 @@\n".to_owned()),
        Just("<<'EOF'\n".to_owned()),
        Just("EOF\n".to_owned()),
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        "[ +@*-][ -~]{0,6}\n",
        "[\\PC]{0,4}",
    ]
}

fn path_strategy() -> impl Strategy<Value = PathBuf> {
    "[a-z][a-z0-9_./ -]{0,10}[a-z0-9]".prop_map(PathBuf::from)
}

fn chunk_strategy() -> impl Strategy<Value = UpdateChunk> {
    (
        proptest::option::of(
            line_text().prop_filter("non-blank context", |c| !c.trim().is_empty()),
        ),
        vec(line_text(), 0..5),
        vec(line_text(), 0..5),
        any::<bool>(),
    )
        .prop_filter("a chunk has lines", |(_, old, new, _)| {
            !old.is_empty() || !new.is_empty()
        })
        .prop_map(
            |(change_context, old_lines, new_lines, is_end_of_file)| UpdateChunk {
                change_context,
                old_lines,
                new_lines,
                is_end_of_file,
            },
        )
}

fn hunk_strategy() -> impl Strategy<Value = Hunk> {
    prop_oneof![
        (path_strategy(), vec(line_text(), 0..5)).prop_map(|(path, lines)| Hunk::AddFile {
            path,
            contents: joined(&lines),
        }),
        path_strategy().prop_map(|path| Hunk::DeleteFile { path }),
        (
            path_strategy(),
            proptest::option::of(path_strategy()),
            vec(chunk_strategy(), 1..4),
        )
            .prop_map(|(path, move_path, chunks)| Hunk::UpdateFile {
                path,
                move_path,
                chunks,
            }),
    ]
}

fn patch_strategy() -> impl Strategy<Value = Patch> {
    vec(hunk_strategy(), 1..5).prop_map(|hunks| Patch { hunks })
}
