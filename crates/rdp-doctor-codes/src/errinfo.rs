//! The server's reason: `errorInfo` of the Set Error Info PDU.
//!
//! MS-RDPBCGR 2.2.5.1.1 TS_SET_ERROR_INFO_PDU: a Share Data PDU (pduType2 = 47) on the MCS I/O channel
//! with one 32-bit `errorInfo`, sent only to clients that set RNS_UD_CS_SUPPORT_ERRINFO_PDU, after which
//! the server MUST disconnect. Values cross-checked with FreeRDP (`include/freerdp/error.h`,
//! `libfreerdp/core/errinfo.c`; the name table of libfreerdp2 2.11.7 as shipped in Debian 12 was read
//! value by value) and IronRDP (`ironrdp-pdu/src/rdp/server_error_info.rs`); the two agree on every value
//! except FreeRDP's own `ERRINFO_PEER_DISCONNECTED`. The RDP-specific codes' meanings summarise the
//! conditions MS-RDPBCGR lists for each (the section it names is the one to read for details).

use crate::advice::*;
use crate::{Code, Family, Group, Kind, Shape, Status};

/// The family.
pub static FAMILY: Family = Family {
    kind: Kind::Errinfo,
    id: "errinfo",
    title: "Server error info (ERRINFO)",
    seen_as: "FreeRDP and IronRDP logs (\"ERRINFO_…\"), rdp-doctor's credentialed check, packet captures; mstsc shows the same value as the extended error code",
    about: "The reason a server gives for ending a connection: the errorInfo field of its Set Error Info PDU (MS-RDPBCGR 2.2.5.1.1), sent on the MCS I/O channel just before it disconnects. Because it travels inside the RDP connection, a non-zero value means the connection had already passed TCP, the security negotiation, TLS or NLA, and MCS setup.",
    not_to_confuse: "ERRINFO values are not Win32 error codes; 7 here is \"server denied the connection\", not ERROR_ARENA_TRASHED.",
    sources: &[
        "MS-RDPBCGR 2.2.5.1.1 Set Error Info PDU Data: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/a21a1bd9-2303-49c1-90ec-3932435c248c",
        "FreeRDP include/freerdp/error.h and libfreerdp/core/errinfo.c (checked against libfreerdp2 2.11.7)",
        "IronRDP crates/ironrdp-pdu/src/rdp/server_error_info.rs",
    ],
    shape: Shape::Exact,
    freerdp_class: Some(1),
    codes: CODES,
    groups: GROUPS,
};

static GROUPS: &[Group] = &[
    Group {
        name: "licensing",
        first: 0x100,
        last: 0x10A,
        about: "Remote Desktop licensing (MS-RDPELE) failed.",
        advice: Some(&LICENSING_SERVER),
    },
    Group {
        name: "connection broker",
        first: 0x400,
        last: 0x412,
        about: "The RD Connection Broker could not route the connection to a session host or virtual machine.",
        advice: Some(&BROKER),
    },
    Group {
        name: "RDP-specific (protocol)",
        first: crate::extended::PROTOCOL_RANGE.0,
        last: crate::extended::PROTOCOL_RANGE.1,
        about: "The server found something wrong in the RDP data the client sent, or failed itself while processing it.",
        advice: Some(&PROTOCOL_ERROR),
    },
];

const FREERDP_ONLY: Status = Status::Implementation;

