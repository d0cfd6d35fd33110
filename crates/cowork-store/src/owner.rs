//! Which process runs a task, identified well enough that a recycled pid is
//! not mistaken for it.

use std::path::Path;

use crate::StoreError;

/// The process that runs a task: its pid plus its start time, so that a
/// later process reusing the pid is not taken for the owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Owner {
    pub pid: u32,
    /// Field 22 of `/proc/<pid>/stat`: clock ticks from boot to the
    /// process's start. 0 where there is no procfs, and then only the pid
    /// is checked.
    pub start_time: u64,
}

/// What `/proc/<pid>/stat` tells about a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stat {
    pub start_time: u64,
    /// Exited but not yet reaped by its parent (states `Z` and `X`).
    pub zombie: bool,
}

impl Owner {
    /// The current process.
    pub fn current() -> Result<Self, StoreError> {
        let pid = std::process::id();
        if !has_procfs() {
            return Ok(Self { pid, start_time: 0 });
        }
        let stat = read_stat(pid).map_err(|message| StoreError::ProcessInfo { pid, message })?;
        Ok(Self {
            pid,
            start_time: stat.start_time,
        })
    }

    /// Whether the process still runs. A zombie, or a live process with the
    /// same pid but another start time, is not the owner any more.
    pub fn is_alive(&self) -> bool {
        if has_procfs() {
            return match read_stat(self.pid) {
                Ok(stat) => !stat.zombie && stat.start_time == self.start_time,
                // The entry vanished (or never existed): the process is gone.
                Err(_) => false,
            };
        }
        signal_probe(self.pid)
    }
}

fn has_procfs() -> bool {
    Path::new("/proc/self/stat").exists()
}

/// Asks the kernel whether a pid exists, without sending a signal.
fn signal_probe(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    match rustix::process::test_kill_process(pid) {
        Ok(()) => true,
        // It exists but belongs to someone else.
        Err(errno) => errno == rustix::io::Errno::PERM,
    }
}

fn read_stat(pid: u32) -> Result<Stat, String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).map_err(|e| e.to_string())?;
    parse_stat(&text)
}

/// Parses a `/proc/<pid>/stat` line. The command name (field 2) is in
/// parentheses and may itself contain spaces and parentheses, so fields are
/// counted from the last `)`.
pub(crate) fn parse_stat(text: &str) -> Result<Stat, String> {
    let after_comm = text
        .rfind(')')
        .and_then(|i| text.get(i + 1..))
        .ok_or_else(|| format!("no command name in {text:?}"))?;
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    // fields[0] is field 3 (state), so field N is fields[N - 3].
    let state = fields
        .first()
        .ok_or_else(|| format!("no state in {text:?}"))?;
    let start_time = fields
        .get(22 - 3)
        .ok_or_else(|| format!("no start time in {text:?}"))?
        .parse::<u64>()
        .map_err(|e| format!("bad start time in {text:?}: {e}"))?;
    Ok(Stat {
        start_time,
        zombie: matches!(*state, "Z" | "X"),
    })
}

#[cfg(test)]
#[path = "owner_tests.rs"]
mod tests;
