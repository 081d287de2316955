//! The exporter's configuration: a YAML file in blackbox_exporter's shape (`modules: {NAME: {...}}`).
//!
//! Every module says which targets it may probe (`allowed_targets`); everything else has a default, so a
//! module given only `allowed_targets` probes the way `rdp-doctor check` does, minus the slow extras
//! (quality series, RDP-UDP). Credentials live here and nowhere else: never in a URL, never in output.
//! The file is read once at start and again on `POST /-/reload` (or SIGHUP); a bad file is refused whole
//! and the running configuration stays.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rdp_doctor_probe::CheckOptions;
use rdp_doctor_probe::session::{Credentials, Password};
use rdp_doctor_proto::nego::SecurityProtocol;
use serde::Deserialize;
use zeroize::Zeroize;

use crate::allow::AllowList;

/// The largest configuration file read (it is YAML written by a person).
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// Defaults of a module.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
/// The deadline of each step when the module gives none (capped by the probe's deadline, see
/// [`Module::layer_timeout_for`]).
pub const DEFAULT_LAYER_TIMEOUT: Duration = Duration::from_secs(5);
/// Probes run at once, over all modules.
pub const DEFAULT_MAX_CONCURRENT: usize = 32;
/// Probes waiting for a free slot before new ones are turned away with 503.
pub const DEFAULT_MAX_PENDING: usize = 256;
/// Probes of one target (host and port) at once; more get 503 (two Prometheus servers of an HA pair
/// scrape the same target).
pub const DEFAULT_MAX_PER_TARGET: usize = 2;

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path} is larger than {MAX_CONFIG_BYTES} bytes")]
    TooLarge { path: String },
    #[error("{path}: {message}")]
    Yaml { path: String, message: String },
    #[error("module {module:?}: {message}")]
    Module { module: String, message: String },
    #[error("{0}")]
    Invalid(String),
}

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    limits: LimitsFile,
    modules: BTreeMap<String, ModuleFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsFile {
    max_concurrent_probes: Option<usize>,
    max_pending_probes: Option<usize>,
    max_probes_per_target: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModuleFile {
    timeout: Option<String>,
    layer_timeout: Option<String>,
    protocols: Option<Vec<String>>,
    matrix: Option<bool>,
    deep: Option<bool>,
    tls_name: Option<String>,
    cert_warning_days: Option<i64>,
    gateway: Option<String>,
    gateway_udp_port: Option<u16>,
    direct_dns: Option<bool>,
    cookie: Option<String>,
    samples: Option<u16>,
    udp: Option<bool>,
    websocket_ports: Option<bool>,
    credentials: Option<CredentialsFile>,
    allowed_targets: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialsFile {
    user: String,
    password: Option<String>,
    password_file: Option<PathBuf>,
}

impl Drop for CredentialsFile {
    fn drop(&mut self) {
        if let Some(p) = &mut self.password {
            p.zeroize();
        }
    }
}

impl std::fmt::Debug for CredentialsFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialsFile").field("user", &self.user).field("password", &"<redacted>").finish()
    }
}

/// Limits on the probes in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_concurrent_probes: usize,
    pub max_pending_probes: usize,
    pub max_probes_per_target: usize,
}

/// A loaded, validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub limits: Limits,
    pub modules: BTreeMap<String, Module>,
}

