//! Decryption of one TCP connection's TLS records with logged secrets. Runs beside the record walker of
//! `dissect.rs`: splits each direction into whole records (bounded), takes the randoms from the hellos,
//! derives the record keys once the ServerHello has chosen version and suite, and hands decrypted
//! application data to [`Plain`]. Why decryption did not happen or stopped is recorded, never guessed.

use rdp_doctor_core::capture::{DecryptionEvidence, Side};
use rdp_doctor_proto::tls::handshake::cipher_suite_name;

use crate::decrypt::{DecryptError, RecordKeys, suite};
use crate::keylog::KeyLog;
use crate::plain::{Plain, alert_line};

/// Records decrypted per connection at most; after that the session is bulk data.
pub const MAX_DECRYPTED_RECORDS: u64 = 512;
const MAX_RECORD: usize = 5 + 16384 + 2048;

#[derive(Debug, Default)]
struct Dir {
    buf: Vec<u8>,
    /// Records from this side are encrypted (after its ChangeCipherSpec, or TLS 1.3 after the ServerHello).
    encrypted: bool,
    keys: Option<RecordKeys>,
    /// TLS 1.3 application keys, used after this side's Finished.
    next: Option<RecordKeys>,
    stopped: bool,
}

/// Decryption state of one connection.
#[derive(Debug)]
pub struct TlsDecrypt {
    c: Dir,
    s: Dir,
    client_random: Option<[u8; 32]>,
    server_random: Option<[u8; 32]>,
    /// The ServerHello accepted encrypt-then-MAC (RFC 7366 extension 22).
    etm: bool,
    version: Option<u16>,
    suite: Option<u16>,
    keyed: bool,
    pub plain: Plain,
    /// Why nothing (or not everything) was decrypted.
    pub problem: Option<String>,
    /// TLS 1.3: the server's encrypted handshake messages collected (bounded), and the chain of its
    /// Certificate once read (leaf first, and the number of certificates).
    server_handshake: Vec<u8>,
    pub chain: Option<(Vec<Vec<u8>>, usize)>,
    /// TLS from the first byte (an RD Gateway on 443): application data is handed back to the dissector
    /// for its HTTP reader instead of the RDP session reader.
    pub http_mode: bool,
    pub outbox: Vec<(Side, i64, Vec<u8>)>,
    outbox_bytes: usize,
}

/// Decrypted HTTP bytes held for the dissector at most.
const MAX_OUTBOX: usize = 256 * 1024;

fn hello_random(body: &[u8], msg_type: u8) -> Option<[u8; 32]> {
    // Handshake header (type, 3-byte length), legacy_version (2), random (32).
    (body.first() == Some(&msg_type)).then_some(())?;
    body.get(6..38)?.try_into().ok()
}

impl TlsDecrypt {
    pub fn new(nla: bool, hybrid_ex: bool) -> Self {
        Self {
            c: Dir::default(),
            s: Dir::default(),
            client_random: None,
            server_random: None,
            etm: false,
            version: None,
            suite: None,
            keyed: false,
            plain: Plain::new(nla, hybrid_ex),
            problem: None,
            server_handshake: Vec::new(),
            chain: None,
            http_mode: false,
            outbox: Vec::new(),
            outbox_bytes: 0,
        }
    }

    /// The ServerHello's choice (from the record walker).
    pub fn server_hello(&mut self, version: u16, suite: u16) {
        self.version = Some(version);
        self.suite = Some(suite);
    }

    fn fail(&mut self, why: String) {
        self.problem.get_or_insert(why);
    }

    fn key(&mut self, keys: &KeyLog) {
        if self.keyed {
            return;
        }
        let (Some(cr), Some(version), Some(id)) = (self.client_random, self.version, self.suite) else { return };
        self.keyed = true;
        let Some(st) = suite(id) else {
            self.fail(format!(
                "not decrypted: the cipher suite {} (0x{id:04x}) is not supported for decryption (AES-GCM, ChaCha20-Poly1305 and AES-CBC with HMAC-SHA1/SHA2 are)",
                cipher_suite_name(id)
            ));
            return;
        };
        if version >= 0x0304 {
            let Some(t) = keys.tls13(&cr) else {
                self.fail("not decrypted: no secret for this client random (TLS 1.3 traffic secrets)".to_owned());
                return;
            };
            let k = |s: &Option<Vec<u8>>| s.as_deref().and_then(|s| RecordKeys::tls13(st, s));
            self.c.keys = k(&t.client_handshake);
            self.s.keys = k(&t.server_handshake);
            self.c.next = k(&t.client_traffic);
            self.s.next = k(&t.server_traffic);
            if self.c.keys.is_none() && self.s.keys.is_none() {
                self.fail(
                    "not decrypted: the key log has no TLS 1.3 handshake traffic secrets for this client random"
                        .to_owned(),
                );
            }
            self.c.encrypted = true;
            self.s.encrypted = true;
        } else {
            let Some(master) = keys.master_secret(&cr) else {
                self.fail("not decrypted: no secret for this client random (CLIENT_RANDOM)".to_owned());
                return;
            };
            let Some(sr) = self.server_random else { return };
            match RecordKeys::tls12(st, version, self.etm, master, &cr, &sr) {
                Some((c, s)) => {
                    self.c.keys = Some(c);
                    self.s.keys = Some(s);
                }
                None => self.fail("not decrypted: key derivation failed".to_owned()),
            }
        }
    }

