//! Tokens and client registrations on disk: `<mcp>/tokens/<server>.json`
//! and `<mcp>/clients/<server>.json`, files 0600 in 0700 folders, each
//! written to a temporary file and renamed, so a crash leaves the old
//! login or the new one, never half of one.

use std::collections::BTreeMap;
use std::fs::{DirBuilder, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::OAuthError;
use super::pkce::random_text;

/// A credential: serialised as is, never shown by `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// How the client proves itself at the token endpoint (RFC 7591
/// `token_endpoint_auth_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TokenEndpointAuth {
    /// A public client: `client_id` in the form, no secret.
    #[default]
    None,
    ClientSecretBasic,
    ClientSecretPost,
}

/// Who cowork is to one authorization server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientCredentials {
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<Secret>,
    #[serde(default)]
    pub auth: TokenEndpointAuth,
}

/// A dynamic registration (RFC 7591), kept per server and issuer and
/// reused for later logins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRegistration {
    #[serde(flatten)]
    pub client: ClientCredentials,
    /// The redirect URI registered; its port is tried first next time.
    pub redirect_uri: String,
}

/// One server's login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredToken {
    pub access_token: Secret,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    /// Unix seconds; `None` when the server did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// The scope granted (space-separated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The authorization server that issued the token.
    pub issuer: String,
    /// The RFC 8707 resource the token is for.
    pub resource: String,
    /// The server URL as configured when logging in: a token is never sent
    /// to a URL it was not obtained for.
    pub server_url: String,
    pub token_endpoint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    #[serde(flatten)]
    pub client: ClientCredentials,
    /// More scope a server asked for (403 `insufficient_scope`): the next
    /// `cowork mcp login` asks for it with the scope already granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wanted_scope: Option<String>,
}

/// The OAuth files under cowork's `mcp` data folder.
#[derive(Debug, Clone)]
pub struct TokenStore {
    dir: PathBuf,
}

impl TokenStore {
    /// A store in `mcp_dir` ([`crate::PluginPaths::mcp_dir`]).
    pub fn new(mcp_dir: PathBuf) -> Self {
        Self { dir: mcp_dir }
    }

    /// Where `server`'s login is kept.
    pub fn token_path(&self, server: &str) -> Result<PathBuf, OAuthError> {
        Ok(self.dir.join("tokens").join(file_name(server)?))
    }

    fn clients_path(&self, server: &str) -> Result<PathBuf, OAuthError> {
        Ok(self.dir.join("clients").join(file_name(server)?))
    }

    /// `server`'s login, if there is one.
    pub fn load(&self, server: &str) -> Result<Option<StoredToken>, OAuthError> {
        read_json(&self.token_path(server)?)
    }

    pub fn save(&self, server: &str, token: &StoredToken) -> Result<(), OAuthError> {
        self.write_json(&self.token_path(server)?, token)
    }

    /// Forgets `server`'s login; `false` when there was none.
    pub fn remove(&self, server: &str) -> Result<bool, OAuthError> {
        let path = self.token_path(server)?;
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(OAuthError::Store {
                action: "could not delete",
                path,
                source,
            }),
        }
    }

    /// The client registered for `server` at `issuer`, if any.
    pub fn registration(
        &self,
        server: &str,
        issuer: &str,
    ) -> Result<Option<ClientRegistration>, OAuthError> {
        let all: Option<BTreeMap<String, ClientRegistration>> =
            read_json(&self.clients_path(server)?)?;
        Ok(all.and_then(|mut all| all.remove(issuer)))
    }

    pub fn save_registration(
        &self,
        server: &str,
        issuer: &str,
        registration: &ClientRegistration,
    ) -> Result<(), OAuthError> {
        let path = self.clients_path(server)?;
        let mut all: BTreeMap<String, ClientRegistration> = read_json(&path)?.unwrap_or_default();
        all.insert(issuer.to_owned(), registration.clone());
        self.write_json(&path, &all)
    }

    fn write_json<T: Serialize>(&self, path: &Path, value: &T) -> Result<(), OAuthError> {
        let store = |action, source| OAuthError::Store {
            action,
            path: path.to_owned(),
            source,
        };
        let dir = path
            .parent()
            .ok_or_else(|| store("no folder for", std::io::ErrorKind::InvalidInput.into()))?;
        private_dir(&self.dir).map_err(|e| store("could not create the folder of", e))?;
        private_dir(dir).map_err(|e| store("could not create the folder of", e))?;
        let text = serde_json::to_vec_pretty(value)
            .map_err(|e| store("could not serialise", std::io::Error::other(e)))?;
        let temp = dir.join(format!(".{}.tmp", random_text::<9>()?));
        let written = (|| {
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&temp)?;
            file.write_all(&text)?;
            file.sync_all()?;
            std::fs::rename(&temp, path)?;
            std::fs::File::open(dir)?.sync_all()
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        written.map_err(|e| store("could not write", e))
    }
}

/// Creates `dir` (and parents) and makes it 0700, also when it existed
/// with looser permissions.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, OAuthError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(OAuthError::Store {
                action: "could not read",
                path: path.to_owned(),
                source,
            });
        }
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| OAuthError::CorruptStore {
            path: path.to_owned(),
            reason: e.to_string(),
        })
}

/// `server.json`, with every byte outside `[A-Za-z0-9_-]` written as
/// `%XX`: any name a configuration gives (`google calendar`, even
/// `../evil`) maps to one plain file inside the folder, and two names
/// never share a file. Only empty and overlong names are refused.
fn file_name(server: &str) -> Result<String, OAuthError> {
    if server.is_empty() || server.len() > 200 {
        return Err(OAuthError::BadServerName {
            name: server.to_owned(),
        });
    }
    let mut name = String::with_capacity(server.len() + 5);
    for byte in server.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-' {
            name.push(char::from(byte));
        } else {
            name.push_str(&format!("%{byte:02X}"));
        }
    }
    name.push_str(".json");
    Ok(name)
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
