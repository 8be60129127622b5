//! Defaults, precedence, profiles, `-c` and project layers.

use codex_config::ConfigOverrides;
use codex_config::DEFAULT_OPENAI_BASE_URL;
use codex_config::Inherit;
use codex_protocol::AskForApproval;
use codex_protocol::ReasoningEffort;
use codex_protocol::SandboxMode;
use codex_protocol::WireApi;
use pretty_assertions::assert_eq;

use super::harness::Home;

#[test]
fn defaults_without_a_config_file() {
    let home = Home::new();
    let config = home.load(&[]);
    assert_eq!(config.model, "gpt-5.5");
    assert_eq!(config.model_provider_id, "openai");
    assert_eq!(config.model_provider.base_url, DEFAULT_OPENAI_BASE_URL);
    assert_eq!(config.model_provider.wire_api, WireApi::Responses);
    assert_eq!(config.model_provider.request_max_retries, 4);
    assert_eq!(config.model_provider.stream_max_retries, 5);
    assert_eq!(config.model_provider.stream_idle_timeout_ms, 300_000);
    assert_eq!(config.approval_policy, AskForApproval::OnRequest);
    assert_eq!(config.sandbox_mode, SandboxMode::ReadOnly);
    assert_eq!(config.project_doc_max_bytes, 32768);
    assert_eq!(config.model_context_window, Some(272_000));
    assert_eq!(config.shell_environment_policy.inherit, Inherit::All);
    assert!(config.include_plan_tool);
    assert!(!config.hide_agent_reasoning);
    assert_eq!(config.active_profile, None);
    assert_eq!(config.cwd, std::fs::canonicalize(home.cwd.path()).unwrap());
    assert!(config.unknown_keys.is_empty());
}

#[test]
fn each_layer_beats_the_one_below() {
    let home = Home::with_config(
        r#"
model = "from-file"
approval_policy = "untrusted"
sandbox_mode = "workspace-write"
model_reasoning_effort = "low"
profile = "work"

[profiles.work]
model = "from-profile"
approval_policy = "on-failure"
"#,
    );
    // Whole chain: flag > -c > profile > file > default.
    let flags = ConfigOverrides {
        model: Some("from-flag".into()),
        ..home.overrides()
    };
    let config = home.load_with(&["model=from-cli", "approval_policy=never"], flags);
    assert_eq!(config.model, "from-flag");
    assert_eq!(config.approval_policy, AskForApproval::Never);
    assert_eq!(config.sandbox_mode, SandboxMode::WorkspaceWrite);
    assert_eq!(config.model_reasoning_effort, Some(ReasoningEffort::Low));
    assert_eq!(config.model_reasoning_summary, None);

    assert_eq!(home.load(&["model=from-cli"]).model, "from-cli");
    let config = home.load(&[]);
    assert_eq!(config.model, "from-profile");
    assert_eq!(config.approval_policy, AskForApproval::OnFailure);
    assert_eq!(config.active_profile.as_deref(), Some("work"));

    let without_profile = Home::with_config("model = \"from-file\"\n");
    assert_eq!(without_profile.load(&[]).model, "from-file");

    let sandbox_flag = ConfigOverrides {
        sandbox_mode: Some(SandboxMode::DangerFullAccess),
        approval_policy: Some(AskForApproval::UnlessTrusted),
        ..home.overrides()
    };
    let config = home.load_with(&["sandbox_mode=read-only"], sandbox_flag);
    assert_eq!(config.sandbox_mode, SandboxMode::DangerFullAccess);
    assert_eq!(config.approval_policy, AskForApproval::UnlessTrusted);
}

#[test]
fn profile_selected_by_flag_and_by_file_key() {
    let home = Home::with_config(
        r#"
model = "base"
[profiles.fast]
model = "o4-mini"
model_reasoning_effort = "minimal"
[profiles.deep]
model = "o3"
"#,
    );
    let by_flag = ConfigOverrides {
        profile: Some("fast".into()),
        ..home.overrides()
    };
    let config = home.load_with(&[], by_flag);
    assert_eq!(config.model, "o4-mini");
    assert_eq!(
        config.model_reasoning_effort,
        Some(ReasoningEffort::Minimal)
    );
    assert_eq!(config.model_context_window, Some(200_000));
    assert_eq!(config.active_profile.as_deref(), Some("fast"));

    assert_eq!(home.load(&["profile=deep"]).model, "o3");
    assert_eq!(home.load(&[]).model, "base");
}

#[test]
fn profile_file_layers_over_profile_table() {
    let home = Home::with_config(
        r#"
model = "base"
[profiles.work]
model = "table"
approval_policy = "never"
"#,
    );
    home.write("work.config.toml", "model = \"file\"\n");
    home.write("solo.config.toml", "model = \"solo\"\n");
    let work = ConfigOverrides {
        profile: Some("work".into()),
        ..home.overrides()
    };
    let config = home.load_with(&[], work.clone());
    assert_eq!(config.model, "file");
    assert_eq!(config.approval_policy, AskForApproval::Never);
    // `-c profiles.work.*` acts at profile level: beats the file, loses to plain `-c`.
    assert_eq!(
        home.load_with(&["profiles.work.model=cli"], work.clone())
            .model,
        "cli"
    );
    assert_eq!(
        home.load_with(&["model=top", "profiles.work.model=cli"], work)
            .model,
        "top"
    );

    let solo = ConfigOverrides {
        profile: Some("solo".into()),
        ..home.overrides()
    };
    assert_eq!(home.load_with(&[], solo).model, "solo");
}

