//! The quickstart is the README's first command: it must run, end well and
//! show no secret. `cargo test` builds the examples before the tests, so the
//! binary sits beside this test's own.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn example(name: &str) -> std::path::PathBuf {
    let me = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/<this test> -> target/<profile>/examples/<name>
    let dir = me.parent().and_then(|d| d.parent()).expect("profile dir");
    dir.join("examples").join(name)
}

#[test]
fn the_quickstart_runs_against_the_embedded_sandbox_with_no_duplicate() {
    let path = example("quickstart");
    assert!(path.exists(), "{} was not built", path.display());
    let mut child = Command::new(&path)
        .env_remove("QURL_API_KEY")
        .env_remove("QURL_BASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the quickstart");
    let started = Instant::now();
    // Bounded: a hung quickstart fails the test instead of hanging CI.
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("the quickstart did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = child.wait_with_output().expect("output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(", 0 duplicates"), "{stdout}");
    assert!(
        stdout.contains("✓ opens https://example.com/dashboards/ops"),
        "{stdout}"
    );
    assert!(
        stdout.contains("resources in"),
        "the list walk ran: {stdout}"
    );
    for secret in ["lv_live_quickstart_owner_0001", "#at_", "whsec_"] {
        assert!(!stdout.contains(secret), "{secret} shown: {stdout}");
    }
}
