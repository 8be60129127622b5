//! Error messages name the source, position and dotted key.

use pretty_assertions::assert_eq;

use super::harness::Home;

#[test]
fn bad_enum_value_in_a_provider_table() {
    let home = Home::with_config(
        r#"model = "o3"

[model_providers.mock]
name = "Mock"
base_url = "http://localhost:1/v1"

wire_api = "soap"
"#,
    );
    assert_eq!(
        home.error(&[]),
        format!(
            "{}:7:12: model_providers.mock.wire_api: unknown variant `soap`, expected `responses` or `chat`",
            home.file("config.toml").display()
        )
    );
}

#[test]
fn wrong_type_in_a_file() {
    let home = Home::with_config("model = \"o3\"\nmodel_context_window = \"abc\"\n");
    assert_eq!(
        home.error(&[]),
        format!(
            "{}:2:24: model_context_window: invalid type: string \"abc\", expected u64",
            home.file("config.toml").display()
        )
    );
}

#[test]
fn wrong_type_inside_a_selected_profile_and_an_inline_table() {
    let home = Home::with_config("profile = \"p\"\n[profiles.p]\nhide_agent_reasoning = \"yes\"\n");
    assert_eq!(
        home.error(&[]),
        format!(
            "{}:3:24: profiles.p.hide_agent_reasoning: invalid type: string \"yes\", expected a boolean",
            home.file("config.toml").display()
        )
    );
    let home = Home::with_config("sandbox_workspace_write = { writable_roots = [\"a\", 7] }\n");
    assert_eq!(
        home.error(&[]),
        format!(
            "{}:1:52: sandbox_workspace_write.writable_roots.1: invalid type: integer `7`, expected path string",
            home.file("config.toml").display()
        )
    );
}

#[test]
fn wrong_type_in_a_profile_file() {
    let home = Home::with_config("");
    home.write("p.config.toml", "\n\napproval_policy = \"sometimes\"\n");
    assert_eq!(
        home.error(&["profile=p"]),
        format!(
            "{}:3:19: approval_policy: unknown variant `sometimes`, expected one of `untrusted`, `on-failure`, `on-request`, `never`, `granular`",
            home.file("p.config.toml").display()
        )
    );
}

#[test]
fn bad_value_from_cli_names_the_argument() {
    let home = Home::with_config("model_context_window = 1000\n");
    assert_eq!(
        home.error(&["model_context_window=abc"]),
        "-c model_context_window=abc: model_context_window: invalid type: string \"abc\", expected u64"
    );
    assert_eq!(
        home.error(&["model_providers.\"my p\".wire_api=soap"]),
        "-c model_providers.\"my p\".wire_api=soap: model_providers.\"my p\".wire_api: unknown variant `soap`, expected `responses` or `chat`"
    );
}

#[test]
fn malformed_cli_override() {
    let home = Home::new();
    assert_eq!(home.error(&["model"]), "-c model: expected `key=value`");
    assert_eq!(home.error(&["=x"]), "-c =x: the key before `=` is empty");
}

#[test]
fn toml_syntax_error() {
    let home = Home::with_config("approval_policy = \"never\"\nmodel = gpt-5\n");
    assert_eq!(
        home.error(&[]),
        format!(
            "{}:2:9: string values must be quoted, expected literal string",
            home.file("config.toml").display()
        )
    );
}

#[test]
fn missing_instructions_file() {
    let home = Home::with_config("\nmodel_instructions_file = \"missing.md\"\n");
    let err = home.try_load_with(&[], home.overrides()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:2:27: model_instructions_file: cannot read {}",
            home.file("config.toml").display(),
            home.file("missing.md").display()
        )
    );
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn positions_of_dotted_keys_and_arrays_of_tables() {
    let home = Home::with_config("model = \"o3\"\nmodel_providers.mock.wire_api = \"soap\"\n");
    assert_eq!(
        home.error(&[]),
        format!(
            "{}:2:33: model_providers.mock.wire_api: unknown variant `soap`, expected `responses` or `chat`",
            home.file("config.toml").display()
        )
    );
    let home = Home::with_config("[[notify]]\nx = 1\n");
    assert_eq!(
        home.error(&[]),
        format!(
            "{}:1:1: notify.0: invalid type: map, expected a string",
            home.file("config.toml").display()
        )
    );
}

#[test]
fn granular_approval_policy_table() {
    let home = Home::with_config(
        "approval_policy = { granular = { sandbox_approval = true, rules = false, mcp_elicitations = false } }\n",
    );
    let config = home.load(&[]);
    assert_eq!(
        config.approval_policy,
        codex_protocol::AskForApproval::Granular(codex_protocol::GranularApprovalConfig {
            sandbox_approval: true,
            rules: false,
            mcp_elicitations: false,
            request_permissions: false,
            skill_approval: false,
        })
    );
    assert_eq!(config.approval_policy.as_str(), "granular");
    // The plain spellings still work, from the file and from -c.
    let home = Home::with_config("approval_policy = \"untrusted\"\n");
    assert_eq!(
        home.load(&["approval_policy=\"on-failure\""])
            .approval_policy,
        codex_protocol::AskForApproval::OnFailure
    );
    // A required category missing: named, with its position.
    let home = Home::with_config("approval_policy = { granular = { rules = true } }\n");
    let err = home.error(&[]);
    assert!(
        err.starts_with(&format!("{}:1:", home.file("config.toml").display()))
            && err.contains("approval_policy")
            && err.contains("sandbox_approval"),
        "{err}"
    );
}
