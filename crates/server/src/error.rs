//! [`ApiError`]: the one error type of the HTTP layer.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// What a handler can fail with. Internal errors are logged in full and answered with a generic message.
#[derive(Debug)]
pub enum ApiError {
    /// 401: no token, or an unknown one.
    Unauthorized,
    /// 403: the caller's role may not do this.
    Forbidden,
    /// 404.
    NotFound(String),
    /// 409: a name already taken.
    Conflict(String),
    /// 400, with the 1-based line and the field when the problem is in an ingest batch.
    BadRequest {
        message: String,
        line: Option<usize>,
        field: Option<String>,
    },
    /// 413: a body over the configured limit (bytes).
    TooLarge(usize),
    /// 500.
    Internal(String),
}

impl ApiError {
    /// A 400 with a message only.
    pub fn bad(message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            message: message.into(),
            line: None,
            field: None,
        }
    }
}

impl From<store::Error> for ApiError {
    fn from(e: store::Error) -> ApiError {
        match e {
            store::Error::Exists(what) => ApiError::Conflict(format!("{what} already exists")),
            store::Error::NotFound(what) => ApiError::NotFound(format!("{what} not found")),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message, line, field) = match self {
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "missing or invalid bearer token".to_owned(),
                None,
                None,
            ),
            ApiError::Forbidden => (
                StatusCode::FORBIDDEN,
                "your role does not allow this".to_owned(),
                None,
                None,
            ),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m, None, None),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, m, None, None),
            ApiError::BadRequest {
                message,
                line,
                field,
            } => (StatusCode::BAD_REQUEST, message, line, field),
            ApiError::TooLarge(n) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body larger than the limit of {n} bytes"),
                None,
                None,
            ),
            ApiError::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error".to_owned(),
                    None,
                    None,
                )
            }
        };
        let mut body = serde_json::json!({ "error": message });
        if let Some(l) = line {
            body["line"] = l.into();
        }
        if let Some(f) = field {
            body["field"] = f.into();
        }
        (status, Json(body)).into_response()
    }
}
