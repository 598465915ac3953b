//! relaydesk lossless screen-delta codec. One concept per module; see docs/codec.md for the format.
pub mod binding;
pub mod checksum;
pub mod cpu_clock;
pub mod decode;
pub mod dirty;
pub mod encode;
pub mod error;
pub mod format;
pub mod geometry;
pub mod streams;
pub mod model;
pub mod moves;
pub mod scroll;
pub mod napi;
pub mod rangecoder;
pub mod tilecode;
pub mod x11;
