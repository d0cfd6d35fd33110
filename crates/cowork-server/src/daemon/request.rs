//! Checking a new task's request before anything is recorded: every
//! problem comes back as a 400 that names the field and the fix, in the
//! words of the API (it has no flags).

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use cowork_model::Model;
use cowork_protocol::config::Config;
use cowork_protocol::{Budget, FolderGrant, ModelChoice, Provider, TaskSpec};
use cowork_sandbox::egress::Allowlist;

use crate::backend::{BackendError, FolderRequest, NewTask};

/// The turn budget when a request names none, as `cowork run`'s.
pub const DEFAULT_MAX_TURNS: u32 = 100;

/// How a daemon task runs, beyond its spec: chosen when it was submitted
/// and kept beside it, so a run resumed after a restart runs the same way.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunChoices {
    /// Commands run without the sandbox.
    #[serde(default)]
    pub unsandboxed: bool,
    /// Where commands may connect, in the allowlist syntax; `None`: nowhere.
    #[serde(default)]
    pub allow_net: Option<String>,
    /// Everything that would ask is allowed (deny rules still win).
    #[serde(default)]
    pub assume_yes: bool,
}

/// A request that passed every check.
pub(crate) struct Prepared {
    /// With the model's name as the provider reports it.
    pub spec: TaskSpec,
    pub run: RunChoices,
    pub model: Arc<dyn Model>,
}

/// Checks `request` and builds its model (a missing key or an unreachable
/// configuration is the request's problem, said now rather than when the
/// task first calls the model). `env` looks up the daemon's environment.
pub(crate) fn prepare(
    mut request: NewTask,
    config: &Config,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Prepared, BackendError> {
    // What the request leaves out, the configuration's `[model]` says —
    // unless the request names another provider, whose model and server
    // the configured ones would not fit.
    let defaults = &config.model;
    let named = request.provider.as_deref().map(str::trim);
    let same_provider = match (named, defaults.provider) {
        (None, _) => request.script.is_none(),
        (Some(name), Some(configured)) => name == configured.as_str(),
        (Some(_), None) => false,
    };
    if same_provider {
        if request.provider.is_none() {
            request.provider = defaults.provider.map(|p| p.as_str().to_owned());
        }
        if request.model.is_none() {
            request.model.clone_from(&defaults.model);
        }
        if request.base_url.is_none() {
            request.base_url.clone_from(&defaults.base_url);
        }
    }
    let prompt = request.prompt.trim();
    if prompt.is_empty() {
        return Err(BackendError::BadRequest(
            "the prompt is empty; say what the task should do".to_owned(),
        ));
    }
    let folders = request
        .folders
        .iter()
        .map(grant)
        .collect::<Result<Vec<_>, _>>()?;
    let provider = provider(&request, env)?;
    let script = match (provider, &request.script) {
        (Provider::Script, None) => {
            return Err(BackendError::BadRequest(
                "the script provider needs `script`: the absolute path of a conversation file"
                    .to_owned(),
            ));
        }
        (Provider::Script, Some(path)) => Some(absolute("script", path)?.to_path_buf()),
        (Provider::Anthropic | Provider::Openai, _) => None,
    };
    let choice = ModelChoice {
        provider,
        model: request.model.clone().unwrap_or_default(),
        base_url: request.base_url.clone(),
        script,
    };
    let model = cowork_model::build(&choice, 0)
        .map_err(|e| BackendError::BadRequest(format!("the model cannot be set up: {e}")))?;
    let choice = ModelChoice {
        model: model.info().model,
        ..choice
    };
    let budget = Budget {
        max_turns: Some(at_least_one("maxTurns", request.max_turns)?.unwrap_or(DEFAULT_MAX_TURNS)),
        max_tokens: at_least_one("maxTokens", request.max_tokens)?,
        max_wall_secs: at_least_one("timeoutSecs", request.timeout_secs)?,
    };
    let unsandboxed = match request.sandbox.as_deref().map(str::trim) {
        None | Some("auto") => false,
        Some("none") => true,
        Some(other) => {
            return Err(BackendError::BadRequest(format!(
                "`sandbox` is `{other}`; use `auto` (commands run isolated) or `none`"
            )));
        }
    };
    let allow_net = allow_net(&request.allow_net)?;
    let spec = TaskSpec {
        prompt: prompt.to_owned(),
        folders,
        model: choice,
        budget,
        mode: request.mode.or(config.mode).unwrap_or_default(),
        project: None,
        rules: Vec::new(),
        connectors: None,
        schedule: None,
    };
    Ok(Prepared {
        spec,
        run: RunChoices {
            unsandboxed,
            allow_net,
            assume_yes: request.assume_yes,
        },
        model,
    })
}

/// A folder to connect: it must exist and be a directory; the grant holds
/// its canonical path.
fn grant(folder: &FolderRequest) -> Result<FolderGrant, BackendError> {
    let given = absolute("folders", &folder.path)?;
    let path = std::fs::canonicalize(given).map_err(|e| {
        BackendError::BadRequest(format!(
            "the folder {} cannot be connected: {e}; check that it exists and that you may open it",
            given.display()
        ))
    })?;
    if !path.is_dir() {
        return Err(BackendError::BadRequest(format!(
            "{} is a file, not a folder; connect the folder that holds it",
            given.display()
        )));
    }
    Ok(FolderGrant {
        path,
        read_only: folder.read_only,
    })
}

/// The daemon has no working folder of the person's, so a relative path
/// would name something they did not mean.
fn absolute<'p>(field: &str, path: &'p Path) -> Result<&'p Path, BackendError> {
    if path.is_absolute() {
        Ok(path)
    } else {
        Err(BackendError::BadRequest(format!(
            "`{field}`: {} is not an absolute path; give the full path (starting with /)",
            path.display()
        )))
    }
}

