//! A real headless Chromium for browser tests, driven through
//! `chromedriver` with the [`crate::webdriver`] client.
//!
//! `.ci/run` installs Debian's `chromium` and `chromium-driver` and sets
//! `COWORK_REQUIRE_BROWSER=1`, so in CI a missing browser fails the test.
//! Elsewhere [`Browser::start`] returns `None` with a one-line "skipped"
//! note on stderr, so `cargo test` works on a machine without Chromium:
//!
//! ```no_run
//! # async fn demo() -> Result<(), cowork_test_support::webdriver::WebDriverError> {
//! use std::time::Duration;
//! use cowork_test_support::browser::Browser;
//!
//! let Some(browser) = Browser::start(1280, 800).await else {
//!     return Ok(()); // skipped: no Chromium here
//! };
//! browser.goto("http://127.0.0.1:4680/").await?;
//! browser.find("button#go").await?.click().await?;
//! browser.wait_for_text("#status", "Done", Duration::from_secs(5)).await?;
//! let png = browser.screenshot().await?;
//! browser.close().await;
//! # Ok(()) }
//! ```

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::webdriver::{Session, WebDriverError};

/// How long chromedriver may take to say which port it listens on.
const DRIVER_START: Duration = Duration::from_secs(30);

/// The browsers tried, in order, when looking for Chromium on `PATH`.
const BROWSERS: &[&str] = &[
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

/// What a missing browser tells the person running the tests.
const INSTALL: &str = "install them with `apt-get install chromium chromium-driver` (.ci/run does)";

/// A headless Chromium session with its own chromedriver and a throwaway
/// profile. Derefs to its [`Session`]. Dropping it ends the browser and the
/// driver; [`Browser::close`] does so politely first.
pub struct Browser {
    session: Session,
    /// `None` once killed and reaped.
    driver: Option<Child>,
    /// The driver's log, for when a test needs to know why it failed.
    log: PathBuf,
    /// Holds the profile and the log; removed on drop, after the browser.
    dir: Option<tempfile::TempDir>,
}

impl std::ops::Deref for Browser {
    type Target = Session;
    fn deref(&self) -> &Session {
        &self.session
    }
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser")
            .field("session", &self.session)
            .field("driver_pid", &self.driver.as_ref().map(Child::id))
            .finish()
    }
}

impl Browser {
    /// Starts chromedriver on a free port of 127.0.0.1 and opens a headless
    /// Chromium window of `width`×`height` CSS pixels.
    ///
    /// Returns `None`, with a "skipped" note on stderr, when `chromium` or
    /// `chromedriver` is not installed.
    ///
    /// # Panics
    /// When they are missing and `COWORK_REQUIRE_BROWSER` is set, and when
    /// they are installed but do not start (that is a broken machine, not a
    /// reason to skip), with the driver's log.
    pub async fn start(width: u32, height: u32) -> Option<Self> {
        let (driver, chromium) = match (find_on_path(&["chromedriver"]), find_on_path(BROWSERS)) {
            (Some(driver), Some(chromium)) => (driver, chromium),
            (driver, _) => {
                let missing = if driver.is_none() {
                    "chromedriver"
                } else {
                    "chromium"
                };
                skip(missing);
                return None;
            }
        };
        match Self::launch(&driver, &chromium, width, height).await {
            Ok(browser) => Some(browser),
            Err(message) => panic!("headless Chromium did not start: {message}"),
        }
    }