    /// Feeds the bytes of one side (the same bytes the record walker saw).
    pub fn feed(&mut self, side: Side, ts: i64, data: &[u8], keys: &KeyLog) {
        let dir = match side {
            Side::Client => &mut self.c,
            Side::Server => &mut self.s,
        };
        if dir.stopped {
            return;
        }
        dir.buf.extend_from_slice(data);
        loop {
            let dir = match side {
                Side::Client => &mut self.c,
                Side::Server => &mut self.s,
            };
            let Some(&[ct, v0, v1, l0, l1]) = dir.buf.get(..5) else { return };
            let (version, len) = (u16::from_be_bytes([v0, v1]), usize::from(u16::from_be_bytes([l0, l1])));
            if !(20..=24).contains(&ct) || 5 + len > MAX_RECORD {
                dir.stopped = true;
                dir.buf = Vec::new();
                return;
            }
            if dir.buf.len() < 5 + len {
                return;
            }
            let rec: Vec<u8> = dir.buf.drain(..5 + len).collect();
            self.record(side, ts, ct, version, rec.get(5..).unwrap_or_default(), keys);
        }
    }

    fn record(&mut self, side: Side, ts: i64, ct: u8, version: u16, body: &[u8], keys: &KeyLog) {
        let encrypted = match side {
            Side::Client => self.c.encrypted,
            Side::Server => self.s.encrypted,
        };
        if ct == 20 {
            // ChangeCipherSpec: TLS ≤ 1.2 switches this side to encryption (in 1.3 it is a no-op record).
            if self.version.is_some_and(|v| v < 0x0304) {
                self.key(keys);
                match side {
                    Side::Client => self.c.encrypted = true,
                    Side::Server => self.s.encrypted = true,
                }
            }
            return;
        }
        if !encrypted {
            if ct == 22 {
                match side {
                    Side::Client => self.client_random = self.client_random.or(hello_random(body, 1)),
                    Side::Server => {
                        if self.server_random.is_none() && body.first() == Some(&2) {
                            self.etm = server_hello_has_etm(body);
                        }
                        self.server_random = self.server_random.or(hello_random(body, 2));
                        if self.version.is_some_and(|v| v >= 0x0304) {
                            self.key(keys);
                        }
                    }
                }
            }
            return;
        }
        let total = self.plain.ev.client_records + self.plain.ev.server_records;
        if total >= MAX_DECRYPTED_RECORDS {
            return;
        }
        let dir = match side {
            Side::Client => &mut self.c,
            Side::Server => &mut self.s,
        };
        let Some(k) = dir.keys.as_mut() else { return };
        let opened = match k.open(ct, version, body) {
            Ok(x) => Ok(x),
            Err(e) => match dir.next.as_mut().map(|n| n.open(ct, version, body)) {
                // TLS 1.3: the Finished was not seen where expected; the application keys fit.
                Some(Ok(x)) => {
                    dir.keys = dir.next.take();
                    Ok(x)
                }
                _ => Err(e),
            },
        };
        match opened {
            Ok((inner, plain)) => {
                match side {
                    Side::Client => self.plain.ev.client_records += 1,
                    Side::Server => self.plain.ev.server_records += 1,
                }
                self.plain.ev.decrypted = true;
                match inner {
                    23 if self.http_mode => self.hand_over(side, ts, plain),
                    23 => self.plain.feed(side, ts, &plain),
                    21 => {
                        if side == Side::Server && self.plain.auth_sent_ns.is_some() && !self.plain.server_after_auth {
                            self.plain.server_alert_after_auth = true;
                        }
                        if self.plain.ev.alerts.len() < 4 {
                            self.plain.ev.alerts.push(alert_line(side, &plain));
                        }
                    }
                    22 => {
                        if side == Side::Server && self.chain.is_none() {
                            self.server_handshake_bytes(&plain);
                        }
                        // TLS 1.3: after this side's Finished (handshake type 20) its application keys apply.
                        let dir = match side {
                            Side::Client => &mut self.c,
                            Side::Server => &mut self.s,
                        };
                        if dir.next.is_some() && finished_in(&plain) {
                            dir.keys = dir.next.take();
                        }
                    }
                    _ => {}
                }
            }
            Err(e) => {
                let dir = match side {
                    Side::Client => &mut self.c,
                    Side::Server => &mut self.s,
                };
                dir.stopped = true;
                dir.buf = Vec::new();
                let why = match e {
                    DecryptError::Short => "a record too short for its cipher suite",
                    DecryptError::Auth if self.plain.ev.decrypted => {
                        "a record did not authenticate (a record missing from the capture, or a key update)"
                    }
                    DecryptError::Auth => {
                        "the secret for this client random does not decrypt the records (a wrong key log entry)"
                    }
                };
                self.fail(format!("not decrypted beyond this point in the {}'s stream: {why}", side.label()));
            }
        }
    }

