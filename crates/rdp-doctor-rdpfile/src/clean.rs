//! `clean`: a minimal, valid file that keeps the connection's essentials and drops everything else,
//! saying why for every line dropped.
//!
//! Kept (when valid, the effective line of each): the address (`full address`, with a `server port` folded
//! in when the address has none), the user (`username`, `domain`), the RD Gateway (`gatewayhostname`,
//! `gatewayusagemethod`, `gatewayprofileusagemethod`, `gatewaycredentialssource`, `promptcredentialonce`),
//! the RD Connection Broker routing token (`loadbalanceinfo`, without which a farm sends the user to the
//! wrong host), display basics (`screen mode id`, `desktopwidth`, `desktopheight`, `session bpp`,
//! `use multimon`), and for a RemoteApp file (`remoteapplicationmode:i:1`) the program to start. Passwords
//! and tokens are never copied. The result lints without warnings (a property test holds it to that).

use serde::Serialize;

use crate::address::{AddressError, DEFAULT_PORT, parse_address};
use crate::parse::{self, LineKind, MAX_LINE_CHARS, TypeTag};
use crate::settings::{self, ValueCheck};
use crate::write::{self, Entry};
use crate::{RdpFile, Setting};

/// What `clean` keeps, in the order it writes them.
pub const ESSENTIALS: &[&str] = &[
    "full address",
    "username",
    "domain",
    "gatewayhostname",
    "gatewayusagemethod",
    "gatewayprofileusagemethod",
    "gatewaycredentialssource",
    "promptcredentialonce",
    "loadbalanceinfo",
    "screen mode id",
    "desktopwidth",
    "desktopheight",
    "session bpp",
    "use multimon",
];

/// Kept as well when the file starts a RemoteApp program (`remoteapplicationmode:i:1`).
pub const REMOTEAPP: &[&str] =
    &["remoteapplicationmode", "remoteapplicationname", "remoteapplicationprogram", "remoteapplicationcmdline"];

const GATEWAY_USE: &[&str] = &["gatewayusagemethod", "gatewayprofileusagemethod", "gatewaycredentialssource"];

/// A line kept, as written to the clean file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kept {
    /// The line it came from.
    pub line: usize,
    /// `name:t:value` as written (never a secret).
    pub setting: String,
    /// Set when the value was changed on the way (a port folded in, spaces trimmed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A line dropped, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dropped {
    pub line: usize,
    /// The line as it may be shown (secrets redacted).
    pub text: String,
    pub reason: String,
}

/// The clean file.
#[derive(Debug, Clone)]
pub struct Cleaned {
    pub entries: Vec<Entry>,
    pub kept: Vec<Kept>,
    pub dropped: Vec<Dropped>,
}

impl Cleaned {
    /// The file's text, CRLF after every line.
    pub fn text(&self) -> String {
        write::render(&self.entries)
    }

    /// The file as mstsc writes it: UTF-16LE with BOM, CRLF.
    pub fn to_bytes(&self) -> Vec<u8> {
        write::utf16le_with_bom(&self.text())
    }
}

/// Why no clean file can be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CleanError {
    #[error("the file names no server: no usable `full address` line (create one with `rdp-doctor rdpfile new HOST`)")]
    NoAddress,
    #[error("line {line}: `full address` is unusable: {error}")]
    BadAddress { line: usize, error: AddressError },
}

/// Why the effective line of an essential setting cannot be kept, or `None` when it can.
fn unusable(s: &Setting) -> Option<String> {
    let def = settings::lookup(&s.key)?;
    if s.tag != def.ty {
        return Some(format!("wrong type: `{}` is {}", def.name, def.ty.label()));
    }
    match def.check(&s.value) {
        ValueCheck::Ok => {}
        ValueCheck::Invalid(why) | ValueCheck::OutOfRange(why) => return Some(why),
    }
    if s.value.chars().any(|c| c.is_control() || c == '\u{FEFF}') {
        return Some("control characters in the value".to_owned());
    }
    if s.value.chars().count() > MAX_LINE_CHARS {
        return Some("value too long".to_owned());
    }
    if s.value.trim().is_empty() {
        return Some("empty: the same as absent".to_owned());
    }
    None
}