    async fn launch(
        driver_path: &Path,
        chromium: &Path,
        width: u32,
        height: u32,
    ) -> Result<Self, String> {
        let dir = tempfile::Builder::new()
            .prefix("cowork-browser-")
            .tempdir()
            .map_err(|e| format!("no temp dir for the browser profile: {e}"))?;
        let log = dir.path().join("chromedriver.log");
        let mut command = Command::new(driver_path);
        command
            .arg("--port=0")
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        // Its own process group, so dropping the fixture can end Chromium
        // and its helpers too, even when the driver cannot ask them to quit.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut driver = command
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", driver_path.display()))?;
        let port = match driver_port(&mut driver).await {
            Ok(port) => port,
            Err(message) => {
                kill_group(&mut driver);
                return Err(format!("{message}; its log: {}", read_log(&log)));
            }
        };
        let profile = dir.path().join("profile");
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--no-first-run",
                    "--no-default-browser-check",
                    "--hide-scrollbars",
                    "--force-device-scale-factor=1",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        });
        let session = Session::new(&format!("http://127.0.0.1:{port}"), capabilities).await;
        let mut browser = match session {
            Ok(session) => Self {
                session,
                driver: Some(driver),
                log,
                dir: Some(dir),
            },
            Err(err) => {
                kill_group(&mut driver);
                return Err(format!("{err}; chromedriver's log: {}", read_log(&log)));
            }
        };
        // `--window-size` sizes the window; make sure the page's viewport
        // really is what the test asked for.
        if let Err(err) = browser.set_viewport(width, height).await {
            browser.stop();
            return Err(format!(
                "{err}; chromedriver's log: {}",
                browser.driver_log()
            ));
        }
        Ok(browser)
    }

    /// Makes the page's viewport `width`×`height` CSS pixels, as a phone or
    /// a desktop window would have it: the window is resized, then grown by
    /// whatever the browser keeps for itself.
    pub async fn set_viewport(&self, width: u32, height: u32) -> Result<(), WebDriverError> {
        self.set_window_size(width, height).await?;
        let inner = self
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await?;
        let got = |i: usize| {
            inner
                .get(i)
                .and_then(serde_json::Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
        };
        let (Some(inner_w), Some(inner_h)) = (got(0), got(1)) else {
            return Err(WebDriverError::Unexpected {
                command: "read the viewport size".to_owned(),
                answer: inner.to_string(),
            });
        };
        if (inner_w, inner_h) != (width, height) {
            let outer_w = width + width.saturating_sub(inner_w);
            let outer_h = height + height.saturating_sub(inner_h);
            self.set_window_size(outer_w, outer_h).await?;
        }
        Ok(())
    }

    /// The chromedriver log so far (its last 4 kB), for a failure message.
    pub fn driver_log(&self) -> String {
        read_log(&self.log)
    }

    /// Ends the session (Chromium quits), then the driver.
    pub async fn close(mut self) {
        // Best effort: whatever is left is killed by `Drop` just after.
        let _ = tokio::time::timeout(Duration::from_secs(10), self.session.delete()).await;
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(mut driver) = self.driver.take() {
            kill_group(&mut driver);
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.stop();
        // After the browser, which writes to the profile until it exits.
        drop(self.dir.take());
    }
}

/// Kills the driver's whole process group (the driver, Chromium and its
/// helpers), then reaps the driver. Until it is reaped the driver's pid —
/// the group's id — cannot be reused, so the signal never reaches a
/// stranger; call it once per driver.
fn kill_group(driver: &mut Child) {
    if let Some(pid) = i32::try_from(driver.id())
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    let _ = driver.kill();
    let _ = driver.wait();
}

/// Reads the driver's stdout until it says which port it took. The rest of
/// its stdout is drained in the background, so it never blocks on a full
/// pipe; the wait itself never blocks the test's runtime.
async fn driver_port(driver: &mut Child) -> Result<u16, String> {
    let stdout = driver
        .stdout
        .take()
        .ok_or_else(|| "chromedriver has no stdout".to_owned())?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(port) = port_in(&line)
                && let Some(tx) = tx.take()
            {
                let _ = tx.send(port);
            }
        }
    });
    match tokio::time::timeout(DRIVER_START, rx).await {
        Ok(Ok(port)) => Ok(port),
        Ok(Err(_)) => Err("chromedriver ended before it reported its port".to_owned()),
        Err(_) => Err(format!(
            "chromedriver did not report its port within {DRIVER_START:?}"
        )),
    }
}

/// The port in chromedriver's "ChromeDriver was started successfully on
/// port 39383." line.
pub(crate) fn port_in(line: &str) -> Option<u16> {
    let rest = line.split("started successfully on port ").nth(1)?;
    rest.trim_end().trim_end_matches('.').parse().ok()
}

fn read_log(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let start = text.len().saturating_sub(4096);
    let start = (start..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    text[start..].to_owned()
}

/// The first of `programs` that is an executable file on `PATH`.
fn find_on_path(programs: &[&str]) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    programs.iter().find_map(|program| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(program))
            .find(|candidate| {
                std::fs::metadata(candidate)
                    .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            })
    })
}

fn skip(missing: &str) {
    assert!(
        std::env::var_os("COWORK_REQUIRE_BROWSER").is_none(),
        "{missing} is required (COWORK_REQUIRE_BROWSER is set) but is not on PATH: {INSTALL}"
    );
    #[expect(
        clippy::print_stderr,
        reason = "the skip note is for the person running the tests"
    )]
    {
        eprintln!(
            "skipped: {missing} is not installed, so this browser test did not run; {INSTALL}"
        );
    }
}

#[cfg(test)]
#[path = "browser_tests.rs"]
mod tests;
