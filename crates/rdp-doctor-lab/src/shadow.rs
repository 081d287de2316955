//! FreeRDP 2.x shadow servers (`freerdp-shadow-cli`) on private Xvfb
//! displays.
//!
//! # Xvfb
//!
//! `Xvfb -displayfd 1 ...` picks the first free display number itself (it
//! takes the display's lock file atomically, so parallel instances cannot
//! collide) and writes the number to fd 1 once it accepts clients. We point
//! its stdout at a file of its own and poll that file; its stderr goes to
//! the log. This avoids both guessing display numbers and passing extra
//! file descriptors to the child.
//!
//! # The shadow server
//!
//! `freerdp-shadow-cli /bind-address:127.0.0.1 /port:<port> /sec:<nla|tls>`
//! with `DISPLAY=:<n>`. `HOME` and `XDG_CONFIG_HOME` point into the
//! server's tempdir because the shadow server generates its TLS
//! certificate (`~/.config/freerdp/shadow/shadow.{crt,key}`) on the first
//! connection: with a shared home, parallel instances would race writing
//! the same files, and the lab would litter root's home.
//!
//! * `Nla`: `/sec:nla +auth /sam-file:<dir>/SAM`. WinPR's SAM file has one
//!   line per account, `User:Domain:LmHash:NtHash:::` (winpr/utils/sam.c:
//!   at least four colons, each hash empty or 32 hex digits). We write
//!   `user:::NTHASH:::` — empty domain (WinPR retries the lookup without
//!   the domain, so any domain the client sends matches) and empty LM
//!   hash (unused by NTLMv2). The NT hash is MD4 over the UTF-16LE
//!   password.
//! * `Tls`: `/sec:tls -auth`: TLS only, no authentication at all.
//! * `Rdp`: `/sec:rdp -auth`: Standard RDP Security only.
//!
//! Replies to [`crate::X224_PROBE`] observed with FreeRDP 2.10 (Debian 12):
//!
//! * `Nla`: `03 00 00 13 0e d0 00 00 00 00 00 02 03 08 00 02 00 00 00`
//!   (RDP_NEG_RSP, flags 0x03, selected PROTOCOL_HYBRID).
//! * `Tls`: `03 00 00 13 0e d0 00 00 00 00 00 02 03 08 00 01 00 00 00`
//!   (RDP_NEG_RSP, flags 0x03, selected PROTOCOL_SSL).
//!
//! # Stopping
//!
//! SIGTERM, up to 2 s grace, then SIGKILL: first the shadow server, then
//! Xvfb (SIGTERM lets it remove its lock file and socket).

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use md4::{Digest, Md4};

use crate::certs::write_file;
use crate::process::{self, NotReady, Proc, StopMode};
use crate::tools::require;
use crate::{LabError, LabServer, STARTUP_TIMEOUT, lab_tempdir};

/// Attempts with a fresh port when the shadow server exits during start-up.
const ATTEMPTS: usize = 3;
/// Grace period between SIGTERM and SIGKILL.
const GRACE: Duration = Duration::from_secs(2);

/// Which shadow server configuration to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShadowVariant {
    /// NLA (CredSSP/NTLM) only; exactly one account, from a generated SAM
    /// file.
    Nla {
        /// Account name (no `:` or line breaks).
        user: String,
        /// Its password.
        password: String,
    },
    /// TLS only, no authentication.
    Tls,
    /// Standard RDP Security only (`/sec:rdp`), no authentication.
    Rdp,
}

impl ShadowVariant {
    /// Short name used for the server, its tempdir and its logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Nla { .. } => "shadow-nla",
            Self::Tls => "shadow-tls",
            Self::Rdp => "shadow-rdp",
        }
    }
}

