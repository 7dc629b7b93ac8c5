//! The plugin host: loads strategy libraries built with `ladder-sdk`'s `export_strategy!`.
