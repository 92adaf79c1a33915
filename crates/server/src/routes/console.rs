//! The browser console: the files of `web/dist` embedded into the binary and served at `/`, plus the
//! console's settings at `GET /api/v1/console-config`.
//!
//! Any path outside `/api/` that is not a file of the build is answered with `index.html`, so that the
//! console's own addresses survive a reload. When the console was not built before cargo ran (see
//! `build.rs`), `/` answers a page that says how to build it.

use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/console-config", get(config))
        .fallback(get(file))
}

/// What the console reads before drawing the map.
#[derive(Debug, Serialize)]
pub struct ConsoleConfigDto {
    /// An online raster tile source (`{z}/{x}/{y}` template) to draw under the offline base map, when an
    /// administrator configured one; `null` keeps the console fully offline.
    pub tile_url: Option<String>,
}

async fn config(State(s): State<AppState>) -> Json<ConsoleConfigDto> {
    Json(ConsoleConfigDto {
        tile_url: s.config.console_tile_url.clone(),
    })
}

#[cfg(console_built)]
#[derive(rust_embed::Embed)]
#[folder = "../../web/dist"]
struct Dist;

/// An embedded file with its content type, or `None` when the build has no such file.
#[cfg(console_built)]
fn lookup(path: &str) -> Option<(std::borrow::Cow<'static, [u8]>, String)> {
    let f = Dist::get(path)?;
    let mime = f.metadata.mimetype().to_owned();
    Some((f.data, mime))
}

#[cfg(not(console_built))]
fn lookup(_path: &str) -> Option<(std::borrow::Cow<'static, [u8]>, String)> {
    None
}

const NOT_BUILT: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>skytrace</title></head>\
<body style=\"font-family:sans-serif;max-width:40em;margin:4em auto\"><h1>skytrace: console not built</h1>\
<p>This server was compiled before the browser console was built. Run <code>scripts/demo</code>, or \
<code>npm ci &amp;&amp; npm run build</code> in <code>web/</code> and build the server again.</p>\
<p>The API is available under <a href=\"/api/v1/openapi.json\"><code>/api/v1</code></a>.</p></body></html>";

/// Serves a file of the console, `index.html` for the console's own addresses, 404 under `/api/`.
async fn file(uri: Uri) -> Response {
    let path = uri.path();
    if path == "/api" || path.starts_with("/api/") {
        return crate::ApiError::NotFound(format!("no route {path}")).into_response();
    }
    let rel = path.trim_start_matches('/');
    let (asset, hit) = match lookup(rel) {
        Some(x) if !rel.is_empty() => (Some(x), true),
        _ => (lookup("index.html"), false),
    };
    let Some((body, mime)) = asset else {
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            NOT_BUILT,
        )
            .into_response();
    };
    // Vite names every asset by its content hash, so assets can be cached for good; index.html names the
    // current assets and must be revalidated.
    let cache = if hit && rel.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut r = (StatusCode::OK, body.into_owned()).into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&mime) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn get_path(path: &str) -> (StatusCode, String, String) {
        let (app, _dir) = app();
        let r = app
            .oneshot(Request::get(path).body(Body::empty()).unwrap_or_default())
            .await
            .unwrap_or_else(|e| match e {});
        let status = r.status();
        let ctype = r
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = axum::body::to_bytes(r.into_body(), 1 << 24)
            .await
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        (status, ctype, body)
    }

    /// The whole application on a fresh store; the directory lives as long as the returned guard.
    fn app() -> (Router, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = store::Store::open(dir.path()).expect("store");
        let state =
            AppState::new(store, crate::Config::default(), crate::system_clock()).expect("state");
        (crate::app(state), dir)
    }

    #[tokio::test]
    async fn console_paths_and_api_404() {
        // (path, expected status, expected content type prefix)
        let cases: &[(&str, StatusCode, &str)] = &[
            ("/", StatusCode::OK, "text/html"),
            ("/history", StatusCode::OK, "text/html"),
            ("/zones/12", StatusCode::OK, "text/html"),
            (
                "/api/v1/no-such-route",
                StatusCode::NOT_FOUND,
                "application/json",
            ),
            ("/api/v1/console-config", StatusCode::OK, "application/json"),
        ];
        for (path, status, ctype) in cases {
            let (s, c, body) = get_path(path).await;
            assert_eq!(s, *status, "{path}: {body}");
            assert!(c.starts_with(ctype), "{path}: content type {c}");
        }
        let (_, _, body) = get_path("/api/v1/console-config").await;
        assert_eq!(body, r#"{"tile_url":null}"#);
    }

    #[cfg(console_built)]
    #[tokio::test]
    async fn embedded_assets_have_their_types() {
        let index = Dist::get("index.html").expect("index.html embedded");
        let html = String::from_utf8_lossy(&index.data).into_owned();
        // Every script and style sheet index.html names is served with its type.
        let refs: Vec<&str> = html
            .split('"')
            .filter(|s| s.starts_with("/assets/"))
            .collect();
        assert!(!refs.is_empty(), "index.html names no assets");
        for r in refs {
            let (s, c, _) = get_path(r).await;
            assert_eq!(s, StatusCode::OK, "{r}");
            let want = if r.ends_with(".js") {
                "text/javascript"
            } else if r.ends_with(".css") {
                "text/css"
            } else {
                ""
            };
            assert!(c.starts_with(want), "{r}: {c}");
        }
    }

    #[cfg(not(console_built))]
    #[tokio::test]
    async fn unbuilt_console_says_how_to_build_it() {
        let (s, _, body) = get_path("/").await;
        assert_eq!(s, StatusCode::OK);
        assert!(body.contains("npm ci"), "{body}");
    }
}
