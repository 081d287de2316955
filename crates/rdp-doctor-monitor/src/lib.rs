//! Monitoring for rdp-doctor: the Prometheus exporter (`rdp-doctor serve`) and the Nagios/Icinga plugin
//! mode (`rdp-doctor nagios`).
//!
//! Both call the probe the way `rdp-doctor check` does (`rdp_doctor_probe::check`, then
//! `rdp_doctor_core::report::build`) and print the one `Report` with a pure renderer: [`metrics`] for
//! Prometheus, [`nagios`] for the plugin's status line and performance data. The exporter's I/O (HTTP,
//! configuration file, signals) lives in [`exporter`]; its configuration and allowlist in [`config`] and
//! [`allow`]; running one probe under a deadline in [`probe`].

pub mod allow;
pub mod config;
pub mod exporter;
pub mod metrics;
pub mod nagios;
pub mod probe;
