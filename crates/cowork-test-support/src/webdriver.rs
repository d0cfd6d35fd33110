//! A small W3C WebDriver client for browser tests, over `reqwest`: just
//! the commands our tests use (navigate, find by CSS, click, type, read
//! text and attributes, run a script, resize, screenshot), plus waiting
//! for a condition with a timeout. [`crate::browser::Browser`] starts the
//! driver and the browser; this module only speaks the protocol.
//!
//! Every call fails with a [`WebDriverError`] that names the command, and
//! for a missing element the selector, so a failing browser test says what
//! it was looking for.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The key under which W3C WebDriver returns an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long one WebDriver command may take before it is a failure: long
/// enough for a page load on a busy CI machine, short enough that a hung
/// browser fails the test instead of hanging it.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// How often [`Session::wait_until`] checks its condition.
const POLL: Duration = Duration::from_millis(50);

/// The Enter key, for [`Element::send_keys`].
pub const ENTER: &str = "\u{E007}";
/// The Tab key, for [`Element::send_keys`].
pub const TAB: &str = "\u{E004}";

/// Why a WebDriver command failed.
#[derive(Debug, thiserror::Error)]
pub enum WebDriverError {
    /// The driver could not be reached or did not answer in time: it died,
    /// or the browser hangs.
    #[error("WebDriver {command} failed: {source}")]
    Http {
        command: String,
        #[source]
        source: reqwest::Error,
    },
    /// No element matches the CSS selector (yet): check the selector, or
    /// wait for it with [`Session::wait_for`].
    #[error("no element matches `{selector}`")]
    NoSuchElement { selector: String },
    /// The driver refused the command, with the W3C error code (such as
    /// `stale element reference` or `javascript error`) and its message.
    #[error("WebDriver {command} failed with `{code}`: {message}")]
    Driver {
        command: String,
        code: String,
        message: String,
    },
    /// The driver's answer is not what the protocol promises.
    #[error("WebDriver {command} answered something unexpected: {answer}")]
    Unexpected { command: String, answer: String },
    /// A condition did not hold before its timeout; `last` is the last
    /// error seen while checking, if any.
    #[error(
        "timed out after {after:?} waiting for {what}{}",
        last.as_deref().map(|l| format!(" (last error: {l})")).unwrap_or_default()
    )]
    Timeout {
        what: String,
        after: Duration,
        last: Option<String>,
    },
}

/// One WebDriver session: a browser window driven over HTTP. Cheap to
/// clone; every clone drives the same window.
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// `http://127.0.0.1:PORT/session/ID`.
    base: String,
    id: String,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.inner.id)
            .finish()
    }
}

/// An element of the current page, as found by [`Session::find`].
#[derive(Clone)]
pub struct Element {
    session: Session,
    id: String,
    /// How it was found, for error messages.
    selector: String,
}

impl std::fmt::Debug for Element {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Element")
            .field("selector", &self.selector)
            .finish()
    }
}

