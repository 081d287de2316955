//! Reading the two numbers of the Remote Desktop Connection dialog together: "Error code" (a client
//! disconnect reason, [`crate::disconnect`]) and "Extended error code" ([`crate::extended`]).
//!
//! The error code says how the client saw the connection end; a non-zero extended code is the reason the
//! server sent (its Set Error Info PDU, MS-RDPBCGR 2.2.5.1.1) before it disconnected, which also tells how
//! far the connection got. The advice that applies is the server's reason's when there is one.

use crate::{Advice, Code, Kind, Match, Reading, hex};

/// A misreading worth correcting explicitly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Misreading {
    pub kind: Kind,
    pub value: u32,
    pub text: &'static str,
}

const ARENA_TRASHED: &str = "0x7 is not Win32 error 7, ERROR_ARENA_TRASHED (\"the storage control blocks were destroyed\"): that is a memory-manager error from a different numbering and has nothing to do with Remote Desktop. Here 7 means the server denied the connection.";

/// Misreadings of single codes seen on the web.
pub static MISREADINGS: &[Misreading] = &[
    Misreading { kind: Kind::Extended, value: 7, text: ARENA_TRASHED },
    Misreading { kind: Kind::Errinfo, value: 7, text: ARENA_TRASHED },
];

/// Notes on a pair of dialog codes.
pub static PAIR_NOTES: &[((u32, u32), &str)] = &[(
    (0x904, 0x7),
    "Pages that read 0x904 / 0x7 as an authentication rejection, a bandwidth problem, a license that cannot be stored or a session lock failure cite no source and contradict each other; the documented meanings are the ones above.",
)];

/// Misreadings to correct for `value` read in `kind`'s family.
pub fn misreadings(kind: Kind, value: u32) -> impl Iterator<Item = &'static str> {
    MISREADINGS.iter().filter(move |m| m.kind == kind && m.value == value).map(|m| m.text)
}

/// The two dialog codes read together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairReading {
    pub code: u32,
    pub extended: u32,
    /// The error code as a client disconnect reason.
    pub disconnect: Option<&'static Code>,
    /// The extended code in its family (a code, or the protocol range).
    pub extended_match: Option<Match>,
    /// The server's ERRINFO code with the extended code's value, when the two numberings coincide.
    pub server_reason: Option<&'static Code>,
    /// What the pair means together, paragraph by paragraph.
    pub together: Vec<String>,
    /// Misreadings to correct.
    pub misreadings: Vec<&'static str>,
    /// Causes, checks and remedies: the server's reason's when it has some, else the error code's.
    pub advice: Option<&'static Advice>,
}

/// How the client saw the end, for the "together" sentence.
fn how_it_ended(code: u32, disconnect: Option<&Code>) -> String {
    match (code, disconnect) {
        (0x904, _) => "the socket close it saw (0x904)".to_owned(),
        (0x3, _) => "a disconnect by the server (0x3)".to_owned(),
        (_, Some(d)) => format!("its own view of the end ({}, {})", d.name, hex(code)),
        (_, None) => format!("an undocumented code ({})", hex(code)),
    }
}

