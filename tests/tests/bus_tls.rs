//! The bus over TLS, against a real `nats-server` with TLS, JetStream and one user, run from
//! the config block of `docs/bus.md` (only its paths and password swapped). The test makes its
//! own CA and a server certificate for 127.0.0.1 (`rcgen`), then: `ladder feed` and a `ladder
//! paper --source tls://...` consumer with the CA as `[source] ca_file` connect and end with the
//! same books; a consumer without the CA (the default roots) is refused with one error naming
//! the URL and the certificate problem; a plain `nats://` to the TLS server is one error that
//! says to use `tls://`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ladder_tests::build::{cargo_build, newest_lib, workspace};
use ladder_tests::nats::NatsServer;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::sync::OnceLock;
use std::time::Duration;

const PASSWORD: &str = "tls-test-pw-5150";

/// The `ladder` binary and the imbalance strategy library, built once.
fn built() -> &'static (PathBuf, PathBuf) {
    static BUILT: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    BUILT.get_or_init(|| {
        let out = cargo_build(
            env!("CARGO_TARGET_TMPDIR"),
            &["-p", "ladder-engine", "-p", "ladder-strategy-imbalance"],
        );
        (
            out.join("ladder"),
            newest_lib(&out, "ladder_strategy_imbalance"),
        )
    })
}

/// The server config block of `docs/bus.md` (the fenced `conf` block).
fn documented_config() -> String {
    let doc = std::fs::read_to_string(workspace().join("docs/bus.md")).unwrap();
    let start = doc
        .find("```conf\n")
        .expect("docs/bus.md has a ```conf block")
        + 8;
    let len = doc[start..].find("```").expect("the conf block ends");
    doc[start..start + len].to_owned()
}

/// A CA, and a server certificate for 127.0.0.1 signed by it: (ca.pem, cert.pem, key.pem).
fn certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "ladder test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut server = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    server
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let cert = server.signed_by(&key, &ca_cert, &ca_key).unwrap();
    let paths = (
        dir.join("ca.pem"),
        dir.join("server-cert.pem"),
        dir.join("server-key.pem"),
    );
    std::fs::write(&paths.0, ca_cert.pem()).unwrap();
    std::fs::write(&paths.1, cert.pem()).unwrap();
    std::fs::write(&paths.2, key.serialize_pem()).unwrap();
    paths
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn wait(mut child: Child, what: &str) -> Output {
    for _ in 0..600 {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("{what} did not end in 60 s");
}

/// `ladder paper --headless --source URL` with the login from the environment, `config` if
/// given, for `secs` seconds into `report`.
fn paper(url: &str, config: Option<&Path>, secs: u32, report: &Path) -> Command {
    let mut cmd = Command::new(&built().0);
    cmd.env("LADDER_NATS_USER", "ladder")
        .env("LADDER_NATS_PASSWORD", PASSWORD)
        .args(["paper", "--headless", "--source", url]);
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    cmd.arg("--strategy")
        .arg(&built().1)
        .args(["--duration", &format!("{secs}s"), "--report"])
        .arg(report)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    cmd
}

#[test]
fn tls_server_feed_and_consumer_with_ca_sync_and_without_ca_or_tls_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificates(tmp.path());
    let store = tmp.path().join("store");
    let conf = documented_config()
        .replace("/etc/nats/server-cert.pem", &cert.to_string_lossy())
        .replace("/etc/nats/server-key.pem", &key.to_string_lossy())
        .replace("/var/lib/nats", &store.to_string_lossy())
        .replace("change-me", PASSWORD);
    assert!(conf.contains(PASSWORD) && conf.contains("tls {"), "{conf}");
    let Some(server) = NatsServer::start_with_config(&store, &conf) else {
        return;
    };
    let _ = built();
    let tls_url = format!("tls://127.0.0.1:{}", server.port);
    let plain_url = server.url();
    // The CA and the login in `[source]`, as a user would write them.
    let config = tmp.path().join("ladder.toml");
    std::fs::write(
        &config,
        format!(
            "[source]\nurl = \"{tls_url}\"\nca_file = \"{}\"\nuser = \"ladder\"\npassword = \"{PASSWORD}\"\n",
            ca.display()
        ),
    )
    .unwrap();
    let feed_dir = tmp.path().join("feed");
    let feed = Command::new(&built().0)
        .args(["feed", "--sim", "--sim-rate", "200", "--config"])
        .arg(&config)
        .args(["--duration", "5s", "--status-every", "0", "--report"])
        .arg(&feed_dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let consumer = paper(&tls_url, Some(&config), 6, &tmp.path().join("paper"))
        .spawn()
        .unwrap();
    // Without the CA: the default roots do not know it.
    let no_ca = paper(&tls_url, None, 2, &tmp.path().join("no-ca"))
        .output()
        .unwrap();
    // Plain text to a server that requires TLS, CA or not.
    let plain = paper(&plain_url, Some(&config), 2, &tmp.path().join("plain"))
        .output()
        .unwrap();
    let feed = wait(feed, "ladder feed");
    assert!(
        feed.status.success(),
        "{}",
        String::from_utf8_lossy(&feed.stderr)
    );
    let consumer = wait(consumer, "the TLS consumer");
    assert!(
        consumer.status.success(),
        "{}",
        String::from_utf8_lossy(&consumer.stderr)
    );
    let summary = json(&tmp.path().join("paper/summary.json"));
    let published = json(&feed_dir.join("feed.json"));
    assert_eq!(summary["books"], published["books"], "the consumer's books");
    assert_eq!(summary["bus"]["url"], tls_url.as_str());
    assert_eq!(summary["bus"]["gaps"], 0, "{}", summary["bus"]);
    assert!(summary["bus"]["messages"].as_u64().unwrap() > 10);
    assert!(published["acked"].as_u64().unwrap() > 10, "{published}");

    assert!(!no_ca.status.success());
    let err = String::from_utf8_lossy(&no_ca.stderr);
    assert!(
        err.contains(&format!(
            "cannot connect to the bus at {tls_url}: the server's certificate is not trusted"
        )),
        "{err}"
    );
    assert!(err.contains("give its CA as [source] ca_file"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one error line: {err}");

    assert!(!plain.status.success());
    let err = String::from_utf8_lossy(&plain.stderr);
    assert!(
        err.contains(&format!(
            "cannot connect to the bus at {plain_url}: the server requires TLS: use {tls_url}"
        )),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "one error line: {err}");
}
