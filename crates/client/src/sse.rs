//! A small Server-Sent Events parser (per the WHATWG EventSource format): feed it bytes as they
//! arrive, get complete `(event, data)` frames back. Handles `\n`, `\r\n` and `\r` line ends,
//! multi-line `data:`, comments and frames split across chunks.

/// One dispatched SSE frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseFrame {
    /// The `event:` field; `None` means the default type `message`.
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

/// Incremental parser state.
#[derive(Debug, Default)]
pub struct SseParser {
    buf: Vec<u8>,
    event: Option<String>,
    data: Vec<String>,
    has_data: bool,
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds bytes and returns every frame completed by them.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<SseFrame> {
        self.buf.extend_from_slice(bytes);
        let mut frames = Vec::new();
        while let Some(pos) = self.buf.iter().position(|b| *b == b'\n' || *b == b'\r') {
            // A lone '\r' at the end of the buffer may be the first half of "\r\n": wait.
            if self.buf[pos] == b'\r' && pos + 1 == self.buf.len() {
                break;
            }
            let skip = if self.buf[pos] == b'\r' && self.buf.get(pos + 1) == Some(&b'\n') {
                2
            } else {
                1
            };
            let line: Vec<u8> = self.buf.drain(..pos + skip).take(pos).collect();
            let line = String::from_utf8_lossy(&line).into_owned();
            if let Some(frame) = self.line(&line) {
                frames.push(frame);
            }
        }
        frames
    }

    /// Flushes a final frame at end of stream (a frame without its blank line is dispatched).
    pub fn finish(&mut self) -> Option<SseFrame> {
        if !self.buf.is_empty() {
            let rest = std::mem::take(&mut self.buf);
            let line = String::from_utf8_lossy(&rest).into_owned();
            let line = line.trim_end_matches('\r').to_string();
            if let Some(frame) = self.line(&line) {
                return Some(frame);
            }
        }
        self.dispatch()
    }

    fn line(&mut self, line: &str) -> Option<SseFrame> {
        if line.is_empty() {
            return self.dispatch();
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => self.event = Some(value.to_string()),
            "data" => {
                self.data.push(value.to_string());
                self.has_data = true;
            }
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<SseFrame> {
        let event = self.event.take();
        if !self.has_data {
            return None;
        }
        self.has_data = false;
        let data = std::mem::take(&mut self.data).join("\n");
        Some(SseFrame { event, data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_events_and_multiline_data() {
        let mut p = SseParser::new();
        let frames =
            p.feed(b"event: a\ndata: {\"x\":1}\n\n: comment\ndata: l1\r\ndata: l2\r\n\r\n");
        assert_eq!(
            frames,
            vec![
                SseFrame {
                    event: Some("a".into()),
                    data: "{\"x\":1}".into()
                },
                SseFrame {
                    event: None,
                    data: "l1\nl2".into()
                }
            ]
        );
        assert_eq!(p.finish(), None);
    }

    proptest! {
        /// Splitting a stream at arbitrary points yields the same frames as feeding it whole.
        #[test]
        fn chunking_does_not_change_frames(
            payloads in proptest::collection::vec("[a-zA-Z0-9 {}\":,]{0,20}", 1..8),
            crlf in any::<bool>(),
            cuts in proptest::collection::vec(0usize..400, 0..10),
        ) {
            let nl = if crlf { "\r\n" } else { "\n" };
            let mut text = String::new();
            for (i, p) in payloads.iter().enumerate() {
                text.push_str(&format!("event: e{i}{nl}data: {p}{nl}{nl}"));
            }
            let bytes = text.as_bytes();
            let mut whole = SseParser::new();
            let expected = whole.feed(bytes);
            prop_assert_eq!(expected.len(), payloads.len());
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (bytes.len() + 1)).collect();
            cuts.sort_unstable();
            let mut parts = SseParser::new();
            let mut got = Vec::new();
            let mut last = 0;
            for c in cuts.into_iter().chain([bytes.len()]) {
                got.extend(parts.feed(&bytes[last..c]));
                last = c;
            }
            prop_assert_eq!(got, expected);
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut p = SseParser::new();
            let _ = p.feed(&bytes);
            let _ = p.finish();
        }
    }
}
