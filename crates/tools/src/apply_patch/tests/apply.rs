use std::fs;
use std::path::Path;

use pretty_assertions::assert_eq;
use tempfile::TempDir;

use super::{patch, read, write};
use crate::apply_patch::{
    AppliedPatch, ApplyPatchError, FileChange, FileChangeKind, apply_patch, parse_patch,
};

fn apply(dir: &Path, body: &str) -> Result<AppliedPatch, ApplyPatchError> {
    apply_patch(&parse_patch(&patch(body)).unwrap(), dir)
}

/// Every file under `dir` with its content, sorted, for "nothing changed" assertions.
fn snapshot(dir: &Path) -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.push((
                    path.strip_prefix(root).unwrap().display().to_string(),
                    "<dir>".into(),
                ));
                walk(root, &path, out);
            } else {
                let content = fs::read_to_string(&path).unwrap();
                out.push((
                    path.strip_prefix(root).unwrap().display().to_string(),
                    content,
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn add_creates_the_file_and_missing_directories() {
    let dir = TempDir::new().unwrap();
    let applied = apply(dir.path(), "*** Add File: a/b/hello.txt\n+Hello\n+world\n").unwrap();
    assert_eq!(read(dir.path(), "a/b/hello.txt"), "Hello\nworld\n");
    assert_eq!(
        applied.changes,
        vec![FileChange {
            path: dir.path().join("a/b/hello.txt"),
            kind: FileChangeKind::Add {
                content: "Hello\nworld\n".to_owned()
            },
        }]
    );
    assert_eq!(
        applied.summary(dir.path()),
        "Success. Updated the following files:\nA a/b/hello.txt\n"
    );
}

#[test]
fn add_overwrites_an_existing_file() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.txt", "old\n");
    apply(dir.path(), "*** Add File: a.txt\n+new\n").unwrap();
    assert_eq!(read(dir.path(), "a.txt"), "new\n");
}

#[test]
fn delete_removes_the_file_and_reports_its_content() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "old.txt", "bye\n");
    let applied = apply(dir.path(), "*** Delete File: old.txt\n").unwrap();
    assert!(!dir.path().join("old.txt").exists());
    assert_eq!(
        applied.changes[0].kind,
        FileChangeKind::Delete {
            content: "bye\n".to_owned()
        }
    );
    assert_eq!(
        applied.summary(dir.path()),
        "Success. Updated the following files:\nD old.txt\n"
    );
}

#[test]
fn delete_of_a_missing_file_fails_and_names_it() {
    let dir = TempDir::new().unwrap();
    let err = apply(dir.path(), "*** Delete File: nope.txt\n").unwrap_err();
    assert!(
        matches!(
            &err,
            ApplyPatchError::ReadFile {
                action: "delete",
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("nope.txt"), "{message}");
    assert!(message.contains("to delete"), "{message}");
}

#[test]
fn update_of_a_missing_file_fails_and_names_it() {
    let dir = TempDir::new().unwrap();
    let err = apply(dir.path(), "*** Update File: gone.rs\n-x\n+y\n").unwrap_err();
    let ApplyPatchError::ReadFile {
        path,
        action,
        error,
    } = &err
    else {
        panic!("unexpected error {err:?}");
    };
    assert_eq!(path, &dir.path().join("gone.rs"));
    assert_eq!(*action, "update");
    assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
}

#[test]
fn update_applies_several_chunks_and_reports_a_unified_diff() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "src/lib.rs", "a\nb\nc\nd\ne\nf\ng\nh\n");
    let applied = apply(
        dir.path(),
        "*** Update File: src/lib.rs\n@@\n a\n-b\n+B\n c\n@@\n f\n-g\n+G1\n+G2\n h\n",
    )
    .unwrap();
    assert_eq!(
        read(dir.path(), "src/lib.rs"),
        "a\nB\nc\nd\ne\nf\nG1\nG2\nh\n"
    );
    assert_eq!(
        applied.changes,
        vec![FileChange {
            path: dir.path().join("src/lib.rs"),
            kind: FileChangeKind::Update {
                unified_diff: "--- a/src/lib.rs\n+++ b/src/lib.rs\n\
                               @@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n\
                               @@ -6,3 +6,4 @@\n f\n-g\n+G1\n+G2\n h\n"
                    .to_owned(),
                move_path: None,
            },
        }]
    );
    assert_eq!(
        applied.summary(dir.path()),
        "Success. Updated the following files:\nM src/lib.rs\n"
    );
}

