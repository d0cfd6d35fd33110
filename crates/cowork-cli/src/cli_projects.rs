//! Arguments of `cowork project …`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::cli::ModeArg;

#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Create a project: folders, links, instructions and defaults that
    /// every task started in it gets (`cowork run --project NAME`).
    Create(CreateArgs),
    /// List projects (archived ones with --all).
    List(ListArgs),
    /// A project's settings, files and latest tasks.
    Show(ShowArgs),
    /// Change a project.
    Edit(EditArgs),
    /// Archive a project: it keeps its tasks, files and memory but takes
    /// no new task. --undo brings it back.
    Archive(ArchiveArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    pub name: String,
    /// A folder its tasks connect, read-write or read-only (`:ro`); again
    /// for more.
    #[arg(long = "folder", short = 'f', value_name = "PATH[:ro]")]
    pub folders: Vec<String>,
    /// What every task of the project is told first.
    #[arg(long, conflicts_with = "instructions_file")]
    pub instructions: Option<String>,
    /// The instructions, from a file.
    #[arg(long, value_name = "FILE")]
    pub instructions_file: Option<PathBuf>,
    /// A link the project keeps (http or https); again for more.
    #[arg(long = "link", value_name = "URL")]
    pub links: Vec<String>,
    /// A file copied into the project's storage, readable by its tasks;
    /// again for more.
    #[arg(long = "file", value_name = "PATH")]
    pub files: Vec<PathBuf>,
    /// The permission mode its tasks start in unless `run --mode` says.
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
    /// The model its tasks use unless `run --model` says.
    #[arg(long, short = 'm')]
    pub model: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Archived projects too.
    #[arg(long)]
    pub all: bool,
    /// One JSON object per line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    pub name: String,
    /// As one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    pub name: String,
    /// A new name.
    #[arg(long, value_name = "NAME")]
    pub rename: Option<String>,
    #[arg(long, conflicts_with = "instructions_file")]
    pub instructions: Option<String>,
    #[arg(long, value_name = "FILE")]
    pub instructions_file: Option<PathBuf>,
    #[arg(long = "add-folder", value_name = "PATH[:ro]")]
    pub add_folders: Vec<String>,
    /// A folder to stop connecting (as listed by `show`).
    #[arg(long = "remove-folder", value_name = "PATH")]
    pub remove_folders: Vec<PathBuf>,
    #[arg(long = "add-link", value_name = "URL")]
    pub add_links: Vec<String>,
    #[arg(long = "remove-link", value_name = "URL")]
    pub remove_links: Vec<String>,
    #[arg(long = "add-file", value_name = "PATH")]
    pub add_files: Vec<PathBuf>,
    /// A file of the project's storage to delete (by name, as `show`
    /// lists it). It goes to cowork's trash.
    #[arg(long = "remove-file", value_name = "NAME")]
    pub remove_files: Vec<String>,
    #[arg(long, value_enum, conflicts_with = "no_mode")]
    pub mode: Option<ModeArg>,
    /// Forget the default mode.
    #[arg(long)]
    pub no_mode: bool,
    #[arg(long, short = 'm', conflicts_with = "no_model")]
    pub model: Option<String>,
    /// Forget the default model.
    #[arg(long)]
    pub no_model: bool,
}

#[derive(Debug, Args)]
pub struct ArchiveArgs {
    pub name: String,
    /// Bring an archived project back.
    #[arg(long)]
    pub undo: bool,
}
