//! Event log files (.evtx), read with the `evtx` crate (MS-EVEN6 BinXml): the records `host_tables::EVENTS`
//! names, within a time window, bounded. A cheap walk over the record headers (ours, pure) first finds the
//! newest record, so that records outside the window are skipped before they are rendered.
//!
//! Files are opened read-only. A truncated or damaged file yields what could be read, the damage counted,
//! and a message; a file that is not an event log says so.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use evtx::{EvtxChunkData, EvtxParser, ParserSettings};
use rdp_doctor_core::evidence::host::{EventsEvidence, EvtxFile, HostEvent};
use rdp_doctor_core::host_tables;
use serde_json::Value;

/// File header signature (`ElfFile\0`).
const FILE_MAGIC: &[u8; 8] = b"ElfFile\0";
/// Chunk signature (`ElfChnk\0`) and size.
const CHUNK_MAGIC: &[u8; 8] = b"ElfChnk\0";
const CHUNK_SIZE: usize = 65_536;
const FILE_HEADER_SIZE: u64 = 4096;
/// At most this many records of interest are kept over all files (newest first).
pub const MAX_RECORDS: usize = 2_000;
/// At most this many data fields are kept per record, each at most this long.
const MAX_FIELDS: usize = 32;
const MAX_FIELD_LEN: usize = 512;
/// The default window: this long before the newest record (or the collection time, live).
pub const DEFAULT_WINDOW_S: i64 = 24 * 3600;

/// FILETIME (100 ns since 1601) to Unix seconds.
pub fn filetime_to_unix(ft: u64) -> i64 {
    (ft / 10_000_000) as i64 - 11_644_473_600
}

/// The newest record time (FILETIME) in one chunk, walking its record headers (`**\0\0`, size, record ID,
/// FILETIME), bounded by the chunk's free space offset.
pub fn chunk_newest(chunk: &[u8]) -> Option<u64> {
    if chunk.get(..8) != Some(CHUNK_MAGIC.as_slice()) {
        return None;
    }
    let free = chunk.get(48..52).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_le_bytes)? as usize;
    let end = free.min(chunk.len());
    let mut at = 512usize;
    let mut newest = None;
    while at + 24 <= end {
        if chunk.get(at..at + 4) != Some(b"\x2a\x2a\x00\x00".as_slice()) {
            break;
        }
        let size =
            chunk.get(at + 4..at + 8).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_le_bytes)? as usize;
        let ft = chunk.get(at + 16..at + 24).and_then(|b| <[u8; 8]>::try_from(b).ok()).map(u64::from_le_bytes)?;
        newest = newest.max(Some(ft));
        if size < 24 {
            break;
        }
        at = at.saturating_add(size);
    }
    newest
}

/// Checks the file header; the newest record time over all chunks (streamed, one chunk in memory).
pub fn newest_in_file(path: &Path) -> Result<Option<i64>, String> {
    let file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let mut r = BufReader::with_capacity(CHUNK_SIZE, file);
    let mut head = [0u8; 8];
    r.read_exact(&mut head).map_err(|_| "not an event log: shorter than its file header".to_owned())?;
    if &head != FILE_MAGIC {
        return Err("not an event log (.evtx): the file does not start with \"ElfFile\"".to_owned());
    }
    r.seek(SeekFrom::Start(FILE_HEADER_SIZE)).map_err(|e| format!("cannot read: {e}"))?;
    let mut chunk = vec![0u8; CHUNK_SIZE];
    let mut newest = None;
    loop {
        let mut got = 0;
        while got < CHUNK_SIZE {
            match r.read(chunk.get_mut(got..).unwrap_or_default()) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) => return Err(format!("cannot read: {e}")),
            }
        }
        if got == 0 {
            break;
        }
        if let Some(ft) = chunk.get(..got).and_then(chunk_newest) {
            newest = newest.max(Some(filetime_to_unix(ft)));
        }
        if got < CHUNK_SIZE {
            break;
        }
    }
    Ok(newest)
}

/// The EventID of a record rendered as JSON, found without parsing the whole record: the first digits after
/// `"EventID":` (or after its `"#text":` when the ID carries Qualifiers). `None` when not found.
pub fn quick_event_id(json: &[u8]) -> Option<u32> {
    let key = b"\"EventID\":";
    let at = json.windows(key.len()).position(|w| w == key)? + key.len();
    let rest = json.get(at..)?;
    let rest = if rest.first() == Some(&b'{') {
        let t = b"\"#text\":";
        let p = rest.windows(t.len()).take(256).position(|w| w == t)? + t.len();
        rest.get(p..)?
    } else {
        rest
    };
    let rest = rest.strip_prefix(b"\"").unwrap_or(rest);
    let digits: Vec<u8> = rest.iter().take(10).take_while(|b| b.is_ascii_digit()).copied().collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

fn text(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Object(o) => o.get("#text").map(text).unwrap_or_else(|| v.to_string()),
        Value::Array(a) => a.iter().map(text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    };
    if s.len() > MAX_FIELD_LEN {
        let cut = (0..=MAX_FIELD_LEN).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0);
        format!("{}…", s.get(..cut).unwrap_or_default())
    } else {
        s
    }
}