#[test]
fn context_line_selects_the_right_occurrence() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "a.py",
        "def f():\n    return 1\n\ndef g():\n    return 1\n",
    );
    apply(
        dir.path(),
        "*** Update File: a.py\n@@ def g():\n-    return 1\n+    return 2\n",
    )
    .unwrap();
    assert_eq!(
        read(dir.path(), "a.py"),
        "def f():\n    return 1\n\ndef g():\n    return 2\n"
    );
}

#[test]
fn nested_context_headers_narrow_step_by_step() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "a.py",
        "class A:\n    def f(self):\n        pass\nclass B:\n    def f(self):\n        pass\n",
    );
    apply(
        dir.path(),
        "*** Update File: a.py\n@@ class B:\n@@     def f(self):\n-        pass\n+        return 1\n",
    )
    .unwrap();
    assert_eq!(
        read(dir.path(), "a.py"),
        "class A:\n    def f(self):\n        pass\nclass B:\n    def f(self):\n        return 1\n"
    );
}

#[test]
fn missing_context_line_names_file_and_chunk() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.txt", "one\ntwo\n");
    let err = apply(
        dir.path(),
        "*** Update File: a.txt\n@@\n-one\n+1\n@@ three\n-two\n+2\n",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "failed to find context `three` in {} (hunk 2 of 2)",
            dir.path().join("a.txt").display()
        )
    );
    assert_eq!(read(dir.path(), "a.txt"), "one\ntwo\n");
}

#[test]
fn missing_lines_name_file_chunk_and_lines() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.txt", "one\ntwo\nthree\n");
    let err = apply(
        dir.path(),
        "*** Update File: a.txt\n@@\n-one\n+1\n@@\n two\n-four\n+4\n@@\n-three\n+3\n",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "failed to find expected lines in {} (hunk 2 of 3):\ntwo\nfour",
            dir.path().join("a.txt").display()
        )
    );
}

#[test]
fn chunks_must_appear_in_file_order() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.txt", "one\ntwo\n");
    let err = apply(
        dir.path(),
        "*** Update File: a.txt\n@@\n-two\n+2\n@@\n-one\n+1\n",
    )
    .unwrap_err();
    assert!(
        matches!(err, ApplyPatchError::LinesNotFound { chunk: 2, .. }),
        "{err:?}"
    );
}

#[test]
fn failing_hunk_leaves_every_file_untouched() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.txt", "alpha\n");
    write(dir.path(), "b.txt", "beta\n");
    write(dir.path(), "gone.txt", "still here\n");
    let before = snapshot(dir.path());
    let err = apply(
        dir.path(),
        "*** Add File: new/new.txt\n+fresh\n\
         *** Update File: a.txt\n-alpha\n+ALPHA\n\
         *** Delete File: gone.txt\n\
         *** Update File: b.txt\n@@\n-gamma\n+GAMMA\n",
    )
    .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("b.txt"), "{message}");
    assert!(message.contains("hunk 1 of 1"), "{message}");
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn failing_directory_creation_leaves_every_file_untouched() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.txt", "alpha\n");
    write(dir.path(), "blocker", "a file, not a directory\n");
    let before = snapshot(dir.path());
    let err = apply(
        dir.path(),
        "*** Update File: a.txt\n-alpha\n+ALPHA\n*** Add File: blocker/x.txt\n+x\n",
    )
    .unwrap_err();
    let ApplyPatchError::CreateParent { path, .. } = &err else {
        panic!("unexpected error {err:?}");
    };
    assert_eq!(path, &dir.path().join("blocker/x.txt"));
    assert!(err.to_string().contains("is not a directory"), "{err}");
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn move_writes_the_destination_and_removes_the_source() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "old/name.txt", "x\ny\n");
    let applied = apply(
        dir.path(),
        "*** Update File: old/name.txt\n*** Move to: new/dir/name.txt\n@@\n x\n-y\n+z\n",
    )
    .unwrap();
    assert!(!dir.path().join("old/name.txt").exists());
    assert_eq!(read(dir.path(), "new/dir/name.txt"), "x\nz\n");
    let FileChangeKind::Update {
        unified_diff,
        move_path,
    } = &applied.changes[0].kind
    else {
        panic!("expected an update");
    };
    assert_eq!(
        move_path.as_deref(),
        Some(dir.path().join("new/dir/name.txt").as_path())
    );
    assert!(
        unified_diff.starts_with("--- a/old/name.txt\n+++ b/new/dir/name.txt\n"),
        "{unified_diff}"
    );
    assert_eq!(
        applied.summary(dir.path()),
        "Success. Updated the following files:\nM new/dir/name.txt\n"
    );
}

