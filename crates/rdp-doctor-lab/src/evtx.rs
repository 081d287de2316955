//! Writes an `.evtx` file from event XML (the `<Event>` elements `wevtutil qe … /f:xml` prints), so tests can
//! feed the evtx readers the same records as their XML fixtures. No Windows machine is available here and
//! only the Windows event log service writes evtx files, so this is the way to have one.
//!
//! The layout is the one the format's public description gives ("Windows XML Event Log (EVTX) format",
//! libevtx documentation): a 4096-byte file header (`ElfFile\0`, chunk count, CRC32 of its first 120 bytes),
//! 64 KiB chunks (`ElfChnk\0`, first/last record numbers, the offsets of the last record and of the free
//! space, CRC32 of the records and of the header, the 64-bucket common string table), and event records
//! (`**\0\0`, size, record number, FILETIME, Binary XML, size again). Each record's Binary XML is written
//! the way Windows writes it: a fragment header (0x0F) and a TemplateInstance (0x0C) whose template is
//! defined in the record (next-template offset, GUID, size, then OpenStartElement 0x01/0x41 with its
//! dependency identifier, Attribute 0x06/0x46, CloseStartElement 0x02, CloseEmptyElement 0x03, EndElement
//! 0x04, EOF 0x00) with every attribute value and text as a normal substitution (0x0D, string type 0x01),
//! followed by the substitution values; names in the chunk's string table and templates in its template
//! table, each defined at its first use. One template per record (Windows shares one per event type): both
//! are valid and render to the same XML.

use std::collections::HashMap;

/// The size of a chunk and of its header.
const CHUNK: usize = 65_536;
const CHUNK_HEADER: usize = 512;
/// The file header block.
const FILE_HEADER: usize = 4096;
/// Seconds from 1601-01-01 (FILETIME's epoch) to 1970-01-01.
const FILETIME_UNIX_OFFSET: i64 = 11_644_473_600;

/// Why XML could not be written as evtx.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EvtxWriteError {
    #[error("the XML is not well formed: {0}")]
    Xml(String),
    #[error("an event has no TimeCreated SystemTime that reads as a UTC time: {0:?}")]
    Time(String),
    #[error("an event is larger than a chunk ({0} bytes)")]
    TooLarge(usize),
}

/// An element of the XML tree.
#[derive(Debug, Clone, Default)]
struct Element {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
}

#[derive(Debug, Clone)]
enum Node {
    Element(Element),
    Text(String),
}

impl Element {
    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find_map(|c| match c {
            Node::Element(e) if e.name == name => Some(e),
            _ => None,
        })
    }

    fn text(&self) -> String {
        self.children
            .iter()
            .filter_map(|c| match c {
                Node::Text(t) => Some(t.as_str()),
                Node::Element(_) => None,
            })
            .collect()
    }

    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Parses the `<Event>` elements of `xml` (any wrapper around them is ignored).
fn events(xml: &str) -> Result<Vec<Element>, EvtxWriteError> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<Element> = Vec::new();
    let mut out = Vec::new();
    let bad = |e: &dyn std::fmt::Display| EvtxWriteError::Xml(e.to_string());
    let element = |e: &quick_xml::events::BytesStart<'_>| -> Result<Element, EvtxWriteError> {
        let name = e.local_name().as_ref().to_owned();
        let mut attrs = Vec::new();
        for a in e.attributes() {
            let a = a.map_err(|x| bad(&x))?;
            let key: String = a.key.as_ref().to_owned();
            let v = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).map_err(|x| bad(&x))?.into_owned();
            attrs.push((key, v));
        }
        Ok(Element { name, attrs, children: Vec::new() })
    };
    loop {
        match reader.read_event().map_err(|e| bad(&e))? {
            Event::Eof => break,
            Event::Start(e) => {
                let el = element(&e)?;
                if !stack.is_empty() || el.name == "Event" {
                    stack.push(el);
                }
            }
            Event::Empty(e) => {
                let el = element(&e)?;
                match stack.last_mut() {
                    Some(top) => top.children.push(Node::Element(el)),
                    None if el.name == "Event" => out.push(el),
                    None => {}
                }
            }
            Event::End(_) => {
                if let Some(el) = stack.pop() {
                    match stack.last_mut() {
                        Some(top) => top.children.push(Node::Element(el)),
                        None => out.push(el),
                    }
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    let s = t.xml10_content();
                    if !s.is_empty() {
                        top.children.push(Node::Text(s.into_owned()));
                    }
                }
            }
            Event::GeneralRef(r) => {
                if let Some(top) = stack.last_mut() {
                    let name = r.xml10_content();
                    let s = match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => quick_xml::escape::resolve_predefined_entity(&name)
                            .map(str::to_owned)
                            .ok_or_else(|| EvtxWriteError::Xml(format!("unknown entity &{name};")))?,
                    };
                    top.children.push(Node::Text(s));
                }
            }
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(EvtxWriteError::Xml("an <Event> is not closed".to_owned()));
    }
    Ok(out)
}

