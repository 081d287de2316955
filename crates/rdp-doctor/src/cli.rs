//! Command-line interface. Flags are documented where they are defined.

use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use rdp_doctor_core::Severity;
use rdp_doctor_probe::CheckOptions;
use rdp_doctor_proto::nego::SecurityProtocol;

/// Tells you exactly why a Remote Desktop connection fails, with the evidence and the fix.
#[derive(Debug, Parser)]
#[command(name = "rdp-doctor", version, about, long_about = None)]
pub struct Cli {
    /// When to use colour (NO_COLOR and CLICOLOR are honoured with `auto`).
    #[arg(long, value_enum, default_value_t = ColorArg::Auto, global = true)]
    pub color: ColorArg,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Diagnose one RDP server layer by layer: DNS, TCP, X.224 negotiation, TLS and its certificate, CredSSP;
    /// with --user, the whole connection sequence with one logon attempt.
    Check(CheckArgs),
    /// Start a built-in RDP server on loopback (certificate expired yesterday) and diagnose it.
    Demo(DemoArgs),
    /// Explain an error code (or the dialog's two codes), a finding or a remedy, with causes and fixes.
    Explain(ExplainArgs),
    /// Lint, clean, create and explain .rdp files (`check FILE.rdp` checks the server a file names).
    #[command(subcommand)]
    Rdpfile(crate::rdpfile::RdpfileCommand),
    /// Read a pcap/pcapng capture and diagnose every RDP-related connection in it, failing ones first.
    Capture(CaptureArgs),
    /// Run the Prometheus exporter: GET /probe?target=HOST[:PORT]&module=NAME probes a server and answers
    /// with its metrics (blackbox_exporter's multi-target pattern). Listens on 127.0.0.1:9733 by default.
    Serve(crate::serve::ServeArgs),
    /// Check one server as a Nagios/Icinga plugin: one status line with performance data, exit 0 OK,
    /// 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
    Nagios(crate::nagios::NagiosArgs),
    /// Diagnose the RDP server from its own configuration and logs: offline from a mounted Windows volume
    /// (--offline DIR), single hives (--hive), exported event logs (--evtx), or a saved snapshot.
    Host(crate::host::HostArgs),
    /// Start from the failure the user just had: the Remote Desktop client's own log (this PC's on Windows,
    /// or an exported one with --events), every attempt decoded, the newest failed one checked again against
    /// the same server, port and gateway, and the client's settings read. One report joins them.
    Last(Box<crate::last::LastArgs>),
    /// Check a whole fleet: thousands of hosts from lists, ranges and .rdp files, one JSONL report per host
    /// as it finishes, CSV, a summary, a policy. Never sends credentials.
    Scan(Box<crate::scan::ScanArgs>),
    /// Compare two scans' JSONL: per host, findings new, resolved, changed in severity; hosts appeared and
    /// gone. Exit 0 same, 1 different, 2 error.
    Diff(crate::scan::diff::DiffArgs),
}

#[derive(Debug, Args)]
pub struct CaptureArgs {
    /// The capture file (pcap or pcapng; tcpdump, Wireshark, dumpcap, pktmon converted with etl2pcapng).
    pub file: std::path::PathBuf,
    /// Also treat this TCP/UDP server port as RDP-related (RDP on another port, an RD Gateway on 443).
    /// Repeatable. TCP 3389, UDP 3389/3391 and RDP recognised by content are always included.
    #[arg(long = "port", value_name = "PORT")]
    pub ports: Vec<u16>,
    /// List at most this many connections in the report; the rest are analysed and counted by verdict.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub max_listed: usize,
    /// Decrypt TLS with the secrets of this NSS key log file (SSLKEYLOGFILE format: CLIENT_RANDOM for
    /// TLS ≤ 1.2, *_TRAFFIC_SECRET_* for TLS 1.3) and read the server's answer inside: CredSSP errorCode,
    /// Early User Authorization Result, Set Error Info (ERRINFO), licensing errors. Decryption Secrets
    /// Blocks in a pcapng are used without this option.
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub output: ReportArgs,
}

