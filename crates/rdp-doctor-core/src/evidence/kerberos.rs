//! Kerberos messages observed (RFC 4120): from a capture of the client's traffic to its KDC (port 88, clear
//! text), or inside CredSSP's SPNEGO tokens once a capture is decrypted. Facts only; `rules/kerberos.rs`
//! judges.

use serde::Serialize;

/// The Kerberos messages seen around one connection (or one client's KDC traffic), in capture order.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct KerberosEvidence {
    pub messages: Vec<KrbObservation>,
    /// More messages were seen than are kept.
    pub truncated: bool,
}

/// One Kerberos message.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct KrbObservation {
    /// Milliseconds from the start of the capture.
    pub at_ms: f64,
    /// Where it was seen: `UDP 10.0.0.5:50123 → 10.0.0.1:88`, `CredSSP (decrypted) 10.0.0.5:50200 → …`.
    pub via: String,
    /// Who sent it: `client`, `KDC` or `server` (an RDP server answering inside CredSSP).
    pub from: String,
    /// `AS-REQ`, `TGS-REQ`, `AS-REP`, `TGS-REP`, `AP-REQ`, `AP-REP`, `KRB-ERROR`.
    pub message: String,
    pub realm: Option<String>,
    /// The client principal the message names.
    pub client: Option<String>,
    /// The service principal (`krbtgt/REALM`, `TERMSRV/host`).
    pub service: Option<String>,
    /// KRB-ERROR error-code (RFC 4120 7.5.9).
    pub error_code: Option<u32>,
    pub e_text: Option<String>,
    /// The KDC's (or server's) clock from the KRB-ERROR, GeneralizedTime text.
    pub peer_time: Option<String>,
    /// The NTSTATUS of a Windows KERB-EXT-ERROR (MS-KILE 2.2.1).
    pub ntstatus: Option<u32>,
}
