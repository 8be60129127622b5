//! Opening the sign-in page in the user's browser.
//!
//! On Linux and the BSDs a graphical browser needs `DISPLAY` or `WAYLAND_DISPLAY`, or the user
//! names one in `BROWSER`. Without any of them (SSH, containers, CI) we do not try: `xdg-open`
//! would fall back to a text browser taking over the terminal. The caller prints the URL in
//! every case, so the user can open it elsewhere.

use codex_config::Env;

/// Whether trying to open a browser makes sense in this environment.
pub fn browser_available(env: &Env) -> bool {
    if cfg!(any(target_os = "macos", target_os = "windows")) {
        return true;
    }
    ["BROWSER", "DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|var| env.get_non_empty(var).is_some())
}

/// Opens `url` in the default browser (`BROWSER` is honoured). `false` if that failed.
pub fn open_browser(url: &str) -> bool {
    match webbrowser::open(url) {
        Ok(()) => true,
        Err(e) => {
            tracing::debug!("could not open a browser: {e}");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(not(any(target_os = "macos", target_os = "windows")))]
    #[test]
    fn headless_means_no_browser() {
        let headless: Env = [("SSH_CONNECTION", "1 2 3 4"), ("TERM", "xterm")]
            .into_iter()
            .collect();
        assert!(!browser_available(&headless));
        let desktop: Env = [("DISPLAY", ":0")].into_iter().collect();
        assert!(browser_available(&desktop));
    }
}
