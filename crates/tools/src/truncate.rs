//! Head-and-tail truncation of tool output sent to the model.
//!
//! Token counts here are an approximation shared by every caller: one token per four bytes of
//! UTF-8, rounded up. Truncation keeps the beginning and the end of the text (where commands
//! usually print what matters: the invocation echo and the final error or summary) and
//! replaces the middle with one marker line that says how many tokens were removed.

/// Bytes per approximate token.
const BYTES_PER_TOKEN: usize = 4;

/// Approximate token count used everywhere: bytes / 4, rounded up.
///
/// `approx_token_count("")` is 0; `approx_token_count("hello")` is 2.
pub fn approx_token_count(text: &str) -> usize {
    text.len().div_ceil(BYTES_PER_TOKEN)
}

/// The marker line put where the middle of the text was removed (without its newline).
///
/// `removed_tokens` is the approximate token count of the removed text.
pub fn truncation_marker(removed_tokens: usize) -> String {
    format!("[… {removed_tokens} tokens truncated …]")
}

/// Keeps the head and tail of `text` so the result is at most about `max_tokens` tokens.
///
/// The kept head and tail together take at most `max_tokens * 4` bytes; between them sits one
/// line made of [`truncation_marker`] (the number is the approximate token count of the removed
/// middle), so the result is at most `max_tokens * 4 + marker line + 1` bytes long.
/// Cuts are made only at char boundaries, and moved to a line boundary when that keeps at least
/// half of the respective part. Text within the budget is returned unchanged.
pub fn truncate_middle(text: &str, max_tokens: usize) -> String {
    let budget = max_tokens.saturating_mul(BYTES_PER_TOKEN);
    if text.len() <= budget {
        return text.to_string();
    }
    let head_budget = budget / 2;
    let tail_budget = budget - head_budget;

    // Head: the longest prefix within its budget, shortened to end after a newline if that
    // still keeps at least half of it.
    let mut head_end = text.floor_char_boundary(head_budget);
    if let Some(newline) = text.get(..head_end).and_then(|head| head.rfind('\n')) {
        let candidate = newline + 1;
        if candidate * 2 >= head_end {
            head_end = candidate;
        }
    }

    // Tail: the longest suffix within its budget, shortened to start after a newline if that
    // still keeps at least half of it. `head_budget + tail_budget < text.len()` guarantees
    // `tail_start >= head_end`.
    let mut tail_start = text.ceil_char_boundary(text.len() - tail_budget);
    let tail_len = text.len() - tail_start;
    if let Some(newline) = text.get(tail_start..).and_then(|tail| tail.find('\n')) {
        let skipped = newline + 1;
        if skipped < tail_len && (tail_len - skipped) * 2 >= tail_len {
            tail_start += skipped;
        }
    }

    let head = text.get(..head_end).unwrap_or_default();
    let removed = text.get(head_end..tail_start).unwrap_or_default();
    let tail = text.get(tail_start..).unwrap_or_default();

    let marker = truncation_marker(approx_token_count(removed));
    let mut out = String::with_capacity(head.len() + marker.len() + tail.len() + 2);
    out.push_str(head);
    if !head.is_empty() && !head.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&marker);
    out.push('\n');
    out.push_str(tail);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use proptest::prelude::*;

    /// Splits a truncated result into (head, removed token count, tail).
    fn split_result(result: &str) -> (String, usize, String) {
        let (head, rest) = result.split_once("[… ").expect("marker present");
        let (count, tail) = rest
            .split_once(" tokens truncated …]\n")
            .expect("marker end");
        (
            head.to_string(),
            count.parse().expect("number"),
            tail.to_string(),
        )
    }

    #[test]
    fn token_count_rounds_up() {
        assert_eq!(approx_token_count(""), 0);
        assert_eq!(approx_token_count("abcd"), 1);
        assert_eq!(approx_token_count("hello"), 2);
        assert_eq!(approx_token_count("é"), 1);
    }

    #[test]
    fn text_within_budget_is_unchanged() {
        assert_eq!(truncate_middle("short", 2), "short");
        assert_eq!(truncate_middle("", 0), "");
        assert_eq!(truncate_middle("12345678", 2), "12345678");
    }

    #[test]
    fn prefers_line_boundaries() {
        let text: String = (0..100).map(|i| format!("line {i:03}\n")).collect();
        let result = truncate_middle(&text, 20);
        assert_eq!(
            result,
            "line 000\nline 001\nline 002\nline 003\n\
             [… 207 tokens truncated …]\n\
             line 096\nline 097\nline 098\nline 099\n"
        );
    }

    #[test]
    fn cuts_inside_long_lines_at_char_boundaries() {
        let text = "é".repeat(1000);
        let result = truncate_middle(&text, 10);
        let (head, removed, tail) = split_result(&result);
        assert_eq!(head, format!("{}\n", "é".repeat(10)));
        assert_eq!(tail, "é".repeat(10));
        assert_eq!(removed, 1960 / 4);
    }

    #[test]
    fn zero_budget_leaves_only_the_marker() {
        assert_eq!(truncate_middle("abc", 0), "[… 1 tokens truncated …]\n");
    }

    proptest! {
        #[test]
        fn truncation_properties(text in "(\\PC|\n){0,400}", max_tokens in 0usize..80) {
            let result = truncate_middle(&text, max_tokens);
            if text.len() <= max_tokens * 4 {
                prop_assert_eq!(result, text);
            } else {
                let (head, _removed, tail) = split_result(&result);
                let marker_line = truncation_marker(approx_token_count(&text)).len() + 1;
                prop_assert!(result.len() <= max_tokens * 4 + marker_line + 1);
                // The head may carry one added newline before the marker line.
                let head = if text.starts_with(&head) {
                    head.as_str()
                } else {
                    head.strip_suffix('\n').unwrap_or(&head)
                };
                prop_assert!(text.starts_with(head), "head {head:?} not a prefix");
                prop_assert!(text.ends_with(&tail), "tail {tail:?} not a suffix");
                prop_assert!(head.len() + tail.len() <= text.len());
            }
        }
    }
}
