//! Event records as XML: what `wevtutil qe LOG /f:xml` prints (a sequence of `<Event>` elements without a
//! root, attributes in single quotes), `wevtutil qe … /e:Events`, Event Viewer's "Save as XML" (UTF-16 with
//! an `<Events>` root and `<RenderingInfo>`), and PowerShell's `Get-WinEvent | % ToXml` (UTF-16 when
//! redirected with `>` in Windows PowerShell). The event schema is Microsoft's
//! (`http://schemas.microsoft.com/win/2004/08/events/event`): `System` (`Provider/@Name`, `EventID`, `Level`,
//! `TimeCreated/@SystemTime`, `EventRecordID`, `Correlation/@ActivityID`, `Channel`) and `EventData/Data`
//! (`@Name` and text) or `UserData/*/*`.
//!
//! Pure and bounded: the same [`HostEvent`] as the evtx reader, at most [`MAX_EVENTS`] events kept, at
//! most 32 fields of at most 512 characters each, element nesting at most 32 deep. A file cut in the
//! middle keeps the events read before the cut and says where it stopped; damage inside one event skips
//! that event and is counted.

use std::collections::BTreeMap;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use rdp_doctor_core::evidence::host::HostEvent;

use crate::events::Selection;

/// At most this many events are kept (the newest when there are more, by the caller's trim).
pub const MAX_EVENTS: usize = 20_000;
/// At most this many events are read from one file in all.
pub const MAX_READ: u64 = 2_000_000;
const MAX_FIELDS: usize = 32;
const MAX_FIELD_LEN: usize = 512;
const MAX_DEPTH: usize = 32;
/// Distinct channels counted (for "this file holds other channels' events").
const MAX_CHANNELS: usize = 16;

/// What one XML input held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XmlEvents {
    /// `<Event>` elements read whole.
    pub events_read: u64,
    /// Events `select` kept, in file order.
    pub kept: Vec<HostEvent>,
    /// Events read whole but not kept, by channel (at most 16 channels named).
    pub other_channels: BTreeMap<String, u64>,
    /// Events skipped because they were malformed (no EventID, no time).
    pub damaged: u64,
    /// Why reading stopped before the end (a cut, bad markup), with the byte offset.
    pub error: Option<String>,
    /// Kept events beyond [`MAX_EVENTS`] that were dropped.
    pub dropped: u64,
}

/// Decodes the bytes of an XML export: UTF-16LE/BE with a BOM, UTF-16LE without one (NUL in every other
/// byte), UTF-8 with or without a BOM. Invalid sequences become U+FFFD.
pub fn decode(bytes: &[u8]) -> String {
    let utf16 = |b: &[u8], le: bool| {
        let units: Vec<u16> = b
            .chunks_exact(2)
            .map(|c| {
                let pair = [c.first().copied().unwrap_or(0), c.get(1).copied().unwrap_or(0)];
                if le { u16::from_le_bytes(pair) } else { u16::from_be_bytes(pair) }
            })
            .collect();
        String::from_utf16_lossy(&units)
    };
    match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, true),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, false),
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8_lossy(rest).into_owned(),
        [b'<', 0, ..] => utf16(bytes, true),
        [0, b'<', ..] => utf16(bytes, false),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Parses an ISO 8601 UTC time as the event log writes it (`2026-11-21T09:14:02.1234567Z`) to Unix
/// seconds. `None` for anything else.
pub fn parse_system_time(s: &str) -> Option<i64> {
    let s = s.trim();
    let num = |a: usize, b: usize| -> Option<i64> {
        let t = s.get(a..b)?;
        if t.bytes().all(|c| c.is_ascii_digit()) { t.parse().ok() } else { None }
    };
    if s.get(4..5) != Some("-") || s.get(7..8) != Some("-") || s.get(13..14) != Some(":") {
        return None;
    }
    let (y, mo, d, h, mi, sec) = (num(0, 4)?, num(5, 7)?, num(8, 10)?, num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let rest = s.get(19..)?;
    let rest = rest.strip_prefix('.').map_or(rest, |r| r.trim_start_matches(|c: char| c.is_ascii_digit()));
    if !(rest.is_empty() || rest.eq_ignore_ascii_case("z")) {
        return None;
    }
    // Days from the civil date (H. Hinnant's algorithm), proleptic Gregorian.
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + sec)
}

fn bounded(mut s: String) -> String {
    if s.len() > MAX_FIELD_LEN {
        let cut = (0..=MAX_FIELD_LEN).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0);
        s.truncate(cut);
        s.push('…');
    }
    s
}

