//! TLS secrets for decryption: the NSS key log format (`SSLKEYLOGFILE`, written by browsers, curl, rustls'
//! `KeyLogFile`, Wireshark) read from a file or from pcapng Decryption Secrets Blocks (secrets type
//! `TLSK`, pcapng draft §4.7). Lines:
//!
//! ```text
//! CLIENT_RANDOM <client random hex> <master secret hex>            (TLS ≤ 1.2, 48-byte master secret)
//! CLIENT_HANDSHAKE_TRAFFIC_SECRET <client random hex> <secret hex>  (TLS 1.3)
//! SERVER_HANDSHAKE_TRAFFIC_SECRET / CLIENT_TRAFFIC_SECRET_0 / SERVER_TRAFFIC_SECRET_0
//! ```
//!
//! Other labels (EXPORTER_SECRET, EARLY_TRAFFIC…) and comments are skipped. Secrets are never printed:
//! `Debug` shows only counts.

use std::collections::HashMap;

/// The secrets of one analysis, shared by its connections (Decryption Secrets Blocks may arrive mid-file).
pub type SharedKeys = std::rc::Rc<std::cell::RefCell<KeyLog>>;

/// pcapng Decryption Secrets Block secrets type for TLS key log lines ("TLSK").
pub const SECRETS_TYPE_TLS: u32 = 0x544c_534b;
/// Key log bytes read at most (a file or the blocks of one capture together).
pub const MAX_KEYLOG_BYTES: usize = 64 * 1024 * 1024;
/// Client randoms kept at most.
pub const MAX_ENTRIES: usize = 1_000_000;

/// The TLS 1.3 secrets of one connection.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Tls13Secrets {
    pub client_handshake: Option<Vec<u8>>,
    pub server_handshake: Option<Vec<u8>>,
    pub client_traffic: Option<Vec<u8>>,
    pub server_traffic: Option<Vec<u8>>,
}

/// The secrets known, by client random.
#[derive(Clone, Default)]
pub struct KeyLog {
    master: HashMap<[u8; 32], Vec<u8>>,
    tls13: HashMap<[u8; 32], Tls13Secrets>,
    /// Where secrets came from ("key log file x", "the capture's Decryption Secrets Block").
    pub sources: Vec<String>,
    /// Lines that looked like secrets but could not be read.
    pub bad_lines: u64,
    bytes: usize,
}

impl std::fmt::Debug for KeyLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyLog")
            .field("tls12_master_secrets", &self.master.len())
            .field("tls13_connections", &self.tls13.len())
            .field("sources", &self.sources)
            .field("bad_lines", &self.bad_lines)
            .finish()
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() > 256 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok())).collect()
}

impl KeyLog {
    pub fn is_empty(&self) -> bool {
        self.master.is_empty() && self.tls13.is_empty()
    }

    /// Connections with secrets.
    pub fn len(&self) -> usize {
        self.master.len() + self.tls13.len()
    }

    /// Reads key log text; `source` names it in the report. Bounded by [`MAX_KEYLOG_BYTES`] overall.
    pub fn add_text(&mut self, text: &[u8], source: &str) {
        let room = MAX_KEYLOG_BYTES.saturating_sub(self.bytes);
        let text = text.get(..room.min(text.len())).unwrap_or_default();
        self.bytes += text.len();
        let before = self.len();
        for line in text.split(|b| *b == b'\n') {
            let Ok(line) = std::str::from_utf8(line) else {
                self.bad_lines += 1;
                continue;
            };
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            self.add_line(line);
        }
        if self.len() > before && !self.sources.iter().any(|s| s == source) {
            self.sources.push(source.to_owned());
        }
    }

    fn add_line(&mut self, line: &str) {
        let mut parts = line.split_ascii_whitespace();
        let (Some(label), Some(random), Some(secret), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            self.bad_lines += 1;
            return;
        };
        let known = matches!(
            label,
            "CLIENT_RANDOM"
                | "CLIENT_HANDSHAKE_TRAFFIC_SECRET"
                | "SERVER_HANDSHAKE_TRAFFIC_SECRET"
                | "CLIENT_TRAFFIC_SECRET_0"
                | "SERVER_TRAFFIC_SECRET_0"
        );
        if !known {
            return;
        }
        let random: Option<[u8; 32]> = unhex(random).and_then(|r| r.try_into().ok());
        let (Some(random), Some(secret)) = (random, unhex(secret)) else {
            self.bad_lines += 1;
            return;
        };
        if self.len() >= MAX_ENTRIES && !self.master.contains_key(&random) && !self.tls13.contains_key(&random) {
            return;
        }
        if label == "CLIENT_RANDOM" {
            if secret.len() == 48 {
                self.master.insert(random, secret);
            } else {
                self.bad_lines += 1;
            }
            return;
        }
        let e = self.tls13.entry(random).or_default();
        let slot = match label {
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET" => &mut e.client_handshake,
            "SERVER_HANDSHAKE_TRAFFIC_SECRET" => &mut e.server_handshake,
            "CLIENT_TRAFFIC_SECRET_0" => &mut e.client_traffic,
            _ => &mut e.server_traffic,
        };
        *slot = Some(secret);
    }

    /// The TLS ≤ 1.2 master secret for a client random.
    pub fn master_secret(&self, client_random: &[u8; 32]) -> Option<&[u8]> {
        self.master.get(client_random).map(Vec::as_slice)
    }

    /// The TLS 1.3 secrets for a client random.
    pub fn tls13(&self, client_random: &[u8; 32]) -> Option<&Tls13Secrets> {
        self.tls13.get(client_random)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nss_lines() {
        let r = "11".repeat(32);
        let text = format!(
            "# comment\nCLIENT_RANDOM {r} {}\nCLIENT_HANDSHAKE_TRAFFIC_SECRET {} {}\nSERVER_TRAFFIC_SECRET_0 {} {}\nEXPORTER_SECRET {r} 00\nCLIENT_RANDOM zz 00\nCLIENT_RANDOM {r} 0011\n",
            "ab".repeat(48),
            "22".repeat(32),
            "cd".repeat(32),
            "22".repeat(32),
            "ef".repeat(48)
        );
        let mut k = KeyLog::default();
        k.add_text(text.as_bytes(), "test");
        assert_eq!(k.master_secret(&[0x11; 32]), Some(&[0xab; 48][..]));
        let t = k.tls13(&[0x22; 32]).cloned().unwrap_or_default();
        assert_eq!(t.client_handshake, Some(vec![0xcd; 32]));
        assert_eq!(t.server_traffic, Some(vec![0xef; 48]));
        assert_eq!(t.server_handshake, None);
        assert_eq!(k.bad_lines, 2);
        assert_eq!(k.sources, vec!["test".to_owned()]);
        assert!(!format!("{k:?}").contains("abab"), "Debug never shows a secret");
    }

    #[test]
    fn garbage_is_counted_not_fatal() {
        let mut k = KeyLog::default();
        k.add_text(b"\xff\xfe\nCLIENT_RANDOM\n", "x");
        assert!(k.is_empty());
        assert_eq!(k.bad_lines, 2);
        assert!(k.sources.is_empty());
    }
}
