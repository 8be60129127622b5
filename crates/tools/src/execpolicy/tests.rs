#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use pretty_assertions::assert_eq;

use super::*;

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

fn parse(text: &str) -> Result<Policy, ExecPolicyError> {
    Policy::parse(Path::new("test.rules"), text)
}

fn parse_err(text: &str) -> String {
    match parse(text) {
        Ok(p) => panic!("expected an error, parsed {p:?}"),
        Err(e) => e.to_string(),
    }
}

const EXAMPLE: &str = r#"
# Example policy: comments, both quote styles, trailing commas.
prefix_rule(
    pattern = ["git", "reset", "--hard"],
    decision = "forbidden",
    justification = "destructive; use `git stash` instead",
    match = [
        ["git", "reset", "--hard"],
    ],
    not_match = [
        ["git", "reset", "--keep"],
        "git reset --merge",
    ],
)

prefix_rule(pattern = ['ls'], match = [['ls'], ['ls', '-l'], "ls -a ."])

prefix_rule(
    pattern = ["git", ["push", "fetch"]],  # alternatives
    decision = "prompt",
    match = [["git", "push", "origin", "main"], 'git fetch --all'],
    not_match = [["git", "status"], "git"],
)
prefix_rule(pattern=["git"], decision="allow")
host_executable(name = "git", paths = ["/usr/bin/git", "/opt/homebrew/bin/git"])
"#;

#[test]
fn parses_a_good_file() {
    let policy = parse(EXAMPLE).unwrap();
    let rules = policy.rules();
    assert_eq!(rules.len(), 4);
    assert_eq!(
        rules[0].pattern,
        vec![
            PatternToken::Single("git".into()),
            PatternToken::Single("reset".into()),
            PatternToken::Single("--hard".into()),
        ]
    );
    assert_eq!(rules[0].decision, Decision::Forbidden);
    assert_eq!(
        rules[0].justification.as_deref(),
        Some("destructive; use `git stash` instead")
    );
    assert_eq!(rules[0].source, Some((PathBuf::from("test.rules"), 3)));
    assert_eq!(rules[1].decision, Decision::Allow, "allow is the default");
    assert_eq!(
        rules[2].pattern[1],
        PatternToken::Alternatives(vec!["push".into(), "fetch".into()])
    );
    assert_eq!(
        policy.host_executables(),
        &[HostExecutable {
            name: "git".into(),
            paths: vec!["/usr/bin/git".into(), "/opt/homebrew/bin/git".into()],
        }]
    );
}

#[test]
fn string_escapes_and_forms() {
    let policy = parse(
        r#"prefix_rule(pattern=["a\"b", 'c\'d', "e\\f", "\x41\u00e9\U0001F600", "\101", r"raw\n", """tri"ple""", "tab\t"])"#,
    )
    .unwrap();
    let words: Vec<String> = policy.rules()[0]
        .pattern
        .iter()
        .map(|t| match t {
            PatternToken::Single(s) => s.clone(),
            PatternToken::Alternatives(_) => panic!("no alternatives here"),
        })
        .collect();
    assert_eq!(
        words,
        vec![
            "a\"b", "c'd", "e\\f", "Aé😀", "A", "raw\\n", "tri\"ple", "tab\t"
        ]
    );
}

#[test]
fn empty_and_comment_only_files_are_fine() {
    assert!(parse("").unwrap().rules().is_empty());
    assert!(
        parse("# nothing\n\n   # here\n")
            .unwrap()
            .rules()
            .is_empty()
    );
}

