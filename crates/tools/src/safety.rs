//! The known-safe command classifier: read-only commands that may run without asking even under
//! `approval_policy = "untrusted"`.
//!
//! The list of programs and their argument rules is upstream's (inventory APR-04): `cat cd cut
//! echo expr false grep head id ls nl paste pwd rev seq stat tail tr true uname uniq wc which
//! whoami` (plus `numfmt` and `tac`), `base64` without `-o/--output`, `find` without the
//! actions that run programs or write files, `rg` without the flags that run programs, read-only
//! `git` subcommands and `sed -n Np`. We are stricter than upstream in a few places, each noted
//! where it happens (e.g. `uniq` with an output file, `git` with global options).
//!
//! Shell wrappers (`bash -lc '...'`, `sh -c`, `zsh -lc`) are safe when their script parses (with
//! tree-sitter-bash) into plain commands joined by `&&`, `||`, `;`, `|` or newlines, each of them
//! safe on its own. Anything else in the script (redirections, command or process substitution,
//! parameter expansion, subshells, groups, heredocs, assignments, globs, control flow, parse
//! errors) makes the whole command unsafe: we only trust what we fully understand.

use tree_sitter::{Node, Parser};

/// Shell programs whose `-c`/`-lc` scripts we look into.
const SHELLS: &[&str] = &["bash", "sh", "zsh"];

/// Directories a shell wrapper's absolute path may live in (a `./bash` in the workspace could
/// be anything).
const SYSTEM_BIN_DIRS: &[&str] = &["/bin", "/usr/bin", "/usr/local/bin", "/opt/homebrew/bin"];

/// Programs that are read-only whatever their arguments (upstream's list).
const ALWAYS_SAFE: &[&str] = &[
    "cat", "cd", "cut", "echo", "expr", "false", "grep", "head", "id", "ls", "nl", "numfmt",
    "paste", "pwd", "rev", "seq", "stat", "tac", "tail", "tr", "true", "uname", "wc", "which",
    "whoami",
];

/// Whether `argv` is known to only read: either a safe command itself or a shell wrapper whose
/// script consists only of safe commands. Never panics, whatever the input.
pub fn is_known_safe_command(argv: &[String]) -> bool {
    if let Some(script) = shell_wrapper_script(argv) {
        return match parse_shell_script(script) {
            Some(commands) => !commands.is_empty() && commands.iter().all(|c| is_safe_argv(c)),
            None => false,
        };
    }
    is_safe_argv(argv)
}

/// The script of a `bash -c SCRIPT` / `bash -lc SCRIPT` invocation (also `sh`, `zsh`), or `None`
/// if `argv` is not exactly such a wrapper.
pub fn shell_wrapper_script(argv: &[String]) -> Option<&str> {
    let [shell, flag, script] = argv else {
        return None;
    };
    if !is_shell_program(shell) || !matches!(flag.as_str(), "-c" | "-lc") {
        return None;
    }
    Some(script.as_str())
}

fn is_shell_program(program: &str) -> bool {
    if SHELLS.contains(&program) {
        return true;
    }
    match program.rsplit_once('/') {
        Some((dir, name)) => SYSTEM_BIN_DIRS.contains(&dir) && SHELLS.contains(&name),
        None => false,
    }
}

/// The plain commands of a shell script, as word sequences in order, or `None` if the script
/// contains anything but plain words joined by `&&`, `||`, `;`, `|` and newlines (comments are
/// ignored). Quoting is resolved: `'a b'` and `"a b"` become the word `a b`; a double-quoted
/// string with any expansion inside, unquoted glob/brace/tilde characters and ANSI-C strings are
/// rejected because their value depends on the environment.
pub fn parse_shell_script(script: &str) -> Option<Vec<Vec<String>>> {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_bash::LANGUAGE.into())
        .ok()?;
    let tree = parser.parse(ascii_mask(script), None)?;
    let root = tree.root_node();
    if root.kind() != "program" || root.has_error() {
        return None;
    }
    let mut commands = Vec::new();
    collect_sequence(root, script, &mut commands)?;
    Some(commands)
}

/// `script` with every non-ASCII character replaced by as many `x` as it has UTF-8 bytes, so
/// byte offsets (and thus node ranges into the original) are unchanged. tree-sitter-bash 0.25's
/// external scanner passes the code point after a `{` to C `isdigit`, which is only defined up to
/// 255: glibc then reads outside its table, and `{` followed by, say, U+E01A5 crashed the
/// process (found by `classification_never_panics`). Non-ASCII characters only ever occur
/// inside words, where a letter parses the same way.
fn ascii_mask(script: &str) -> String {
    if script.is_ascii() {
        return script.to_string();
    }
    script
        .chars()
        .flat_map(|c| {
            let n = if c.is_ascii() { 1 } else { c.len_utf8() };
            std::iter::repeat_n(if c.is_ascii() { c } else { 'x' }, n)
        })
        .collect()
}

