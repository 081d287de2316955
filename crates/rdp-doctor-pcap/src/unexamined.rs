//! TLS connections on 443 that may be an RD Gateway but could not be examined: without the client's TLS
//! secrets their HTTP is unreadable, and their port was not named. A server name that suggests a gateway
//! (in the ClientHello's SNI, or the certificate a TLS 1.2 server sent) puts them in the report as "not
//! examined", with the command that would examine them; others are left out (a capture is full of HTTPS).

use rdp_doctor_core::capture_report::NotExamined;

use crate::conn::TcpConn;

/// Words that name a gateway (or the RD Web / RD Services front) in a host name's labels.
/// (Session host names such as `rds1` are not among them: a session host is not reached on 443.)
const GATEWAY_WORDS: [&str; 14] = [
    "rdg",
    "rdgw",
    "rdgateway",
    "gateway",
    "gw",
    "rdweb",
    "remote",
    "remoteapp",
    "tsg",
    "tsgw",
    "rdp",
    "vdi",
    "avd",
    "desktop",
];

/// Whether a host name's first label (or its parts split at `-`, `_` and digits) is one of the words.
pub fn gateway_like(name: &str) -> bool {
    let first = name.split('.').next().unwrap_or_default().to_ascii_lowercase();
    first.split(|c: char| c == '-' || c == '_' || c.is_ascii_digit()).any(|part| GATEWAY_WORDS.contains(&part))
}

/// The "not examined" entry for a tentative TLS connection, when its names suggest a gateway.
pub fn entry(c: &TcpConn, path: &str) -> Option<NotExamined> {
    let d = c.dissector.as_deref()?;
    let tls = d.tls.as_ref()?;
    let sni = tls.client_hello.as_ref().and_then(|h| h.server_name.clone());
    let mut names: Vec<String> = sni.iter().cloned().collect();
    if let Some(leaf) = tls.chain.first() {
        let info = rdp_doctor_core::cert::CertInfo::from_der(leaf);
        names.extend(info.dns_names.into_iter().chain(info.common_names).take(8));
    }
    let hit = names.iter().find(|n| gateway_like(n))?.clone();
    let from = if sni.as_deref() == Some(hit.as_str()) { "the ClientHello's server name" } else { "the certificate" };
    let decrypted = d.decrypt.as_ref().is_some_and(|x| x.plain.ev.decrypted);
    let why = if decrypted {
        format!("{from} {hit} suggests an RD Gateway, but the decrypted data is not a gateway's")
    } else {
        format!(
            "{from} {hit} suggests an RD Gateway; without the client's TLS secrets its HTTP cannot be read (add \
             --keylog FILE with the client's key log, or capture on a client with SSLKEYLOGFILE set, to read \
             the gateway's answers)"
        )
    };
    Some(NotExamined {
        client: c.client.to_string(),
        server: c.server.to_string(),
        start_ms: 0.0,
        sni,
        why,
        command: format!("rdp-doctor capture {} --port {}", shell_word(path), c.server.port()),
    })
}

/// A path as one shell word.
fn shell_word(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+:@%".contains(c)) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_names() {
        for n in ["rdg.corp.example", "RDGW01.corp.example", "remote.contoso.com", "gw-2.example", "rdweb.x"] {
            assert!(gateway_like(n), "{n}");
        }
        for n in
            ["www.example.com", "login.microsoftonline.com", "mail.corp.example", "rdpx.example", "rds.example.test"]
        {
            assert!(!gateway_like(n), "{n}");
        }
        assert_eq!(shell_word("a b.pcap"), "'a b.pcap'");
        assert_eq!(shell_word("/tmp/x.pcapng"), "/tmp/x.pcapng");
    }
}
