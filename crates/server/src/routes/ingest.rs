//! Sensor ingest: batches of detection lines over HTTP, or a stream of batches over a WebSocket.
//!
//! Wire shape: the body is the JSON-lines output of `skytrace decode` unchanged (one
//! [`contract::DetectionLine`] per line), and the query parameter `seq` is the sensor's sequence number of
//! the first line; line *i* (counting non-empty lines from 0) has sequence number `seq + i`. A sensor numbers
//! its detections consecutively, so a batch is a range, and resending a batch (after a lost answer) stores
//! nothing twice.
//!
//! The batch is checked whole before anything is written: one bad line refuses the batch (400, naming the
//! 1-based line and the field). The lines then go through the tracker and the alert rules
//! ([`crate::fusion`]), and are stored with the track each was bound to. The answer is sent only after the
//! batch is committed.

use crate::auth::SensorCaller;
use crate::{ApiError, AppState, LiveEvent};
use axum::body::Bytes;
use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ingest", post(ingest))
        .route("/ingest/ws", get(ws))
}

#[derive(Deserialize)]
struct Params {
    seq: Option<String>,
}

/// The acknowledgement of a committed batch.
#[derive(Debug, Serialize)]
pub struct Ack {
    /// Sequence number of the first line of the batch.
    pub seq: i64,
    /// Lines in the batch.
    pub lines: usize,
    /// Lines newly stored.
    pub stored: usize,
    /// Lines already stored earlier (a replay), ignored.
    pub duplicates: usize,
}

fn parse_seq(v: Option<&str>) -> Result<i64, ApiError> {
    let v = v.ok_or_else(|| ApiError::BadRequest {
        message: "seq: the query parameter seq (sequence number of the first line) is required"
            .into(),
        line: None,
        field: Some("seq".into()),
    })?;
    v.parse::<i64>()
        .ok()
        .filter(|s| *s >= 0)
        .ok_or_else(|| ApiError::BadRequest {
            message: format!("seq: expected a non-negative integer, got {v:?}"),
            line: None,
            field: Some("seq".into()),
        })
}

/// Parses, tracks, stores and publishes one batch. Shared by the HTTP and WebSocket endpoints.
///
/// Lines already stored (a resent batch) are not shown to the tracker again, so a replay neither counts
/// twice nor raises alerts twice.
///
/// # Errors
///
/// 400 for a line that is not a valid detection (nothing of the batch is stored); store errors.
pub async fn ingest_batch(
    s: &AppState,
    sensor: &store::Sensor,
    first_seq: i64,
    text: &str,
) -> Result<Ack, ApiError> {
    let mut parsed: Vec<(i64, contract::DetectionLine, &str)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let d = contract::DetectionLine::parse(raw).map_err(|e| {
            s.metrics.reject("invalid");
            ApiError::BadRequest {
                message: format!("line {line_no}: {e}"),
                line: Some(line_no),
                field: Some(e.field.clone()),
            }
        })?;
        let seq = i64::try_from(parsed.len())
            .ok()
            .and_then(|n| first_seq.checked_add(n))
            .ok_or_else(|| ApiError::BadRequest {
                message: "seq: sequence numbers overflow".into(),
                line: Some(line_no),
                field: Some("seq".into()),
            })?;
        parsed.push((seq, d, raw));
    }
    let lines = parsed.len();
    let last_seq = parsed.last().map_or(first_seq, |p| p.0);
    let known = if s.may_hold_replays(sensor.id, first_seq)? {
        s.store.existing_seqs(sensor.id, first_seq, last_seq)?
    } else {
        std::collections::HashSet::new()
    };
    let fresh: Vec<&contract::DetectionLine> = parsed
        .iter()
        .filter(|p| !known.contains(&p.0))
        .map(|p| &p.1)
        .collect();
    let zones = s
        .zones
        .read()
        .map(|z| z.clone())
        .map_err(|_| ApiError::Internal("zone index lock poisoned".into()))?;
    let now = s.now();
    // The store jobs are submitted under the tracker's lock so that the writer applies them in the order
    // the tracker decided them; they are awaited after it is released.
    let (merges, stored, alerts, early) = {
        let mut fusion = s
            .fusion
            .lock()
            .map_err(|_| ApiError::Internal("tracker lock poisoned".into()))?;
        let plan = fusion.ingest(&sensor.name, &fresh, &zones.index, now);
        let mut facts = plan.facts.into_iter();
        let items: Vec<store::NewDetection> = parsed
            .iter()
            .map(|(seq, d, raw)| store::NewDetection {
                seq: *seq,
                time_ms: i64::try_from(d.time.unix_timestamp_nanos() / 1_000_000).unwrap_or(0),
                transport: d.transport.clone(),
                line: (*raw).to_owned(),
                track: if known.contains(seq) {
                    None
                } else {
                    facts.next().flatten()
                },
            })
            .collect();
        let merges: Vec<_> = plan
            .merges
            .iter()
            .map(|(into, from)| s.store.merge_tracks(into, from))
            .collect();
        // The live stream gets the changed tracks as soon as the writer has applied the batch, without
        // waiting for the commit's fsync (the acknowledgement below does wait; docs/PERFORMANCE.md). A
        // batch that merged tracks publishes after the commit, so that the merge's events come first.
        let early = plan.merges.is_empty();
        let stored = if early {
            let live = s.live.clone();
            s.store.ingest_live(
                sensor.id,
                &sensor.name,
                now,
                items,
                Box::new(move |rows| {
                    for t in rows {
                        let _ = live.send(Arc::new(LiveEvent::Track(t)));
                    }
                }),
            )
        } else {
            s.store.ingest(sensor.id, &sensor.name, now, items)
        };
        let alerts = (!plan.alerts.is_empty()).then(|| s.store.add_alerts(plan.alerts));
        (merges, stored, alerts, early)
    };
    for m in merges {
        match m.done().await {
            Ok(Some(m)) => {
                if let Some(from) = m.removed {
                    s.publish(LiveEvent::Merged {
                        into: m.survivor.id,
                        from,
                    });
                }
                s.publish(LiveEvent::Track(m.survivor));
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "could not merge track rows"),
        }
    }
    let mut out = stored.done().await?;
    s.stored_up_to(sensor.id, last_seq);
    if !early {
        for t in std::mem::take(&mut out.tracks) {
            s.publish(LiveEvent::Track(t));
        }
    }
    s.metrics.batches.inc();
    s.metrics.stored.inc_by(out.stored as u64);
    s.metrics.duplicates.inc_by(out.duplicates as u64);
    let ack = Ack {
        seq: first_seq,
        lines,
        stored: out.stored,
        duplicates: out.duplicates,
    };
    if let Some(alerts) = alerts {
        // The batch is committed and will be acknowledged; a failure here is logged, not returned.
        match alerts.done().await {
            Ok(rows) => {
                s.metrics.alerts.inc_by(rows.len() as u64);
                for a in rows {
                    s.publish(LiveEvent::Alert(a));
                }
            }
            Err(e) => tracing::error!(error = %e, "could not record alerts"),
        }
    }
    Ok(ack)
}

