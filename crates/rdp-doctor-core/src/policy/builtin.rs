//! The built-in policies (`scan --list-policies`): a strict baseline for hardened fleets and a compatible
//! one for fleets that must still serve older clients. Written in the same TOML a user's policy file uses.

use super::Policy;

/// Name, TOML text.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "strict",
        r#"name = "strict"
description = "Hardened: NLA only (CredSSP), no Standard RDP Security, TLS 1.2 or later, a certificate from a CA this machine trusts, valid for the name, 30 days left, RSA keys of 2048 bits or more."
allowed_protocols = ["hybrid", "hybrid_ex"]
nla_required = true
rdp_security = false
min_tls_version = "1.2"
trusted_ca = true
min_days_left = 30
name_match = true
min_key_bits = 2048
"#,
    ),
    (
        "compatible",
        r#"name = "compatible"
description = "Works with every current client and most older ones: TLS or NLA (no Standard RDP Security), TLS 1.0 or later, a certificate that has not expired (self-signed allowed), RSA keys of 2048 bits or more."
allowed_protocols = ["ssl", "hybrid", "hybrid_ex"]
rdp_security = false
min_tls_version = "1.0"
min_days_left = 1
min_key_bits = 2048
"#,
    ),
];

/// The built-in policy called `name`.
pub fn builtin(name: &str) -> Option<Policy> {
    BUILTIN.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).and_then(|(_, text)| Policy::from_toml(text).ok())
}