#[test]
fn unknown_profile_is_an_error() {
    let home = Home::with_config("profile = \"nope\"\n");
    assert_eq!(
        home.error(&[]),
        format!(
            "profile `nope` not found: no [profiles.nope] in {} and no file {}",
            home.file("config.toml").display(),
            home.file("nope.config.toml").display()
        )
    );
    let traversal = ConfigOverrides {
        profile: Some("../x".into()),
        ..home.overrides()
    };
    assert_eq!(
        home.error_with(&[], traversal),
        "invalid profile name `../x`: it must be non-empty and contain no path separators"
    );
}

#[test]
fn cli_overrides_with_dotted_and_quoted_keys() {
    let home = Home::with_config(
        r#"
[sandbox_workspace_write]
network_access = true
[shell_environment_policy]
inherit = "core"
"#,
    );
    let config = home.load(&[
        "model_provider=my-p",
        r#"model_providers."my-p".name="My P""#,
        "model_providers.my-p.base_url=http://localhost:8080/v1",
        "model_providers.my-p.wire_api=chat",
        "model_providers.my-p.query_params={api-version=\"2025-04-01\"}",
        "sandbox_workspace_write.exclude_slash_tmp=true",
        "shell_environment_policy.set.FOO=bar",
    ]);
    assert_eq!(config.model_provider_id, "my-p");
    assert_eq!(config.model_provider.name, "My P");
    assert_eq!(config.model_provider.base_url, "http://localhost:8080/v1");
    assert_eq!(config.model_provider.wire_api, WireApi::Chat);
    assert_eq!(
        config.model_provider.query_params,
        [("api-version".to_owned(), "2025-04-01".to_owned())].into()
    );
    // Tables deep-merge: the file's keys survive next to the `-c` ones.
    assert!(config.sandbox_workspace_write.network_access);
    assert!(config.sandbox_workspace_write.exclude_slash_tmp);
    assert_eq!(config.shell_environment_policy.inherit, Inherit::Core);
    assert_eq!(
        config.shell_environment_policy.set,
        [("FOO".to_owned(), "bar".to_owned())].into()
    );
}

#[test]
fn literal_string_fallback() {
    let home = Home::new();
    let config = home.load(&["model=gpt-5.1-codex-max", "developer_instructions=be terse"]);
    assert_eq!(config.model, "gpt-5.1-codex-max");
    assert_eq!(config.developer_instructions.as_deref(), Some("be terse"));
}

#[test]
fn unknown_keys_are_collected_and_opaque_upstream_keys_accepted() {
    let home = Home::with_config(
        r#"
experimental_instructions_file = "x.md"
include_apply_patch_tool = true
compact_prompt = "summarize"
include_permissions_instructions = false
service_tier = "flex"
profile = "p"

[otel]
exporter = "none"

[model_providers.mock]
base_url = "http://x"
supports_websockets = false
bogus = 1

[profiles.p]
model = "o3"
typo_key = 1
"#,
    );
    let config = home.load(&["also_unknown=1"]);
    assert_eq!(
        config.unknown_keys,
        vec![
            "also_unknown",
            "experimental_instructions_file",
            "include_apply_patch_tool",
            "model_providers.mock.bogus",
            "profiles.p.typo_key",
        ]
    );
    let file = home.file("config.toml");
    let rendered: Vec<String> = config
        .unknown_key_locations
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        rendered,
        vec![
            "-c also_unknown=1: also_unknown: unknown configuration key".to_owned(),
            format!(
                "{}:2:1: experimental_instructions_file: unknown configuration key",
                file.display()
            ),
            format!(
                "{}:3:1: include_apply_patch_tool: unknown configuration key",
                file.display()
            ),
            format!(
                "{}:15:1: model_providers.mock.bogus: unknown configuration key",
                file.display()
            ),
            format!(
                "{}:19:1: profiles.p.typo_key: unknown configuration key",
                file.display()
            ),
        ]
    );
}

#[test]
fn strict_config_rejects_unknown_keys() {
    let home =
        Home::with_config("model = \"o3\"\n\n[tools]\nview_image = true\nfrobnicate = true\n");
    let strict = ConfigOverrides {
        strict_config: true,
        ..home.overrides()
    };
    assert_eq!(
        home.error_with(&[], strict.clone()),
        format!(
            "{}:5:1: tools.frobnicate: unknown configuration key",
            home.file("config.toml").display()
        )
    );
    assert_eq!(
        Home::new().error_with(
            &["sandbox.mode=x"],
            ConfigOverrides {
                strict_config: true,
                ..Home::new().overrides()
            }
        ),
        "-c sandbox.mode=x: sandbox: unknown configuration key"
    );
    let clean = Home::with_config("model = \"o3\"\n[features]\nanything_goes = true\n");
    assert!(
        clean
            .try_load_with(
                &[],
                ConfigOverrides {
                    strict_config: true,
                    ..clean.overrides()
                }
            )
            .is_ok()
    );
}

