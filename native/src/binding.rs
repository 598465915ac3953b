//! JavaScript classes `Encoder` and `Decoder` over Node-API. Every callback runs inside
//! `boundary`, which turns `CodecError` into a thrown `Error` with a stable `code` and catches
//! panics so they never unwind into V8 (that would abort the process).
//!
//! Memory: arguments (frames, packets) are borrowed for the duration of the call only: JS cannot
//! run while we hold the pointer, and copying an 8 MB frame would cost more than encoding an
//! unchanged one. Returned Buffers are always fresh copies, because the encoder and decoder keep
//! mutating their internal state and a view on it would change under the caller.
use crate::decode::Decoder;
use crate::encode::{Encoder, EncoderOptions};
use crate::error::{err, CodecError, ErrorCode, Result};
use crate::format::VERSION;
use crate::geometry::{Geometry, Rect, MAX_DIM};
use crate::napi::*;
use std::ffi::CString;
use std::os::raw::{c_char, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::null_mut;

macro_rules! cstr {
    ($s:literal) => {
        concat!($s, "\0").as_ptr() as *const c_char
    };
}

pub(crate) fn ok(status: napi_status) -> Result<()> {
    if status == NAPI_OK {
        Ok(())
    } else {
        err(ErrorCode::Internal, format!("Node-API call failed with status {status}"))
    }
}

/// An error that crosses into JS as an `Error` with a stable `code` (each native class has its own codes).
pub(crate) trait Thrown {
    fn code(&self) -> &'static str;
    fn message(&self) -> &str;
    /// What a caught panic becomes.
    fn internal(message: String) -> Self;
}

impl Thrown for CodecError {
    fn code(&self) -> &'static str {
        self.code.as_str()
    }
    fn message(&self) -> &str {
        &self.message
    }
    fn internal(message: String) -> Self {
        CodecError::new(ErrorCode::Internal, message)
    }
}

unsafe fn throw<E: Thrown>(env: napi_env, e: &E) {
    let mut pending = false;
    napi_is_exception_pending(env, &mut pending);
    if pending {
        return;
    }
    let code = CString::new(e.code()).unwrap_or_default();
    let msg = CString::new(e.message().replace('\0', " ")).unwrap_or_default();
    napi_throw_error(env, code.as_ptr(), msg.as_ptr());
}

/// Runs a callback body; errors become JS exceptions, panics become the error type's internal code.
pub(crate) unsafe fn boundary<E: Thrown>(env: napi_env, f: impl FnOnce() -> std::result::Result<napi_value, E>) -> napi_value {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            throw(env, &e);
            null_mut()
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            throw(env, &E::internal(format!("internal error: {what}")));
            null_mut()
        }
    }
}

pub(crate) struct Call {
    pub this: napi_value,
    args: [napi_value; 3],
    argc: usize,
}

impl Call {
    pub fn arg(&self, i: usize) -> Option<napi_value> {
        if i < self.argc.min(3) {
            Some(self.args[i])
        } else {
            None
        }
    }
}

pub(crate) unsafe fn call_info(env: napi_env, info: napi_callback_info) -> Result<Call> {
    let mut c = Call { this: null_mut(), args: [null_mut(); 3], argc: 3 };
    ok(napi_get_cb_info(env, info, &mut c.argc, c.args.as_mut_ptr(), &mut c.this, null_mut()))?;
    Ok(c)
}

pub(crate) unsafe fn type_of(env: napi_env, v: napi_value) -> Result<i32> {
    let mut t = 0;
    ok(napi_typeof(env, v, &mut t))?;
    Ok(t)
}

pub(crate) unsafe fn is_nullish(env: napi_env, v: Option<napi_value>) -> Result<bool> {
    match v {
        None => Ok(true),
        Some(v) => {
            let t = type_of(env, v)?;
            Ok(t == NAPI_UNDEFINED || t == NAPI_NULL)
        }
    }
}

