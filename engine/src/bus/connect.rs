//! Where the bus is and how to log in: the `[source]` config section, its environment
//! overrides, and the one place a NATS connection is opened.
//!
//! Secrets (password, token, NKey seed) come from the config or the environment
//! (`LADDER_NATS_USER`, `LADDER_NATS_PASSWORD`, `LADDER_NATS_TOKEN`, `LADDER_NATS_NKEY`,
//! `LADDER_NATS_CREDS` for a creds file); they are never printed: [`SourceConfig`]'s `Debug`
//! hides them and [`SourceConfig::display_url`] drops any `user:pass@` of the URL. The default
//! server is `nats://127.0.0.1:4222`.

use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// The server a source defaults to.
pub const DEFAULT_URL: &str = "nats://127.0.0.1:4222";

/// `[source]`: a NATS server to consume from (or publish to).
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// `nats://HOST:PORT` or `tls://HOST:PORT` (default `nats://127.0.0.1:4222`).
    pub url: Option<String>,
    /// Require TLS (also implied by `tls://`); the server's certificate is verified against
    /// the system roots and `ca_file`.
    #[serde(default)]
    pub tls: bool,
    /// A PEM file of extra root certificates to verify the server with.
    pub ca_file: Option<PathBuf>,
    /// User name (with `password`).
    pub user: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// Token.
    pub token: Option<String>,
    /// A `.creds` file (JWT and NKey seed).
    pub creds_file: Option<PathBuf>,
    /// An NKey seed (`SU...`).
    pub nkey_seed: Option<String>,
}

impl std::fmt::Debug for SourceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hide = |o: &Option<String>| o.as_ref().map(|_| "<hidden>");
        f.debug_struct("SourceConfig")
            .field("url", &self.display_url())
            .field("tls", &self.tls)
            .field("ca_file", &self.ca_file)
            .field("user", &self.user)
            .field("password", &hide(&self.password))
            .field("token", &hide(&self.token))
            .field("creds_file", &self.creds_file)
            .field("nkey_seed", &hide(&self.nkey_seed))
            .finish()
    }
}

/// Why the bus could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BusError {
    /// A setting is wrong.
    #[error("{0}")]
    Config(String),
    /// The server could not be reached or refused the login.
    #[error("cannot connect to the bus at {url}: {message}")]
    Connect {
        /// The URL (without credentials).
        url: String,
        /// Why.
        message: String,
    },
    /// A JetStream call failed.
    #[error("bus {what} at {url}: {message}")]
    JetStream {
        /// What was being done.
        what: &'static str,
        /// The URL (without credentials).
        url: String,
        /// Why.
        message: String,
    },
    /// A thread or runtime could not be started.
    #[error("{0}")]
    Thread(String),
}

impl SourceConfig {
    /// A source at `url`, nothing else set.
    pub fn at(url: &str) -> Self {
        Self {
            url: Some(url.to_owned()),
            ..Self::default()
        }
    }

    /// The URL to connect to.
    pub fn url(&self) -> &str {
        self.url.as_deref().unwrap_or(DEFAULT_URL)
    }

    /// The URL as reports and logs show it: any `user:pass@` removed.
    pub fn display_url(&self) -> String {
        redact(self.url())
    }

    /// Fills what the config left empty from the `LADDER_NATS_*` environment variables.
    pub fn with_env(mut self) -> Self {
        self.take_url_login();
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        self.user = self.user.or_else(|| var("LADDER_NATS_USER"));
        self.password = self.password.or_else(|| var("LADDER_NATS_PASSWORD"));
        self.token = self.token.or_else(|| var("LADDER_NATS_TOKEN"));
        self.nkey_seed = self.nkey_seed.or_else(|| var("LADDER_NATS_NKEY"));
        self.creds_file = self
            .creds_file
            .or_else(|| var("LADDER_NATS_CREDS").map(PathBuf::from));
        self
    }

    /// Moves a `user:pass@` (or `token@`) of the URL into the login settings, so that the URL
    /// the client holds (and may log) carries no secret.
    pub fn take_url_login(&mut self) {
        let Some(url) = self.url.clone() else { return };
        let Some((scheme, rest)) = url.split_once("://") else {
            return;
        };
        let Some((login, host)) = rest.rsplit_once('@') else {
            return;
        };
        match login.split_once(':') {
            Some((u, p)) => {
                self.user.get_or_insert_with(|| u.to_owned());
                self.password.get_or_insert_with(|| p.to_owned());
            }
            None => {
                self.token.get_or_insert_with(|| login.to_owned());
            }
        }
        self.url = Some(format!("{scheme}://{host}"));
    }

    /// Checks the URL's scheme and the credentials given: the first of [`Self::problems`].
    ///
    /// # Errors
    /// [`BusError::Config`] naming the setting.
    pub fn check(&self) -> Result<(), BusError> {
        match self.problems().into_iter().next() {
            Some((_, message)) => Err(BusError::Config(message)),
            None => Ok(()),
        }
    }

