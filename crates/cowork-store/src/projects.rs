//! Projects: a name, the folders and links its tasks get, instructions,
//! and default mode and model. Tasks name their project in their spec
//! (`TaskSpec::project`, the project's id), so a renamed project keeps its
//! tasks. The project's files live on disk beside the database (the
//! front copies them there); memory and schedules refer to the id too.

use cowork_protocol::{FolderGrant, PermissionMode, TaskId};
use rusqlite::{ErrorCode, OptionalExtension, Row, params};

use crate::error::SqlContext;
use crate::read::{TASK_COLUMNS, TaskRow};
use crate::store::{Durability, now_ms};
use crate::{Store, StoreError};

/// The longest project name, in characters.
pub const MAX_PROJECT_NAME: usize = 80;

/// A project as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// 12 hex digits, random; what tasks, memory and schedules refer to.
    pub id: String,
    pub name: String,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
    /// When it was archived; `None`: active.
    pub archived_at: Option<i64>,
    pub instructions: String,
    pub folders: Vec<FolderGrant>,
    pub links: Vec<String>,
    pub mode: Option<PermissionMode>,
    pub model: Option<String>,
}

/// What a new project is made of.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewProject {
    pub name: String,
    pub instructions: String,
    pub folders: Vec<FolderGrant>,
    pub links: Vec<String>,
    pub mode: Option<PermissionMode>,
    pub model: Option<String>,
}

/// Why a project could not be found, created or changed.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("no project is named `{0}`; `cowork project list --all` shows them")]
    NotFound(String),
    #[error("a project named `{0}` exists already; pick another name")]
    NameTaken(String),
    #[error("`{name}` cannot be a project name: {why}")]
    BadName { name: String, why: &'static str },
    #[error("project `{0}` is archived; `cowork project archive {0} --undo` brings it back")]
    Archived(String),
    #[error("the record of project `{name}` cannot be read: {message}")]
    Corrupt { name: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

const COLUMNS: &str =
    "id, name, created_at, updated_at, archived_at, instructions, folders, links, mode, model";

/// Checks a name a person typed: it is how they will name the project in
/// every command.
pub fn check_project_name(name: &str) -> Result<(), ProjectError> {
    check_name(name).map_err(|why| ProjectError::BadName {
        name: name.to_owned(),
        why,
    })
}

/// What is wrong with `name` as the name of something a person will type
/// in every command (a project, a schedule), if anything.
pub(crate) fn check_name(name: &str) -> Result<(), &'static str> {
    let bad = Err;
    if name.trim().is_empty() {
        return bad("it is empty");
    }
    if name.trim() != name {
        return bad("it starts or ends with a space");
    }
    if name.chars().count() > MAX_PROJECT_NAME {
        return bad("it is longer than 80 characters");
    }
    if name.chars().any(char::is_control) {
        return bad("it holds a control character");
    }
    if name.starts_with('-') {
        return bad("it starts with `-`, which reads as an option");
    }
    Ok(())
}

impl Store {
    /// Records a new project.
    pub fn create_project(&self, new: &NewProject) -> Result<Project, ProjectError> {
        check_project_name(&new.name)?;
        let now = now_ms();
        let project = Project {
            // Random hex, as task ids are; 12 digits are plenty for the
            // projects of one person.
            id: TaskId::new().as_str()[..12].to_owned(),
            name: new.name.clone(),
            created_at: now,
            updated_at: now,
            archived_at: None,
            instructions: new.instructions.clone(),
            folders: new.folders.clone(),
            links: new.links.clone(),
            mode: new.mode,
            model: new.model.clone(),
        };
        let row = Encoded::of(&project)?;
        let path = self.path();
        let inserted = self.write(Durability::Normal, |tx| {
            tx.prepare_cached(&format!(
                "INSERT INTO projects ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?6, ?7, ?8, ?9)"
            ))
            .and_then(|mut stmt| {
                stmt.execute(params![
                    project.id,
                    project.name,
                    now,
                    now,
                    project.instructions,
                    row.folders,
                    row.links,
                    row.mode,
                    project.model,
                ])
            })
            .at(path)
        });
        match inserted {
            Ok(_) => Ok(project),
            Err(e) if is_unique_violation(&e) => Err(ProjectError::NameTaken(new.name.clone())),
            Err(e) => Err(e.into()),
        }
    }

    /// A project by name (any case) or id. An archived one is found too:
    /// callers that start tasks check [`Project::archived_at`].
    pub fn project(&self, name_or_id: &str) -> Result<Project, ProjectError> {
        let path = self.path();
        let conn = self.conn();
        let wanted = name_or_id.trim();
        let found = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM projects WHERE name = ?1 COLLATE NOCASE OR id = ?1 \
                 ORDER BY name = ?1 COLLATE NOCASE DESC LIMIT 1"
            ))
            .and_then(|mut stmt| stmt.query_row(params![wanted], raw).optional())
            .at(path)?;
        match found {
            Some(raw) => raw.decode(),
            None => Err(ProjectError::NotFound(wanted.to_owned())),
        }
    }

    /// Every project by name; archived ones only with `archived`.
    pub fn list_projects(&self, archived: bool) -> Result<Vec<Project>, ProjectError> {
        let path = self.path();
        let conn = self.conn();
        let filter = if archived {
            ""
        } else {
            "WHERE archived_at IS NULL"
        };
        let raws: Vec<RawProject> = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM projects {filter} ORDER BY name COLLATE NOCASE"
            ))
            .and_then(|mut stmt| stmt.query_map([], raw)?.collect())
            .at(path)?;
        raws.into_iter().map(RawProject::decode).collect()
    }

    /// Writes `project`'s fields over the stored ones (matched by id);
    /// `updated_at` becomes now.
    pub fn update_project(&self, project: &Project) -> Result<Project, ProjectError> {
        check_project_name(&project.name)?;
        let row = Encoded::of(project)?;
        let now = now_ms();
        let path = self.path();
        let updated = self.write(Durability::Normal, |tx| {
            tx.prepare_cached(
                "UPDATE projects SET name = ?2, updated_at = ?3, archived_at = ?4, \
                 instructions = ?5, folders = ?6, links = ?7, mode = ?8, model = ?9 WHERE id = ?1",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    project.id,
                    project.name,
                    now,
                    project.archived_at,
                    project.instructions,
                    row.folders,
                    row.links,
                    row.mode,
                    project.model,
                ])
            })
            .at(path)
        });
        match updated {
            Ok(0) => Err(ProjectError::NotFound(project.name.clone())),
            Ok(_) => Ok(Project {
                updated_at: now,
                ..project.clone()
            }),
            Err(e) if is_unique_violation(&e) => Err(ProjectError::NameTaken(project.name.clone())),
            Err(e) => Err(e.into()),
        }
    }

    /// The project's tasks, newest first, at most `limit`.
    pub fn project_tasks(&self, id: &str, limit: usize) -> Result<Vec<TaskRow>, StoreError> {
        let path = self.path();
        let conn = self.conn();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let raws = conn
            .prepare_cached(&format!(
                "SELECT {TASK_COLUMNS} FROM tasks WHERE json_extract(spec, '$.project') = ?1 \
                 ORDER BY created_at DESC LIMIT ?2"
            ))
            .and_then(|mut stmt| {
                stmt.query_map(params![id, limit], crate::read::raw_task)?
                    .collect::<Result<Vec<_>, _>>()
            })
            .at(path)?;
        raws.into_iter()
            .map(crate::read::RawTask::into_row)
            .collect()
    }
}

