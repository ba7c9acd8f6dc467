//! Product images: `POST /admin/products/{id}/image` (the merchant's upload, a form with one
//! file field `image`) and `GET /images/uploads/{id}` (the shop shows them).
//!
//! An upload is PNG, JPEG or WebP, known by its first bytes (never by its file name or the
//! Content-Type the browser claims), at most 2 MiB; SVG is refused (it can carry scripts). It is
//! stored in the database, so every instance of the app serves the same images. A refusal
//! changes nothing.

use super::guard::is_admin;
use super::same_origin::same_origin;
use crate::domain::product::{ImageKind, MAX_IMAGE_BYTES};
use crate::error::AppError;
use crate::server::db;
use crate::server::AppState;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

/// The upload route's body limit: the largest image plus room for the form's own framing.
/// Images over [`MAX_IMAGE_BYTES`] are refused by the handler itself (413), whatever the body.
pub const UPLOAD_BODY_LIMIT: usize = MAX_IMAGE_BYTES + 64 * 1024;

/// The form field the file comes in.
const FIELD: &str = "image";

fn too_large() -> String {
    format!(
        "That image is larger than {} MiB. Make it smaller (fewer pixels, or JPEG/WebP) and upload it again.",
        MAX_IMAGE_BYTES / (1024 * 1024)
    )
}

const NOT_AN_IMAGE: &str =
    "Only PNG, JPEG or WebP images can be uploaded, and this file is none of them. \
     (SVG is refused: it can carry scripts.)";

/// A refusal: plain text for a script, a small page with a way back for a browser's form.
fn refuse(status: StatusCode, message: &str, headers: &HeaderMap, product_id: i64) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if !wants_html {
        return (status, message.to_string()).into_response();
    }
    // The message is this module's own text (no input of the request's in it).
    let page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Image not uploaded</title></head>\
         <body><main><h1>The image was not uploaded</h1><p role=\"alert\">{message}</p>\
         <p><a href=\"/admin/products/{product_id}\">Back to the product</a></p></main></body></html>"
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page,
    )
        .into_response()
}

/// `POST /admin/products/{id}/image`: a form with the file in the field `image`. A browser's
/// form is sent back to the product's page; a script gets `201` and the image's address.
pub async fn upload_image(
    State(state): State<AppState>,
    session: Session,
    Path(product_id): Path<i64>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    if !is_admin(&session).await {
        return refuse(
            StatusCode::UNAUTHORIZED,
            &AppError::Unauthorized.to_string(),
            &headers,
            product_id,
        );
    }
    // The admin's middleware refuses cross-site posts already; checked here too, so the
    // route is safe wherever it is mounted.
    if !same_origin(&headers, &state.config.public_url) {
        return refuse(
            StatusCode::FORBIDDEN,
            &AppError::CrossSite.to_string(),
            &headers,
            product_id,
        );
    }
    let mut multipart = match multipart {
        Ok(multipart) => multipart,
        Err(_) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "Send the image as a file in the upload form.",
                &headers,
                product_id,
            )
        }
    };
    match db::admin_product(&state.pool, product_id).await {
        Ok(Some(_)) => {}
        Ok(None) => {
            return refuse(
                StatusCode::NOT_FOUND,
                &AppError::ProductNotFound.to_string(),
                &headers,
                product_id,
            )
        }
        Err(e) => {
            return refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                &AppError::from(e).to_string(),
                &headers,
                product_id,
            )
        }
    }
    let bytes = match read_image_field(&mut multipart).await {
        Ok(Some(bytes)) if !bytes.is_empty() => bytes,
        Ok(_) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "Choose an image file to upload.",
                &headers,
                product_id,
            )
        }
        Err(status) if status == StatusCode::PAYLOAD_TOO_LARGE => {
            return refuse(status, &too_large(), &headers, product_id)
        }
        Err(status) => {
            return refuse(
                status,
                "The upload could not be read; try again.",
                &headers,
                product_id,
            )
        }
    };
    let Some(kind) = ImageKind::sniff(&bytes) else {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            NOT_AN_IMAGE,
            &headers,
            product_id,
        );
    };
    let url = match db::insert_image(&state.pool, product_id, kind, &bytes).await {
        Ok(Some(url)) => url,
        Ok(None) => {
            return refuse(
                StatusCode::NOT_FOUND,
                &AppError::ProductNotFound.to_string(),
                &headers,
                product_id,
            )
        }
        Err(e) => {
            return refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                &AppError::from(e).to_string(),
                &headers,
                product_id,
            )
        }
    };
    tracing::info!(product = product_id, %url, bytes = bytes.len(), "product image uploaded");
    let from_a_form = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if from_a_form {
        let back = format!("/admin/products/{product_id}?image=uploaded");
        return (StatusCode::SEE_OTHER, [(header::LOCATION, back)]).into_response();
    }
    (
        StatusCode::CREATED,
        [(header::LOCATION, url.clone())],
        axum::Json(serde_json::json!({ "image": url })),
    )
        .into_response()
}

/// The bytes of the form's `image` field, read until they pass [`MAX_IMAGE_BYTES`] (then
/// `Err(413)`, and the rest is never read). `None` without such a field.
async fn read_image_field(multipart: &mut Multipart) -> Result<Option<Vec<u8>>, StatusCode> {
    while let Some(mut field) = multipart.next_field().await.map_err(|e| e.status())? {
        if field.name() != Some(FIELD) {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| e.status())? {
            if bytes.len() + chunk.len() > MAX_IMAGE_BYTES {
                return Err(StatusCode::PAYLOAD_TOO_LARGE);
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(Some(bytes));
    }
    Ok(None)
}

/// `GET /images/uploads/{id}`: an uploaded image, with its own type, never sniffed by the
/// browser as anything else, cached for good (an id is never reused).
pub async fn serve_image(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "No such image.").into_response();
    let Ok(id) = id.parse::<i64>() else {
        return not_found();
    };
    let found = match state.reader.connection().await {
        Ok(mut db) => db::image_by_id(&mut *db, id).await,
        Err(e) => Err(e),
    };
    match found {
        Ok(Some((kind, bytes))) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(kind.content_type()),
                ),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=31536000, immutable"),
                ),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => not_found(),
        Err(e) => {
            tracing::error!(error = %e, "reading an uploaded image");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                AppError::Internal.to_string(),
            )
                .into_response()
        }
    }
}
