//! Hostile documents that declare far more than they hold: each must come
//! back as a clear error or a capped read, quickly, with bounded memory.
//!
//! Out-of-memory aborts a process instead of panicking, so each test runs
//! its read again in a child of this test binary whose address space is
//! capped (`ulimit -v`): an allocation sized by what the file declares
//! kills the child, and the test fails.

use std::io::{Cursor, Write as _};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Set in the child that does the reading.
const CHILD: &str = "COWORK_DOCS_LIMITS_CHILD";
/// The child's address space: the test binary and a bounded read fit.
const ADDRESS_SPACE_KB: u64 = 1024 * 1024;

/// CPU time this process has used: wall time on a shared machine says
/// more about the neighbours than about the read.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    // utime and stime, fields 14 and 15, in clock ticks (USER_HZ, 100).
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

/// Runs `body` in a child process capped at [`ADDRESS_SPACE_KB`], which
/// must also finish the read within two seconds of CPU time. `module` is
/// the caller's `module_path!()`, `test` its function name.
pub fn in_bounded_child(module: &str, test: &str, body: impl FnOnce()) {
    if std::env::var_os(CHILD).is_some() {
        let (cpu, wall) = (cpu_time(), Instant::now());
        body();
        let (cpu, wall) = (cpu_time() - cpu, wall.elapsed());
        assert!(cpu < Duration::from_secs(2), "took {cpu:?} of CPU time");
        assert!(wall < Duration::from_secs(20), "took {wall:?}");
        return;
    }
    // One child at a time, so the time limit measures the read rather
    // than this binary's other children (the machine is shared anyway).
    static ONE_CHILD: Mutex<()> = Mutex::new(());
    let _turn = ONE_CHILD.lock().unwrap_or_else(|e| e.into_inner());
    let exe = std::env::current_exe().unwrap();
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {ADDRESS_SPACE_KB} && exec \"$0\" \"$@\""
        ))
        .arg(exe)
        .args([
            &format!("{}::{test}", module.trim_start_matches("all::")),
            "--exact",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "the bounded child failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
}

pub fn zip(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in parts {
        let options = if *name == "mimetype" {
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored)
        } else {
            zip::write::SimpleFileOptions::default()
        };
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

mod packages;
#[cfg(feature = "pdf")]
mod pdf;
mod sheets;

/// Sets the declared uncompressed size of every central-directory entry
/// named `name` to `size`.
pub fn declare_size(bytes: &mut [u8], name: &str, size: u32) {
    let mut at = 0;
    while let Some(pos) = bytes[at..]
        .windows(4)
        .position(|w| w == [0x50, 0x4B, 0x01, 0x02])
    {
        let start = at + pos;
        let name_len = usize::from(u16::from_le_bytes([bytes[start + 28], bytes[start + 29]]));
        if &bytes[start + 46..start + 46 + name_len] == name.as_bytes() {
            bytes[start + 24..start + 28].copy_from_slice(&size.to_le_bytes());
        }
        at = start + 4;
    }
}
