//! A `nats-server -js` for a test: on 127.0.0.1, a free port, a store directory the test keeps
//! (so a restart finds its streams again), killed on drop. Missing `nats-server`: the test fails
//! with `CI=true` and is skipped with a printed reason otherwise. A config file (`-c`) can be
//! given too ([`NatsServer::start_with_config`]: TLS, users, its own `store_dir`); the command
//! line's address and port win over the file's.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running server.
#[derive(Debug)]
pub struct NatsServer {
    bin: PathBuf,
    args: Vec<String>,
    store: PathBuf,
    /// Its port on 127.0.0.1.
    pub port: u16,
    child: Option<Child>,
}

/// `nats-server` on the PATH or in `/usr/sbin` (Debian's package).
fn find() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("nats-server"))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| {
        let p = PathBuf::from("/usr/sbin/nats-server");
        p.is_file().then_some(p)
    })
}

impl NatsServer {
    /// Starts a server storing into `store`; `None` (skip) when `nats-server` is missing
    /// outside CI.
    ///
    /// # Panics
    /// With `CI=true` when `nats-server` is missing; when it does not start in 10 s.
    pub fn start(store: &Path) -> Option<Self> {
        Self::start_with(store, &[])
    }

    /// As [`NatsServer::start`], with more `nats-server` arguments (`--user`, `--pass`, ...).
    ///
    /// # Panics
    /// As [`NatsServer::start`].
    pub fn start_with(store: &Path, args: &[&str]) -> Option<Self> {
        let Some(bin) = find() else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "nats-server is missing (CI=true requires it: apt-get install nats-server)"
            );
            eprintln!("skipped: nats-server not found (apt-get install nats-server)");
            return None;
        };
        let mut s = Self {
            bin,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            store: store.to_owned(),
            port: crate::free_port(),
            child: None,
        };
        s.launch();
        Some(s)
    }

    /// As [`NatsServer::start`], with a `nats-server` config file holding `config` (written
    /// beside the store as `<store>.conf`).
    ///
    /// # Panics
    /// As [`NatsServer::start`]; when the file cannot be written.
    pub fn start_with_config(store: &Path, config: &str) -> Option<Self> {
        let file = store.with_extension("conf");
        std::fs::write(&file, config).expect("the nats-server config is written");
        let file = file.to_string_lossy().into_owned();
        Self::start_with(store, &["-c", &file])
    }

    /// `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn launch(&mut self) {
        let mut cmd = Command::new(&self.bin);
        cmd.args(["-js", "-a", "127.0.0.1", "-p"])
            .arg(self.port.to_string());
        // A config file names its own store (the server refuses both).
        if !self.args.iter().any(|a| a == "-c") {
            cmd.arg("-sd").arg(&self.store);
        }
        let child = cmd
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts");
        self.child = Some(child);
        let until = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < until, "nats-server did not listen in 10 s");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the server (its store stays).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port and store.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}