/// One `<Event>` being read.
#[derive(Default)]
struct Partial {
    provider: Option<String>,
    event_id: Option<u32>,
    level: Option<u8>,
    time: Option<String>,
    record_id: Option<u64>,
    activity_id: Option<String>,
    channel: Option<String>,
    data: Vec<(String, String)>,
    /// The field whose text is being read (`EventData/Data`, `UserData/X/Y`).
    field: Option<String>,
    /// The `System` child whose text is being read.
    system_text: Option<&'static str>,
    text: String,
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok().map(|v| bounded(v.into_owned())))
}

impl Partial {
    /// An element opened (or empty) at `path` (local names, `Event` first).
    fn open(&mut self, path: &[String], e: &BytesStart<'_>) {
        let names: Vec<&str> = path.iter().map(String::as_str).collect();
        match names.as_slice() {
            [_, "System", "Provider"] => self.provider = attr(e, "Name").or_else(|| attr(e, "EventSourceName")),
            [_, "System", "TimeCreated"] => self.time = attr(e, "SystemTime"),
            [_, "System", "Correlation"] => {
                self.activity_id = attr(e, "ActivityID").filter(|a| !a.is_empty());
            }
            [_, "System", "EventID"] => self.system_text = Some("EventID"),
            [_, "System", "Level"] => self.system_text = Some("Level"),
            [_, "System", "EventRecordID"] => self.system_text = Some("EventRecordID"),
            [_, "System", "Channel"] => self.system_text = Some("Channel"),
            [_, "EventData", "Data"] => {
                let n = self.data.len() + 1;
                self.field = Some(attr(e, "Name").unwrap_or_else(|| format!("Data{n}")));
            }
            [_, "UserData", _, leaf] => self.field = Some((*leaf).to_owned()),
            _ => {}
        }
        self.text.clear();
    }

    fn close(&mut self) {
        let text = bounded(std::mem::take(&mut self.text).trim().to_owned());
        if let Some(f) = self.field.take() {
            if self.data.len() < MAX_FIELDS {
                self.data.push((f, text));
            }
            return;
        }
        match self.system_text.take() {
            Some("EventID") => self.event_id = text.parse().ok(),
            Some("Level") => self.level = text.parse().ok(),
            Some("EventRecordID") => self.record_id = text.parse().ok(),
            Some("Channel") => self.channel = Some(text),
            _ => {}
        }
    }

    fn push_text(&mut self, t: &str) {
        if (self.field.is_some() || self.system_text.is_some()) && self.text.len() < MAX_FIELD_LEN * 4 {
            self.text.push_str(t);
        }
    }

    fn finish(self, file: &str) -> Option<HostEvent> {
        let time = self.time?;
        Some(HostEvent {
            provider: self.provider.unwrap_or_default(),
            event_id: self.event_id?,
            channel: self.channel.unwrap_or_default(),
            time_unix: parse_system_time(&time)?,
            time,
            record_id: self.record_id.unwrap_or(0),
            file: file.to_owned(),
            data: self.data,
            activity_id: self.activity_id,
            level: self.level,
        })
    }
}

