//! API errors: `{"error":{"code":"…","message":"…"}}` with a stable code.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use provenant_core::credentials::verify::VerifyError;

/// The stable code of an error response, left on the response for the metrics.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode(pub &'static str);

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn too_large(max: u64) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the body is larger than the limit of {max} bytes"),
        )
    }

    pub fn empty() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "empty_body",
            "the body is empty: send the file's bytes",
        )
    }

    pub fn overloaded() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "too many requests are running or waiting; retry later",
        )
    }

    pub fn timeout() -> Self {
        Self::new(
            StatusCode::GATEWAY_TIMEOUT,
            "timeout",
            "the request took longer than the server's time limit",
        )
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    pub fn store(e: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            format!("the chronology store failed: {e}"),
        )
    }

    pub fn bad_query(e: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            format!("bad query string: {e}"),
        )
    }

    /// A file that could not be examined at all (a verdict is never an error).
    pub fn from_verify(e: &VerifyError) -> Self {
        let (status, code) = match e {
            VerifyError::Empty => (StatusCode::BAD_REQUEST, "empty_body"),
            VerifyError::UnknownFormat { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "unknown_format")
            }
            VerifyError::UnsupportedFormat { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "unsupported_format")
            }
            VerifyError::Settings(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            _ => (StatusCode::UNPROCESSABLE_ENTITY, "not_examined"),
        };
        Self::new(status, code, crate::render::clean(&e.to_string()))
    }
}

impl ApiError {
    /// A check of an upload that could not run.
    pub fn from_inspect(e: &provenant_core::inspect::InspectError) -> Self {
        match e {
            provenant_core::inspect::InspectError::Verify(v) => Self::from_verify(v),
            other => Self::internal(other.to_string()),
        }
    }
}

impl ApiError {
    /// A validation in a worker process that did not give a report.
    pub fn from_validate(e: &crate::validator::ValidateError) -> Self {
        use crate::validator::ValidateError;
        match e {
            ValidateError::Refused {
                status,
                code,
                message,
            } => {
                // The worker's codes are this module's own; map them back to the constants.
                let code = match code.as_str() {
                    "empty_body" => "empty_body",
                    "unknown_format" => "unknown_format",
                    "unsupported_format" => "unsupported_format",
                    "internal" => "internal",
                    _ => "not_examined",
                };
                let status =
                    StatusCode::from_u16(*status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
                Self::new(status, code, crate::render::clean(message))
            }
            ValidateError::OverBudget(_) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "over_budget",
                e.to_string(),
            ),
            ValidateError::Worker(_) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "not_examined",
                e.to_string(),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": { "code": self.code, "message": self.message }
        });
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response.extensions_mut().insert(ErrorCode(self.code));
        response
    }
}
