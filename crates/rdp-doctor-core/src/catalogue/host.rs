//! Host findings: what the RDP server's own configuration and logs say (`rdp-doctor host`, and joined with
//! a client check by `check --host`). Each names the value or record it rests on and where it came from.

use super::def;
use crate::finding::{FindingDef, Severity};

def!(
    HOST_REMOTE_CONNECTIONS_DISABLED,
    "host.remote_connections_disabled",
    Fail,
    "host",
    "Remote connections to this computer are turned off",
    "fDenyTSConnections = 1 (System Properties > Remote > \"Don't allow remote connections\", or the policy \"Allow users to connect remotely by using Remote Desktop Services\" set to Disabled). Remote Desktop Services does not accept connections: clients see the port closed or the connection reset.",
    ["host.allow_remote_connections", "host.offline_registry_edit"]
);
def!(
    HOST_LISTENER_DISABLED,
    "host.listener_disabled",
    Fail,
    "host",
    "The RDP-Tcp listener is disabled",
    "fEnableWinStation = 0 on WinStations\\RDP-Tcp: the listener does not accept connections although remote connections are allowed.",
    ["host.allow_remote_connections", "host.offline_registry_edit"]
);
def!(
    HOST_FIREWALL_NO_ALLOW_RULE,
    "host.firewall_no_allow_rule",
    Fail,
    "host",
    "No enabled inbound firewall rule allows TCP PortNumber in a profile where the firewall is on",
    "Windows Firewall blocks inbound connections unless a rule allows them. The Remote Desktop rules (RemoteDesktop-UserMode-In-TCP, and on older releases RemoteDesktop-In-TCP) are what \"Allow remote connections\" enables; they must be enabled for the profile of the network the clients come from (Domain, Private or Public) and cover the port the listener uses. A changed PortNumber needs its own rule: the built-in rules name 3389.",
    ["server.firewall_rdp_rules", "host.offline_registry_edit"]
);
def!(
    HOST_FIREWALL_PROFILE_GAP,
    "host.firewall_profile_gap",
    Warn,
    "host",
    "The RDP port is allowed in some firewall profiles only",
    "An enabled inbound rule allows TCP PortNumber for some profiles (for example Domain and Private) but the firewall is also on for others (Public) without one. Connections work only while the server's network is of an allowed category; a network that Windows classifies as Public (a new NIC, a lost domain connection, many cloud networks) blocks RDP.",
    ["server.firewall_rdp_rules"]
);
def!(
    HOST_FIREWALL_BLOCK_RULE,
    "host.firewall_block_rule",
    Fail,
    "host",
    "An enabled inbound block rule covers the RDP port",
    "Windows Firewall applies block rules before allow rules: an enabled inbound block rule for TCP PortNumber (or for every port) drops RDP whatever the allow rules say, in the profiles it names.",
    ["server.firewall_rdp_rules"]
);
def!(
    HOST_FIREWALL_WEBSOCKET_RULES,
    "host.firewall_websocket_rules",
    Info,
    "host",
    "The Remote Desktop (WebSocket) rules",
    "The \"Remote Desktop - (TCP-WS-In)\" and \"(TCP-WSS-In)\" rules open TCP 3387 and 3392 for the RDP-over-WebSocket listeners used by web clients and some brokers. They play no part in a classic mstsc or FreeRDP connection to PortNumber; they matter only when a web client connects to those ports.",
    ["server.firewall_rdp_rules"]
);
def!(
    HOST_NLA_REQUIRED,
    "host.nla_required",
    Info,
    "host",
    "Network Level Authentication is required",
    "UserAuthentication = 1: every client must authenticate with CredSSP before a session is made. Clients without CredSSP (old RDP clients, some thin clients, FreeRDP with /sec:tls) are refused; users whose password must change, or who may not log on remotely, are refused before they see the logon screen.",
    ["server.require_nla"]
);
def!(
    HOST_SECURITY_LAYER_RDP,
    "host.security_layer_rdp",
    Warn,
    "host",
    "The listener accepts only Standard RDP Security (SecurityLayer 0)",
    "SecurityLayer = 0: no TLS and no NLA. Clients that require server authentication or NLA (current mstsc with default settings, the Windows App, FreeRDP with /sec:nla) cannot connect, and the server's identity is not proven to anyone.",
    ["server.allow_tls_security_layer"]
);
def!(
    HOST_CERTIFICATE_EXPIRED,
    "host.certificate_expired",
    Fail,
    "host",
    "The listener's certificate has expired",
    "The certificate the listener presents is past its notAfter date. A bound CA certificate is not replaced automatically; an expired self-signed one is normally replaced by Remote Desktop Services at start (events 1056, or 1058 when that fails).",
    ["server.renew_rdp_certificate", "server.bind_ca_rdp_certificate"]
);
def!(
    HOST_CERTIFICATE_MISSING,
    "host.certificate_missing",
    Fail,
    "host",
    "The certificate the listener is bound to is not in the machine store",
    "SSLCertificateSHA1Hash names a thumbprint that is in neither LocalMachine\\My nor LocalMachine\\Remote Desktop, or there is no self-signed certificate: Remote Desktop Services has no credential for TLS, and clients see the connection reset right after their ClientHello.",
    ["host.rebind_certificate", "server.renew_rdp_certificate"]
);
def!(
    HOST_CERTIFICATE_NO_PRIVATE_KEY,
    "host.certificate_no_private_key",
    Fail,
    "host",
    "The listener's certificate has no private key",
    "The store holds the certificate without a reference to its private key (no key provider property): it was imported without the key, or the key was removed. TLS cannot use it.",
    ["host.rebind_certificate", "server.renew_rdp_certificate"]
);
def!(
    HOST_CERTIFICATE_KEY_FILE_MISSING,
    "host.certificate_key_file_missing",
    Fail,
    "host",
    "The private key file of the listener's certificate is missing from MachineKeys",
    "The certificate names its key container, but the file that holds that container (its name follows from the container name and MachineGuid) is not in ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys (or Crypto\\Keys for CNG keys). Typical after MachineKeys was cleaned, restored from another machine, or renamed as some guides advise. Schannel then logs 36870 and clients see a reset after the ClientHello.",
    ["host.restore_key_file", "host.machinekeys_permissions", "server.renew_rdp_certificate"]
);
def!(
    HOST_CERTIFICATE_KEY_UNUSABLE,
    "host.certificate_key_unusable",
    Fail,
    "host",
    "The listener's private key cannot be used by Remote Desktop Services",
    "Schannel reported that it could not access or use the TLS server credential's private key (events 36870/36871), or the key file's permissions do not let the service's account (NETWORK SERVICE) read it. Usually the MachineKeys permissions were changed (the documented ones are needed), or the key file is damaged.",
    ["host.machinekeys_permissions", "server.renew_rdp_certificate", "host.restore_key_file"]
);
def!(
    HOST_CERTIFICATE_CREATION_FAILED,
    "host.certificate_creation_failed",
    Fail,
    "host",
    "Remote Desktop Services could not create its self-signed certificate",
    "Events 1057/1058 (RemoteConnectionManager): the service failed to create, or to replace the expired, self-signed certificate. The error code in the record says why; 0x8009000F (object already exists), 0x80090016 (keyset does not exist) and access denied point at MachineKeys' contents or permissions.",
    ["host.machinekeys_permissions", "server.renew_rdp_certificate"]
);
def!(
    HOST_TERMSERVICE_DISABLED,
    "host.termservice_disabled",
    Fail,
    "host",
    "Remote Desktop Services (TermService) is disabled",
    "TermService's start type is Disabled (Start = 4): nothing listens for RDP.",
    ["host.enable_termservice", "host.offline_registry_edit"]
);
def!(
    HOST_TERMSERVICE_NOT_RUNNING,
    "host.termservice_not_running",
    Fail,
    "host",
    "Remote Desktop Services (TermService) is not running or keeps failing",
    "The service is stopped, or the Service Control Manager logged it failing or terminating (7000/7023/7031). Nothing listens for RDP while it is down.",
    ["host.enable_termservice", "server.restart_termservice"]
);
def!(
    HOST_PORT_NOT_LISTENING,
    "host.port_not_listening",
    Fail,
    "host",
    "Nothing listens on the RDP port",
    "No process listens on TCP PortNumber: the service is down, the listener is disabled, or bound to another adapter (LanAdapter).",
    ["host.enable_termservice", "server.enable_rdp_listener"]
);
def!(
    HOST_PORT_OTHER_PROCESS,
    "host.port_other_process",
    Fail,
    "host",
    "Another program listens on the RDP port",
    "The process that owns TCP PortNumber is not Remote Desktop Services (svchost hosting TermService): clients reach that program instead.",
    ["server.find_port_owner"]
);
def!(
    HOST_OUTSTANDING_CONNECTIONS,
    "host.outstanding_connections",
    Warn,
    "host",
    "The listener hit MaxOutstandingConnections (too many unfinished connections)",
    "Event 1006: more connections than MaxOutstandingConnections had not finished logging on, so the listener refused new ones for a while. Usually a scan or brute-force attempt from the Internet; sometimes a broken load balancer health check.",
    ["server.check_rdp_service_health", "network.allow_rdp_port"]
);
def!(
    HOST_MAX_INSTANCES_REACHED,
    "host.max_instances_reached",
    Fail,
    "host",
    "Every session the listener allows is in use (MaxInstanceCount)",
    "The number of sessions equals MaxInstanceCount (the \"Limit number of connections\" policy): new connections are refused until a session ends. Without the RDS role, Windows Server allows two administrative sessions whatever the setting.",
    ["server.connection_limits", "server.reset_sessions"]
);
def!(
    HOST_MAX_INSTANCES_LOW,
    "host.max_instances_low",
    Info,
    "host",
    "The listener allows only a few sessions (MaxInstanceCount)",
    "MaxInstanceCount is set to a small number: when that many sessions are open, new connections are refused (the client shows that the connection limit was reached).",
    ["server.connection_limits"]
);
def!(
    HOST_TLS12_DISABLED,
    "host.tls12_disabled",
    Fail,
    "host",
    "TLS 1.2 is disabled for the server role (Schannel)",
    "Schannel's Protocols\\TLS 1.2\\Server\\Enabled = 0 (or DisabledByDefault = 1): the listener cannot use TLS 1.2. Current clients that refuse TLS 1.0/1.1 fail at the TLS handshake; with every TLS version off, only Standard RDP Security remains.",
    ["server.enable_tls12", "host.offline_registry_edit"]
);
def!(
    HOST_FIPS_ENABLED,
    "host.fips_enabled",
    Warn,
    "host",
    "FIPS mode is on (System cryptography: use FIPS compliant algorithms)",
    "With FIPS mode on, Standard RDP Security requires FIPS encryption (MinEncryptionLevel 4) and TLS is limited to FIPS-approved suites. Clients that offer only RC4-based RDP Security, and some non-Windows clients, are refused.",
    ["host.fips_clients"]
);
def!(
    HOST_ENCRYPTION_ORACLE_FORCE,
    "host.encryption_oracle_force",
    Info,
    "host",
    "CredSSP: the server refuses clients without the 2018 CredSSP update",
    "AllowEncryptionOracle = 0 (Force Updated Clients): clients that lack the CVE-2018-0886 update get \"An authentication error has occurred… CredSSP encryption oracle remediation\". Updated clients connect normally.",
    ["server.install_credssp_update", "host.encryption_oracle_align"]
);
def!(
    HOST_ENCRYPTION_ORACLE_VULNERABLE,
    "host.encryption_oracle_vulnerable",
    Warn,
    "host",
    "CredSSP: the server accepts clients vulnerable to CVE-2018-0886",
    "AllowEncryptionOracle = 2 (Vulnerable): set as a stop-gap to let unpatched clients in. It exposes those clients' sessions to the CredSSP remote code execution; once every client is updated, set it back to 1 or 0.",
    ["host.encryption_oracle_align", "server.install_credssp_update"]
);
def!(
    HOST_LOGON_RIGHT_MISSING,
    "host.logon_right_missing",
    Fail,
    "host",
    "Accounts were refused: not allowed to log on through Remote Desktop (the 0x7 case)",
    "Security event 4625 with status 0xC000015B (the user has not been granted the requested logon type), or the local policy shows the Remote Desktop Users group empty or the deny right assigned: the account is not in Remote Desktop Users / Administrators, lacks \"Allow log on through Remote Desktop Services\" (SeRemoteInteractiveLogonRight), or holds \"Deny log on through Remote Desktop Services\". mstsc shows 0x904 with extended code 0x7, or \"the connection was denied because the user account is not authorized for remote login\".",
    ["server.grant_rdp_logon_right"]
);
def!(
    HOST_LOGON_RIGHT_DENIED_BROADLY,
    "host.logon_right_denied_broadly",
    Fail,
    "host",
    "\"Deny log on through Remote Desktop Services\" names a group every remote user is in",
    "SeDenyRemoteInteractiveLogonRight is assigned to Everyone, Authenticated Users, Users, Remote Desktop Users, Administrators, INTERACTIVE, REMOTE INTERACTIVE LOGON or Domain Users. A deny right wins over every allow right, so every (or every such) account is refused after authenticating: mstsc shows 0x904 / extended 0x7 and Security logs 4625 with 0xC000015B. Often a Group Policy setting that stayed in the local policy database after the GPO was removed (a \"tattoo\").",
    ["host.restore_rdp_logon_rights", "server.grant_rdp_logon_right"]
);
def!(
    HOST_LOGON_RIGHT_NOT_GRANTED,
    "host.logon_right_not_granted",
    Fail,
    "host",
    "\"Allow log on through Remote Desktop Services\" is not granted as Remote Desktop needs",
    "SeRemoteInteractiveLogonRight is held by no one, or not by Remote Desktop Users although that group has members. Windows grants it to Administrators and Remote Desktop Users by default; without it, authenticated users are refused with 0x904 / extended 0x7 (Security 4625, 0xC000015B).",
    ["host.restore_rdp_logon_rights", "server.grant_rdp_logon_right"]
);
def!(
    HOST_ACCOUNT_LOGON_DENIED,
    "host.account_logon_denied",
    Fail,
    "host",
    "The account is denied logon through Remote Desktop Services",
    "The account named (asked about with --user, refused in Security 4625, or used by the credentialed check) holds SeDenyRemoteInteractiveLogonRight itself or through a group the local data shows it in (a local group, or an implicit one such as Local account for local accounts). The deny right wins over any allow right.",
    ["host.restore_rdp_logon_rights", "server.grant_rdp_logon_right"]
);
def!(
    HOST_ACCOUNT_LACKS_LOGON_RIGHT,
    "host.account_lacks_logon_right",
    Fail,
    "host",
    "The account does not hold \"Allow log on through Remote Desktop Services\"",
    "Neither the account nor any group the local data shows it in (Remote Desktop Users, Administrators, another local group, the implicit groups every logon has) holds SeRemoteInteractiveLogonRight: the server refuses it after authentication (0x904 / extended 0x7). Decided only where the local data is complete: a local account, or a domain account when no domain group holds the right.",
    ["server.grant_rdp_logon_right"]
);
def!(
    HOST_ACCOUNT_LOGON_RIGHT,
    "host.account_logon_right",
    Info,
    "host",
    "What the local policy says about the account's Remote Desktop logon",
    "The account holds SeRemoteInteractiveLogonRight through the group named and is not denied, or whether it may log on depends on domain group membership the host's local data does not hold (then the groups that would decide it are named; whoami /groups in the user's session, or Get-ADPrincipalGroupMembership, settles it).",
    ["server.grant_rdp_logon_right"]
);
def!(
    HOST_REMOTE_DESKTOP_USERS_EMPTY,
    "host.remote_desktop_users_empty",
    Info,
    "host",
    "Remote Desktop Users has no members",
    "BUILTIN\\Remote Desktop Users (S-1-5-32-555) is empty: only administrators, and accounts in other groups that hold \"Allow log on through Remote Desktop Services\", can connect. Every other user is refused after authenticating (0x904 / extended 0x7).",
    ["server.grant_rdp_logon_right"]
);
def!(
    HOST_LOGON_RIGHT_DENY_ASSIGNED,
    "host.logon_right_deny_assigned",
    Info,
    "host",
    "\"Deny log on through Remote Desktop Services\" names some accounts or groups",
    "SeDenyRemoteInteractiveLogonRight is assigned to the accounts or groups listed (security baselines deny Guests and, on member servers, Local account): those are refused after authenticating, whatever group they are also in. A local account such as .\\Administrator cannot connect when Local account (S-1-5-113) is listed.",
    ["host.restore_rdp_logon_rights"]
);
def!(
    HOST_DRAIN_MODE,
    "host.drain_mode",
    Fail,
    "host",
    "The server refuses new logons (drain mode or logons disabled)",
    "TSServerDrainMode = 1 or 2 (change logon /drain, /drainuntilrestart) refuses new logons while letting users reconnect to their sessions; WinStationsDisabled = 1 (change logon /disable) refuses every remote logon and reconnection. mstsc shows that the server is not accepting new connections.",
    ["server.enable_logons"]
);
def!(
    HOST_TLS_NO_COMMON_SUITE,
    "host.tls_no_common_suite",
    Warn,
    "host",
    "Clients offered no cipher suite the server accepts (Schannel 36874)",
    "Schannel logged that a client's TLS ClientHello had no cipher suite the server supports: the cipher suite order or the protocol switches were narrowed (by policy or a hardening script) past what some clients offer.",
    ["server.enable_tls12"]
);