/// Reads every `<Event>` of `xml` (already decoded), keeping those `select` keeps that are not older than
/// `window_start`.
pub fn read(xml: &str, file: &str, window_start: Option<i64>, select: &Selection) -> XmlEvents {
    let mut out = XmlEvents::default();
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    // Element names from the `<Event>` element down; empty outside an event.
    let mut path: Vec<String> = Vec::new();
    let mut cur: Option<Partial> = None;
    loop {
        let ev = match reader.read_event() {
            Ok(ev) => ev,
            Err(e) => {
                let at = reader.error_position();
                out.error = Some(if cur.is_some() {
                    format!("the XML is malformed inside an <Event> element at byte {at} ({e}): read up to there")
                } else {
                    format!("the XML is malformed at byte {at} ({e}): read up to there")
                });
                break;
            }
        };
        match ev {
            // Anything else outside an event (`<Events>`, declarations) is a container: ignored.
            Event::Start(e) if cur.is_none() && e.local_name().as_ref() == "Event" => {
                cur = Some(Partial::default());
                path.push("Event".to_owned());
            }
            Event::Empty(e) if cur.is_none() && e.local_name().as_ref() == "Event" => {
                out.events_read += 1;
                out.damaged += 1;
            }
            Event::Start(_) | Event::Empty(_) if cur.is_none() => {}
            Event::Start(e) => {
                if path.len() >= MAX_DEPTH {
                    out.error = Some("the XML nests deeper than an event record can: stopped".to_owned());
                    break;
                }
                path.push(e.local_name().as_ref().to_owned());
                if let Some(p) = cur.as_mut() {
                    p.open(&path, &e);
                }
            }
            Event::Empty(e) => {
                path.push(e.local_name().as_ref().to_owned());
                if let Some(p) = cur.as_mut() {
                    p.open(&path, &e);
                    p.close();
                }
                path.pop();
            }
            Event::End(_) => {
                path.pop();
                if path.is_empty() {
                    if let Some(p) = cur.take() {
                        out.events_read += 1;
                        finish(p, file, window_start, select, &mut out);
                        if out.events_read >= MAX_READ {
                            out.error = Some(format!("stopped after {MAX_READ} events (the reading bound)"));
                            break;
                        }
                    }
                } else if let Some(p) = cur.as_mut() {
                    p.close();
                }
            }
            Event::Text(t) => {
                if let Some(p) = cur.as_mut() {
                    p.push_text(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(p) = cur.as_mut() {
                    p.push_text(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(p) = cur.as_mut() {
                    if let Ok(Some(c)) = r.resolve_char_ref() {
                        p.push_text(c.encode_utf8(&mut [0; 4]));
                    } else if let Some(s) = quick_xml::escape::resolve_predefined_entity(&r.xml10_content()) {
                        p.push_text(s);
                    } else {
                        p.push_text(&format!("&{};", r.xml10_content()));
                    }
                }
            }
            Event::Eof => {
                if cur.is_some() {
                    out.damaged += 1;
                    out.error = Some(format!(
                        "the file ends inside an <Event> element (byte {}): it was cut short; the {} complete event(s) before the cut were read",
                        reader.buffer_position(),
                        out.events_read
                    ));
                }
                break;
            }
            _ => {}
        }
    }
    out
}

fn finish(p: Partial, file: &str, window_start: Option<i64>, select: &Selection, out: &mut XmlEvents) {
    let Some(e) = p.finish(file) else {
        out.damaged += 1;
        return;
    };
    if !(select.record)(&e.provider, e.event_id) {
        let ch = if e.channel.is_empty() { "(no channel)".to_owned() } else { e.channel.clone() };
        if out.other_channels.len() < MAX_CHANNELS || out.other_channels.contains_key(&ch) {
            *out.other_channels.entry(ch).or_default() += 1;
        }
        return;
    }
    if window_start.is_some_and(|w| e.time_unix < w) {
        return;
    }
    if out.kept.len() >= MAX_EVENTS {
        // Exports list oldest first: keep the newest.
        out.kept.remove(0);
        out.dropped += 1;
    }
    out.kept.push(e);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const ALL: Selection = Selection { id: |_| true, record: |_, _| true };

    #[test]
    fn times() {
        assert_eq!(parse_system_time("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_system_time("2026-11-21T00:00:00.0000000Z"), Some(1_795_219_200));
        assert_eq!(parse_system_time("2026-11-21T09:14:02.1234567Z"), Some(1_795_219_200 + 9 * 3600 + 14 * 60 + 2));
        assert_eq!(parse_system_time("2026-13-21T09:14:02Z"), None);
        assert_eq!(parse_system_time("yesterday"), None);
        assert_eq!(parse_system_time("2026-11-21T09:14:02+02:00"), None);
    }

    #[test]
    fn decodes_utf16_with_and_without_bom() {
        let text = "<Event/>";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(decode(&le), text);
        let mut bom = vec![0xFF, 0xFE];
        bom.extend(&le);
        assert_eq!(decode(&bom), text);
        let be: Vec<u8> = [0xFE, 0xFF].into_iter().chain(text.encode_utf16().flat_map(u16::to_be_bytes)).collect();
        assert_eq!(decode(&be), text);
        assert_eq!(decode(b"\xEF\xBB\xBF<Event/>"), text);
    }

    #[test]
    fn entities_and_cdata() {
        let x = "<Event><System><Provider Name='P'/><EventID>1</EventID><TimeCreated SystemTime='2026-11-21T00:00:00Z'/></System>\
                 <EventData><Data Name='A'>a &amp; b &#x41;</Data><Data Name='B'><![CDATA[<x>]]></Data><Data>c</Data></EventData></Event>";
        let r = read(x, "f", None, &ALL);
        assert_eq!(r.kept.len(), 1, "{r:?}");
        let d = &r.kept[0].data;
        assert_eq!(d[0], ("A".into(), "a & b A".into()));
        assert_eq!(d[1], ("B".into(), "<x>".into()));
        assert_eq!(d[2], ("Data3".into(), "c".into()));
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_read_without_panic(s in ".{0,400}") {
            let _ = read(&s, "f", None, &ALL);
        }

        #[test]
        fn any_bytes_decode(b in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = read(&decode(&b), "f", Some(0), &ALL);
        }
    }
}