/// One module: how to probe, and which targets it may probe.
#[derive(Clone)]
pub struct Module {
    pub name: String,
    /// The cap of the whole probe's deadline (blackbox's module `timeout`).
    pub timeout: Duration,
    /// The deadline of each step (DNS, each TCP attempt, X.224, TLS, CredSSP).
    pub layer_timeout: Duration,
    pub protocols: SecurityProtocol,
    pub matrix: bool,
    pub deep: bool,
    pub tls_name: Option<String>,
    /// `rdp_cert_expiring_soon` turns 1 below this many days left.
    pub cert_warning_days: i64,
    pub gateway: Option<(String, u16)>,
    pub gateway_udp_port: u16,
    pub direct_dns: bool,
    pub cookie: Option<String>,
    pub samples: usize,
    pub udp: bool,
    pub websocket_ports: bool,
    /// Used for the credentialed run (one logon attempt per probe); never printed.
    pub credentials: Option<Credentials>,
    pub allowed: AllowList,
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module")
            .field("name", &self.name)
            .field("timeout", &self.timeout)
            .field("layer_timeout", &self.layer_timeout)
            .field("protocols", &self.protocols)
            .field("matrix", &self.matrix)
            .field("deep", &self.deep)
            .field("tls_name", &self.tls_name)
            .field("cert_warning_days", &self.cert_warning_days)
            .field("gateway", &self.gateway)
            .field("direct_dns", &self.direct_dns)
            .field("cookie", &self.cookie.as_ref().map(|_| "<redacted>"))
            .field("samples", &self.samples)
            .field("udp", &self.udp)
            .field("websocket_ports", &self.websocket_ports)
            .field("credentials", &self.credentials)
            .field("allowed", &self.allowed)
            .finish()
    }
}

impl Module {
    /// A module with every default and this allowlist.
    pub fn with_allowlist(name: &str, allowed: AllowList) -> Self {
        Self {
            name: name.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            layer_timeout: DEFAULT_LAYER_TIMEOUT,
            protocols: SecurityProtocol::DEFAULT_REQUEST,
            matrix: true,
            deep: false,
            tls_name: None,
            cert_warning_days: 14,
            gateway: None,
            gateway_udp_port: rdp_doctor_probe::gateway::DEFAULT_UDP_PORT,
            direct_dns: true,
            cookie: None,
            samples: 0,
            udp: false,
            websocket_ports: false,
            credentials: None,
            allowed,
        }
    }

    /// The deadline of each step for a probe with `deadline` in all: the module's, but at most a quarter
    /// of the deadline, so that a server that hangs at one step is still reported (the matrix runs three
    /// waves of connections beside the main chain, within the per-host bound of three).
    pub fn layer_timeout_for(&self, deadline: Duration) -> Duration {
        self.layer_timeout.min(deadline / 4).max(Duration::from_millis(50))
    }

    /// The probe's options, as `check` would build them from the same flags.
    pub fn check_options(&self, layer_timeout: Duration, tls_name: Option<&str>) -> CheckOptions {
        CheckOptions {
            timeout: layer_timeout,
            requested: self.protocols,
            cookie: self.cookie.clone(),
            direct_dns: self.direct_dns,
            tls_name: tls_name.map(str::to_owned).or_else(|| self.tls_name.clone()),
            matrix: self.matrix,
            deep: self.deep,
            samples: self.samples,
            websocket_ports: self.websocket_ports,
            udp_tries: usize::from(self.udp),
            gateway: self.gateway.clone(),
            gateway_udp_port: self.gateway_udp_port,
            credentials: self.credentials.clone(),
            parallel: rdp_doctor_probe::gate::PER_HOST,
        }
    }

    /// The module's settings in words, without secrets (for `debug=true`).
    pub fn describe(&self) -> String {
        let mut o = format!(
            "module {}: timeout {} ms, layer timeout {} ms, protocols {}, matrix {}, deep {}, samples {}, udp {}",
            self.name,
            self.timeout.as_millis(),
            self.layer_timeout.as_millis(),
            self.protocols.names().join(" | "),
            self.matrix,
            self.deep,
            self.samples,
            self.udp
        );
        if let Some(n) = &self.tls_name {
            o.push_str(&format!(", tls_name {n}"));
        }
        if let Some((h, p)) = &self.gateway {
            o.push_str(&format!(", gateway {h}:{p}"));
        }
        if let Some(c) = &self.credentials {
            o.push_str(&format!(", credentials for {} (password not shown)", c.user));
        }
        o.push_str(&format!(", allowed targets: {}", self.allowed));
        o
    }
}