#[test]
fn relative_paths_resolve_against_their_source() {
    let home = Home::with_config(
        r#"
model_instructions_file = "instructions.md"
instructions = "ignored when the file is set"
[sandbox_workspace_write]
writable_roots = ["cache", "/abs"]
"#,
    );
    home.write("instructions.md", "You are a test.");
    let config = home.load(&["replay_file=rollout.jsonl"]);
    assert_eq!(
        config.base_instructions_override.as_deref(),
        Some("You are a test.")
    );
    assert_eq!(
        config.sandbox_workspace_write.writable_roots,
        vec![home.file("cache"), "/abs".into()]
    );
    let cwd = std::fs::canonicalize(home.cwd.path()).unwrap();
    assert_eq!(config.replay_file, Some(cwd.join("rollout.jsonl")));

    let inline = Home::with_config("instructions = \"inline\"\n");
    assert_eq!(
        inline.load(&[]).base_instructions_override.as_deref(),
        Some("inline")
    );
}

#[test]
fn additional_writable_roots_and_plan_tool() {
    let home = Home::with_config("[tools.update_plan]\nenabled = false\n");
    let flags = ConfigOverrides {
        additional_writable_roots: vec!["sub".into(), "/elsewhere".into()],
        ..home.overrides()
    };
    let config = home.load_with(&[], flags);
    let cwd = std::fs::canonicalize(home.cwd.path()).unwrap();
    assert_eq!(
        config.additional_writable_roots,
        vec![cwd.join("sub"), "/elsewhere".into()]
    );
    assert!(!config.include_plan_tool);
}

#[test]
fn trusted_project_config_is_layered() {
    let home = Home::new();
    let project = std::fs::canonicalize(home.cwd.path()).unwrap();
    std::fs::create_dir(project.join(".git")).unwrap();
    std::fs::create_dir(project.join(".codex")).unwrap();
    std::fs::write(project.join(".codex/config.toml"), "model = \"project\"\n").unwrap();
    home.write("config.toml", "model = \"user\"\n");
    assert_eq!(home.load(&[]).model, "user");

    home.write(
        "config.toml",
        &format!(
            "model = \"user\"\n[projects.{:?}]\ntrust_level = \"trusted\"\n",
            project.display().to_string()
        ),
    );
    assert_eq!(home.load(&[]).model, "project");
    assert_eq!(home.load(&["model=cli"]).model, "cli");

    home.write(
        "config.toml",
        &format!(
            "model = \"user\"\n[projects.{:?}]\ntrust_level = \"untrusted\"\n",
            project.display().to_string()
        ),
    );
    assert_eq!(home.load(&[]).model, "user");
}

#[test]
fn oss_selects_a_local_provider_and_model() {
    let home = Home::with_config("model = \"gpt-5.5\"\n");
    let oss = ConfigOverrides {
        oss: true,
        ..home.overrides()
    };
    let config = home.load_with(&[], oss.clone());
    assert_eq!(config.model_provider_id, "ollama");
    assert_eq!(config.model, "gpt-oss:20b");
    assert_eq!(config.model_provider.base_url, "http://localhost:11434/v1");
    assert_eq!(config.model_context_window, Some(128_000));

    let config = home.load_with(&["oss_provider=lmstudio"], oss.clone());
    assert_eq!(config.model_provider_id, "lmstudio");
    assert_eq!(config.model_provider.base_url, "http://localhost:1234/v1");

    let flags = ConfigOverrides {
        local_provider: Some("ollama".into()),
        model: Some("qwen3:8b".into()),
        ..oss
    };
    let config = home.load_with(&["oss_provider=lmstudio"], flags);
    assert_eq!(config.model_provider_id, "ollama");
    assert_eq!(config.model, "qwen3:8b");
    assert_eq!(config.model_context_window, None);
}

#[test]
fn cwd_is_required() {
    let home = Home::new();
    assert_eq!(
        home.error_with(&[], ConfigOverrides::default()),
        "no working directory given (ConfigOverrides::cwd is required)"
    );
}

#[test]
fn opaque_tables_reach_config_toml() {
    let home = Home::with_config(
        r#"
notify = ["notify-send", "codex"]
[mcp_servers.docs]
command = "docs-mcp"
args = ["--stdio"]
[features]
unified_exec = false
"#,
    );
    let config = home.load(&[]);
    let toml = &config.config_toml;
    assert_eq!(
        toml.notify,
        Some(vec!["notify-send".to_owned(), "codex".to_owned()])
    );
    assert_eq!(
        toml.mcp_servers["docs"]["command"].as_str(),
        Some("docs-mcp")
    );
    assert_eq!(toml.features.get("unified_exec"), Some(&false));
    assert!(config.unknown_keys.is_empty());
}
