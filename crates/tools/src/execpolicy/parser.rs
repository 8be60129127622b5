//! A small reader for the Starlark subset of rule files: calls with keyword arguments whose
//! values are strings or (nested) lists of strings. No interpreter: the file is data.

use std::path::Path;

use super::ExecPolicyError;
use super::policy::{Decision, HostExecutable, PatternToken, PrefixRule};

/// What one rules file declares.
#[derive(Debug, Default)]
pub(crate) struct ParsedFile {
    pub rules: Vec<PrefixRule>,
    pub host_executables: Vec<HostExecutable>,
}

/// Parses a whole file; `path` is only used in error messages and rule sources.
pub(crate) fn parse_file(path: &Path, text: &str) -> Result<ParsedFile, ExecPolicyError> {
    let err = |line: usize, message: String| ExecPolicyError::Parse {
        path: path.to_path_buf(),
        line,
        message,
    };
    let tokens = lex(text).map_err(|(line, msg)| err(line, msg))?;
    let calls = Parser { tokens, pos: 0 }
        .calls()
        .map_err(|(line, msg)| err(line, msg))?;
    let mut parsed = ParsedFile::default();
    for call in calls {
        match call.name.as_str() {
            "prefix_rule" => {
                let rule = prefix_rule(path, call).map_err(|(line, msg)| err(line, msg))?;
                parsed.rules.push(rule);
            }
            "host_executable" => {
                let host = host_executable(call).map_err(|(line, msg)| err(line, msg))?;
                parsed.host_executables.push(host);
            }
            other => {
                return Err(err(
                    call.line,
                    format!(
                        "unknown function `{other}` (expected `prefix_rule` or `host_executable`)"
                    ),
                ));
            }
        }
    }
    Ok(parsed)
}

type ParseResult<T> = Result<T, (usize, String)>;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Equals,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Ident(name) => format!("`{name}`"),
            Tok::Str(_) => "a string".to_string(),
            Tok::LParen => "`(`".to_string(),
            Tok::RParen => "`)`".to_string(),
            Tok::LBracket => "`[`".to_string(),
            Tok::RBracket => "`]`".to_string(),
            Tok::Comma => "`,`".to_string(),
            Tok::Equals => "`=`".to_string(),
        }
    }
}

/// Tokens with their 1-based line.
fn lex(text: &str) -> ParseResult<Vec<(Tok, usize)>> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            '\n' => {
                line += 1;
                i += 1;
            }
            c if c.is_whitespace() => i += 1,
            '#' => {
                while chars.get(i).is_some_and(|&c| c != '\n') {
                    i += 1;
                }
            }
            '(' | ')' | '[' | ']' | ',' | '=' => {
                let tok = match c {
                    '(' => Tok::LParen,
                    ')' => Tok::RParen,
                    '[' => Tok::LBracket,
                    ']' => Tok::RBracket,
                    ',' => Tok::Comma,
                    _ => Tok::Equals,
                };
                tokens.push((tok, line));
                i += 1;
            }
            '"' | '\'' => {
                let start_line = line;
                let value = string_literal(&chars, &mut i, &mut line, false)?;
                tokens.push((Tok::Str(value), start_line));
            }
            'r' | 'R' if matches!(chars.get(i + 1), Some('"' | '\'')) => {
                let start_line = line;
                i += 1;
                let value = string_literal(&chars, &mut i, &mut line, true)?;
                tokens.push((Tok::Str(value), start_line));
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut name = String::new();
                while let Some(&c) = chars.get(i) {
                    if c.is_ascii_alphanumeric() || c == '_' {
                        name.push(c);
                        i += 1;
                    } else {
                        break;
                    }
                }
                tokens.push((Tok::Ident(name), line));
            }
            other => return Err((line, format!("unexpected character `{other}`"))),
        }
    }
    Ok(tokens)
}

