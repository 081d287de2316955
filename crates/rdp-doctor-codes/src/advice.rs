//! Advice shared by codes that mean the same condition in different numberings (a locked-out account is
//! `SSL_ERR_ACCOUNT_LOCKED_OUT` to mstsc, `STATUS_ACCOUNT_LOCKED_OUT` in CredSSP and
//! `ERRCONNECT_ACCOUNT_LOCKED_OUT` to FreeRDP): the causes, checks and remedies are written once here.
//!
//! Remedy IDs name entries of rdp-doctor-core's remedy catalogue; a test there checks every one resolves.
//! Causes are in likelihood order. Where no source says which cause is most common, `note` says so.

/// Likely causes (most likely first), what to check next, and the remedies to apply, by ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Advice {
    pub causes: &'static [&'static str],
    pub checks: &'static [&'static str],
    pub remedies: &'static [&'static str],
    /// A caveat about the advice itself ("" when none).
    pub note: &'static str,
}

const NEXT_CHECK: &str =
    "rdp-doctor check HOST   # DNS, TCP, security negotiation, TLS and the certificate, no credentials needed";
const NEXT_CHECK_USER: &str = r"rdp-doctor check HOST --user DOMAIN\name   # with credentials: the whole connection, up to the server's own verdict";

pub static DNS_FAILED: Advice = Advice {
    causes: &[
        "The name is mistyped, or is a short name that only resolves inside the corporate network or over the VPN.",
        "The DNS record is missing or stale (the server was moved or re-addressed).",
        "The VPN is not connected, or its DNS servers are not used (split DNS).",
        "A stale hosts-file entry or cached negative answer on the client.",
    ],
    checks: &[NEXT_CHECK, "Resolve-DnsName HOST", "Connect by IP address once: if that works, the problem is the name"],
    remedies: &["client.check_name", "client.connect_by_ip", "network.fix_dns_record"],
    note: "",
};

pub static TCP_CONNECT_FAILED: Advice = Advice {
    causes: &[
        "A firewall drops or rejects TCP 3389: the server's Windows Firewall, a network firewall, or a cloud security group.",
        "Remote Desktop is disabled, TermService is not running, or it listens on another port.",
        "The host is down, or the name points to the wrong address.",
        "The VPN is not connected or does not route to the server's network.",
    ],
    checks: &[NEXT_CHECK, "Test-NetConnection HOST -Port 3389"],
    remedies: &[
        "server.firewall_rdp_rules",
        "network.allow_rdp_port",
        "cloud.allow_rdp_nsg",
        "server.enable_rdp_listener",
        "network.check_route",
    ],
    note: "",
};

pub static TIMEOUT: Advice = Advice {
    causes: &[
        "A firewall silently drops the packets, so nothing ever answers.",
        "The path is slow or lossy (VPN, Wi-Fi, mobile), so the security handshake does not finish in time.",
        "An MTU black hole: the small handshake packets pass, the large certificate flight is lost.",
        "The server is overloaded or its RDP service hangs.",
    ],
    checks: &[
        NEXT_CHECK,
        "Test-NetConnection HOST -Port 3389",
        "ping -f -l 1372 HOST   # Windows: does a 1400-byte packet pass unfragmented?",
    ],
    remedies: &["network.allow_rdp_port", "network.vpn_quality", "network.fix_mtu", "server.check_rdp_service_health"],
    note: "",
};

pub static SOCKET_CLOSED: Advice = Advice {
    causes: &[
        "The server refused early: a connection limit, logons disabled, or an IP-blocking tool.",
        "The server cannot start TLS: its self-signed certificate expired or is broken, or (common on Azure VMs) the machine key store is damaged so no certificate can be made.",
        "Security settings do not match: NLA required by one side and not possible for the other, different CredSSP update levels, or no common TLS version.",
        "Something in the path closes the connection: a VPN, load balancer, proxy or TLS-inspection device, or an MTU problem that kills large packets.",
        "The connection got through and then broke on the UDP transport (try the TCP-only workaround to tell).",
    ],
    checks: &[
        NEXT_CHECK,
        "Look at the extended error code: when it is not 0 the server said why (rdp-doctor explain CODE EXTENDED)",
        "On the server: Get-WinEvent -LogName 'Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational' -MaxEvents 50",
        "On the server: System log events from Schannel (36870, 36874, 36888) and TermService",
    ],
    remedies: &[
        "server.check_rdp_service_health",
        "server.renew_rdp_certificate",
        "cloud.azure_reset_machinekeys",
        "server.security_layer_diagnosis",
        "server.install_credssp_update",
        "server.connection_limits",
        "client.tcp_only",
        "server.tcp_only",
        "network.fix_mtu",
        "client.clean_rdp_file",
    ],
    note: "The code says how the link ended, not why; the order of causes is the order rdp-doctor's checks find them in, not a measured frequency.",
};

