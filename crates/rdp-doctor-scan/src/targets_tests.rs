#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
use super::*;

fn args(positional: &[&str]) -> TargetArgs {
    TargetArgs {
        positional: positional.iter().map(|s| (*s).to_owned()).collect(),
        default_port: 3389,
        ..Default::default()
    }
}

fn keys(set: &TargetSet) -> Vec<String> {
    set.targets.iter().map(TargetSpec::key).collect()
}

#[test]
fn positional_hosts_ranges_and_duplicates() {
    let set = collect(
        &args(&["rds1.corp.example", "10.0.0.5:3390", "10.0.0.4/31", "RDS1.corp.example:3389", "[::1]"]),
        &mut std::io::empty(),
    )
    .unwrap();
    assert_eq!(keys(&set), ["rds1.corp.example:3389", "10.0.0.5:3390", "10.0.0.4:3389", "10.0.0.5:3389", "[::1]:3389"]);
    assert_eq!(set.duplicates, 1);
    assert_eq!(set.targets[2].source, "argument 3");
}

#[test]
fn list_lines_with_tls_name_tag_comments_and_line_numbers() {
    let list = "# fleet\n\nrds1.corp.example,rds1.corp.example,site-a\n10.0.0.9:3390,,site-b  # a comment\nbad host\nrds2:99999\n10.1.0.0/30,,lab\nrds3,tag=x,tls-name=rds3.corp.example\na,b,c,d\n10.0.0.9:3390,n.example\n";
    let a = TargetArgs { lists: vec![PathBuf::from("-")], default_port: 3389, ..Default::default() };
    let set = collect(&a, &mut list.as_bytes()).unwrap();
    assert_eq!(keys(&set), ["rds1.corp.example:3389", "10.0.0.9:3390", "10.1.0.1:3389", "10.1.0.2:3389", "rds3:3389"]);
    assert_eq!(set.targets[0].tls_name.as_deref(), Some("rds1.corp.example"));
    assert_eq!(set.targets[0].tag.as_deref(), Some("site-a"));
    assert_eq!(set.targets[1].tag.as_deref(), Some("site-b"));
    // The duplicate on line 10 adds the tls-name the first mention lacked.
    assert_eq!(set.targets[1].tls_name.as_deref(), Some("n.example"));
    assert_eq!(set.targets[1].source, "-:4");
    assert_eq!(set.targets[4].tls_name.as_deref(), Some("rds3.corp.example"));
    assert_eq!(set.targets[4].tag.as_deref(), Some("x"));
    let lines: Vec<usize> = set.malformed.iter().map(|m| m.line).collect();
    assert_eq!(lines, [5, 6, 9], "{:?}", set.malformed);
    assert!(set.malformed[1].reason.contains("port"), "{}", set.malformed[1].reason);
    assert_eq!(set.duplicates, 1);
}

#[test]
fn large_ranges_need_allow_large_and_say_how_many() {
    let err = collect(&args(&["10.0.0.0/15"]), &mut std::io::empty()).unwrap_err();
    assert!(err.to_string().contains("131070 addresses"), "{err}");
    let mut a = args(&["10.0.0.0/15"]);
    a.allow_large = true;
    assert_eq!(collect(&a, &mut std::io::empty()).unwrap().targets.len(), 131_070);
    let huge = collect(&TargetArgs { allow_large: true, ..args(&["10.0.0.0/7"]) }, &mut std::io::empty()).unwrap_err();
    assert!(matches!(huge, TargetsError::Huge { .. }));
    // A /16 itself is fine.
    assert_eq!(collect(&args(&["10.0.0.0/16"]), &mut std::io::empty()).unwrap().targets.len(), 65_534);
}

#[test]
fn exclusions() {
    let dir = tempfile::tempdir().unwrap();
    let ex = dir.path().join("ex.txt");
    std::fs::write(&ex, "# never\n10.0.0.8/30\nrds2.corp.example\n").unwrap();
    let a = TargetArgs {
        exclude: vec!["10.0.0.1,rds1:3390".into()],
        exclude_files: vec![ex],
        ..args(&["10.0.0.0/28", "rds1:3389", "rds1:3390", "RDS2.corp.example:3391"])
    };
    let set = collect(&a, &mut std::io::empty()).unwrap();
    assert_eq!(
        keys(&set),
        [
            "10.0.0.2:3389",
            "10.0.0.3:3389",
            "10.0.0.4:3389",
            "10.0.0.5:3389",
            "10.0.0.6:3389",
            "10.0.0.7:3389",
            "10.0.0.12:3389",
            "10.0.0.13:3389",
            "10.0.0.14:3389",
            "rds1:3389"
        ]
    );
    assert_eq!(set.excluded, 1 + 4 + 1 + 1);
    assert!(set.malformed.is_empty(), "{:?}", set.malformed);
}

#[test]
fn rdp_files_and_folders() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.rdp"), "full address:s:rds1.corp.example:3390\r\n").unwrap();
    std::fs::write(
        dir.path().join("b.RDP"),
        "full address:s:rds2.corp.example\r\ngatewayhostname:s:gw.corp.example\r\ngatewayusagemethod:i:1\r\nenablecredsspsupport:i:0\r\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("c.rdp"), "screen mode id:i:2\r\n").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "rds9\n").unwrap();
    let set = collect(&args(&[dir.path().to_str().unwrap()]), &mut std::io::empty()).unwrap();
    assert_eq!(keys(&set), ["rds1.corp.example:3390", "rds2.corp.example:3389 via gw.corp.example:443"]);
    assert!(set.targets[1].tls_only);
    assert_eq!(set.malformed.len(), 1);
    assert!(set.malformed[0].source.ends_with("c.rdp"));
    let one = collect(&args(&[dir.path().join("a.rdp").to_str().unwrap()]), &mut std::io::empty()).unwrap();
    assert_eq!(keys(&one), ["rds1.corp.example:3390"]);
}

#[test]
fn gateway_flag_and_per_line() {
    let a = TargetArgs {
        lists: vec![PathBuf::from("-")],
        gateway: Some(("gw1".into(), 443)),
        default_port: 3389,
        ..Default::default()
    };
    let set = collect(&a, &mut "rds1\nrds2,gateway=gw2:8443\nrds3,gateway=bad host\n".as_bytes()).unwrap();
    assert_eq!(keys(&set), ["rds1:3389 via gw1:443", "rds2:3389 via gw2:8443"]);
    assert_eq!(set.malformed.len(), 1);
    assert_eq!(set.malformed[0].line, 3);
}
