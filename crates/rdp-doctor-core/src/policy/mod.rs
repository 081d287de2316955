//! Policies (the ssh-audit model): a baseline in TOML that each host of a scan is judged against, field
//! by field. A mismatch names the field, what the policy expects and what the host does, and becomes a
//! `policy.*` finding with remedies; a field the evidence cannot decide (host not reached, TLS versions not
//! enumerated) is listed as unverified, never passed or failed on a guess.
//!
//! ```toml
//! name = "strict"
//! description = "…"
//! allowed_protocols = ["hybrid", "hybrid_ex"]   # rdp, ssl, hybrid, hybrid_ex, rdstls, rdsaad
//! nla_required = true
//! rdp_security = false                          # Standard RDP Security must be refused
//! min_tls_version = "1.2"                       # 1.0, 1.1, 1.2, 1.3
//! trusted_ca = true                             # the chain is trusted by this machine's store
//! min_days_left = 30
//! name_match = true
//! min_key_bits = 2048                           # RSA keys
//! ```
//! Every field is optional; an absent field is not judged.

use serde::{Deserialize, Serialize};

use crate::catalogue::fleet as cat;
use crate::facts::{HostFacts, Nla, tls_version_rank};
use crate::finding::{Finding, FindingDef};

mod builtin;
pub use builtin::{BUILTIN, builtin};

/// Protocol names of `allowed_protocols` and their RDP_NEG_REQ values (MS-RDPBCGR 2.2.1.1.1).
pub const PROTOCOL_NAMES: [(&str, u32); 6] =
    [("rdp", 0), ("ssl", 0x1), ("hybrid", 0x2), ("rdstls", 0x4), ("hybrid_ex", 0x8), ("rdsaad", 0x10)];

/// A baseline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_protocols: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nla_required: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rdp_security: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_tls_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_ca: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_days_left: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_match: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_key_bits: Option<usize>,
}

/// Why a policy file is unusable.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("invalid policy: {0}")]
    Toml(String),
    #[error("invalid policy: {0}")]
    Value(String),
}

/// How a host fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyStatus {
    /// Every field judged and met.
    Pass,
    /// At least one field not met.
    Fail,
    /// Nothing failed, but some field could not be judged.
    Unverified,
}

/// A field the host does not meet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mismatch {
    pub field: String,
    pub expected: String,
    pub actual: String,
}

/// A field the evidence cannot decide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unverified {
    pub field: String,
    pub expected: String,
    pub reason: String,
}

/// One host against one policy (the report's `policy` section).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyResult {
    pub policy: String,
    pub status: PolicyStatus,
    pub passed: bool,
    pub mismatches: Vec<Mismatch>,
    pub unverified: Vec<Unverified>,
}

impl Policy {
    /// Parses and checks a policy file's text.
    pub fn from_toml(text: &str) -> Result<Self, PolicyError> {
        let p: Self = toml::from_str(text).map_err(|e| PolicyError::Toml(e.to_string()))?;
        p.validate()?;
        Ok(p)
    }