pub static SERVER_DENIED: Advice = Advice {
    causes: &[
        "The account may not log on through Remote Desktop: it is not in Remote Desktop Users (or Administrators), or a \"Deny log on through Remote Desktop Services\" right applies to it.",
        "The server accepts no new sessions: logons are disabled (drain mode) or its connection or session limit is reached.",
        "An add-on on the server refuses the user after authentication (multi-factor agent, IP allow-list, RDP filter).",
        "The RDP service is in a bad state (stuck sessions, exhausted resources).",
        "A non-Windows server (xrdp, FreeRDP, IronRDP-based) rejected the credentials of a connection without NLA.",
    ],
    checks: &[
        NEXT_CHECK,
        NEXT_CHECK_USER,
        "On the server: Get-WinEvent -LogName 'Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational' -MaxEvents 50",
        "On the server: chglogon /query   # are new logons enabled?",
        "On the server: qwinsta   # how many sessions, any stuck in 'Down' or 'Disc'?",
    ],
    remedies: &[
        "server.grant_rdp_logon_right",
        "server.enable_logons",
        "server.connection_limits",
        "server.reset_sessions",
        "server.restart_termservice",
    ],
    note: "Microsoft does not document which conditions make a Windows server send this code; the causes are the conditions known to end a connection after authentication, in the order to rule them out.",
};

pub static INSUFFICIENT_PRIVILEGES: Advice = Advice {
    causes: &[
        "The user is not a member of Remote Desktop Users (or Administrators) on the server.",
        "A group policy sets \"Allow log on through Remote Desktop Services\" without that group, overriding the local setting.",
        "\"Deny log on through Remote Desktop Services\" lists the user or one of its groups.",
    ],
    checks: &[
        NEXT_CHECK_USER,
        "On the server: Get-LocalGroupMember 'Remote Desktop Users'",
        "On the server: gpresult /h rsop.html   # which policy sets the logon rights",
    ],
    remedies: &["server.grant_rdp_logon_right"],
    note: "",
};

pub static FRESH_CREDENTIALS: Advice = Advice {
    causes: &[
        "The server's policy requires typing the password at every connection (\"Always prompt for password upon connection\"), and the client used saved credentials.",
    ],
    checks: &["cmdkey /list | findstr TERMSRV   # saved credentials on the client"],
    remedies: &["client.fresh_credentials"],
    note: "",
};

pub static ADMIN_ENDED: Advice = Advice {
    causes: &[
        "An administrator or a tool ended the session: Task Manager's Users tab, logoff/rwinsta/tsdiscon, Disconnect-RDUser, a broker or a script.",
    ],
    checks: &[
        "On the server: Get-WinEvent -LogName 'Microsoft-Windows-TerminalServices-LocalSessionManager/Operational' -MaxEvents 50   # who ended it and when",
    ],
    remedies: &[],
    note: "Not a fault: the session was ended on purpose.",
};

pub static SESSION_TIME_LIMITS: Advice = Advice {
    causes: &["A session time limit (idle, active or disconnected session) set by policy on the server ran out."],
    checks: &["On the server: gpresult /h rsop.html   # Remote Desktop Session Host > Session Time Limits"],
    remedies: &["server.session_time_limits"],
    note: "",
};

