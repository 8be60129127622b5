use std::path::PathBuf;

use pretty_assertions::assert_eq;

use crate::apply_patch::{ShellPatch, parse_patch, patch_from_shell_argv, patch_from_shell_script};

const PATCH: &str = "*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch\n";

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

fn found(workdir: Option<&str>) -> Option<ShellPatch> {
    Some(ShellPatch {
        patch: PATCH.to_owned(),
        workdir: workdir.map(PathBuf::from),
    })
}

#[test]
fn direct_argv() {
    assert_eq!(
        patch_from_shell_argv(&argv(&["apply_patch", PATCH])),
        found(None)
    );
    assert_eq!(
        patch_from_shell_argv(&argv(&["applypatch", PATCH])),
        found(None)
    );
}

#[test]
fn shell_heredoc_argv() {
    for shell in ["bash", "sh", "zsh", "/bin/bash", "/usr/bin/zsh"] {
        for flag in ["-lc", "-c"] {
            let script = format!("apply_patch <<'EOF'\n{PATCH}EOF\n");
            assert_eq!(
                patch_from_shell_argv(&argv(&[shell, flag, &script])),
                found(None),
                "{shell} {flag}"
            );
        }
    }
}

#[test]
fn heredoc_delimiter_spellings() {
    for opener in ["<<EOF", "<<'EOF'", "<<\"EOF\"", "<< EOF", "<< 'EOF'"] {
        let script = format!("apply_patch {opener}\n{PATCH}EOF");
        assert_eq!(patch_from_shell_script(&script), found(None), "{opener}");
    }
    let script = format!("applypatch<<'PATCH'\n{PATCH}PATCH\n\n");
    assert_eq!(patch_from_shell_script(&script), found(None));
}

#[test]
fn heredoc_with_dash_strips_leading_tabs() {
    let indented: String = PATCH.lines().map(|l| format!("\t{l}\n")).collect();
    let script = format!("apply_patch <<-EOF\n{indented}\tEOF\n");
    assert_eq!(patch_from_shell_script(&script), found(None));
}

#[test]
fn unterminated_heredoc_at_end_of_script() {
    let script = format!("apply_patch <<'EOF'\n{PATCH}");
    let shell_patch = patch_from_shell_script(&script).unwrap();
    assert_eq!(parse_patch(&shell_patch.patch).unwrap().hunks.len(), 1);
}

#[test]
fn leading_cd_is_returned_as_workdir() {
    let script = format!("cd src/app && apply_patch <<'EOF'\n{PATCH}EOF\n");
    assert_eq!(
        patch_from_shell_argv(&argv(&["bash", "-lc", &script])),
        found(Some("src/app"))
    );
    let script = format!("cd 'my dir' && apply_patch <<EOF\n{PATCH}EOF\n");
    assert_eq!(patch_from_shell_script(&script), found(Some("my dir")));
}

#[test]
fn quoted_argument_and_nested_shell() {
    let quoted = shlex::try_quote(PATCH).unwrap();
    let script = format!("apply_patch {quoted}");
    assert_eq!(patch_from_shell_script(&script), found(None));
    let script = format!("cd /repo && applypatch {quoted}");
    assert_eq!(patch_from_shell_script(&script), found(Some("/repo")));

    let inner = shlex::try_quote(&format!("apply_patch <<'EOF'\n{PATCH}EOF\n"))
        .unwrap()
        .into_owned();
    assert_eq!(
        patch_from_shell_script(&format!("bash -lc {inner}")),
        found(None)
    );
}

#[test]
fn exec_command_style_script() {
    let script = format!("apply_patch <<'EOF'\n{PATCH}EOF");
    let shell_patch = patch_from_shell_script(&script).unwrap();
    assert_eq!(shell_patch.patch, PATCH);
    assert!(parse_patch(&shell_patch.patch).is_ok());
}

#[test]
fn other_commands_are_not_recognised() {
    for words in [
        vec!["apply_patch"],
        vec!["ls", "-la"],
        vec!["apply_patch", PATCH, "extra"],
        vec!["python", "-c", "apply_patch <<EOF\nx\nEOF\n"],
        vec!["bash", "-x", "apply_patch <<EOF\nx\nEOF\n"],
        vec!["bash", "-lc", "echo hi"],
    ] {
        assert_eq!(patch_from_shell_argv(&argv(&words)), None, "{words:?}");
    }
    for script in [
        "",
        "apply_patch",
        "git status",
        "cat <<'EOF'\n*** Begin Patch\nEOF\n",
        "apply_patch <<'EOF'\nEOF\n",
        "apply_patch <<'EOF'\n*** Begin Patch\n*** End Patch\nEOF\necho done\n",
        "apply_patch <<'EOF' && echo hi\n*** Begin Patch\nEOF\n",
        "cd && apply_patch <<'EOF'\nx\nEOF\n",
        "echo 'unbalanced",
    ] {
        assert_eq!(patch_from_shell_script(script), None, "{script:?}");
    }
}
