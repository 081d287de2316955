//! Findings about `.rdp` files: encoding, line syntax, settings checked against the typed settings table
//! in `rdp-doctor-rdpfile`, contradictions between settings, and risks (saved passwords).
//!
//! Every finding here has layer `rdpfile`: it is about the file, not a network layer. Statements about
//! what clients do are marked with their source: "observed with FreeRDP 2.11" means this project ran
//! `xfreerdp` 2.11.7 on such a file; mstsc's behaviour is stated only where Microsoft documents it.

use super::def;
use crate::finding::{FindingDef, Severity};

// Encoding and framing.
def!(
    RDPFILE_EMPTY,
    "rdpfile.empty",
    Fail,
    "rdpfile",
    "The file contains no settings",
    "No line of the file is a `name:type:value` setting. A client opening it has no address to connect to; the file is empty, truncated, or not an .rdp file.",
    ["client.rdpfile_new", "client.clean_rdp_file"]
);
def!(
    RDPFILE_TRUNCATED_UTF16,
    "rdpfile.truncated_utf16",
    Warn,
    "rdpfile",
    "The UTF-16 file ends in the middle of a character",
    "A UTF-16 file has an even number of bytes; this one has an odd number, so it was cut short (an interrupted copy or download, or a size limit). The last setting may be incomplete.",
    ["client.clean_rdp_file"]
);
def!(
    RDPFILE_INVALID_ENCODING,
    "rdpfile.invalid_encoding",
    Warn,
    "rdpfile",
    "Bytes that are not valid in the file's encoding",
    "Some bytes cannot be decoded in the encoding the file declares (UTF-16 with unpaired surrogates, or invalid UTF-8 after a UTF-8 BOM). Clients turn them into replacement characters or reject the line, so values on those lines may be wrong.",
    ["client.clean_rdp_file", "client.rdpfile_resave_utf16"]
);
def!(
    RDPFILE_MIXED_ENCODING,
    "rdpfile.mixed_encoding",
    Warn,
    "rdpfile",
    "The file mixes encodings",
    "Part of the file is in another encoding than the rest: typically lines appended by a script (`echo ... >> file.rdp`) writing UTF-8 or ANSI to a UTF-16 file, or UTF-16 text pasted into an 8-bit file. Clients decode the whole file one way, so those lines turn into garbage and their settings are lost.",
    ["client.clean_rdp_file", "client.rdpfile_resave_utf16"]
);
def!(
    RDPFILE_CONTROL_CHARACTERS,
    "rdpfile.control_characters",
    Warn,
    "rdpfile",
    "Lines contain NUL or other control characters",
    "Settings are plain text; NUL bytes and other control characters (other than tab) inside a line come from binary corruption or from UTF-16 text read as 8-bit. C-based readers such as FreeRDP stop at a NUL, so the rest of the line is lost.",
    ["client.clean_rdp_file"]
);
def!(
    RDPFILE_UTF16_WITHOUT_BOM,
    "rdpfile.utf16_without_bom",
    Warn,
    "rdpfile",
    "UTF-16 text without a byte-order mark",
    "mstsc writes UTF-16LE with the BOM FF FE. Without it, readers that look for the BOM read the file as 8-bit text full of NUL bytes: FreeRDP 2.11 then finds no address (observed).",
    ["client.rdpfile_resave_utf16", "client.clean_rdp_file"]
);
def!(
    RDPFILE_UTF16_BIG_ENDIAN,
    "rdpfile.utf16_big_endian",
    Warn,
    "rdpfile",
    "UTF-16 big-endian file",
    "The file starts with the big-endian BOM FE FF. mstsc writes little-endian UTF-16; FreeRDP 2.11 does not read big-endian files (observed: no address found).",
    ["client.rdpfile_resave_utf16", "client.clean_rdp_file"]
);
def!(
    RDPFILE_UTF8_BOM,
    "rdpfile.utf8_bom",
    Warn,
    "rdpfile",
    "UTF-8 byte-order mark before the first setting",
    "The file starts with the UTF-8 BOM EF BB BF. FreeRDP 2.11 keeps those bytes as part of the first setting's name, so the first line is ignored (observed). Saving as UTF-16LE with BOM, as mstsc does, avoids it.",
    ["client.rdpfile_resave_utf16", "client.clean_rdp_file"]
);
def!(
    RDPFILE_AMBIGUOUS_ENCODING,
    "rdpfile.ambiguous_encoding",
    Warn,
    "rdpfile",
    "Non-ASCII text in a file without a byte-order mark",
    "An 8-bit file without a BOM can be UTF-8 or an ANSI code page, and nothing in it says which. A reader that guesses differently turns `Jürgen` into `JÃ¼rgen` (or the reverse), so a user name, domain or path with accents or non-Latin letters may be wrong on some clients.",
    ["client.rdpfile_resave_utf16", "client.clean_rdp_file"]
);
def!(
    RDPFILE_MIXED_LINE_ENDINGS,
    "rdpfile.mixed_line_endings",
    Info,
    "rdpfile",
    "Mixed line endings",
    "The file ends lines in more than one way (CRLF, LF, bare CR): it was edited with several tools. FreeRDP 2.11 accepts all three (observed); mstsc writes CRLF.",
    ["client.clean_rdp_file"]
);

