//! A minimal X.224 exchange, so tests can check that a lab server really
//! speaks RDP without depending on the crates under test.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// TPKT + X.224 Connection Request + RDP_NEG_REQ asking for
/// `PROTOCOL_SSL | PROTOCOL_HYBRID | PROTOCOL_HYBRID_EX` (0x0b), no cookie.
///
/// ```text
/// 03 00 00 13            TPKT v3, length 19
/// 0e e0 00 00 00 00 00   X.224 CR: LI 14, CR CDT, dst-ref 0, src-ref 0, class 0
/// 01 00 08 00 0b 00 00 00  RDP_NEG_REQ, flags 0, length 8, protocols 0x0b
/// ```
pub const X224_PROBE: [u8; 19] =
    [0x03, 0x00, 0x00, 0x13, 0x0e, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0x00, 0x0b, 0x00, 0x00, 0x00];

/// Connects to `addr`, sends [`X224_PROBE`] and returns the complete TPKT
/// the server answers with (header included). Every step is bounded by
/// `timeout`.
pub fn x224_probe(addr: SocketAddr, timeout: Duration) -> io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    stream.write_all(&X224_PROBE)?;
    let mut header = [0u8; 4];
    stream.read_exact(&mut header)?;
    let [version, _, hi, lo] = header;
    if version != 3 {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("not a TPKT: first bytes {header:02x?}")));
    }
    let total = usize::from(u16::from_be_bytes([hi, lo]));
    if !(4..=4096).contains(&total) {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("implausible TPKT length {total}")));
    }
    let mut reply = header.to_vec();
    reply.resize(total, 0);
    if let Some(body) = reply.get_mut(4..) {
        stream.read_exact(body)?;
    }
    Ok(reply)
}