/// This file's findings, in the order of precedence for a verdict: what stops every connection first (the
/// switch, the service, the port, the firewall), then TLS, then the logon, then limits and facts.
pub static DEFS: &[FindingDef] = &[
    HOST_REMOTE_CONNECTIONS_DISABLED,
    HOST_LISTENER_DISABLED,
    HOST_TERMSERVICE_DISABLED,
    HOST_TERMSERVICE_NOT_RUNNING,
    HOST_PORT_NOT_LISTENING,
    HOST_PORT_OTHER_PROCESS,
    HOST_FIREWALL_BLOCK_RULE,
    HOST_FIREWALL_NO_ALLOW_RULE,
    HOST_CERTIFICATE_MISSING,
    HOST_CERTIFICATE_NO_PRIVATE_KEY,
    HOST_CERTIFICATE_KEY_FILE_MISSING,
    HOST_CERTIFICATE_KEY_UNUSABLE,
    HOST_CERTIFICATE_CREATION_FAILED,
    HOST_CERTIFICATE_EXPIRED,
    HOST_TLS12_DISABLED,
    HOST_DRAIN_MODE,
    HOST_LOGON_RIGHT_DENIED_BROADLY,
    HOST_LOGON_RIGHT_NOT_GRANTED,
    HOST_ACCOUNT_LOGON_DENIED,
    HOST_ACCOUNT_LACKS_LOGON_RIGHT,
    HOST_LOGON_RIGHT_MISSING,
    HOST_MAX_INSTANCES_REACHED,
    HOST_FIREWALL_PROFILE_GAP,
    HOST_SECURITY_LAYER_RDP,
    HOST_FIPS_ENABLED,
    HOST_ENCRYPTION_ORACLE_VULNERABLE,
    HOST_OUTSTANDING_CONNECTIONS,
    HOST_TLS_NO_COMMON_SUITE,
    HOST_ENCRYPTION_ORACLE_FORCE,
    HOST_NLA_REQUIRED,
    HOST_LOGON_RIGHT_DENY_ASSIGNED,
    HOST_REMOTE_DESKTOP_USERS_EMPTY,
    HOST_ACCOUNT_LOGON_RIGHT,
    HOST_MAX_INSTANCES_LOW,
    HOST_FIREWALL_WEBSOCKET_RULES,
];