pub static REPLACED_BY_OTHER: Advice = Advice {
    causes: &[
        "The same user connected to the same session from another device, which took the session over.",
        "The server allows one session per user (\"Restrict Remote Desktop Services users to a single session\").",
    ],
    checks: &["On the server: qwinsta   # the session and where it is connected from"],
    remedies: &["server.single_session_policy"],
    note: "",
};

pub static SERVER_RESOURCES: Advice = Advice {
    causes: &[
        "The server is short of memory or session resources.",
        "A component of the remote session (display driver, DWM, Winlogon, CSRSS) failed, often after an update or with a third-party display driver.",
    ],
    checks: &[
        "On the server: Get-WinEvent -LogName System -MaxEvents 200 | Where-Object LevelDisplayName -eq Error",
        "On the server: Get-WinEvent -LogName Application -MaxEvents 200 | Where-Object ProviderName -match 'Application Error|Winlogon|Dwm'",
    ],
    remedies: &["server.check_rdp_service_health", "server.restart_termservice", "client.reduce_display"],
    note: "",
};

pub static CLIENT_RESOURCES: Advice = Advice {
    causes: &[
        "The client machine ran out of memory or hit an internal error.",
        "A corrupt client cache or a damaged .rdp file.",
    ],
    checks: &["Close other programs and retry; retry with a freshly made .rdp file"],
    remedies: &["client.clear_client_cache", "client.clean_rdp_file", "client.update_client", "client.windows_app"],
    note: "",
};

pub static INVALID_ADDRESS: Advice = Advice {
    causes: &[
        "The address typed is not a valid IP address or host name (a typo, a stray space, a port in the wrong place).",
    ],
    checks: &["Type the address as HOST or HOST:PORT, IPv6 as [ADDR]:PORT"],
    remedies: &["client.check_name"],
    note: "",
};

pub static SECURITY_LAYER_ERROR: Advice = Advice {
    causes: &[
        "Client and server do not agree on a TLS version or cipher suite (a server limited to TLS 1.0, or a hardened client or server).",
        "The server cannot use the private key of its certificate (damaged machine key store, wrong permissions).",
        "A TLS-inspection device or proxy in the path alters the connection.",
        "The server uses the legacy RDP security layer and its encryption failed.",
    ],
    checks: &[NEXT_CHECK, "On the server: System log, Schannel events 36870, 36874, 36888"],
    remedies: &[
        "server.enable_tls12",
        "server.repair_certificate_key",
        "cloud.azure_reset_machinekeys",
        "server.allow_tls_security_layer",
        "client.update_client",
    ],
    note: "",
};

pub static LICENSING_SERVER: Advice = Advice {
    causes: &[
        "The RD Session Host has no license server configured, or cannot reach it.",
        "No Client Access Licenses of the configured mode (per user / per device) are left, or the 120-day grace period is over.",
        "Licensing mode on the Session Host and the installed CALs do not match.",
    ],
    checks: &[
        "On the server: Get-WinEvent -LogName System | Where-Object ProviderName -match 'TermService|TerminalServices-Licensing'",
        "On the server: (Get-CimInstance -Namespace root/cimv2/TerminalServices -ClassName Win32_TerminalServiceSetting).GetSpecifiedLicenseServerList()",
    ],
    remedies: &["server.rd_licensing"],
    note: "",
};

pub static LICENSING_CLIENT: Advice = Advice {
    causes: &[
        "The license the client stored earlier is damaged, was changed, or cannot be renewed.",
        "The license server could not be reached while the client's license was being issued or upgraded.",
    ],
    checks: &[r"On a Windows client: reg query HKLM\SOFTWARE\Microsoft\MSLicensing"],
    remedies: &["client.clear_license_cache", "server.rd_licensing"],
    note: "",
};

pub static LICENSING_PROTOCOL: Advice = Advice {
    causes: &[
        "The licensing exchange was cut short by the network or by the client.",
        "A client with an unusual or outdated licensing implementation.",
    ],
    checks: &["Retry once; if it persists, clear the client's stored license"],
    remedies: &["client.clear_license_cache", "client.update_client", "server.rd_licensing"],
    note: "",
};