#[test]
fn end_of_file_chunk_matches_at_the_end() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.rs", "}\nfn x() {\n}\n");
    apply(
        dir.path(),
        "*** Update File: a.rs\n@@\n-}\n+} // x\n*** End of File\n",
    )
    .unwrap();
    assert_eq!(read(dir.path(), "a.rs"), "}\nfn x() {\n} // x\n");
    // Without the marker the first occurrence is edited.
    apply(dir.path(), "*** Update File: a.rs\n@@\n-}\n+} // first\n").unwrap();
    assert_eq!(read(dir.path(), "a.rs"), "} // first\nfn x() {\n} // x\n");
}

#[test]
fn fuzz_level_trailing_whitespace() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.txt", "keep  \nchange me   \n");
    apply(
        dir.path(),
        "*** Update File: a.txt\n keep\n-change me\n+changed\n",
    )
    .unwrap();
    assert_eq!(read(dir.path(), "a.txt"), "keep  \nchanged\n");
}

#[test]
fn fuzz_level_surrounding_whitespace() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.py", "if x:\n\treturn 1\n");
    apply(
        dir.path(),
        "*** Update File: a.py\n if x:\n-    return 1\n+\treturn 2\n",
    )
    .unwrap();
    assert_eq!(read(dir.path(), "a.py"), "if x:\n\treturn 2\n");
}

#[test]
fn fuzz_level_unicode_punctuation() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "a.md",
        "It\u{2019}s \u{201C}quoted\u{201D} \u{2014} see\u{00A0}below\nnext\n",
    );
    apply(
        dir.path(),
        "*** Update File: a.md\n-It's \"quoted\" - see below\n+It is quoted.\n next\n",
    )
    .unwrap();
    assert_eq!(read(dir.path(), "a.md"), "It is quoted.\nnext\n");
}

#[test]
fn pure_insertion_appends_or_follows_the_context_line() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.txt", "one\ntwo\nthree\n");
    apply(dir.path(), "*** Update File: a.txt\n@@\n+four\n").unwrap();
    assert_eq!(read(dir.path(), "a.txt"), "one\ntwo\nthree\nfour\n");
    apply(
        dir.path(),
        "*** Update File: a.txt\n@@ one\n+one and a half\n",
    )
    .unwrap();
    assert_eq!(
        read(dir.path(), "a.txt"),
        "one\none and a half\ntwo\nthree\nfour\n"
    );
}

#[test]
fn trailing_empty_old_line_is_retried_without_it() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.txt", "x\ny\n");
    apply(dir.path(), "*** Update File: a.txt\n@@\n x\n-y\n+z\n \n").unwrap();
    assert_eq!(read(dir.path(), "a.txt"), "x\nz\n");
}

#[test]
fn result_always_ends_with_a_newline() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.txt", "x\ny");
    apply(dir.path(), "*** Update File: a.txt\n-x\n+X\n").unwrap();
    assert_eq!(read(dir.path(), "a.txt"), "X\ny\n");
    apply(dir.path(), "*** Update File: a.txt\n-X\n-y\n").unwrap();
    assert_eq!(read(dir.path(), "a.txt"), "");
}

#[test]
fn crlf_files_keep_their_line_endings() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.txt", "one\r\ntwo\r\n");
    apply(dir.path(), "*** Update File: a.txt\n one\n-two\n+2\n+3\n").unwrap();
    assert_eq!(read(dir.path(), "a.txt"), "one\r\n2\r\n3\r\n");
}

