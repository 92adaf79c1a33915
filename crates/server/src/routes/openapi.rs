//! The OpenAPI 3.1 document at `/api/v1/openapi.json`, written by hand: the API is small, and a hand-written
//! document states the ingest wire shape (JSON lines + `seq`) that derive macros cannot describe.

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

pub fn router() -> Router<crate::AppState> {
    Router::new().route("/openapi.json", get(|| async { Json(document()) }))
}

fn op(summary: &str, tag: &str, auth: &str) -> Value {
    json!({ "summary": summary, "tags": [tag], "security": [{ auth: [] }], "responses": {
        "200": { "description": "OK" }, "401": { "$ref": "#/components/responses/Error" },
        "403": { "$ref": "#/components/responses/Error" } } })
}

/// The document.
pub fn document() -> Value {
    let user = "bearerUser";
    let sensor = "bearerSensor";
    let mut ingest = op("Ingest a batch of detection lines", "ingest", sensor);
    ingest["description"] = json!(
        "Body: JSON lines, one `DetectionLine` per line, exactly as printed by `skytrace decode`. \
         Query `seq`: the sensor's sequence number of the first non-empty line; line i has seq + i. \
         A (sensor, seq) already stored is ignored, so a replayed batch is stored once. The whole batch is \
         validated before anything is written: 400 names the 1-based `line` and the `field`; 401 without a \
         valid sensor token; 413 above the body limit. The answer is sent after the batch is committed."
    );
    ingest["parameters"] = json!([{ "name": "seq", "in": "query", "required": true, "schema": { "type": "integer", "minimum": 0 } }]);
    ingest["requestBody"] = json!({ "required": true, "content": { "application/x-ndjson": { "schema": { "type": "string" } } } });
    ingest["responses"]["200"] = json!({ "description": "Committed", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Ack" } } } });
    ingest["responses"]["400"] = json!({ "$ref": "#/components/responses/Error" });
    ingest["responses"]["413"] = json!({ "$ref": "#/components/responses/Error" });
    let mut ws = op("Streaming ingest over WebSocket", "ingest", sensor);
    ws["description"] = json!("Each text message is a batch: first line `{\"seq\": N}`, then detection lines. Each is answered with an Ack or an Error object.");
    let mut login = json!({ "summary": "Password login", "tags": ["auth"], "requestBody": { "content": { "application/json": { "schema": {
        "type": "object", "required": ["username", "password"], "properties": { "username": { "type": "string" }, "password": { "type": "string" } } } } } },
        "responses": { "200": { "description": "A session token", "content": { "application/json": { "schema": { "type": "object", "properties": { "token": { "type": "string" } } } } } },
                       "401": { "$ref": "#/components/responses/Error" } } });
    login["security"] = json!([]);
    let mut tracks = op(
        "All tracks (`active=true`: those in the tracker's active state)",
        "tracks",
        user,
    );
    tracks["parameters"] =
        json!([{ "name": "active", "in": "query", "schema": { "type": "boolean" } }]);
    tracks["responses"]["200"] = json!({ "description": "Tracks", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/Track" } } } } });
    let window = json!([
        { "name": "from", "in": "query", "schema": { "type": "string" }, "description": "RFC 3339 or Unix ms" },
        { "name": "to", "in": "query", "schema": { "type": "string" } },
        { "name": "bbox", "in": "query", "schema": { "type": "string" }, "description": "min_lon,min_lat,max_lon,max_lat" },
        { "name": "format", "in": "query", "schema": { "enum": ["csv", "geojson", "kml"] } }
    ]);
    let mut history = op(
        "Tracks with a detection in a time window and area",
        "tracks",
        user,
    );
    history["parameters"] = window.clone();
    let mut export = op("Export a window (audited)", "export", user);
    export["parameters"] = window.clone();
    let mut export_track = op("Export one track (audited)", "export", user);
    export_track["parameters"] = window;
    let mut zones_post = op("Create a zone from a GeoJSON Feature", "zones", user);
    zones_post["description"] = json!("Feature with Polygon, MultiPolygon or Point geometry; properties `name`, `restriction`, `radius_m` (Point), `lower_m`, `upper_m`, `schedule` (a `Schedule`; absent or []: always). A bad schedule is a 400 whose `field` names it, e.g. `properties.schedule[0].windows[1].from`. Operators and admins.");
    zones_post["responses"]["200"] = json!({ "description": "The zone", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Zone" } } } });
    zones_post["responses"]["400"] = json!({ "$ref": "#/components/responses/Error" });
    let mut zones_get = op("Zones", "zones", user);
    zones_get["responses"]["200"] = json!({ "description": "Zones", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/Zone" } } } } });
    let (schedule_schema, zone_schema) = zone_schemas();
    let mut zones_put = op(
        "Replace a zone's definition (same body as POST /zones)",
        "zones",
        user,
    );
    zones_put["description"] =
        json!("Keeps the zone's id; operators and admins; audited as zone.update.");
    zones_put["responses"]["404"] = json!({ "$ref": "#/components/responses/Error" });
    let mut zones_import = op("Import a zone file, all or nothing", "zones", user);
    zones_import["description"] = json!(
        "Body: the file. `format`: `geojson` (FeatureCollection or Feature, properties as POST /zones), `ed318` \
         (EUROCAE ED-318 GeoJSON), `ed269` (EUROCAE ED-269 JSON, one zone per volume) or `airports-csv` \
         (`airportsdata` or OurAirports columns) as circles of `radius_m` metres (default 5000), OurAirports \
         rows filtered by `types` (comma-separated, e.g. large_airport,medium_airport). One transaction: a bad \
         item refuses the file with 400 naming it (`field` features[i] / UASZoneList[i].geometry[k], or the \
         CSV `line`), nothing stored. Operators and admins; audited as zone.import. Answers {imported, format}."
    );
    zones_import["parameters"] = json!([
        { "name": "format", "in": "query", "required": true, "schema": { "enum": ["geojson", "ed318", "ed269", "airports-csv"] } },
        { "name": "radius_m", "in": "query", "schema": { "type": "number", "exclusiveMinimum": 0 } },
        { "name": "types", "in": "query", "schema": { "type": "string" } }
    ]);
    zones_import["requestBody"] = json!({ "required": true, "content": {
        "application/json": { "schema": { "type": "object" } }, "text/csv": { "schema": { "type": "string" } } } });
    zones_import["responses"]["200"] = json!({ "description": "Imported", "content": { "application/json": { "schema": {
        "type": "object", "properties": { "imported": { "type": "integer" }, "format": { "type": "string" } } } } } });
    zones_import["responses"]["400"] = json!({ "$ref": "#/components/responses/Error" });
    let track_schema = track_schema();
    json!({
        "openapi": "3.1.0",
        "info": { "title": "skytrace", "version": env!("CARGO_PKG_VERSION"),
                  "description": "Drone detection server. Pilot and home positions are personal data: null for roles not granted them; every read is audited." },
        "servers": [{ "url": "/api/v1" }],
        "paths": {
            "/login": { "post": login },
            "/logout": { "post": op("Revoke the calling token", "auth", user) },
            "/me": { "get": op("The calling user", "auth", user) },
            "/users": { "get": op("Users (admin)", "users", user), "post": op("Create a user {username,password,role} (admin)", "users", user) },
            "/tokens": { "post": op("Create an API token {label} for the caller", "auth", user) },
            "/sensors": { "get": op("Sensors with health (online/stale/offline)", "sensors", user), "post": op("Register a sensor {name} (admin); returns its token once", "sensors", user) },
            "/heartbeat": { "post": op("Sensor heartbeat {lat,lon,alt_m,counters,version}", "ingest", sensor) },
            "/ingest": { "post": ingest },
            "/ingest/ws": { "get": ws },
            "/tracks": { "get": tracks },
            "/tracks/{id}": { "get": op("One track", "tracks", user) },
            "/tracks/{id}/path": { "get": op("Positions of a track in a window: its stored path, at most one point per 500 ms of reported time (store::POINT_EVERY_MS); every detection, with its position, is in the window export (/export)", "tracks", user) },
            "/history": { "get": history },
            "/zones": { "get": zones_get, "post": zones_post },
            "/zones/import": { "post": zones_import },
            "/zones/{id}": { "delete": op("Delete a zone", "zones", user), "put": zones_put },
            "/alerts": { "get": op("Alerts, newest first", "alerts", user) },
            "/alerts/{id}/ack": { "post": op("Acknowledge an alert", "alerts", user) },
            "/lists": { "get": op("Alert allowlist and watchlist (kind:value identities)", "alerts", user),
                "put": op("Replace the alert lists (admin, operator)", "alerts", user) },
            "/audit": { "get": op("Audit log (admin)", "audit", user) },
            "/export": { "get": export },
            "/export/tracks/{id}": { "get": export_track },
            "/stream": { "get": op("Server-sent events: track, alert, sensor", "stream", user) },
        },
        "components": {
            "securitySchemes": {
                "bearerUser": { "type": "http", "scheme": "bearer", "description": "Session token from /login or an API token" },
                "bearerSensor": { "type": "http", "scheme": "bearer", "description": "Sensor token from `skytrace admin sensor add`" }
            },
            "responses": { "Error": { "description": "Error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } } },
            "schemas": {
                "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "string" }, "line": { "type": "integer" }, "field": { "type": "string" } } },
                "Ack": { "type": "object", "properties": { "seq": { "type": "integer" }, "lines": { "type": "integer" }, "stored": { "type": "integer" }, "duplicates": { "type": "integer" } } },
                "Track": track_schema,
                "Schedule": schedule_schema,
                "Zone": zone_schema
            }
        }
    })
}

/// The `Schedule` (GeoJSON `properties.schedule`, `track::zones::import::schedule_json`) and `Zone`
/// (`routes::zones::ZoneDto`) schemas.
fn zone_schemas() -> (Value, Value) {
    let window = json!({ "type": "object", "required": ["days", "from", "to"], "additionalProperties": false,
        "description": "A daily window in local time at a fixed UTC offset. `to` before `from` runs past midnight; `from` = `to`: all day.",
        "properties": {
            "days": { "type": "array", "minItems": 1, "items": { "enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] } },
            "from": { "type": "string", "pattern": "^([01][0-9]|2[0-4]):[0-5][0-9]$", "description": "HH:MM, start (inclusive)" },
            "to": { "type": "string", "pattern": "^([01][0-9]|2[0-4]):[0-5][0-9]$", "description": "HH:MM, end (exclusive); 24:00 allowed" },
            "utc_offset_min": { "type": "integer", "minimum": -720, "maximum": 840, "default": 0 } } });
    let period = json!({ "type": "object", "additionalProperties": false,
        "description": "Applies from `start` (inclusive) to `end` (exclusive, after start), both optional, within the windows (absent or empty: all day).",
        "properties": {
            "start": { "type": "string", "format": "date-time" },
            "end": { "type": "string", "format": "date-time" },
            "windows": { "type": "array", "items": window } } });
    let schedule = json!({ "type": "array", "items": period,
        "description": "When a zone applies: during any period; always when empty. Zone alerts fire only while it applies." });
    let zone = json!({ "type": "object", "properties": {
        "id": { "type": "integer" }, "name": { "type": "string" }, "restriction": { "type": "string" },
        "lower_m": { "type": ["number", "null"] }, "upper_m": { "type": ["number", "null"] }, "radius_m": { "type": ["number", "null"] },
        "created": { "type": "string", "format": "date-time" },
        "format": { "enum": ["geojson", "ed318", "ed269"] },
        "feature": { "type": "object", "description": "GeoJSON Feature" },
        "schedule": { "$ref": "#/components/schemas/Schedule", "description": "The schedule in GeoJSON form, whatever the zone was defined in (ED-318/ED-269 applicability included)" },
        "active_now": { "type": "boolean", "description": "Whether the schedule applies at the server's time" } } });
    (schedule, zone)
}

/// The `Track` schema (`routes::tracks::TrackDto`), built field by field: one `json!` of it exceeds the
/// macro's recursion limit.
fn track_schema() -> Value {
    const NUM: &str = "number?";
    const STR: &str = "string?";
    const TIME: &str = "date-time";
    let fields: &[(&str, &str, &str)] = &[
        ("id", "integer", ""),
        (
            "uas_id",
            STR,
            "Serial, registration, session ID or DJI serial, the strongest known",
        ),
        ("key", "string", ""),
        ("lat", NUM, ""),
        ("lon", NUM, ""),
        (
            "alt_m",
            NUM,
            "Altitude above sea level (geodetic, else pressure), m",
        ),
        (
            "operator_lat",
            NUM,
            "Pilot position; null for roles without pilot rights",
        ),
        (
            "operator_lon",
            NUM,
            "Pilot position; null for roles without pilot rights",
        ),
        (
            "home_lat",
            NUM,
            "Home point; null for roles without pilot rights",
        ),
        (
            "home_lon",
            NUM,
            "Home point; null for roles without pilot rights",
        ),
        ("first_seen", TIME, ""),
        ("last_seen", TIME, ""),
        ("detections", "integer", ""),
        ("state", "string", "active, lost or closed"),
        ("speed_mps", NUM, "Horizontal speed, m/s"),
        (
            "heading_deg",
            NUM,
            "Track over ground, degrees from true north",
        ),
        ("climb_mps", NUM, "Vertical speed, m/s, up positive"),
        ("height_m", NUM, "Height above the take-off point, m"),
        ("height_agl_m", NUM, "Height above ground level, m"),
        ("alt_geo_m", NUM, "Geodetic (WGS-84) altitude, m"),
        ("alt_baro_m", NUM, "Pressure altitude, m"),
        (
            "pilot_kind",
            STR,
            "takeoff, live, fixed or unknown-<code>; null for roles without pilot rights",
        ),
        (
            "operator_alt_m",
            NUM,
            "Pilot altitude, m; null for roles without pilot rights",
        ),
        ("model", STR, ""),
        (
            "ua_type",
            STR,
            "F3411 UA type: none, aeroplane, rotorcraft, ... or unknown-<code>",
        ),
        ("operator_id", STR, "Operator ID as broadcast"),
        ("registration", STR, "CAA registration (Basic ID type 2)"),
        ("session_id", STR, "Session ID (Basic ID type 4)"),
        ("dji_serial", STR, ""),
        ("self_id", STR, "Self-ID text"),
        ("auth_pages", "integer", "Authentication pages seen"),
        (
            "last_reported",
            "date-time?",
            "Time reported by the aircraft (its clock)",
        ),
        (
            "allowlisted",
            "boolean",
            "Whether the track matches the allowlist",
        ),
    ];
    let mut props = serde_json::Map::new();
    for (name, ty, desc) in fields {
        let (base, nullable) = match ty.strip_suffix('?') {
            Some(b) => (b, true),
            None => (*ty, false),
        };
        let mut p = if base == TIME {
            json!({ "type": "string", "format": "date-time" })
        } else {
            json!({ "type": base })
        };
        if nullable {
            p["type"] = json!([p["type"].clone(), "null"]);
        }
        if !desc.is_empty() {
            p["description"] = json!(desc);
        }
        props.insert((*name).to_owned(), p);
    }
    let list = json!({ "type": "array", "items": { "type": "string" } });
    props.insert("transports".into(), list.clone());
    props.insert("sensors".into(), list);
    props.insert(
        "sensors_seen".into(),
        json!({ "type": "array", "description": "Sensors that heard it, with their last signal level",
            "items": { "type": "object", "properties": {
                "name": { "type": "string" }, "rssi_dbm": { "type": ["number", "null"] },
                "last_seen": { "type": "string", "format": "date-time" } } } }),
    );
    json!({ "type": "object", "properties": props })
}