    /// The policy as TOML (what `--make-policy` writes).
    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).unwrap_or_default();
        format!(
            "# rdp-doctor policy (scan --policy FILE). Every field is optional; see README.md \"Policies\".\n{body}"
        )
    }

    fn validate(&self) -> Result<(), PolicyError> {
        if self.name.trim().is_empty() {
            return Err(PolicyError::Value("name is empty".to_owned()));
        }
        for p in self.allowed_protocols.iter().flatten() {
            if protocol_value(p).is_none() {
                return Err(PolicyError::Value(format!(
                    "unknown protocol {p:?} in allowed_protocols (use rdp, ssl, hybrid, hybrid_ex, rdstls, rdsaad)"
                )));
            }
        }
        if let Some(v) = &self.min_tls_version
            && tls_version_rank(v).is_none()
        {
            return Err(PolicyError::Value(format!("unknown min_tls_version {v:?} (use 1.0, 1.1, 1.2 or 1.3)")));
        }
        Ok(())
    }

    /// A policy that the host these facts describe meets exactly (`--make-policy FILE HOST`): its accepted
    /// protocols, its NLA and Standard RDP Security settings, its lowest TLS version (when every version was
    /// tried, `--deep`), and its certificate's
    /// trust, name match and key size (a minimum of 30 days left when it has that many).
    pub fn from_facts(name: &str, host: &str, f: &HostFacts) -> Self {
        Self {
            name: name.to_owned(),
            description: Some(format!("Made by rdp-doctor from {host}, a known-good server.")),
            allowed_protocols: f.accepted_protocols.as_ref().map(|acc| {
                PROTOCOL_NAMES.iter().filter(|(_, v)| acc.contains(v)).map(|(n, _)| (*n).to_owned()).collect()
            }),
            nla_required: f.nla.map(|n| n == Nla::Required).filter(|r| *r),
            rdp_security: f.rdp_security.filter(|r| !r),
            // Only a full enumeration (--deep) knows the lowest version; the negotiated one is the highest.
            min_tls_version: f
                .tls_versions
                .first()
                .filter(|_| f.tls_versions_enumerated)
                .map(|v| v.trim_start_matches("TLS ").to_owned()),
            trusted_ca: f.cert.as_ref().and_then(|c| c.trusted).filter(|t| *t),
            min_days_left: f.cert.as_ref().map(|c| c.days_left.clamp(0, 30)).filter(|d| *d > 0),
            name_match: f.cert.as_ref().map(|c| c.name_matches).filter(|m| *m),
            min_key_bits: f.cert.as_ref().filter(|c| c.key_type == "RSA").map(|c| c.key_bits),
        }
    }

    /// Judges one host.
    pub fn evaluate(&self, f: &HostFacts) -> PolicyResult {
        let mut j = Judge { mismatches: Vec::new(), unverified: Vec::new() };
        let not_reached = || if f.reached { None } else { Some("the host was not reached".to_owned()) };
        if let Some(allowed) = &self.allowed_protocols {
            let expected = format!("only {}", allowed.join(", "));
            match &f.accepted_protocols {
                Some(acc) => {
                    let extra: Vec<&str> = acc
                        .iter()
                        .filter(|v| !allowed.iter().any(|a| protocol_value(a) == Some(**v)))
                        .map(|v| protocol_name(*v))
                        .collect();
                    if !extra.is_empty() {
                        j.mismatch("allowed_protocols", expected, format!("also accepts {}", extra.join(", ")));
                    }
                }
                None => j.unverified(
                    "allowed_protocols",
                    expected,
                    not_reached().unwrap_or_else(|| "the security-layer matrix did not run or got no answer".into()),
                ),
            }
        }
        if let Some(true) = self.nla_required {
            match f.nla {
                Some(Nla::Required) => {}
                Some(other) => j.mismatch("nla_required", "true".into(), format!("NLA {}", other.as_str())),
                None => j.unverified("nla_required", "true".into(), not_reached().unwrap_or_else(matrix_unknown)),
            }
        }
        if let Some(want) = self.rdp_security {
            match f.rdp_security {
                Some(has) if has == want => {}
                Some(has) => j.mismatch(
                    "rdp_security",
                    if want { "accepted" } else { "refused" }.into(),
                    if has { "accepted" } else { "refused" }.into(),
                ),
                None => j.unverified("rdp_security", want.to_string(), not_reached().unwrap_or_else(matrix_unknown)),
            }
        }
        if let Some(min) = &self.min_tls_version {
            let min_rank = tls_version_rank(min).unwrap_or(0);
            let expected = format!("TLS {} or later only", min.trim_start_matches("TLS "));
            let low: Vec<&String> =
                f.tls_versions.iter().filter(|v| tls_version_rank(v).is_some_and(|r| r < min_rank)).collect();
            if !low.is_empty() {
                let low: Vec<&str> = low.iter().map(|s| s.as_str()).collect();
                j.mismatch("min_tls_version", expected, format!("accepts {}", low.join(", ")));
            } else if f.tls_versions.is_empty() {
                if f.selected_protocol == Some(0) {
                    // Standard RDP Security only: no TLS at all; rdp_security judges that.
                } else {
                    j.unverified(
                        "min_tls_version",
                        expected,
                        not_reached().unwrap_or_else(|| "no TLS handshake completed".into()),
                    );
                }
            } else if !f.tls_versions_enumerated {
                j.unverified(
                    "min_tls_version",
                    expected,
                    format!(
                        "only the negotiated {} was seen; older versions were not tried (scan with --deep)",
                        f.tls_versions.join(", ")
                    ),
                );
            }
        }
        let cert = f.cert.as_ref();
        let no_cert = || not_reached().unwrap_or_else(|| "no certificate was received".to_owned());
        if let Some(true) = self.trusted_ca {
            match cert.map(|c| c.trusted) {
                Some(Some(true)) => {}
                Some(Some(false)) => j.mismatch(
                    "trusted_ca",
                    "a chain this machine trusts".into(),
                    if cert.is_some_and(|c| c.self_signed) { "self-signed" } else { "not trusted" }.into(),
                ),
                Some(None) => j.unverified("trusted_ca", "true".into(), "the trust store was not asked".into()),
                None => j.unverified("trusted_ca", "true".into(), no_cert()),
            }
        }
        if let Some(min) = self.min_days_left {
            match cert {
                Some(c) if c.days_left >= min => {}
                Some(c) => j.mismatch(
                    "min_days_left",
                    format!("at least {min} days"),
                    format!("{} days (notAfter {})", c.days_left, c.not_after),
                ),
                None => j.unverified("min_days_left", format!("at least {min} days"), no_cert()),
            }
        }
        if let Some(true) = self.name_match {
            match cert {
                Some(c) if c.name_matches => {}
                Some(c) => j.mismatch("name_match", format!("valid for {}", c.name), "not valid for it".into()),
                None => j.unverified("name_match", "true".into(), no_cert()),
            }
        }
        if let Some(min) = self.min_key_bits {
            match cert {
                Some(c) if c.key_type != "RSA" || c.key_bits >= min => {}
                Some(c) => j.mismatch(
                    "min_key_bits",
                    format!("RSA keys of at least {min} bits"),
                    format!("RSA {}", c.key_bits),
                ),
                None => j.unverified("min_key_bits", format!("at least {min}"), no_cert()),
            }
        }
        let status = if !j.mismatches.is_empty() {
            PolicyStatus::Fail
        } else if !j.unverified.is_empty() {
            PolicyStatus::Unverified
        } else {
            PolicyStatus::Pass
        };
        PolicyResult {
            policy: self.name.clone(),
            status,
            passed: status == PolicyStatus::Pass,
            mismatches: j.mismatches,
            unverified: j.unverified,
        }
    }
}