/// Which provider: the one named, else the script when a script is given,
/// else what the daemon's environment configures.
fn provider(
    request: &NewTask,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Provider, BackendError> {
    let set = |name: &str| env(name).is_some_and(|v| !v.trim().is_empty());
    match request.provider.as_deref().map(str::trim) {
        Some("anthropic") => Ok(Provider::Anthropic),
        Some("openai") => Ok(Provider::Openai),
        Some("script") => Ok(Provider::Script),
        Some(other) => Err(BackendError::BadRequest(format!(
            "`provider` is `{other}`; use `anthropic`, `openai` or `script`"
        ))),
        None if request.script.is_some() => Ok(Provider::Script),
        None if set("ANTHROPIC_API_KEY") => Ok(Provider::Anthropic),
        None if request.base_url.is_some() || set("OPENAI_BASE_URL") || set("OPENAI_API_KEY") => {
            Ok(Provider::Openai)
        }
        None => Err(BackendError::BadRequest(
            "no model is configured for the daemon: start it with ANTHROPIC_API_KEY set, set \
             `[model]` (provider, model, base_url) in config.toml, or send `provider: \"openai\"` \
             with a `baseUrl` (Ollama, llama.cpp, vLLM) and a `model`"
                .to_owned(),
        )),
    }
}

fn at_least_one<T: PartialEq + From<u8>>(
    field: &str,
    value: Option<T>,
) -> Result<Option<T>, BackendError> {
    match value {
        Some(v) if v == T::from(0) => Err(BackendError::BadRequest(format!(
            "`{field}` is 0; give at least 1"
        ))),
        other => Ok(other),
    }
}

/// The allowlist, checked now so a queued task does not fail later.
fn allow_net(entries: &[String]) -> Result<Option<String>, BackendError> {
    let entries: Vec<&str> = entries
        .iter()
        .map(|e| e.trim())
        .filter(|e| !e.is_empty())
        .collect();
    if entries.is_empty() {
        return Ok(None);
    }
    let spec = entries.join(",");
    Allowlist::parse(&spec)
        .map_err(|e| BackendError::BadRequest(format!("`allowNet` is not valid: {e}")))?;
    Ok(Some(spec))
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
