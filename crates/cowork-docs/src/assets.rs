//! Where writers get the images a spec names: the caller decides what may
//! be read (a task's connected folders, a CLI user's working directory).

use crate::error::DocsError;

/// Loads the bytes of an image named in a spec (`![alt](figures/q1.png)`).
pub trait Assets {
    /// The file's bytes. `name` is exactly as the spec wrote it.
    fn load(&self, name: &str) -> Result<Vec<u8>, DocsError>;
}

/// Refuses every asset: for specs that must be self-contained.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAssets;

impl Assets for NoAssets {
    fn load(&self, name: &str) -> Result<Vec<u8>, DocsError> {
        Err(DocsError::Asset {
            name: name.to_owned(),
            message: "this document cannot load files; embed a chart instead".to_owned(),
        })
    }
}

/// Reads assets relative to a directory (the CLI: next to the spec file).
/// Absolute paths and `..` are refused.
#[derive(Debug, Clone)]
pub struct DirAssets {
    root: std::path::PathBuf,
}

impl DirAssets {
    /// Assets under `root`.
    pub fn new(root: impl Into<std::path::PathBuf>) -> Self {
        Self { root: root.into() }
    }
}

impl Assets for DirAssets {
    fn load(&self, name: &str) -> Result<Vec<u8>, DocsError> {
        let path = std::path::Path::new(name);
        let escapes = path.is_absolute()
            || path
                .components()
                .any(|c| matches!(c, std::path::Component::ParentDir));
        if escapes {
            return Err(DocsError::Asset {
                name: name.to_owned(),
                message: "give a path relative to the spec's folder, without `..`".to_owned(),
            });
        }
        std::fs::read(self.root.join(path)).map_err(|e| DocsError::Asset {
            name: name.to_owned(),
            message: e.to_string(),
        })
    }
}