/// Starts Xvfb and `freerdp-shadow-cli` on a free 127.0.0.1 port and waits
/// (at most [`STARTUP_TIMEOUT`] each) until the display is up and the port
/// accepts TCP connections.
pub fn shadow(variant: ShadowVariant) -> Result<LabServer, LabError> {
    let started = Instant::now();
    let xvfb_bin = require("Xvfb")?;
    let shadow_bin = require("freerdp-shadow-cli")?;
    let name = variant.name();
    let dir = lab_tempdir(name)?;
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".config")).map_err(|e| LabError::io("creating shadow home", e))?;

    let mut sec_args: Vec<String> = Vec::new();
    match &variant {
        ShadowVariant::Nla { user, password } => {
            let sam = dir.path().join("SAM");
            write_file(&sam, sam_line(user, password)?.as_bytes(), 0o600)?;
            sec_args.extend(["/sec:nla".into(), "+auth".into(), format!("/sam-file:{}", sam.display())]);
        }
        ShadowVariant::Tls => sec_args.extend(["/sec:tls".into(), "-auth".into()]),
        ShadowVariant::Rdp => sec_args.extend(["/sec:rdp".into(), "-auth".into()]),
    }

    let (xvfb, display) = start_xvfb(&xvfb_bin, dir.path(), name)?;
    let mut procs = vec![xvfb];

    let mut last_reason = String::new();
    for attempt in 1..=ATTEMPTS {
        let port = process::free_loopback_port()?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut cmd = Command::new(&shadow_bin);
        cmd.arg("/bind-address:127.0.0.1")
            .arg(format!("/port:{port}"))
            .args(&sec_args)
            .env("DISPLAY", format!(":{display}"))
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .current_dir(dir.path());
        let log = dir.path().join(format!("shadow.{attempt}.log"));
        // The server goes first in `procs`: it is stopped before its display.
        procs.insert(0, Proc::spawn(name, cmd, log, StopMode::Term(GRACE))?);
        match process::wait_for_port(&mut procs, addr, STARTUP_TIMEOUT) {
            Ok(()) => {
                return Ok(LabServer {
                    name: name.to_owned(),
                    addr,
                    display: Some(display),
                    certificate: None,
                    startup: started.elapsed(),
                    procs,
                    dir,
                });
            }
            Err(NotReady::Exited(reason)) => {
                last_reason = format!("attempt {attempt}/{ATTEMPTS} on port {port}: {reason}");
                // Keep the Xvfb; if it was Xvfb that died, retrying is pointless.
                if procs.get_mut(1).is_some_and(|x| x.exited().is_some()) {
                    break;
                }
                if attempt < ATTEMPTS {
                    procs.remove(0);
                }
            }
            Err(NotReady::TimedOut) => {
                return Err(LabError::StartFailed {
                    server: name.to_owned(),
                    reason: format!("port {port} not accepting connections after {STARTUP_TIMEOUT:?}"),
                    log_tail: process::logs_tail(&procs),
                });
            }
        }
    }
    Err(LabError::StartFailed { server: name.to_owned(), reason: last_reason, log_tail: process::logs_tail(&procs) })
}

/// Starts Xvfb on the first free display and returns it with the number.
fn start_xvfb(bin: &Path, dir: &Path, name: &str) -> Result<(Proc, u32), LabError> {
    let display_file = dir.join("xvfb.display");
    let mut cmd = Command::new(bin);
    cmd.args(["-displayfd", "1", "-screen", "0", "1024x768x24", "-nolisten", "tcp", "-noreset"]).current_dir(dir);
    let mut xvfb = Proc::spawn_split("Xvfb", cmd, dir.join("xvfb.log"), Some(&display_file), StopMode::Term(GRACE))?;
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        let text = std::fs::read_to_string(&display_file).unwrap_or_default();
        if text.ends_with('\n')
            && let Ok(n) = text.trim().parse::<u32>()
        {
            return Ok((xvfb, n));
        }
        let reason = if let Some(status) = xvfb.exited() {
            format!("Xvfb exited with {status}")
        } else if Instant::now() >= deadline {
            format!("Xvfb did not report a display within {STARTUP_TIMEOUT:?}")
        } else {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        };
        return Err(LabError::StartFailed {
            server: name.to_owned(),
            reason,
            log_tail: process::logs_tail(std::slice::from_ref(&xvfb)),
        });
    }
}

/// The SAM file line for one account: `user:::NTHASH:::`.
fn sam_line(user: &str, password: &str) -> Result<String, LabError> {
    if user.is_empty() || user.contains([':', '\n', '\r']) {
        return Err(LabError::InvalidInput(format!(
            "SAM user name {user:?} must be non-empty and contain no ':' or line breaks"
        )));
    }
    Ok(format!("{user}:::{}:::\n", nt_hash_hex(password)))
}

/// NT hash: MD4 over the UTF-16LE encoding of the password, as 32
/// uppercase hex digits.
pub(crate) fn nt_hash_hex(password: &str) -> String {
    let utf16le: Vec<u8> = password.encode_utf16().flat_map(u16::to_le_bytes).collect();
    Md4::digest(&utf16le).iter().map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nt_hash_known_values() {
        // Well-known NT hashes.
        assert_eq!(nt_hash_hex(""), "31D6CFE0D16AE931B73C59D7E0C089C0");
        assert_eq!(nt_hash_hex("password"), "8846F7EAEE8FB117AD06BDD830B7586C");
        // Cross-checked with `openssl dgst -md4 -provider legacy` on UTF-16LE input.
        assert_eq!(nt_hash_hex("Secret123"), "63647965F13544C6551D5FDB7FFD13E0");
    }

    #[test]
    fn sam_line_format() {
        assert!(matches!(sam_line("a:b", "x"), Err(LabError::InvalidInput(_))));
        let line = sam_line("alice", "password").ok();
        assert_eq!(line.as_deref(), Some("alice:::8846F7EAEE8FB117AD06BDD830B7586C:::\n"));
    }
}
