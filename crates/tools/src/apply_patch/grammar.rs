//! The Lark grammar that constrains the model's input to the freeform `apply_patch` tool.
//!
//! It describes the canonical form of the format (what [`Patch::to_text`](super::Patch::to_text)
//! writes): every chunk opens with an `@@` line, context lines carry their leading space, and
//! blank lines only appear as `+` lines. The parser accepts more than this; the grammar is
//! deliberately strict so that constrained generation yields the unambiguous form. Terminals
//! are plain regexes without look-around, as grammar-constrained sampling requires.

/// Sent as the freeform tool's `format.definition` (with `"syntax": "lark"`).
pub const APPLY_PATCH_LARK_GRAMMAR: &str = r#"// A patch: one or more file operations between the two marker lines.
start: begin_marker file_op+ end_marker

begin_marker: "*** Begin Patch" NL
end_marker: "*** End Patch" NL?

file_op: add_file | delete_file | update_file

// A new file; every content line is a "+" line.
add_file: "*** Add File: " FILE_PATH NL added_line*
added_line: "+" LINE_TEXT? NL

delete_file: "*** Delete File: " FILE_PATH NL

// Edits to an existing file, optionally renaming it afterwards.
update_file: "*** Update File: " FILE_PATH NL rename? chunk+
rename: "*** Move to: " FILE_PATH NL

// Several "@@ <line>" headers in a row narrow the search step by step
// (e.g. a class, then a method inside it).
chunk: chunk_header+ chunk_line+ end_of_file?
chunk_header: "@@" (" " ANCHOR_TEXT)? NL
chunk_line: context_line | removed_line | inserted_line
context_line: " " LINE_TEXT? NL
removed_line: "-" LINE_TEXT? NL
inserted_line: "+" LINE_TEXT? NL
end_of_file: "*** End of File" NL

FILE_PATH: /[^\r\n]+/
ANCHOR_TEXT: /[^\r\n]+/
LINE_TEXT: /[^\r\n]+/
NL: "\n"
"#;
