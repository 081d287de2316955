//! Headless Chromium for the report tests and the report bench, driven over the DevTools protocol (CDP)
//! on a WebSocket to 127.0.0.1: every network request the page makes (`Network.requestWillBeSent`), every
//! console message, log entry (CSP violations land there) and uncaught exception, JavaScript evaluated in
//! the page to query the DOM, screenshots and PDFs.
//!
//! Chromium runs with `--headless --no-sandbox --disable-gpu --disable-background-networking
//! --disable-component-update --disable-sync --no-first-run` and a fresh `--user-data-dir` (a temporary
//! directory), in its own process group, stopped by PID when the [`Browser`] is dropped. Every read from
//! the protocol has a deadline.

// `serde_json::Value`'s `[]` yields `Null` for a missing key or a non-object (it never panics), and the
// frame parser indexes only slices whose length `get` has just checked.
#![allow(clippy::indexing_slicing)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::LabError;
use crate::process::{Proc, StopMode};

/// How long Chromium may take to start and write its DevTools port.
const START_LIMIT: Duration = Duration::from_secs(30);
/// The deadline of one protocol command (a navigation waits for the load event within it).
const COMMAND_LIMIT: Duration = Duration::from_secs(30);
/// Largest protocol message accepted (a full-page screenshot is a few MiB of base64).
const MAX_MESSAGE: usize = 64 << 20;

/// What loading one page showed.
#[derive(Debug, Clone, Default)]
pub struct PageLoad {
    /// Every URL the page requested, the document itself included.
    pub requests: Vec<String>,
    /// Console errors, error log entries (CSP violations among them) and uncaught exceptions.
    pub errors: Vec<String>,
    /// Console warnings and warning log entries.
    pub warnings: Vec<String>,
    /// From `Page.navigate` to the load event, wall clock.
    pub load: Duration,
}

/// A running headless Chromium with one page attached.
pub struct Browser {
    ws: TcpStream,
    buf: Vec<u8>,
    next_id: u64,
    events: Vec<Value>,
    _proc: Proc,
    _dir: tempfile::TempDir,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser").field("next_id", &self.next_id).finish_non_exhaustive()
    }
}

fn err(what: impl Into<String>) -> LabError {
    LabError::InvalidInput(format!("chromium: {}", what.into()))
}

