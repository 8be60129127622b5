use std::path::PathBuf;

use pretty_assertions::assert_eq;

use super::patch;
use crate::apply_patch::{Hunk, ParseError, Patch, UpdateChunk, parse_patch};

fn lines(lines: &[&str]) -> Vec<String> {
    lines.iter().map(|l| (*l).to_owned()).collect()
}

fn chunk(context: Option<&str>, old: &[&str], new: &[&str], eof: bool) -> UpdateChunk {
    UpdateChunk {
        change_context: context.map(str::to_owned),
        old_lines: lines(old),
        new_lines: lines(new),
        is_end_of_file: eof,
    }
}

fn update(path: &str, move_path: Option<&str>, chunks: Vec<UpdateChunk>) -> Hunk {
    Hunk::UpdateFile {
        path: PathBuf::from(path),
        move_path: move_path.map(PathBuf::from),
        chunks,
    }
}

fn error(text: &str) -> String {
    parse_patch(text).unwrap_err().to_string()
}

#[test]
fn parses_every_hunk_kind() {
    let text = patch(
        "*** Add File: docs/hello.txt\n\
         +Hello\n\
         +\n\
         +world\n\
         *** Delete File: old.txt\n\
         *** Update File: src/lib.rs\n\
         *** Move to: src/main.rs\n\
         @@ fn main() {\n \
         let a = 1;\n\
         -let b = 2;\n\
         +let b = 3;\n\
         +let c = 4;\n\
         @@\n \
         tail\n\
         -}\n\
         +} // end\n\
         *** End of File\n",
    );
    let expected = Patch {
        hunks: vec![
            Hunk::AddFile {
                path: PathBuf::from("docs/hello.txt"),
                contents: "Hello\n\nworld\n".to_owned(),
            },
            Hunk::DeleteFile {
                path: PathBuf::from("old.txt"),
            },
            update(
                "src/lib.rs",
                Some("src/main.rs"),
                vec![
                    chunk(
                        Some("fn main() {"),
                        &["let a = 1;", "let b = 2;"],
                        &["let a = 1;", "let b = 3;", "let c = 4;"],
                        false,
                    ),
                    chunk(None, &["tail", "}"], &["tail", "} // end"], true),
                ],
            ),
        ],
    };
    assert_eq!(parse_patch(&text).unwrap(), expected);
}

#[test]
fn add_file_without_lines_is_empty_and_blank_lines_between_plus_lines_count() {
    let text = patch("*** Add File: empty.txt\n*** Add File: b.txt\n+a\n\n+c\n\n");
    assert_eq!(
        parse_patch(&text).unwrap().hunks,
        vec![
            Hunk::AddFile {
                path: PathBuf::from("empty.txt"),
                contents: String::new(),
            },
            Hunk::AddFile {
                path: PathBuf::from("b.txt"),
                contents: "a\n\nc\n".to_owned(),
            },
        ]
    );
}

#[test]
fn tolerates_whitespace_around_markers_and_blank_lines_around_the_patch() {
    let text = "\n\n  *** Begin Patch  \n*** Delete File:   a.txt  \n\n \t*** End Patch\t\n\n";
    assert_eq!(
        parse_patch(text).unwrap().hunks,
        vec![Hunk::DeleteFile {
            path: PathBuf::from("a.txt"),
        }]
    );
}

#[test]
fn strips_a_heredoc_wrapper() {
    for opener in ["<<'EOF'", "<<EOF", "<<\"EOF\"", "<< 'PATCH_END'"] {
        let delimiter = opener
            .trim_start_matches(['<', ' ', '\'', '"'])
            .trim_end_matches(['\'', '"']);
        let text = format!(
            "{opener}\n{}{delimiter}\n",
            patch("*** Delete File: a.txt\n")
        );
        assert_eq!(parse_patch(&text).unwrap().hunks.len(), 1, "{opener}");
    }
}

