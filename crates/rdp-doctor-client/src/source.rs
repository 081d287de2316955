//! Reading the client's log: an exported `.evtx` (`wevtutil epl`, read with rdp-doctor-host's evtx reader)
//! or XML (`wevtutil qe … /f:xml`, Event Viewer's "Save as XML", `Get-WinEvent | % ToXml`), told apart by
//! content. Files are opened read-only and read up to [`MAX_XML_BYTES`]; the records of the Remote Desktop
//! client's provider are kept, everything else is counted by channel so a wrong export is named.

use std::io::Read;
use std::path::Path;

use rdp_doctor_core::client_tables;
use rdp_doctor_core::evidence::host::HostEvent;
use rdp_doctor_host::events::{self, Selection};
use rdp_doctor_host::events_xml;

/// XML exports larger than this are refused (a day of a busy client's log is well under 1 MiB).
pub const MAX_XML_BYTES: u64 = 256 * 1024 * 1024;

/// The evtx file header and chunk sizes ("Windows XML Event Log (EVTX) format").
const EVTX_HEADER: u64 = 4096;
const EVTX_CHUNK: u64 = 65_536;

/// The client's records, by event ID first and then provider.
pub const CLIENT: Selection = Selection {
    id: client_tables::is_client_event_id,
    record: |provider, id| client_tables::event_def(provider, id).is_some(),
};

/// What one input held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogRead {
    /// The Remote Desktop client's records (every time; the window is applied later).
    pub records: Vec<HostEvent>,
    pub records_read: u64,
    /// Records of other providers, by channel (bounded).
    pub other_channels: Vec<(String, u64)>,
    pub damaged: u64,
    /// Why reading stopped early.
    pub error: Option<String>,
    /// How the input was read (`evtx`, `xml`).
    pub format: &'static str,
}

/// Reads XML text (already in memory: `wevtutil` output, or a file's bytes).
pub fn from_xml_bytes(bytes: &[u8], name: &str) -> LogRead {
    let xml = events_xml::decode(bytes);
    let r = events_xml::read(&xml, name, None, &CLIENT);
    LogRead {
        records: r.kept,
        records_read: r.events_read,
        other_channels: r.other_channels.into_iter().collect(),
        damaged: r.damaged,
        error: r.error,
        format: "xml",
    }
}

/// Reads one exported log file (evtx or XML).
pub fn read_file(path: &Path) -> Result<LogRead, String> {
    let shown = path.display().to_string();
    let mut f = std::fs::File::open(path).map_err(|e| format!("{shown}: cannot open: {e}"))?;
    let mut head = [0u8; 8];
    let n = f.read(&mut head).map_err(|e| format!("{shown}: cannot read: {e}"))?;
    if head.get(..n) == Some(b"ElfFile\0".as_slice()) {
        let mut records = Vec::new();
        let file = events::read_file_selected(path, i64::MIN, &CLIENT, &mut records);
        let mut other = Vec::new();
        if let Some(ch) = &file.channel
            && records.is_empty()
            && file.records_read > 0
        {
            other.push((ch.clone(), file.records_read));
        }
        if let Some(e) = &file.error
            && file.records_read == 0
        {
            return Err(format!("{shown}: {e}"));
        }
        // An evtx is a 4 KiB header and whole 64 KiB chunks: anything else was cut (a copy stopped early, a
        // truncated attachment), and the partial chunk at the end is not read.
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let mut error = file.error;
        if len < EVTX_HEADER || !(len - EVTX_HEADER).is_multiple_of(EVTX_CHUNK) {
            let whole = len.saturating_sub(EVTX_HEADER) / EVTX_CHUNK;
            let cut = format!(
                "the file is cut short: {len} bytes is not a 4096-byte header and whole 65536-byte chunks; the {whole} whole chunk(s) were read, the partial one at the end could not be"
            );
            if file.records_read == 0 {
                return Err(format!("{shown}: {cut}: no event record could be read"));
            }
            error = Some(match error {
                Some(e) => format!("{e}; {cut}"),
                None => cut,
            });
        }
        return Ok(LogRead {
            records_read: file.records_read,
            records,
            other_channels: other,
            damaged: file.records_damaged,
            error,
            format: "evtx",
        });
    }
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    if len > MAX_XML_BYTES {
        return Err(format!("{shown}: {len} bytes: larger than the {MAX_XML_BYTES}-byte bound for an XML export"));
    }
    let mut bytes = head.get(..n).unwrap_or_default().to_vec();
    f.take(MAX_XML_BYTES).read_to_end(&mut bytes).map_err(|e| format!("{shown}: cannot read: {e}"))?;
    let text = events_xml::decode(&bytes);
    if text.trim().is_empty() {
        return Err(format!("{shown}: the file is empty: no event records in it"));
    }
    if !text.trim_start().starts_with('<') {
        return Err(format!(
            "{shown}: neither an event log (.evtx) nor event XML: export the log with \
             `wevtutil epl Microsoft-Windows-TerminalServices-RDPClient/Operational rdpclient.evtx` or \
             `wevtutil qe Microsoft-Windows-TerminalServices-RDPClient/Operational /f:xml > rdpclient.xml`"
        ));
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Ok(from_xml_bytes(&bytes, &name))
}

/// The message that explains an input without any client record, or `None` when it has some.
pub fn nothing_to_read(what: &str, r: &LogRead) -> Option<String> {
    if !r.records.is_empty() {
        return None;
    }
    let mut msg = if r.records_read == 0 {
        format!("{what}: no event records in it")
    } else {
        let other: Vec<String> = r.other_channels.iter().map(|(c, n)| format!("{c} ({n})")).collect();
        format!(
            "{what}: {} event record(s), none from the Remote Desktop client ({}); they are from: {}",
            r.records_read,
            client_tables::OPERATIONAL,
            if other.is_empty() { "unnamed channels".to_owned() } else { other.join(", ") }
        )
    };
    if let Some(e) = &r.error {
        msg.push_str(&format!(" ({e})"));
    }
    msg.push_str(
        ". Export the client's log on the PC that failed: wevtutil qe Microsoft-Windows-TerminalServices-RDPClient/Operational /f:xml > rdpclient.xml",
    );
    Some(msg)
}