fn matrix_unknown() -> String {
    "the security-layer matrix did not run or got no answer".to_owned()
}

struct Judge {
    mismatches: Vec<Mismatch>,
    unverified: Vec<Unverified>,
}

impl Judge {
    fn mismatch(&mut self, field: &str, expected: String, actual: String) {
        self.mismatches.push(Mismatch { field: field.to_owned(), expected, actual });
    }
    fn unverified(&mut self, field: &str, expected: String, reason: String) {
        self.unverified.push(Unverified { field: field.to_owned(), expected, reason });
    }
}

fn protocol_value(name: &str) -> Option<u32> {
    let n = name.trim().to_ascii_lowercase().replace('-', "_");
    PROTOCOL_NAMES.iter().find(|(k, _)| *k == n).map(|(_, v)| *v)
}

fn protocol_name(v: u32) -> &'static str {
    PROTOCOL_NAMES.iter().find(|(_, x)| *x == v).map_or("an unknown protocol", |(n, _)| n)
}

/// The finding for a mismatched field.
fn def_for(field: &str) -> &'static FindingDef {
    match field {
        "allowed_protocols" => &cat::POLICY_PROTOCOL_NOT_ALLOWED,
        "nla_required" => &cat::POLICY_NLA_NOT_REQUIRED,
        "rdp_security" => &cat::POLICY_RDP_SECURITY,
        "min_tls_version" => &cat::POLICY_TLS_VERSION,
        "trusted_ca" => &cat::POLICY_CERT_UNTRUSTED,
        "min_days_left" => &cat::POLICY_CERT_EXPIRING,
        "name_match" => &cat::POLICY_CERT_NAME,
        _ => &cat::POLICY_KEY_SIZE,
    }
}

/// The findings of a result: one per mismatch, and one (info) listing what could not be judged.
pub fn findings(r: &PolicyResult) -> Vec<Finding> {
    let mut out: Vec<Finding> = r
        .mismatches
        .iter()
        .map(|m| {
            Finding::new(
                def_for(&m.field),
                format!("Policy {}: {} should be {}, but the host {}.", r.policy, m.field, m.expected, m.actual),
                vec![format!("{}: expected {}; actual {}", m.field, m.expected, m.actual)],
            )
        })
        .collect();
    if !r.unverified.is_empty() {
        let fields: Vec<&str> = r.unverified.iter().map(|u| u.field.as_str()).collect();
        out.push(Finding::new(
            &cat::POLICY_UNVERIFIED,
            format!("Policy {}: {} could not be judged.", r.policy, fields.join(", ")),
            r.unverified.iter().map(|u| format!("{}: expected {}; {}", u.field, u.expected, u.reason)).collect(),
        ));
    }
    out
}

/// Judges a report's host (from its scan facts) and adds the result and its findings to the report.
pub fn apply(policy: &Policy, report: &mut crate::Report) {
    let facts = match &report.scan {
        Some(s) => s.facts.clone(),
        None => HostFacts::from_evidence(&report.evidence),
    };
    let result = policy.evaluate(&facts);
    report.add_findings(findings(&result));
    report.policy = Some(result);
}

#[cfg(test)]
mod tests;
