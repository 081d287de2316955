//! The browser harness sees what the report tests rely on it to see: a request to the network, a
//! console error, an uncaught exception and a Content-Security-Policy violation each show up; a page
//! without them shows nothing. Runs Debian's chromium (scripts/test.sh installs it).
#![cfg(unix)] // drives Linux lab servers (rdp-doctor-lab): compiled on Linux only
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use rdp_doctor_lab::Browser;

#[test]
fn the_harness_reports_requests_errors_and_policy_violations() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = Browser::start().unwrap();

    let clean = dir.path().join("clean.html");
    std::fs::write(&clean, "<!DOCTYPE html><title>t</title><p id=x>hello</p>").unwrap();
    let load = b.open(&clean).unwrap();
    assert!(load.errors.is_empty(), "{:?}", load.errors);
    assert_eq!(load.requests.len(), 1, "the document itself: {:?}", load.requests);
    assert_eq!(b.eval("document.getElementById('x').textContent").unwrap(), "hello");

    // An image from the network (port 9, nothing listens), a console error and a thrown exception.
    let noisy = dir.path().join("noisy.html");
    std::fs::write(
        &noisy,
        "<!DOCTYPE html><title>t</title><img src=\"http://127.0.0.1:9/x.png\">\
         <script>console.error('boom'); throw new Error('thrown');</script>",
    )
    .unwrap();
    let load = b.open(&noisy).unwrap();
    assert!(load.requests.iter().any(|r| r.starts_with("http://127.0.0.1:9/")), "{:?}", load.requests);
    assert!(load.errors.iter().any(|e| e.contains("boom")), "{:?}", load.errors);
    assert!(load.errors.iter().any(|e| e.contains("thrown")), "{:?}", load.errors);

    // Under a policy that forbids them, the same loads are refused and each refusal is an error; the
    // refused attempt is still listed as a request (so "no request" in the report tests means none was
    // even attempted).
    let strict = dir.path().join("strict.html");
    std::fs::write(
        &strict,
        "<!DOCTYPE html><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\"><title>t</title>\
         <img src=\"http://127.0.0.1:9/x.png\"><script>window.ran = 1</script>",
    )
    .unwrap();
    let load = b.open(&strict).unwrap();
    assert!(load.requests.iter().any(|r| r.starts_with("http")), "{:?}", load.requests);
    assert!(load.errors.len() >= 2, "both refusals are errors: {:?}", load.errors);
    assert_eq!(b.eval("window.ran === undefined").unwrap(), true, "the inline script did not run");
}
