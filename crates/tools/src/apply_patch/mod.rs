//! The `*** Begin Patch` file-editing format: parsing, applying, and recognising
//! `apply_patch` invoked through a shell command.
//!
//! A patch is a list of hunks, each naming one file:
//!
//! ```text
//! *** Begin Patch
//! *** Add File: docs/new.md
//! +first line
//! *** Delete File: old.txt
//! *** Update File: src/lib.rs
//! *** Move to: src/main.rs
//! @@ fn main() {
//!  context
//! -removed
//! +added
//! *** End of File
//! *** End Patch
//! ```
//!
//! - [`parse_patch`] turns text into a [`Patch`]; it is lenient about the things models get
//!   wrong in practice (whitespace around the markers, a heredoc wrapper, a missing first `@@`,
//!   blank lines standing for empty context lines) and strict about everything else, with
//!   line-numbered [`ParseError`]s.
//! - [`apply_patch`] checks every hunk against the file system before writing anything, then
//!   writes each file atomically, and reports an [`AppliedPatch`].
//! - [`patch_from_shell_argv`] / [`patch_from_shell_script`] recognise `apply_patch` run as a
//!   shell command (`apply_patch <<'EOF' ... EOF`), so the agent can apply such patches itself.
//! - [`APPLY_PATCH_LARK_GRAMMAR`] is the grammar given to the model for the freeform tool.

mod apply;
mod grammar;
mod parse;
mod seek;
mod shell;

#[cfg(test)]
mod tests;

pub use apply::{AppliedPatch, ApplyPatchError, FileChange, FileChangeKind, apply_patch};
pub use grammar::APPLY_PATCH_LARK_GRAMMAR;
pub use parse::{Hunk, ParseError, Patch, UpdateChunk, parse_patch};
pub use shell::{ShellPatch, patch_from_shell_argv, patch_from_shell_script};