pub static BROKER: Advice = Advice {
    causes: &[
        "The RD Connection Broker could not place the user: the target host or VM is missing, off, out of capacity or unreachable.",
        "The collection or pool configuration is wrong, or the routing token the client sent is stale.",
    ],
    checks: &[
        "On the broker: Get-WinEvent -LogName 'Microsoft-Windows-TerminalServices-SessionBroker/Admin' -MaxEvents 50",
    ],
    remedies: &["server.connection_broker"],
    note: "",
};

pub static PROTOCOL_ERROR: Advice = Advice {
    causes: &[
        "Client and server implementations disagree on a detail of the protocol: an old or third-party client, or an old server.",
        "A device in the path alters the stream.",
        "A display configuration the server cannot handle (many or very large monitors).",
    ],
    checks: &[
        "Retry with the current Microsoft client (or FreeRDP 3) and a single monitor",
        "On the server: RdpCoreTS operational log",
    ],
    remedies: &["client.update_client", "client.reduce_display", "client.windows_app", "client.clean_rdp_file"],
    note: "",
};

pub static DISPLAY_LIMITS: Advice = Advice {
    causes: &[
        "The client asked for a monitor layout or graphics mode the server does not support (too many or too large monitors, an unsupported codec).",
    ],
    checks: &["Retry with one monitor and a smaller resolution"],
    remedies: &["client.reduce_display", "client.update_client"],
    note: "",
};

pub static REMOTEAPP_ONLY: Advice = Advice {
    causes: &["The server or collection only publishes RemoteApp programs, and the client asked for a full desktop."],
    checks: &["Use the RemoteApp .rdp file or the workspace feed the administrator published"],
    remedies: &["client.windows_app"],
    note: "",
};

pub static BAD_CREDENTIALS: Advice = Advice {
    causes: &[
        "Wrong user name or password, or the wrong form of the name: DOMAIN\\user or user@upn for a domain, .\\user or HOST\\user for a local account, AzureAD\\user@domain for an Entra ID-joined host.",
        "Saved credentials on the client are out of date (the password changed).",
        "The account exists in another domain than the one used.",
    ],
    checks: &[NEXT_CHECK_USER, "cmdkey /list | findstr TERMSRV   # saved credentials on the client"],
    remedies: &["client.check_credentials"],
    note: "",
};

pub static ACCOUNT_DISABLED: Advice = Advice {
    causes: &["The account is disabled in Active Directory or in the server's local users."],
    checks: &["Get-ADUser NAME -Properties Enabled"],
    remedies: &["server.account_state"],
    note: "",
};

pub static ACCOUNT_LOCKED: Advice = Advice {
    causes: &[
        "Too many failed logons locked the account: often an old password saved on a phone, a mapped drive, a service or an old RDP session.",
    ],
    checks: &["Get-ADUser NAME -Properties LockedOut,BadLogonCount,LastBadPasswordAttempt"],
    remedies: &["server.account_state", "client.check_credentials"],
    note: "",
};

pub static ACCOUNT_EXPIRED: Advice = Advice {
    causes: &["The account's expiry date has passed."],
    checks: &["Get-ADUser NAME -Properties AccountExpirationDate"],
    remedies: &["server.account_state"],
    note: "",
};

pub static ACCOUNT_RESTRICTION: Advice = Advice {
    causes: &[
        "An account restriction applies: logon hours, allowed workstations, or a blank password (blank passwords are refused over the network).",
        "The account is in Protected Users or needs a smart card.",
    ],
    checks: &["Get-ADUser NAME -Properties LogonWorkstations,LogonHours,SmartcardLogonRequired"],
    remedies: &["server.account_state"],
    note: "",
};

pub static PASSWORD_CHANGE: Advice = Advice {
    causes: &[
        "The password has expired, or the account is set to change its password at next logon. With NLA the password cannot be changed during the RDP logon.",
    ],
    checks: &["Get-ADUser NAME -Properties PasswordExpired,PasswordLastSet,pwdLastSet"],
    remedies: &["client.change_password", "server.account_state"],
    note: "",
};

pub static LOGON_TYPE: Advice = Advice {
    causes: &[
        "The user lacks the logon right this connection needs (\"Allow log on through Remote Desktop Services\"), or a \"Deny\" right applies.",
    ],
    checks: &["On the server: gpresult /h rsop.html   # User Rights Assignment"],
    remedies: &["server.grant_rdp_logon_right"],
    note: "",
};