pub(crate) unsafe fn integer(env: napi_env, v: Option<napi_value>, name: &str, min: f64, max: f64) -> Result<f64> {
    let bad = || CodecError::new(ErrorCode::Argument, format!("{name} must be an integer in {min}..={max}"));
    let v = v.ok_or_else(bad)?;
    if type_of(env, v)? != NAPI_NUMBER {
        return Err(bad());
    }
    let mut d = 0.0;
    ok(napi_get_value_double(env, v, &mut d))?;
    if d.fract() != 0.0 || !(min..=max).contains(&d) {
        return Err(bad());
    }
    Ok(d)
}

pub(crate) unsafe fn boolean(env: napi_env, v: napi_value, name: &str) -> Result<bool> {
    if type_of(env, v)? != NAPI_BOOLEAN {
        return err(ErrorCode::Argument, format!("{name} must be a boolean"));
    }
    let mut b = false;
    ok(napi_get_value_bool(env, v, &mut b))?;
    Ok(b)
}

/// Reads `obj[name]` when `obj` is an object; None when the property is undefined.
pub(crate) unsafe fn option(env: napi_env, obj: napi_value, name: *const c_char) -> Result<Option<napi_value>> {
    let mut v = null_mut();
    ok(napi_get_named_property(env, obj, name, &mut v))?;
    Ok(if type_of(env, v)? == NAPI_UNDEFINED { None } else { Some(v) })
}

pub(crate) unsafe fn options_object(env: napi_env, v: Option<napi_value>, what: &str) -> Result<Option<napi_value>> {
    if is_nullish(env, v)? {
        return Ok(None);
    }
    let v = v.expect("checked above");
    if type_of(env, v)? != NAPI_OBJECT {
        return err(ErrorCode::Argument, format!("{what} must be an object"));
    }
    Ok(Some(v))
}

/// Borrows the bytes of a Buffer or Uint8Array argument (valid until the callback returns).
unsafe fn bytes<'a>(env: napi_env, v: Option<napi_value>, name: &str) -> Result<&'a [u8]> {
    Ok(bytes_mut(env, v, name)?)
}

/// Borrows a Buffer or Uint8Array argument for writing (valid until the callback returns; JS cannot run then).
pub(crate) unsafe fn bytes_mut<'a>(env: napi_env, v: Option<napi_value>, name: &str) -> Result<&'a mut [u8]> {
    let bad = || CodecError::new(ErrorCode::Argument, format!("{name} must be a Buffer or Uint8Array"));
    let v = v.ok_or_else(bad)?;
    let mut is = false;
    ok(napi_is_buffer(env, v, &mut is))?;
    let mut data: *mut c_void = null_mut();
    let mut len = 0usize;
    if is {
        ok(napi_get_buffer_info(env, v, &mut data, &mut len))?;
    } else {
        ok(napi_is_typedarray(env, v, &mut is))?;
        if !is {
            return Err(bad());
        }
        let mut kind = 0;
        let mut ab = null_mut();
        let mut off = 0usize;
        ok(napi_get_typedarray_info(env, v, &mut kind, &mut len, &mut data, &mut ab, &mut off))?;
        if kind != NAPI_UINT8_ARRAY && kind != NAPI_UINT8_CLAMPED_ARRAY {
            return Err(bad());
        }
    }
    if len == 0 || data.is_null() {
        return Ok(&mut []);
    }
    Ok(std::slice::from_raw_parts_mut(data as *mut u8, len))
}

/// Copies `data` into a new Buffer.
pub(crate) unsafe fn buffer(env: napi_env, data: &[u8]) -> Result<napi_value> {
    let mut out = null_mut();
    let mut ptr: *mut c_void = null_mut();
    ok(napi_create_buffer(env, data.len(), &mut ptr, &mut out))?;
    if !data.is_empty() {
        std::ptr::copy_nonoverlapping(data.as_ptr(), ptr as *mut u8, data.len());
    }
    Ok(out)
}

pub(crate) unsafe fn number(env: napi_env, v: f64) -> Result<napi_value> {
    let mut out = null_mut();
    ok(napi_create_double(env, v, &mut out))?;
    Ok(out)
}

pub(crate) unsafe fn require_new(env: napi_env, info: napi_callback_info, class: &str) -> Result<()> {
    let mut target = null_mut();
    ok(napi_get_new_target(env, info, &mut target))?;
    if target.is_null() {
        return err(ErrorCode::Argument, format!("{class} must be called with new"));
    }
    Ok(())
}

