//! Parsing specs from JSON with errors that name the field, and the JSON
//! schemas the tools show the model.

use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use crate::error::DocsError;

/// Parses a spec, naming the offending field on error
/// (`sheets[0].columns[2].format: unknown variant "money", expected one of
/// ...`).
pub fn parse<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T, DocsError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        DocsError::invalid(
            if path == "." {
                "(top level)".to_owned()
            } else {
                path
            },
            e.into_inner().to_string(),
        )
    })
}

/// Parses a spec from JSON text, naming the field or the line on error.
pub fn parse_str<T: DeserializeOwned>(text: &str) -> Result<T, DocsError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        DocsError::invalid(
            format!("line {}, column {}", e.line(), e.column()),
            format!("not valid JSON: {e}"),
        )
    })?;
    parse(&value)
}

/// The JSON schema of a spec type, for a tool's `input_schema`. Inlined
/// (no `$ref`s) because several model APIs reject references.
pub fn schema<T: JsonSchema>() -> serde_json::Value {
    let mut settings = schemars::generate::SchemaSettings::draft07();
    settings.inline_subschemas = true;
    let schema = settings.into_generator().into_root_schema_for::<T>();
    let mut value = serde_json::to_value(schema).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.remove("$schema");
        map.remove("title");
    }
    value
}
