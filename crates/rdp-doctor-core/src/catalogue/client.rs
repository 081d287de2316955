//! Client findings (`rdp-doctor last`): the attempt the user just had, read from the PC's own Remote
//! Desktop client log, and the client's settings that change the outcome. Each names the record or
//! registry value it rests on and where it came from.

use super::def;
use crate::finding::{FindingDef, Severity};

def!(
    CLIENT_ATTEMPT_FAILED,
    "client.attempt_failed",
    Fail,
    "client",
    "The client's own log shows the connection attempt failed",
    "The Remote Desktop client writes every attempt to Microsoft-Windows-TerminalServices-RDPClient/Operational: the server it tried, how far it got, the disconnect reason (the dialog's \"Error code\") and the errors of its state machines. The codes are decoded with the same tables as `rdp-doctor explain`; the check of the same server now (unless --no-check) tells whether the cause is still there and which layer it is in.",
    ["client.rerun_with_user", "client.clear_client_cache", "client.clean_rdp_file"]
);
def!(
    CLIENT_ATTEMPT_LOGGED_ON,
    "client.attempt_logged_on",
    Info,
    "client",
    "The attempt logged on",
    "The client's log shows the user logged on (event 1027: connected to domain with a session): this attempt did not fail, whatever ended its session later.",
    ["client.rerun_with_user"]
);
def!(
    CLIENT_ATTEMPT_UNFINISHED,
    "client.attempt_unfinished",
    Info,
    "client",
    "The attempt has no end in the log",
    "No disconnect record (1026) belongs to this attempt: the session may still be open, the client may have been killed, or the export was cut before it ended.",
    ["client.rerun_with_user"]
);
def!(
    CLIENT_UDP_DISABLED_BY_POLICY,
    "client.udp_disabled_by_policy",
    Info,
    "client",
    "Group Policy turns UDP off on this client",
    "\"Turn Off UDP On Client\" (fClientDisableUDP = 1) makes the client use TCP only: connections work, but without the UDP transport (slower on lossy or high-latency links). Not a cause of a failure.",
    ["client.reenable_udp"]
);
def!(
    CLIENT_TLS12_DISABLED,
    "client.tls12_disabled",
    Warn,
    "client",
    "TLS 1.2 is turned off for clients on this PC",
    "Schannel's Protocols\\TLS 1.2\\Client has Enabled = 0 (or DisabledByDefault = 1): the Remote Desktop client cannot use TLS 1.2, which nearly every server requires. Against a server without TLS 1.3 the TLS handshake fails and the dialog shows a security-layer error.",
    ["client.enable_tls12"]
);
def!(
    CLIENT_ENCRYPTION_ORACLE_FORCE,
    "client.encryption_oracle_force",
    Info,
    "client",
    "This client refuses servers without the 2018 CredSSP update",
    "AllowEncryptionOracle = 0 (Force Updated Clients) on the client: CredSSP with a server that lacks the CVE-2018-0886 update fails with \"CredSSP encryption oracle remediation\". The secure setting; the fix for such a failure is updating the server.",
    ["server.install_credssp_update"]
);
def!(
    CLIENT_ENCRYPTION_ORACLE_VULNERABLE,
    "client.encryption_oracle_vulnerable",
    Warn,
    "client",
    "This client still talks CredSSP to unpatched servers",
    "AllowEncryptionOracle = 2 (Vulnerable) on the client: it connects to servers without the CVE-2018-0886 update, which lets an attacker in the path relay the user's credentials. Usually left behind from a temporary workaround.",
    ["client.restore_encryption_oracle"]
);
def!(
    CLIENT_CERT_HASH_CHANGED,
    "client.cert_hash_changed",
    Warn,
    "client",
    "The certificate the server presents now is not the one this client accepted",
    "The client stores the SHA-1 thumbprint of the certificate the user accepted for a server (HKCU\\Software\\Microsoft\\Terminal Server Client\\Servers\\<host>\\CertHash). When the server presents another one (after a renewal, a new self-signed certificate, a load balancer, or an interceptor), the identity warning appears again. Verify the new thumbprint with the server admin before accepting it.",
    ["client.trust_server_certificate", "client.forget_server_certificate"]
);
def!(
    CLIENT_FIREWALL_BLOCKS_MSTSC,
    "client.firewall_blocks_mstsc",
    Fail,
    "client",
    "An outbound firewall rule blocks the Remote Desktop client",
    "An enabled Windows Firewall rule with Action=Block, Dir=Out names mstsc.exe: the client cannot open its connection (the dialog shows 0x204, the remote computer cannot be found or reached), whatever the server does.",
    ["client.remove_outbound_block", "client.firewall_outbound"]
);
def!(
    CLIENT_WINHTTP_PROXY,
    "client.winhttp_proxy",
    Info,
    "client",
    "A WinHTTP proxy is set on this PC",
    "The Remote Desktop client reaches an RD Gateway over HTTPS through the WinHTTP proxy (netsh winhttp show proxy). A proxy that does not pass RD Gateway traffic (its long-lived RDG_OUT_DATA/RDG_IN_DATA requests, WebSocket upgrades) breaks gateway connections; direct connections to 3389 do not use it.",
    ["client.proxy_bypass"]
);
def!(
    CLIENT_VPN_LOW_MTU,
    "client.vpn_low_mtu",
    Warn,
    "client",
    "A VPN adapter has a small MTU",
    "A VPN or tunnel adapter on this PC is set to an MTU below 1400 bytes. When path MTU discovery is blocked along the way, full-size TLS records (the server's certificate) are lost: the connection hangs during the TLS handshake or right after logon.",
    ["client.vpn_mtu"]
);
def!(
    CLIENT_USERNAME_HINT,
    "client.username_hint",
    Info,
    "client",
    "The client fills in a remembered user name for this server",
    "The client keeps the user name last used for a server (HKCU\\Software\\Microsoft\\Terminal Server Client\\Servers\\<host>\\UsernameHint) and offers it in the credential prompt. After a password change, an account rename or a move to another domain, the remembered name (or the saved credential that goes with it) is a common reason for a logon that fails while another PC succeeds.",
    ["client.forget_username_hint"]
);

/// Every client finding, in report order.
pub static DEFS: &[FindingDef] = &[
    CLIENT_ATTEMPT_FAILED,
    CLIENT_FIREWALL_BLOCKS_MSTSC,
    CLIENT_TLS12_DISABLED,
    CLIENT_CERT_HASH_CHANGED,
    CLIENT_ENCRYPTION_ORACLE_VULNERABLE,
    CLIENT_VPN_LOW_MTU,
    CLIENT_ENCRYPTION_ORACLE_FORCE,
    CLIENT_WINHTTP_PROXY,
    CLIENT_UDP_DISABLED_BY_POLICY,
    CLIENT_USERNAME_HINT,
    CLIENT_ATTEMPT_UNFINISHED,
    CLIENT_ATTEMPT_LOGGED_ON,
];
