//! The Remote Desktop client's Operational log as `rdp-doctor last --events FILE.xml` reads it: wevtutil's
//! XML (any encoding: the bytes are decoded first), the records grouped by ActivityID into attempts, the
//! attempt chosen (the first byte picks `--attempt`, `--since` and `--extended`, and whether to render), and the
//! client report as JSON, Markdown and HTML. The evtx form of the same log is the `evtx` target's path.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdp_doctor_client::collect::{self, Options};
use rdp_doctor_client::source;
use rdp_doctor_core::evidence::{Evidence, Target};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, xml)) = data.split_first() else { return };
    let read = source::from_xml_bytes(xml, "fuzz.xml");
    assert!(read.records.len() as u64 <= read.records_read.max(read.records.len() as u64));
    let opts = Options {
        attempt: (mode & 0x7 != 0).then_some(u32::from(mode & 0x7)),
        since: (mode & 0x8 != 0).then_some(1_700_000_000),
        extended: (mode & 0x10 != 0).then_some(7),
        now: 1_795_340_000,
        live: mode & 0x20 != 0,
    };
    let Ok(client) = collect::evidence(&[("fuzz.xml".to_owned(), read)], "events", &opts) else { return };
    let server = client.selected_attempt().and_then(|a| a.server.clone()).unwrap_or_default();
    let mut ev = Evidence::new(Target { input: server.clone(), host: server, port: 3389, ip: None }, opts.now);
    ev.client = Some(client);
    let report = rdp_doctor_core::client_report::build(ev, 0.0);
    assert!(serde_json::to_string(&report).is_ok());
    // Markdown and HTML for one input in four (bits 0x40 and 0x80 clear): rendering costs more than reading.
    if mode & 0xC0 == 0 {
        let _ = rdp_doctor_render::markdown::check(&report);
        let _ = rdp_doctor_render::html::check(&report);
    }
});
