//! The HTML pages the callback server shows in the browser. Our own wording and markup; every
//! value that came from the request is HTML-escaped.

use crate::error::CallbackFailure;

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;\
background:#f6f6f4;color:#1d1d1b;display:flex;align-items:center;justify-content:center;\
min-height:100vh;margin:0}main{background:#fff;border:1px solid #e2e2de;border-radius:12px;\
padding:2.5rem 3rem;max-width:34rem}h1{font-size:1.35rem;margin:0 0 .75rem}\
p{line-height:1.5;margin:.5rem 0}.brand{font-weight:600;letter-spacing:.02em;color:#5f5f5a;\
font-size:.85rem;text-transform:uppercase;margin-bottom:1rem}dl{margin:1rem 0 0;\
font-size:.9rem}dt{font-weight:600;margin-top:.5rem}dd{margin:0;font-family:ui-monospace,\
monospace;word-break:break-word}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>{title}</title><style>{STYLE}</style></head>\
<body><main><div class=\"brand\">Codex CLI</div>{body}</main></body></html>\n"
    )
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Shown after the tokens were exchanged and stored.
pub fn success_page(email: Option<&str>) -> String {
    let who = email
        .map(|e| format!(" as <strong>{}</strong>", escape_html(e)))
        .unwrap_or_default();
    page(
        "Signed in to Codex",
        &format!(
            "<h1>You're signed in{who}</h1><p>Codex has what it needs. Close this tab and \
             go back to your terminal.</p>"
        ),
    )
}

/// Shown for every callback failure; the entitlement case gets its own explanation.
pub fn failure_page(failure: &CallbackFailure) -> String {
    match failure {
        CallbackFailure::MissingCodexEntitlement => page(
            "Codex Sign-in Error",
            "<h1>Codex isn't turned on for your workspace</h1><p>Your ChatGPT workspace \
             doesn't include access to Codex yet. Ask your workspace administrator to enable \
             Codex for you, then run <code>codex login</code> again.</p>\
             <dl><dt>Error code</dt><dd>missing_codex_entitlement</dd></dl>",
        ),
        CallbackFailure::Provider { code, description } => {
            let details = description.as_deref().unwrap_or("No details were given.");
            page(
                "Codex Sign-in Error",
                &format!(
                    "<h1>Sign-in didn't finish: {}</h1><p>The sign-in service sent Codex an \
                     error instead of a sign-in. Run <code>codex login</code> to try again.</p>\
                     <dl><dt>Error code</dt><dd>{}</dd><dt>Details</dt><dd>{}</dd></dl>",
                    escape_html(details),
                    escape_html(code),
                    escape_html(details)
                ),
            )
        }
        CallbackFailure::MissingAuthorizationCode => page(
            "Codex Sign-in Error",
            "<h1>Sign-in didn't finish</h1><p>The sign-in service came back without an \
             authorization code. Run <code>codex login</code> to try again.</p>\
             <dl><dt>Error code</dt><dd>missing_authorization_code</dd></dl>",
        ),
        CallbackFailure::StateMismatch => page(
            "Codex Sign-in Error",
            "<h1>State mismatch</h1><p>This sign-in response doesn't belong to the \
             <code>codex login</code> that is waiting for it, so Codex ignored it. Run \
             <code>codex login</code> again.</p>",
        ),
    }
}

/// Shown when the token exchange or storing the tokens failed after a good redirect.
pub fn exchange_failed_page(reason: &str) -> String {
    page(
        "Codex Sign-in Error",
        &format!(
            "<h1>Sign-in didn't finish</h1><p>Codex got an authorization code but could not \
             complete the sign-in. Run <code>codex login</code> to try again.</p>\
             <dl><dt>Details</dt><dd>{}</dd></dl>",
            escape_html(reason)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_error_text_is_escaped() {
        let html = failure_page(&CallbackFailure::Provider {
            code: "server_error".into(),
            description: Some("<script>alert(1)</script>".into()),
        });
        assert!(!html.contains("<script>alert"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("server_error"));
    }
}