// Lines and settings.
def!(
    RDPFILE_MALFORMED_LINE,
    "rdpfile.malformed_line",
    Warn,
    "rdpfile",
    "Lines that are not `name:type:value`",
    "Each setting is one line `name:type:value` with type `s` (text), `i` (integer) or `b` (binary). Lines without that shape (missing colons, an unknown type letter, spaces around the name) are skipped by clients: FreeRDP 2.11 ignores `full address : s : host` and `full address:S:host` (observed). Whatever such a line meant to set does not take effect.",
    ["client.rdpfile_fix_lines", "client.clean_rdp_file"]
);
def!(
    RDPFILE_LINE_TOO_LONG,
    "rdpfile.line_too_long",
    Warn,
    "rdpfile",
    "Abnormally long lines",
    "A line is longer than any documented setting needs (signatures and tokens stay below 32 KiB). It is most likely corrupt data that slipped into the file.",
    ["client.rdpfile_fix_lines", "client.clean_rdp_file"]
);
def!(
    RDPFILE_UNKNOWN_SETTING,
    "rdpfile.unknown_setting",
    Info,
    "rdpfile",
    "Settings that are not in the documented list",
    "The name is not in Microsoft's list of supported RDP properties nor among the names mstsc or FreeRDP read. Clients ignore unknown names, so the line has no effect; it may belong to a third-party client.",
    ["client.rdpfile_fix_lines"]
);
def!(
    RDPFILE_POSSIBLE_TYPO,
    "rdpfile.possible_typo",
    Warn,
    "rdpfile",
    "Setting names that look like misspelt known settings",
    "The name is unknown but one or two letters away from a documented setting. Clients ignore the misspelt line, so the setting the author meant keeps its default.",
    ["client.rdpfile_fix_lines"]
);
def!(
    RDPFILE_NONSTANDARD_NAME,
    "rdpfile.nonstandard_name",
    Info,
    "rdpfile",
    "Setting names written with capital letters",
    "mstsc writes every name in lower case. FreeRDP 2.11 matches names case-insensitively (observed); Microsoft does not document whether mstsc does.",
    ["client.rdpfile_fix_lines"]
);
def!(
    RDPFILE_WRONG_TYPE,
    "rdpfile.wrong_type",
    Warn,
    "rdpfile",
    "Known settings with the wrong type letter",
    "The setting is documented with another type (for example `screen mode id` is an integer, `i`, not text, `s`). Clients look settings up by name and type, so the line is not applied as intended.",
    ["client.rdpfile_fix_lines", "client.clean_rdp_file"]
);
def!(
    RDPFILE_INVALID_VALUE,
    "rdpfile.invalid_value",
    Warn,
    "rdpfile",
    "Values that do not parse as their type",
    "An `i` value must be a decimal integer and a `b` value hexadecimal digits. FreeRDP 2.11 replaces an unparsable integer with the default (observed: \"Integer option screen mode id has invalid value abc, using default\").",
    ["client.rdpfile_fix_lines", "client.clean_rdp_file"]
);
def!(
    RDPFILE_VALUE_OUT_OF_RANGE,
    "rdpfile.value_out_of_range",
    Warn,
    "rdpfile",
    "Values outside the documented range",
    "The value parses but is not one of the values Microsoft documents for the setting. Clients clamp it, ignore it or behave in undocumented ways.",
    ["client.rdpfile_fix_lines", "client.clean_rdp_file"]
);
def!(
    RDPFILE_DUPLICATE_SETTING,
    "rdpfile.duplicate_setting",
    Warn,
    "rdpfile",
    "Settings given more than once with different values",
    "The same name appears on several lines with different values. FreeRDP 2.11 uses the last line (observed); Microsoft does not document which one mstsc uses, so the file means different things to different clients.",
    ["client.rdpfile_fix_lines", "client.clean_rdp_file"]
);
def!(
    RDPFILE_DUPLICATE_IDENTICAL,
    "rdpfile.duplicate_identical",
    Info,
    "rdpfile",
    "Settings repeated with the same value",
    "The same name and value appear on several lines. Harmless, but a sign the file was assembled by appending.",
    ["client.clean_rdp_file"]
);