#[test]
fn accepts_crlf_line_endings() {
    let text = "*** Begin Patch\r\n*** Update File: a.txt\r\n@@\r\n-x\r\n+y\r\n*** End Patch\r\n";
    assert_eq!(
        parse_patch(text).unwrap().hunks,
        vec![update(
            "a.txt",
            None,
            vec![chunk(None, &["x"], &["y"], false)]
        )]
    );
}

#[test]
fn first_chunk_may_omit_the_at_at_line() {
    let text = patch("*** Update File: a.txt\n x\n-y\n+z\n@@ def f():\n-a\n+b\n");
    assert_eq!(
        parse_patch(&text).unwrap().hunks,
        vec![update(
            "a.txt",
            None,
            vec![
                chunk(None, &["x", "y"], &["x", "z"], false),
                chunk(Some("def f():"), &["a"], &["b"], false),
            ]
        )]
    );
}

#[test]
fn blank_line_inside_a_chunk_is_an_empty_context_line() {
    let text = patch("*** Update File: a.txt\n@@\n a\n\n-b\n+c\n\n*** Delete File: d.txt\n");
    assert_eq!(
        parse_patch(&text).unwrap().hunks,
        vec![
            // The blank line before the next hunk header is a separator, not context.
            update(
                "a.txt",
                None,
                vec![chunk(None, &["a", "", "b"], &["a", "", "c"], false)]
            ),
            Hunk::DeleteFile {
                path: PathBuf::from("d.txt"),
            },
        ]
    );
}

#[test]
fn consecutive_context_headers_narrow_the_search() {
    let text = patch(
        "*** Update File: a.py\n@@ class A:\n@@     def f(self):\n-        pass\n+        return 1\n",
    );
    assert_eq!(
        parse_patch(&text).unwrap().hunks,
        vec![update(
            "a.py",
            None,
            vec![
                chunk(Some("class A:"), &[], &[], false),
                chunk(
                    Some("    def f(self):"),
                    &["        pass"],
                    &["        return 1"],
                    false
                ),
            ]
        )]
    );
}

#[test]
fn unified_diff_range_headers_are_reduced_to_their_context() {
    let text = patch(
        "*** Update File: a.rs\n@@ -3,4 +3,5 @@ fn main() {\n-a\n+b\n@@ -10 +11 @@\n-c\n+d\n",
    );
    let Hunk::UpdateFile { chunks, .. } = &parse_patch(&text).unwrap().hunks[0] else {
        panic!("expected an update");
    };
    assert_eq!(chunks[0].change_context.as_deref(), Some("fn main() {"));
    assert_eq!(chunks[1].change_context, None);
}

#[test]
fn error_for_empty_input() {
    assert_eq!(parse_patch("  \n\n").unwrap_err(), ParseError::Empty);
    assert!(error("").contains("patch must start with `*** Begin Patch`"));
}

#[test]
fn error_for_missing_begin_marker_names_the_line() {
    let err = parse_patch("\n*** Update File: a\n*** End Patch\n").unwrap_err();
    assert_eq!(err.line(), 2);
    assert_eq!(
        err.to_string(),
        "line 2: patch must start with `*** Begin Patch`, found `*** Update File: a`"
    );
}

#[test]
fn error_for_missing_end_marker() {
    assert_eq!(
        error("*** Begin Patch\n*** Delete File: a\n"),
        "line 2: patch must end with `*** End Patch`, found `*** Delete File: a`"
    );
    assert_eq!(
        error("*** Begin Patch"),
        "line 1: patch must end with `*** End Patch`, found `*** Begin Patch`"
    );
}

#[test]
fn error_for_a_line_that_is_not_a_hunk_header() {
    assert_eq!(
        error("*** Begin Patch\n*** Delete File: a\nfoo\n*** End Patch"),
        "line 3: expected `*** Add File:`, `*** Delete File:` or `*** Update File:`, found `foo`"
    );
    // A delete has no body.
    assert_eq!(
        parse_patch("*** Begin Patch\n*** Delete File: a\n-x\n*** End Patch")
            .unwrap_err()
            .line(),
        3
    );
}

#[test]
fn error_for_no_hunks() {
    assert_eq!(
        error("*** Begin Patch\n\n*** End Patch"),
        "line 3: patch contains no hunks"
    );
}