/// A string literal starting at `chars[*i]` (the opening quote): single or triple quoted,
/// with Starlark's escapes unless `raw`.
fn string_literal(
    chars: &[char],
    i: &mut usize,
    line: &mut usize,
    raw: bool,
) -> ParseResult<String> {
    let start_line = *line;
    let Some(&quote) = chars.get(*i) else {
        return Err((start_line, "unterminated string".to_string()));
    };
    let triple = chars.get(*i + 1) == Some(&quote) && chars.get(*i + 2) == Some(&quote);
    *i += if triple { 3 } else { 1 };
    let mut value = String::new();
    loop {
        let Some(&c) = chars.get(*i) else {
            return Err((start_line, "unterminated string".to_string()));
        };
        if c == quote {
            if !triple {
                *i += 1;
                return Ok(value);
            }
            if chars.get(*i + 1) == Some(&quote) && chars.get(*i + 2) == Some(&quote) {
                *i += 3;
                return Ok(value);
            }
        }
        if c == '\n' {
            if !triple {
                return Err((start_line, "unterminated string".to_string()));
            }
            *line += 1;
        }
        if c != '\\' {
            value.push(c);
            *i += 1;
            continue;
        }
        // A backslash.
        let Some(&next) = chars.get(*i + 1) else {
            return Err((start_line, "unterminated string".to_string()));
        };
        if raw {
            // Raw strings keep the backslash; it still stops the quote from ending the string.
            value.push('\\');
            value.push(next);
            if next == '\n' {
                *line += 1;
            }
            *i += 2;
            continue;
        }
        *i += 2;
        match next {
            '\n' => *line += 1,
            '\\' => value.push('\\'),
            '\'' => value.push('\''),
            '"' => value.push('"'),
            'n' => value.push('\n'),
            't' => value.push('\t'),
            'r' => value.push('\r'),
            'a' => value.push('\u{7}'),
            'b' => value.push('\u{8}'),
            'f' => value.push('\u{c}'),
            'v' => value.push('\u{b}'),
            '0'..='7' => {
                let mut code = next.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match chars.get(*i).and_then(|c| c.to_digit(8)) {
                        Some(d) => {
                            code = code * 8 + d;
                            *i += 1;
                        }
                        None => break,
                    }
                }
                value.push(char_from(code, *line)?);
            }
            'x' | 'u' | 'U' => {
                let digits = match next {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = chars
                    .iter()
                    .skip(*i)
                    .take(digits)
                    .take_while(|c| c.is_ascii_hexdigit())
                    .collect();
                if hex.len() != digits {
                    return Err((
                        *line,
                        format!("invalid escape `\\{next}{hex}` (expected {digits} hex digits)"),
                    ));
                }
                *i += digits;
                let code = u32::from_str_radix(&hex, 16)
                    .map_err(|_| (*line, format!("invalid escape `\\{next}{hex}`")))?;
                value.push(char_from(code, *line)?);
            }
            other => return Err((*line, format!("invalid escape `\\{other}` in string"))),
        }
    }
}

fn char_from(code: u32, line: usize) -> ParseResult<char> {
    char::from_u32(code).ok_or((line, format!("invalid character code {code:#x} in string")))
}

/// A value with the line it starts on.
#[derive(Debug, Clone)]
struct Value {
    kind: ValueKind,
    line: usize,
}

#[derive(Debug, Clone)]
enum ValueKind {
    Str(String),
    List(Vec<Value>),
}

#[derive(Debug)]
struct Call {
    name: String,
    line: usize,
    kwargs: Vec<(String, usize, Value)>,
}

struct Parser {
    tokens: Vec<(Tok, usize)>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&(Tok, usize)> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<(Tok, usize)> {
        let tok = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        tok
    }

    /// The line of the last token, for "unexpected end of file".
    fn last_line(&self) -> usize {
        self.tokens.last().map_or(1, |(_, line)| *line)
    }

    fn expect(&mut self, want: &Tok, context: &str) -> ParseResult<usize> {
        match self.next() {
            Some((tok, line)) if &tok == want => Ok(line),
            Some((tok, line)) => Err((
                line,
                format!(
                    "expected {} {context}, found {}",
                    want.describe(),
                    tok.describe()
                ),
            )),
            None => Err((
                self.last_line(),
                format!("expected {} {context}, found end of file", want.describe()),
            )),
        }
    }

    fn calls(mut self) -> ParseResult<Vec<Call>> {
        let mut calls = Vec::new();
        while let Some((tok, line)) = self.next() {
            let Tok::Ident(name) = tok else {
                return Err((
                    line,
                    format!(
                        "expected a call such as `prefix_rule(...)`, found {}",
                        tok.describe()
                    ),
                ));
            };
            self.expect(&Tok::LParen, &format!("after `{name}`"))?;
            let kwargs = self.kwargs(&name)?;
            calls.push(Call { name, line, kwargs });
        }
        Ok(calls)
    }