/// What a JS object wraps. One enum for both classes, so a method borrowed onto the other class
/// (`Encoder.prototype.encode.call(decoder)`) is a typed error instead of a type confusion.
enum Instance {
    Encoder(Encoder),
    Decoder(Decoder),
}

unsafe fn instance<'a>(env: napi_env, this: napi_value) -> Result<&'a mut Instance> {
    let mut p: *mut c_void = null_mut();
    if napi_unwrap(env, this, &mut p) != NAPI_OK || p.is_null() {
        return err(ErrorCode::Argument, "method called on an object that is not a codec instance");
    }
    Ok(&mut *(p as *mut Instance))
}

unsafe fn encoder<'a>(env: napi_env, this: napi_value) -> Result<&'a mut Encoder> {
    match instance(env, this)? {
        Instance::Encoder(e) => Ok(e),
        Instance::Decoder(_) => err(ErrorCode::Argument, "Encoder method called on a Decoder"),
    }
}

unsafe fn decoder<'a>(env: napi_env, this: napi_value) -> Result<&'a mut Decoder> {
    match instance(env, this)? {
        Instance::Decoder(d) => Ok(d),
        Instance::Encoder(_) => err(ErrorCode::Argument, "Decoder method called on an Encoder"),
    }
}

unsafe fn wrap(env: napi_env, this: napi_value, value: Instance, bytes: usize) -> Result<napi_value> {
    let raw = Box::into_raw(Box::new(value)) as *mut c_void;
    if let Err(e) = ok(napi_wrap(env, this, raw, Some(finalize), bytes as *mut c_void, null_mut())) {
        drop(Box::from_raw(raw as *mut Instance));
        return Err(e);
    }
    // Tell V8 about the framebuffer so it schedules GC of dropped instances promptly.
    let mut adjusted = 0i64;
    napi_adjust_external_memory(env, bytes as i64, &mut adjusted);
    Ok(this)
}

unsafe extern "C" fn finalize(env: napi_env, data: *mut c_void, hint: *mut c_void) {
    let _ = catch_unwind(|| drop(Box::from_raw(data as *mut Instance)));
    let mut adjusted = 0i64;
    napi_adjust_external_memory(env, -(hint as usize as i64), &mut adjusted);
}

unsafe fn dims(env: napi_env, c: &Call) -> Result<(usize, usize)> {
    let w = integer(env, c.arg(0), "width", 1.0, MAX_DIM as f64)? as usize;
    let h = integer(env, c.arg(1), "height", 1.0, MAX_DIM as f64)? as usize;
    Ok((w, h))
}

unsafe extern "C" fn encoder_new(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || {
        require_new(env, info, "Encoder")?;
        let c = call_info(env, info)?;
        let (w, h) = dims(env, &c)?;
        let mut opts = EncoderOptions::default();
        if let Some(o) = options_object(env, c.arg(2), "options")? {
            if let Some(v) = option(env, o, cstr!("keyframeInterval"))? {
                opts.keyframe_interval = integer(env, Some(v), "options.keyframeInterval", 0.0, u32::MAX as f64)? as u32;
            }
            if let Some(v) = option(env, o, cstr!("threads"))? {
                opts.threads = integer(env, Some(v), "options.threads", 1.0, 64.0)? as usize;
            }
            if let Some(v) = option(env, o, cstr!("motion"))? {
                opts.motion = boolean(env, v, "options.motion")?;
            }
            if let Some(v) = option(env, o, cstr!("opaque"))? {
                opts.opaque = boolean(env, v, "options.opaque")?;
            }
        }
        let enc = Encoder::new(w, h, opts)?;
        wrap(env, c.this, Instance::Encoder(enc), w * h * 4)
    })
}

