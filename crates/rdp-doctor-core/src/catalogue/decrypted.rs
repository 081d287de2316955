//! Findings only a decrypted capture can show (`capture --keylog`, or a capture with Decryption Secrets
//! Blocks): the server's own answer inside TLS. A TSRequest errorCode from a decrypted capture is judged by
//! the live check's CredSSP rules (`credssp.server_error`); these are the session-layer answers.

use super::def;
use crate::finding::{FindingDef, Severity};

def!(
    SESSION_ERROR_INFO,
    "session.error_info",
    Fail,
    "session",
    "The server ended the session with a Set Error Info PDU (ERRINFO)",
    "Before disconnecting, the server sent its reason in a Set Error Info PDU (MS-RDPBCGR 2.2.5.1.1): the value mstsc shows as the 'extended error code' and FreeRDP logs as ERRINFO_*. The evidence names the code and its likely causes; `rdp-doctor explain CODE` gives its full advice.",
    ["server.enable_logons", "server.grant_rdp_logon_right", "server.connection_limits", "server.rd_licensing"]
);
def!(
    NLA_EARLY_USER_AUTH_DENIED,
    "nla.early_user_auth_denied",
    Fail,
    "credssp",
    "The server refused the user after NLA (Early User Authorization Result)",
    "With HYBRID_EX the server tells, right after CredSSP, whether the authenticated user may log on (MS-RDPBCGR 2.2.10.2). ACCESS_DENIED means the credentials were right but the user lacks the right to log on through Remote Desktop.",
    ["server.grant_rdp_logon_right"]
);
def!(
    LICENSING_ERROR,
    "licensing.error",
    Fail,
    "session",
    "The server's licensing answered with an error",
    "During the licensing phase the server sent a licensing error alert other than STATUS_VALID_CLIENT (MS-RDPELE 2.2.2.7.1): no license server, no RDS CALs, or a client license the server rejects.",
    ["server.rd_licensing", "client.clear_license_cache"]
);

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
pub(super) static DEFS: &[FindingDef] =
    &[SESSION_ERROR_INFO, NLA_EARLY_USER_AUTH_DENIED, LICENSING_ERROR, GATEWAY_TUNNEL_REFUSED];