    /// `name = value, ...)` up to and including the closing parenthesis.
    fn kwargs(&mut self, function: &str) -> ParseResult<Vec<(String, usize, Value)>> {
        let mut kwargs: Vec<(String, usize, Value)> = Vec::new();
        loop {
            match self.next() {
                Some((Tok::RParen, _)) => return Ok(kwargs),
                Some((Tok::Ident(name), line)) => {
                    if kwargs.iter().any(|(n, _, _)| n == &name) {
                        return Err((line, format!("duplicate argument `{name}`")));
                    }
                    self.expect(&Tok::Equals, &format!("after argument name `{name}`"))?;
                    let value = self.value()?;
                    kwargs.push((name, line, value));
                    match self.next() {
                        Some((Tok::Comma, _)) => {}
                        Some((Tok::RParen, _)) => return Ok(kwargs),
                        Some((tok, line)) => {
                            return Err((
                                line,
                                format!(
                                    "expected `,` or `)` in `{function}(...)`, found {}",
                                    tok.describe()
                                ),
                            ));
                        }
                        None => {
                            return Err((
                                self.last_line(),
                                format!("unclosed `{function}(`: expected `)`"),
                            ));
                        }
                    }
                }
                Some((Tok::Str(_) | Tok::LBracket, line)) => {
                    return Err((
                        line,
                        format!(
                            "positional arguments are not supported in `{function}(...)`; use name = value"
                        ),
                    ));
                }
                Some((tok, line)) => {
                    return Err((
                        line,
                        format!(
                            "expected an argument name or `)` in `{function}(...)`, found {}",
                            tok.describe()
                        ),
                    ));
                }
                None => {
                    return Err((
                        self.last_line(),
                        format!("unclosed `{function}(`: expected `)`"),
                    ));
                }
            }
        }
    }

    fn value(&mut self) -> ParseResult<Value> {
        match self.next() {
            Some((Tok::Str(s), line)) => Ok(Value {
                kind: ValueKind::Str(s),
                line,
            }),
            Some((Tok::LBracket, line)) => {
                let mut items = Vec::new();
                loop {
                    if let Some((Tok::RBracket, _)) = self.peek() {
                        self.pos += 1;
                        break;
                    }
                    items.push(self.value()?);
                    match self.next() {
                        Some((Tok::Comma, _)) => {}
                        Some((Tok::RBracket, _)) => break,
                        Some((tok, line)) => {
                            return Err((
                                line,
                                format!("expected `,` or `]` in list, found {}", tok.describe()),
                            ));
                        }
                        None => {
                            return Err((self.last_line(), "unclosed `[`".to_string()));
                        }
                    }
                }
                Ok(Value {
                    kind: ValueKind::List(items),
                    line,
                })
            }
            Some((Tok::Ident(name), line)) => Err((
                line,
                format!(
                    "expected a string or a list, found `{name}` (variables are not supported)"
                ),
            )),
            Some((tok, line)) => Err((
                line,
                format!("expected a string or a list, found {}", tok.describe()),
            )),
            None => Err((
                self.last_line(),
                "expected a value, found end of file".to_string(),
            )),
        }
    }
}

fn prefix_rule(path: &Path, call: Call) -> ParseResult<PrefixRule> {
    let mut pattern = None;
    let mut decision = Decision::Allow;
    let mut justification = None;
    let mut matches = Vec::new();
    let mut not_matches = Vec::new();
    for (name, line, value) in call.kwargs {
        match name.as_str() {
            "pattern" => pattern = Some(parse_pattern(value)?),
            "decision" => {
                let text = string_arg(&name, value)?;
                decision = match text.as_str() {
                    "allow" => Decision::Allow,
                    "prompt" => Decision::Prompt,
                    "forbidden" => Decision::Forbidden,
                    other => {
                        return Err((
                            line,
                            format!(
                                "invalid decision \"{other}\" (expected \"allow\", \"prompt\" or \"forbidden\")"
                            ),
                        ));
                    }
                };
            }
            "justification" => {
                let text = string_arg(&name, value)?;
                if text.trim().is_empty() {
                    return Err((line, "`justification` must not be empty".to_string()));
                }
                justification = Some(text);
            }
            "match" => matches = examples(&name, value)?,
            "not_match" => not_matches = examples(&name, value)?,
            other => {
                return Err((
                    line,
                    format!(
                        "unknown argument `{other}` to `prefix_rule` (expected pattern, decision, justification, match, not_match)"
                    ),
                ));
            }
        }
    }
    let Some(pattern) = pattern else {
        return Err((
            call.line,
            "`prefix_rule` needs a `pattern` argument".to_string(),
        ));
    };
    let rule = PrefixRule {
        pattern,
        decision,
        justification,
        source: Some((path.to_path_buf(), call.line)),
    };
    for (line, example) in matches {
        if rule.matched_prefix(&example).is_none() {
            return Err((
                line,
                format!(
                    "`match` example {} does not match the rule's pattern",
                    show_example(&example)
                ),
            ));
        }
    }
    for (line, example) in not_matches {
        if rule.matched_prefix(&example).is_some() {
            return Err((
                line,
                format!(
                    "`not_match` example {} matches the rule's pattern",
                    show_example(&example)
                ),
            ));
        }
    }
    Ok(rule)
}

