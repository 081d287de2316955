//! Which security mechanism CredSSP negotiated and authenticated with (MS-CSSP 2.2.1 negoTokens: SPNEGO,
//! RFC 4178, or a mechanism's own tokens). Facts only, read by both drivers through
//! [`MechanismReader`]; `rules/credssp.rs` judges.

use serde::Serialize;

use rdp_doctor_proto::spnego::{self, Inner, Mechanism};

/// The mechanisms of one CredSSP exchange.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct MechanismEvidence {
    /// The client wrapped its tokens in SPNEGO (Windows); raw NTLM or Kerberos tokens otherwise (FreeRDP,
    /// IronRDP, rdp-doctor's probe).
    pub spnego: bool,
    /// The client's negTokenInit mechTypes, most preferred first (name and OID). Empty for raw tokens.
    pub offered: Vec<String>,
    /// The mechanism of the client's first token: Kerberos, NTLM, NegoEx, PKU2U.
    pub proposed: Option<String>,
    /// The client offered NTLM: in its mechTypes, or as its token.
    pub ntlm_offered: bool,
    /// The mechanism the server went on with: its negTokenResp supportedMech, else the mechanism of its
    /// first token.
    pub chosen: Option<String>,
    /// The server's last negState (RFC 4178 4.2.2).
    pub neg_state: Option<String>,
    /// The mechanism the exchange authenticated with, once the server accepted the client's proof: SPNEGO
    /// accept-completed, a Kerberos AP-REP, or the server's pubKeyAuth after the client's NTLM AUTHENTICATE
    /// or Kerberos AP-REQ. `None` while that was not seen.
    pub authenticated: Option<String>,
    /// Each token in order, in words (at most 12): `client: SPNEGO negTokenInit, Kerberos TGT-REQ`.
    pub tokens: Vec<String>,
}

/// Reads the negoTokens of one exchange in order; the live probe and the capture both use it.
#[derive(Debug, Default)]
pub struct MechanismReader {
    pub ev: MechanismEvidence,
    /// The mechanism family of the client's last proof (NTLM AUTHENTICATE, Kerberos AP-REQ).
    proof: Option<String>,
}

const MAX_TOKENS: usize = 12;

impl MechanismReader {
    /// A client token; returns it in words.
    pub fn client(&mut self, token: &[u8]) -> String {
        let Ok(t) = spnego::decode(token) else {
            self.note("client: a token of no known mechanism".to_owned());
            return "a token of no known mechanism".to_owned();
        };
        if self.ev.tokens.is_empty() {
            self.ev.spnego = t.spnego;
            self.ev.offered = t.mech_types.iter().map(Mechanism::label).collect();
        }
        self.ev.ntlm_offered |= t.mech_types.contains(&Mechanism::Ntlm) || t.mechanism == Some(Mechanism::Ntlm);
        if self.ev.proposed.is_none() {
            self.ev.proposed = t.mechanism.as_ref().or(t.mech_types.first()).map(|m| m.family().to_owned());
        }
        match (&t.mechanism, &t.inner) {
            (Some(m), Some(Inner::Ntlm { message_type: 3 })) => self.proof = Some(m.family().to_owned()),
            (Some(m), Some(Inner::Kerberos { token_id: 0x0100 })) => self.proof = Some(m.family().to_owned()),
            _ => {}
        }
        let d = describe(&t);
        self.note(format!("client: {d}"));
        d
    }

    /// A server token; returns it in words.
    pub fn server(&mut self, token: &[u8]) -> String {
        let Ok(t) = spnego::decode(token) else {
            self.note("server: a token of no known mechanism".to_owned());
            return "a token of no known mechanism".to_owned();
        };
        if self.ev.chosen.is_none() {
            self.ev.chosen = t.supported_mech.as_ref().or(t.mechanism.as_ref()).map(|m| m.family().to_owned());
        }
        if let Some(s) = t.neg_state {
            self.ev.neg_state = Some(spnego::neg_state_name(s).to_owned());
        }
        let ap_rep = matches!(t.inner, Some(Inner::Kerberos { token_id: 0x0200 }));
        if ap_rep || t.neg_state == Some(0) {
            self.accept();
        }
        let d = describe(&t);
        self.note(format!("server: {d}"));
        d
    }

    /// The server sent its pubKeyAuth: it accepted the client's proof.
    pub fn server_pub_key_auth(&mut self) {
        if self.proof.is_some() {
            self.accept();
        }
    }

    fn accept(&mut self) {
        if self.ev.authenticated.is_none() {
            self.ev.authenticated = self.proof.clone().or_else(|| self.ev.chosen.clone());
        }
    }

    fn note(&mut self, line: String) {
        if self.ev.tokens.len() < MAX_TOKENS {
            self.ev.tokens.push(line);
        }
    }
}

/// One token in words.
fn describe(t: &spnego::Token) -> String {
    let mut parts = Vec::new();
    if t.spnego {
        if !t.mech_types.is_empty() {
            let fams: Vec<&str> = t.mech_types.iter().map(Mechanism::family).collect();
            parts.push(format!("SPNEGO negTokenInit offering {}", fams.join(", ")));
        } else {
            let mut p = "SPNEGO negTokenResp".to_owned();
            if let Some(s) = t.neg_state {
                p.push_str(&format!(" {}", spnego::neg_state_name(s)));
            }
            if let Some(m) = &t.supported_mech {
                p.push_str(&format!(", supportedMech {}", m.label()));
            }
            parts.push(p);
        }
    }
    if let Some(i) = &t.inner {
        parts.push(i.describe());
    }
    if parts.is_empty() { "an empty token".to_owned() } else { parts.join(", ") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_ntlm_is_ntlm() {
        let mut r = MechanismReader::default();
        r.client(&rdp_doctor_proto::ntlm::encode_negotiate());
        assert_eq!(r.ev.proposed.as_deref(), Some("NTLM"));
        assert!(r.ev.ntlm_offered && !r.ev.spnego);
        assert_eq!(r.ev.tokens, ["client: NTLM NEGOTIATE"]);
        // An NTLM AUTHENTICATE, then the server's pubKeyAuth: authenticated with NTLM.
        let mut auth = b"NTLMSSP\0".to_vec();
        auth.extend([3, 0, 0, 0]);
        r.client(&auth);
        assert_eq!(r.ev.authenticated, None);
        r.server_pub_key_auth();
        assert_eq!(r.ev.authenticated.as_deref(), Some("NTLM"));
    }
}
