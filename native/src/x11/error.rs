//! Typed X11 errors. The `code` string is the stable contract with JavaScript (`err.code`).
use crate::error::{CodecError, ErrorCode};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum X11ErrorCode {
    /// The display cannot be opened (no server there, or access refused).
    Open,
    /// The server lacks an extension we need (MIT-SHM is optional; DAMAGE, XFIXES, XTEST, RANDR are not).
    Extension,
    /// The connection to the X server was lost; the object is unusable.
    Closed,
    /// No such window, or the shared window is gone.
    Window,
    /// No such monitor.
    Monitor,
    /// A keysym X does not know, or no keycode is free to type it.
    Keysym,
    /// Pointer coordinates outside the shared area.
    Coordinates,
    /// A JavaScript argument has the wrong type or value.
    Argument,
    /// The X server refused a request we made (e.g. a capture outside the screen).
    Request,
    /// A bug: a Rust panic caught at the Node-API boundary.
    Internal,
}

impl X11ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            X11ErrorCode::Open => "E_X11_OPEN",
            X11ErrorCode::Extension => "E_X11_EXTENSION",
            X11ErrorCode::Closed => "E_X11_CLOSED",
            X11ErrorCode::Window => "E_X11_WINDOW",
            X11ErrorCode::Monitor => "E_X11_MONITOR",
            X11ErrorCode::Keysym => "E_X11_KEYSYM",
            X11ErrorCode::Coordinates => "E_X11_COORDINATES",
            X11ErrorCode::Argument => "E_X11_ARGUMENT",
            X11ErrorCode::Request => "E_X11_REQUEST",
            X11ErrorCode::Internal => "E_X11_INTERNAL",
        }
    }
}

#[derive(Debug, Clone)]
pub struct X11Error {
    pub code: X11ErrorCode,
    pub message: String,
}

impl X11Error {
    pub fn new(code: X11ErrorCode, message: impl Into<String>) -> Self {
        X11Error { code, message: message.into() }
    }
}

/// The shared Node-API argument helpers report codec errors; on an X11 object they are X11 errors.
impl From<CodecError> for X11Error {
    fn from(e: CodecError) -> Self {
        let code = if e.code == ErrorCode::Internal { X11ErrorCode::Internal } else { X11ErrorCode::Argument };
        X11Error { code, message: e.message }
    }
}

pub type Result<T> = std::result::Result<T, X11Error>;

pub fn fail<T>(code: X11ErrorCode, message: impl Into<String>) -> Result<T> {
    Err(X11Error::new(code, message))
}
