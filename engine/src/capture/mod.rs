//! Capture files: `<ts_recv_unix_ns> <frame>` lines, plain or gzip.
