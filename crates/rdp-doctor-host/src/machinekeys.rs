//! The file that holds a machine key container. For CryptoAPI (CSP) keys under
//! `ProgramData\Microsoft\Crypto\RSA\MachineKeys` the name is the container name in lower case with a
//! terminating NUL, hashed with MD5, written as four little-endian DWORDs in hex, then `_` and the
//! machine's `HKLM\SOFTWARE\Microsoft\Cryptography\MachineGuid` (the "unique container name" CryptoAPI
//! returns for PP_UNIQUE_CONTAINER). This is an implementation detail Microsoft does not document; it is
//! checked here against names published for well-known containers (see the tests), and a key file is also
//! recognised by the container name stored inside it.

use md5::{Digest, Md5};

/// Where CSP machine keys live, relative to the volume root.
pub const CAPI_MACHINE_KEYS: &str = r"ProgramData\Microsoft\Crypto\RSA\MachineKeys";
/// Where CNG machine keys live, relative to the volume root.
pub const CNG_MACHINE_KEYS: &str = r"ProgramData\Microsoft\Crypto\Keys";

/// The hash part of a CSP key file's name for `container`.
pub fn capi_hash(container: &str) -> String {
    let mut bytes: Vec<u8> = container.to_lowercase().into_bytes();
    bytes.push(0);
    let d = Md5::digest(&bytes);
    d.as_chunks::<4>().0.iter().map(|c| format!("{:08x}", u32::from_le_bytes(*c))).collect()
}

/// The full file name of a CSP machine key: `<hash>_<MachineGuid>`.
pub fn capi_file_name(container: &str, machine_guid: &str) -> String {
    format!("{}_{}", capi_hash(container), machine_guid.trim().to_lowercase())
}

/// The container name stored in a CSP key file's header (version, reserved, name length, … then the
/// name in ASCII at offset 40), when the bytes look like one.
pub fn embedded_container_name(head: &[u8]) -> Option<String> {
    let len = u32::from_le_bytes(head.get(8..12)?.try_into().ok()?) as usize;
    if len == 0 || len > 512 {
        return None;
    }
    let name = head.get(40..40 + len)?;
    let name = name.strip_suffix(&[0]).unwrap_or(name);
    name.iter().all(|b| b.is_ascii_graphic() || *b == b' ').then(|| String::from_utf8_lossy(name).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Published names: the RDP listener's self-signed key (`TSSecKeySet1`, f686aace…, known from countless
    /// MachineKeys troubleshooting write-ups), IIS's configuration keys (`iisConfigurationKey`,
    /// `iisWasKey`), and the worked example of Michel Gallant's UniqueKeyContainer note.
    #[test]
    fn known_container_file_names() {
        assert_eq!(capi_hash("TSSecKeySet1"), "f686aace6942fb7f7ceb231212eef4a4");
        assert_eq!(capi_hash("iisConfigurationKey"), "6de9cb26d2b98c01ec4e9e8b34824aa2");
        assert_eq!(capi_hash("iisWasKey"), "76944fb33636aeddb9590521c2e8815a");
        assert_eq!(capi_hash("MyCoolContainer"), "52ab417621a9d74c73e3e0f1bc374e0a");
        assert_eq!(
            capi_file_name("TSSecKeySet1", "4C4C4544-0000-1000-8000-000000000000 "),
            "f686aace6942fb7f7ceb231212eef4a4_4c4c4544-0000-1000-8000-000000000000"
        );
    }

    #[test]
    fn embedded_name() {
        let mut h = vec![0u8; 40];
        h[8..12].copy_from_slice(&13u32.to_le_bytes());
        h.extend_from_slice(b"TSSecKeySet1\0");
        assert_eq!(embedded_container_name(&h).as_deref(), Some("TSSecKeySet1"));
        assert_eq!(embedded_container_name(&h[..45]), None);
        assert_eq!(embedded_container_name(&[]), None);
    }
}