/// Builds the clean file. Fails only when the file names no usable server.
pub fn clean(file: &RdpFile) -> Result<Cleaned, CleanError> {
    let remoteapp = file.int("remoteapplicationmode") == Some(1);
    let wanted: Vec<&'static str> = ESSENTIALS.iter().chain(if remoteapp { REMOTEAPP } else { &[] }).copied().collect();

    // The effective line of each wanted setting, and why it cannot be kept if so.
    let mut chosen: Vec<(&'static str, usize, &Setting, Option<String>)> = Vec::new();
    for &key in &wanted {
        if let Some((line, s)) = file.effective(key) {
            chosen.push((key, line, s, unusable(s)));
        }
    }
    let usable = |key: &str| chosen.iter().any(|(k, _, _, why)| *k == key && why.is_none());

    // The address must be there and parse.
    let Some(&(_, fa_line, fa, _)) = chosen.iter().find(|(k, ..)| *k == "full address") else {
        return Err(CleanError::NoAddress);
    };
    if fa.tag != TypeTag::S || fa.value.trim().is_empty() {
        return Err(CleanError::NoAddress);
    }
    let mut addr = parse_address(&fa.value).map_err(|error| CleanError::BadAddress { line: fa_line, error })?;
    let mut address_note = None;
    let server_port = file.effective("server port").map(|(n, _)| n).zip(file.int("server port"));
    let mut folded_port_line = None;
    if addr.port.is_none()
        && let Some((sp_line, sp)) = server_port
        && let Ok(port) = u16::try_from(sp)
        && port != 0
        && port != DEFAULT_PORT
    {
        addr.port = Some(port);
        folded_port_line = Some(sp_line);
        address_note = Some(format!("port {port} from line {sp_line} (`server port`)"));
    }

    // Gateway use without a usable gateway name would be a contradiction: drop the gateway settings.
    let gateway_named =
        usable("gatewayhostname") && file.text("gatewayhostname").is_some_and(|(_, v)| parse_address(v).is_ok());
    let gateway_used = matches!(file.int("gatewayusagemethod"), Some(1 | 2));
    let drop_gateway_use = gateway_used && !gateway_named;

    let mut entries = Vec::new();
    let mut kept = Vec::new();
    let mut kept_lines = Vec::new();
    let mut reasons: Vec<(usize, String)> = Vec::new();
    for (key, line, s, why) in &chosen {
        let why = if *key == "gatewayhostname" && why.is_none() && !gateway_named {
            Some("not a host[:port]".to_owned())
        } else if drop_gateway_use && GATEWAY_USE.contains(key) {
            Some("gateway use without a usable gatewayhostname".to_owned())
        } else {
            why.clone()
        };
        if let Some(why) = why {
            reasons.push((*line, why));
            continue;
        }
        let (entry, note) = if *key == "full address" {
            let note = address_note.clone().or_else(|| (addr.to_string() != s.value).then(|| "normalised".to_owned()));
            (Entry::text("full address", addr.to_string()), note)
        } else if s.tag == TypeTag::I {
            (Entry::int(key, parse::parse_int(&s.value).unwrap_or_default()), None)
        } else {
            let v = s.value.trim();
            (Entry::text(key, v), (v != s.value).then(|| "surrounding spaces trimmed".to_owned()))
        };
        kept.push(Kept { line: *line, setting: entry.shown(), note });
        kept_lines.push(*line);
        entries.push(entry);
    }

    let effective = file.effective_lines();
    let mut dropped = Vec::new();
    for l in &file.lines {
        let reason = match &l.kind {
            LineKind::Blank => continue,
            _ if kept_lines.contains(&l.number) => continue,
            LineKind::Malformed(m) => format!("malformed: {}", m.describe()),
            LineKind::Setting(s) => {
                if let Some((_, why)) = reasons.iter().find(|(n, _)| *n == l.number) {
                    why.clone()
                } else if wanted.contains(&s.key.as_str()) {
                    match effective.get(s.key.as_str()).copied() {
                        Some(n) if n != l.number => {
                            format!("`{}` is given again on line {n}, which counts", s.key)
                        }
                        _ => "not usable".to_owned(),
                    }
                } else if Some(l.number) == folded_port_line {
                    "folded into `full address`".to_owned()
                } else if s.key == "server port" {
                    match file.int("server port") {
                        Some(p) if p == i64::from(addr.port_or_default()) => {
                            "the same port as `full address`".to_owned()
                        }
                        _ => format!(
                            "conflicts with port {} of `full address`, which is kept (FreeRDP 2.11 would have used this line)",
                            addr.port_or_default()
                        ),
                    }
                } else if s.is_secret() {
                    "a password or token: never copied".to_owned()
                } else if s.key == "signature" || s.key == "signscope" {
                    "the clean file is unsigned: re-sign it with rdpsign.exe if your clients require signed files"
                        .to_owned()
                } else if settings::lookup(&s.key).is_none() {
                    "not a documented setting".to_owned()
                } else {
                    "not essential: the client's default applies".to_owned()
                }
            }
        };
        dropped.push(Dropped { line: l.number, text: l.preview(), reason });
    }
    Ok(Cleaned { entries, kept, dropped })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint;
    use rdp_doctor_core::Severity;

    fn cleaned(text: &str) -> Cleaned {
        clean(&RdpFile::parse(text.as_bytes())).unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn keeps_essentials_and_says_why_the_rest_goes() {
        let c = cleaned(
            "screen mode id:i:1\nfull address:s:rds1\nserver port:i:3390\nusername:s: bob \nfoo bar\npassword 51:b:0100AB\nsmart sizing:i:1\nusername:s:alice\nsession bpp:i:12\nsignature:s:AAAA\n",
        );
        assert_eq!(
            c.text(),
            "full address:s:rds1:3390\r\nusername:s:alice\r\nscreen mode id:i:1\r\n",
            "essentials in table order"
        );
        assert_eq!(
            c.kept[0],
            Kept {
                line: 2,
                setting: "full address:s:rds1:3390".into(),
                note: Some("port 3390 from line 3 (`server port`)".into())
            }
        );
        let reasons: Vec<(usize, &str)> = c.dropped.iter().map(|d| (d.line, d.reason.as_str())).collect();
        assert_eq!(
            reasons,
            [
                (3, "folded into `full address`"),
                (4, "`username` is given again on line 8, which counts"),
                (5, "malformed: no `:` separating name, type and value"),
                (6, "a password or token: never copied"),
                (7, "not essential: the client's default applies"),
                (9, "12 is not one of 8, 15, 16, 24, 32"),
                (10, "the clean file is unsigned: re-sign it with rdpsign.exe if your clients require signed files"),
            ]
        );
        assert!(!format!("{c:?}").contains("0100AB"));
    }

    #[test]
    fn gateway_use_without_a_gateway_is_dropped() {
        let c =
            cleaned("full address:s:h\ngatewayusagemethod:i:1\ngatewayhostname:s:\ngatewayprofileusagemethod:i:1\n");
        assert_eq!(c.text(), "full address:s:h\r\n");
        let c = cleaned("full address:s:h\ngatewayusagemethod:i:1\ngatewayhostname:s:https://gw/\n");
        assert_eq!(c.text(), "full address:s:h\r\n");
        let c =
            cleaned("full address:s:h\ngatewayusagemethod:i:1\ngatewayhostname:s:gw\ngatewayprofileusagemethod:i:1\n");
        assert_eq!(
            c.text(),
            "full address:s:h\r\ngatewayhostname:s:gw\r\ngatewayusagemethod:i:1\r\ngatewayprofileusagemethod:i:1\r\n"
        );
    }

    #[test]
    fn remoteapp_files_keep_their_program() {
        let c = cleaned(
            "full address:s:h\nremoteapplicationmode:i:1\nremoteapplicationprogram:s:||calc\nremoteapplicationname:s:Calc\n",
        );
        assert_eq!(
            c.text(),
            "full address:s:h\r\nremoteapplicationmode:i:1\r\nremoteapplicationname:s:Calc\r\nremoteapplicationprogram:s:||calc\r\n"
        );
        let c = cleaned("full address:s:h\nremoteapplicationprogram:s:||calc\n");
        assert_eq!(c.text(), "full address:s:h\r\n", "not a RemoteApp file: the program line is not essential");
    }

    #[test]
    fn no_address_no_file() {
        assert_eq!(clean(&RdpFile::parse(b"username:s:bob\n")).err(), Some(CleanError::NoAddress));
        assert_eq!(clean(&RdpFile::parse(b"full address:s:\n")).err(), Some(CleanError::NoAddress));
        assert!(matches!(clean(&RdpFile::parse(b"full address:s:h:0\n")), Err(CleanError::BadAddress { line: 1, .. })));
    }

    #[test]
    fn the_clean_file_lints_without_warnings_and_round_trips() {
        let c = clean(&RdpFile::parse(crate::lint::tests::MSTSC_SAVED)).unwrap_or_else(|e| unreachable!("{e}"));
        let back = RdpFile::parse(&c.to_bytes());
        assert_eq!(back.encoding, crate::Encoding::Utf16LeBom);
        assert!(lint(&back).iter().all(|f| f.severity < Severity::Warn), "{:?}", lint(&back));
        let again = clean(&back).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(again.text(), c.text(), "clean is idempotent");
        assert!(again.dropped.is_empty());
    }
}