static CODES: &[Code] = &[
    // Protocol-independent codes.
    Code::new(0x0, "ERRINFO_NONE", "No error; the value carries no information.")
        .note("FreeRDP names 0 ERRINFO_SUCCESS"),
    Code::new(0x1, "ERRINFO_RPC_INITIATED_DISCONNECT", "An administrative tool in another session on the server disconnected this one.")
        .advice(&ADMIN_ENDED),
    Code::new(0x2, "ERRINFO_RPC_INITIATED_LOGOFF", "An administrative tool in another session on the server logged this session off.")
        .advice(&ADMIN_ENDED),
    Code::new(0x3, "ERRINFO_IDLE_TIMEOUT", "The server's idle-session time limit ran out.").advice(&SESSION_TIME_LIMITS),
    Code::new(0x4, "ERRINFO_LOGON_TIMEOUT", "The server's active-session time limit ran out.").advice(&SESSION_TIME_LIMITS),
    Code::new(0x5, "ERRINFO_DISCONNECTED_BY_OTHER_CONNECTION", "Another connection took the session over.")
        .advice(&REPLACED_BY_OTHER),
    Code::new(0x6, "ERRINFO_OUT_OF_MEMORY", "The server ran out of memory.").advice(&SERVER_RESOURCES),
    Code::new(
        0x7,
        "ERRINFO_SERVER_DENIED_CONNECTION",
        "The server denied the connection: it refused the session on purpose, after the connection was set up.",
    )
    .advice(&SERVER_DENIED)
    .findings(&["server.denied_connection"]),
    Code::new(0x8, "ERRINFO_SERVER_DENIED_CONNECTION_FIPS", "The server denied the connection for security reasons (FIPS).")
        .status(
            Status::Unverified,
            "defined by rdesktop and by Microsoft's ExtendedDisconnectReasonCode (8); absent from FreeRDP and IronRDP, and its place in MS-RDPBCGR is not confirmed",
        )
        .advice(&SECURITY_LAYER_ERROR),
    Code::new(0x9, "ERRINFO_SERVER_INSUFFICIENT_PRIVILEGES", "The user is not allowed to connect to this server.")
        .advice(&INSUFFICIENT_PRIVILEGES)
        .findings(&["server.insufficient_privileges"])
        .see(&[(Kind::Authz, 0x5), (Kind::Freerdp, 0xA)]),
    Code::new(
        0xA,
        "ERRINFO_SERVER_FRESH_CREDENTIALS_REQUIRED",
        "The server does not accept saved credentials; they must be typed for each connection.",
    )
    .advice(&FRESH_CREDENTIALS)
    .findings(&["server.fresh_credentials_required"])
    .see(&[(Kind::Disconnect, 0x2107)]),
    Code::new(0xB, "ERRINFO_RPC_INITIATED_DISCONNECT_BY_USER", "A tool running inside the user's own session disconnected it.")
        .advice(&ADMIN_ENDED),
    Code::new(0xC, "ERRINFO_LOGOFF_BY_USER", "The user logged off."),
    Code::new(0xF, "ERRINFO_CLOSE_STACK_ON_DRIVER_NOT_READY", "The remote session's display driver did not report ready in time at start-up.")
        .advice(&SERVER_RESOURCES),
    Code::new(0x10, "ERRINFO_SERVER_DWM_CRASH", "The Desktop Window Manager of the remote session crashed.")
        .advice(&SERVER_RESOURCES),
    Code::new(0x11, "ERRINFO_CLOSE_STACK_ON_DRIVER_FAILURE", "The remote session's display driver failed during start-up.")
        .advice(&SERVER_RESOURCES),
    Code::new(
        0x12,
        "ERRINFO_CLOSE_STACK_ON_DRIVER_IFACE_FAILURE",
        "The remote session's display driver started but the remoting stack could not use it.",
    )
    .advice(&SERVER_RESOURCES),
    Code::new(0x17, "ERRINFO_SERVER_WINLOGON_CRASH", "Winlogon in the remote session crashed.").advice(&SERVER_RESOURCES),
    Code::new(0x18, "ERRINFO_SERVER_CSRSS_CRASH", "CSRSS in the remote session crashed.").advice(&SERVER_RESOURCES),
    // Licensing codes.
    Code::new(0x100, "ERRINFO_LICENSE_INTERNAL", "The server's licensing component hit an internal error.")
        .advice(&LICENSING_SERVER)
        .findings(&["license.internal"]),
    Code::new(0x101, "ERRINFO_LICENSE_NO_LICENSE_SERVER", "No Remote Desktop license server could be found to issue a license.")
        .advice(&LICENSING_SERVER)
        .findings(&["license.no_license_server"]),
    Code::new(0x102, "ERRINFO_LICENSE_NO_LICENSE", "No Client Access Licenses are available for this server.")
        .advice(&LICENSING_SERVER)
        .findings(&["license.no_license"]),
    Code::new(0x103, "ERRINFO_LICENSE_BAD_CLIENT_MSG", "The server received an invalid licensing message from the client.")
        .advice(&LICENSING_PROTOCOL)
        .findings(&["license.bad_client_msg"]),
    Code::new(0x104, "ERRINFO_LICENSE_HWID_DOESNT_MATCH_LICENSE", "The license stored by the client was modified.")
        .advice(&LICENSING_CLIENT)
        .findings(&["license.hwid_mismatch"]),
    Code::new(0x105, "ERRINFO_LICENSE_BAD_CLIENT_LICENSE", "The license stored by the client is malformed.")
        .advice(&LICENSING_CLIENT)
        .findings(&["license.bad_client_license"]),
    Code::new(0x106, "ERRINFO_LICENSE_CANT_FINISH_PROTOCOL", "Network problems cut the licensing exchange short.")
        .advice(&LICENSING_PROTOCOL)
        .findings(&["license.cant_finish_protocol"]),
    Code::new(0x107, "ERRINFO_LICENSE_CLIENT_ENDED_PROTOCOL", "The client ended the licensing exchange early.")
        .advice(&LICENSING_PROTOCOL)
        .findings(&["license.client_ended_protocol"]),
    Code::new(0x108, "ERRINFO_LICENSE_BAD_CLIENT_ENCRYPTION", "A licensing message was encrypted wrongly.")
        .advice(&LICENSING_PROTOCOL)
        .findings(&["license.bad_client_encryption"]),
    Code::new(0x109, "ERRINFO_LICENSE_CANT_UPGRADE_LICENSE", "The license stored by the client could not be upgraded or renewed.")
        .advice(&LICENSING_CLIENT)
        .findings(&["license.cant_upgrade_license"]),
    Code::new(0x10A, "ERRINFO_LICENSE_NO_REMOTE_CONNECTIONS", "The server is not licensed to accept remote connections.")
        .advice(&LICENSING_SERVER)
        .findings(&["license.no_remote_connections"]),
    // Connection broker codes (advice from the group).
    Code::new(0x400, "ERRINFO_CB_DESTINATION_NOT_FOUND", "The broker could not find the target endpoint."),
    Code::new(0x402, "ERRINFO_CB_LOADING_DESTINATION", "The target endpoint is disconnecting from the broker."),
    Code::new(0x404, "ERRINFO_CB_REDIRECTING_TO_DESTINATION", "Redirecting the connection to the target endpoint failed."),
    Code::new(0x405, "ERRINFO_CB_SESSION_ONLINE_VM_WAKE", "Waking the target virtual machine failed."),
    Code::new(0x406, "ERRINFO_CB_SESSION_ONLINE_VM_BOOT", "Starting the target virtual machine failed."),
    Code::new(0x407, "ERRINFO_CB_SESSION_ONLINE_VM_NO_DNS", "The target virtual machine's IP address could not be determined."),
    Code::new(0x408, "ERRINFO_CB_DESTINATION_POOL_NOT_FREE", "No endpoint of the broker's pool is free."),
    Code::new(0x409, "ERRINFO_CB_CONNECTION_CANCELLED", "Processing of the connection was cancelled."),
    Code::new(
        0x410,
        "ERRINFO_CB_CONNECTION_ERROR_INVALID_SETTINGS",
        "The routing token in the client's X.224 Connection Request could not be validated.",
    ),
    Code::new(0x411, "ERRINFO_CB_SESSION_ONLINE_VM_BOOT_TIMEOUT", "Starting the target virtual machine timed out."),
    Code::new(0x412, "ERRINFO_CB_SESSION_ONLINE_VM_SESSMON_FAILED", "Session monitoring failed while starting the target virtual machine."),
    // RDP-specific codes.
    Code::new(0x10C9, "ERRINFO_UNKNOWN_DATA_PDU_TYPE", "A Share Data Header carried a pduType2 the server does not know (2.2.8.1.1.1.2)."),
    Code::new(0x10CA, "ERRINFO_UNKNOWN_PDU_TYPE", "A Share Control Header carried a pduType the server does not know (2.2.8.1.1.1.1)."),
    Code::new(0x10CB, "ERRINFO_DATA_PDU_SEQUENCE", "A slow-path data PDU arrived out of sequence."),
    Code::new(0x10CD, "ERRINFO_CONTROL_PDU_SEQUENCE", "A slow-path non-data PDU arrived out of sequence."),
    Code::new(0x10CE, "ERRINFO_INVALID_CONTROL_PDU_ACTION", "A Control PDU had an invalid action (2.2.1.15, 2.2.1.16)."),
    Code::new(0x10CF, "ERRINFO_INVALID_INPUT_PDU_TYPE", "An input event had an invalid type or event code."),
    Code::new(0x10D0, "ERRINFO_INVALID_INPUT_PDU_MOUSE", "A mouse event had invalid pointer flags."),
    Code::new(0x10D1, "ERRINFO_INVALID_REFRESH_RECT_PDU", "A Refresh Rect PDU was invalid (2.2.11.2)."),
    Code::new(0x10D2, "ERRINFO_CREATE_USER_DATA_FAILED", "The server could not build its GCC Conference Create Response data (2.2.1.4)."),
    Code::new(0x10D3, "ERRINFO_CONNECT_FAILED", "The channel connection phase of the connection sequence failed."),
    Code::new(0x10D4, "ERRINFO_CONFIRM_ACTIVE_HAS_WRONG_SHAREID", "The client's Confirm Active PDU had a wrong shareId."),
    Code::new(0x10D5, "ERRINFO_CONFIRM_ACTIVE_HAS_WRONG_ORIGINATOR", "The client's Confirm Active PDU had a wrong originatorId."),
    Code::new(0x10DA, "ERRINFO_PERSISTENT_KEY_PDU_BAD_LENGTH", "A Persistent Key List PDU was too short (2.2.1.17)."),
    Code::new(0x10DB, "ERRINFO_PERSISTENT_KEY_PDU_ILLEGAL_FIRST", "A second Persistent Key List PDU was marked as the first one."),
    Code::new(0x10DC, "ERRINFO_PERSISTENT_KEY_PDU_TOO_MANY_TOTAL_KEYS", "A Persistent Key List PDU announced more than 262,144 bitmap cache entries in total."),
    Code::new(0x10DD, "ERRINFO_PERSISTENT_KEY_PDU_TOO_MANY_CACHE_KEYS", "A Persistent Key List PDU announced more keys for a cache than that cache holds."),
    Code::new(0x10DE, "ERRINFO_INPUT_PDU_BAD_LENGTH", "An input PDU (slow-path or fast-path) was too short."),
    Code::new(0x10DF, "ERRINFO_BITMAP_CACHE_ERROR_PDU_BAD_LENGTH", "A Bitmap Cache Error PDU was too short (MS-RDPEGDI)."),
    Code::new(0x10E0, "ERRINFO_SECURITY_DATA_TOO_SHORT", "Security data (a fast-path signature or FIPS information) was too short."),
    Code::new(0x10E1, "ERRINFO_VCHANNEL_DATA_TOO_SHORT", "Virtual channel data (the channel list or a channel PDU header) was too short."),
    Code::new(0x10E2, "ERRINFO_SHARE_DATA_TOO_SHORT", "A share, control or font-list structure was too short."),
    Code::new(0x10E3, "ERRINFO_BAD_SUPPRESS_OUTPUT_PDU", "A Suppress Output PDU was too short or had an invalid field (2.2.11.3)."),
    Code::new(0x10E5, "ERRINFO_CONFIRM_ACTIVE_PDU_TOO_SHORT", "A Confirm Active PDU was too short."),
    Code::new(0x10E7, "ERRINFO_CAPABILITY_SET_TOO_SMALL", "A capability set header was too short."),
    Code::new(0x10E8, "ERRINFO_CAPABILITY_SET_TOO_LARGE", "A capability set claimed to be longer than the data that carried it."),
    Code::new(0x10E9, "ERRINFO_NO_CURSOR_CACHE", "The client's pointer capability set announced no pointer cache."),
    Code::new(0x10EA, "ERRINFO_BAD_CAPABILITIES", "The server rejected the capabilities in the client's Confirm Active PDU."),
    Code::new(0x10EC, "ERRINFO_VIRTUAL_CHANNEL_DECOMPRESSION", "Decompressing a virtual channel PDU failed."),
    Code::new(0x10ED, "ERRINFO_INVALID_VC_COMPRESSION_TYPE", "A virtual channel PDU named an invalid compression type."),
    Code::new(0x10EF, "ERRINFO_INVALID_CHANNEL_ID", "A virtual channel PDU named an invalid MCS channel."),
    Code::new(0x10F0, "ERRINFO_VCHANNELS_TOO_MANY", "The client asked for more than 31 static virtual channels."),
    Code::new(0x10F3, "ERRINFO_REMOTEAPP_NOT_ENABLED", "The server only hosts RemoteApp programs: the client must ask for RemoteApp (INFO_RAIL).")
        .advice(&REMOTEAPP_ONLY),
    Code::new(0x10F4, "ERRINFO_CACHE_CAP_NOT_SET", "A Persistent Key List PDU came without the revision 2 bitmap cache capability set."),
    Code::new(0x10F5, "ERRINFO_BITMAP_CACHE_ERROR_PDU_BAD_LENGTH2", "A Bitmap Cache Error PDU's block count does not match its data."),
    Code::new(0x10F6, "ERRINFO_OFFSCREEN_CACHE_ERROR_PDU_BAD_LENGTH", "An Offscreen Bitmap Cache Error PDU was too short."),
    Code::new(0x10F7, "ERRINFO_DRAWNINEGRID_CACHE_ERROR_PDU_BAD_LENGTH", "A DrawNineGrid Cache Error PDU was too short."),
    Code::new(0x10F8, "ERRINFO_GDIPLUS_PDU_BAD_LENGTH", "A GDI+ Error PDU was too short."),
    Code::new(0x1111, "ERRINFO_SECURITY_DATA_TOO_SHORT2", "A Basic Security Header was too short."),
    Code::new(0x1112, "ERRINFO_SECURITY_DATA_TOO_SHORT3", "A Non-FIPS or FIPS Security Header was too short."),
    Code::new(0x1113, "ERRINFO_SECURITY_DATA_TOO_SHORT4", "The Security Exchange PDU's header and length were cut short."),
    Code::new(0x1114, "ERRINFO_SECURITY_DATA_TOO_SHORT5", "The Info Packet's strings (domain, user name, password, shell, directory) were cut short."),
    Code::new(0x1115, "ERRINFO_SECURITY_DATA_TOO_SHORT6", "The Info Packet's fixed fields were cut short."),
    Code::new(0x1116, "ERRINFO_SECURITY_DATA_TOO_SHORT7", "The Extended Info Packet's client address family and length were cut short."),
    Code::new(0x1117, "ERRINFO_SECURITY_DATA_TOO_SHORT8", "The Extended Info Packet's client address was cut short."),
    Code::new(0x1118, "ERRINFO_SECURITY_DATA_TOO_SHORT9", "The Extended Info Packet's client directory length was cut short."),
    Code::new(0x1119, "ERRINFO_SECURITY_DATA_TOO_SHORT10", "The Extended Info Packet's client directory was cut short."),
    Code::new(0x111A, "ERRINFO_SECURITY_DATA_TOO_SHORT11", "The Extended Info Packet's client time zone was cut short."),
    Code::new(0x111B, "ERRINFO_SECURITY_DATA_TOO_SHORT12", "The Extended Info Packet's client session ID was cut short."),
    Code::new(0x111C, "ERRINFO_SECURITY_DATA_TOO_SHORT13", "The Extended Info Packet's performance flags were cut short."),
    Code::new(0x111D, "ERRINFO_SECURITY_DATA_TOO_SHORT14", "The Extended Info Packet's auto-reconnect cookie length was cut short."),
    Code::new(0x111E, "ERRINFO_SECURITY_DATA_TOO_SHORT15", "The Extended Info Packet's auto-reconnect cookie was cut short."),
    Code::new(0x111F, "ERRINFO_SECURITY_DATA_TOO_SHORT16", "The Extended Info Packet's auto-reconnect cookie is longer than allowed."),
    Code::new(0x1120, "ERRINFO_SECURITY_DATA_TOO_SHORT17", "The Extended Info Packet's client address family and length were cut short (the spec's second check of 0x1116)."),
    Code::new(0x1121, "ERRINFO_SECURITY_DATA_TOO_SHORT18", "The Extended Info Packet's client address was cut short (second check of 0x1117)."),
    Code::new(0x1122, "ERRINFO_SECURITY_DATA_TOO_SHORT19", "The Extended Info Packet's client directory length was cut short (second check of 0x1118)."),
    Code::new(0x1123, "ERRINFO_SECURITY_DATA_TOO_SHORT20", "The Extended Info Packet's client directory was cut short (second check of 0x1119)."),
    Code::new(0x1124, "ERRINFO_SECURITY_DATA_TOO_SHORT21", "The Extended Info Packet's client time zone was cut short (second check of 0x111A)."),
    Code::new(0x1125, "ERRINFO_SECURITY_DATA_TOO_SHORT22", "The Extended Info Packet's client session ID was cut short (second check of 0x111B)."),
    Code::new(0x1126, "ERRINFO_SECURITY_DATA_TOO_SHORT23", "The Client Info PDU data was too short."),
    Code::new(0x1129, "ERRINFO_BAD_MONITOR_DATA", "The Client Monitor Data had an invalid monitor count.").advice(&DISPLAY_LIMITS),
    Code::new(0x112A, "ERRINFO_VC_DECOMPRESSED_REASSEMBLE_FAILED", "Decompressed virtual channel data exceeded the chunk size, or the decompression buffer was invalid."),
    Code::new(0x112B, "ERRINFO_VC_DATA_TOO_LONG", "A virtual channel PDU was larger than the chunk size agreed in the capabilities."),
    Code::new(0x112C, "ERRINFO_BAD_FRAME_ACK_DATA", "A Frame Acknowledge PDU was too short (MS-RDPRFX)."),
    Code::new(0x112D, "ERRINFO_GRAPHICS_MODE_NOT_SUPPORTED", "The server does not support the graphics mode the client asked for.")
        .advice(&DISPLAY_LIMITS),
    Code::new(0x112E, "ERRINFO_GRAPHICS_SUBSYSTEM_RESET_FAILED", "The server's graphics subsystem failed to reset.").advice(&SERVER_RESOURCES),
    Code::new(0x112F, "ERRINFO_GRAPHICS_SUBSYSTEM_FAILED", "The server's graphics subsystem is in an error state and cannot go on encoding.")
        .advice(&SERVER_RESOURCES),
    Code::new(0x1130, "ERRINFO_TIMEZONE_KEY_NAME_LENGTH_TOO_SHORT", "The length of the dynamic time-zone key name was cut short."),
    Code::new(0x1131, "ERRINFO_TIMEZONE_KEY_NAME_LENGTH_TOO_LONG", "The dynamic time-zone key name was too long."),
    Code::new(0x1132, "ERRINFO_DYNAMIC_DST_DISABLED_FIELD_MISSING", "The dynamicDaylightTimeDisabled field was missing from the Extended Info Packet."),
    Code::new(0x1133, "ERRINFO_VC_DECODING_ERROR", "Dynamic virtual channel data could not be processed (MS-RDPEDYC)."),
    Code::new(0x1134, "ERRINFO_VIRTUALDESKTOPTOOLARGE", "The monitor layout makes a virtual desktop wider or taller than the server allows.")
        .advice(&DISPLAY_LIMITS),
    Code::new(0x1135, "ERRINFO_MONITORGEOMETRYVALIDATIONFAILED", "The monitor layout is invalid.").advice(&DISPLAY_LIMITS),
    Code::new(0x1136, "ERRINFO_INVALIDMONITORCOUNT", "The client announced too many monitors.").advice(&DISPLAY_LIMITS),
    Code::new(0x1191, "ERRINFO_UPDATE_SESSION_KEY_FAILED", "Updating the Standard RDP Security session keys failed.").advice(&SECURITY_LAYER_ERROR),
    Code::new(0x1192, "ERRINFO_DECRYPT_FAILED", "Standard RDP Security decryption, or creating its session keys, failed.").advice(&SECURITY_LAYER_ERROR),
    Code::new(0x1193, "ERRINFO_ENCRYPT_FAILED", "Standard RDP Security encryption failed.").advice(&SECURITY_LAYER_ERROR),
    Code::new(0x1194, "ERRINFO_ENCRYPTION_PACKAGE_MISMATCH", "None of the encryption methods the client offered is usable by the server.")
        .advice(&SECURITY_LAYER_ERROR),
    Code::new(0x1195, "ERRINFO_DECRYPT_FAILED2", "Unencrypted data arrived where Standard RDP Security encryption is required.")
        .advice(&SECURITY_LAYER_ERROR),
    Code::new(0x1196, "ERRINFO_PEER_DISCONNECTED", "The connection to the peer was lost (FreeRDP's own code, not sent by servers).")
        .status(FREERDP_ONLY, "added by FreeRDP (2013) to report a lost transport; not in MS-RDPBCGR, absent from IronRDP")
        .advice(&SOCKET_CLOSED),
    Code::new(0xFFFF_FFFF, "ERRINFO_NONE (FreeRDP sentinel)", "FreeRDP's internal marker for \"no error info received\".")
        .status(FREERDP_ONLY, "FreeRDP uses 0xFFFFFFFF internally; never on the wire"),
];