#[test]
fn error_for_a_header_without_path() {
    assert_eq!(
        error(&patch("*** Add File:   \n+x\n")),
        "line 2: `*** Add File:` must be followed by a file path"
    );
    assert_eq!(
        error(&patch("*** Update File: a\n*** Move to:\n-x\n")),
        "line 3: `*** Move to:` must be followed by a file path"
    );
}

#[test]
fn error_for_an_empty_update() {
    assert_eq!(
        error(&patch("*** Update File: a.txt\n*** Delete File: b.txt\n")),
        "line 2: Update File hunk for `a.txt` is empty"
    );
    assert_eq!(
        error(&patch("*** Update File: a.txt\n*** Move to: b.txt\n")),
        "line 2: Update File hunk for `a.txt` is empty"
    );
}

#[test]
fn error_for_an_empty_chunk() {
    assert_eq!(
        error(&patch("*** Update File: a.txt\n@@\n-x\n@@\n@@ y\n+z\n")),
        "line 5: chunk 2 of the Update File hunk for `a.txt` has no lines"
    );
    assert_eq!(
        error(&patch("*** Update File: a.txt\n-x\n@@ last\n")),
        "line 4: chunk 2 of the Update File hunk for `a.txt` has no lines"
    );
}

#[test]
fn error_for_an_invalid_chunk_line() {
    let err = error(&patch("*** Update File: a.txt\n@@\n-x\nnot a diff line\n"));
    assert_eq!(
        err,
        "line 5: expected a chunk line starting with ` `, `+` or `-`, an `@@` line, or \
         `*** End of File`, found `not a diff line`"
    );
}

#[test]
fn error_for_end_of_file_without_chunk() {
    assert_eq!(
        parse_patch(&patch("*** Update File: a.txt\n*** End of File\n"))
            .unwrap_err()
            .line(),
        3
    );
}

#[test]
fn error_for_an_unknown_marker_after_an_update() {
    assert_eq!(
        error(&patch("*** Update File: a.txt\n-x\n*** Rename File: b\n")),
        "line 4: expected `*** Add File:`, `*** Delete File:` or `*** Update File:`, \
         found `*** Rename File: b`"
    );
}

#[test]
fn to_text_renders_the_canonical_form() {
    let patch = Patch {
        hunks: vec![
            Hunk::AddFile {
                path: PathBuf::from("a.txt"),
                contents: "x\n\ny\n".to_owned(),
            },
            update(
                "b.txt",
                Some("c.txt"),
                vec![
                    chunk(
                        Some("fn f() {"),
                        &["1", "2", "", "3"],
                        &["1", "two", "", "3"],
                        false,
                    ),
                    chunk(None, &["end"], &[], true),
                ],
            ),
            Hunk::DeleteFile {
                path: PathBuf::from("d.txt"),
            },
        ],
    };
    let text = patch.to_text();
    assert_eq!(
        text,
        "*** Begin Patch\n\
         *** Add File: a.txt\n+x\n+\n+y\n\
         *** Update File: b.txt\n*** Move to: c.txt\n\
         @@ fn f() {\n 1\n-2\n+two\n \n 3\n\
         @@\n-end\n*** End of File\n\
         *** Delete File: d.txt\n\
         *** End Patch\n"
    );
    assert_eq!(parse_patch(&text).unwrap(), patch);
}

#[test]
fn grammar_names_every_marker() {
    use crate::apply_patch::APPLY_PATCH_LARK_GRAMMAR;
    for marker in [
        "*** Begin Patch",
        "*** End Patch",
        "*** Add File: ",
        "*** Delete File: ",
        "*** Update File: ",
        "*** Move to: ",
        "*** End of File",
        "\"@@\"",
    ] {
        assert!(APPLY_PATCH_LARK_GRAMMAR.contains(marker), "{marker}");
    }
    assert!(APPLY_PATCH_LARK_GRAMMAR.starts_with("// "));
    assert!(APPLY_PATCH_LARK_GRAMMAR.contains("\nstart: "));
}
