//! Write-back: set one key in a config file while keeping the user's comments and formatting
//! (`toml_edit`). Used for settings the UI persists (model choice, project trust).

use std::path::Path;

use toml_edit::TableLike;

use crate::error::ConfigError;
use crate::error::Origin;
use crate::layers::line_column;

/// Sets `key_path` (e.g. `["projects", "/src/app", "trust_level"]`) to `value` in the TOML file
/// `config_file`, creating the file, its directory and intermediate tables as needed and
/// replacing intermediate non-table values. The file is replaced atomically and keeps its
/// permissions.
///
/// Errors: [`ConfigError::EmptyKeyPath`], [`ConfigError::Syntax`] when the existing file does not
/// parse, [`ConfigError::ReadFile`]/[`ConfigError::WriteFile`] for I/O.
pub fn set_config_value(
    config_file: &Path,
    key_path: &[String],
    value: toml::Value,
) -> Result<(), ConfigError> {
    let Some((last, parents)) = key_path.split_last() else {
        return Err(ConfigError::EmptyKeyPath);
    };
    let text = match std::fs::read_to_string(config_file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(ConfigError::ReadFile {
                path: config_file.to_owned(),
                source,
            });
        }
    };
    let mut doc = text
        .parse::<toml_edit::DocumentMut>()
        .map_err(|e| syntax_error(config_file, &text, &e))?;
    // `toml::Value`'s Display is a TOML value expression, which toml_edit parses back.
    let new_value =
        value
            .to_string()
            .parse::<toml_edit::Value>()
            .map_err(|e| ConfigError::InvalidValue {
                origin: Origin::FileUnknownPosition {
                    path: config_file.to_owned(),
                },
                key: crate::layers::dotted(key_path),
                message: e.message().to_owned(),
            })?;

    let mut table: &mut dyn TableLike = doc.as_table_mut();
    for key in parents {
        if !table.get(key).is_some_and(toml_edit::Item::is_table_like) {
            let mut child = toml_edit::Table::new();
            child.set_implicit(true);
            table.insert(key, toml_edit::Item::Table(child));
        }
        table = match table
            .get_mut(key)
            .and_then(toml_edit::Item::as_table_like_mut)
        {
            Some(child) => child,
            None => return Err(ConfigError::EmptyKeyPath),
        };
    }
    match table.get_mut(last) {
        Some(toml_edit::Item::Value(existing)) => {
            // Keep the comment and spacing around the old value.
            let decor = existing.decor().clone();
            *existing = new_value;
            *existing.decor_mut() = decor;
        }
        _ => {
            table.insert(last, toml_edit::Item::Value(new_value));
        }
    }
    write_atomically(config_file, &doc.to_string())
}

fn syntax_error(path: &Path, text: &str, e: &toml_edit::TomlError) -> ConfigError {
    let origin = match e.span() {
        Some(span) => {
            let (line, column) = line_column(text, span.start);
            Origin::File {
                path: path.to_owned(),
                line,
                column,
            }
        }
        None => Origin::FileUnknownPosition {
            path: path.to_owned(),
        },
    };
    ConfigError::Syntax {
        origin,
        message: e.message().trim().to_owned(),
    }
}

fn write_atomically(path: &Path, contents: &str) -> Result<(), ConfigError> {
    let write_err = |source| ConfigError::WriteFile {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(write_err)?;
    }
    let mut tmp_name = path.file_name().unwrap_or_default().to_owned();
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let result = std::fs::write(&tmp, contents)
        .and_then(|()| match std::fs::metadata(path) {
            Ok(meta) => std::fs::set_permissions(&tmp, meta.permissions()),
            Err(_) => Ok(()),
        })
        .and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(write_err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn keys(path: &[&str]) -> Vec<String> {
        path.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn keeps_comments_and_creates_tables() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sub").join("config.toml");
        set_config_value(&file, &keys(&["model"]), toml::Value::String("o3".into())).unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "model = \"o3\"\n");

        std::fs::write(
            &file,
            "# my settings\nmodel = \"o3\" # fast\n\n[tui]\nanimations = false\n",
        )
        .unwrap();
        set_config_value(
            &file,
            &keys(&["model"]),
            toml::Value::String("gpt-5.5".into()),
        )
        .unwrap();
        set_config_value(
            &file,
            &keys(&["projects", "/src/my app", "trust_level"]),
            toml::Value::String("trusted".into()),
        )
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "# my settings\nmodel = \"gpt-5.5\" # fast\n\n[tui]\nanimations = false\n\n\
             [projects.\"/src/my app\"]\ntrust_level = \"trusted\"\n"
        );
        let entries: Vec<_> = std::fs::read_dir(file.parent().unwrap()).unwrap().collect();
        assert_eq!(entries.len(), 1, "no temp file left behind");
    }

    #[test]
    fn refuses_to_rewrite_a_broken_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.toml");
        std::fs::write(&file, "model = \n").unwrap();
        let err = set_config_value(&file, &keys(&["model"]), toml::Value::Integer(1)).unwrap_err();
        assert!(
            err.to_string()
                .starts_with(&format!("{}:1:", file.display())),
            "{err}"
        );
        assert!(matches!(
            set_config_value(&file, &[], toml::Value::Integer(1)),
            Err(ConfigError::EmptyKeyPath)
        ));
    }
}
