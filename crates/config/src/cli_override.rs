//! `-c key=value` parsing. The key is a TOML dotted key (`a.b.c`, `model_providers."my-p".name`);
//! the value is parsed as one TOML value and, when that fails, taken as a literal string, so
//! `-c model=gpt-5.5` needs no quoting.

use crate::error::ConfigError;

/// Parses one raw `-c` argument into its key path and value.
///
/// The split happens at the first `=` outside a quoted key segment; key and value are trimmed.
/// Errors ([`ConfigError::CliOverride`]): no `=`, an empty key, or a malformed dotted key.
pub fn parse_cli_override(raw: &str) -> Result<(Vec<String>, toml::Value), ConfigError> {
    let fail = |reason: String| ConfigError::CliOverride {
        raw: raw.to_owned(),
        reason,
    };
    let eq = find_assignment(raw).ok_or_else(|| fail("expected `key=value`".to_owned()))?;
    let (key, value) = (raw.get(..eq).unwrap_or(""), raw.get(eq + 1..).unwrap_or(""));
    let key = key.trim();
    if key.is_empty() {
        return Err(fail("the key before `=` is empty".to_owned()));
    }
    let path = toml_edit::Key::parse(key)
        .map_err(|e| fail(format!("invalid key `{key}`: {}", e.message())))?
        .iter()
        .map(|k| k.get().to_owned())
        .collect::<Vec<_>>();
    if path.is_empty() {
        return Err(fail("the key before `=` is empty".to_owned()));
    }
    Ok((path, parse_value(value.trim())))
}

/// A TOML value if `text` is one, else the literal string.
fn parse_value(text: &str) -> toml::Value {
    text.parse::<toml::Value>()
        .unwrap_or_else(|_| toml::Value::String(text.to_owned()))
}

/// Byte index of the first `=` that is not inside a quoted key segment.
fn find_assignment(raw: &str) -> Option<usize> {
    #[derive(Clone, Copy)]
    enum State {
        Bare,
        Basic { escaped: bool },
        Literal,
    }
    let mut state = State::Bare;
    for (i, c) in raw.char_indices() {
        state = match (state, c) {
            (State::Bare, '=') => return Some(i),
            (State::Bare, '"') => State::Basic { escaped: false },
            (State::Bare, '\'') => State::Literal,
            (State::Bare, _) => State::Bare,
            (State::Basic { escaped: false }, '\\') => State::Basic { escaped: true },
            (State::Basic { escaped: false }, '"') => State::Bare,
            (State::Basic { .. }, _) => State::Basic { escaped: false },
            (State::Literal, '\'') => State::Bare,
            (State::Literal, _) => State::Literal,
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use proptest::prelude::*;

    fn ok(raw: &str) -> (Vec<String>, toml::Value) {
        parse_cli_override(raw).unwrap()
    }

    fn path(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn values_are_toml_when_they_parse() {
        assert_eq!(
            ok("model=\"o3\""),
            (path(&["model"]), toml::Value::String("o3".into()))
        );
        assert_eq!(
            ok("a.b.c=1"),
            (path(&["a", "b", "c"]), toml::Value::Integer(1))
        );
        assert_eq!(ok("x = true"), (path(&["x"]), toml::Value::Boolean(true)));
        assert_eq!(
            ok("x=[1,2]").1,
            toml::Value::Array(vec![toml::Value::Integer(1), toml::Value::Integer(2)])
        );
        let mut table = toml::Table::new();
        table.insert("a".into(), toml::Value::Integer(1));
        assert_eq!(ok("x={a=1}").1, toml::Value::Table(table));
    }

    #[test]
    fn unparsable_values_are_literal_strings() {
        assert_eq!(ok("model=gpt-5.5").1, toml::Value::String("gpt-5.5".into()));
        assert_eq!(
            ok("developer_instructions=be brief = please").1,
            toml::Value::String("be brief = please".into())
        );
        assert_eq!(ok("model=").1, toml::Value::String(String::new()));
    }

    #[test]
    fn quoted_key_segments() {
        assert_eq!(
            ok("model_providers.\"my-p\".name=\"X\"").0,
            path(&["model_providers", "my-p", "name"])
        );
        assert_eq!(
            ok("projects.\"/a=b/c\".trust_level=trusted").0,
            path(&["projects", "/a=b/c", "trust_level"])
        );
        assert_eq!(ok("a.'b.c'.d=1").0, path(&["a", "b.c", "d"]));
    }

    #[test]
    fn malformed_overrides() {
        assert_eq!(
            parse_cli_override("model").unwrap_err().to_string(),
            "-c model: expected `key=value`"
        );
        assert_eq!(
            parse_cli_override(" =1").unwrap_err().to_string(),
            "-c  =1: the key before `=` is empty"
        );
        assert!(parse_cli_override("a..b=1").is_err());
        assert!(parse_cli_override("a b=1").is_err());
    }

    fn segment() -> impl Strategy<Value = String> {
        "[A-Za-z_][A-Za-z0-9_-]{0,8}"
    }

    fn simple_value() -> impl Strategy<Value = toml::Value> {
        prop_oneof![
            any::<i64>().prop_map(toml::Value::Integer),
            any::<bool>().prop_map(toml::Value::Boolean),
            "[ -~]{0,12}".prop_map(toml::Value::String),
        ]
    }

    proptest! {
        #[test]
        fn round_trips(keys in prop::collection::vec(segment(), 1..5), value in simple_value()) {
            let raw = format!("{}={}", keys.join("."), value);
            let (parsed_keys, parsed_value) = parse_cli_override(&raw).unwrap();
            prop_assert_eq!(parsed_keys, keys);
            prop_assert_eq!(parsed_value, value);
        }

        #[test]
        fn bare_words_are_literal_strings(
            keys in prop::collection::vec(segment(), 1..4),
            word in "[a-z][a-z0-9.-]{0,10}[a-z]",
        ) {
            prop_assume!(!matches!(word.as_str(), "true" | "false" | "inf" | "nan"));
            let (_, value) = parse_cli_override(&format!("{}={word}", keys.join("."))).unwrap();
            prop_assert_eq!(value, toml::Value::String(word));
        }

        #[test]
        fn never_panics(raw in any::<String>()) {
            let _ = parse_cli_override(&raw);
        }
    }
}