/// Applies the tracker's timeouts now: records lost and closed tracks and publishes them. Called once a
/// second by the server, and by tests with a controlled clock.
pub async fn tick(s: &AppState) {
    let ticket = {
        let Ok(mut fusion) = s.fusion.lock() else {
            return;
        };
        let plan = fusion.tick(s.now());
        if plan.states.is_empty() {
            return;
        }
        s.store.set_track_states(plan.states)
    };
    match ticket.done().await {
        Ok(rows) => {
            for t in rows {
                s.publish(LiveEvent::Track(t));
            }
        }
        Err(e) => tracing::error!(error = %e, "could not record track states"),
    }
}

async fn ingest(
    State(s): State<AppState>,
    sensor: Result<SensorCaller, ApiError>,
    Query(p): Query<Params>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<Ack>, ApiError> {
    let SensorCaller(sensor) = sensor.inspect_err(|_| s.metrics.reject("unauthorized"))?;
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            s.metrics.reject("body");
            // Keep axum's status (413 for an oversized body) with our error shape.
            return Err(if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge(s.config.max_body_bytes)
            } else {
                ApiError::bad(e.body_text())
            });
        }
    };
    let seq = parse_seq(p.seq.as_deref())?;
    let text =
        std::str::from_utf8(&body).map_err(|e| ApiError::bad(format!("body is not UTF-8: {e}")))?;
    Ok(Json(ingest_batch(&s, &sensor, seq, text).await?))
}

/// WebSocket ingest: each text message is one batch whose first line is `{"seq": N}` and whose other lines
/// are detection lines; each batch is answered with its [`Ack`] or `{"error", "line", "field"}`.
async fn ws(State(s): State<AppState>, sensor: SensorCaller, up: WebSocketUpgrade) -> Response {
    up.max_message_size(s.config.max_body_bytes)
        .on_upgrade(move |socket| ws_loop(s, sensor.0, socket))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WsHeader {
    seq: i64,
}

async fn ws_loop(s: AppState, sensor: store::Sensor, mut socket: WebSocket) {
    while let Some(Ok(msg)) = socket.recv().await {
        let text = match msg {
            WsMessage::Text(t) => t,
            WsMessage::Close(_) => break,
            _ => continue,
        };
        let (head, rest) = text
            .as_str()
            .split_once('\n')
            .unwrap_or((text.as_str(), ""));
        let answer = match serde_json::from_str::<WsHeader>(head) {
            Err(e) => {
                serde_json::json!({ "error": format!("first line must be {{\"seq\": N}}: {e}"), "field": "seq" })
            }
            Ok(h) => match ingest_batch(&s, &sensor, h.seq, rest).await {
                Ok(ack) => serde_json::to_value(&ack).unwrap_or_default(),
                Err(ApiError::BadRequest {
                    message,
                    line,
                    field,
                }) => {
                    // Lines are numbered within the batch as in HTTP (the header is line 0).
                    serde_json::json!({ "error": message, "line": line, "field": field })
                }
                Err(e) => {
                    tracing::error!(error = ?e, sensor = %sensor.name, "websocket batch failed");
                    serde_json::json!({ "error": "internal error" })
                }
            },
        };
        if socket
            .send(WsMessage::Text(answer.to_string().into()))
            .await
            .is_err()
        {
            break;
        }
    }
}
