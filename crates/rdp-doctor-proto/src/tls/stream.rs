//! One direction of a TLS connection walked record by record (RFC 5246 §6.2, RFC 8446 §5.1), fed with the
//! bytes as they arrive, in order. Records in the clear (handshake, alert, ChangeCipherSpec) are decoded;
//! encrypted records are counted by type and length and their bodies skipped without being buffered.
//!
//! After a ChangeCipherSpec the sender's records are encrypted (TLS ≤ 1.2). In TLS 1.3 the caller, who saw
//! the ServerHello select 1.3, calls [`TlsStream::set_encrypted`] on both directions.

use super::handshake::{self, HandshakeMessage};
use super::{
    Alert, AlertDescription, ContentType, MAX_RECORD_LEN, RECORD_HEADER_LEN, RecordHeader, decode_record_header,
};

/// What one record (or one handshake message inside records) was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsEvent {
    Handshake(HandshakeMessage),
    /// A plaintext alert.
    Alert(Alert),
    ChangeCipherSpec,
    /// A handshake record after ChangeCipherSpec (Finished, or TLS 1.3's encrypted flight).
    EncryptedHandshake {
        length: u16,
    },
    /// An alert record after ChangeCipherSpec: its level and description are not visible.
    EncryptedAlert {
        length: u16,
    },
    ApplicationData {
        length: u16,
    },
    /// The bytes stopped being TLS; nothing further is decoded in this direction.
    Malformed(String),
}

/// The reader state of one direction.
#[derive(Debug, Default, Clone)]
pub struct TlsStream {
    /// An incomplete record header.
    header: Vec<u8>,
    /// The cleartext record whose body is being collected, and the body so far.
    current: Option<RecordHeader>,
    body: Vec<u8>,
    /// Body bytes still to skip of a record that is not kept.
    skip: usize,
    /// Handshake bytes collected across records, for messages that span records.
    handshake: Vec<u8>,
    encrypted: bool,
    failed: bool,
    /// Records started so far.
    pub records: u64,
}

impl TlsStream {
    pub fn new() -> Self {
        Self::default()
    }

    /// Everything after this point from this sender is encrypted.
    pub fn set_encrypted(&mut self) {
        self.encrypted = true;
        self.handshake = Vec::new();
    }

    pub fn is_encrypted(&self) -> bool {
        self.encrypted
    }

    /// Whether the stream stopped being TLS.
    pub fn is_failed(&self) -> bool {
        self.failed
    }

    /// Feeds the next bytes of this direction; events are appended to `out`.
    pub fn feed(&mut self, mut data: &[u8], out: &mut Vec<TlsEvent>) {
        while !data.is_empty() && !self.failed {
            if self.skip > 0 {
                let n = self.skip.min(data.len());
                self.skip -= n;
                data = data.get(n..).unwrap_or_default();
                continue;
            }
            if let Some(h) = self.current {
                let want = usize::from(h.length).saturating_sub(self.body.len());
                let n = want.min(data.len());
                self.body.extend_from_slice(data.get(..n).unwrap_or_default());
                data = data.get(n..).unwrap_or_default();
                if self.body.len() == usize::from(h.length) {
                    self.current = None;
                    let body = std::mem::take(&mut self.body);
                    self.cleartext_record(h, &body, out);
                    self.body = body;
                    self.body.clear();
                }
                continue;
            }
            let decoded = if self.header.is_empty() && data.len() >= RECORD_HEADER_LEN {
                let h = decode_record_header(data);
                data = data.get(RECORD_HEADER_LEN..).unwrap_or_default();
                h
            } else {
                let n = (RECORD_HEADER_LEN - self.header.len()).min(data.len());
                self.header.extend_from_slice(data.get(..n).unwrap_or_default());
                data = data.get(n..).unwrap_or_default();
                let h = decode_record_header(&self.header);
                if self.header.len() == RECORD_HEADER_LEN {
                    self.header.clear();
                }
                h
            };
            let h = match decoded {
                Ok(Some(h)) => h,
                Ok(None) => return,
                Err(e) => {
                    self.fail(format!("not a TLS record: {e}"), out);
                    return;
                }
            };
            self.records += 1;
            let ct = h.content_type;
            let keep = !self.encrypted
                && matches!(ct, ContentType::HANDSHAKE | ContentType::ALERT | ContentType::CHANGE_CIPHER_SPEC);
            if keep {
                self.current = Some(h);
                if h.length == 0 {
                    // An empty record: handle it now, no body will arrive.
                    self.current = None;
                    self.cleartext_record(h, &[], out);
                }
                continue;
            }
            self.skip = usize::from(h.length);
            out.push(match ct {
                ContentType::APPLICATION_DATA => TlsEvent::ApplicationData { length: h.length },
                ContentType::HANDSHAKE => TlsEvent::EncryptedHandshake { length: h.length },
                ContentType::ALERT => TlsEvent::EncryptedAlert { length: h.length },
                ContentType::CHANGE_CIPHER_SPEC => TlsEvent::ChangeCipherSpec,
                _ => continue,
            });
        }
    }