/// A `program`, `list` or `pipeline`: named children are commands (or nested lists/pipelines),
/// anonymous children must be one of the joiners.
fn collect_sequence(node: Node<'_>, src: &str, out: &mut Vec<Vec<String>>) -> Option<()> {
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        if !child.is_named() {
            let joiner_ok = match node.kind() {
                "program" => child.kind() == ";",
                "list" => matches!(child.kind(), "&&" | "||"),
                "pipeline" => child.kind() == "|",
                _ => false,
            };
            if !joiner_ok {
                return None;
            }
            continue;
        }
        match child.kind() {
            "comment" => {}
            "command" => out.push(command_words(child, src)?),
            "list" | "pipeline" => collect_sequence(child, src, out)?,
            _ => return None,
        }
    }
    Some(())
}

/// The words of a plain `command` node: a name and arguments, nothing else.
fn command_words(node: Node<'_>, src: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        if child.is_missing() || child.is_error() {
            return None;
        }
        match child.kind() {
            "command_name" => {
                let mut inner = child.walk();
                let mut parts = child.named_children(&mut inner);
                let first = parts.next()?;
                if parts.next().is_some() || child.named_child_count() != 1 {
                    return None;
                }
                words.push(word_value(first, src)?);
            }
            _ => words.push(word_value(child, src)?),
        }
    }
    if words.is_empty() { None } else { Some(words) }
}

/// The literal value of one argument node, or `None` if it is not a literal.
fn word_value(node: Node<'_>, src: &str) -> Option<String> {
    let text = src.get(node.byte_range())?;
    match node.kind() {
        "word" | "number" => unquoted_word(text),
        "raw_string" => text
            .strip_prefix('\'')
            .and_then(|t| t.strip_suffix('\''))
            .map(str::to_string),
        "string" => double_quoted(node, text),
        "concatenation" => {
            let mut value = String::new();
            let mut cursor = node.walk();
            for part in node.children(&mut cursor) {
                if !part.is_named() {
                    return None;
                }
                value.push_str(&word_value(part, src)?);
            }
            Some(value)
        }
        _ => None,
    }
}

/// An unquoted word: backslash escapes are resolved; characters that make the shell expand the
/// word (globs, braces, a leading tilde, `$`, backquotes) reject it.
fn unquoted_word(text: &str) -> Option<String> {
    if text.starts_with('~') {
        return None;
    }
    let mut value = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                // A backslash-newline is a line continuation: it vanishes.
                Some('\n') => {}
                Some(escaped) => value.push(escaped),
                None => return None,
            },
            '*' | '?' | '[' | ']' | '{' | '}' | '$' | '`' | '\'' | '"' | '(' | ')' | '<' | '>'
            | '|' | '&' | ';' => return None,
            c if c.is_whitespace() => return None,
            c => value.push(c),
        }
    }
    Some(value)
}

/// A double-quoted string without expansions inside: only `"` delimiters and `string_content`.
fn double_quoted(node: Node<'_>, text: &str) -> Option<String> {
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        let ok = if child.is_named() {
            child.kind() == "string_content"
        } else {
            child.kind() == "\""
        };
        if !ok {
            return None;
        }
    }
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    let mut value = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('"' | '\\' | '$' | '`')) => value.push(e),
                Some('\n') => {}
                Some(other) => {
                    value.push('\\');
                    value.push(other);
                }
                None => return None,
            },
            // Would be an expansion; the grammar should have said so, but do not rely on it.
            '$' | '`' => return None,
            c => value.push(c),
        }
    }
    Some(value)
}

/// Whether one plain argv (no shell involved) is a known-safe read-only command.
fn is_safe_argv(argv: &[String]) -> bool {
    let Some((program, args)) = argv.split_first() else {
        return false;
    };
    let program = program.as_str();
    if ALWAYS_SAFE.contains(&program) {
        return true;
    }
    match program {
        "base64" => !args.iter().any(|a| {
            a == "-o" || a.starts_with("--output") || (is_short_cluster(a) && a.contains('o'))
        }),
        "find" => !args.iter().any(|a| is_unsafe_find_arg(a)),
        "rg" => !args.iter().any(|a| is_unsafe_rg_arg(a)),
        "git" => is_safe_git(args),
        "sed" => is_safe_sed(args),
        "uniq" => is_safe_uniq(args),
        _ => false,
    }
}