pub(crate) fn is_unique_violation(error: &StoreError) -> bool {
    match error {
        StoreError::Sqlite { source, .. } => {
            source.sqlite_error_code() == Some(ErrorCode::ConstraintViolation)
        }
        _ => false,
    }
}

/// The JSON columns of a project.
struct Encoded {
    folders: String,
    links: String,
    mode: Option<String>,
}

impl Encoded {
    fn of(project: &Project) -> Result<Self, StoreError> {
        let encode = |what, value: &dyn erased::Json| {
            value
                .json()
                .map_err(|source| StoreError::Encode { what, source })
        };
        Ok(Self {
            folders: encode("the project's folders", &project.folders)?,
            links: encode("the project's links", &project.links)?,
            mode: project.mode.map(|m| m.as_str().to_owned()),
        })
    }
}

mod erased {
    /// JSON of a value, behind a trait object so one closure encodes
    /// values of several types.
    pub(super) trait Json {
        fn json(&self) -> Result<String, serde_json::Error>;
    }

    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> Result<String, serde_json::Error> {
            serde_json::to_string(self)
        }
    }
}

/// A row as read, decoded after the connection is released.
struct RawProject {
    id: String,
    name: String,
    created_at: i64,
    updated_at: i64,
    archived_at: Option<i64>,
    instructions: String,
    folders: String,
    links: String,
    mode: Option<String>,
    model: Option<String>,
}

fn raw(row: &Row<'_>) -> rusqlite::Result<RawProject> {
    Ok(RawProject {
        id: row.get(0)?,
        name: row.get(1)?,
        created_at: row.get(2)?,
        updated_at: row.get(3)?,
        archived_at: row.get(4)?,
        instructions: row.get(5)?,
        folders: row.get(6)?,
        links: row.get(7)?,
        mode: row.get(8)?,
        model: row.get(9)?,
    })
}

impl RawProject {
    fn decode(self) -> Result<Project, ProjectError> {
        let corrupt = |message: String| ProjectError::Corrupt {
            name: self.name.clone(),
            message,
        };
        let folders = serde_json::from_str(&self.folders)
            .map_err(|e| corrupt(format!("its folders: {e}")))?;
        let links =
            serde_json::from_str(&self.links).map_err(|e| corrupt(format!("its links: {e}")))?;
        let mode = match self.mode.as_deref() {
            None => None,
            Some(text) => Some(
                [
                    PermissionMode::Ask,
                    PermissionMode::Auto,
                    PermissionMode::Plan,
                ]
                .into_iter()
                .find(|m| m.as_str() == text)
                .ok_or_else(|| corrupt(format!("its mode `{text}`")))?,
            ),
        };
        Ok(Project {
            id: self.id,
            name: self.name,
            created_at: self.created_at,
            updated_at: self.updated_at,
            archived_at: self.archived_at,
            instructions: self.instructions,
            folders,
            links,
            mode,
            model: self.model,
        })
    }
}

#[cfg(test)]
#[path = "projects_tests.rs"]
mod tests;