pub static DELEGATION_POLICY: Advice = Advice {
    causes: &[
        "The client's Credentials Delegation policy does not allow sending credentials to this server (the server name is not in \"Allow delegating fresh credentials\").",
        "The server could only be authenticated with NTLM (connection by IP address or an alias without an SPN), and the policy allows delegation only with Kerberos.",
    ],
    checks: &[
        "gpresult /h rsop.html   # Computer Configuration > Administrative Templates > System > Credentials Delegation",
    ],
    remedies: &["client.use_kerberos_name", "server.check_spn", "client.allow_credential_delegation"],
    note: "",
};

pub static NO_AUTHORITY: Advice = Advice {
    causes: &[
        "The domain in the user name is wrong or cannot be found.",
        "No domain controller can be reached (from the server, or from the client for Kerberos), or DNS for the domain fails.",
        "The server's trust with its domain (secure channel) is broken.",
    ],
    checks: &["nltest /dsgetdc:DOMAIN", "On the server: Test-ComputerSecureChannel -Verbose"],
    remedies: &["client.check_credentials", "server.domain_secure_channel"],
    note: "",
};

pub static TIME_SKEW: Advice = Advice {
    causes: &[
        "The clocks of client, server or domain controller differ by more than Kerberos allows (5 minutes by default).",
    ],
    checks: &["w32tm /stripchart /computer:HOST /samples:3"],
    remedies: &["any.fix_clock"],
    note: "",
};

pub static CERT_EXPIRED: Advice = Advice {
    causes: &[
        "The RDP listener's (or RD Gateway's) certificate has expired and was not renewed.",
        "A clock on the client or server is wrong.",
    ],
    checks: &[NEXT_CHECK],
    remedies: &[
        "server.renew_rdp_certificate",
        "server.bind_ca_rdp_certificate",
        "gateway.certificate",
        "any.fix_clock",
    ],
    note: "",
};

pub static CERT_UNTRUSTED: Advice = Advice {
    causes: &[
        "The server uses a self-signed certificate or one from a CA the client does not trust.",
        "An intermediate certificate is missing, or a TLS-inspection device re-signs the connection.",
    ],
    checks: &[NEXT_CHECK],
    remedies: &[
        "server.bind_ca_rdp_certificate",
        "client.trust_server_certificate",
        "gateway.certificate",
        "client.proxy_bypass",
    ],
    note: "",
};

pub static SMARTCARD: Advice = Advice {
    causes: &["A wrong PIN, a blocked card, or an account that requires smart-card logon used with a password."],
    checks: &["certutil -scinfo   # is the card and its certificate readable on the client?"],
    remedies: &["client.smartcard"],
    note: "",
};

pub static UNSUPPORTED_FUNCTION: Advice = Advice {
    causes: &[
        "Client and server are at different CredSSP update levels and the \"Encryption Oracle Remediation\" policy blocks the older one (the client then says \"This could be due to CredSSP encryption oracle remediation\").",
        "No common TLS version or cipher suite.",
    ],
    checks: &[NEXT_CHECK, "winver / Get-HotFix on both sides: are both patched since May 2018?"],
    remedies: &["server.install_credssp_update", "server.enable_tls12", "client.allow_encryption_oracle_temporarily"],
    note: "",
};

pub static TARGET_NAME: Advice = Advice {
    causes: &[
        "The name used does not match the server's Kerberos principal: a connection by IP address, an alias (CNAME) or a DNS record pointing at another machine.",
        "A missing or duplicate TERMSRV/ service principal name in the domain.",
    ],
    checks: &["setspn -Q TERMSRV/HOST", "setspn -X   # duplicate SPNs in the domain"],
    remedies: &["client.use_kerberos_name", "server.check_spn", "network.fix_dns_record"],
    note: "",
};

pub static BAD_BINDINGS: Advice = Advice {
    causes: &[
        "A TLS-inspecting proxy or load balancer between client and server (or gateway) terminates TLS, so the channel binding of the authentication does not match.",
    ],
    checks: &[NEXT_CHECK, "Compare the certificate thumbprint the client sees with the one on the server"],
    remedies: &["client.proxy_bypass", "gateway.certificate"],
    note: "",
};

