//! `rdp-doctor serve`: the Prometheus exporter (blackbox_exporter's multi-target pattern). The server lives
//! in `rdp-doctor-monitor`; this file only turns flags into its options and prints its log to stderr.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use rdp_doctor_core::Report;
use rdp_doctor_monitor::exporter::{DEFAULT_LISTEN, ServeOptions, Server, shutdown_signal};

/// `rdp-doctor serve --config FILE [--listen ADDR]`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The YAML configuration: modules with their allowed_targets (see contrib/rdp-doctor-exporter.yml).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Where to listen. Loopback by default: opening it wider lets others start probes from this host
    /// (within each module's allowed_targets).
    #[arg(long, value_name = "ADDR:PORT", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
}

/// The text report for `debug=true`, without terminal colours.
fn debug_text(report: &Report) -> String {
    anstream::adapter::strip_str(&crate::render::text::render(report, true)).to_string()
}

fn log(line: &str) {
    eprintln!("rdp-doctor serve: {line}");
}

pub async fn run(args: &ServeArgs) -> anyhow::Result<u8> {
    let opts = ServeOptions { config_path: args.config.clone(), listen: args.listen, debug_render: debug_text, log };
    let server = Server::bind(opts).await?;
    if let Some(addr) = server.local_addr() {
        log(&format!("listening on http://{addr}/ (configuration {})", args.config.display()));
    }
    server.run(shutdown_signal()).await?;
    log("stopped");
    Ok(0)
}
