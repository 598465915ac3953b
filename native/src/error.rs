//! Typed codec errors. The `code` string is the stable contract with JavaScript (`err.code`).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// Packet ends before a field it declares.
    Truncated,
    /// Packet is structurally invalid (bad checksum, out-of-range rectangle, trailing bytes...).
    Corrupt,
    /// Not a relaydesk codec packet.
    BadMagic,
    /// Packet format version this build does not understand.
    Version,
    /// Packet dimensions differ from the decoder's, or constructor dimensions are out of range.
    Dimensions,
    /// Frame buffer length is not width*height*4.
    FrameSize,
    /// A JavaScript argument has the wrong type or value.
    Argument,
    /// A bug: a Rust panic caught at the Node-API boundary.
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Truncated => "E_CODEC_TRUNCATED",
            ErrorCode::Corrupt => "E_CODEC_CORRUPT",
            ErrorCode::BadMagic => "E_CODEC_BAD_MAGIC",
            ErrorCode::Version => "E_CODEC_VERSION",
            ErrorCode::Dimensions => "E_CODEC_DIMENSIONS",
            ErrorCode::FrameSize => "E_CODEC_FRAME_SIZE",
            ErrorCode::Argument => "E_CODEC_ARGUMENT",
            ErrorCode::Internal => "E_CODEC_INTERNAL",
        }
    }
}

#[derive(Debug, Clone)]
pub struct CodecError {
    pub code: ErrorCode,
    pub message: String,
}

impl CodecError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        CodecError { code, message: message.into() }
    }
}

impl std::fmt::Display for CodecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

pub type Result<T> = std::result::Result<T, CodecError>;

pub fn err<T>(code: ErrorCode, message: impl Into<String>) -> Result<T> {
    Err(CodecError::new(code, message))
}
