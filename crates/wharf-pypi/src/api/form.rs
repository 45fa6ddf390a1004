//! An upload form read with every dimension bounded: the preamble and each
//! part's headers, the number of parts, the text fields and the whole body.
//!
//! multer bounds field data and the whole stream, but buffers a part's
//! headers (and the preamble) until it finds their end, rescanning the
//! buffer on every chunk. [`HeaderGate`] caps what multer is handed while it
//! looks for the next part's headers.
//!
//! multer stops reading at the closing boundary; [`Form::finish`] then reads
//! the body to its end, so a body shorter than its `Content-Length` (or one
//! that fails) is refused even when its form looked complete.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::body::{Body, BodyDataStream};
use bytes::Bytes;
use futures_util::Stream;

use crate::PypiError;

/// Longest preamble plus part-header section accepted before a part.
pub(crate) const MAX_PART_HEADER_BYTES: u64 = 16 * 1024;
/// Most parts in one form (twine sends one per metadata field and classifier).
pub(crate) const MAX_PARTS: usize = 1000;
/// Total bytes of the non-file form fields (descriptions can be long).
pub(crate) const MAX_TEXT_BYTES: u64 = 8 * 1024 * 1024;
/// Bytes accepted after the closing boundary (an epilogue; clients send none).
const MAX_EPILOGUE_BYTES: u64 = 1024;

pub(crate) fn bad(e: impl std::fmt::Display) -> PypiError {
    PypiError::BadRequest(format!("Invalid upload form: {e}"))
}

/// The multipart form of one upload request.
pub(crate) struct Form<'a> {
    inner: multer::Multipart<'a>,
    gate: Arc<GateState>,
    body: Arc<Mutex<BodyDataStream>>,
    parts: usize,
    text_bytes: u64,
}

impl<'a> Form<'a> {
    /// `content_type` must name a boundary; `max_file_bytes` bounds the file part.
    pub(crate) fn new(content_type: &str, body: Body, max_file_bytes: u64) -> Result<Form<'a>, PypiError> {
        let boundary = multer::parse_boundary(content_type).map_err(|_| bad("expected multipart/form-data"))?;
        let gate = Arc::new(GateState::default());
        let body = Arc::new(Mutex::new(body.into_data_stream()));
        let stream =
            HeaderGate { inner: body.clone(), gate: gate.clone(), epoch: 0, given: 0, paused: false, held: None };
        let whole =
            max_file_bytes.saturating_add(MAX_TEXT_BYTES).saturating_add(MAX_PARTS as u64 * MAX_PART_HEADER_BYTES);
        let limits =
            multer::SizeLimit::new().whole_stream(whole).per_field(MAX_TEXT_BYTES).for_field("content", u64::MAX);
        let inner =
            multer::Multipart::with_constraints(stream, boundary, multer::Constraints::new().size_limit(limits));
        Ok(Form { inner, gate, body, parts: 0, text_bytes: 0 })
    }

    /// After the last part: the body must end cleanly where its framing says
    /// (`Content-Length`), with at most a short epilogue.
    pub(crate) async fn finish(&mut self) -> Result<(), PypiError> {
        let mut extra = 0u64;
        loop {
            let next = std::future::poll_fn(|cx| {
                let mut body = self.body.lock().expect("body lock");
                Pin::new(&mut *body).poll_next(cx)
            })
            .await;
            match next {
                None => return Ok(()),
                Some(Ok(chunk)) => {
                    extra += chunk.len() as u64;
                    if extra > MAX_EPILOGUE_BYTES {
                        return Err(bad("data after the end of the form"));
                    }
                }
                Some(Err(e)) => return Err(PypiError::BadRequest(format!("Error reading the upload: {e}"))),
            }
        }
    }

    /// The next part, its headers read within [`MAX_PART_HEADER_BYTES`].
    pub(crate) async fn next_field(&mut self) -> Result<Option<multer::Field<'a>>, PypiError> {
        self.gate.epoch.fetch_add(1, Ordering::Relaxed);
        self.gate.headers.store(true, Ordering::Relaxed);
        let next = self.inner.next_field().await;
        self.gate.headers.store(false, Ordering::Relaxed);
        let field = next.map_err(form_error)?;
        if field.is_some() {
            self.parts += 1;
            if self.parts > MAX_PARTS {
                return Err(PypiError::FormTooLarge(format!("Upload form has more than {MAX_PARTS} parts.")));
            }
        }
        Ok(field)
    }

    /// A text field's value, counted against [`MAX_TEXT_BYTES`].
    pub(crate) async fn text(&mut self, mut field: multer::Field<'a>) -> Result<String, PypiError> {
        let mut value = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(form_error)? {
            self.text_bytes += chunk.len() as u64;
            if self.text_bytes > MAX_TEXT_BYTES {
                return Err(PypiError::FormTooLarge(format!(
                    "Upload form fields are larger than {MAX_TEXT_BYTES} bytes in total."
                )));
            }
            value.extend_from_slice(&chunk);
        }
        Ok(String::from_utf8_lossy(&value).into_owned())
    }
}

/// Size limits are 413s; anything else is a malformed form.
fn form_error(e: multer::Error) -> PypiError {
    match &e {
        multer::Error::StreamReadFailed(cause) if cause.is::<HeadersTooLong>() => {
            PypiError::FormTooLarge(format!("Upload form part headers are longer than {MAX_PART_HEADER_BYTES} bytes."))
        }
        multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. } => {
            PypiError::FormTooLarge(format!("Upload form too large: {e}."))
        }
        _ => bad(e),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("part headers too long")]
struct HeadersTooLong;

/// Shared between the form (which knows when headers are being read) and
/// the body stream inside multer.
#[derive(Default)]
struct GateState {
    /// multer is looking for the next part's headers.
    headers: AtomicBool,
    /// Bumped each time it starts looking.
    epoch: AtomicU64,
}

/// The request body as multer sees it. While headers are read it hands out
/// at most [`MAX_PART_HEADER_BYTES`] (splitting a chunk if needed), then
/// yields once so multer can look for the end of the headers in what it
/// has; asked for more after that, it fails.
struct HeaderGate {
    inner: Arc<Mutex<BodyDataStream>>,
    gate: Arc<GateState>,
    epoch: u64,
    given: u64,
    paused: bool,
    held: Option<Bytes>,
}

impl Stream for HeaderGate {
    type Item = Result<Bytes, Box<dyn std::error::Error + Send + Sync>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let chunk = match this.held.take() {
            Some(c) => c,
            None => match Pin::new(&mut *this.inner.lock().expect("body lock")).poll_next(cx) {
                Poll::Ready(Some(Ok(c))) => c,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e.into()))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            },
        };
        if !this.gate.headers.load(Ordering::Relaxed) {
            return Poll::Ready(Some(Ok(chunk)));
        }
        let epoch = this.gate.epoch.load(Ordering::Relaxed);
        if epoch != this.epoch {
            (this.epoch, this.given, this.paused) = (epoch, 0, false);
        }
        let room = MAX_PART_HEADER_BYTES - this.given;
        if room == 0 {
            if this.paused {
                return Poll::Ready(Some(Err(Box::new(HeadersTooLong))));
            }
            // Let multer parse what it has before deciding.
            this.paused = true;
            this.held = Some(chunk);
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let mut chunk = chunk;
        if chunk.len() as u64 > room {
            this.held = Some(chunk.split_off(room as usize));
        }
        this.given += chunk.len() as u64;
        Poll::Ready(Some(Ok(chunk)))
    }
}
