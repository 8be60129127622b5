//! Interrupts, environment hygiene, the argv `shell` tool, images, extra provider settings.

use std::io::BufRead;
use std::process::Stdio;

use codex_test_support::responses::{function_call, message, turn};
use codex_test_support::{FakeServer, TestHome};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use crate::common::*;

fn output_text(body: &Value, call_id: &str) -> String {
    let item = body["input"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["call_id"] == call_id && i["type"] == "function_call_output")
        .unwrap();
    match &item["output"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn alive(pid: u32) -> bool {
    // A zombie still has a /proc entry; look at its state.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| !s.contains(") Z "))
        .unwrap_or(false)
}

#[test]
fn ctrl_c_interrupts_the_turn_and_kills_the_command() {
    let cmd =
        json!({"cmd": "echo $$ > pid.txt; exec sleep 60", "yield_time_ms": 30000}).to_string();
    let server = FakeServer::start_blocking(vec![turn(
        "resp_1",
        vec![function_call("c1", "exec_command", cmd)],
    )]);
    let home = home_for(&server, "");
    let mut child = codex_command(&home)
        .args(["exec", "--json", "--yolo", "sleep"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap() > 0 {
        lines.push(line.clone());
        if line.contains("command_execution") {
            break;
        }
        line.clear();
    }
    let pid_file = home.workdir().join("pid.txt");
    let mut pid = None;
    for _ in 0..500 {
        if let Some(p) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
        {
            pid = Some(p);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let pid = pid.expect("the command started");
    assert!(alive(pid));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut reader, &mut rest).unwrap();
    let code = child.wait().unwrap().code();
    assert_eq!(code, Some(130));
    let events: Vec<Value> = rest
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        events.last().unwrap(),
        &json!({"type": "turn.failed", "error": {"message": "turn aborted: interrupted"}})
    );
    let mut gone = false;
    for _ in 0..250 {
        if !alive(pid) {
            gone = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(gone, "the interrupted command's process ({pid}) was killed");
}

#[test]
fn commands_do_not_see_secrets_and_policy_set_applies() {
    let cmd = json!({"cmd": "env | sort", "login": false}).to_string();
    let server = FakeServer::start_blocking(vec![
        turn("resp_1", vec![function_call("c1", "exec_command", cmd)]),
        turn("resp_2", vec![message("ok")]),
    ]);
    let home = TestHome::new();
    home.write_config(&format!(
        "{}\n[shell_environment_policy]\nset = {{ MY_SETTING = \"on\" }}\n",
        home.config_for(&server)
    ));
    let out = codex_command(&home)
        .args(["exec", "--json", "--yolo", "env"])
        .env("GITHUB_TOKEN", "ghp_secret")
        .env("AWS_SECRET_ACCESS_KEY", "aws_secret")
        .env("VISIBLE_VAR", "yes")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = output_text(&model_requests(&server)[1].body, "c1");
    assert!(text.contains("VISIBLE_VAR=yes"), "{text}");
    assert!(text.contains("MY_SETTING=on"), "{text}");
    for secret in [
        "OPENAI_API_KEY",
        "GITHUB_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
        "ghp_secret",
        "sk-",
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

#[test]
fn shell_tool_for_models_that_use_it() {
    let args = json!({"command": ["sh", "-c", "echo from-argv; exit 2"]}).to_string();
    let server = FakeServer::start_blocking(vec![
        turn("resp_1", vec![function_call("c1", "shell", args)]),
        turn("resp_2", vec![message("ok")]),
    ]);
    let home = home_for(&server, "");
    let out = run(&home, &["exec", "--json", "--yolo", "-m", "gpt-4.1", "x"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let reqs = model_requests(&server);
    let tools: Vec<&str> = reqs[0].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        tools.contains(&"shell") && !tools.contains(&"exec_command"),
        "{tools:?}"
    );
    let text: Value = serde_json::from_str(&output_text(&reqs[1].body, "c1")).unwrap();
    assert_eq!(text["output"], "from-argv\n");
    assert_eq!(text["metadata"]["exit_code"], 2);
    let done = out
        .events()
        .into_iter()
        .find(|e| e["type"] == "item.completed" && e["item"]["type"] == "command_execution")
        .unwrap();
    assert_eq!(done["item"]["command"], "sh -c 'echo from-argv; exit 2'");
    assert_eq!(done["item"]["exit_code"], 2);
    assert_eq!(done["item"]["status"], "failed");
}

/// 1x1 transparent PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

#[test]
fn images_from_flag_and_view_image() {
    let server = FakeServer::start_blocking(vec![
        turn(
            "resp_1",
            vec![function_call(
                "c1",
                "view_image",
                json!({"path": "pic.png"}).to_string(),
            )],
        ),
        turn("resp_2", vec![message("a pixel")]),
    ]);
    let home = home_for(&server, "");
    std::fs::write(home.workdir().join("pic.png"), PNG).unwrap();
    let out = run(&home, &["exec", "--json", "-i", "pic.png", "what is this"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let reqs = model_requests(&server);
    let prompt = inputs_of_type(&reqs[0].body, "message")
        .into_iter()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        prompt["content"][0],
        json!({"type": "input_text", "text": "what is this"})
    );
    let url = prompt["content"][1]["image_url"].as_str().unwrap();
    assert!(
        url.starts_with("data:image/png;base64,iVBORw0KGgo"),
        "{url}"
    );
    let output = reqs[1].body["input"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["call_id"] == "c1" && i["type"] == "function_call_output")
        .unwrap()
        .clone();
    assert_eq!(output["output"][0]["type"], "input_image");
    assert_eq!(output["output"][0]["image_url"], url);
}

#[test]
fn provider_headers_query_params_and_bearer_from_env_key() {
    let server = FakeServer::start_blocking(vec![turn("resp_1", vec![message("ok")])]);
    let home = TestHome::new();
    home.write_config(&format!(
        "model = \"gpt-5.5\"\nmodel_provider = \"azure\"\n[model_providers.azure]\nname = \"Azure\"\nbase_url = \"{}\"\nenv_key = \"AZURE_KEY\"\nquery_params = {{ api-version = \"2025-04-01-preview\" }}\nhttp_headers = {{ x-static = \"s\" }}\nenv_http_headers = {{ x-from-env = \"HEADER_VALUE\" }}\nrequest_max_retries = 0\nstream_max_retries = 0\n",
        server.url()
    ));
    let out = codex_command(&home)
        .args(["exec", "hi"])
        .env("AZURE_KEY", "az-123")
        .env("HEADER_VALUE", "dyn")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let req = &model_requests(&server)[0];
    assert_eq!(req.query.as_deref(), Some("api-version=2025-04-01-preview"));
    assert_eq!(req.header("authorization"), Some("Bearer az-123"));
    assert_eq!(req.header("x-static"), Some("s"));
    assert_eq!(req.header("x-from-env"), Some("dyn"));
    // A missing env_key variable is a clear error naming it.
    let out = run(&home, &["exec", "hi"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("AZURE_KEY"), "{}", out.stderr);
}

#[test]
fn oss_flag_uses_local_chat_provider() {
    let server =
        FakeServer::start_blocking(vec![codex_test_support::chat::chat_text("local hello")]);
    let home = TestHome::new();
    let out = codex_command(&home)
        .args(["exec", "--oss", "--local-provider", "lmstudio", "hi"])
        .env("CODEX_OSS_BASE_URL", server.url())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "local hello\n");
    let req = &model_requests(&server)[0];
    assert_eq!(req.path, "/v1/chat/completions");
    assert_eq!(req.body["model"], "gpt-oss:20b");
}

#[test]
fn add_dir_extends_writable_roots_for_patches() {
    let home = TestHome::new();
    let extra = home.root().join("extra");
    std::fs::create_dir_all(&extra).unwrap();
    let patch = format!(
        "*** Begin Patch\n*** Add File: {}/note.txt\n+hi\n*** End Patch",
        extra.display()
    );
    let server = FakeServer::start_blocking(vec![
        turn(
            "resp_1",
            vec![codex_test_support::responses::custom_tool_call(
                "c1",
                "apply_patch",
                patch.clone(),
            )],
        ),
        turn("resp_2", vec![message("no")]),
        turn(
            "resp_3",
            vec![codex_test_support::responses::custom_tool_call(
                "c2",
                "apply_patch",
                patch,
            )],
        ),
        turn("resp_4", vec![message("yes")]),
    ]);
    home.write_config(&home.config_for(&server));
    // /tmp is a default writable root and the test dirs live there: leave it out.
    let no_tmp = "sandbox_workspace_write.exclude_slash_tmp=true";
    let out = run(&home, &["exec", "-s", "workspace-write", "-c", no_tmp, "x"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!extra.join("note.txt").exists());
    let out = run(
        &home,
        &[
            "exec",
            "-s",
            "workspace-write",
            "-c",
            no_tmp,
            "--add-dir",
            extra.to_str().unwrap(),
            "x",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(extra.join("note.txt")).unwrap(),
        "hi\n"
    );
}

/// The API key is in Codex's own environment. Sandboxed commands cannot read it from
/// `/proc/<codex pid>/environ`: bwrap's pid namespace hides Codex, and in the Landlock fallback
/// (no pid namespace) Landlock's ptrace scoping refuses the read. Without a sandbox the same
/// scan finds it (so the probe works).
#[test]
fn commands_do_not_see_secrets_of_the_codex_process() {
    let script = "grep -l sk-proc-marker /proc/[0-9]*/environ 2>/dev/null; echo scanned";
    let cmd = json!({"cmd": script, "login": false}).to_string();
    let cases: [(&[&str], bool); 3] = [
        (&["-s", "workspace-write"], false),
        (
            &[
                "-s",
                "workspace-write",
                "-c",
                "features.use_legacy_landlock=true",
            ],
            false,
        ),
        (&["--yolo"], true),
    ];
    for (args, visible) in cases {
        let server = FakeServer::start_blocking(vec![
            turn(
                "resp_1",
                vec![function_call("c1", "exec_command", cmd.clone())],
            ),
            turn("resp_2", vec![message("ok")]),
        ]);
        let home = TestHome::new();
        home.write_config(&home.config_for(&server));
        let out = codex_command(&home)
            .args(["exec", "--json"])
            .args(args)
            .arg("scan")
            .env("OPENAI_API_KEY", "sk-proc-marker")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = output_text(&model_requests(&server)[1].body, "c1");
        assert!(text.contains("scanned"), "{args:?}: {text}");
        assert_eq!(text.contains("/environ"), visible, "{args:?}: {text}");
    }
}