// Contradictions.
def!(
    RDPFILE_MISSING_FULL_ADDRESS,
    "rdpfile.missing_full_address",
    Fail,
    "rdpfile",
    "No `full address`: the file does not say where to connect",
    "`full address:s:host[:port]` names the server (Microsoft: Supported RDP properties). Without it a client opening the file has nothing to connect to.",
    ["client.rdpfile_set_address"]
);
def!(
    RDPFILE_BAD_FULL_ADDRESS,
    "rdpfile.bad_full_address",
    Fail,
    "rdpfile",
    "`full address` is not a usable host[:port]",
    "The value must be a host name or IP address, optionally followed by `:port` (1-65535; IPv6 in brackets when a port follows). A port of 0, above 65535 or not a number, an empty host, spaces or a URL scheme make the connection fail before it starts.",
    ["client.rdpfile_set_address"]
);
def!(
    RDPFILE_PORT_CONFLICT,
    "rdpfile.port_conflict",
    Warn,
    "rdpfile",
    "`server port` and the port in `full address` disagree",
    "The file names two different ports. FreeRDP 2.11 connects to `server port` wherever the lines are (observed); `server port` is not in Microsoft's list of supported properties and which port mstsc uses is not documented. Clients may end up at different ports.",
    ["client.rdpfile_set_address"]
);
def!(
    RDPFILE_GATEWAY_WITHOUT_HOST,
    "rdpfile.gateway_without_host",
    Fail,
    "rdpfile",
    "RD Gateway use is on but no gateway is named",
    "`gatewayusagemethod` 1 (always use an RD Gateway) or 2 (use one when a direct connection fails) needs `gatewayhostname`. Without it the connection cannot go through a gateway and fails, or (with 2) works only where the server is directly reachable.",
    ["client.rdpfile_set_gateway"]
);
def!(
    RDPFILE_GATEWAY_HOST_UNUSED,
    "rdpfile.gateway_host_unused",
    Info,
    "rdpfile",
    "A gateway is named but gateway use is off",
    "`gatewayhostname` is set while `gatewayusagemethod` is 0 or 4 (do not use an RD Gateway): the client connects directly and ignores the gateway. Fine on the internal network; from outside, the direct connection may be blocked.",
    ["client.rdpfile_set_gateway"]
);
def!(
    RDPFILE_GATEWAY_PROFILE_DEFAULT,
    "rdpfile.gateway_profile_default",
    Info,
    "rdpfile",
    "Gateway settings may be overridden by the administrator's default profile",
    "`gatewayprofileusagemethod:i:0` means \"use the default profile mode as specified by the administrator\"; 1 means \"use explicit settings as specified by the user\" (Microsoft: Supported RDP properties). With 0 the gateway settings in this file may not be the ones used.",
    ["client.rdpfile_set_gateway"]
);
def!(
    RDPFILE_CREDSSP_DISABLED,
    "rdpfile.credssp_disabled",
    Warn,
    "rdpfile",
    "The file turns Network Level Authentication (CredSSP) off",
    "`enablecredsspsupport:i:0`: the client does not use CredSSP even when it could (Microsoft: Supported RDP properties), so it cannot connect to servers that require NLA, which Windows has done by default since Server 2012 (RDP_NEG_FAILURE HYBRID_REQUIRED_BY_SERVER), and the password is typed into the server's logon screen instead of being checked first. Often a leftover from working around the 2018 CredSSP encryption-oracle updates.",
    ["client.enable_nla"]
);
def!(
    RDPFILE_CREDSSP_DISABLED_CONFLICT,
    "rdpfile.credssp_disabled_conflict",
    Warn,
    "rdpfile",
    "CredSSP is off but other settings rely on it",
    "The file turns CredSSP off yet uses settings that only take effect during NLA: a KDC proxy (`kdcproxyname`, `rdgiskdcproxy:i:1`) serves Kerberos authentication to the server inside CredSSP, and `targetisaadjoined:i:1` authenticates to Microsoft Entra joined hosts with user name and password through NLA. Those settings have no effect, or the logon fails.",
    ["client.enable_nla"]
);
def!(
    RDPFILE_SERVER_AUTH_DISABLED,
    "rdpfile.server_auth_disabled",
    Warn,
    "rdpfile",
    "Server authentication failures are ignored silently",
    "`authentication level:i:0`: \"if server authentication fails, connect to the computer without warning\" (Microsoft: Supported RDP properties). A man in the middle with any certificate gets the connection, and the password with it, without the user seeing a warning.",
    ["client.rdpfile_server_auth"]
);
def!(
    RDPFILE_AUTHENTICATION_LEVEL,
    "rdpfile.authentication_level",
    Info,
    "rdpfile",
    "What the file's `authentication level` does",
    "`authentication level` decides what happens when the server's identity cannot be verified: 0 connect without warning, 1 do not connect, 2 warn and let the user choose, 3 no requirement specified (Microsoft: Supported RDP properties).",
    ["client.rdpfile_server_auth"]
);
def!(
    RDPFILE_DISPLAY_CONFLICT,
    "rdpfile.display_conflict",
    Warn,
    "rdpfile",
    "Display settings contradict each other",
    "Some display settings only work together or exclude each other: `selectedmonitors` and `singlemoninwindowedmode` require `use multimon:i:1` (Microsoft: Supported RDP properties); `span monitors` and `use multimon` are two different multi-monitor modes; `desktop size id` names a fixed size while `desktopwidth`/`desktopheight` give another; `smart sizing` scales the picture while `dynamic resolution` changes the resolution. Which one wins is not documented.",
    ["client.rdpfile_display"]
);
def!(
    RDPFILE_AUTODETECT_CONFLICT,
    "rdpfile.autodetect_conflict",
    Info,
    "rdpfile",
    "Network auto-detection is on while bandwidth auto-detection is off",
    "`networkautodetect:i:1` with `bandwidthautodetect:i:0`: FreeRDP 2.11 corrects this by turning network auto-detection off and logs a warning (observed in its messages); the two settings are meant to be on or off together.",
    ["client.rdpfile_fix_lines"]
);