pub static GATEWAY_CAP: Advice = Advice {
    causes: &[
        "The RD Gateway's connection authorization policy (CAP) does not admit the user, or the client computer when the CAP names computer groups.",
        "A health (NAP/quarantine) or authentication-method requirement of the CAP is not met.",
    ],
    checks: &[GATEWAY_LOG],
    remedies: &["gateway.cap_allow_user", "gateway.policies"],
    note: "",
};

pub static GATEWAY_RAP: Advice = Advice {
    causes: &[
        "The RD Gateway's resource authorization policy (RAP) does not list the target computer under the name the client used (FQDN, short name and IP address are different entries).",
        "The user is not in a group the RAP allows for that target.",
    ],
    checks: &[GATEWAY_LOG],
    remedies: &["gateway.rap_allow_target", "gateway.policies"],
    note: "",
};

const GATEWAY_LOG: &str =
    "On the gateway: Get-WinEvent -LogName 'Microsoft-Windows-TerminalServices-Gateway/Operational' -MaxEvents 50";

pub static GATEWAY_TARGET: Advice = Advice {
    causes: &[
        "The gateway cannot reach the target: DNS on the gateway does not resolve the name, or a firewall between gateway and target blocks TCP 3389.",
        "The target's RDP service is down.",
    ],
    checks: &[
        "On the gateway: Test-NetConnection TARGET -Port 3389",
        "rdp-doctor check TARGET   # from a machine on the target's network",
    ],
    remedies: &["gateway.reach_target", "gateway.policies"],
    note: "",
};

pub static GATEWAY_CAPACITY: Advice = Advice {
    causes: &["The gateway's connection limit is reached."],
    checks: &["On the gateway: RD Gateway Manager > Monitoring, the number of connections"],
    remedies: &["gateway.connection_limit"],
    note: "",
};

pub static GATEWAY_CERT: Advice = Advice {
    causes: &["The RD Gateway has no usable certificate bound for TLS."],
    checks: &["On the gateway: RD Gateway Manager > Properties > SSL Certificate"],
    remedies: &["gateway.certificate"],
    note: "",
};

pub static GATEWAY_PROTOCOL: Advice = Advice {
    causes: &[
        "A proxy, load balancer or TLS-inspection device between client and gateway alters the HTTP or WebSocket traffic.",
        "Client and gateway disagree on a capability or authentication method (an old client, or a gateway set to a special authentication mode).",
        "An internal error on the gateway.",
    ],
    checks: &["Retry from a network without a proxy", "On the gateway: TerminalServices-Gateway operational log"],
    remedies: &["client.proxy_bypass", "gateway.transport_settings", "client.update_client", "gateway.service_health"],
    note: "",
};

pub static GATEWAY_SESSION: Advice = Advice {
    causes: &[
        "A gateway session timeout or re-authentication policy ended the connection, or an administrator disconnected it.",
    ],
    checks: &["On the gateway: the CAP's Timeouts tab, and the Gateway operational log"],
    remedies: &["gateway.policies"],
    note: "",
};

pub static FREERDP_CONFIG: Advice = Advice {
    causes: &[
        "A FreeRDP option or setting is wrong or unsupported in this build (a channel plugin missing, a bad argument).",
    ],
    checks: &["Run again with /log-level:DEBUG and read the first error"],
    remedies: &["client.freerdp_debug", "client.update_client"],
    note: "",
};

pub static TRANSPORT_FAILED: Advice = Advice {
    causes: &[
        "The server (or something in the path) closed the connection during the TLS or NLA phase.",
        "The security settings of client and server do not match (NLA, TLS version, CredSSP update level).",
        "An unstable or filtered network path.",
    ],
    checks: &[NEXT_CHECK, "xfreerdp /v:HOST /log-level:DEBUG   # which phase failed"],
    remedies: &[
        "client.freerdp_debug",
        "server.security_layer_diagnosis",
        "server.enable_tls12",
        "network.vpn_quality",
    ],
    note: "",
};
