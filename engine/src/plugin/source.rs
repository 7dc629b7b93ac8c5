//! [`StrategySource`]: where a strategy comes from (a library file or a statically linked
//! type), and [`StrategySource::create`], the one way `paper`, `replay` and `bench` create a
//! strategy and learn what to put in the report about it.

use super::error::PluginError;
use super::host::HostConfig;
use super::instance::StrategyInstance;
use crate::report::sha256_hex;
use crate::report::summary::StrategyMeta;
use std::path::PathBuf;

/// Builds a statically linked strategy instance (tests, benches).
pub type StrategyFactory = Box<dyn Fn(&HostConfig) -> Result<StrategyInstance, PluginError> + Send>;

/// Where a strategy comes from.
pub enum StrategySource {
    /// A shared library and its config string.
    Library {
        /// Path to the library (relative paths: to the working directory; the config's
        /// `[[strategy]] library` is already joined to the config's folder).
        path: PathBuf,
        /// Its config string.
        config: String,
    },
    /// A statically linked strategy.
    Static {
        /// Label for reports.
        label: String,
        /// Its config string (for the report's hash).
        config: String,
        /// Creates the instance.
        factory: StrategyFactory,
    },
}

impl std::fmt::Debug for StrategySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Library { path, .. } => write!(f, "Library({})", path.display()),
            Self::Static { label, .. } => write!(f, "Static({label})"),
        }
    }
}

impl StrategySource {
    /// What errors call it: the library path as given, or the static label.
    pub fn label(&self) -> String {
        match self {
            Self::Library { path, .. } => path.display().to_string(),
            Self::Static { label, .. } => label.clone(),
        }
    }

    /// Creates the strategy on the calling thread (a library is read once, checked, hashed and
    /// those bytes loaded: see [`load`](super::load)) and says where it came from: the path as
    /// given, the file actually opened, and the SHA-256 of the bytes loaded.
    ///
    /// # Errors
    /// Any [`PluginError`] of loading or creating.
    pub fn create(
        &self,
        host: &HostConfig,
    ) -> Result<(StrategyInstance, StrategyMeta), PluginError> {
        let (instance, config) = match self {
            Self::Library { path, config } => (StrategyInstance::load(path, config, host)?, config),
            Self::Static {
                factory, config, ..
            } => (factory(host)?, config),
        };
        let config_sha256 = sha256_hex(config.as_bytes());
        let meta = match instance.library() {
            Some(origin) => StrategyMeta {
                library: origin.given.display().to_string(),
                library_path: Some(origin.resolved.display().to_string()),
                library_sha256: Some(origin.sha256.clone()),
                config_sha256,
            },
            None => StrategyMeta {
                library: format!("static:{}", self.label()),
                library_path: None,
                library_sha256: None,
                config_sha256,
            },
        };
        Ok((instance, meta))
    }
}
