//! The client's log fixtures in their evtx form (tests/data/evtx, written from the XML fixtures by
//! `rdp_doctor_lab::evtx`, since only Windows' event log service writes real ones): read through the evtx
//! path (rdp-doctor-host's reader over the `evtx` crate), they give the same attempts, codes and verdicts
//! as the XML they were written from; a second, independent reader (python-evtx's evtx_dump.py, Debian's
//! python3-evtx) verifies their checksums and renders the same records; a cut, empty or foreign evtx gives
//! a clear message.
//! `RDP_DOCTOR_BLESS=1` rewrites the committed .evtx files after a deliberate change of the XML fixtures.
#![cfg(unix)] // drives Linux lab tools (rdp-doctor-lab): compiled on Linux only
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::PathBuf;

use rdp_doctor_client::collect::{self, Options};
use rdp_doctor_client::source;
use rdp_doctor_core::evidence::client::{AttemptOutcome, ClientEvidence};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

const FIXTURES: &[&str] = &["attempt_0x904", "dns_failure", "ssl_226", "gateway_failure", "success", "other_channel"];

/// The committed evtx of `name`, checked against what the writer makes of the XML now.
fn evtx(name: &str) -> PathBuf {
    let xml = std::fs::read_to_string(data(&format!("{name}.xml"))).unwrap();
    let bytes = rdp_doctor_lab::evtx::from_xml(&xml).unwrap();
    let path = data(&format!("evtx/{name}.evtx"));
    if std::env::var_os("RDP_DOCTOR_BLESS").is_some() {
        // Tests run in parallel: write aside and rename, so no test reads a half-written file.
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let tmp = path.with_extension(format!("{:?}.tmp", std::thread::current().id()).replace(['(', ')'], ""));
        std::fs::write(&tmp, &bytes).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
    }
    let committed =
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (RDP_DOCTOR_BLESS=1 writes it)", path.display()));
    assert!(
        committed == bytes,
        "{} is stale: RDP_DOCTOR_BLESS=1 cargo test -p rdp-doctor-client --test evtx_fixtures",
        path.display()
    );
    path
}

fn read(path: &std::path::Path, opts: &Options) -> Result<ClientEvidence, String> {
    let r = source::read_file(path)?;
    collect::evidence(&[(path.display().to_string(), r)], "events", opts)
}

/// The attempts with what only says where they were read from set aside.
fn comparable(c: &ClientEvidence) -> Vec<rdp_doctor_core::evidence::client::ClientAttempt> {
    c.attempts
        .iter()
        .cloned()
        .map(|mut a| {
            a.source = String::new();
            a.started = String::new();
            a
        })
        .collect()
}

#[test]
fn every_fixture_reads_the_same_from_evtx_as_from_xml() {
    for name in FIXTURES {
        let path = evtx(name);
        let raw = source::read_file(&path).unwrap();
        assert_eq!(raw.format, "evtx", "{name}");
        assert_eq!(raw.damaged, 0, "{name}: {:?}", raw.error);
        assert_eq!(raw.error, None, "{name}");
        let opts = Options { extended: Some(7), ..Options::default() };
        let from_xml = read(&data(&format!("{name}.xml")), &opts);
        let from_evtx = read(&path, &opts);
        match (from_xml, from_evtx) {
            (Ok(x), Ok(e)) => {
                assert!(!x.attempts.is_empty(), "{name}");
                assert_eq!(comparable(&e), comparable(&x), "{name}: the evtx form reads differently");
                assert_eq!((e.selected, e.client_records), (x.selected, x.client_records), "{name}");
            }
            (Err(x), Err(e)) => {
                // Another channel's export: the same message but for the file name.
                assert!(e.contains("none from the Remote Desktop client") && e.contains("System (2)"), "{name}: {e}");
                assert!(x.contains("none from the Remote Desktop client"), "{name}: {x}");
            }
            (x, e) => panic!("{name}: XML gave {x:?}, evtx gave {e:?}"),
        }
    }
}

