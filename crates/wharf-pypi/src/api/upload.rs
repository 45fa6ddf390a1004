//! The legacy upload API: `POST` a multipart form with `:action=file_upload`
//! and a `content` file part (twine, uv, poetry, hatch, flit, pdm).

use std::collections::HashMap;

use axum::body::Body;
use axum::response::Response;
use http::request::Parts;
use http::StatusCode;

use super::form::{bad, Form, MAX_TEXT_BYTES};
use crate::service::UploadOutcome;
use crate::{Namespace, PackageIndex, PypiError};

pub(crate) async fn upload_file(
    index: &PackageIndex,
    ns: &Namespace,
    req: &Parts,
    body: Body,
) -> Result<Response, PypiError> {
    let ct = req.headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mut form = Form::new(ct, body, index.config.max_file_bytes)?;
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut staged = None;
    let result = async {
        while let Some(mut field) = form.next_field().await? {
            let name = field.name().unwrap_or("").to_string();
            if name == "content" {
                if staged.is_some() {
                    return Err(bad("more than one content part"));
                }
                let filename = field.file_name().ok_or_else(|| bad("the content part has no filename"))?.to_string();
                // Refuse a bad filename (unsafe characters, unknown extension,
                // unparsable name) from the part header alone, before a single
                // byte of a possibly huge body is streamed to storage.
                if let Err(e) = crate::parse_filename(&filename) {
                    let budget = index.config.max_file_bytes.saturating_add(MAX_TEXT_BYTES);
                    drain(field, &mut form, budget).await;
                    return Err(e);
                }
                staged = Some(index.stage(filename, &mut field).await?);
                continue;
            }
            let value = form.text(field).await?;
            fields.entry(name).or_insert(value);
        }
        form.finish().await?;
        let staged = staged.as_ref().ok_or_else(|| bad("missing the content file part"))?;
        index.publish(ns, staged, &fields).await
    }
    .await;
    if let Some(s) = &staged {
        if !matches!(result, Ok(UploadOutcome::Created)) {
            index.discard(s).await;
        }
    }
    let mut r = Response::new(Body::from("OK\n"));
    *r.status_mut() = StatusCode::OK;
    result.map(|_| r)
}

/// Reads and discards the rest of the form (at most `budget` bytes, never
/// stored), so a client that is still sending reads our 400 instead of a
/// connection reset by a server that stopped reading.
async fn drain<'a>(mut field: multer::Field<'a>, form: &mut Form<'a>, budget: u64) {
    let mut left = budget;
    loop {
        while let Ok(Some(chunk)) = field.chunk().await {
            match left.checked_sub(chunk.len() as u64) {
                Some(rest) => left = rest,
                None => return,
            }
        }
        drop(field);
        field = match form.next_field().await {
            Ok(Some(next)) => next,
            _ => return,
        };
    }
}
