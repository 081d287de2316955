//! Windows release names from the build number an NTLM VERSION structure carries (MS-NLMP 2.2.2.10).
//! Client and server releases share builds; both are named.

/// The release(s) a `major.minor.build` belongs to, when known.
pub fn release_name(major: u8, minor: u8, build: u16) -> Option<&'static str> {
    Some(match (major, minor, build) {
        (6, 0, _) => "Windows Vista / Server 2008",
        (6, 1, _) => "Windows 7 / Server 2008 R2",
        (6, 2, _) => "Windows 8 / Server 2012",
        (6, 3, _) => "Windows 8.1 / Server 2012 R2",
        (10, 0, 10240) => "Windows 10 1507",
        (10, 0, 10586) => "Windows 10 1511",
        (10, 0, 14393) => "Windows 10 1607 / Server 2016",
        (10, 0, 15063) => "Windows 10 1703",
        (10, 0, 16299) => "Windows 10 1709",
        (10, 0, 17134) => "Windows 10 1803",
        (10, 0, 17763) => "Windows 10 1809 / Server 2019",
        (10, 0, 18362 | 18363) => "Windows 10 1903/1909",
        (10, 0, 19041..=19045) => "Windows 10 2004–22H2",
        (10, 0, 20348) => "Windows Server 2022",
        (10, 0, 22000) => "Windows 11 21H2",
        (10, 0, 22621) => "Windows 11 22H2",
        (10, 0, 22631) => "Windows 11 23H2",
        (10, 0, 26100) => "Windows 11 24H2 / Server 2025",
        _ => return None,
    })
}

/// Parses "major.minor.build".
pub fn release_name_of(version: &str) -> Option<&'static str> {
    let mut it = version.split('.').map(str::parse::<u32>);
    let (Some(Ok(a)), Some(Ok(b)), Some(Ok(c))) = (it.next(), it.next(), it.next()) else { return None };
    release_name(u8::try_from(a).ok()?, u8::try_from(b).ok()?, u16::try_from(c).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(release_name_of("10.0.20348"), Some("Windows Server 2022"));
        assert_eq!(release_name_of("6.1.7601"), Some("Windows 7 / Server 2008 R2"));
        assert_eq!(release_name_of("10.0.1"), None);
        assert_eq!(release_name_of("x"), None);
    }
}