#[test]
fn every_kind_of_error_names_file_and_line() {
    let cases: &[(&str, &str)] = &[
        // Lexical errors.
        (
            "\n\nprefix_rule(pattern=[\"ls\"]) $",
            "test.rules:3: unexpected character `$`",
        ),
        (
            "prefix_rule(\n  pattern=[\"ls\n\"])",
            "test.rules:2: unterminated string",
        ),
        (
            "prefix_rule(pattern=[\"ls\\q\"])",
            "test.rules:1: invalid escape `\\q` in string",
        ),
        (
            "prefix_rule(pattern=[\"\\x4\"])",
            "test.rules:1: invalid escape `\\x4` (expected 2 hex digits)",
        ),
        // Syntax errors.
        (
            "prefix_rule pattern",
            "test.rules:1: expected `(` after `prefix_rule`, found `pattern`",
        ),
        (
            "prefix_rule(\n  pattern=[\"ls\"]\n",
            "test.rules:2: unclosed `prefix_rule(`",
        ),
        (
            "prefix_rule(\n  pattern=[\"ls\",\n",
            "test.rules:2: expected a value, found end of file",
        ),
        (
            "prefix_rule(pattern [\"ls\"])",
            "test.rules:1: expected `=` after argument name `pattern`",
        ),
        (
            "prefix_rule(\"ls\")",
            "test.rules:1: positional arguments are not supported",
        ),
        (
            "x = \"1\"",
            "test.rules:1: expected `(` after `x`, found `=`",
        ),
        (
            "\"ls\"",
            "test.rules:1: expected a call such as `prefix_rule(...)`, found a string",
        ),
        (
            "prefix_rule(pattern=ls)",
            "test.rules:1: expected a string or a list, found `ls`",
        ),
        (
            "prefix_rule(pattern=[\"ls\" \"-l\"])",
            "test.rules:1: expected `,` or `]` in list",
        ),
        // Semantic errors.
        (
            "\nrun(pattern=[\"ls\"])",
            "test.rules:2: unknown function `run`",
        ),
        (
            "prefix_rule(decision=\"allow\")",
            "test.rules:1: `prefix_rule` needs a `pattern` argument",
        ),
        (
            "prefix_rule(pattern=[])",
            "test.rules:1: `pattern` must not be empty",
        ),
        (
            "prefix_rule(pattern=\"ls\")",
            "test.rules:1: `pattern` must be a list",
        ),
        (
            "prefix_rule(pattern=[[]])",
            "test.rules:1: a list of alternatives in `pattern` must not be empty",
        ),
        (
            "prefix_rule(pattern=[[[\"a\"]]])",
            "test.rules:1: alternatives in `pattern` must be strings",
        ),
        (
            "prefix_rule(\n  pattern=[\"ls\"],\n  decision=\"deny\")",
            "test.rules:3: invalid decision \"deny\"",
        ),
        (
            "prefix_rule(pattern=[\"ls\"], decision=[\"allow\"])",
            "test.rules:1: `decision` must be a string",
        ),
        (
            "prefix_rule(pattern=[\"ls\"], justification=\"  \")",
            "test.rules:1: `justification` must not be empty",
        ),
        (
            "prefix_rule(pattern=[\"ls\"],\n colour=\"red\")",
            "test.rules:2: unknown argument `colour` to `prefix_rule`",
        ),
        (
            "prefix_rule(pattern=[\"ls\"], pattern=[\"cat\"])",
            "test.rules:1: duplicate argument `pattern`",
        ),
        (
            "prefix_rule(pattern=[\"ls\"], match=\"ls\")",
            "test.rules:1: `match` must be a list of examples",
        ),
        (
            "prefix_rule(pattern=[\"ls\"], match=[\"'ls\"])",
            "test.rules:1: `match` example \"'ls\" is not a valid command line",
        ),
        (
            "prefix_rule(pattern=[\"ls\"], match=[[]])",
            "test.rules:1: `match` example must not be empty",
        ),
        (
            "prefix_rule(\n  pattern=[\"git\", [\"push\", \"fetch\"]],\n  match=[\n    [\"git\", \"push\"],\n    \"git pull\",\n  ],\n)",
            "test.rules:5: `match` example [\"git\",\"pull\"] does not match the rule's pattern",
        ),
        (
            "prefix_rule(\n  pattern=[\"git\", \"push\"],\n  not_match=[\"git push --force\"],\n)",
            "test.rules:3: `not_match` example [\"git\",\"push\",\"--force\"] matches the rule's pattern",
        ),
        (
            "host_executable(name=\"/usr/bin/git\", paths=[])",
            "test.rules:1: `name` must be a bare program name",
        ),
        (
            "host_executable(name=\"git\", paths=[\"git\"])",
            "test.rules:1: `paths` entries must be absolute",
        ),
        (
            "host_executable(name=\"git\")",
            "test.rules:1: `host_executable` needs a `paths` argument",
        ),
    ];
    for (text, want) in cases {
        let got = parse_err(text);
        assert!(
            got.starts_with(want),
            "for {text:?}\n got: {got}\nwant: {want}..."
        );
    }
}