    /// Every wrong setting, each with its key in `[source]` (the config's validation locates
    /// them at their line): a URL that is not `nats://HOST[:PORT]` or `tls://HOST[:PORT]`, a
    /// user without a password (or the reverse), more than one way to log in, a `ca_file` or
    /// `creds_file` that is not a file.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let url = self.url();
        let host = match url.split_once("://") {
            Some(("nats" | "tls", rest)) => Some(rest.rsplit_once('@').map_or(rest, |(_, h)| h)),
            _ => None,
        };
        let host_ok = host.is_some_and(|h| {
            let (name, port) = h.rsplit_once(':').unwrap_or((h, "4222"));
            !name.is_empty() && !name.contains('/') && port.parse::<u16>().is_ok_and(|p| p > 0)
        });
        if !host_ok {
            out.push((
                "url",
                format!(
                    "source.url {}: expected nats://HOST:PORT or tls://HOST:PORT",
                    redact(url)
                ),
            ));
        }
        if self.user.is_some() != self.password.is_some() {
            out.push((
                if self.user.is_some() {
                    "user"
                } else {
                    "password"
                },
                "source.user and source.password go together; give both or neither".into(),
            ));
        }
        let ways: Vec<&'static str> = [
            ("user", self.user.is_some() || self.password.is_some()),
            ("token", self.token.is_some()),
            ("creds_file", self.creds_file.is_some()),
            ("nkey_seed", self.nkey_seed.is_some()),
        ]
        .into_iter()
        .filter_map(|(k, given)| given.then_some(k))
        .collect();
        if let [first, second, ..] = ways[..] {
            out.push((
                second,
                format!(
                    "source.{second}: give one way to log in (user/password, token, creds_file \
                     or nkey_seed), not both {first} and {second}"
                ),
            ));
        }
        for (what, path) in [("ca_file", &self.ca_file), ("creds_file", &self.creds_file)] {
            if let Some(p) = path
                && !p.is_file()
            {
                out.push((what, format!("source.{what} {}: no such file", p.display())));
            }
        }
        out
    }

    /// Opens a connection: retried with backoff on reconnect (forever), `on_event` told of
    /// disconnects and reconnects. `name` names the client on the server.
    ///
    /// # Errors
    /// [`BusError::Config`] or [`BusError::Connect`].
    pub async fn connect(
        &self,
        name: &str,
        on_event: impl Fn(async_nats::Event) + Send + Sync + 'static,
    ) -> Result<async_nats::Client, BusError> {
        let mut this = self.clone();
        this.take_url_login();
        this.check()?;
        let url = this.display_url();
        let connect_err = |message: String| BusError::Connect {
            url: url.clone(),
            message,
        };
        let mut opts = match &this.creds_file {
            Some(path) => async_nats::ConnectOptions::with_credentials_file(path)
                .await
                .map_err(|e| connect_err(format!("creds file {}: {e}", path.display())))?,
            None => async_nats::ConnectOptions::new(),
        };
        if let (Some(u), Some(p)) = (&this.user, &this.password) {
            opts = opts.user_and_password(u.clone(), p.clone());
        }
        if let Some(t) = &this.token {
            opts = opts.token(t.clone());
        }
        if let Some(seed) = &this.nkey_seed {
            opts = opts.nkey(seed.clone());
        }
        if this.tls || this.url().starts_with("tls://") {
            opts = opts.require_tls(true);
        }
        if let Some(ca) = &this.ca_file {
            opts = opts.add_root_certificates(ca.clone());
        }
        let on_event = std::sync::Arc::new(on_event);
        opts = opts
            .name(name)
            .connection_timeout(Duration::from_secs(5))
            .reconnect_delay_callback(|attempts| {
                let ms = 50u64.saturating_mul(1 << attempts.min(6));
                Duration::from_millis(ms.min(2_000))
            })
            .event_callback(move |event| {
                let on_event = std::sync::Arc::clone(&on_event);
                async move { on_event(event) }
            });
        // The client wants `nats://` for TLS too (TLS is required above).
        let addr = this.url().replacen("tls://", "nats://", 1);
        let wants_tls = this.tls || this.url().starts_with("tls://");
        // The client would quietly switch a `nats://` to TLS when the server asks for it: the
        // user asked for plain text, so that is an error that says what to write instead.
        if !wants_tls && server_requires_tls(&addr).await {
            let host = url.split_once("://").map_or(url.as_str(), |(_, h)| h);
            return Err(connect_err(format!(
                "the server requires TLS: use tls://{host} (and [source] ca_file for a private CA)"
            )));
        }
        opts.connect(addr.as_str()).await.map_err(|e| {
            let message = e.to_string();
            if message.contains("certificate") {
                let fix = match &this.ca_file {
                    Some(ca) => format!("check [source] ca_file {}", ca.display()),
                    None => "give its CA as [source] ca_file".to_owned(),
                };
                connect_err(format!(
                    "the server's certificate is not trusted ({message}): {fix}"
                ))
            } else {
                connect_err(message)
            }
        })
    }
}