    fn cleartext_record(&mut self, h: RecordHeader, body: &[u8], out: &mut Vec<TlsEvent>) {
        match h.content_type {
            ContentType::ALERT => match body {
                [level, desc] => {
                    out.push(TlsEvent::Alert(Alert { level: *level, description: AlertDescription(*desc) }))
                }
                _ => self.fail(format!("alert record of {} bytes", body.len()), out),
            },
            ContentType::CHANGE_CIPHER_SPEC => {
                out.push(TlsEvent::ChangeCipherSpec);
                self.set_encrypted();
            }
            _ => self.handshake_bytes(body, out),
        }
    }

    fn handshake_bytes(&mut self, body: &[u8], out: &mut Vec<TlsEvent>) {
        if self.handshake.len() + body.len() > handshake::MAX_HANDSHAKE_LEN + handshake::HANDSHAKE_HEADER_LEN {
            self.fail("handshake message larger than the decoder's bound".to_owned(), out);
            return;
        }
        self.handshake.extend_from_slice(body);
        loop {
            match handshake::decode_handshake_message(&self.handshake) {
                Ok(Some((msg, used))) => {
                    out.push(TlsEvent::Handshake(msg));
                    self.handshake.drain(..used.min(self.handshake.len()));
                }
                Ok(None) => return,
                Err(e) => {
                    self.fail(e.to_string(), out);
                    return;
                }
            }
        }
    }

    fn fail(&mut self, why: String, out: &mut Vec<TlsEvent>) {
        self.failed = true;
        self.body = Vec::new();
        self.handshake = Vec::new();
        out.push(TlsEvent::Malformed(why));
    }
}

/// Bound re-exported for callers sizing buffers: a record never exceeds this many bytes.
pub const MAX_RECORD_BYTES: usize = RECORD_HEADER_LEN + MAX_RECORD_LEN as usize;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex::parse_hex;
    use crate::tls::handshake::HandshakeType;

    fn fx(s: &str) -> Vec<u8> {
        parse_hex(s).unwrap_or_default()
    }

    /// handshake record (TLS 1.2, len 8) with ServerHelloDone (4 bytes) and half of another
    /// ServerHelloDone continued in the next record; then CCS; then an encrypted handshake record
    /// (len 3); then application data (len 2); then a fatal alert after CCS (encrypted, len 2).
    const FLIGHT: &str = "16 03 03 00 06 0e 00 00 00 0e 00 \
                          16 03 03 00 02 00 00 \
                          14 03 03 00 01 01 \
                          16 03 03 00 03 aa bb cc \
                          17 03 03 00 02 dd ee \
                          15 03 03 00 02 ff ff";

    fn expected() -> Vec<TlsEvent> {
        let done =
            TlsEvent::Handshake(HandshakeMessage::Other { msg_type: HandshakeType::SERVER_HELLO_DONE, length: 0 });
        vec![
            done.clone(),
            done,
            TlsEvent::ChangeCipherSpec,
            TlsEvent::EncryptedHandshake { length: 3 },
            TlsEvent::ApplicationData { length: 2 },
            TlsEvent::EncryptedAlert { length: 2 },
        ]
    }

    #[test]
    fn walks_a_flight_in_one_piece() {
        let mut s = TlsStream::new();
        let mut out = Vec::new();
        s.feed(&fx(FLIGHT), &mut out);
        assert_eq!(out, expected());
        assert_eq!(s.records, 6);
    }

    #[test]
    fn walks_a_flight_byte_by_byte() {
        let mut s = TlsStream::new();
        let mut out = Vec::new();
        for b in fx(FLIGHT) {
            s.feed(&[b], &mut out);
        }
        assert_eq!(out, expected());
    }

    #[test]
    fn plaintext_alert_and_garbage() {
        let mut s = TlsStream::new();
        let mut out = Vec::new();
        // fatal handshake_failure, then HTTP
        s.feed(&fx("15 03 03 00 02 02 28"), &mut out);
        s.feed(b"HTTP/1.1 400 Bad Request\r\n", &mut out);
        assert_eq!(out[0], TlsEvent::Alert(Alert { level: 2, description: AlertDescription(40) }));
        assert!(matches!(&out[1], TlsEvent::Malformed(m) if m.contains("not a TLS record")));
        assert!(s.is_failed());
        s.feed(&fx("15 03 03 00 02 02 28"), &mut out);
        assert_eq!(out.len(), 2, "a failed stream stays silent");
    }
}