/// Reads "Error code: `code`, Extended error code: `extended`".
pub fn read_pair(code: u32, extended: u32) -> PairReading {
    let disconnect = crate::disconnect::FAMILY.code(code);
    let extended_match = crate::extended::FAMILY.lookup(extended);
    let server_reason = if extended == 0 { None } else { crate::extended::errinfo_counterpart(extended) };
    let mut together = Vec::new();
    let ext_hex = hex(extended);
    match (&server_reason, &extended_match) {
        _ if extended == 0 => together.push(format!(
            "Extended code 0: the client received no reason from the server (no Set Error Info PDU), so the error code alone describes the failure{}.",
            disconnect.map(|d| format!(": {}", lowercase_first(d.meaning).trim_end_matches('.'))).unwrap_or_default()
        )),
        (Some(reason), _) => {
            together.push(format!(
                "The server ended the connection and said why: it sent a Set Error Info PDU with errorInfo {ext_hex} ({}) and then closed the connection, as MS-RDPBCGR requires. The client shows the server's reason as the extended code and {} as the error code.",
                reason.name,
                how_it_ended(code, disconnect)
            ));
            together.push(
                "A Set Error Info PDU travels inside the RDP connection (on the MCS I/O channel), so this connection had already passed TCP, the security negotiation, TLS and, when enabled, NLA (CredSSP), and the MCS setup: name resolution, port filtering and the server certificate are not the cause."
                    .to_owned(),
            );
        }
        (None, Some(m)) => match &m.reading {
            Reading::Code { code: c, .. } => together.push(format!(
                "Extended code {ext_hex} ({}) is set by the client itself, not sent by the server: {}",
                c.name,
                lowercase_first(c.meaning)
            )),
            _ => together.push(format!(
                "Extended code {ext_hex} is in the documented protocol-error range (0x1000-0x7FFF) without a name of its own: the server stopped on an internal protocol error, and its event log (RdpCoreTS) says which."
            )),
        },
        (None, None) => together.push(format!(
            "Extended code {ext_hex} is not a documented extended disconnect reason; the error code is the only documented part of this pair."
        )),
    }
    if disconnect.is_none() {
        together.push(format!("Error code {} is not in Microsoft's list of client disconnect reasons.", hex(code)));
    }
    let mut misreadings: Vec<&'static str> = misreadings(Kind::Extended, extended).collect();
    misreadings.extend(PAIR_NOTES.iter().filter(|(p, _)| *p == (code, extended)).map(|(_, t)| *t));
    let group_advice = extended_match.as_ref().and_then(|m| match &m.reading {
        Reading::Group { group, .. } => group.advice,
        _ => None,
    });
    let advice = server_reason
        .and_then(|r| r.advice)
        .or(group_advice)
        .or_else(|| extended_match.as_ref().and_then(Match::code).filter(|_| extended != 0).and_then(|c| c.advice))
        .or_else(|| disconnect.and_then(|d| d.advice));
    PairReading { code, extended, disconnect, extended_match, server_reason, together, misreadings, advice }
}

fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_classic_pair_is_the_server_denying_after_setup() {
        let r = read_pair(0x904, 0x7);
        assert_eq!(r.disconnect.map(|d| d.name), Some("disconnectReasonAtClientWinsockFDCLOSE"));
        assert_eq!(r.server_reason.map(|d| d.name), Some("ERRINFO_SERVER_DENIED_CONNECTION"));
        assert!(r.together[0].contains("socket close"));
        assert!(r.together[1].contains("NLA"));
        assert!(r.misreadings.iter().any(|m| m.contains("ERROR_ARENA_TRASHED")));
        assert!(std::ptr::eq(r.advice.unwrap_or(&crate::advice::TIMEOUT), &crate::advice::SERVER_DENIED));
    }

    #[test]
    fn extended_zero_uses_the_error_codes_advice() {
        let r = read_pair(0x904, 0);
        assert!(r.server_reason.is_none());
        assert!(r.together[0].starts_with("Extended code 0"));
        assert!(std::ptr::eq(r.advice.unwrap_or(&crate::advice::TIMEOUT), &crate::advice::SOCKET_CLOSED));
    }

    #[test]
    fn protocol_range_and_client_side_codes() {
        let r = read_pair(0x3, 0x10C9);
        assert_eq!(r.server_reason.map(|c| c.name), Some("ERRINFO_UNKNOWN_DATA_PDU_TYPE"));
        let r = read_pair(0x3, 0x7FFE);
        assert!(r.together[0].contains("protocol-error range"), "{:?}", r.together);
        let r = read_pair(0x808, 0x10B);
        assert!(r.together[0].contains("set by the client itself"));
        let r = read_pair(0xFFFF, 0xFFFF_0000);
        assert!(r.together.iter().any(|t| t.contains("not a documented extended")));
        assert!(r.together.iter().any(|t| t.contains("not in Microsoft's list")));
    }
}