/// `-abc`: a cluster of short options (not `--long`, not `-` alone).
fn is_short_cluster(arg: &str) -> bool {
    arg.len() > 1 && arg.starts_with('-') && !arg.starts_with("--")
}

/// `find` actions that run programs, delete or write files.
fn is_unsafe_find_arg(arg: &str) -> bool {
    matches!(
        arg,
        "-exec"
            | "-execdir"
            | "-ok"
            | "-okdir"
            | "-delete"
            | "-fls"
            | "-fprint"
            | "-fprint0"
            | "-fprintf"
    )
}

/// `rg` flags that run other programs: preprocessors, hostname helpers and decompressors.
fn is_unsafe_rg_arg(arg: &str) -> bool {
    arg == "--pre"
        || arg.starts_with("--pre=")
        || arg == "--hostname-bin"
        || arg.starts_with("--hostname-bin=")
        || arg == "--search-zip"
        || (is_short_cluster(arg) && arg.contains('z'))
}

/// `sed -n Np` / `sed -n M,Np`, optionally followed by file names.
fn is_safe_sed(args: &[String]) -> bool {
    let [flag, script, files @ ..] = args else {
        return false;
    };
    flag == "-n" && is_print_range(script) && files.iter().all(|f| !f.starts_with('-'))
}

fn is_print_range(script: &str) -> bool {
    let Some(range) = script.strip_suffix('p') else {
        return false;
    };
    let is_number = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match range.split_once(',') {
        Some((from, to)) => is_number(from) && is_number(to),
        None => is_number(range),
    }
}

/// `uniq [OPTION]... [INPUT]`: a second operand is an output file, which upstream allows and we
/// do not.
fn is_safe_uniq(args: &[String]) -> bool {
    let mut operands = 0;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if matches!(arg.as_str(), "-f" | "-s" | "-w") {
            // The option's value is the next argument.
            if iter.next().is_none() {
                return false;
            }
        } else if arg == "-" || !arg.starts_with('-') {
            operands += 1;
        }
    }
    operands <= 1
}

/// Read-only git subcommands. The subcommand must come first: global options such as `-c`,
/// `--exec-path` or `--git-dir` can make any subcommand run programs, so we do not accept them.
fn is_safe_git(args: &[String]) -> bool {
    let Some((subcommand, rest)) = args.split_first() else {
        return false;
    };
    match subcommand.as_str() {
        "status" | "log" | "diff" | "show" => !rest.iter().any(|a| is_unsafe_git_output_arg(a)),
        "branch" => is_listing_git_branch(rest),
        _ => false,
    }
}

/// Flags that write files or run external diff programs.
fn is_unsafe_git_output_arg(arg: &str) -> bool {
    arg == "--output" || arg.starts_with("--output=") || arg == "--ext-diff" || arg == "--textconv"
}