// Risks.
def!(
    RDPFILE_SAVED_PASSWORD,
    "rdpfile.saved_password",
    Warn,
    "rdpfile",
    "A saved password blob (`password 51:b:`)",
    "The file carries a password encrypted with the Windows Data Protection API for the user and machine that saved it. On another account or machine it cannot be decrypted and is useless, or the logon fails; anyone who can run programs as that user can recover it; copying or sharing the file spreads it. The value is never shown by this tool.",
    ["client.rdpfile_remove_password"]
);
def!(
    RDPFILE_CLEARTEXT_PASSWORD,
    "rdpfile.cleartext_password",
    Fail,
    "rdpfile",
    "A clear-text password in the file",
    "A `password:s:` (or similar) line holds a password in plain text. FreeRDP reads `password:s:` and logs on with it; anyone who can read the file, a backup or a mail it was attached to has the password. The value is never shown by this tool.",
    ["client.rdpfile_remove_password"]
);
def!(
    RDPFILE_NO_CREDENTIAL_PROMPT,
    "rdpfile.no_credential_prompt",
    Info,
    "rdpfile",
    "A user name is preset and the file does not ask for credentials",
    "`prompt for credentials:i:0` with a `username`: a user who has credentials saved for this server connects without being asked. In a file shared with several people (a share, a mail, an intranet page) everyone sees that user name pre-filled; whether this file is shared cannot be told from its content.",
    ["client.rdpfile_prompt_credentials"]
);

