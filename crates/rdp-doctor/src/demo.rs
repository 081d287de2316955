//! `rdp-doctor demo`: a full diagnosis with nothing installed. Starts IronRDP's acceptor on loopback with a
//! certificate that expired yesterday, then runs the same `check` a user would run against it. Exits 0
//! when the diagnosis names the planted fault (`cert.expired`), 1 otherwise.

use std::time::Instant;

use anyhow::Context;
use rdp_doctor_testserver::{CertSpec, Security, TestServer, TestServerConfig};

use crate::cli::DemoArgs;

pub async fn run(args: &DemoArgs) -> anyhow::Result<u8> {
    let server = TestServer::start(TestServerConfig {
        bind: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        cert: CertSpec::ExpiredYesterday,
        // Demo credentials only; nothing authenticates in the check.
        security: Security::HybridEx { username: "demo".to_owned(), password: "demo-password".to_owned() },
    })
    .context("cannot start the built-in demo RDP server")?;
    if args.output.format() == crate::cli::Format::Text && args.output.output.is_none() {
        anstream::eprintln!(
            "Demo: started IronRDP's acceptor on {} with a certificate that expired yesterday; running `rdp-doctor check {}`\n",
            server.addr(),
            server.addr()
        );
    }
    let target = rdp_doctor_probe::parse_target(&server.addr().to_string(), 3389)?;
    let opts = rdp_doctor_probe::CheckOptions::default();
    let start = Instant::now();
    let evidence = rdp_doctor_probe::check(target, &opts).await;
    let report = rdp_doctor_core::report::build(evidence, start.elapsed().as_secs_f64() * 1000.0);
    drop(server);
    crate::render::emit(&report, &args.output, &[])?;
    // The demo succeeds when the diagnosis finds what was planted: exit 0 then, so a newcomer's first
    // command ends cleanly; any other verdict means the tool is broken here (exit 1).
    Ok(if report.verdict == "cert.expired" { 0 } else { 1 })
}
