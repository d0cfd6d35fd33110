//! Reading a file a task touched, for every front that shows one (the
//! API's preview and download, the web UI's previews).

use cowork_protocol::TaskId;

use crate::backend::{Backend, BackendError, FileContent};

/// The current content of `path` if (and only if) the task's file list
/// names it exactly. The backend promises the same, but the HTTP edge does
/// not rely on it: a path nobody listed (`../`, another task's file, any
/// file at all) never reaches a file read. Blocking: call it from
/// `spawn_blocking`.
pub fn read_touched(
    backend: &dyn Backend,
    task: &TaskId,
    path: &str,
) -> Result<FileContent, BackendError> {
    let listed = backend.files(task)?.iter().any(|f| f.path == path);
    if !listed {
        return Err(BackendError::NotFound(format!(
            "{path} is not a file this task created or changed"
        )));
    }
    backend.read_file(task, path)
}
