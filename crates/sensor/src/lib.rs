//! The sensor agent, built as a pipeline (see STYLE.md): **sources** ([`source`]) produce raw frames or
//! decoded detections → **decode** (`capture::decode_frame`, `dsp::rx`) → **durable spool** → **uplink** to
//! the server. Every detection is on disk before it is sent; delivery is at-least-once with the sensor's
//! sequence numbers, which the server uses to store each detection once.

pub mod source;