#[test]
fn later_hunks_see_earlier_hunks_of_the_same_patch() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.txt", "1\n2\n");
    let applied = apply(
        dir.path(),
        "*** Update File: a.txt\n-1\n+one\n*** Update File: ./a.txt\n-2\n+two\n\
         *** Add File: b.txt\n+b\n*** Update File: b.txt\n-b\n+bee\n",
    )
    .unwrap();
    assert_eq!(read(dir.path(), "a.txt"), "one\ntwo\n");
    assert_eq!(read(dir.path(), "b.txt"), "bee\n");
    assert_eq!(
        applied.summary(dir.path()),
        "Success. Updated the following files:\nM a.txt\nM a.txt\nA b.txt\nM b.txt\n"
    );
}

#[test]
fn update_after_delete_in_the_same_patch_fails() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.txt", "x\n");
    let err = apply(
        dir.path(),
        "*** Delete File: a.txt\n*** Update File: a.txt\n-x\n+y\n",
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("deleted by an earlier hunk"),
        "{err}"
    );
    assert_eq!(read(dir.path(), "a.txt"), "x\n");
}

#[test]
fn absolute_paths_are_accepted() {
    let dir = TempDir::new().unwrap();
    let other = TempDir::new().unwrap();
    let target = other.path().join("abs.txt");
    let applied = apply(
        dir.path(),
        &format!("*** Add File: {}\n+x\n", target.display()),
    )
    .unwrap();
    assert_eq!(fs::read_to_string(&target).unwrap(), "x\n");
    assert_eq!(
        applied.summary(dir.path()),
        format!(
            "Success. Updated the following files:\nA {}\n",
            target.display()
        )
    );
}

#[test]
fn no_temporary_files_are_left_behind() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.txt", "x\n");
    apply(
        dir.path(),
        "*** Update File: a.txt\n-x\n+y\n*** Add File: b.txt\n+b\n",
    )
    .unwrap();
    assert_eq!(
        snapshot(dir.path()),
        vec![
            ("a.txt".to_owned(), "y\n".to_owned()),
            ("b.txt".to_owned(), "b\n".to_owned())
        ]
    );
}

#[cfg(unix)]
#[test]
fn permissions_survive_updates_and_moves() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = TempDir::new().unwrap();
    write(dir.path(), "run.sh", "echo 1\n");
    fs::set_permissions(dir.path().join("run.sh"), fs::Permissions::from_mode(0o755)).unwrap();
    apply(dir.path(), "*** Update File: run.sh\n-echo 1\n+echo 2\n").unwrap();
    let mode = |rel: &str| {
        fs::metadata(dir.path().join(rel))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("run.sh"), 0o755);
    apply(
        dir.path(),
        "*** Update File: run.sh\n*** Move to: bin/run.sh\n-echo 2\n+echo 3\n",
    )
    .unwrap();
    assert_eq!(mode("bin/run.sh"), 0o755);
}

#[cfg(unix)]
#[test]
fn updates_write_through_symlinks() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "real.txt", "x\n");
    std::os::unix::fs::symlink(dir.path().join("real.txt"), dir.path().join("link.txt")).unwrap();
    apply(dir.path(), "*** Update File: link.txt\n-x\n+y\n").unwrap();
    assert!(
        fs::symlink_metadata(dir.path().join("link.txt"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(read(dir.path(), "real.txt"), "y\n");
}

#[test]
fn directories_cannot_be_added_over_deleted_or_updated() {
    let dir = TempDir::new().unwrap();
    fs::create_dir(dir.path().join("sub")).unwrap();
    let err = apply(dir.path(), "*** Add File: sub\n+x\n").unwrap_err();
    assert!(matches!(err, ApplyPatchError::WriteFile { .. }), "{err:?}");
    let err = apply(dir.path(), "*** Delete File: sub\n").unwrap_err();
    assert!(matches!(err, ApplyPatchError::ReadFile { .. }), "{err:?}");
    assert!(dir.path().join("sub").is_dir());
}

#[test]
fn add_then_delete_in_one_patch_leaves_nothing() {
    let dir = TempDir::new().unwrap();
    let applied = apply(
        dir.path(),
        "*** Add File: t.txt\n+x\n*** Delete File: t.txt\n",
    )
    .unwrap();
    assert!(!dir.path().join("t.txt").exists());
    assert_eq!(
        applied.summary(dir.path()),
        "Success. Updated the following files:\nA t.txt\nD t.txt\n"
    );
}
