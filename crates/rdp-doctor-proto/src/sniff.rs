//! Guessing what answered on a port that should speak RDP, from the first bytes it sent.
//!
//! Used for the `x224.not_rdp` finding: "something else listens on the port" is more useful with a name
//! (a web server, an SSH daemon, a TLS-only service such as an RD Gateway or a load balancer).

/// What the first bytes of a peer's answer look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerGuess {
    /// TPKT version 3: RDP (or another ISO-on-TCP protocol).
    Tpkt,
    /// An HTTP response (status line quoted).
    Http { status_line: String },
    /// An SSH banner.
    Ssh { banner: String },
    /// A TLS record (content type, version); a TLS-first service answered our cleartext request.
    Tls { content_type: u8, version: u16 },
    /// A line of text (SMTP/FTP/POP banners and similar).
    TextBanner { line: String },
    /// Binary data of unknown shape.
    Binary,
}

impl std::fmt::Display for PeerGuess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Tpkt => f.write_str("TPKT (RDP framing)"),
            Self::Http { status_line } => write!(f, "an HTTP server (\"{status_line}\")"),
            Self::Ssh { banner } => write!(f, "an SSH server (\"{banner}\")"),
            Self::Tls { content_type, version } => {
                write!(f, "a TLS-first service (record type {content_type}, version 0x{version:04x})")
            }
            Self::TextBanner { line } => write!(f, "a text protocol (\"{line}\")"),
            Self::Binary => f.write_str("an unknown binary protocol"),
        }
    }
}

fn first_line(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|b| *b == b'\r' || *b == b'\n').unwrap_or(bytes.len()).min(120);
    String::from_utf8_lossy(bytes.get(..end).unwrap_or_default()).into_owned()
}

/// Classifies the first bytes a peer sent.
pub fn guess(bytes: &[u8]) -> PeerGuess {
    match bytes {
        [3, 0, ..] => PeerGuess::Tpkt,
        [b'H', b'T', b'T', b'P', b'/', ..] => PeerGuess::Http { status_line: first_line(bytes) },
        [b'S', b'S', b'H', b'-', ..] => PeerGuess::Ssh { banner: first_line(bytes) },
        [ct @ 20..=24, 3, minor @ 0..=4, ..] => {
            PeerGuess::Tls { content_type: *ct, version: u16::from_be_bytes([3, *minor]) }
        }
        _ if !bytes.is_empty() && bytes.iter().take(64).all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace()) => {
            PeerGuess::TextBanner { line: first_line(bytes) }
        }
        _ => PeerGuess::Binary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses() {
        assert_eq!(guess(&[3, 0, 0, 19]), PeerGuess::Tpkt);
        assert_eq!(
            guess(b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n"),
            PeerGuess::Http { status_line: "HTTP/1.1 400 Bad Request".into() }
        );
        assert_eq!(guess(b"SSH-2.0-OpenSSH_9.2\r\n"), PeerGuess::Ssh { banner: "SSH-2.0-OpenSSH_9.2".into() });
        // TLS alert record, TLS 1.2
        assert_eq!(guess(&[0x15, 3, 3, 0, 2, 2, 40]), PeerGuess::Tls { content_type: 21, version: 0x0303 });
        assert_eq!(guess(b"220 mail ESMTP\r\n"), PeerGuess::TextBanner { line: "220 mail ESMTP".into() });
        assert_eq!(guess(&[0xff, 0x00, 0x12]), PeerGuess::Binary);
        assert_eq!(guess(&[]), PeerGuess::Binary);
    }
}
