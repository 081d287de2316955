//! The server side of an RD Gateway tunnel in a decrypted capture: MS-TSGU packets (2.2.10) read with the
//! same codec as the live gateway probe (`rdp_doctor_proto::tsgu`), directly after the `RDG_OUT_DATA`
//! answer (HTTP transport) or inside the server's WebSocket frames (RFC 6455 §5.2; server frames are not
//! masked). Each response's HRESULT is recorded; the first non-zero one is the gateway's refusal.

use rdp_doctor_proto::tsgu::{self, Packet};

/// Bytes held while waiting for a whole frame or packet.
const MAX_BUFFER: usize = 128 * 1024;
/// Lines kept.
const MAX_LINES: usize = 16;

#[derive(Debug, Default)]
pub struct Tunnel {
    websocket: bool,
    frames: Vec<u8>,
    packets: Vec<u8>,
    stopped: bool,
    /// One line per packet ("HTTP_TUNNEL_RESPONSE statusCode S_OK").
    pub lines: Vec<String>,
    /// The first response with a failing HRESULT: (packet name, HRESULT).
    pub refusal: Option<(&'static str, u32)>,
}

impl Tunnel {
    pub fn new(websocket: bool) -> Self {
        Self { websocket, ..Self::default() }
    }

    pub fn feed(&mut self, data: &[u8]) {
        if self.stopped {
            return;
        }
        if self.websocket {
            if self.frames.len() + data.len() > MAX_BUFFER {
                self.stopped = true;
                return;
            }
            self.frames.extend_from_slice(data);
            self.unframe();
        } else {
            if self.packets.len() + data.len() > MAX_BUFFER {
                self.stopped = true;
                return;
            }
            self.packets.extend_from_slice(data);
        }
        self.packets();
    }

    /// RFC 6455 §5.2 frames, read by the same codec as the live gateway tunnel (`proto::websocket`).
    fn unframe(&mut self) {
        use rdp_doctor_proto::websocket::{self, opcode};
        loop {
            match websocket::decode(&self.frames) {
                Ok(None) => return,
                Err(_) => {
                    self.stopped = true;
                    return;
                }
                Ok(Some((f, used))) => {
                    // Binary and continuation frames carry the packets; close, ping and pong do not.
                    if matches!(f.opcode, opcode::CONTINUATION | opcode::BINARY)
                        && self.packets.len() + f.payload.len() <= MAX_BUFFER
                    {
                        self.packets.extend_from_slice(&f.payload);
                    }
                    self.frames.drain(..used.min(self.frames.len()));
                }
            }
        }
    }

    fn packets(&mut self) {
        loop {
            match tsgu::decode(&self.packets) {
                Ok(Some((p, used))) => {
                    self.packet(p);
                    self.packets.drain(..used.min(self.packets.len()));
                }
                Ok(None) => return,
                Err(e) => {
                    self.line(format!("not an MS-TSGU packet: {e}"));
                    self.stopped = true;
                    return;
                }
            }
        }
    }

    fn line(&mut self, l: String) {
        if self.lines.len() < MAX_LINES {
            self.lines.push(l);
        }
    }

    fn packet(&mut self, p: Packet) {
        let (name, code) = match p {
            Packet::HandshakeResponse(r) => ("HTTP_HANDSHAKE_RESPONSE", r.error_code),
            Packet::TunnelResponse(r) => ("HTTP_TUNNEL_RESPONSE", r.status_code),
            Packet::TunnelAuthResponse(r) => ("HTTP_TUNNEL_AUTH_RESPONSE", r.error_code),
            Packet::ChannelResponse(r) => ("HTTP_CHANNEL_RESPONSE", r.error_code),
            Packet::Close { status_code, .. } => ("HTTP_CLOSE_PACKET", status_code),
            Packet::Data(_) => {
                // The RDP connection inside the tunnel: not decoded; the setup is over.
                self.line("HTTP_DATA_PACKET (the tunnelled RDP connection; not decoded)".to_owned());
                self.stopped = true;
                return;
            }
            Packet::Keepalive => return,
            Packet::Other { packet_type, .. } => {
                self.line(format!("packet type 0x{packet_type:02x}"));
                return;
            }
            Packet::HandshakeRequest(_)
            | Packet::TunnelCreate(_)
            | Packet::TunnelAuth(_)
            | Packet::ChannelCreate(_) => {
                return;
            }
        };
        let named = tsgu::hresult_name(code).map_or_else(|| format!("0x{code:08X}"), |n| format!("{n} (0x{code:08X})"));
        self.line(format!("{name}: {named}"));
        if code != 0 && self.refusal.is_none() {
            self.refusal = Some((name, code));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// HTTP_TUNNEL_RESPONSE (type 5, length 18): serverVersion 1, statusCode 0x800759DA
    /// (E_PROXY_RAP_ACCESSDENIED), fieldsPresent 0, reserved 0.
    const TUNNEL_DENIED: [u8; 18] = [5, 0, 0, 0, 18, 0, 0, 0, 1, 0, 0xda, 0x59, 0x07, 0x80, 0, 0, 0, 0];

    #[test]
    fn http_transport_refusal() {
        let mut t = Tunnel::new(false);
        t.feed(&TUNNEL_DENIED[..7]);
        assert!(t.lines.is_empty());
        t.feed(&TUNNEL_DENIED[7..]);
        assert_eq!(t.refusal, Some(("HTTP_TUNNEL_RESPONSE", 0x8007_59DA)));
        assert!(t.lines[0].contains("E_PROXY_RAP_ACCESSDENIED"), "{:?}", t.lines);
    }

    #[test]
    fn websocket_frames_are_unwrapped() {
        let mut frame = vec![0x82, 18];
        frame.extend_from_slice(&TUNNEL_DENIED);
        let mut t = Tunnel::new(true);
        for b in frame.chunks(5) {
            t.feed(b);
        }
        assert_eq!(t.refusal, Some(("HTTP_TUNNEL_RESPONSE", 0x8007_59DA)));
    }

    #[test]
    fn garbage_stops_quietly() {
        let mut t = Tunnel::new(false);
        t.feed(&[0xff; 40]);
        t.feed(&[0; 10]);
        assert!(t.refusal.is_none());
    }
}
