//! The simulator connection: the one way a command starts an in-process simulator and learns
//! what a live feed needs to connect to it (`ladder paper`, `ladder record`, `ladder bench`).

use super::{SimConfig, SimError, SimHandle, spawn_in_background};
use crate::feed::Venue;
use crate::feed::live::Endpoints;
use crate::instrument::Registry;

/// A simulator running on its own thread, resolved like a live venue.
#[derive(Debug)]
pub struct SimConnection {
    /// The venue whose wire format it serves (and whose sync rules apply).
    pub venue: Venue,
    /// The venue's endpoints on 127.0.0.1.
    pub endpoints: Endpoints,
    /// Its instruments with the simulator's own grids (what its exchangeInfo lists).
    pub registry: Registry,
    /// The running simulator.
    pub running: SimRunning,
}

/// A simulator on its own thread and runtime; stop it with [`SimRunning::stop`] (dropping it
/// stops it without waiting).
#[derive(Debug)]
pub struct SimRunning {
    handle: SimHandle,
    thread: std::thread::JoinHandle<()>,
}

impl SimRunning {
    /// The simulator: counters, on-demand faults.
    pub fn handle(&self) -> &SimHandle {
        &self.handle
    }

    /// Stops the simulator and waits for its thread.
    pub fn stop(self) {
        self.handle.stop();
        let _ = self.thread.join();
    }
}

impl SimConnection {
    /// Starts the simulator of `config` on its own thread and resolves its endpoints and
    /// instruments.
    pub fn start(config: SimConfig) -> Result<Self, SimError> {
        let mut registry = Registry::new();
        for s in &config.symbols {
            registry
                .add(config.venue, &s.symbol, s.spec()?)
                .map_err(|e| SimError::Config(format!("symbol {}: {e}", s.symbol)))?;
        }
        let (handle, thread) = spawn_in_background(config)?;
        Ok(Self {
            venue: handle.venue(),
            endpoints: handle.endpoints(),
            registry,
            running: SimRunning { handle, thread },
        })
    }
}