impl Browser {
    /// Starts Chromium and attaches to its first page.
    pub fn start() -> Result<Self, LabError> {
        let exe = crate::require("chromium")?;
        let dir = tempfile::Builder::new()
            .prefix("rdp-doctor-chromium-")
            .tempdir()
            .map_err(|e| LabError::io("creating the browser's user data directory", e))?;
        let profile = dir.path().join("profile");
        let mut cmd = Command::new(exe);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--mute-audio",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("about:blank");
        let proc = Proc::spawn("chromium", cmd, dir.path().join("chromium.log"), StopMode::Kill)?;
        let port_file = profile.join("DevToolsActivePort");
        let deadline = Instant::now() + START_LIMIT;
        let port = loop {
            if let Some(p) = std::fs::read_to_string(&port_file)
                .ok()
                .and_then(|s| s.lines().next().and_then(|l| l.trim().parse::<u16>().ok()))
            {
                break p;
            }
            if Instant::now() > deadline {
                return Err(LabError::StartFailed {
                    server: "chromium".into(),
                    reason: "no DevToolsActivePort within 30 s".into(),
                    log_tail: crate::process::file_tail(&dir.path().join("chromium.log"), 3000),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let list = http_get(port, "/json/list")?;
        let targets: Value = serde_json::from_str(&list).map_err(|e| err(format!("/json/list: {e}")))?;
        let ws_url = targets
            .as_array()
            .and_then(|a| a.iter().find(|t| t["type"] == "page"))
            .and_then(|t| t["webSocketDebuggerUrl"].as_str())
            .ok_or_else(|| err(format!("no page target in {list}")))?;
        let path =
            ws_url.split_once(&format!("127.0.0.1:{port}")).map(|(_, p)| p.to_owned()).ok_or_else(|| err(ws_url))?;
        let ws = ws_connect(port, &path)?;
        let mut b = Self { ws, buf: Vec::new(), next_id: 1, events: Vec::new(), _proc: proc, _dir: dir };
        for domain in ["Page.enable", "Network.enable", "Runtime.enable", "Log.enable"] {
            b.call(domain, json!({}))?;
        }
        Ok(b)
    }

    /// Sends a command and waits for its result (events that arrive meanwhile are kept).
    pub fn call(&mut self, method: &str, params: Value) -> Result<Value, LabError> {
        let id = self.next_id;
        self.next_id += 1;
        let msg = json!({"id": id, "method": method, "params": params}).to_string();
        self.ws.write_all(&encode_text(msg.as_bytes())).map_err(|e| LabError::io("writing to chromium", e))?;
        let deadline = Instant::now() + COMMAND_LIMIT;
        loop {
            let v = self.read_message(deadline)?;
            if v["id"].as_u64() == Some(id) {
                if let Some(e) = v.get("error") {
                    return Err(err(format!("{method}: {e}")));
                }
                return Ok(v["result"].clone());
            }
            if v.get("method").is_some() {
                self.events.push(v);
            }
        }
    }

    /// Sets the viewport (CSS pixels); `mobile` emulates a phone (touch, device scale 3).
    pub fn viewport(&mut self, width: u32, height: u32, mobile: bool) -> Result<(), LabError> {
        let scale = if mobile { 3 } else { 1 };
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile}),
        )?;
        Ok(())
    }

    /// `prefers-color-scheme` (`light` or `dark`) and the media type (`screen` or `print`).
    pub fn media(&mut self, scheme: &str, media: &str) -> Result<(), LabError> {
        self.call(
            "Emulation.setEmulatedMedia",
            json!({"media": media, "features": [{"name": "prefers-color-scheme", "value": scheme}]}),
        )?;
        Ok(())
    }

    /// Turns JavaScript off (or on) for the next loads.
    pub fn javascript(&mut self, enabled: bool) -> Result<(), LabError> {
        self.call("Emulation.setScriptExecutionDisabled", json!({"value": !enabled}))?;
        Ok(())
    }

    /// Loads `path` (a file) and waits for its load event; returns what the load showed.
    pub fn open(&mut self, path: &Path) -> Result<PageLoad, LabError> {
        let abs = std::fs::canonicalize(path).map_err(|e| LabError::io(format!("{}", path.display()), e))?;
        let url = format!("file://{}", abs.display());
        self.events.clear();
        let start = Instant::now();
        self.call("Page.navigate", json!({"url": url}))?;
        let deadline = Instant::now() + COMMAND_LIMIT;
        while !self.events.iter().any(|e| e["method"] == "Page.loadEventFired") {
            let v = self.read_message(deadline)?;
            if v.get("method").is_some() {
                self.events.push(v);
            }
        }
        let load = start.elapsed();
        // Messages logged while the load finishes arrive right after it: one round trip collects them.
        self.call("Runtime.evaluate", json!({"expression": "1"}))?;
        Ok(self.page_load(load))
    }

    fn page_load(&self, load: Duration) -> PageLoad {
        let mut out = PageLoad { load, ..PageLoad::default() };
        for e in &self.events {
            let p = &e["params"];
            match e["method"].as_str() {
                Some("Network.requestWillBeSent") => {
                    out.requests.push(p["request"]["url"].as_str().unwrap_or("?").to_owned());
                }
                Some("Runtime.consoleAPICalled") => {
                    let text = p["args"].to_string();
                    match p["type"].as_str() {
                        Some("error" | "assert") => out.errors.push(text),
                        Some("warning") => out.warnings.push(text),
                        _ => {}
                    }
                }
                Some("Runtime.exceptionThrown") => out.errors.push(p["exceptionDetails"].to_string()),
                Some("Log.entryAdded") => {
                    let text = format!("{}: {}", p["entry"]["source"], p["entry"]["text"]);
                    match p["entry"]["level"].as_str() {
                        Some("error") => out.errors.push(text),
                        Some("warning") => out.warnings.push(text),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// Evaluates a JavaScript expression in the page and returns its value (JSON).
    pub fn eval(&mut self, expression: &str) -> Result<Value, LabError> {
        let r = self.call("Runtime.evaluate", json!({"expression": expression, "returnByValue": true}))?;
        if let Some(e) = r.get("exceptionDetails") {
            return Err(err(format!("{expression}: {e}")));
        }
        Ok(r["result"]["value"].clone())
    }

    /// A PNG of the viewport (or of the first `height` CSS pixels of the page) written to `out`.
    pub fn screenshot(&mut self, out: &Path, height: Option<u32>) -> Result<(), LabError> {
        let mut params = json!({"format": "png"});
        if let Some(h) = height {
            let width = self.eval("document.documentElement.clientWidth")?.as_f64().unwrap_or(1000.0);
            params = json!({"format": "png", "captureBeyondViewport": true,
                "clip": {"x": 0, "y": 0, "width": width, "height": h, "scale": 1}});
        }
        let r = self.call("Page.captureScreenshot", params)?;
        let png = decode_base64(r["data"].as_str().unwrap_or_default())?;
        std::fs::write(out, png).map_err(|e| LabError::io(format!("writing {}", out.display()), e))
    }

    /// The page printed to PDF on paper of this size (inches), as Chromium's print preview would.
    pub fn pdf(&mut self, width_in: f64, height_in: f64) -> Result<Vec<u8>, LabError> {
        let r = self.call(
            "Page.printToPDF",
            json!({"paperWidth": width_in, "paperHeight": height_in, "printBackground": true}),
        )?;
        decode_base64(r["data"].as_str().unwrap_or_default())
    }

    /// Reads one whole protocol message (text frames, continuation frames joined).
    fn read_message(&mut self, deadline: Instant) -> Result<Value, LabError> {
        let mut message = Vec::new();
        loop {
            let (fin, opcode, payload) = self.read_frame(deadline)?;
            match opcode {
                0x1 | 0x0 => message.extend_from_slice(&payload),
                0x8 => return Err(err("the DevTools connection was closed")),
                _ => continue,
            }
            if message.len() > MAX_MESSAGE {
                return Err(err("a DevTools message exceeds 64 MiB"));
            }
            if fin {
                return serde_json::from_slice(&message).map_err(|e| err(format!("not JSON: {e}")));
            }
        }
    }

    /// One WebSocket frame from the server (RFC 6455 5.2; server frames are not masked).
    fn read_frame(&mut self, deadline: Instant) -> Result<(bool, u8, Vec<u8>), LabError> {
        loop {
            if let Some((fin, op, payload, used)) = parse_frame(&self.buf)? {
                self.buf.drain(..used);
                return Ok((fin, op, payload));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(err("no answer from chromium within 30 s"));
            }
            self.ws.set_read_timeout(Some(left)).map_err(|e| LabError::io("socket timeout", e))?;
            let mut chunk = [0u8; 64 * 1024];
            let n = self.ws.read(&mut chunk).map_err(|e| LabError::io("reading from chromium", e))?;
            if n == 0 {
                return Err(err("chromium closed the DevTools connection"));
            }
            self.buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        }
    }
}

/// `(fin, opcode, payload, bytes used)` of a frame.
type Frame = (bool, u8, Vec<u8>, usize);

/// The first complete frame in `b`, if there is one.
fn parse_frame(b: &[u8]) -> Result<Option<Frame>, LabError> {
    let (Some(&b0), Some(&b1)) = (b.first(), b.get(1)) else { return Ok(None) };
    let (mut len, mut at) = (u64::from(b1 & 0x7f), 2usize);
    if len == 126 {
        let Some(x) = b.get(2..4) else { return Ok(None) };
        len = u64::from(u16::from_be_bytes([x[0], x[1]]));
        at = 4;
    } else if len == 127 {
        let Some(x) = b.get(2..10) else { return Ok(None) };
        let mut a = [0u8; 8];
        a.copy_from_slice(x);
        len = u64::from_be_bytes(a);
        at = 10;
    }
    let masked = b1 & 0x80 != 0;
    let mask = if masked {
        let Some(m) = b.get(at..at + 4) else { return Ok(None) };
        at += 4;
        Some([m[0], m[1], m[2], m[3]])
    } else {
        None
    };
    let len = usize::try_from(len).ok().filter(|l| *l <= MAX_MESSAGE).ok_or_else(|| err("frame too large"))?;
    let Some(data) = b.get(at..at + len) else { return Ok(None) };
    let mut payload = data.to_vec();
    if let Some(m) = mask {
        for (i, x) in payload.iter_mut().enumerate() {
            *x ^= m[i % 4];
        }
    }
    Ok(Some((b0 & 0x80 != 0, b0 & 0x0f, payload, at + len)))
}

/// A masked text frame (clients must mask, RFC 6455 5.3).
fn encode_text(payload: &[u8]) -> Vec<u8> {
    let mask = [0x5a, 0x13, 0xc7, 0x2e];
    let mut out = vec![0x81];
    match payload.len() {
        n if n < 126 => out.push(0x80 | n as u8),
        n if n <= 0xffff => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&mask);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    out
}

fn http_get(port: u16, path: &str) -> Result<String, LabError> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| LabError::io("connecting to chromium", e))?;
    s.set_read_timeout(Some(COMMAND_LIMIT)).map_err(|e| LabError::io("socket timeout", e))?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n")
        .map_err(|e| LabError::io("writing to chromium", e))?;
    // The DevTools server keeps the connection open: read the head, then Content-Length bytes.
    let mut data = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let text = String::from_utf8_lossy(&data).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                .and_then(|v| v.parse::<usize>().ok());
            if len.is_none_or(|n| body.len() >= n) {
                return Ok(body.to_owned());
            }
        }
        let n = s.read(&mut chunk).map_err(|e| LabError::io("reading from chromium", e))?;
        if n == 0 || data.len() > 1 << 20 {
            return Ok(text.split_once("\r\n\r\n").map_or(String::new(), |(_, b)| b.to_owned()));
        }
        data.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
}

fn ws_connect(port: u16, path: &str) -> Result<TcpStream, LabError> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| LabError::io("connecting to chromium", e))?;
    s.set_read_timeout(Some(COMMAND_LIMIT)).map_err(|e| LabError::io("socket timeout", e))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .map_err(|e| LabError::io("writing to chromium", e))?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = s.read(&mut byte).map_err(|e| LabError::io("reading from chromium", e))?;
        if n == 0 || head.len() > 8192 {
            return Err(err("no WebSocket upgrade"));
        }
        head.push(byte[0]);
    }
    if !head.starts_with(b"HTTP/1.1 101") {
        return Err(err(format!("WebSocket upgrade refused: {}", String::from_utf8_lossy(&head))));
    }
    Ok(s)
}

fn decode_base64(s: &str) -> Result<Vec<u8>, LabError> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).map_err(|e| err(format!("base64: {e}")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn frames_round_trip() {
        for n in [0usize, 5, 125, 126, 70_000] {
            let payload: Vec<u8> = (0..n).map(|i| i as u8).collect();
            let frame = encode_text(&payload);
            let (fin, op, got, used) = parse_frame(&frame).unwrap().unwrap();
            assert!(fin);
            assert_eq!(op, 1);
            assert_eq!(got, payload);
            assert_eq!(used, frame.len());
            assert!(parse_frame(&frame[..frame.len() - 1]).unwrap().is_none(), "incomplete");
        }
    }
}
