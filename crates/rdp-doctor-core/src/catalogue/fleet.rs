//! Findings of a fleet scan (`scan`) about the scan itself, and of a policy (`scan --policy`): a host that
//! does not meet the baseline, field by field (the ssh-audit model).

use super::def;
use crate::finding::{FindingDef, Severity};

def!(
    SCAN_HOST_DEADLINE,
    "scan.host_deadline",
    Warn,
    "scan",
    "The check did not finish within the host deadline",
    "A fleet scan gives every target a deadline for its whole check (--host-timeout) besides the deadline of each layer (--timeout), so a host that answers one byte a second, or a path that stalls every step, cannot hold a worker. This host hit it: nothing it showed is judged. A check of that host alone, with -v, shows which layer is slow.",
    ["client.check_host_alone", "network.vpn_quality"]
);

/// This file's definitions.
pub(super) static DEFS: &[FindingDef] = &[SCAN_HOST_DEADLINE];

def!(
    POLICY_PROTOCOL_NOT_ALLOWED,
    "policy.protocol_not_allowed",
    Warn,
    "policy",
    "The host accepts a security protocol the policy does not allow",
    "Each security protocol was offered alone on its own connection (the security-layer matrix); the host accepted one outside the policy's allowed_protocols. Clients can then connect with that weaker setting.",
    ["server.require_nla", "server.allow_tls_security_layer"]
);
def!(
    POLICY_NLA_NOT_REQUIRED,
    "policy.nla_not_required",
    Warn,
    "policy",
    "The policy requires NLA, the host does not",
    "The policy says nla_required = true: only CredSSP (HYBRID / HYBRID_EX) may be accepted. The host also accepts a connection without it (or does not offer it), so a session is created before the user is authenticated.",
    ["server.require_nla"]
);
def!(
    POLICY_RDP_SECURITY,
    "policy.rdp_security",
    Warn,
    "policy",
    "Standard RDP Security is not as the policy says",
    "The policy's rdp_security field says whether PROTOCOL_RDP (RC4, no server authentication) may be accepted; the host does otherwise.",
    ["server.allow_tls_security_layer", "server.require_nla"]
);
def!(
    POLICY_TLS_VERSION,
    "policy.tls_version_too_low",
    Warn,
    "policy",
    "The host accepts a TLS version below the policy's minimum",
    "The policy's min_tls_version is higher than a version the host completed a handshake with. Old TLS versions have known weaknesses and are disabled by current clients and compliance baselines.",
    ["server.enable_tls12", "server.disable_weak_ciphers"]
);
def!(
    POLICY_CERT_UNTRUSTED,
    "policy.certificate_untrusted",
    Warn,
    "policy",
    "The policy requires a trusted certificate, the host's is not",
    "The policy says trusted_ca = true: the host's chain must be accepted by this machine's trust store (an enterprise or public CA). A self-signed or privately issued certificate teaches users to click through warnings.",
    ["server.bind_ca_rdp_certificate", "client.trust_server_certificate"]
);
def!(
    POLICY_CERT_EXPIRING,
    "policy.certificate_expiring",
    Warn,
    "policy",
    "The host's certificate has fewer days left than the policy's minimum",
    "The policy's min_days_left is the renewal margin: the host's certificate expires (or expired) sooner.",
    ["server.renew_rdp_certificate", "server.renew_xrdp_certificate"]
);
def!(
    POLICY_CERT_NAME,
    "policy.certificate_name_mismatch",
    Warn,
    "policy",
    "The policy requires the certificate to carry the host's name, it does not",
    "The policy says name_match = true: the certificate must be valid for the name the host is reached by (its SANs, or CN without SANs).",
    ["server.bind_ca_rdp_certificate", "client.use_certificate_name"]
);
def!(
    POLICY_KEY_SIZE,
    "policy.key_too_small",
    Warn,
    "policy",
    "The certificate's RSA key is smaller than the policy's minimum",
    "The policy's min_key_bits is larger than the host certificate's RSA key.",
    ["server.renew_rdp_certificate", "server.renew_xrdp_certificate"]
);
def!(
    POLICY_UNVERIFIED,
    "policy.unverified",
    Info,
    "policy",
    "Part of the policy could not be judged for this host",
    "A policy field needs evidence this check did not gather: the host was not reached, no certificate came back, or only the negotiated TLS version is known (older versions are tried with --deep). Such a field is neither passed nor failed.",
    ["client.scan_deeper", "client.check_host_alone"]
);

/// The policy findings.
pub(super) static POLICY_DEFS: &[FindingDef] = &[
    POLICY_PROTOCOL_NOT_ALLOWED,
    POLICY_NLA_NOT_REQUIRED,
    POLICY_RDP_SECURITY,
    POLICY_TLS_VERSION,
    POLICY_CERT_UNTRUSTED,
    POLICY_CERT_EXPIRING,
    POLICY_CERT_NAME,
    POLICY_KEY_SIZE,
    POLICY_UNVERIFIED,
];