#[test]
fn evtx_codes_are_decoded_like_the_xml() {
    let c = read(&evtx("ssl_226"), &Options::default()).unwrap();
    let a = c.selected_attempt().unwrap();
    assert_eq!(a.outcome, AttemptOutcome::Failed);
    assert_eq!((a.server.as_deref(), a.port), (Some("rds2.corp.example"), Some(3390)));
    let e = a.errors.iter().find(|e| e.event_id == 226).unwrap();
    assert_eq!(e.code, 0x8009_0331, "{e:?}");
    assert!(e.context.starts_with("RDPClient_SSL"), "{e:?}");
    let ok = read(&evtx("success"), &Options::default()).unwrap();
    assert!(ok.attempts.iter().all(|a| a.outcome != AttemptOutcome::Failed), "{:#?}", ok.attempts);
    let gw = read(&evtx("gateway_failure"), &Options::default()).unwrap();
    assert!(gw.selected_attempt().unwrap().gateway.is_some(), "{:#?}", gw.attempts);
}

#[test]
fn cut_and_empty_evtx_give_a_clear_message() {
    let bytes = std::fs::read(evtx("attempt_0x904")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The file header alone: a log with no chunk.
    let header_only = dir.path().join("header-only.evtx");
    std::fs::write(&header_only, &bytes[..4096]).unwrap();
    let e = read(&header_only, &Options::default()).unwrap_err();
    assert!(e.contains("header-only.evtx"), "{e}");
    // Cut inside its only chunk: nothing can be read, and the message says the file was cut.
    let cut = dir.path().join("cut.evtx");
    std::fs::write(&cut, &bytes[..4096 + 2000]).unwrap();
    let e = read(&cut, &Options::default()).unwrap_err();
    assert!(e.contains("cut.evtx") && e.contains("cut short"), "{e}");
    // A whole chunk and part of a second: the whole one is read, the report says the rest was cut.
    let longer = dir.path().join("longer.evtx");
    let mut two = bytes.clone();
    two.extend_from_slice(&bytes[4096..4096 + 3000]);
    std::fs::write(&longer, &two).unwrap();
    let c = read(&longer, &Options::default()).unwrap();
    assert_eq!(c.attempts.len(), 2);
    assert!(c.read_error.as_deref().unwrap_or_default().contains("cut short"), "{:?}", c.read_error);
    assert!(c.limitations.iter().any(|l| l.contains("cut short")), "{:?}", c.limitations);
    // An empty file named .evtx.
    let empty = dir.path().join("empty.evtx");
    std::fs::write(&empty, b"").unwrap();
    let e = read(&empty, &Options::default()).unwrap_err();
    assert!(e.contains("empty"), "{e}");
}

/// python-evtx renders every record of every evtx fixture, with the XML's event IDs, record numbers,
/// ActivityIDs and EventData values: the files are evtx as other tools read it, not only as ours does.
#[test]
fn a_second_reader_renders_the_same_records() {
    let dump = rdp_doctor_lab::require("evtx_dump.py").unwrap();
    let timeout = rdp_doctor_lab::require("timeout").unwrap();
    for name in FIXTURES {
        let path = evtx(name);
        let out = std::process::Command::new(&timeout).args(["60"]).arg(&dump).arg(&path).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{name}: {}\n{text}", String::from_utf8_lossy(&out.stderr));
        let xml = std::fs::read_to_string(data(&format!("{name}.xml"))).unwrap();
        let events = |t: &str| t.matches("<Event ").count() + t.matches("<Event>").count();
        assert_eq!(events(&text), events(&xml), "{name}: {text}");
        for needle in ["<EventID>", "<EventRecordID>", "ActivityID=", "<Data Name="] {
            assert_eq!(text.matches(needle).count(), xml.matches(needle).count(), "{name}: {needle}\n{text}");
        }
        // Every value of the XML is in the rendering, in the same order.
        let mut rest = text.as_ref();
        for value in xml.split("<Data Name=").skip(1).filter_map(|d| d.split_once('>').map(|(_, v)| v)) {
            let v = value.split('<').next().unwrap_or_default();
            let at = rest.find(v).unwrap_or_else(|| panic!("{name}: {v:?} missing or out of order"));
            rest = &rest[at + v.len()..];
        }
    }
}