#[test]
fn parse_error_is_a_parse_variant_with_line() {
    match parse("\n\n\nprefix_rule(pattern=[])") {
        Err(ExecPolicyError::Parse { path, line, .. }) => {
            assert_eq!(path, PathBuf::from("test.rules"));
            assert_eq!(line, 4);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn strictest_decision_wins_and_all_matches_are_listed() {
    let policy = parse(EXAMPLE).unwrap();

    let eval = policy.check(&words("git reset --hard HEAD"));
    assert_eq!(eval.decision, Some(Decision::Forbidden));
    assert_eq!(
        eval.matched_rules,
        vec![
            RuleMatch::PrefixRuleMatch {
                matched_prefix: words("git reset --hard"),
                decision: Decision::Forbidden,
                resolved_program: None,
                justification: Some("destructive; use `git stash` instead".into()),
            },
            RuleMatch::PrefixRuleMatch {
                matched_prefix: words("git"),
                decision: Decision::Allow,
                resolved_program: None,
                justification: None,
            },
        ]
    );
    assert_eq!(
        eval.justification(),
        Some("destructive; use `git stash` instead")
    );

    assert_eq!(
        policy.check(&words("git push origin")).decision,
        Some(Decision::Prompt)
    );
    assert_eq!(
        policy.check(&words("git fetch")).decision,
        Some(Decision::Prompt)
    );
    assert_eq!(
        policy.check(&words("git status")).decision,
        Some(Decision::Allow)
    );
    assert_eq!(
        policy.check(&words("ls -la")).decision,
        Some(Decision::Allow)
    );
    let none = policy.check(&words("rm -rf /"));
    assert_eq!(none, Evaluation::default());
    // A command shorter than the pattern does not match it.
    assert_eq!(
        policy.check(&words("git reset")).decision,
        Some(Decision::Allow)
    );
    assert_eq!(policy.check(&[]).decision, None);
}

#[test]
fn evaluation_serializes_like_upstream() {
    let policy = parse(EXAMPLE).unwrap();
    let json = serde_json::to_value(policy.check(&words("git push origin main"))).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "matchedRules": [
                {"prefixRuleMatch": {"matchedPrefix": ["git", "push"], "decision": "prompt"}},
                {"prefixRuleMatch": {"matchedPrefix": ["git"], "decision": "allow"}},
            ],
            "decision": "prompt",
        })
    );
    let json = serde_json::to_value(policy.check(&words("rm x"))).unwrap();
    assert_eq!(json, serde_json::json!({"matchedRules": []}));
}

#[test]
fn check_command_looks_into_shell_scripts() {
    let policy = parse(
        r#"
prefix_rule(pattern=["cargo", "test"])
prefix_rule(pattern=["git", "push"], decision="prompt")
prefix_rule(pattern=["rm"], decision="forbidden")
"#,
    )
    .unwrap();
    let bash = |s: &str| vec!["bash".to_string(), "-lc".to_string(), s.to_string()];
    assert_eq!(
        policy.check_command(&bash("cargo test -p x")).decision,
        Some(Decision::Allow)
    );
    // A known-safe neighbour keeps the allow; an unknown one drops it.
    assert_eq!(
        policy.check_command(&bash("cargo test && ls -la")).decision,
        Some(Decision::Allow)
    );
    assert_eq!(
        policy.check_command(&bash("cargo test && make")).decision,
        None
    );
    // Only known-safe commands: no rule matched, no decision.
    assert_eq!(policy.check_command(&bash("ls && pwd")).decision, None);
    assert_eq!(
        policy.check_command(&bash("cargo test; git push")).decision,
        Some(Decision::Prompt)
    );
    assert_eq!(
        policy
            .check_command(&bash("ls | rm -rf x && git push"))
            .decision,
        Some(Decision::Prompt).max(Some(Decision::Forbidden))
    );
    // Unparsable scripts are checked literally (and `bash` matches nothing here).
    assert_eq!(policy.check_command(&bash("rm $(ls)")).decision, None);
    // Plain argv: the same as `check`.
    assert_eq!(
        policy.check_command(&words("rm -rf x")).decision,
        Some(Decision::Forbidden)
    );
}