/// The named fields of `EventData` or of the element inside `UserData`.
fn data_fields(event: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let data = event
        .get("EventData")
        .or_else(|| event.get("UserData").and_then(|u| u.as_object()).and_then(|o| o.values().find(|v| v.is_object())));
    if let Some(Value::Object(o)) = data {
        for (k, v) in o.iter().filter(|(k, _)| !k.starts_with('#')).take(MAX_FIELDS) {
            out.push((k.clone(), text(v)));
        }
    }
    out
}

/// Which records a reader keeps: by EventID alone (checked on the rendered bytes, before a record is parsed
/// whole), then by provider and ID.
#[derive(Clone, Copy)]
pub struct Selection {
    pub id: fn(u32) -> bool,
    pub record: fn(&str, u32) -> bool,
}

/// The host collector's selection: the records `host_tables::EVENTS` names.
pub const HOST: Selection = Selection {
    id: |eid| host_tables::EVENTS.iter().any(|d| d.id == eid),
    record: |provider, id| host_tables::event_def(provider, id).is_some(),
};

/// One rendered record to a [`HostEvent`] when its provider and ID are of interest.
pub fn interesting(record: &Value, record_id: u64, time_unix: i64, time: &str, file: &str) -> Option<HostEvent> {
    selected(record, record_id, time_unix, time, file, &HOST)
}

/// One rendered record to a [`HostEvent`] when `select` keeps its provider and ID.
pub fn selected(
    record: &Value,
    record_id: u64,
    time_unix: i64,
    time: &str,
    file: &str,
    select: &Selection,
) -> Option<HostEvent> {
    let event = record.get("Event")?;
    let sys = event.get("System")?;
    let provider = sys.get("Provider")?.get("#attributes")?.get("Name").map(text)?;
    let id = match sys.get("EventID")? {
        Value::Number(n) => n.as_u64(),
        Value::Object(o) => o.get("#text").and_then(|t| t.as_u64().or_else(|| t.as_str().and_then(|s| s.parse().ok()))),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }?;
    let id = u32::try_from(id).ok()?;
    if !(select.record)(&provider, id) {
        return None;
    }
    Some(HostEvent {
        provider,
        event_id: id,
        channel: sys.get("Channel").map(text).unwrap_or_default(),
        time_unix,
        time: time.to_owned(),
        record_id,
        file: file.to_owned(),
        data: data_fields(event),
        activity_id: sys.pointer("/Correlation/#attributes/ActivityID").map(text).filter(|a| !a.is_empty()),
        level: sys
            .get("Level")
            .and_then(|l| l.as_u64().or_else(|| text(l).parse().ok()))
            .and_then(|l| u8::try_from(l).ok()),
    })
}

/// Reads the records of interest of one file newer than `window_start`, into `out` (bounded).
pub fn read_file(path: &Path, window_start: i64, out: &mut Vec<HostEvent>) -> EvtxFile {
    read_file_selected(path, window_start, &HOST, out)
}