/// `2026-11-21T09:14:02.1234567Z` as FILETIME (100 ns since 1601).
fn filetime(s: &str) -> Option<u64> {
    let s = s.strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let mut d = date.split('-').map(|x| x.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let mut t = hms.split(':').map(|x| x.parse::<i64>().ok());
    let (h, mi, sec) = (t.next()??, t.next()??, t.next()??);
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let unix = days * 86_400 + h * 3600 + mi * 60 + sec;
    let mut ticks: String = frac.chars().filter(char::is_ascii_digit).take(7).collect();
    while ticks.len() < 7 {
        ticks.push('0');
    }
    let ticks: i64 = ticks.parse().ok()?;
    u64::try_from((unix + FILETIME_UNIX_OFFSET) * 10_000_000 + ticks).ok()
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as the format's checksums use.
pub fn crc32(parts: &[&[u8]]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for part in parts {
        for &b in *part {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
    }
    !crc
}

/// The string table's hash of a name (UTF-16 code units, multiplier 65599), low 16 bits.
fn name_hash(name: &str) -> u16 {
    let h = name.encode_utf16().fold(0u32, |h, c| h.wrapping_mul(65_599).wrapping_add(u32::from(c)));
    (h & 0xFFFF) as u16
}

/// One chunk being filled.
struct Chunk {
    data: Vec<u8>,
    names: HashMap<String, u32>,
    buckets: [u32; 64],
    /// The template pointer table (32 buckets by identifier).
    templates: [u32; 32],
    first: Option<u64>,
    last: u64,
    last_offset: u32,
}

impl Chunk {
    fn new() -> Self {
        Self {
            data: vec![0; CHUNK_HEADER],
            names: HashMap::new(),
            buckets: [0; 64],
            templates: [0; 32],
            first: None,
            last: 0,
            last_offset: 0,
        }
    }

    fn pos(&self) -> u32 {
        u32::try_from(self.data.len()).unwrap_or(u32::MAX)
    }

    fn u16(&mut self, v: u16) {
        self.data.extend(v.to_le_bytes());
    }

    fn u32(&mut self, v: u32) {
        self.data.extend(v.to_le_bytes());
    }

    fn patch_u32(&mut self, at: usize, v: u32) {
        if let Some(s) = self.data.get_mut(at..at + 4) {
            s.copy_from_slice(&v.to_le_bytes());
        }
    }

    fn utf16(&mut self, s: &str) {
        for c in s.encode_utf16() {
            self.u16(c);
        }
    }

    /// A name reference: the offset of the name in the chunk, and the name itself right here at its first use.
    fn name(&mut self, name: &str) {
        if let Some(&at) = self.names.get(name) {
            self.u32(at);
            return;
        }
        let at = self.pos() + 4;
        self.u32(at);
        let hash = name_hash(name);
        let bucket = usize::from(hash) % 64;
        let next = self.buckets.get(bucket).copied().unwrap_or(0);
        self.u32(next);
        self.u16(hash);
        self.u16(u16::try_from(name.encode_utf16().count()).unwrap_or(u16::MAX));
        self.utf16(name);
        self.u16(0);
        if let Some(b) = self.buckets.get_mut(bucket) {
            *b = at;
        }
        self.names.insert(name.to_owned(), at);
    }

    /// A template's element: the dependency identifier (none) after the token, every attribute value and
    /// text as a normal substitution (0x0D, its index, type 0x01 string) whose value goes to `values`.
    fn element(&mut self, e: &Element, values: &mut Vec<String>) {
        self.data.push(if e.attrs.is_empty() { 0x01 } else { 0x41 });
        self.u16(0xFFFF);
        let size_at = self.data.len();
        self.u32(0);
        self.name(&e.name);
        if !e.attrs.is_empty() {
            let list_at = self.data.len();
            self.u32(0);
            let list_start = self.data.len();
            for (i, (k, v)) in e.attrs.iter().enumerate() {
                self.data.push(if i + 1 < e.attrs.len() { 0x46 } else { 0x06 });
                self.name(k);
                self.substitution(v, values);
            }
            let len = u32::try_from(self.data.len() - list_start).unwrap_or(0);
            self.patch_u32(list_at, len);
        }
        if e.children.is_empty() {
            self.data.push(0x03);
        } else {
            self.data.push(0x02);
            for c in &e.children {
                match c {
                    Node::Element(child) => self.element(child, values),
                    Node::Text(t) => self.substitution(t, values),
                }
            }
            self.data.push(0x04);
        }
        let size = u32::try_from(self.data.len() - size_at - 4).unwrap_or(0);
        self.patch_u32(size_at, size);
    }

    fn substitution(&mut self, value: &str, values: &mut Vec<String>) {
        self.data.push(0x0D);
        self.u16(u16::try_from(values.len()).unwrap_or(u16::MAX));
        self.data.push(0x01);
        values.push(value.to_owned());
    }

    /// Appends one record; `false` (and the chunk as it was) when it does not fit. The record is a
    /// TemplateInstance (0x0C) whose template is defined right there (a resident template: its offset is
    /// the next byte), then the substitution values: their count, (size, type) descriptors, UTF-16 strings.
    fn record(&mut self, number: u64, time: u64, event: &Element) -> bool {
        let (len, names, buckets, templates) = (self.data.len(), self.names.clone(), self.buckets, self.templates);
        let start = self.pos();
        self.data.extend([0x2a, 0x2a, 0, 0]);
        self.u32(0);
        self.data.extend(number.to_le_bytes());
        self.data.extend(time.to_le_bytes());
        self.data.extend([0x0F, 0x01, 0x01, 0x00]);
        // The template's GUID: the record number and a fixed tag (one template per record). Its first four
        // bytes are the template identifier.
        let mut guid = [0u8; 16];
        for (d, s) in guid.iter_mut().zip(number.to_le_bytes().iter().chain(b"rdpdoctr".iter())) {
            *d = *s;
        }
        let id = u32::try_from(number & 0xFFFF_FFFF).unwrap_or(0);
        self.data.push(0x0C);
        self.data.push(0x01);
        self.u32(id);
        let def = self.pos() + 4;
        self.u32(def);
        let bucket = usize::try_from(id % 32).unwrap_or(0);
        self.u32(self.templates.get(bucket).copied().unwrap_or(0));
        if let Some(t) = self.templates.get_mut(bucket) {
            *t = def;
        }
        self.data.extend(guid);
        let size_at = self.data.len();
        self.u32(0);
        let body = self.data.len();
        self.data.extend([0x0F, 0x01, 0x01, 0x00]);
        let mut values = Vec::new();
        self.element(event, &mut values);
        self.data.push(0x00);
        let size = u32::try_from(self.data.len() - body).unwrap_or(0);
        self.patch_u32(size_at, size);
        self.u32(u32::try_from(values.len()).unwrap_or(0));
        for v in &values {
            self.u16(u16::try_from(v.encode_utf16().count() * 2).unwrap_or(u16::MAX));
            self.data.extend([0x01, 0x00]);
        }
        for v in &values {
            self.utf16(v);
        }
        let size = u32::try_from(self.data.len() - len + 4).unwrap_or(u32::MAX);
        self.u32(size);
        if self.data.len() > CHUNK {
            self.data.truncate(len);
            self.names = names;
            self.buckets = buckets;
            self.templates = templates;
            return false;
        }
        self.patch_u32(len + 4, size);
        self.first.get_or_insert(number);
        self.last = number;
        self.last_offset = start;
        true
    }

    /// The chunk's 64 KiB with its header and checksums.
    fn finish(mut self) -> Vec<u8> {
        let free = self.pos();
        let first = self.first.unwrap_or(0);
        let mut h = Vec::with_capacity(CHUNK_HEADER);
        h.extend(b"ElfChnk\0");
        for v in [first, self.last, first, self.last] {
            h.extend(v.to_le_bytes());
        }
        h.extend(128u32.to_le_bytes());
        h.extend(self.last_offset.to_le_bytes());
        h.extend(free.to_le_bytes());
        let records = crc32(&[self.data.get(CHUNK_HEADER..).unwrap_or_default()]);
        h.extend(records.to_le_bytes());
        h.resize(120, 0);
        h.extend(0u32.to_le_bytes()); // flags
        h.extend(0u32.to_le_bytes()); // header checksum, below
        for b in self.buckets.iter().chain(self.templates.iter()) {
            h.extend(b.to_le_bytes());
        }
        let sum = crc32(&[h.get(..120).unwrap_or_default(), h.get(128..CHUNK_HEADER).unwrap_or_default()]);
        if let Some(s) = h.get_mut(124..128) {
            s.copy_from_slice(&sum.to_le_bytes());
        }
        if let Some(s) = self.data.get_mut(..CHUNK_HEADER) {
            s.copy_from_slice(&h);
        }
        self.data.resize(CHUNK, 0);
        self.data
    }
}

/// The evtx file holding the `<Event>` elements of `xml`, in their order. Each record's number is its
/// `EventRecordID` (or its position when that is missing) and its time its `TimeCreated SystemTime`.
pub fn from_xml(xml: &str) -> Result<Vec<u8>, EvtxWriteError> {
    let events = events(xml)?;
    let mut chunks = Vec::new();
    let mut chunk = Chunk::new();
    let mut next_number = 1u64;
    for (i, e) in events.iter().enumerate() {
        let sys = e.child("System");
        let number = sys
            .and_then(|s| s.child("EventRecordID"))
            .and_then(|r| r.text().trim().parse().ok())
            .unwrap_or(i as u64 + 1);
        let time_text = sys.and_then(|s| s.child("TimeCreated")).and_then(|t| t.attr("SystemTime")).unwrap_or("");
        let time = filetime(time_text).ok_or_else(|| EvtxWriteError::Time(time_text.to_owned()))?;
        if !chunk.record(number, time, e) {
            let full = std::mem::replace(&mut chunk, Chunk::new());
            chunks.push(full.finish());
            if !chunk.record(number, time, e) {
                return Err(EvtxWriteError::TooLarge(CHUNK));
            }
        }
        next_number = next_number.max(number + 1);
    }
    if chunk.first.is_some() || chunks.is_empty() {
        chunks.push(chunk.finish());
    }
    let mut out = Vec::with_capacity(FILE_HEADER + chunks.len() * CHUNK);
    out.extend(b"ElfFile\0");
    let n = chunks.len() as u64;
    out.extend(0u64.to_le_bytes());
    out.extend(n.saturating_sub(1).to_le_bytes());
    out.extend(next_number.to_le_bytes());
    out.extend(128u32.to_le_bytes());
    out.extend(1u16.to_le_bytes()); // minor version
    out.extend(3u16.to_le_bytes()); // major version
    out.extend(4096u16.to_le_bytes());
    out.extend(u16::try_from(n).unwrap_or(u16::MAX).to_le_bytes());
    out.resize(120, 0);
    out.extend(0u32.to_le_bytes()); // flags: clean
    let sum = crc32(&[out.get(..120).unwrap_or_default()]);
    out.extend(sum.to_le_bytes());
    out.resize(FILE_HEADER, 0);
    for c in chunks {
        out.extend(c);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn crc_and_time() {
        assert_eq!(crc32(&[b"123456789"]), 0xCBF4_3926);
        assert_eq!(filetime("1970-01-01T00:00:00Z"), Some(116_444_736_000_000_000));
        assert_eq!(filetime("1970-01-01T00:00:01.5Z"), Some(116_444_736_015_000_000));
        assert_eq!(filetime("yesterday"), None);
    }

    #[test]
    fn bad_xml_is_an_error() {
        assert!(matches!(from_xml("<Event><System>"), Err(EvtxWriteError::Xml(_))));
        assert!(matches!(from_xml("<Event><System/></Event>"), Err(EvtxWriteError::Time(_))));
    }
}
