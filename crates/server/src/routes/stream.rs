//! The live stream: server-sent events of track updates, alerts and sensor status (`GET /api/v1/stream`).
//!
//! Event names: `track` (a track DTO; its `allowlisted` is the match against the lists in force when the
//! detection was fused), `merged` (`{"into": id, "from": id}`: track `from` turned out to be
//! track `into` and no longer exists), `alert` (an alert DTO), `sensor` (a sensor DTO). Pilot and home
//! positions follow the caller's role as in the REST API; a stream that may carry them is audited once when
//! it opens. A subscriber too slow to keep up skips events (it is told with a `lagged` event) rather than
//! slowing ingest.

use super::alerts::AlertDto;
use super::sensors::SensorDto;
use super::tracks::TrackDto;
use crate::auth::Caller;
use crate::{ApiError, AppState, LiveEvent};
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use axum::Router;
use futures_util::{Stream, StreamExt};
use std::convert::Infallible;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::{BroadcastStream, WatchStream};

pub fn router() -> Router<AppState> {
    Router::new().route("/stream", get(stream))
}

/// Decrements the client gauge when the stream is dropped.
struct Gauge(AppState);

impl Drop for Gauge {
    fn drop(&mut self) {
        self.0.metrics.stream_clients.dec();
    }
}

async fn stream(
    State(s): State<AppState>,
    c: Caller,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let pilots = c.sees_pilots(&s);
    if pilots {
        s.store
            .audit(
                &c.user.name,
                "pilot.read",
                Some(r#"{"via":"GET /stream"}"#.into()),
                s.now(),
            )
            .done()
            .await?;
    }
    let rx = s.live.subscribe();
    s.metrics.stream_clients.inc();
    let gauge = Gauge(s.clone());
    // Ends when shutdown starts, so that graceful shutdown does not wait for clients forever.
    let closing = WatchStream::new(s.closing.clone()).filter(|c| std::future::ready(*c));
    let state = s.clone();
    let events = BroadcastStream::new(rx)
        .map(move |r| {
            let _keep = &gauge;
            let e = match r {
                Ok(ev) => match &*ev {
                    LiveEvent::Track(t) => Event::default()
                        .event("track")
                        .json_data(TrackDto::new(t, pilots, None)),
                    LiveEvent::Merged { into, from } => Event::default()
                        .event("merged")
                        .json_data(serde_json::json!({ "into": into, "from": from })),
                    LiveEvent::Alert(a) => {
                        Event::default().event("alert").json_data(AlertDto::from(a))
                    }
                    LiveEvent::Sensor(x) => Event::default()
                        .event("sensor")
                        .json_data(SensorDto::new(x, &state)),
                },
                Err(BroadcastStreamRecvError::Lagged(n)) => {
                    Ok(Event::default().event("lagged").data(n.to_string()))
                }
            };
            Ok(e.unwrap_or_else(|_| Event::default().event("error").data("encoding")))
        })
        .take_until(closing.into_future());
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}
