//! `check HOST --host SNAPSHOT|DIR`: the client's findings and the host's, joined. A client failure whose
//! cause the host shows links to that host finding (`see_also`), each quotes the other side in its
//! evidence, and the host finding takes the client failure's rank, so the verdict names the root cause seen
//! from both sides (the client saw a reset right after its ClientHello; the host shows the listener's key
//! file missing from MachineKeys).

use crate::finding::{Finding, Severity};

/// Which host findings explain which client findings. One table, read both ways.
pub const LINKS: &[(&str, &[&str])] = &[
    (
        "tcp.refused",
        &[
            "host.remote_connections_disabled",
            "host.listener_disabled",
            "host.termservice_disabled",
            "host.termservice_not_running",
            "host.port_not_listening",
        ],
    ),
    (
        "tcp.filtered",
        &[
            "host.firewall_block_rule",
            "host.firewall_no_allow_rule",
            "host.firewall_profile_gap",
            "host.remote_connections_disabled",
        ],
    ),
    (
        "x224.no_response",
        &[
            "host.firewall_block_rule",
            "host.firewall_no_allow_rule",
            "host.outstanding_connections",
            "host.termservice_not_running",
        ],
    ),
    (
        "x224.closed",
        &[
            "host.remote_connections_disabled",
            "host.listener_disabled",
            "host.outstanding_connections",
            "host.max_instances_reached",
            "host.drain_mode",
        ],
    ),
    ("x224.not_rdp", &["host.port_other_process"]),
    (
        "tls.handshake_failed",
        &[
            "host.certificate_key_file_missing",
            "host.certificate_key_unusable",
            "host.certificate_no_private_key",
            "host.certificate_missing",
            "host.certificate_creation_failed",
            "host.tls12_disabled",
            "host.tls_no_common_suite",
        ],
    ),
    (
        "tls.server_key_unusable",
        &[
            "host.certificate_key_file_missing",
            "host.certificate_key_unusable",
            "host.certificate_no_private_key",
            "host.certificate_missing",
        ],
    ),
    ("tls.alert", &["host.tls12_disabled", "host.tls_no_common_suite", "host.certificate_key_unusable"]),
    ("tls.legacy_only", &["host.tls12_disabled"]),
    (
        "nego.ssl_cert_not_on_server",
        &[
            "host.certificate_missing",
            "host.certificate_key_file_missing",
            "host.certificate_key_unusable",
            "host.certificate_creation_failed",
        ],
    ),
    ("nego.ssl_not_allowed_by_server", &["host.security_layer_rdp"]),
    ("sec.rdp_security_allowed", &["host.security_layer_rdp"]),
    ("cert.expired", &["host.certificate_expired", "host.certificate_creation_failed"]),
    ("nla.required", &["host.nla_required"]),
    ("nego.hybrid_required_by_server", &["host.nla_required"]),
    (
        "server.denied_connection",
        &[
            "host.account_logon_denied",
            "host.account_lacks_logon_right",
            "host.logon_right_denied_broadly",
            "host.logon_right_not_granted",
            "host.logon_right_missing",
            "host.drain_mode",
            "host.max_instances_reached",
        ],
    ),
    (
        "credssp.logon_type_not_granted",
        &[
            "host.account_logon_denied",
            "host.account_lacks_logon_right",
            "host.logon_right_denied_broadly",
            "host.logon_right_not_granted",
            "host.logon_right_missing",
        ],
    ),
    (
        "authz.access_denied",
        &[
            "host.account_logon_denied",
            "host.account_lacks_logon_right",
            "host.logon_right_denied_broadly",
            "host.logon_right_not_granted",
            "host.logon_right_missing",
        ],
    ),
    ("credssp.failed", &["host.encryption_oracle_force", "host.fips_enabled"]),
];

/// Links client findings to the host findings that explain them. Does nothing without both sides.
pub fn link(findings: &mut [Finding]) {
    let host: Vec<(usize, &'static str, String)> = findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.layer == "host" && f.severity >= Severity::Info)
        .map(|(i, f)| (i, f.id, f.summary.clone()))
        .collect();
    if host.is_empty() {
        return;
    }
    let mut back: Vec<(usize, String)> = Vec::new();
    for f in findings.iter_mut().filter(|f| f.layer != "host" && f.severity >= Severity::Warn) {
        let Some((_, causes)) = LINKS.iter().find(|(id, _)| *id == f.id) else { continue };
        for (i, hid, summary) in host.iter().filter(|(_, hid, _)| causes.contains(hid)) {
            if !f.see_also.contains(hid) {
                f.see_also.push(hid);
                f.evidence.push(format!("seen on the host: {hid} — {summary}"));
            }
            back.push((*i, format!("seen from the client: {} — {}", f.id, f.summary)));
        }
    }
    for (i, line) in back {
        if let Some(h) = findings.get_mut(i)
            && !h.evidence.contains(&line)
        {
            h.evidence.push(line);
        }
    }
}

/// The rank a finding sorts by: its own severity, or that of the client failure it explains.
pub fn effective_severity(f: &Finding, all: &[Finding]) -> Severity {
    all.iter().filter(|c| c.see_also.contains(&f.id)).map(|c| c.severity).fold(f.severity, Severity::max)
}

/// Whether the finding explains another (a root cause seen from both sides).
pub fn is_cause(f: &Finding, all: &[Finding]) -> bool {
    all.iter().any(|c| c.see_also.contains(&f.id))
}
