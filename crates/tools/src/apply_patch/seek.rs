//! Locating a chunk's lines in a file, with decreasing strictness.
//!
//! Models reproduce file lines imperfectly: trailing spaces get lost, indentation drifts, and
//! typographic punctuation (`’`, `–`, non-breaking spaces) gets replaced by ASCII or the other way
//! round. Each [`Strictness`] level is tried over the whole search range before the next, more
//! forgiving one, so an exact match always wins over a fuzzy one.

use std::borrow::Cow;

/// How two lines are compared, strictest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strictness {
    Exact,
    IgnoreTrailingWhitespace,
    IgnoreSurroundingWhitespace,
    NormalizePunctuation,
}

impl Strictness {
    const ALL: [Strictness; 4] = [
        Strictness::Exact,
        Strictness::IgnoreTrailingWhitespace,
        Strictness::IgnoreSurroundingWhitespace,
        Strictness::NormalizePunctuation,
    ];

    fn canonical(self, line: &str) -> Cow<'_, str> {
        match self {
            Strictness::Exact => Cow::Borrowed(line),
            Strictness::IgnoreTrailingWhitespace => Cow::Borrowed(line.trim_end()),
            Strictness::IgnoreSurroundingWhitespace => Cow::Borrowed(line.trim()),
            Strictness::NormalizePunctuation => {
                let trimmed = line.trim();
                if trimmed.is_ascii() {
                    Cow::Borrowed(trimmed)
                } else {
                    let mapped: String = trimmed.chars().map(ascii_punctuation).collect();
                    Cow::Owned(mapped.trim().to_owned())
                }
            }
        }
    }
}

/// Maps typographic punctuation and Unicode spaces to their ASCII look-alikes.
fn ascii_punctuation(c: char) -> char {
    match c {
        // hyphen, non-breaking hyphen, figure dash, en dash, em dash, horizontal bar, minus
        '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
        // single quotes: left, right, low-9, high-reversed-9
        '\u{2018}'..='\u{201B}' => '\'',
        // double quotes: left, right, low-9, high-reversed-9
        '\u{201C}'..='\u{201F}' => '"',
        // no-break space, en quad .. hair space, narrow no-break, medium math, ideographic
        '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => ' ',
        other => other,
    }
}

/// Finds `pattern` as a contiguous run of `lines` starting at or after `start`, returning the
/// index of its first line.
///
/// With `at_end_of_file`, the position where the run would end at the last line is tried first
/// (at every strictness), then the ordinary forward search. An empty pattern matches at `start`
/// (or at the end of the file with `at_end_of_file`).
pub(crate) fn find_lines<S: AsRef<str>>(
    lines: &[String],
    pattern: &[S],
    start: usize,
    at_end_of_file: bool,
) -> Option<usize> {
    if pattern.is_empty() {
        return Some(if at_end_of_file { lines.len() } else { start });
    }
    let last_start = lines.len().checked_sub(pattern.len())?;
    if start > last_start {
        return None;
    }
    if at_end_of_file {
        for strictness in Strictness::ALL {
            if matches_at(lines, pattern, last_start, strictness) {
                return Some(last_start);
            }
        }
    }
    for strictness in Strictness::ALL {
        let canonical_pattern: Vec<Cow<'_, str>> = pattern
            .iter()
            .map(|l| strictness.canonical(l.as_ref()))
            .collect();
        let canonical_lines: Vec<Cow<'_, str>> =
            lines.iter().map(|l| strictness.canonical(l)).collect();
        let found = (start..=last_start).find(|&at| {
            canonical_lines
                .get(at..at + pattern.len())
                .is_some_and(|window| window == canonical_pattern.as_slice())
        });
        if found.is_some() {
            return found;
        }
    }
    None
}

fn matches_at<S: AsRef<str>>(
    lines: &[String],
    pattern: &[S],
    at: usize,
    strictness: Strictness,
) -> bool {
    lines
        .iter()
        .skip(at)
        .zip(pattern)
        .all(|(line, want)| strictness.canonical(line) == strictness.canonical(want.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|l| (*l).to_owned()).collect()
    }

    #[test]
    fn exact_match_wins_over_earlier_fuzzy_match() {
        let lines = owned(&["foo  ", "bar", "foo", "bar"]);
        assert_eq!(find_lines(&lines, &["foo", "bar"], 0, false), Some(2));
    }

    #[test]
    fn each_strictness_level_matches() {
        let lines = owned(&[
            "a",
            "value = 1   ",
            "   indented",
            "say “hi” — it’s\u{a0}ok",
        ]);
        assert_eq!(find_lines(&lines, &["value = 1"], 0, false), Some(1));
        assert_eq!(find_lines(&lines, &["indented  "], 0, false), Some(2));
        assert_eq!(
            find_lines(&lines, &["say \"hi\" - it's ok"], 0, false),
            Some(3)
        );
        assert_eq!(find_lines(&lines, &["nothing"], 0, false), None);
    }

    #[test]
    fn search_starts_at_cursor() {
        let lines = owned(&["x", "y", "x"]);
        assert_eq!(find_lines(&lines, &["x"], 1, false), Some(2));
        assert_eq!(find_lines(&lines, &["x"], 3, false), None);
        assert_eq!(find_lines(&lines, &["x", "y", "x", "y"], 0, false), None);
    }

    #[test]
    fn end_of_file_prefers_last_position() {
        let lines = owned(&["}", "x", "}"]);
        assert_eq!(find_lines(&lines, &["}"], 0, true), Some(2));
        assert_eq!(find_lines(&lines, &["}"], 0, false), Some(0));
        let empty: [&str; 0] = [];
        assert_eq!(find_lines(&lines, &empty, 1, true), Some(3));
        assert_eq!(find_lines(&lines, &empty, 1, false), Some(1));
    }
}