#[test]
fn load_dir_reads_rules_files_in_name_order_and_tolerates_a_missing_dir() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        Policy::load_dir(&dir.path().join("missing")).unwrap(),
        Policy::empty()
    );
    std::fs::write(dir.path().join("b.rules"), "prefix_rule(pattern=[\"b\"])\n").unwrap();
    std::fs::write(dir.path().join("a.rules"), "prefix_rule(pattern=[\"a\"])\n").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not rules").unwrap();
    let policy = Policy::load_dir(dir.path()).unwrap();
    let firsts: Vec<_> = policy
        .rules()
        .iter()
        .map(|r| r.pattern[0].clone())
        .collect();
    assert_eq!(
        firsts,
        vec![
            PatternToken::Single("a".into()),
            PatternToken::Single("b".into())
        ]
    );

    std::fs::write(dir.path().join("c.rules"), "\nprefix_rule(pattern=[])\n").unwrap();
    let err = Policy::load_dir(dir.path()).unwrap_err().to_string();
    let want = format!(
        "{}:2: `pattern` must not be empty",
        dir.path().join("c.rules").display()
    );
    assert_eq!(err, want);
}

#[test]
fn append_writes_once_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rules").join(DEFAULT_RULES_FILE);
    let prefix = words("git push");
    assert!(append_prefix_rule(&file, &prefix).unwrap());
    assert!(
        !append_prefix_rule(&file, &prefix).unwrap(),
        "second append is a no-op"
    );
    assert!(append_prefix_rule(&file, &words("touch")).unwrap());
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        text,
        "prefix_rule(pattern=[\"git\", \"push\"], decision=\"allow\")\n\
         prefix_rule(pattern=[\"touch\"], decision=\"allow\")\n"
    );
    let policy = Policy::load_dir(&dir.path().join("rules")).unwrap();
    assert_eq!(
        policy.check(&words("git push origin")).decision,
        Some(Decision::Allow)
    );
    assert_eq!(policy.check(&words("git pull")).decision, None);
}

#[test]
fn append_dedups_against_rules_written_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("default.rules");
    // Same rule, different formatting, no trailing newline.
    std::fs::write(&file, "prefix_rule(\n  pattern = ['git', 'push'],\n)").unwrap();
    assert!(!append_prefix_rule(&file, &words("git push")).unwrap());
    // A prompt rule for the prefix is not an allow rule: append after it, on a new line.
    std::fs::write(&file, "prefix_rule(pattern=['cargo'], decision='prompt')").unwrap();
    assert!(append_prefix_rule(&file, &words("cargo")).unwrap());
    let policy = Policy::load_dir(dir.path()).unwrap();
    assert_eq!(policy.rules().len(), 2);
    // A broken file is appended to, but the identical line still only once.
    std::fs::write(&file, "garbage(\n").unwrap();
    assert!(append_prefix_rule(&file, &words("ls")).unwrap());
    assert!(!append_prefix_rule(&file, &words("ls")).unwrap());
    assert!(matches!(
        append_prefix_rule(&file, &[]),
        Err(ExecPolicyError::EmptyPrefix)
    ));
}

#[test]
fn rendered_rules_round_trip_awkward_words() {
    let prefix: Vec<String> = vec![
        "we\"ird".into(),
        "back\\slash".into(),
        "new\nline".into(),
        "bell\u{7}".into(),
        "ünï".into(),
    ];
    let rendered = render_prefix_rule(&prefix);
    let policy = parse(&rendered).unwrap();
    assert!(policy.rules()[0].is_allow_for(&prefix), "{rendered}");
}

