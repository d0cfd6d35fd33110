//! Building the model a task's recorded [`ModelChoice`] names.

use std::sync::Arc;

use cowork_protocol::{ModelChoice, Provider};

use crate::anthropic::{AnthropicConfig, AnthropicModel};
use crate::openai::{OpenAiConfig, OpenAiModel};
use crate::script::ScriptModel;
use crate::{Model, ModelError, ModelSetting};

/// Builds the model `choice` names, with keys from the environment (they
/// are never recorded in a task). `calls_made` is how many model calls the
/// task already recorded: a script resumes at that turn, so a resumed or
/// continued task does not replay the turns it already had.
pub fn build(choice: &ModelChoice, calls_made: usize) -> Result<Arc<dyn Model>, ModelError> {
    let model = (!choice.model.is_empty()).then(|| choice.model.clone());
    Ok(match choice.provider {
        Provider::Anthropic => Arc::new(AnthropicModel::new(AnthropicConfig::from_env(
            model,
            choice.base_url.clone(),
        )?)?),
        Provider::Openai => Arc::new(OpenAiModel::new(OpenAiConfig::from_env(
            model,
            choice.base_url.clone(),
        )?)?),
        Provider::Script => {
            let Some(path) = &choice.script else {
                return Err(ModelError::Config {
                    message: "the script provider was chosen without a conversation file".into(),
                    hint: "name the script file to replay (see the README for its format)".into(),
                    setting: Some(ModelSetting::Script),
                });
            };
            Arc::new(ScriptModel::from_file(path)?.with_start(calls_made))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script_choice(script: Option<std::path::PathBuf>) -> ModelChoice {
        ModelChoice {
            provider: Provider::Script,
            model: String::new(),
            base_url: None,
            script,
        }
    }

    #[test]
    fn a_script_choice_without_a_file_is_a_config_error_naming_no_cli_flag() {
        let Err(err) = build(&script_choice(None), 0) else {
            panic!("a script choice without a file must not build");
        };
        assert!(matches!(err, ModelError::Config { .. }), "{err:?}");
        assert!(!err.to_string().contains("--"), "{err}");
    }

    #[test]
    fn a_script_choice_builds_the_script_model_resuming_at_the_calls_made() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        std::fs::write(&path, r#"{"turns":[{"text":"one"},{"text":"two"}]}"#).unwrap();
        let model = build(&script_choice(Some(path)), 1).unwrap();
        let request = crate::ModelRequest::new("sys", vec![]);
        let response = futures::executor::block_on(model.complete(request)).unwrap();
        assert_eq!(
            response.content,
            vec![cowork_protocol::ContentBlock::Text { text: "two".into() }]
        );
    }

    #[test]
    fn a_missing_script_file_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let err = build(&script_choice(Some(dir.path().join("absent.json"))), 0);
        assert!(err.is_err());
    }
}