impl Session {
    /// Opens a session on the driver at `driver_url` (such as
    /// `http://127.0.0.1:9515`) with these W3C `capabilities` (the
    /// `alwaysMatch` object).
    pub async fn new(driver_url: &str, capabilities: Value) -> Result<Self, WebDriverError> {
        let http = reqwest::Client::builder()
            .timeout(COMMAND_TIMEOUT)
            .build()
            .map_err(|source| WebDriverError::Http {
                command: "new session".to_owned(),
                source,
            })?;
        let driver_url = driver_url.trim_end_matches('/');
        let body = json!({ "capabilities": { "alwaysMatch": capabilities } });
        let request = http.post(format!("{driver_url}/session")).json(&body);
        let value = send("new session", request).await?;
        let id = value
            .get("sessionId")
            .and_then(Value::as_str)
            .ok_or_else(|| unexpected("new session", &value))?
            .to_owned();
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base: format!("{driver_url}/session/{id}"),
                id,
            }),
        })
    }

    /// The session's id, as the driver knows it.
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// Loads `url` and waits for the page's load event.
    pub async fn goto(&self, url: &str) -> Result<(), WebDriverError> {
        self.post("url", json!({ "url": url })).await.map(drop)
    }

    /// The URL of the current page.
    pub async fn current_url(&self) -> Result<String, WebDriverError> {
        let value = self.get("url").await?;
        string("url", value)
    }

    /// The title of the current page.
    pub async fn title(&self) -> Result<String, WebDriverError> {
        let value = self.get("title").await?;
        string("title", value)
    }

    /// The first element matching the CSS `selector`, now.
    pub async fn find(&self, selector: &str) -> Result<Element, WebDriverError> {
        let body = json!({ "using": "css selector", "value": selector });
        match self.post("element", body).await {
            Ok(value) => self.element(selector, &value),
            Err(err) => Err(no_such_element(err, selector)),
        }
    }

    /// Every element matching the CSS `selector`, in document order.
    pub async fn find_all(&self, selector: &str) -> Result<Vec<Element>, WebDriverError> {
        let body = json!({ "using": "css selector", "value": selector });
        let value = self.post("elements", body).await?;
        let Value::Array(items) = value else {
            return Err(unexpected("find elements", &value));
        };
        items
            .iter()
            .map(|item| self.element(selector, item))
            .collect()
    }

    /// The first element matching `selector`, waiting up to `timeout` for
    /// one to appear.
    pub async fn wait_for(
        &self,
        selector: &str,
        timeout: Duration,
    ) -> Result<Element, WebDriverError> {
        self.wait_until(&format!("`{selector}`"), timeout, || async {
            match self.find(selector).await {
                Ok(element) => Ok(Some(element)),
                Err(WebDriverError::NoSuchElement { .. }) => Ok(None),
                Err(err) => Err(err),
            }
        })
        .await
    }

    /// Waits up to `timeout` for the text of the first element matching
    /// `selector` to equal `expected` (surrounding whitespace ignored).
    pub async fn wait_for_text(
        &self,
        selector: &str,
        expected: &str,
        timeout: Duration,
    ) -> Result<(), WebDriverError> {
        let what = format!("`{selector}` to read {expected:?}");
        self.wait_until(&what, timeout, || async {
            let element = match self.find(selector).await {
                Ok(element) => element,
                Err(WebDriverError::NoSuchElement { .. }) => return Ok(None),
                Err(err) => return Err(err),
            };
            let text = element.text().await?;
            Ok((text.trim() == expected.trim()).then_some(()))
        })
        .await
    }

    /// Checks `check` every 50 ms until it returns `Some`, for at most
    /// `timeout`. An error from `check` is remembered and checking goes on
    /// (the page may be mid-update); on timeout the last one is reported
    /// with `what` was awaited.
    pub async fn wait_until<T, F, Fut>(
        &self,
        what: &str,
        timeout: Duration,
        mut check: F,
    ) -> Result<T, WebDriverError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<T>, WebDriverError>>,
    {
        let deadline = Instant::now() + timeout;
        let mut last = None;
        loop {
            match check().await {
                Ok(Some(value)) => return Ok(value),
                Ok(None) => {}
                // The driver is gone: no point waiting for it.
                Err(err @ WebDriverError::Http { .. }) => return Err(err),
                Err(err) => last = Some(err.to_string()),
            }
            if Instant::now() >= deadline {
                return Err(WebDriverError::Timeout {
                    what: what.to_owned(),
                    after: timeout,
                    last,
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Runs `script` as the body of a function in the page, with `args` as
    /// its `arguments`, and returns what it returns (as JSON).
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value, WebDriverError> {
        self.post("execute/sync", json!({ "script": script, "args": args }))
            .await
    }

    /// Resizes the window; in headless Chromium the page's viewport is
    /// then `width`×`height` CSS pixels.
    pub async fn set_window_size(&self, width: u32, height: u32) -> Result<(), WebDriverError> {
        self.post("window/rect", json!({ "width": width, "height": height }))
            .await
            .map(drop)
    }

    /// A PNG of the viewport.
    pub async fn screenshot(&self) -> Result<Vec<u8>, WebDriverError> {
        let value = self.get("screenshot").await?;
        png("screenshot", value)
    }

    /// Ends the session: the driver closes the browser.
    pub async fn delete(&self) -> Result<(), WebDriverError> {
        let request = self.inner.http.delete(&self.inner.base);
        send("delete session", request).await.map(drop)
    }

    fn element(&self, selector: &str, value: &Value) -> Result<Element, WebDriverError> {
        let id = value
            .get(ELEMENT_KEY)
            .and_then(Value::as_str)
            .ok_or_else(|| unexpected("find element", value))?;
        Ok(Element {
            session: self.clone(),
            id: id.to_owned(),
            selector: selector.to_owned(),
        })
    }

    async fn get(&self, path: &str) -> Result<Value, WebDriverError> {
        let request = self.inner.http.get(format!("{}/{path}", self.inner.base));
        send(&format!("GET {path}"), request).await
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value, WebDriverError> {
        let request = self
            .inner
            .http
            .post(format!("{}/{path}", self.inner.base))
            .json(&body);
        send(&format!("POST {path}"), request).await
    }
}

impl Element {
    /// Clicks the element's centre, scrolling it into view first.
    pub async fn click(&self) -> Result<(), WebDriverError> {
        self.post("click", json!({})).await.map(drop)
    }

    /// Types `text` into the element (see [`ENTER`] and [`TAB`]).
    pub async fn send_keys(&self, text: &str) -> Result<(), WebDriverError> {
        self.post("value", json!({ "text": text })).await.map(drop)
    }

    /// Empties an input or textarea.
    pub async fn clear(&self) -> Result<(), WebDriverError> {
        self.post("clear", json!({})).await.map(drop)
    }

    /// The element's rendered text, as a person sees it.
    pub async fn text(&self) -> Result<String, WebDriverError> {
        let value = self.get("text").await?;
        string("element text", value)
    }

    /// The HTML attribute `name` as written in the page, or `None` when
    /// the element has none. (What a person typed is a property: see
    /// [`Element::property`].)
    pub async fn attribute(&self, name: &str) -> Result<Option<String>, WebDriverError> {
        let value = self.get(&format!("attribute/{name}")).await?;
        Ok(text_or_none(value))
    }

    /// The DOM property `name` (such as `value` or `checked`), as text, or
    /// `None` when it is null or undefined.
    pub async fn property(&self, name: &str) -> Result<Option<String>, WebDriverError> {
        let value = self.get(&format!("property/{name}")).await?;
        Ok(text_or_none(value))
    }

    /// Whether the element is rendered visibly.
    pub async fn is_displayed(&self) -> Result<bool, WebDriverError> {
        let value = self.get("displayed").await?;
        value
            .as_bool()
            .ok_or_else(|| unexpected("element displayed", &value))
    }

    /// The first element inside this one matching `selector`.
    pub async fn find(&self, selector: &str) -> Result<Element, WebDriverError> {
        let body = json!({ "using": "css selector", "value": selector });
        match self.post("element", body).await {
            Ok(value) => self.session.element(selector, &value),
            Err(err) => Err(no_such_element(err, selector)),
        }
    }

    /// A PNG of just this element.
    pub async fn screenshot(&self) -> Result<Vec<u8>, WebDriverError> {
        let value = self.get("screenshot").await?;
        png("element screenshot", value)
    }

    fn url(&self, path: &str) -> String {
        format!("{}/element/{}/{path}", self.session.inner.base, self.id)
    }

    async fn get(&self, path: &str) -> Result<Value, WebDriverError> {
        let request = self.session.inner.http.get(self.url(path));
        send(
            &format!("GET element {path} of `{}`", self.selector),
            request,
        )
        .await
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value, WebDriverError> {
        let request = self.session.inner.http.post(self.url(path)).json(&body);
        send(&format!("{path} on `{}`", self.selector), request).await
    }
}

/// Sends one command and unwraps the protocol's `{"value": …}`, turning an
/// error answer into [`WebDriverError::Driver`].
async fn send(command: &str, request: reqwest::RequestBuilder) -> Result<Value, WebDriverError> {
    let http = |source| WebDriverError::Http {
        command: command.to_owned(),
        source,
    };
    let response = request.send().await.map_err(http)?;
    let status = response.status();
    let text = response.text().await.map_err(http)?;
    parse_answer(command, status.is_success(), &text)
}

pub(crate) fn parse_answer(command: &str, ok: bool, text: &str) -> Result<Value, WebDriverError> {
    let answer: Value = serde_json::from_str(text).map_err(|_| WebDriverError::Unexpected {
        command: command.to_owned(),
        answer: text.chars().take(300).collect(),
    })?;
    let mut value = match answer {
        Value::Object(mut map) => map.remove("value").unwrap_or(Value::Null),
        other => return Err(unexpected(command, &other)),
    };
    let code = value
        .get("error")
        .and_then(Value::as_str)
        .map(str::to_owned);
    match code {
        Some(code) => Err(WebDriverError::Driver {
            command: command.to_owned(),
            code,
            message: value
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        }),
        None if ok => Ok(value.take()),
        None => Err(unexpected(command, &value)),
    }
}

fn no_such_element(err: WebDriverError, selector: &str) -> WebDriverError {
    match err {
        WebDriverError::Driver { code, .. } if code == "no such element" => {
            WebDriverError::NoSuchElement {
                selector: selector.to_owned(),
            }
        }
        other => other,
    }
}

fn unexpected(command: &str, value: &Value) -> WebDriverError {
    WebDriverError::Unexpected {
        command: command.to_owned(),
        answer: value.to_string().chars().take(300).collect(),
    }
}

fn text_or_none(value: Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

fn string(command: &str, value: Value) -> Result<String, WebDriverError> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(unexpected(command, &other)),
    }
}

fn png(command: &str, value: Value) -> Result<Vec<u8>, WebDriverError> {
    let encoded = string(command, value)?;
    decode_base64(&encoded).ok_or_else(|| WebDriverError::Unexpected {
        command: command.to_owned(),
        answer: "a screenshot that is not valid base64".to_owned(),
    })
}

/// Standard base64 with padding, as WebDriver sends screenshots; `None`
/// for anything else. (Small enough not to need a crate.)
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    fn sextet(byte: u8) -> Option<u32> {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        Some(u32::from(value))
    }
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    let chunks = bytes.chunks_exact(4);
    let last = chunks.len().checked_sub(1);
    for (index, chunk) in chunks.enumerate() {
        let padding = chunk.iter().rev().take_while(|&&b| b == b'=').count();
        if padding > 2 || (padding > 0 && Some(index) != last) {
            return None;
        }
        let mut group = 0u32;
        for &byte in &chunk[..4 - padding] {
            group = (group << 6) | sextet(byte)?;
        }
        group <<= 6 * padding;
        let [_, a, b, c] = group.to_be_bytes();
        out.extend_from_slice(&[a, b, c][..3 - padding]);
    }
    Some(out)
}

#[cfg(test)]
#[path = "webdriver_tests.rs"]
mod tests;
