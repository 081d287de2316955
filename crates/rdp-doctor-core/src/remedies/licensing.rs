//! Remedies for Remote Desktop licensing (MS-RDPELE): the session host's license server and mode, and
//! the license a Windows client stores.

use crate::finding::{Audience, Impact, Remedy};

/// This file's remedies.
pub static REMEDIES: &[Remedy] = &[
    Remedy {
        id: "server.rd_licensing",
        audience: Audience::ServerAdmin,
        title: "Point the session host at a working license server, in the right licensing mode",
        platform: "Windows Server (RD Session Host)",
        impact: Impact::Change,
        preconditions: &[
            "The server has the RD Session Host role (without it, two administrative sessions need no licenses)",
            "Know which CALs you own: Per User or Per Device",
        ],
        steps: &[
            "$ts = Get-CimInstance -Namespace root/cimv2/TerminalServices -ClassName Win32_TerminalServiceSetting; $ts.LicensingType; $ts | Invoke-CimMethod -MethodName GetSpecifiedLicenseServerList",
            "Policy: Computer Configuration > Administrative Templates > Windows Components > Remote Desktop Services > Remote Desktop Session Host > Licensing > Use the specified Remote Desktop license servers, and Set the Remote Desktop licensing mode",
            "RDS deployment: Set-RDLicenseConfiguration -LicenseServer <server> -Mode PerUser -ConnectionBroker <broker>   # or PerDevice",
            "On the license server: RD Licensing Diagnoser (lsdiag.msc) and RD Licensing Manager (licmgr.exe): activated, CALs installed and available",
            "Test-NetConnection <license server> -Port 135   # the session host must reach it over RPC",
        ],
        undo: Some(
            "Set the licensing policies back to the values recorded first; Set-RDLicenseConfiguration with the previous server and mode",
        ),
        risk: Some("A mode that does not match the CALs leaves clients without licenses once the grace period ends."),
        security_note: None,
    },
    Remedy {
        id: "client.clear_license_cache",
        audience: Audience::ClientUser,
        title: "Clear the license the Windows client stored",
        platform: "Windows client (administrator)",
        impact: Impact::Change,
        preconditions: &["One client (or a few) fails with a licensing code while others connect"],
        steps: &[
            "reg export HKLM\\SOFTWARE\\Microsoft\\MSLicensing %USERPROFILE%\\MSLicensing-backup.reg   # keep a copy",
            "reg delete HKLM\\SOFTWARE\\Microsoft\\MSLicensing /f",
            "Start mstsc once with 'Run as administrator' so it can re-create the key, and connect; later runs need no administrator",
        ],
        undo: Some("reg import %USERPROFILE%\\MSLicensing-backup.reg"),
        risk: Some(
            "The client asks for a new license; with Per Device CALs that takes another one until the old one expires.",
        ),
        security_note: None,
    },
];
