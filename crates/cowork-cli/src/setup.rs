//! Choosing the model a task talks to, and wording setup problems.

use cowork_model::{ModelError, ModelSetting};
use cowork_protocol::config::Config;
use cowork_protocol::{ModelChoice, Provider};

use crate::cli::{ModelArgs, ProviderArg};

/// Why no model could be set up: a configuration problem, exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SetupError(pub String);

pub const NO_MODEL: &str = "no model is configured. Either:\n  \
    export ANTHROPIC_API_KEY=sk-ant-…            (Anthropic)\n  \
    --provider openai --base-url http://localhost:11434/v1 --model qwen2.5:7b   (Ollama or any OpenAI-compatible server)\n  \
    --provider script --script FILE.json         (replay a scripted conversation)\n\
    `cowork doctor` checks the setup.";

fn env_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty())
}

/// Picks the provider from the flags and the environment.
pub fn choose_provider(args: &ModelArgs) -> Result<Provider, SetupError> {
    if let Some(p) = args.provider {
        return Ok(match p {
            ProviderArg::Anthropic => Provider::Anthropic,
            ProviderArg::Openai => Provider::Openai,
            ProviderArg::Script => Provider::Script,
        });
    }
    if args.script.is_some() {
        Ok(Provider::Script)
    } else if env_set("ANTHROPIC_API_KEY") {
        Ok(Provider::Anthropic)
    } else if args.base_url.is_some() || env_set("OPENAI_BASE_URL") || env_set("OPENAI_API_KEY") {
        Ok(Provider::Openai)
    } else {
        Err(SetupError(NO_MODEL.to_owned()))
    }
}

/// The model choice `args` ask for, to record in the task (so `resume`
/// can rebuild it; keys are never recorded). The model itself is built
/// when the task is (`cowork_model::build`), which fills in the name the
/// provider reports.
/// The flags, with what `[model]` in the configuration says where they say
/// nothing — unless they name another provider (or a script), whose model
/// and server the configured ones would not fit.
pub fn with_configured_model(args: &ModelArgs, config: &Config) -> ModelArgs {
    let defaults = &config.model;
    let named = args.provider.map(|p| match p {
        ProviderArg::Anthropic => Provider::Anthropic,
        ProviderArg::Openai => Provider::Openai,
        ProviderArg::Script => Provider::Script,
    });
    let fits = match named {
        None => args.script.is_none(),
        Some(provider) => defaults.provider == Some(provider),
    };
    if !fits {
        return args.clone();
    }
    ModelArgs {
        provider: args.provider.or(defaults.provider.map(|p| match p {
            Provider::Anthropic => ProviderArg::Anthropic,
            Provider::Openai => ProviderArg::Openai,
            Provider::Script => ProviderArg::Script,
        })),
        model: args.model.clone().or_else(|| defaults.model.clone()),
        base_url: args.base_url.clone().or_else(|| defaults.base_url.clone()),
        script: args.script.clone(),
    }
}

pub fn choice_from_args(args: &ModelArgs) -> Result<ModelChoice, SetupError> {
    let provider = choose_provider(args)?;
    let script = match (provider, &args.script) {
        (Provider::Script, None) => {
            return Err(SetupError(
                "the script provider needs --script FILE.json (see the README for the format)"
                    .into(),
            ));
        }
        (Provider::Script, Some(path)) => Some(std::path::absolute(path).map_err(|e| {
            SetupError(format!(
                "cannot use the script path {}: {e}",
                path.display()
            ))
        })?),
        (Provider::Anthropic | Provider::Openai, _) => None,
    };
    Ok(ModelChoice {
        provider,
        model: args.model.clone().unwrap_or_default(),
        base_url: args.base_url.clone(),
        script,
    })
}

/// Words a factory error for the terminal: what the person set up wrong
/// (the model, `--allow-net`) is a configuration problem, exit code 2.
pub fn factory_error(err: cowork_core::FactoryError) -> anyhow::Error {
    use cowork_core::FactoryError;
    match err {
        FactoryError::Model(e) => SetupError(model_error(&e)).into(),
        FactoryError::AllowNet(e) => SetupError(format!("--allow-net: {e}")).into(),
        // The person typed a /command nobody knows: their input, exit 2.
        FactoryError::UnknownCommand(e) => SetupError(e.to_string()).into(),
        FactoryError::StillRunning { id } => anyhow::anyhow!(
            "task {} is still running; stop it (Ctrl-C) before undoing it",
            id.short()
        ),
        FactoryError::Core(_)
        | FactoryError::Store(_)
        | FactoryError::Files(_)
        | FactoryError::Rule(_) => err.into(),
    }
}

/// A model error, pointing at the flag that changes the setting it is
/// about: the model crate names settings, not flags.
pub fn model_error(err: &ModelError) -> String {
    let flag = match err {
        ModelError::Config {
            setting: Some(setting),
            ..
        } => match setting {
            ModelSetting::Provider => {
                "--provider openai --base-url http://localhost:11434/v1 for Ollama"
            }
            ModelSetting::Model => "--model NAME",
            ModelSetting::BaseUrl => "--base-url URL",
            ModelSetting::Script => "--script FILE.json",
        },
        ModelError::NotFound { .. } => "--model NAME and --base-url URL",
        ModelError::Config { setting: None, .. }
        | ModelError::Auth { .. }
        | ModelError::BadRequest { .. }
        | ModelError::Unavailable { .. }
        | ModelError::Connection { .. }
        | ModelError::Stream { .. }
        | ModelError::Protocol { .. }
        | ModelError::ResponseTooLarge { .. }
        | ModelError::ScriptExhausted { .. } => return err.to_string(),
    };
    format!("{err} (on the command line: {flag})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_setting_problem_points_at_the_cli_flag_for_it() {
        let err = ModelError::Config {
            message: "no model named for http://localhost:11434/v1".into(),
            hint: "name the model (e.g. qwen2.5:7b for Ollama)".into(),
            setting: Some(ModelSetting::Model),
        };
        assert!(model_error(&err).ends_with("(on the command line: --model NAME)"));
    }
}