/// Reads the `INFO` line a NATS server sends on a plain TCP connection to `addr`
/// (`nats://HOST[:PORT]`): true when it says `tls_required`. False when it cannot be read (the
/// real connection then reports why).
async fn server_requires_tls(addr: &str) -> bool {
    use tokio::io::AsyncReadExt as _;
    let host = addr.trim_start_matches("nats://");
    let host = host.split(',').next().unwrap_or(host);
    let host = if host
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        host.to_owned()
    } else {
        format!("{host}:4222")
    };
    let probe = async {
        let mut stream = tokio::net::TcpStream::connect(host).await.ok()?;
        let mut buf = vec![0u8; 4096];
        let mut len = 0;
        while len < buf.len() && !buf[..len].contains(&b'\n') {
            let n = stream.read(&mut buf[len..]).await.ok()?;
            if n == 0 {
                break;
            }
            len += n;
        }
        let info = String::from_utf8_lossy(&buf[..len]).replace(' ', "");
        Some(info.starts_with("INFO") && info.contains("\"tls_required\":true"))
    };
    tokio::time::timeout(Duration::from_secs(5), probe)
        .await
        .ok()
        .flatten()
        .unwrap_or(false)
}

/// `scheme://user:pass@host` as `scheme://host`.
fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((_, host)) => format!("{scheme}://{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::with_login("nats://me:s3cret@10.0.0.1:4222", "nats://10.0.0.1:4222")]
    #[case::token_only("tls://tok3n@host:4222", "tls://host:4222")]
    #[case::plain("nats://127.0.0.1:4222", "nats://127.0.0.1:4222")]
    fn display_url_drops_credentials(#[case] url: &str, #[case] want: &str) {
        assert_eq!(SourceConfig::at(url).display_url(), want);
    }

    #[test]
    fn debug_hides_every_secret() {
        let s = SourceConfig {
            url: Some("nats://u:pw1@h:1".into()),
            user: Some("u".into()),
            password: Some("pw2".into()),
            token: Some("t0k3n".into()),
            nkey_seed: Some("SUSEED".into()),
            ..SourceConfig::default()
        };
        let text = format!("{s:?}");
        for secret in ["pw1", "pw2", "t0k3n", "SUSEED"] {
            assert!(!text.contains(secret), "{text}");
        }
    }

    #[rstest]
    #[case::http(
        "http://h:1",
        "source.url http://h:1: expected nats://HOST:PORT or tls://HOST:PORT"
    )]
    #[case::no_host(
        "nats://:4222",
        "source.url nats://:4222: expected nats://HOST:PORT or tls://HOST:PORT"
    )]
    #[case::bad_port(
        "tls://h:99999",
        "source.url tls://h:99999: expected nats://HOST:PORT or tls://HOST:PORT"
    )]
    #[case::user_alone(
        "nats://h:1",
        "source.user and source.password go together; give both or neither"
    )]
    fn check_names_the_bad_setting(#[case] url: &str, #[case] want: &str) {
        let mut s = SourceConfig::at(url);
        if url == "nats://h:1" {
            s.user = Some("u".into());
        }
        assert_eq!(s.check().unwrap_err().to_string(), want);
    }

    #[test]
    fn problems_name_each_key_and_two_logins_name_the_second() {
        let s = SourceConfig {
            url: Some("nats://127.0.0.1:4222".into()),
            token: Some("t".into()),
            user: Some("u".into()),
            password: Some("p".into()),
            ca_file: Some("/no/such/ca.pem".into()),
            ..SourceConfig::default()
        };
        let keys: Vec<&str> = s.problems().iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["token", "ca_file"]);
        assert_eq!(
            s.problems()[0].1,
            "source.token: give one way to log in (user/password, token, creds_file or \
             nkey_seed), not both user and token"
        );
        assert!(
            SourceConfig::at("tls://bus.example:4222")
                .problems()
                .is_empty()
        );
        assert!(SourceConfig::at("nats://h").problems().is_empty());
    }

    #[test]
    fn url_login_moves_into_the_settings() {
        let mut s = SourceConfig::at("nats://me:s3cret@127.0.0.1:4222");
        s.take_url_login();
        assert_eq!(s.url(), "nats://127.0.0.1:4222");
        assert_eq!(
            (s.user.as_deref(), s.password.as_deref()),
            (Some("me"), Some("s3cret"))
        );
        let mut t = SourceConfig::at("tls://t0k@h:1");
        t.take_url_login();
        assert_eq!((t.url(), t.token.as_deref()), ("tls://h:1", Some("t0k")));
    }

    #[test]
    fn default_source_is_loopback() {
        assert_eq!(SourceConfig::default().url(), "nats://127.0.0.1:4222");
    }
}