/// Reads and validates the file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    use std::io::Read as _;
    let shown = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| ConfigError::Read { path: shown.clone(), source })?;
    let mut text = String::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|source| ConfigError::Read { path: shown.clone(), source })?;
    if text.len() as u64 > MAX_CONFIG_BYTES {
        return Err(ConfigError::TooLarge { path: shown });
    }
    let base = path.parent().unwrap_or_else(|| Path::new("."));
    let config = parse(&text, base).map_err(|e| match e {
        ConfigError::Yaml { message, .. } => ConfigError::Yaml { path: shown.clone(), message },
        other => other,
    });
    text.zeroize(); // it may hold passwords
    config
}

/// Parses and validates configuration text; relative `password_file` paths are taken from `base`.
pub fn parse(text: &str, base: &Path) -> Result<Config, ConfigError> {
    let file: ConfigFile = serde_saphyr::from_str(text)
        .map_err(|e| ConfigError::Yaml { path: "<config>".to_owned(), message: e.to_string() })?;
    let l = file.limits;
    let limits = Limits {
        max_concurrent_probes: l.max_concurrent_probes.unwrap_or(DEFAULT_MAX_CONCURRENT),
        max_pending_probes: l.max_pending_probes.unwrap_or(DEFAULT_MAX_PENDING),
        max_probes_per_target: l.max_probes_per_target.unwrap_or(DEFAULT_MAX_PER_TARGET),
    };
    if !(1..=4096).contains(&limits.max_concurrent_probes) {
        return Err(ConfigError::Invalid("limits.max_concurrent_probes must be between 1 and 4096".to_owned()));
    }
    if limits.max_pending_probes > 65_536 {
        return Err(ConfigError::Invalid("limits.max_pending_probes must be at most 65536".to_owned()));
    }
    if limits.max_probes_per_target == 0 {
        return Err(ConfigError::Invalid("limits.max_probes_per_target must be at least 1".to_owned()));
    }
    if file.modules.is_empty() {
        return Err(ConfigError::Invalid("no modules: the exporter would refuse every probe".to_owned()));
    }
    let mut modules = BTreeMap::new();
    for (name, m) in file.modules {
        let module = module(&name, m, base).map_err(|message| ConfigError::Module { module: name.clone(), message })?;
        modules.insert(name, module);
    }
    Ok(Config { limits, modules })
}

fn module(name: &str, m: ModuleFile, base: &Path) -> Result<Module, String> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.') {
        return Err("a module name uses letters, digits, '_', '-' and '.' only".to_owned());
    }
    let entries = m.allowed_targets.as_deref().unwrap_or_default();
    if entries.is_empty() {
        return Err("allowed_targets is missing or empty: list the networks (CIDR) and host-name patterns this \
                    module may probe; the exporter is not an open proxy"
            .to_owned());
    }
    let allowed = AllowList::parse(entries)?;
    let mut out = Module::with_allowlist(name, allowed);
    if let Some(t) = &m.timeout {
        out.timeout = parse_duration(t).map_err(|e| format!("timeout: {e}"))?;
    }
    if let Some(t) = &m.layer_timeout {
        out.layer_timeout = parse_duration(t).map_err(|e| format!("layer_timeout: {e}"))?;
    }
    if let Some(p) = &m.protocols {
        out.protocols = parse_protocols(p)?;
    }
    out.matrix = m.matrix.unwrap_or(out.matrix);
    out.deep = m.deep.unwrap_or(out.deep);
    if let Some(n) = &m.tls_name {
        if !valid_name(n) {
            return Err(format!("tls_name {n:?} is not a host name or address"));
        }
        out.tls_name = Some(n.clone());
    }
    if let Some(d) = m.cert_warning_days {
        if !(0..=3650).contains(&d) {
            return Err("cert_warning_days must be between 0 and 3650".to_owned());
        }
        out.cert_warning_days = d;
    }
    if let Some(g) = &m.gateway {
        out.gateway = Some(rdp_doctor_probe::gateway::parse_gateway(g).map_err(|e| format!("gateway: {e}"))?);
    }
    out.gateway_udp_port = m.gateway_udp_port.unwrap_or(out.gateway_udp_port);
    out.direct_dns = m.direct_dns.unwrap_or(out.direct_dns);
    out.cookie = m.cookie.clone();
    if let Some(s) = m.samples {
        if s > 100 {
            return Err("samples must be at most 100".to_owned());
        }
        out.samples = usize::from(s);
    }
    out.udp = m.udp.unwrap_or(out.udp);
    out.websocket_ports = m.websocket_ports.unwrap_or(out.websocket_ports);
    if let Some(c) = &m.credentials {
        if out.allowed.allows_everything() {
            return Err("credentials are only sent to a bounded set of targets: allowed_targets must not admit every \
                        address (0.0.0.0/0, ::/0)"
                .to_owned());
        }
        out.credentials = Some(credentials(c, base)?);
    }
    Ok(out)
}