#[test]
fn add_rule_dedups_in_memory() {
    let mut policy = Policy::empty();
    policy.add_rule(PrefixRule::allow(&words("git push")).unwrap());
    policy.add_rule(PrefixRule::allow(&words("git push")).unwrap());
    assert_eq!(policy.rules().len(), 1);
    assert!(PrefixRule::allow(&[]).is_none());
}

mod props {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parser_never_panics(text in "\\PC{0,120}") {
            let _ = parse(&text);
        }

        #[test]
        fn rule_like_text_never_panics(
            text in "(prefix_rule|pattern|decision|match|\\(|\\)|\\[|\\]|,|=|\"[a-z\\\\]{0,4}\"|'x'|#c\n| |\n){0,40}"
        ) {
            let _ = parse(&text);
        }

        #[test]
        fn rendered_rules_parse_back(prefix in proptest::collection::vec("\\PC{1,8}", 1..4)) {
            let policy = parse(&render_prefix_rule(&prefix)).unwrap();
            prop_assert!(policy.rules()[0].is_allow_for(&prefix));
        }
    }
}

#[test]
fn host_executables_resolve_absolute_programs_to_their_basename() {
    let policy = parse(
        r#"
prefix_rule(pattern = ["git", "push"], decision = "prompt")
prefix_rule(pattern = ["git"])
prefix_rule(pattern = ["rg"], decision = "allow")
prefix_rule(pattern = ["/opt/tools/make"], decision = "forbidden")
host_executable(name = "git", paths = ["/usr/bin/git", "~/bin/git"])
"#,
    )
    .unwrap();
    // Without resolution an absolute path only matches rules that spell it.
    assert_eq!(policy.check(&words("/usr/bin/git push")).decision, None);
    // With it: a listed path stands for `git`; the match says which program it was.
    let eval = policy.check_with(&words("/usr/bin/git push"), true);
    assert_eq!(eval.decision, Some(Decision::Prompt));
    assert!(
        eval.matched_rules
            .iter()
            .all(|m| m.resolved_program() == Some("/usr/bin/git"))
    );
    let home = std::env::home_dir().unwrap();
    let in_home = format!("{}/bin/git status", home.display());
    assert_eq!(
        policy.check_with(&words(&in_home), true).decision,
        Some(Decision::Allow)
    );
    // Declared, and this path is not listed: no fallback.
    assert_eq!(
        policy.check_with(&words("/tmp/x/git push"), true).decision,
        None
    );
    // Nothing declared for `rg`: any path falls back.
    assert_eq!(
        policy
            .check_with(&words("/usr/local/bin/rg foo"), true)
            .decision,
        Some(Decision::Allow)
    );
    // An exact rule for the path wins; no fallback is tried.
    let eval = policy.check_with(&words("/opt/tools/make all"), true);
    assert_eq!(eval.decision, Some(Decision::Forbidden));
    assert_eq!(eval.matched_rules[0].resolved_program(), None);
    // JSON carries resolvedProgram only for fallback matches.
    let json = serde_json::to_value(policy.check_with(&words("/usr/bin/git push"), true)).unwrap();
    assert_eq!(
        json["matchedRules"][0]["prefixRuleMatch"]["resolvedProgram"],
        "/usr/bin/git"
    );
}

#[test]
fn the_agent_trusts_basename_allows_only_for_declared_paths() {
    let policy = parse(
        r#"
prefix_rule(pattern = ["git"])
prefix_rule(pattern = ["rg"])
prefix_rule(pattern = ["rm"], decision = "forbidden")
host_executable(name = "git", paths = ["/usr/bin/git"])
"#,
    )
    .unwrap();
    // A declared path: allowed like `git`.
    assert_eq!(
        policy.check_command(&words("/usr/bin/git status")).decision,
        Some(Decision::Allow)
    );
    // `rg` has no declaration: an allow through the basename would run any `rg` outside the
    // sandbox, so it does not count...
    assert_eq!(
        policy.check_command(&words("/tmp/evil/rg x")).decision,
        None
    );
    // ...but a stricter decision does.
    assert_eq!(
        policy.check_command(&words("/bin/rm -rf /")).decision,
        Some(Decision::Forbidden)
    );
}