fn show_example(example: &[String]) -> String {
    serde_json::to_string(example).unwrap_or_else(|_| example.join(" "))
}

fn host_executable(call: Call) -> ParseResult<HostExecutable> {
    let mut name = None;
    let mut paths = None;
    for (arg, line, value) in call.kwargs {
        match arg.as_str() {
            "name" => {
                let text = string_arg(&arg, value)?;
                if text.is_empty() || text.contains('/') {
                    return Err((
                        line,
                        format!("`name` must be a bare program name, got \"{text}\""),
                    ));
                }
                name = Some(text);
            }
            "paths" => {
                let ValueKind::List(items) = value.kind else {
                    return Err((value.line, "`paths` must be a list of strings".to_string()));
                };
                let mut list = Vec::new();
                for item in items {
                    let item_line = item.line;
                    let text = string_arg("paths", item)?;
                    if !text.starts_with('/') && !text.starts_with("~/") {
                        return Err((
                            item_line,
                            format!(
                                "`paths` entries must be absolute (or start with `~/`), got \"{text}\""
                            ),
                        ));
                    }
                    list.push(text.into());
                }
                paths = Some(list);
            }
            other => {
                return Err((
                    line,
                    format!(
                        "unknown argument `{other}` to `host_executable` (expected name, paths)"
                    ),
                ));
            }
        }
    }
    match (name, paths) {
        (Some(name), Some(paths)) => Ok(HostExecutable { name, paths }),
        (None, _) => Err((
            call.line,
            "`host_executable` needs a `name` argument".to_string(),
        )),
        (_, None) => Err((
            call.line,
            "`host_executable` needs a `paths` argument".to_string(),
        )),
    }
}

fn string_arg(name: &str, value: Value) -> ParseResult<String> {
    match value.kind {
        ValueKind::Str(s) => Ok(s),
        ValueKind::List(_) => Err((value.line, format!("`{name}` must be a string"))),
    }
}

/// `pattern`: a non-empty list whose elements are strings or non-empty lists of strings.
fn parse_pattern(value: Value) -> ParseResult<Vec<PatternToken>> {
    let ValueKind::List(items) = value.kind else {
        return Err((
            value.line,
            "`pattern` must be a list of strings (or lists of alternatives)".to_string(),
        ));
    };
    if items.is_empty() {
        return Err((value.line, "`pattern` must not be empty".to_string()));
    }
    let mut tokens = Vec::new();
    for item in items {
        match item.kind {
            ValueKind::Str(s) => tokens.push(PatternToken::Single(s)),
            ValueKind::List(alternatives) => {
                if alternatives.is_empty() {
                    return Err((
                        item.line,
                        "a list of alternatives in `pattern` must not be empty".to_string(),
                    ));
                }
                let mut alts = Vec::new();
                for alt in alternatives {
                    match alt.kind {
                        ValueKind::Str(s) => alts.push(s),
                        ValueKind::List(_) => {
                            return Err((
                                alt.line,
                                "alternatives in `pattern` must be strings".to_string(),
                            ));
                        }
                    }
                }
                tokens.push(PatternToken::Alternatives(alts));
            }
        }
    }
    Ok(tokens)
}

/// `match` / `not_match`: a list of examples, each a list of words or a command string split
/// like a shell would (shlex).
fn examples(name: &str, value: Value) -> ParseResult<Vec<(usize, Vec<String>)>> {
    let ValueKind::List(items) = value.kind else {
        return Err((value.line, format!("`{name}` must be a list of examples")));
    };
    let mut out = Vec::new();
    for item in items {
        let line = item.line;
        let words = match item.kind {
            ValueKind::Str(s) => shlex::split(&s).ok_or((
                line,
                format!("`{name}` example \"{s}\" is not a valid command line"),
            ))?,
            ValueKind::List(words) => {
                let mut list = Vec::new();
                for word in words {
                    match word.kind {
                        ValueKind::Str(s) => list.push(s),
                        ValueKind::List(_) => {
                            return Err((
                                word.line,
                                format!("`{name}` examples must be lists of strings"),
                            ));
                        }
                    }
                }
                list
            }
        };
        if words.is_empty() {
            return Err((line, format!("`{name}` example must not be empty")));
        }
        out.push((line, words));
    }
    Ok(out)
}