/// Reads the records `select` keeps of one file newer than `window_start`, into `out` (bounded).
pub fn read_file_selected(path: &Path, window_start: i64, select: &Selection, out: &mut Vec<HostEvent>) -> EvtxFile {
    let mut f = EvtxFile { path: path.display().to_string(), ..EvtxFile::default() };
    f.bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    match newest_in_file(path) {
        Ok(n) => f.newest_unix = n,
        Err(e) => {
            f.error = Some(e);
            return f;
        }
    }
    let file = match File::open(path) {
        Ok(x) => x,
        Err(e) => {
            f.error = Some(format!("cannot open: {e}"));
            return f;
        }
    };
    let settings = ParserSettings::new().num_threads(1).validate_checksums(false).separate_json_attributes(false);
    let mut parser = match EvtxParser::from_read_seek(BufReader::new(file)) {
        Ok(p) => p.with_configuration(settings.clone()),
        Err(e) => {
            f.error = Some(format!("not readable as an event log: {e}"));
            return f;
        }
    };
    let settings = Arc::new(settings);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    for chunk in parser.chunks() {
        let mut data: EvtxChunkData = match chunk {
            Ok(d) => d,
            Err(e) => {
                f.records_damaged += 1;
                f.error.get_or_insert_with(|| format!("stopped at a damaged chunk: {e}"));
                break;
            }
        };
        // A chunk whose newest record is older than the window is counted, not parsed (once the channel is
        // known): old chunks of a large log cost a header walk only.
        if f.channel.is_some()
            && let Some(newest) = chunk_newest(&data.data)
            && filetime_to_unix(newest) < window_start
        {
            let (first, last) = (data.header.first_event_record_id, data.header.last_event_record_id);
            f.records_read += last.saturating_sub(first).saturating_add(1).min((CHUNK_SIZE / 24) as u64);
            continue;
        }
        let mut chunk = match data.parse(settings.clone()) {
            Ok(c) => c,
            Err(e) => {
                f.records_damaged += 1;
                f.error.get_or_insert_with(|| format!("a chunk could not be parsed: {e}"));
                continue;
            }
        };
        for rec in chunk.iter() {
            let rec = match rec {
                Ok(r) => r,
                Err(_) => {
                    f.records_damaged += 1;
                    continue;
                }
            };
            f.records_read += 1;
            let t = rec.timestamp.as_second();
            if t < window_start && f.channel.is_some() {
                continue;
            }
            let (id, time) = (rec.event_record_id, rec.timestamp.to_string());
            let Ok(rendered) = rec.into_json_bytes() else {
                f.records_damaged += 1;
                continue;
            };
            let bytes = rendered.data;
            // Only records whose EventID is in the table are parsed as a whole (the first record also, for
            // the file's channel).
            let wanted = quick_event_id(&bytes).is_none_or(select.id);
            if !wanted && f.channel.is_some() {
                continue;
            }
            let Ok(v) = serde_json::from_slice::<Value>(&bytes) else {
                f.records_damaged += 1;
                continue;
            };
            if f.channel.is_none() {
                f.channel = v.pointer("/Event/System/Channel").map(text);
            }
            if t < window_start || !wanted {
                continue;
            }
            if let Some(e) = selected(&v, id, t, &time, &name, select) {
                f.records_of_interest += 1;
                out.push(e);
            }
        }
        if out.len() > 4 * MAX_RECORDS {
            trim(out);
        }
    }
    f
}

/// Keeps the newest [`MAX_RECORDS`] records, newest first.
pub fn trim(out: &mut Vec<HostEvent>) {
    out.sort_by(|a, b| b.time_unix.cmp(&a.time_unix).then(b.record_id.cmp(&a.record_id)));
    out.truncate(MAX_RECORDS);
}

/// Reads several files with one window: `since` when given, else [`DEFAULT_WINDOW_S`] before the newest
/// record over all files (or before `now` when `live`).
pub fn read_files(paths: &[std::path::PathBuf], since: Option<i64>, now: Option<i64>) -> EventsEvidence {
    let newest = paths.iter().filter_map(|p| newest_in_file(p).ok().flatten()).max();
    let window_start = since.unwrap_or_else(|| now.or(newest).unwrap_or(0) - DEFAULT_WINDOW_S);
    let mut records = Vec::new();
    let files: Vec<EvtxFile> = paths.iter().map(|p| read_file(p, window_start, &mut records)).collect();
    let total = records.len();
    trim(&mut records);
    EventsEvidence { window_start_unix: window_start, files, omitted: total.saturating_sub(records.len()), records }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filetime() {
        assert_eq!(filetime_to_unix(116_444_736_000_000_000), 0);
        assert_eq!(filetime_to_unix(0), -11_644_473_600);
    }

    #[test]
    fn quick_event_id_forms() {
        assert_eq!(quick_event_id(br#"{"Event":{"System":{"EventID":1149,"Version":0}}}"#), Some(1149));
        assert_eq!(quick_event_id(br##"{"EventID":{"#attributes":{"Qualifiers":49152},"#text":36870}}"##), Some(36870));
        assert_eq!(quick_event_id(br#"{"EventID":"4625"}"#), Some(4625));
        assert_eq!(quick_event_id(b"{}"), None);
        assert_eq!(quick_event_id(br#"{"EventID":"#), None);
    }

    #[test]
    fn chunk_walk_is_bounded() {
        assert_eq!(chunk_newest(&[]), None);
        let mut c = vec![0u8; 1024];
        c[..8].copy_from_slice(CHUNK_MAGIC);
        c[48..52].copy_from_slice(&1024u32.to_le_bytes());
        c[512..516].copy_from_slice(b"\x2a\x2a\x00\x00");
        c[516..520].copy_from_slice(&0u32.to_le_bytes());
        c[528..536].copy_from_slice(&7u64.to_le_bytes());
        assert_eq!(chunk_newest(&c), Some(7));
        c[516..520].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(chunk_newest(&c), Some(7));
    }

    proptest::proptest! {
        #[test]
        fn chunk_walk_any_bytes(b in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
            let mut c = b.clone();
            if c.len() > 8 { c[..8].copy_from_slice(CHUNK_MAGIC); }
            let _ = chunk_newest(&b);
            let _ = chunk_newest(&c);
        }
    }
}
