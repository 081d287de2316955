//! WebSocket frames (RFC 6455 §5.2) as the RD Gateway's WebSocket transport carries MS-TSGU packets
//! (MS-TSGU 2.2.5.3.2: binary frames after the `101 Switching Protocols`). Client frames are masked
//! (§5.3), server frames are not. Sans-IO and bounded: a frame announcing more than [`MAX_FRAME`] bytes is an
//! error, never an allocation.

/// The largest frame payload accepted (MS-TSGU packets stay far below; a DATA packet carries at most 64 KiB).
pub const MAX_FRAME: usize = 1 << 20;

/// RFC 6455 §5.2 opcodes.
pub mod opcode {
    pub const CONTINUATION: u8 = 0x0;
    pub const TEXT: u8 = 0x1;
    pub const BINARY: u8 = 0x2;
    pub const CLOSE: u8 = 0x8;
    pub const PING: u8 = 0x9;
    pub const PONG: u8 = 0xa;
}

/// One decoded frame, unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub fin: bool,
    pub opcode: u8,
    /// Whether the sender masked it (clients must, servers must not).
    pub masked: bool,
    pub payload: Vec<u8>,
}

/// Why bytes are not a usable frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WsError {
    #[error("WebSocket frame of {0} bytes exceeds the {MAX_FRAME}-byte bound")]
    TooLong(u64),
}

/// Encodes one frame with FIN set. `mask`: the client's masking key (RFC 6455 §5.3), `None` for a server.
pub fn encode(op: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 14);
    out.push(0x80 | (op & 0x0f));
    let m = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => out.push(m | u8::try_from(n).unwrap_or(0)),
        n if n <= usize::from(u16::MAX) => {
            out.push(m | 126);
            out.extend_from_slice(&u16::try_from(n).unwrap_or(u16::MAX).to_be_bytes());
        }
        n => {
            out.push(m | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    match mask {
        Some(k) => {
            out.extend_from_slice(&k);
            out.extend(payload.iter().zip(k.iter().cycle()).map(|(b, k)| b ^ k));
        }
        None => out.extend_from_slice(payload),
    }
    out
}

/// Decodes the frame at the start of `buf`: `Ok(None)` when more bytes are needed; on success also the
/// number of bytes used.
pub fn decode(buf: &[u8]) -> Result<Option<(Frame, usize)>, WsError> {
    let Some(&[b0, b1]) = buf.get(..2) else { return Ok(None) };
    let (len, mut at) = match b1 & 0x7f {
        126 => {
            let Some(&[h, l]) = buf.get(2..4) else { return Ok(None) };
            (u64::from(u16::from_be_bytes([h, l])), 4)
        }
        127 => {
            let Some(b) = buf.get(2..10) else { return Ok(None) };
            (u64::from_be_bytes(b.try_into().unwrap_or([0xff; 8])), 10)
        }
        n => (u64::from(n), 2),
    };
    if len > MAX_FRAME as u64 {
        return Err(WsError::TooLong(len));
    }
    let len = usize::try_from(len).unwrap_or(MAX_FRAME);
    let masked = b1 & 0x80 != 0;
    let key = if masked {
        let Some(&[k0, k1, k2, k3]) = buf.get(at..at + 4) else { return Ok(None) };
        at += 4;
        Some([k0, k1, k2, k3])
    } else {
        None
    };
    let Some(body) = buf.get(at..at + len) else { return Ok(None) };
    let payload = match key {
        Some(k) => body.iter().zip(k.iter().cycle()).map(|(b, k)| b ^ k).collect(),
        None => body.to_vec(),
    };
    Ok(Some((Frame { fin: b0 & 0x80 != 0, opcode: b0 & 0x0f, masked, payload }, at + len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_examples() {
        // §5.7: a single-frame unmasked text message "Hello", and the masked one with key 37 fa 21 3d.
        let unmasked = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
        let masked = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
        for (bytes, is_masked) in [(&unmasked[..], false), (&masked[..], true)] {
            let (f, used) = decode(bytes).ok().flatten().unwrap_or_else(|| panic!("{bytes:02x?}"));
            assert_eq!(
                (f.fin, f.opcode, f.masked, f.payload.as_slice(), used),
                (true, 1, is_masked, &b"Hello"[..], bytes.len())
            );
        }
        assert_eq!(encode(opcode::TEXT, b"Hello", None), unmasked);
        assert_eq!(encode(opcode::TEXT, b"Hello", Some([0x37, 0xfa, 0x21, 0x3d])), masked);
    }

    #[test]
    fn lengths_round_trip_and_every_cut_needs_more() {
        for n in [0usize, 125, 126, 65535, 65536] {
            let payload: Vec<u8> = (0..n).map(|i| i as u8).collect();
            for mask in [None, Some([1, 2, 3, 4])] {
                let f = encode(opcode::BINARY, &payload, mask);
                let (d, used) = decode(&f).ok().flatten().unwrap_or_else(|| panic!("{n}"));
                assert_eq!((d.payload.len(), used, d.opcode), (n, f.len(), opcode::BINARY));
                assert_eq!(d.payload, payload);
                if n < 300 {
                    for cut in 0..f.len() {
                        assert_eq!(decode(&f[..cut]), Ok(None), "{n} cut at {cut}");
                    }
                }
            }
        }
        assert_eq!(decode(&[0x82, 0x7f, 0, 0, 0, 1, 0, 0, 0, 0]), Err(WsError::TooLong(1 << 32)));
    }
}