fn credentials(c: &CredentialsFile, base: &Path) -> Result<Credentials, String> {
    if c.user.trim().is_empty() {
        return Err("credentials.user is empty".to_owned());
    }
    let password = match (&c.password, &c.password_file) {
        (Some(p), None) => Password::new(p.clone()),
        (None, Some(file)) => {
            let path = if file.is_absolute() { file.clone() } else { base.join(file) };
            let mut text = std::fs::read_to_string(&path)
                .map_err(|e| format!("credentials.password_file {}: {e}", path.display()))?;
            let end = text.find(['\r', '\n']).unwrap_or(text.len());
            let mut rest = text.split_off(end);
            rest.zeroize();
            Password::new(text)
        }
        _ => return Err("credentials need exactly one of password and password_file".to_owned()),
    };
    Ok(Credentials { user: c.user.clone(), password })
}

/// `5s`, `1500ms`, `1m`, or plain seconds; between 1 ms and 10 minutes.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, mult) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else {
        (s, 1.0)
    };
    let v: f64 = num.trim().parse().map_err(|_| format!("invalid duration {s:?}: use 5s, 1500ms or 1m"))?;
    let secs = v * mult;
    if !(0.001..=600.0).contains(&secs) {
        return Err(format!("duration {s:?} must be between 1ms and 10m"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Protocol names as `check --protocols` takes them: rdp, ssl, hybrid, hybrid_ex, rdstls, rdsaad.
fn parse_protocols(list: &[String]) -> Result<SecurityProtocol, String> {
    let mut bits = 0;
    for p in list {
        bits |= match p.trim().to_ascii_lowercase().as_str() {
            "rdp" => 0,
            "ssl" | "tls" => SecurityProtocol::PROTOCOL_SSL.0,
            "hybrid" | "nla" | "credssp" => SecurityProtocol::PROTOCOL_HYBRID.0,
            "hybrid_ex" | "hybrid-ex" => SecurityProtocol::PROTOCOL_HYBRID_EX.0,
            "rdstls" => SecurityProtocol::PROTOCOL_RDSTLS.0,
            "rdsaad" | "aad" => SecurityProtocol::PROTOCOL_RDSAAD.0,
            other => {
                return Err(format!(
                    "unknown protocol {other:?} in protocols (use rdp, ssl, hybrid, hybrid_ex, rdstls, rdsaad)"
                ));
            }
        };
    }
    Ok(SecurityProtocol(bits))
}

/// A host name or an IP address, as a TLS name may be.
pub fn valid_name(s: &str) -> bool {
    s.parse::<std::net::IpAddr>().is_ok()
        || (!s.is_empty()
            && s.len() <= 253
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_'))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const EXAMPLE: &str = r#"
modules:
  rdp:
    allowed_targets: ["127.0.0.0/8", "*.lab.example"]
  nla_logon:
    timeout: 20s
    layer_timeout: 1500ms
    protocols: [hybrid, hybrid_ex]
    matrix: false
    tls_name: rdp.lab.example
    cert_warning_days: 30
    credentials:
      user: 'LAB\monitor'
      password: "pa55 word"
    allowed_targets: ["rdp1.lab.example", "10.1.2.0/24"]
"#;

    #[test]
    fn a_module_given_only_allowed_targets_takes_the_defaults() {
        let c = parse(EXAMPLE, Path::new(".")).unwrap();
        let m = &c.modules["rdp"];
        assert_eq!(m.timeout, DEFAULT_TIMEOUT);
        assert_eq!(m.layer_timeout, DEFAULT_LAYER_TIMEOUT);
        assert_eq!(m.protocols, SecurityProtocol::DEFAULT_REQUEST);
        assert!(m.matrix && !m.deep && !m.udp && m.credentials.is_none());
        assert_eq!(c.limits.max_concurrent_probes, DEFAULT_MAX_CONCURRENT);
        let n = &c.modules["nla_logon"];
        assert_eq!(n.timeout, Duration::from_secs(20));
        assert_eq!(n.layer_timeout, Duration::from_millis(1500));
        assert_eq!(n.protocols, SecurityProtocol(0x0a));
        assert_eq!(n.tls_name.as_deref(), Some("rdp.lab.example"));
        assert_eq!(n.credentials.as_ref().unwrap().user, "LAB\\monitor");
    }

    #[test]
    fn the_password_never_shows_in_debug_or_the_description() {
        let c = parse(EXAMPLE, Path::new(".")).unwrap();
        let shown = format!("{c:?} {}", c.modules["nla_logon"].describe());
        assert!(!shown.contains("pa55"), "{shown}");
        assert!(shown.contains("LAB\\monitor"));
    }

    #[test]
    fn refusals() {
        let bad = |text: &str| parse(text, Path::new(".")).expect_err(text).to_string();
        assert!(bad("modules: {}").contains("no modules"));
        assert!(bad("modules: {a: {timeout: 5s}}").contains("allowed_targets"));
        assert!(bad("modules: {a: {allowed_targets: []}}").contains("allowed_targets"));
        assert!(bad("modules: {a: {allowed_targets: ['10.0.0.0/33']}}").contains("10.0.0.0/33"));
        assert!(bad("modules: {a: {allowed_targets: ['10.0.0.0/8'], bogus: 1}}").contains("bogus"));
        assert!(bad("modules: {a: {allowed_targets: ['10.0.0.0/8'], timeout: 0s}}").contains("timeout"));
        assert!(bad("modules: {a: {allowed_targets: ['10.0.0.0/8'], protocols: [tls9]}}").contains("tls9"));
        let open = "modules: {a: {allowed_targets: ['0.0.0.0/0'], credentials: {user: u, password: p}}}";
        assert!(bad(open).contains("every"));
        let both = "modules: {a: {allowed_targets: ['10.0.0.1'], credentials: {user: u}}}";
        assert!(bad(both).contains("exactly one"));
        assert!(bad("limits: {max_concurrent_probes: 0}\nmodules: {a: {allowed_targets: ['::1']}}").contains("limits"));
        assert!(bad(": : :").contains("<config>"));
    }

    #[test]
    fn password_file_is_read_relative_to_the_config() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pw"), "from-file\r\nrest\n").unwrap();
        std::fs::write(
            dir.path().join("c.yml"),
            "modules: {a: {allowed_targets: ['10.0.0.1'], credentials: {user: u, password_file: pw}}}",
        )
        .unwrap();
        let c = load(&dir.path().join("c.yml")).unwrap();
        let creds = c.modules["a"].credentials.as_ref().unwrap();
        assert!(!creds.password.is_empty());
        assert!(!format!("{creds:?}").contains("from-file"));
        assert!(load(&dir.path().join("missing.yml")).is_err());
    }

    #[test]
    fn layer_timeout_is_a_quarter_of_the_deadline_at_most() {
        let c = parse(EXAMPLE, Path::new(".")).unwrap();
        let m = &c.modules["rdp"];
        assert_eq!(m.layer_timeout_for(Duration::from_secs(40)), DEFAULT_LAYER_TIMEOUT);
        assert_eq!(m.layer_timeout_for(Duration::from_secs(8)), Duration::from_secs(2));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("1m").unwrap(), Duration::from_secs(60));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert!(parse_duration("11m").is_err());
        assert!(parse_duration("x").is_err());
    }
}
