//! Remedies for NLA used as a diagnosis step (with its cost) and for credential delegation policy. The
//! CredSSP update and its "encryption oracle remediation" bridge are in `security.rs`.

use crate::finding::{Audience, Impact, Remedy};

/// This file's remedies.
pub static REMEDIES: &[Remedy] = &[
    Remedy {
        id: "server.security_layer_diagnosis",
        audience: Audience::ServerAdmin,
        title: "Diagnosis step: test the connection with NLA off, then put it back",
        platform: "Windows Server",
        impact: Impact::SecurityChange,
        preconditions: &[
            "Console or other out-of-band access to the server",
            "rdp-doctor check shows the server reaches TLS and the client fails at or after it",
            "A short window from a restricted network: this is a test, reverted the same day",
        ],
        steps: &[
            "Get-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp' -Name SecurityLayer,UserAuthentication   # record them: SecurityLayer 0 = RDP, 1 = Negotiate, 2 = SSL (TLS); UserAuthentication 1 = NLA required",
            "Set-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp' -Name UserAuthentication -Value 0   # new connections no longer need NLA",
            "If the connection now works, the failure is in CredSSP/NLA (update level, delegation policy, account, domain): fix that and put NLA back",
            "Group Policy overrides the registry: Computer Configuration > Administrative Templates > Windows Components > Remote Desktop Services > Remote Desktop Session Host > Security > 'Require user authentication for remote connections by using Network Level Authentication' and 'Require use of specific security layer for remote (RDP) connections'; check with gpresult /h rsop.html",
        ],
        undo: Some(
            "Set-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp' -Name UserAuthentication -Value 1; Set-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp' -Name SecurityLayer -Value <recorded value> (2 = SSL is the secure choice); set the policies back",
        ),
        risk: Some(
            "While NLA is off, anyone who reaches the port gets a logon screen and a session before authenticating: more exposure to password guessing and to pre-authentication flaws such as BlueKeep (CVE-2019-0708).",
        ),
        security_note: Some(
            "Turning NLA off, or choosing the RDP security layer, weakens security: do it only briefly, from a restricted network, as a test, and put it back.",
        ),
    },
    Remedy {
        id: "client.allow_credential_delegation",
        audience: Audience::ClientUser,
        title: "Allow the client to delegate credentials to this server (after trying Kerberos by FQDN)",
        platform: "Windows client (administrator or GPO)",
        impact: Impact::SecurityChange,
        preconditions: &[
            "Connecting with the server's FQDN (so Kerberos can authenticate it) was tried first",
            "The error is a delegation-policy one (SSL_ERR_DELEGATION_POLICY, SSL_ERR_POLICY_NTLM_ONLY, SEC_E_DELEGATION_POLICY)",
        ],
        steps: &[
            "gpresult /h rsop.html   # Computer Configuration > Administrative Templates > System > Credentials Delegation",
            "Allow delegating fresh credentials = Enabled, server list TERMSRV/<server fqdn> (or TERMSRV/*.corp.example)",
            "Only for servers that can be authenticated with NTLM alone: Allow delegating fresh credentials with NTLM-only server authentication, same list",
            "gpupdate /force, then connect again",
        ],
        undo: Some("Remove the server from the lists, or set the policies back to Not Configured; gpupdate /force"),
        risk: Some(
            "With NTLM-only server authentication the client cannot be sure it hands the password to the right server; keep the list narrow (no bare TERMSRV/*) and prefer fixing Kerberos (FQDN, SPN).",
        ),
        security_note: Some(
            "'with NTLM-only server authentication' weakens protection against an impersonated server: use it only for named servers that cannot use Kerberos.",
        ),
    },
];
