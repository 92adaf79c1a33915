//! Capture files and link layers.
