//! The types every cowork layer shares, and nothing else: ids, the task
//! event log, conversation messages, tool specifications, and the script
//! format the scripted model and the mock model server replay.
//!
//! This crate depends only on serde. It knows no I/O, no model provider, no
//! storage: a type lands here when two crates must agree on it.
//!
//! ```
//! use cowork_protocol::{ContentBlock, Message};
//! let m = Message::user_text("Summarise notes.txt");
//! assert!(matches!(&m.content[0], ContentBlock::Text { text } if text.contains("notes")));
//! ```

mod change;
pub mod config;
mod envelope;
mod event;
mod id;
mod instructions;
mod memory;
mod message;
mod path;
mod schedule;
pub mod script;
mod tool;
pub mod words;

pub use change::{Change, FileStamp};
pub use envelope::Envelope;
pub use event::{
    ApprovalDecision, Budget, BudgetExceeded, ConnectorStatus, EndReason, Event, FolderGrant,
    ModelChoice, Op, PermissionMode, Provider, TaskSpec, TaskStatus,
};
pub use id::TaskId;
pub use instructions::{InstructionLayer, InstructionSource};
pub use memory::{MemoryScope, RecalledMemory};
pub use message::{ContentBlock, InvalidInput, Message, Role, StopReason, Usage};
pub use path::{RawPath, serde_path};
pub use schedule::{ScheduleLink, ScheduleScope, ScheduledRunKind};
pub use tool::{Effect, ToolSpec};