/// `rdp-doctor explain 0x904 0x7`, `explain 0xC000006D`, `explain cert.expired`, `explain --list`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// What to explain: CODE [EXTENDED] as the Windows dialog shows them (hex 0x904 or decimal 2308), one
    /// code of any family (0xC000006D, 0x800759DA, 0x0002000D), a code name, a finding ID (cert.expired),
    /// a remedy ID, or a family (errinfo) for its whole table.
    #[arg(required_unless_present_any = ["list", "markdown"])]
    pub query: Vec<String>,
    /// Read the number in one family only (see --list): disconnect, extended, errinfo, ntstatus, sspi,
    /// gateway, freerdp, neg-failure, authz, rdstls, neg-protocol, neg-flags.
    #[arg(long, value_parser = parse_kind)]
    pub kind: Option<rdp_doctor_codes::Kind>,
    /// List every code family, finding and remedy.
    #[arg(long, conflicts_with = "markdown")]
    pub list: bool,
    /// Print JSON (schema_version 1, documented in README.md).
    #[arg(long)]
    pub json: bool,
    /// Print a Markdown reference generated from the tables: codes (docs/codes.md), findings
    /// (docs/findings.md) or host (docs/host.md: the registry values and event IDs `host` reads).
    #[arg(long, value_name = "DOC", value_parser = ["codes", "findings", "host"], conflicts_with = "json")]
    pub markdown: Option<String>,
}

fn parse_kind(s: &str) -> Result<rdp_doctor_codes::Kind, String> {
    rdp_doctor_codes::family_by_id(s).map(|f| f.kind).ok_or_else(|| {
        let ids: Vec<&str> = rdp_doctor_codes::families().iter().map(|f| f.id).collect();
        format!("unknown family {s:?}: use one of {}", ids.join(", "))
    })
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The server: HOST, HOST:PORT, [IPv6]:PORT, or an .rdp file (FILE.rdp: its address, settings and lint).
    pub target: String,
    /// The port when TARGET has none.
    #[arg(long, short = 'p')]
    pub port: Option<u16>,
    #[command(flatten)]
    pub probe: ProbeArgs,
    /// Join the server's own view: a host snapshot (`rdp-doctor host --save`) or a mounted Windows system
    /// volume. The verdict then names the cause seen from both sides.
    #[arg(long = "host", value_name = "SNAPSHOT|DIR")]
    pub host: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub output: ReportArgs,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub output: ReportArgs,
}

/// `--protocols` when not given: what mstsc offers.
pub const DEFAULT_PROTOCOLS: &str = "ssl,hybrid,hybrid_ex";

