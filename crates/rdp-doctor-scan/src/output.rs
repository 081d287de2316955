//! Output writers: JSONL (one complete report per line, written and flushed as each target finishes, so a
//! stopped scan leaves only whole lines but for at most the last) and CSV (one row per target, RFC 4180
//! quoting by the `csv` crate). They write to any `Write`; the binary chooses stdout or a file.

use std::io::Write;

use rdp_doctor_core::Report;

/// Writes each line whole and flushes it, so readers (and `--resume`) see complete lines.
pub struct JsonlWriter<W: Write> {
    out: W,
    buf: Vec<u8>,
}

impl<W: Write> JsonlWriter<W> {
    pub fn new(out: W) -> Self {
        Self { out, buf: Vec::with_capacity(64 * 1024) }
    }

    /// Writes `line` and a newline in one `write_all`, then flushes.
    pub fn write_line(&mut self, line: &str) -> std::io::Result<()> {
        self.buf.clear();
        self.buf.extend_from_slice(line.as_bytes());
        self.buf.push(b'\n');
        self.out.write_all(&self.buf)?;
        self.out.flush()
    }
}

/// The CSV columns, in order.
pub const CSV_COLUMNS: [&str; 24] = [
    "target",
    "address",
    "name",
    "tag",
    "verdict",
    "severity",
    "first_failing_layer",
    "selected_protocol",
    "accepted_protocols",
    "nla",
    "rdp_security",
    "tls_versions",
    "cert_subject",
    "cert_issuer",
    "cert_not_after",
    "cert_days_left",
    "cert_self_signed",
    "cert_trusted",
    "ntlm_computer",
    "ntlm_domain",
    "os_build",
    "policy",
    "findings",
    "duration_ms",
];

/// One report as a CSV row (columns as [`CSV_COLUMNS`]; empty when unknown).
pub fn csv_row(r: &Report) -> Vec<String> {
    let facts = r.scan.as_ref().map(|s| &s.facts);
    let cert = facts.and_then(|f| f.cert.as_ref());
    let opt = |o: Option<String>| o.unwrap_or_default();
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_owned();
    let findings: Vec<&str> = r.findings.iter().map(|f| f.id).collect();
    vec![
        r.target.input.clone(),
        opt(facts.and_then(|f| f.address.clone())),
        opt(cert.map(|c| c.name.clone()).or_else(|| r.target.ip.is_none().then(|| r.target.host.clone()))),
        opt(r.scan.as_ref().and_then(|s| s.tag.clone())),
        r.verdict.clone(),
        r.max_severity.map_or_else(|| "none".to_owned(), |s| s.as_str().to_owned()),
        opt(r.first_failing_layer.map(|l| l.as_str().to_owned())),
        opt(facts.and_then(|f| f.selected_name())),
        opt(facts.and_then(|f| f.accepted_protocols.as_ref()).map(|a| {
            a.iter()
                .map(|p| rdp_doctor_proto::nego::SecurityProtocol(*p).names().join("|"))
                .collect::<Vec<_>>()
                .join(" ")
        })),
        opt(facts.and_then(|f| f.nla).map(|n| n.as_str().to_owned())),
        opt(facts.and_then(|f| f.rdp_security).map(|b| if b { "accepted" } else { "refused" }.to_owned())),
        facts.map(|f| f.tls_versions.join(" ")).unwrap_or_default(),
        opt(cert.map(|c| c.subject.clone())),
        opt(cert.map(|c| c.issuer.clone())),
        opt(cert.map(|c| c.not_after.clone())),
        opt(cert.map(|c| c.days_left.to_string())),
        opt(cert.map(|c| yes_no(c.self_signed))),
        opt(cert.and_then(|c| c.trusted).map(yes_no)),
        opt(facts.and_then(|f| f.ntlm_computer.clone())),
        opt(facts.and_then(|f| f.ntlm_domain.clone())),
        opt(facts.and_then(|f| f.os_version.clone().or_else(|| f.os_build.map(|b| b.to_string())))),
        opt(r.policy.as_ref().map(|p| {
            format!(
                "{}: {}",
                p.policy,
                match p.status {
                    rdp_doctor_core::policy::PolicyStatus::Pass => "pass",
                    rdp_doctor_core::policy::PolicyStatus::Fail => "fail",
                    rdp_doctor_core::policy::PolicyStatus::Unverified => "unverified",
                }
            )
        })),
        findings.join(" "),
        format!("{:.0}", r.duration_ms),
    ]
}

/// CSV with a header row, flushed after every row.
pub struct CsvOut<W: Write> {
    w: csv::Writer<W>,
}

impl<W: Write> CsvOut<W> {
    pub fn new(out: W) -> std::io::Result<Self> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(CSV_COLUMNS).map_err(std::io::Error::other)?;
        w.flush()?;
        Ok(Self { w })
    }

    /// Appends rows to an existing CSV (a resumed scan): no header.
    pub fn append(out: W) -> Self {
        Self { w: csv::WriterBuilder::new().has_headers(false).from_writer(out) }
    }

    pub fn write(&mut self, r: &Report) -> std::io::Result<()> {
        self.w.write_record(csv_row(r)).map_err(std::io::Error::other)?;
        self.w.flush()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn rows_have_every_column() {
        let ev = rdp_doctor_core::Evidence::new(
            rdp_doctor_core::evidence::Target { input: "a,b\"c:3389".into(), host: "h".into(), port: 3389, ip: None },
            0,
        );
        let r = rdp_doctor_core::report::build(ev, 1.0);
        assert_eq!(csv_row(&r).len(), CSV_COLUMNS.len());
        let mut out = CsvOut::new(Vec::new()).unwrap();
        out.write(&r).unwrap();
        let text = String::from_utf8(out.w.into_inner().unwrap()).unwrap();
        assert!(text.starts_with("target,address,"));
        assert!(text.contains("\"a,b\"\"c:3389\""), "{text}");
    }
}
