//! Remedies for the security layer, NLA and CredSSP.

use crate::finding::{Audience, Remedy};

/// This file's remedies.
pub static REMEDIES: &[Remedy] = &[
    Remedy {
        id: "server.require_nla",
        audience: Audience::ServerAdmin,
        title: "Require Network Level Authentication and TLS",
        platform: "Windows Server / xrdp",
        steps: &[
            "GPO: Computer Configuration > Administrative Templates > Windows Components > Remote Desktop Services > Remote Desktop Session Host > Security > Require user authentication for remote connections by using Network Level Authentication = Enabled",
            "Registry (where no GPO applies): Set-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp' -Name UserAuthentication -Value 1",
            "and SecurityLayer = 2 (SSL) in the same key, so Standard RDP Security is no longer accepted",
            "xrdp has no NLA: restrict it to TLS (security_layer=tls in /etc/xrdp/xrdp.ini) and put it behind a VPN or gateway",
        ],
        undo: Some(
            "Set UserAuthentication back to 0 and SecurityLayer to its previous value (read them first with Get-ItemProperty)",
        ),
        security_note: None,
    },
    Remedy {
        id: "server.install_credssp_update",
        audience: Audience::ServerAdmin,
        title: "Install the CredSSP security update on the server",
        platform: "Windows Server",
        steps: &[
            "Install the cumulative update (any update since May 2018 contains the CVE-2018-0886 fix): Windows Update, or sconfig option 6",
            "Check: Get-HotFix | Sort-Object InstalledOn -Descending | Select -First 5",
            "Reboot, then run this check again: the CredSSP version must be 5 or 6",
        ],
        undo: None,
        security_note: None,
    },
    Remedy {
        id: "client.allow_encryption_oracle_temporarily",
        audience: Audience::ClientUser,
        title: "Temporary bridge only: let one client talk to an unpatched server",
        platform: "Windows client",
        steps: &[
            "GPO: Computer Configuration > Administrative Templates > System > Credentials Delegation > Encryption Oracle Remediation = Enabled, Protection Level: Vulnerable",
            "Registry: reg add HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\System\\CredSSP\\Parameters /v AllowEncryptionOracle /t REG_DWORD /d 2 /f",
            "Connect, patch the server, then undo this at once",
        ],
        undo: Some(
            "reg delete HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\System\\CredSSP\\Parameters /v AllowEncryptionOracle /f   (or set the GPO back to Not Configured)",
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
        steps: &[
            "Use the DNS computer name the server announces (see the evidence), not an IP address or alias: Kerberos needs a name with a registered SPN (TERMSRV/<fqdn>)",
            "setspn -L <computer name>   # on a domain machine: lists the server's TERMSRV SPNs",
        ],
        undo: None,
        security_note: None,
    },
    Remedy {
        id: "server.check_ntlm_policy",
        audience: Audience::ServerAdmin,
        title: "Check whether NTLM is restricted for incoming connections",
        platform: "Windows Server",
        steps: &[
            "GPO: Computer Configuration > Windows Settings > Security Settings > Local Policies > Security Options > Network security: Restrict NTLM: Incoming NTLM traffic",
            "Get-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\MSV1_0' -Name RestrictReceivingNTLMTraffic",
            "If NTLM must stay restricted, make clients use Kerberos (domain-joined, FQDN, reachable KDC or a KDC proxy)",
        ],
        undo: None,
        security_note: Some(
            "Restricting NTLM is a deliberate hardening; lift it only with the security owner's agreement.",
        ),
    },
    Remedy {
        id: "server.disable_weak_ciphers",
        audience: Audience::ServerAdmin,
        title: "Remove broken and non-forward-secret cipher suites",
        platform: "Windows Server / xrdp",
        steps: &[
            "Windows: Get-TlsCipherSuite | Format-Table Name   # what Schannel offers",
            "Windows: Disable-TlsCipherSuite -Name 'TLS_RSA_WITH_3DES_EDE_CBC_SHA'   # repeat per weak suite named in the evidence",
            "Windows (GPO): Computer Configuration > Administrative Templates > Network > SSL Configuration Settings > SSL Cipher Suite Order",
            "xrdp: tls_ciphers=HIGH:!aNULL:!eNULL:!3DES:!RC4:!kRSA in /etc/xrdp/xrdp.ini, then systemctl restart xrdp",
        ],
        undo: Some(
            "Windows: Enable-TlsCipherSuite -Name '<suite>' (or reset the GPO); xrdp: restore the previous tls_ciphers line",
        ),
        security_note: None,
    },
    Remedy {
        id: "server.enable_tls13",
        audience: Audience::ServerAdmin,
        title: "Offer TLS 1.3 where the platform supports it",
        platform: "Windows Server 2022+ / xrdp",
        steps: &[
            "Windows Server 2022 and later: TLS 1.3 is on unless disabled: Get-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.3\\Server' (Enabled should be 1 or absent)",
            "Windows Server 2019 and older cannot offer TLS 1.3",
            "xrdp: ssl_protocols=TLSv1.2, TLSv1.3 in /etc/xrdp/xrdp.ini, then systemctl restart xrdp",
        ],
        undo: Some("Restore the previous registry value or ssl_protocols line"),
        security_note: None,
    },
];
