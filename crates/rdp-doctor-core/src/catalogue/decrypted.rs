//! Findings only a decrypted capture can show (`capture --keylog`, or a capture with Decryption Secrets
//! Blocks). The server's own answers inside TLS (TSRequest errorCode, Early User Authorization Result, Set
//! Error Info, licensing errors, ultimatum) become the live credentialed check's session evidence and are
//! judged by its rules (`credssp.logon_failure`, `authz.access_denied`, `server.denied_connection`,
//! `license.*`, …); what remains here is what the live check reads elsewhere.

use super::def;
use crate::finding::{FindingDef, Severity};

def!(
    GATEWAY_TUNNEL_REFUSED,
    "gateway.tunnel_refused",
    Fail,
    "gateway",
    "The RD Gateway refused the tunnel or the channel (MS-TSGU result)",
    "After HTTP authentication the client and the RD Gateway set up the tunnel with MS-TSGU packets (handshake, tunnel create, tunnel authorization, channel create); each answer carries an HRESULT. A failing one is the gateway's own reason: E_PROXY_RAP_ACCESSDENIED means a resource authorization policy (RD RAP) does not allow this user to reach this computer, E_PROXY_NAP_ACCESSDENIED a connection authorization policy (RD CAP), E_PROXY_INTERNALERROR or a connect failure that the gateway could not reach the target.",
    ["gateway.policies", "gateway.reach_target", "gateway.connection_limit"]
);

/// This file's findings.
pub(super) static DEFS: &[FindingDef] = &[GATEWAY_TUNNEL_REFUSED];
