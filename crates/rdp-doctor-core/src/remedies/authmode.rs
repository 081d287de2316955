//! Remedies for Restricted Admin mode and Remote Credential Guard (`catalogue/authmode.rs`).

use crate::finding::{Audience, Impact, Remedy};

/// This file's remedies.
pub static REMEDIES: &[Remedy] = &[
    Remedy {
        id: "server.enable_restricted_admin",
        audience: Audience::ServerAdmin,
        title: "Allow Restricted Admin and Remote Credential Guard logons on the server",
        platform: "Windows Server 2016+ / Windows 10 1607+ (Restricted Admin alone: 2012 R2 / 8.1)",
        impact: Impact::SecurityChange,
        preconditions: &[
            "The clients that need these modes are known (administrators connecting from managed devices)",
            "Remote Credential Guard is preferred where the clients support it: the user's credentials stay on the client and the session acts as the user",
        ],
        steps: &[
            "Get-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Lsa' -Name DisableRestrictedAdmin   # absent or 1: the modes are refused",
            "reg add HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa /v DisableRestrictedAdmin /t REG_DWORD /d 0 /f",
            "No restart of the Remote Desktop service is needed; connect again with mstsc /remoteGuard or mstsc /restrictedAdmin",
        ],
        undo: Some(
            "reg add HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa /v DisableRestrictedAdmin /t REG_DWORD /d 1 /f",
        ),
        risk: Some(
            "Restricted Admin sessions authenticate to the network as the server's computer account, and an administrator's NT hash alone is then enough to log on in that mode (pass-the-hash into Restricted Admin sessions).",
        ),
        security_note: Some(
            "Allowing Restricted Admin widens what a stolen administrator hash can do; Remote Credential Guard does not have that weakness. Enable it only for the administrators and servers that need it.",
        ),
    },
    Remedy {
        id: "client.remote_guard_requirements",
        audience: Audience::ClientUser,
        title: "Meet Remote Credential Guard's requirements (Kerberos to the server by its name)",
        platform: "Windows 10 1607+ / Windows 11 client",
        impact: Impact::Inspect,
        preconditions: &["The client and the server are in the same Active Directory domain or in trusting domains"],
        steps: &[
            "Connect by the server's DNS name, not its IP address: mstsc /remoteGuard /v:server.corp.example",
            "klist get TERMSRV/server.corp.example   # the client must get a Kerberos ticket for the server's SPN",
            "setspn -Q TERMSRV/server.corp.example   # the SPN exists on the server's computer account",
            "The server runs Windows 10 1607 / Server 2016 or later and allows the mode (DisableRestrictedAdmin = 0)",
            "Remote Credential Guard logs on with the client's own account: credentials typed for another user are not possible",
        ],
        undo: None,
        risk: None,
        security_note: None,
    },
    Remedy {
        id: "client.restricted_admin_requirements",
        audience: Audience::ClientUser,
        title: "Meet Restricted Admin mode's requirements (a local administrator of the server)",
        platform: "Windows client",
        impact: Impact::Inspect,
        preconditions: &[],
        steps: &[
            "On the server: Get-LocalGroupMember Administrators   # Restricted Admin accepts only members of the local Administrators group",
            "Connect with mstsc /restrictedAdmin /v:server; the session reaches the network as the server's computer account, not as the user",
            "For users who are not administrators, connect without /restrictedAdmin (or use /remoteGuard)",
        ],
        undo: None,
        risk: None,
        security_note: None,
    },
];
