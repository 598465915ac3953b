//! Linux X11 desktop sharing: capture (MIT-SHM of XDamage regions), cursor (XFixes), monitors (XRandR),
//! input (XTest) and clipboard (selections). One concept per module; `binding` is the JS class.
pub mod binding;
pub mod capture;
pub mod clipboard;
pub mod cursor;
pub mod damage;
pub mod desktop;
pub mod display;
pub mod error;
pub mod ffi;
pub mod focus;
pub mod frame;
pub mod input;
pub mod monitors;
pub mod region;
pub mod window;
