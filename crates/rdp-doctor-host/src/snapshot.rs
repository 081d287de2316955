//! The host snapshot file: [`HostEvidence`] as JSON (`host --save FILE`), read back by `host --snapshot
//! FILE` and `check HOST --host FILE`. The schema is documented in docs/host.md; a snapshot of another
//! `schema_version` is refused with a message that says both versions.

use std::io::Read;
use std::path::Path;

use rdp_doctor_core::evidence::host::{HOST_SCHEMA_VERSION, HostEvidence};

/// Snapshots larger than this are refused.
pub const MAX_SNAPSHOT_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot read the snapshot {0}: {1}")]
    Io(String, std::io::Error),
    #[error("{0} is not a host snapshot: {1}")]
    NotSnapshot(String, String),
    #[error(
        "{path} is a host snapshot of schema_version {found}; this rdp-doctor reads schema_version {HOST_SCHEMA_VERSION}"
    )]
    Version { path: String, found: u64 },
    #[error("{0} is larger than {MAX_SNAPSHOT_BYTES} bytes")]
    TooLarge(String),
}

/// Parses a snapshot from its text.
pub fn parse(text: &[u8], path: &str) -> Result<HostEvidence, SnapshotError> {
    let v: serde_json::Value =
        serde_json::from_slice(text).map_err(|e| SnapshotError::NotSnapshot(path.to_owned(), e.to_string()))?;
    let found = v
        .get("schema_version")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| SnapshotError::NotSnapshot(path.to_owned(), "no schema_version".to_owned()))?;
    if found != u64::from(HOST_SCHEMA_VERSION) {
        return Err(SnapshotError::Version { path: path.to_owned(), found });
    }
    serde_json::from_value(v).map_err(|e| SnapshotError::NotSnapshot(path.to_owned(), e.to_string()))
}

/// Reads a snapshot file (bounded, read-only).
pub fn load(path: &Path) -> Result<HostEvidence, SnapshotError> {
    let shown = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|e| SnapshotError::Io(shown.clone(), e))?;
    let mut buf = Vec::new();
    f.take(MAX_SNAPSHOT_BYTES + 1).read_to_end(&mut buf).map_err(|e| SnapshotError::Io(shown.clone(), e))?;
    if buf.len() as u64 > MAX_SNAPSHOT_BYTES {
        return Err(SnapshotError::TooLarge(shown));
    }
    parse(&buf, &shown)
}

/// The snapshot's text.
pub fn to_json(ev: &HostEvidence) -> String {
    serde_json::to_string_pretty(ev).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_versions() {
        let mut ev = HostEvidence::new("test", 5);
        ev.computer_name = Some("RDS1".into());
        let back = parse(to_json(&ev).as_bytes(), "x").unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(back, ev);
        let other = to_json(&ev).replace("\"schema_version\": 1", "\"schema_version\": 2");
        let err = parse(other.as_bytes(), "x").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("schema_version 2") && err.contains("reads schema_version 1"), "{err}");
        assert!(matches!(parse(b"{}", "x"), Err(SnapshotError::NotSnapshot(..))));
        assert!(matches!(parse(b"\x00garbage", "x"), Err(SnapshotError::NotSnapshot(..))));
    }
}