/// `git branch` that only lists: every flag is a listing flag; operands (patterns) only with
/// `--list`/`-l`, since otherwise an operand creates a branch.
fn is_listing_git_branch(args: &[String]) -> bool {
    const LISTING_FLAGS: &[&str] = &[
        "-a",
        "--all",
        "-r",
        "--remotes",
        "-v",
        "-vv",
        "--verbose",
        "-l",
        "--list",
        "--show-current",
        "--color",
        "--no-color",
        "--column",
        "--no-column",
        "-i",
        "--ignore-case",
        "--omit-empty",
        "--no-abbrev",
    ];
    const LISTING_VALUE_FLAGS: &[&str] = &[
        "--color=",
        "--column=",
        "--abbrev=",
        "--sort=",
        "--format=",
        "--contains=",
        "--no-contains=",
        "--merged=",
        "--no-merged=",
        "--points-at=",
    ];
    let listing = args.iter().any(|a| a == "--list" || a == "-l");
    args.iter().all(|a| {
        if a.starts_with('-') {
            LISTING_FLAGS.contains(&a.as_str())
                || LISTING_VALUE_FLAGS.iter().any(|p| a.starts_with(p))
        } else {
            listing
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use proptest::prelude::*;

    fn argv(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    fn bash(script: &str) -> Vec<String> {
        argv(&["bash", "-lc", script])
    }

    #[test]
    fn safe_plain_commands() {
        let safe = [
            "cat README.md",
            "cd src",
            "cut -d : -f 1 /etc/passwd",
            "echo hello world",
            "expr 1 + 2",
            "false",
            "grep -rn foo src",
            "head -n 5 file",
            "id",
            "ls -la",
            "nl file",
            "numfmt --to=iec 1024",
            "paste a b",
            "pwd",
            "rev file",
            "seq 1 10",
            "stat Cargo.toml",
            "tac file",
            "tail -n 20 log",
            "tr a-z A-Z",
            "true",
            "uname -a",
            "uniq file",
            "uniq -c -f 1 file",
            "wc -l file",
            "which cargo",
            "whoami",
            "base64 file",
            "base64 -d file",
            "find . -name foo -type f",
            "find . -print",
            "rg -n foo src",
            "rg --files",
            "rg -i -e zebra",
            "git status",
            "git log --oneline -n 5",
            "git diff HEAD~1",
            "git show HEAD",
            "git branch",
            "git branch -a -v",
            "git branch --show-current",
            "git branch --list feat*",
            "sed -n 10p file",
            "sed -n 1,20p file",
            "sed -n 5p",
        ];
        for cmd in safe {
            assert!(is_known_safe_command(&words(cmd)), "should be safe: {cmd}");
        }
    }

    #[test]
    fn unsafe_plain_commands() {
        let unsafe_ = [
            "",
            "rm -rf /",
            "touch file",
            "python3 script.py",
            "bash",
            "/bin/ls",
            "./cat file",
            "base64 -o out file",
            "base64 --output out file",
            "base64 --output=out file",
            "base64 -do out",
            "find . -exec rm {} ;",
            "find . -execdir rm {} ;",
            "find . -ok rm {} ;",
            "find . -okdir rm {} ;",
            "find . -delete",
            "find . -fls out",
            "find . -fprint out",
            "find . -fprint0 out",
            "find . -fprintf out %p",
            "rg --pre cat foo",
            "rg --pre=cat foo",
            "rg --hostname-bin foo x",
            "rg --hostname-bin=foo x",
            "rg --search-zip foo",
            "rg -z foo",
            "rg -iz foo",
            "git",
            "git push",
            "git commit -m x",
            "git checkout main",
            "git reset --hard",
            "git -c core.pager=evil log",
            "git --git-dir=x status",
            "git diff --output=out",
            "git diff --output out",
            "git log --ext-diff",
            "git show --textconv HEAD",
            "git branch new-branch",
            "git branch -d old",
            "git branch -D old",
            "git branch -m a b",
            "git branch --set-upstream-to=origin/main",
            "git branch -u origin/main",
            "sed -i s/a/b/ file",
            "sed -n 1p -i file",
            "sed s/a/b/ file",
            "sed -n 1w out",
            "sed -n p file",
            "sed -n 1,p file",
            "sed -n x1p file",
            "sed -e 1p file",
            "uniq in out",
            "uniq -f",
        ];
        for cmd in unsafe_ {
            assert!(
                !is_known_safe_command(&words(cmd)),
                "should be unsafe: {cmd:?}"
            );
        }
    }

    #[test]
    fn shell_wrappers_with_every_joiner() {
        let safe = [
            "ls",
            "ls -la && git status",
            "ls || echo none",
            "pwd; ls",
            "cat file | grep foo | wc -l",
            "ls && pwd || echo x; git log -n 1 | head -n 3",
            "ls\npwd\n",
            "ls # just listing",
            "echo 'a b' \"c d\" e\\ f",
            "grep -n \"fn main\" src/main.rs",
            "sed -n '1,20p' file.rs",
            "rg -n 'foo|bar' src",
        ];
        for script in safe {
            for shell in ["bash", "sh", "zsh", "/bin/bash", "/usr/bin/zsh"] {
                for flag in ["-c", "-lc"] {
                    let cmd = argv(&[shell, flag, script]);
                    assert!(is_known_safe_command(&cmd), "should be safe: {cmd:?}");
                }
            }
        }
    }

    #[test]
    fn shell_wrappers_with_unsafe_constructs() {
        let unsafe_ = [
            // An unsafe command anywhere.
            "ls && rm -rf x",
            "rm -rf x; ls",
            "cat file | python3",
            "ls || touch x",
            // Redirections.
            "ls > out",
            "ls >> out",
            "ls 2>&1",
            "cat < in",
            "ls &> out",
            "cat <<< hello",
            // Heredocs.
            "cat <<EOF\nhi\nEOF",
            // Substitutions and expansions.
            "echo $(rm -rf x)",
            "echo `rm -rf x`",
            "cat <(ls)",
            "echo $HOME",
            "echo ${HOME}",
            "echo \"$HOME\"",
            "echo \"$(ls)\"",
            "$CMD",
            "$(echo rm) -rf x",
            "echo $'\\x41'",
            "echo $((1+2))",
            // Assignments.
            "FOO=1 ls",
            "FOO=1",
            // Globs, braces, tilde.
            "ls *.rs",
            "ls file?",
            "ls [ab]",
            "echo {a,b}",
            "ls ~/x",
            // Subshells, groups, control flow, background, negation, other pipes.
            "(ls)",
            "{ ls; }",
            "ls &",
            "! ls",
            "ls |& wc",
            "if true; then ls; fi",
            "for f in a b; do cat $f; done",
            "while true; do ls; done",
            "f() { ls; }; f",
            "[[ -f x ]] && ls",
            "[ -f x ]",
            "case x in x) ls;; esac",
            "ls;;",
            // Parse errors and empty scripts.
            "echo 'unterminated",
            "ls &&",
            "",
            "   ",
            "# only a comment",
            // Nested shells are not looked into.
            "bash -c ls",
        ];
        for script in unsafe_ {
            assert!(
                !is_known_safe_command(&bash(script)),
                "should be unsafe: {script:?}"
            );
        }
    }

    #[test]
    fn wrappers_must_have_exact_shape() {
        assert!(!is_known_safe_command(&argv(&["bash", "-lc"])));
        assert!(!is_known_safe_command(&argv(&["bash", "-x", "ls"])));
        assert!(!is_known_safe_command(&argv(&[
            "bash", "-lc", "ls", "extra"
        ])));
        assert!(!is_known_safe_command(&argv(&["fish", "-c", "ls"])));
        assert!(!is_known_safe_command(&argv(&["./bash", "-lc", "ls"])));
        assert!(!is_known_safe_command(&argv(&["/tmp/bash", "-lc", "ls"])));
        assert!(is_known_safe_command(&argv(&[
            "/usr/local/bin/bash",
            "-c",
            "ls"
        ])));
    }

    #[test]
    fn parse_shell_script_resolves_quoting() {
        let parsed = parse_shell_script(
            "echo 'a b' \"c \\\"d\\\" \\n\" e\\ f x\"y\"'z' 42 && git log -n 1 | head",
        )
        .unwrap();
        assert_eq!(
            parsed,
            vec![
                argv(&["echo", "a b", "c \"d\" \\n", "e f", "xyz", "42"]),
                argv(&["git", "log", "-n", "1"]),
                argv(&["head"]),
            ]
        );
        assert_eq!(parse_shell_script("").unwrap(), Vec::<Vec<String>>::new());
        assert_eq!(parse_shell_script("ls > out"), None);
        assert_eq!(
            parse_shell_script("ls \\\n  -la").unwrap(),
            vec![argv(&["ls", "-la"])]
        );
    }

    #[test]
    fn non_ascii_after_a_brace_does_not_crash_the_parser() {
        // Every plane, after `{` and after `{1..2`: the scanner's `isdigit` look-ups that
        // read outside glibc's table before `ascii_mask`.
        for cp in (0x100u32..=0x10_FFFF).step_by(251) {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            for script in [
                format!("{{{c}"),
                format!("echo {{1..2{c}"),
                format!("ls {{{c}}}"),
            ] {
                let _ = parse_shell_script(&script);
            }
        }
        // Words keep their original text.
        assert_eq!(
            parse_shell_script("grep -n 'héllo wörld' 日本.txt | wc -l").unwrap(),
            vec![
                argv(&["grep", "-n", "héllo wörld", "日本.txt"]),
                argv(&["wc", "-l"]),
            ]
        );
    }

    proptest! {
        #[test]
        fn classification_never_panics(script in "\\PC{0,80}") {
            let _ = parse_shell_script(&script);
            let _ = is_known_safe_command(&bash(&script));
        }

        #[test]
        fn shell_like_scripts_never_panic(
            script in "[a-z \\-'\"$`()|&;<>{}*?\\\\\n=#~]{0,60}"
        ) {
            let _ = parse_shell_script(&script);
            let _ = is_known_safe_command(&bash(&script));
        }

        #[test]
        fn arbitrary_argv_never_panics(args in proptest::collection::vec("\\PC{0,12}", 0..5)) {
            let _ = is_known_safe_command(&args);
        }
    }
}
