//! Remedies for the security layer, NLA and CredSSP.

use crate::finding::{Audience, Impact, Remedy};

/// This file's remedies.
pub static REMEDIES: &[Remedy] = &[
    Remedy {
        id: "server.require_nla",
        audience: Audience::ServerAdmin,
        title: "Require Network Level Authentication and TLS",
        platform: "Windows Server / xrdp",
        impact: Impact::SecurityChange,
        preconditions: &[
            "Every client that must connect supports NLA (current mstsc, Windows App, FreeRDP with /sec:nla)",
            "Console or other out-of-band access, in case a client cannot connect afterwards",
        ],
        steps: &[
            "GPO: Computer Configuration > Administrative Templates > Windows Components > Remote Desktop Services > Remote Desktop Session Host > Security > Require user authentication for remote connections by using Network Level Authentication = Enabled",
            "Registry (where no GPO applies): Set-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp' -Name UserAuthentication -Value 1",
            "and SecurityLayer = 2 (SSL) in the same key, so Standard RDP Security is no longer accepted",
            "xrdp has no NLA: restrict it to TLS (security_layer=tls in /etc/xrdp/xrdp.ini) and put it behind a VPN or gateway",
        ],
        undo: Some(
            "Set UserAuthentication back to 0 and SecurityLayer to its previous value (read them first with Get-ItemProperty)",
        ),
        risk: Some("Clients without CredSSP (old thin clients, FreeRDP with /sec:tls) can no longer connect."),
        security_note: None,
    },
    Remedy {
        id: "server.install_credssp_update",
        audience: Audience::ServerAdmin,
        title: "Install the CredSSP security update (CVE-2018-0886): the server, and any unpatched client",
        platform: "Windows (server and client)",
        impact: Impact::SecurityChange,
        preconditions: &[
            "The server's CredSSP version is below 5, or the client says 'An authentication error has occurred ... This could be due to CredSSP encryption oracle remediation', or one side has had no update since May 2018",
        ],
        steps: &[
            "Install the cumulative update (any update since May 2018 contains the CVE-2018-0886 fix): Windows Update, sconfig option 6, or the Microsoft Update Catalog offline",
            "Check on both sides: Get-HotFix | Sort-Object InstalledOn -Descending | Select -First 5",
            "Reboot, then run this check again: the CredSSP version must be 5 or 6",
            "A patched server set to 'Force Updated Clients' (AllowEncryptionOracle = 0) refuses unpatched clients: patch the client the same way",
            "Server unreachable over RDP: patch it from the console, Azure Update Manager or Run Command; only if none is possible, use the temporary client bridge (client.allow_encryption_oracle_temporarily)",
        ],
        undo: Some(
            "wusa /uninstall /kb:<number> only if the update breaks something else; the patched state is the secure one",
        ),
        risk: Some("Each patched machine needs a reboot."),
        security_note: None,
    },
    Remedy {
        id: "client.allow_encryption_oracle_temporarily",
        audience: Audience::ClientUser,
        title: "Temporary bridge only: let one client talk to an unpatched server",
        platform: "Windows client (administrator)",
        impact: Impact::SecurityChange,
        preconditions: &[
            "The server is the unpatched side and there is no other way in to patch it (console, Run Command, update management)",
        ],
        steps: &[
            "GPO: Computer Configuration > Administrative Templates > System > Credentials Delegation > Encryption Oracle Remediation = Enabled, Protection Level: Vulnerable",
            "Registry: reg add HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\System\\CredSSP\\Parameters /v AllowEncryptionOracle /t REG_DWORD /d 2 /f",
            "Connect, patch the server, then undo this at once and connect again to prove the patched pair works",
        ],
        undo: Some(
            "reg delete HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\System\\CredSSP\\Parameters /v AllowEncryptionOracle /f   (or set the GPO back to Not Configured)",
        ),
        risk: Some(
            "While it is set, an attacker in the network path can abuse the old CredSSP (CVE-2018-0886) to relay the user's credentials and run commands on the server.",
        ),
        security_note: Some(
            "UNSAFE: value 2 (Vulnerable) re-enables the CVE-2018-0886 attack on this client's credentials. Use it only for the minutes needed to patch the server.",
        ),
    },
    Remedy {
        id: "client.use_kerberos_name",
        audience: Audience::ClientUser,
        title: "Connect by the server's own DNS name so Kerberos can work",
        platform: "any",
        impact: Impact::Inspect,
        preconditions: &[],
        steps: &[
            "Use the DNS computer name the server announces (see the evidence), not an IP address or alias: Kerberos needs a name with a registered SPN (TERMSRV/<fqdn>)",
            "setspn -L <computer name>   # on a domain machine: lists the server's TERMSRV SPNs",
        ],
        undo: None,
        risk: None,
        security_note: None,
    },
    Remedy {
        id: "server.check_ntlm_policy",
        audience: Audience::ServerAdmin,
        title: "Check whether NTLM is restricted for incoming connections",
        platform: "Windows Server",
        impact: Impact::SecurityChange,
        preconditions: &[],
        steps: &[
            "GPO: Computer Configuration > Windows Settings > Security Settings > Local Policies > Security Options > Network security: Restrict NTLM: Incoming NTLM traffic",
            "Get-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\MSV1_0' -Name RestrictReceivingNTLMTraffic",
            "If NTLM must stay restricted, make clients use Kerberos (domain-joined, FQDN, reachable KDC or a KDC proxy)",
        ],
        undo: Some(
            "Set the policy back to its previous value (RestrictReceivingNTLMTraffic: 0 = allow all, 1 = deny domain accounts, 2 = deny all)",
        ),
        risk: Some(
            "Allowing incoming NTLM again reopens the relay and password-guessing paths the restriction closed.",
        ),
        security_note: Some(
            "Restricting NTLM is a deliberate hardening; lift it only with the security owner's agreement.",
        ),
    },
    Remedy {
        id: "server.disable_weak_ciphers",
        audience: Audience::ServerAdmin,
        title: "Remove broken and non-forward-secret cipher suites",
        platform: "Windows Server / xrdp",
        impact: Impact::SecurityChange,
        preconditions: &[
            "Know which clients still need the suites you remove (very old clients may have nothing else)",
        ],
        steps: &[
            "Windows: Get-TlsCipherSuite | Format-Table Name   # what Schannel offers",
            "Windows: Disable-TlsCipherSuite -Name 'TLS_RSA_WITH_3DES_EDE_CBC_SHA'   # repeat per weak suite named in the evidence",
            "Windows (GPO): Computer Configuration > Administrative Templates > Network > SSL Configuration Settings > SSL Cipher Suite Order",
            "xrdp: tls_ciphers=HIGH:!aNULL:!eNULL:!3DES:!RC4:!kRSA in /etc/xrdp/xrdp.ini, then systemctl restart xrdp",
        ],
        undo: Some(
            "Windows: Enable-TlsCipherSuite -Name '<suite>' (or reset the GPO); xrdp: restore the previous tls_ciphers line",
        ),
        risk: Some(
            "Clients that support only the removed suites can no longer connect; the GPO cipher-suite order replaces the whole list.",
        ),
        security_note: None,
    },
    Remedy {
        id: "server.enable_tls13",
        audience: Audience::ServerAdmin,
        title: "Offer TLS 1.3 where the platform supports it",
        platform: "Windows Server 2022+ / xrdp",
        impact: Impact::SecurityChange,
        preconditions: &[],
        steps: &[
            "Windows Server 2022 and later: TLS 1.3 is on unless disabled: Get-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.3\\Server' (Enabled should be 1 or absent)",
            "Windows Server 2019 and older cannot offer TLS 1.3",
            "xrdp: ssl_protocols=TLSv1.2, TLSv1.3 in /etc/xrdp/xrdp.ini, then systemctl restart xrdp",
        ],
        undo: Some("Restore the previous registry value or ssl_protocols line"),
        risk: Some("Restarting xrdp ends its sessions; clients without TLS 1.3 keep using TLS 1.2."),
        security_note: None,
    },
];