unsafe extern "C" fn encoder_encode(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || {
        let c = call_info(env, info)?;
        let enc = encoder(env, c.this)?;
        let frame = bytes(env, c.arg(0), "frame")?;
        let mut key = false;
        let mut changed: Option<Vec<Rect>> = None;
        if let Some(o) = options_object(env, c.arg(1), "encode options")? {
            if let Some(v) = option(env, o, cstr!("keyframe"))? {
                key = boolean(env, v, "keyframe")?;
            }
            if let Some(v) = option(env, o, cstr!("changed"))? {
                if !is_nullish(env, Some(v))? {
                    let count = match option(env, o, cstr!("changedCount"))? {
                        Some(n) => Some(integer(env, Some(n), "changedCount", 0.0, (u32::MAX / 4) as f64)? as usize),
                        None => None,
                    };
                    changed = Some(rect_list(env, v, count)?);
                }
            }
        }
        let packet = enc.encode(frame, key, changed.as_deref())?;
        buffer(env, &packet)
    })
}

/// Borrows an Int32Array argument (valid until the callback returns); None when `v` is anything else.
pub(crate) unsafe fn int32_array<'a>(env: napi_env, v: napi_value) -> Result<Option<&'a mut [i32]>> {
    let mut is = false;
    ok(napi_is_typedarray(env, v, &mut is))?;
    if !is {
        return Ok(None);
    }
    let (mut kind, mut len, mut data, mut ab, mut off) = (0, 0usize, null_mut(), null_mut(), 0usize);
    ok(napi_get_typedarray_info(env, v, &mut kind, &mut len, &mut data, &mut ab, &mut off))?;
    if kind != NAPI_INT32_ARRAY {
        return Ok(None);
    }
    Ok(Some(if len == 0 || data.is_null() { &mut [] } else { std::slice::from_raw_parts_mut(data as *mut i32, len) }))
}

/// `changed`: an Int32Array of x, y, width, height quads (the first `count` of them when given).
unsafe fn rect_list(env: napi_env, v: napi_value, count: Option<usize>) -> Result<Vec<Rect>> {
    let bad = || CodecError::new(ErrorCode::Argument, "changed must be an Int32Array of x, y, width, height quads");
    let q = int32_array(env, v)?.filter(|q| q.len() % 4 == 0).ok_or_else(bad)?;
    let n = count.unwrap_or(q.len() / 4);
    if n > q.len() / 4 {
        return err(ErrorCode::Argument, format!("changedCount {n} exceeds the {} quads in changed", q.len() / 4));
    }
    let mut out = Vec::with_capacity(n);
    for r in q[..n * 4].chunks_exact(4) {
        if r.iter().any(|&v| v < 0) {
            return err(ErrorCode::Argument, "changed rectangles need non-negative x, y, width and height");
        }
        out.push(Rect { x: r[0] as usize, y: r[1] as usize, w: r[2] as usize, h: r[3] as usize });
    }
    Ok(out)
}

/// `width` and `height` of either class: both carry their frame geometry.
unsafe fn dimension(env: napi_env, info: napi_callback_info, pick: fn(&Geometry) -> usize) -> napi_value {
    boundary(env, || {
        let c = call_info(env, info)?;
        let geo = match instance(env, c.this)? {
            Instance::Encoder(e) => &e.geo,
            Instance::Decoder(d) => &d.geo,
        };
        number(env, pick(geo) as f64)
    })
}

unsafe extern "C" fn width(env: napi_env, info: napi_callback_info) -> napi_value {
    dimension(env, info, |g| g.width)
}

unsafe extern "C" fn height(env: napi_env, info: napi_callback_info) -> napi_value {
    dimension(env, info, |g| g.height)
}

unsafe extern "C" fn decoder_new(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || {
        require_new(env, info, "Decoder")?;
        let c = call_info(env, info)?;
        let (w, h) = dims(env, &c)?;
        let dec = Decoder::new(w, h)?;
        wrap(env, c.this, Instance::Decoder(dec), w * h * 4)
    })
}