    /// Decrypted HTTP for the dissector, bounded by [`MAX_OUTBOX`].
    fn hand_over(&mut self, side: Side, ts: i64, plain: Vec<u8>) {
        if self.outbox_bytes + plain.len() <= MAX_OUTBOX {
            self.outbox_bytes += plain.len();
            self.outbox.push((side, ts, plain));
        }
    }

    /// TLS 1.3's encrypted server flight: finds the Certificate message (RFC 8446 §4.4.2).
    fn server_handshake_bytes(&mut self, plain: &[u8]) {
        use rdp_doctor_proto::tls::handshake::{HANDSHAKE_HEADER_LEN, MAX_HANDSHAKE_LEN, decode_tls13_certificate};
        if self.server_handshake.len() + plain.len() > MAX_HANDSHAKE_LEN + HANDSHAKE_HEADER_LEN {
            self.server_handshake = Vec::new();
            return;
        }
        self.server_handshake.extend_from_slice(plain);
        while let Some(&[t, l0, l1, l2]) = self.server_handshake.get(..4) {
            let len = (usize::from(l0) << 16) | (usize::from(l1) << 8) | usize::from(l2);
            let Some(body) = self.server_handshake.get(4..4 + len) else { return };
            if t == 11 {
                self.chain = decode_tls13_certificate(body);
                self.server_handshake = Vec::new();
                return;
            }
            self.server_handshake.drain(..4 + len);
        }
    }

    /// The evidence, with the reason when nothing was decrypted.
    pub fn evidence(&self, keys: &KeyLog) -> DecryptionEvidence {
        let mut ev = self.plain.ev.clone();
        ev.sources = keys.sources.clone();
        ev.not_decrypted = self.problem.clone().or_else(|| {
            (!ev.decrypted).then(|| {
                if self.client_random.is_none() {
                    "not decrypted: the ClientHello is not in the capture".to_owned()
                } else {
                    "not decrypted: no encrypted records were seen".to_owned()
                }
            })
        });
        ev
    }

    /// A gap in one side's stream: records after it cannot be placed.
    pub fn gap(&mut self, side: Side) {
        let dir = match side {
            Side::Client => &mut self.c,
            Side::Server => &mut self.s,
        };
        if !dir.stopped {
            dir.stopped = true;
            dir.buf = Vec::new();
            self.fail(format!(
                "not decrypted beyond a gap in the {}'s stream (bytes missing from the capture)",
                side.label()
            ));
        }
    }
}

/// Whether a ServerHello (handshake message, header included) carries encrypt_then_mac (RFC 7366, type 22).
fn server_hello_has_etm(body: &[u8]) -> bool {
    // type (1) + length (3) + legacy_version (2) + random (32), session_id, cipher_suite (2), compression (1).
    let Some(&sid) = body.get(38) else { return false };
    let at = 39 + usize::from(sid) + 3;
    let Some(&[l0, l1]) = body.get(at..at + 2) else { return false };
    let mut ext = body.get(at + 2..at + 2 + usize::from(u16::from_be_bytes([l0, l1]))).unwrap_or_default();
    while let [t0, t1, n0, n1, rest @ ..] = ext {
        if [*t0, *t1] == [0, 22] {
            return true;
        }
        ext = rest.get(usize::from(u16::from_be_bytes([*n0, *n1]))..).unwrap_or_default();
    }
    false
}

/// Whether a run of TLS 1.3 handshake messages contains a Finished.
fn finished_in(mut b: &[u8]) -> bool {
    while let [t, l0, l1, l2, rest @ ..] = b {
        if *t == 20 {
            return true;
        }
        let len = (usize::from(*l0) << 16) | (usize::from(*l1) << 8) | usize::from(*l2);
        b = rest.get(len..).unwrap_or_default();
    }
    false
}
