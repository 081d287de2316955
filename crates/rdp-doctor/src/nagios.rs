//! `rdp-doctor nagios`: the Monitoring Plugins interface (Nagios, Icinga, Naemon, Checkmk's classic
//! checks). Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; UNKNOWN only when the plugin itself fails (bad
//! arguments), never for an unreachable or broken server. The judging and the output are in
//! `rdp-doctor-monitor::nagios`.

use std::time::Duration;

use clap::Args;
use rdp_doctor_monitor::nagios::{self, PluginOptions, Range, Thresholds};
use rdp_doctor_probe::CheckOptions;

/// `rdp-doctor nagios -H HOST [-p PORT] [-t SECONDS] [-w RANGE] [-c RANGE] [--cert-days WARN,CRIT] …`
#[derive(Debug, Args)]
pub struct NagiosArgs {
    /// The server: a host name or an IP address.
    #[arg(short = 'H', long = "hostname", value_name = "HOST")]
    pub host: String,
    /// The RDP port.
    #[arg(short = 'p', long, default_value_t = 3389)]
    pub port: u16,
    /// The whole check's deadline in seconds; each step gets at most a quarter of it (at most 5 s).
    #[arg(short = 't', long, default_value = "10", value_name = "SECONDS")]
    pub timeout: String,
    /// WARNING when the check's time in seconds is outside this range ([@][start:][end], e.g. 1 or 0.5:2).
    #[arg(short = 'w', long, value_name = "RANGE", allow_hyphen_values = true)]
    pub warning: Option<String>,
    /// CRITICAL when the check's time in seconds is outside this range.
    #[arg(short = 'c', long, value_name = "RANGE", allow_hyphen_values = true)]
    pub critical: Option<String>,
    /// WARNING / CRITICAL when the server certificate has fewer days left (e.g. 14,7). Replaces the
    /// built-in 30-day cert.expiring_soon finding; an expired certificate is always CRITICAL.
    #[arg(long, value_name = "WARN,CRIT")]
    pub cert_days: Option<String>,
    /// Match the certificate against this name instead of HOST.
    #[arg(long, value_name = "NAME")]
    pub tls_name: Option<String>,
    /// Findings that do not count for the status (comma list or repeated), e.g. cert.self_signed.
    #[arg(long, value_name = "ID[,ID…]", value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Security protocols to offer (as check --protocols).
    #[arg(long, default_value = crate::cli::DEFAULT_PROTOCOLS)]
    pub protocols: String,
    /// Skip the security-layer matrix (each protocol offered alone): fewer connections, no NLA facts.
    #[arg(long)]
    pub no_matrix: bool,
    /// Every layer, every finding and the limitations on the lines after the first.
    #[arg(short = 'v', long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

fn options(args: &NagiosArgs) -> anyhow::Result<(rdp_doctor_core::evidence::Target, PluginOptions)> {
    let secs: f64 = args
        .timeout
        .trim()
        .trim_end_matches('s')
        .parse()
        .map_err(|_| anyhow::anyhow!("-t {:?}: expected a number of seconds", args.timeout))?;
    if !(0.1..=3600.0).contains(&secs) {
        anyhow::bail!("-t {secs}: expected between 0.1 and 3600 seconds");
    }
    let timeout = Duration::from_secs_f64(secs);
    let range = |r: &Option<String>| r.as_deref().map(Range::parse).transpose();
    if let Some(id) = args.ignore.iter().find(|id| rdp_doctor_core::catalogue::by_id(id).is_none()) {
        anyhow::bail!("--ignore {id}: no such finding (rdp-doctor explain --list)");
    }
    let thresholds = Thresholds {
        warning: range(&args.warning)?,
        critical: range(&args.critical)?,
        cert_days: args.cert_days.as_deref().map(nagios::parse_cert_days).transpose().map_err(anyhow::Error::msg)?,
        ignore: args.ignore.clone(),
    };
    let target = rdp_doctor_probe::parse_target(&args.host, args.port)?;
    let check = CheckOptions {
        timeout: nagios::layer_timeout(timeout),
        requested: crate::cli::parse_protocols(&args.protocols)?,
        tls_name: args.tls_name.clone(),
        matrix: !args.no_matrix,
        samples: 0,
        udp_tries: 0,
        ..CheckOptions::default()
    };
    Ok((target, PluginOptions { timeout, thresholds, verbose: args.verbose, check }))
}

/// Runs the plugin; prints its output and returns its exit code.
pub async fn run(args: &NagiosArgs) -> u8 {
    use std::io::Write as _;
    let (status, text) = match options(args) {
        Ok((target, opts)) => nagios::run(target, &opts).await,
        Err(e) => (nagios::Status::Unknown, nagios::unknown(&format!("{e:#}"))),
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    status.code()
}