unsafe fn rects_result(env: napi_env, rects: &[Rect]) -> Result<napi_value> {
    let mut arr = null_mut();
    ok(napi_create_array_with_length(env, rects.len(), &mut arr))?;
    for (i, r) in rects.iter().enumerate() {
        let mut item = null_mut();
        ok(napi_create_array_with_length(env, 4, &mut item))?;
        for (j, v) in [r.x, r.y, r.w, r.h].into_iter().enumerate() {
            let mut n = null_mut();
            ok(napi_create_uint32(env, v as u32, &mut n))?;
            ok(napi_set_element(env, item, j as u32, n))?;
        }
        ok(napi_set_element(env, arr, i as u32, item))?;
    }
    let mut obj = null_mut();
    ok(napi_create_object(env, &mut obj))?;
    ok(napi_set_named_property(env, obj, cstr!("rects"), arr))?;
    Ok(obj)
}

unsafe extern "C" fn decoder_decode(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || {
        let c = call_info(env, info)?;
        let dec = decoder(env, c.this)?;
        let packet = bytes(env, c.arg(0), "packet")?;
        let rects = dec.decode(packet)?;
        rects_result(env, &rects)
    })
}

unsafe extern "C" fn decoder_frame(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || {
        let c = call_info(env, info)?;
        let dec = decoder(env, c.this)?;
        buffer(env, dec.frame())
    })
}

unsafe extern "C" fn decoder_keyframe(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || {
        let c = call_info(env, info)?;
        let dec = decoder(env, c.this)?;
        buffer(env, &dec.keyframe(2))
    })
}

unsafe extern "C" fn decoder_delta_since(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || {
        let c = call_info(env, info)?;
        let dec = decoder(env, c.this)?;
        let g = integer(env, c.arg(0), "generation", 0.0, 9_007_199_254_740_991.0)? as u64;
        buffer(env, &dec.delta_since(g, 2)?)
    })
}

unsafe extern "C" fn decoder_generation(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || {
        let c = call_info(env, info)?;
        let dec = decoder(env, c.this)?;
        number(env, dec.generation as f64)
    })
}

pub(crate) type Callback = unsafe extern "C" fn(napi_env, napi_callback_info) -> napi_value;

pub(crate) fn method(name: *const c_char, f: Callback) -> napi_property_descriptor {
    napi_property_descriptor { utf8name: name, name: null_mut(), method: Some(f), getter: None, setter: None, value: null_mut(), attributes: NAPI_DEFAULT, data: null_mut() }
}

pub(crate) fn getter(name: *const c_char, f: Callback) -> napi_property_descriptor {
    napi_property_descriptor { utf8name: name, name: null_mut(), method: None, getter: Some(f), setter: None, value: null_mut(), attributes: NAPI_ENUMERABLE, data: null_mut() }
}

pub(crate) unsafe fn define(env: napi_env, exports: napi_value, name: *const c_char, ctor: Callback, props: &[napi_property_descriptor]) -> Result<()> {
    let mut class = null_mut();
    ok(napi_define_class(env, name, usize::MAX, Some(ctor), null_mut(), props.len(), props.as_ptr(), &mut class))?;
    ok(napi_set_named_property(env, exports, name, class))
}

/// Module entry point, found by name when Node loads the .node file.
#[no_mangle]
pub unsafe extern "C" fn napi_register_module_v1(env: napi_env, exports: napi_value) -> napi_value {
    boundary(env, || {
        define(
            env,
            exports,
            cstr!("Encoder"),
            encoder_new,
            &[method(cstr!("encode"), encoder_encode), getter(cstr!("width"), width), getter(cstr!("height"), height)],
        )?;
        define(
            env,
            exports,
            cstr!("Decoder"),
            decoder_new,
            &[
                method(cstr!("decode"), decoder_decode),
                method(cstr!("frame"), decoder_frame),
                method(cstr!("keyframe"), decoder_keyframe),
                method(cstr!("deltaSince"), decoder_delta_since),
                getter(cstr!("generation"), decoder_generation),
                getter(cstr!("width"), width),
                getter(cstr!("height"), height),
            ],
        )?;
        crate::x11::binding::define_desktop(env, exports).map_err(|e| CodecError::new(ErrorCode::Internal, e.message))?;
        let v = number(env, VERSION as f64)?;
        ok(napi_set_named_property(env, exports, cstr!("FORMAT_VERSION"), v))?;
        Ok::<_, CodecError>(exports)
    })
}
