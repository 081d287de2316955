//! Client-side remedies: a clean minimal .rdp file, clearing the Windows client's cached state, another
//! client to compare with, smaller display settings, and FreeRDP's own diagnostics.

use crate::finding::{Audience, Impact, Remedy};

/// This file's remedies.
pub static REMEDIES: &[Remedy] = &[
    Remedy {
        id: "client.clean_rdp_file",
        audience: Audience::ClientUser,
        title: "Connect with a clean, minimal .rdp file",
        platform: "mstsc / any RDP client",
        impact: Impact::Change,
        preconditions: &[],
        steps: &[
            "rdp-doctor rdpfile clean <file>.rdp -o <file>-clean.rdp   # writes one from the old file (UTF-16LE, as mstsc) and lists what it dropped; --in-place keeps <file>.rdp.bak",
            "Keep a copy of the old .rdp file; write a new one with only these lines:",
            "full address:s:<host>[:<port>]",
            "username:s:<DOMAIN\\user>",
            "prompt for credentials:i:1",
            "authentication level:i:2   # warn when the server cannot be verified",
            "With a gateway only: gatewayhostname:s:<gateway> and gatewayusagemethod:i:1",
            "Open it with mstsc <file>.rdp, or start without a file: mstsc /v:<host>",
            "mstsc also reuses the hidden Default.rdp in Documents: rename it to start from defaults",
        ],
        undo: Some("Use the saved copy of the old file (and rename Default.rdp back)"),
        risk: None,
        security_note: None,
    },
    Remedy {
        id: "client.clear_client_cache",
        audience: Audience::ClientUser,
        title: "Clear the Windows Remote Desktop client's cached state",
        platform: "Windows client (mstsc)",
        impact: Impact::Change,
        preconditions: &["Close every Remote Desktop window"],
        steps: &[
            "reg export \"HKCU\\Software\\Microsoft\\Terminal Server Client\" \"%USERPROFILE%\\tsclient-backup.reg\"   # keep a copy",
            "Remove-Item \"$env:LOCALAPPDATA\\Microsoft\\Terminal Server Client\\Cache\\*\"   # the bitmap cache",
            "reg delete \"HKCU\\Software\\Microsoft\\Terminal Server Client\\Servers\\<host>\" /f   # remembered user name and accepted certificate for this server",
            "reg delete \"HKCU\\Software\\Microsoft\\Terminal Server Client\\Default\" /f   # the list of recent servers",
            "Rename the hidden Default.rdp in Documents to start from default settings",
            "cmdkey /delete:TERMSRV/<host>   # saved credentials for this server",
        ],
        undo: Some(
            "reg import \"%USERPROFILE%\\tsclient-backup.reg\"; rename Default.rdp back; the bitmap cache rebuilds itself",
        ),
        risk: Some("The next connection asks again for the password and to accept the server's certificate."),
        security_note: None,
    },
    Remedy {
        id: "client.windows_app",
        audience: Audience::ClientUser,
        title: "Compare with another client: Windows App (Microsoft Store) or FreeRDP",
        platform: "Windows, macOS, iOS, Android, Linux",
        impact: Impact::Inspect,
        preconditions: &[],
        steps: &[
            "Install Windows App from the Microsoft Store (also on macOS, iOS and Android) and add the PC by name, or subscribe to the workspace feed for published RemoteApp programs and desktops",
            "Linux: FreeRDP 3 (sdl-freerdp or xfreerdp) or Remmina",
            "If the other client connects where this one fails, the problem is this client's settings, cache or policy, not the server",
        ],
        undo: None,
        risk: None,
        security_note: None,
    },
    Remedy {
        id: "client.reduce_display",
        audience: Audience::ClientUser,
        title: "Ask for a smaller display: one monitor, a common resolution",
        platform: "mstsc / FreeRDP",
        impact: Impact::Change,
        preconditions: &[],
        steps: &[
            "mstsc: Display tab: one monitor and a smaller resolution; Experience tab: a slower connection type",
            ".rdp: use multimon:i:0, desktopwidth:i:1920, desktopheight:i:1080",
            "FreeRDP: drop /multimon and /span; use /size:1920x1080",
        ],
        undo: Some("Set the display options back to their previous values"),
        risk: None,
        security_note: None,
    },
    Remedy {
        id: "client.freerdp_debug",
        audience: Audience::ClientUser,
        title: "Let FreeRDP say which phase failed",
        platform: "FreeRDP (xfreerdp, sdl-freerdp)",
        impact: Impact::Inspect,
        preconditions: &[],
        steps: &[
            "xfreerdp /v:<host> /u:<user> /log-level:DEBUG 2>&1 | tee freerdp.log   # the first ERROR line names the failing phase",
            "xfreerdp /v:<host> /u:<user> +auth-only   # stops after authentication: a logon problem or a session problem?",
            "Try one security protocol at a time: /sec:nla, /sec:tls, /sec:rdp",
        ],
        undo: None,
        risk: None,
        security_note: None,
    },
];