// Found by `check FILE.rdp`, combining the file with what the server presented.
def!(
    RDPFILE_AUTH_LEVEL_REFUSES_CERTIFICATE,
    "rdpfile.auth_level_refuses_certificate",
    Fail,
    "rdpfile",
    "The file refuses servers that fail authentication, and this one fails it",
    "`authentication level:i:1` means \"if server authentication fails, don't establish a connection\" (Microsoft: Supported RDP properties), and the certificate the server presented is not trusted by this machine's trust store (or does not match the name). A client using this file refuses to connect.",
    [
        "server.renew_rdp_certificate",
        "client.use_certificate_name",
        "client.trust_server_certificate",
        "client.rdpfile_server_auth"
    ]
);

/// This file's definitions.
pub static DEFS: &[FindingDef] = &[
    RDPFILE_EMPTY,
    RDPFILE_TRUNCATED_UTF16,
    RDPFILE_INVALID_ENCODING,
    RDPFILE_MIXED_ENCODING,
    RDPFILE_CONTROL_CHARACTERS,
    RDPFILE_UTF16_WITHOUT_BOM,
    RDPFILE_UTF16_BIG_ENDIAN,
    RDPFILE_UTF8_BOM,
    RDPFILE_AMBIGUOUS_ENCODING,
    RDPFILE_MIXED_LINE_ENDINGS,
    RDPFILE_MALFORMED_LINE,
    RDPFILE_LINE_TOO_LONG,
    RDPFILE_UNKNOWN_SETTING,
    RDPFILE_POSSIBLE_TYPO,
    RDPFILE_NONSTANDARD_NAME,
    RDPFILE_WRONG_TYPE,
    RDPFILE_INVALID_VALUE,
    RDPFILE_VALUE_OUT_OF_RANGE,
    RDPFILE_DUPLICATE_SETTING,
    RDPFILE_DUPLICATE_IDENTICAL,
    RDPFILE_MISSING_FULL_ADDRESS,
    RDPFILE_BAD_FULL_ADDRESS,
    RDPFILE_PORT_CONFLICT,
    RDPFILE_GATEWAY_WITHOUT_HOST,
    RDPFILE_GATEWAY_HOST_UNUSED,
    RDPFILE_GATEWAY_PROFILE_DEFAULT,
    RDPFILE_CREDSSP_DISABLED,
    RDPFILE_CREDSSP_DISABLED_CONFLICT,
    RDPFILE_SERVER_AUTH_DISABLED,
    RDPFILE_AUTHENTICATION_LEVEL,
    RDPFILE_DISPLAY_CONFLICT,
    RDPFILE_AUTODETECT_CONFLICT,
    RDPFILE_SAVED_PASSWORD,
    RDPFILE_CLEARTEXT_PASSWORD,
    RDPFILE_NO_CREDENTIAL_PROMPT,
    RDPFILE_AUTH_LEVEL_REFUSES_CERTIFICATE,
];
