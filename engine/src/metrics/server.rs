//! The `/metrics` listener: one thread, one request per connection, answered in turn (a
//! Prometheus server scrapes every few seconds; nothing here needs more).

use super::MetricsSources;
use super::render::{content_type, render};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a client may take to send its request or read the answer.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the idle listener checks whether it must stop.
const POLL: Duration = Duration::from_millis(50);
/// The longest request head read.
const MAX_HEAD: usize = 8 * 1024;

/// A running `/metrics` listener; stops when dropped.
#[derive(Debug)]
pub struct MetricsServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// A bound listener that does not serve yet: bind before a session starts (a port in use fails
/// it at once), serve once the feeds exist.
#[derive(Debug)]
pub struct MetricsListener {
    listener: TcpListener,
    addr: SocketAddr,
}

impl MetricsListener {
    /// Binds `addr`.
    ///
    /// # Errors
    /// The bind error, with the address in its message.
    pub fn bind(addr: SocketAddr) -> io::Result<Self> {
        let listener = TcpListener::bind(addr)
            .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        Ok(Self { listener, addr })
    }

    /// The address it listens on (the port the OS chose for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves scrapes of `sources` on its own thread until stopped.
    ///
    /// # Errors
    /// The thread could not be started.
    pub fn serve(self, sources: MetricsSources) -> io::Result<MetricsServer> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let listener = self.listener;
        let thread = std::thread::Builder::new()
            .name("ladder-metrics".into())
            .spawn(move || serve(&listener, &sources, &flag))?;
        Ok(MetricsServer {
            addr: self.addr,
            stop,
            thread: Some(thread),
        })
    }
}

impl MetricsServer {
    /// The address it listens on (the port the OS chose for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The scrape URL.
    pub fn url(&self) -> String {
        format!("http://{}/metrics", self.addr)
    }

    /// Stops listening and joins the thread.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.halt();
    }
}

fn serve(listener: &TcpListener, sources: &MetricsSources, stop: &AtomicBool) {
    while !stop.load(Ordering::Acquire) {
        match listener.accept() {
            Ok((stream, _)) => {
                // A client that misbehaves only loses its own answer.
                let _ = answer(stream, sources);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(POLL),
            Err(_) => std::thread::sleep(POLL),
        }
    }
}

fn answer(mut stream: TcpStream, sources: &MetricsSources) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(CLIENT_TIMEOUT))?;
    stream.set_write_timeout(Some(CLIENT_TIMEOUT))?;
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf)?;
        if n == 0 || head.len() + n > MAX_HEAD {
            return reply(
                &mut stream,
                "400 Bad Request",
                "text/plain",
                "bad request\n",
            );
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = head.split(|&b| b == b'\r').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    match (method, path) {
        ("GET", "/metrics") => match render(sources) {
            Ok(body) => reply(&mut stream, "200 OK", &content_type(), &body),
            Err(e) => reply(
                &mut stream,
                "500 Internal Server Error",
                "text/plain",
                &format!("cannot encode the metrics: {e}\n"),
            ),
        },
        ("GET", _) => reply(
            &mut stream,
            "404 Not Found",
            "text/plain",
            "ladder serves /metrics only\n",
        ),
        _ => reply(
            &mut stream,
            "405 Method Not Allowed",
            "text/plain",
            "use GET /metrics\n",
        ),
    }
}

fn reply(stream: &mut TcpStream, status: &str, content_type: &str, body: &str) -> io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}