/// How to probe.
#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Deadline of each layer (DNS, each TCP attempt, X.224, TLS): `5s`, `1500ms` or seconds.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Security protocols to offer in RDP_NEG_REQ: a comma list of rdp, ssl, hybrid, hybrid_ex, rdstls,
    /// rdsaad, or a number such as 0x0b.
    #[arg(long, default_value = DEFAULT_PROTOCOLS)]
    pub protocols: String,
    /// Send `Cookie: mstshash=NAME` in the Connection Request (some load balancers route on it).
    #[arg(long, value_name = "NAME")]
    pub cookie: Option<String>,
    /// Skip the direct DNS query (hickory) and use only the OS resolver.
    #[arg(long)]
    pub no_direct_dns: bool,
    /// Match the certificate against this name instead of the target host.
    #[arg(long, value_name = "NAME")]
    pub tls_name: Option<String>,
    /// Skip the security-layer matrix (each protocol offered alone on its own connection).
    #[arg(long)]
    pub no_matrix: bool,
    /// Also enumerate TLS 1.0-1.3 and every accepted cipher suite (dozens of connections, in parallel).
    #[arg(long)]
    pub deep: bool,
    /// TCP handshakes in the quality series (round trip, jitter, loss, MSS); 0 turns it off. Default 2, or
    /// 20 with --net. The main connection's and the matrix's handshakes are the first six or seven (the
    /// matrix does not probe again the protocol selected on the main connection); only more open
    /// connections of their own, started 10 ms apart beside the other probes.
    #[arg(long, value_parser = clap::value_parser!(u16).range(0..=100))]
    pub samples: Option<u16>,
    /// The fuller network check: 20 handshakes in the quality series, 3 RDP-UDP SYNs.
    #[arg(long)]
    pub net: bool,
    /// Skip the RDP-UDP probe (a SYN to UDP on the RDP port; never the final ACK).
    #[arg(long)]
    pub no_udp: bool,
    /// At most N of the check's connections wait for the server at once, the main one included (the matrix,
    /// the quality series and --deep's scan run beside the main chain within this bound). 1 runs them one
    /// after another, for a server that drops connections beyond a tiny listen backlog or
    /// MaxOutstandingConnections.
    #[arg(long, value_name = "N", default_value_t = PER_HOST, value_parser = clap::value_parser!(u8).range(1..=16))]
    pub parallel: u8,
    /// Also probe the Remote Desktop WebSocket listeners, TCP 3387 (ws) and 3392 (wss).
    #[arg(long)]
    pub websocket_ports: bool,
    /// Reach the target through this RD Gateway (GW or GW:PORT, default port 443): probe the gateway's
    /// TLS, HTTP, WebSocket and RPC-over-HTTP transports instead of the direct path.
    #[arg(long, value_name = "GW[:PORT]")]
    pub gateway: Option<String>,
    /// The gateway's UDP transport port for the DTLS ClientHello reachability test.
    #[arg(long, value_name = "PORT", default_value_t = rdp_doctor_probe::gateway::DEFAULT_UDP_PORT, requires = "gateway")]
    pub gateway_udp_port: u16,
    /// Credentialed check: run the real connection sequence as this account ([DOMAIN\]user or
    /// user@domain) up to the first screen update or the server's own verdict (what mstsc would show).
    /// Exactly ONE authentication attempt is made per run, because account lockout policies count
    /// failures. The password comes from --password-file, else the RDP_DOCTOR_PASSWORD environment
    /// variable, else an interactive prompt; it is never taken from the command line and never printed.
    /// With --gateway the account is the gateway's: NTLM over HTTP and the MS-TSGU tunnel to the target
    /// (handshake, tunnel, tunnel authorization, channel, then the X.224 negotiation through it).
    #[arg(long, value_name = "[DOMAIN\\]USER")]
    pub user: Option<String>,
    /// Read the password for --user from this file (its first line; the file is not modified).
    #[arg(long, value_name = "FILE", requires = "user")]
    pub password_file: Option<std::path::PathBuf>,
    /// Refused: a password on the command line ends up in shell history and the process list. Defined
    /// only so that `--password=…` gets a clear refusal that does not echo the value.
    #[arg(long, hide = true, num_args = 0..=1, allow_hyphen_values = true)]
    pub password: Option<Option<String>>,
}

/// The default of `--parallel` (the probe's per-host bound, which fits in a `u8`).
const PER_HOST: u8 = rdp_doctor_probe::gate::PER_HOST as u8;

impl ProbeArgs {
    pub fn options(&self) -> anyhow::Result<CheckOptions> {
        if self.password.is_some() {
            bail!(
                "--password is not accepted: a password in the arguments leaks into shell history and the process \
                 list; use --password-file FILE, the RDP_DOCTOR_PASSWORD environment variable, or the prompt"
            );
        }
        Ok(CheckOptions {
            timeout: self.timeout,
            requested: parse_protocols(&self.protocols)?,
            cookie: self.cookie.clone(),
            direct_dns: !self.no_direct_dns,
            tls_name: self.tls_name.clone(),
            matrix: !self.no_matrix,
            deep: self.deep,
            samples: match (self.samples, self.net) {
                (Some(n), _) => usize::from(n),
                (None, true) => rdp_doctor_probe::quality::NET_SAMPLES,
                (None, false) => rdp_doctor_probe::quality::DEFAULT_SAMPLES,
            },
            websocket_ports: self.websocket_ports,
            udp_tries: match (self.no_udp, self.net) {
                (true, _) => 0,
                (false, true) => 3,
                (false, false) => 1,
            },
            gateway: self.gateway.as_deref().map(rdp_doctor_probe::gateway::parse_gateway).transpose()?,
            gateway_udp_port: self.gateway_udp_port,
            credentials: match &self.user {
                Some(user) => Some(crate::password::credentials(user, self.password_file.as_deref())?),
                None => None,
            },
            parallel: usize::from(self.parallel),
        })
    }
}

