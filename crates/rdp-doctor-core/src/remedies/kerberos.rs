//! Remedies for Kerberos failures (MS-KILE; Active Directory account and domain policy).

use crate::finding::{Audience, Impact, Remedy};

/// This file's remedies.
pub static REMEDIES: &[Remedy] = &[
    Remedy {
        id: "server.kerberos_protected_users",
        audience: Audience::ServerAdmin,
        title: "Find the Protected Users membership or authentication policy that refuses the logon",
        platform: "Active Directory",
        impact: Impact::SecurityChange,
        preconditions: &[
            "The failing account is known (the evidence names it) and you administer its domain",
            "The user was told first that Protected Users cannot use NTLM, delegation or cached logons by design",
        ],
        steps: &[
            "Get-ADGroupMember 'Protected Users' | Where-Object SamAccountName -eq '<user>'   # is the account in Protected Users?",
            "Get-ADUser <user> -Properties msDS-AssignedAuthNPolicy,msDS-AssignedAuthNPolicySilo,LogonWorkstations,LogonHours",
            "On a domain controller: Get-WinEvent -LogName 'Microsoft-Windows-Authentication/ProtectedUserFailures-DomainController' -MaxEvents 20 | Format-List TimeCreated,Message",
            "Preferred fix: make the client use Kerberos (connect by the server's FQDN, see client.use_kerberos_name), which Protected Users allow",
            "Only if the account must log on with NTLM: Remove-ADGroupMember 'Protected Users' -Members <user>",
        ],
        undo: Some("Add-ADGroupMember 'Protected Users' -Members <user>"),
        risk: Some("Removing an account from Protected Users re-enables NTLM, RC4 and credential caching for it."),
        security_note: Some(
            "Protected Users is a deliberate protection for privileged accounts: taking an account out of it weakens security; fix the Kerberos path instead wherever possible.",
        ),
    },
    Remedy {
        id: "server.kerberos_encryption_types",
        audience: Audience::ServerAdmin,
        title: "Give the account and the computers a common Kerberos encryption type (AES)",
        platform: "Active Directory / Windows",
        impact: Impact::SecurityChange,
        preconditions: &["The account's password was set before the domain had AES keys, or RC4 was disabled"],
        steps: &[
            "Get-ADUser <user> -Properties msDS-SupportedEncryptionTypes,PasswordLastSet   # 0x18 = AES128+AES256",
            "Reset the account's password once (AES keys are made when a password is set at domain functional level 2008 or later)",
            "Set-ADUser <user> -Replace @{'msDS-SupportedEncryptionTypes'=0x18}   # AES only; the same for the server's computer account if needed",
            "GPO: Computer Configuration > Windows Settings > Security Settings > Local Policies > Security Options > Network security: Configure encryption types allowed for Kerberos (AES128, AES256 and Future)",
            "klist purge on the client, then connect again",
        ],
        undo: Some(
            "Set msDS-SupportedEncryptionTypes back to its previous value (read it first); the password reset cannot be undone but needs no undo",
        ),
        risk: Some("Old clients or services that only speak RC4 stop getting tickets for that account."),
        security_note: None,
    },
];