/// How to print a report (`check`, `demo`, `capture`): the format, where, and the exit threshold.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Output format: `text` for a terminal, `json` (schema_version 1, documented in README.md),
    /// `markdown` to paste into a ticket, `html` for one self-contained page (no scripts, fonts or images
    /// from anywhere) to attach or open in a browser.
    #[arg(long, value_enum, default_value_t = Format::Text, value_name = "FORMAT")]
    pub format: Format,
    /// Short for --format json.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Write the report to FILE instead of standard output: atomically (a temporary file in the same
    /// directory, renamed over FILE), and never over one of the command's input files.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Warn)]
    pub fail_on: FailOn,
    /// Text: every finding, every layer detail and every remedy's steps (the default view is one screen).
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

impl ReportArgs {
    /// The format asked for (`--json` is `--format json`).
    pub fn format(&self) -> Format {
        if self.json { Format::Json } else { self.format }
    }
}

/// A report's output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
    Html,
}

/// How to print (`rdpfile lint`).
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Print the report as JSON (schema_version 1, documented in README.md).
    #[arg(long)]
    pub json: bool,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Warn)]
    pub fail_on: FailOn,
    /// Also show info findings and every detail of every layer.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FailOn {
    Fail,
    Warn,
    Info,
    Never,
}

impl FailOn {
    pub fn threshold(self) -> Option<Severity> {
        match self {
            Self::Fail => Some(Severity::Fail),
            Self::Warn => Some(Severity::Warn),
            Self::Info => Some(Severity::Info),
            Self::Never => None,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

impl ColorArg {
    pub fn write_global(self) {
        let choice = match self {
            Self::Auto => anstream::ColorChoice::Auto,
            Self::Always => anstream::ColorChoice::Always,
            Self::Never => anstream::ColorChoice::Never,
        };
        choice.write_global();
    }
}

pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, mult) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else {
        (s, 1.0)
    };
    let v: f64 = num.trim().parse().map_err(|_| format!("invalid duration {s:?}: use 5s, 1500ms or 2.5"))?;
    let secs = v * mult;
    if !(0.001..=600.0).contains(&secs) {
        return Err(format!("duration {s:?} must be between 1ms and 600s"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Parses `--protocols`.
pub fn parse_protocols(s: &str) -> anyhow::Result<SecurityProtocol> {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix("0x") {
        return Ok(SecurityProtocol(u32::from_str_radix(hex, 16).context("invalid hex in --protocols")?));
    }
    if let Ok(n) = s.parse::<u32>() {
        return Ok(SecurityProtocol(n));
    }
    let mut bits = 0u32;
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        bits |= match part.to_ascii_lowercase().as_str() {
            "rdp" => 0,
            "ssl" | "tls" => SecurityProtocol::PROTOCOL_SSL.0,
            "hybrid" | "nla" | "credssp" => SecurityProtocol::PROTOCOL_HYBRID.0,
            "hybrid_ex" | "hybrid-ex" => SecurityProtocol::PROTOCOL_HYBRID_EX.0,
            "rdstls" => SecurityProtocol::PROTOCOL_RDSTLS.0,
            "rdsaad" | "aad" => SecurityProtocol::PROTOCOL_RDSAAD.0,
            other => {
                bail!("unknown protocol {other:?} in --protocols (use rdp, ssl, hybrid, hybrid_ex, rdstls, rdsaad)")
            }
        };
    }
    Ok(SecurityProtocol(bits))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("1500ms").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("2").unwrap(), Duration::from_secs(2));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("abc").is_err());
        assert!(parse_duration("9999s").is_err());
    }

    #[test]
    fn protocols() {
        assert_eq!(parse_protocols("ssl,hybrid,hybrid_ex").unwrap(), SecurityProtocol(0x0b));
        assert_eq!(parse_protocols("rdp").unwrap(), SecurityProtocol(0));
        assert_eq!(parse_protocols("0x03").unwrap(), SecurityProtocol(3));
        assert!(parse_protocols("bogus").is_err());
    }
}
