//! The JavaScript class `X11Desktop` over Node-API (see native/index.d.ts). Same rules as the codec's
//! binding: errors become `Error`s with stable E_X11_… codes, panics are caught at the boundary, the frame
//! argument of `grab` is borrowed (written in place, never copied), returned Buffers are fresh copies.
use super::desktop::{Desktop, Target};
use super::error::{fail, Result, X11Error, X11ErrorCode};
use super::frame::SharedMemory;
use super::region::Area;
use std::sync::Arc;
use crate::binding::{boolean, boundary, buffer, bytes_mut, int32_array, call_info, define, getter, integer, is_nullish, method, number, ok, option, options_object, require_new, type_of, Callback, Thrown};
use crate::napi::*;
use std::os::raw::{c_char, c_void};
use std::panic::catch_unwind;
use std::ptr::null_mut;

macro_rules! cstr {
    ($s:literal) => {
        concat!($s, "\0").as_ptr() as *const c_char
    };
}

impl Thrown for X11Error {
    fn code(&self) -> &'static str {
        self.code.as_str()
    }
    fn message(&self) -> &str {
        &self.message
    }
    fn internal(message: String) -> Self {
        X11Error::new(X11ErrorCode::Internal, message)
    }
}

/// Random, fixed: identifies objects that wrap a Desktop.
static TAG: napi_type_tag = napi_type_tag { lower: 0x5d1f_0a8e_6b2c_4471, upper: 0x9e3c_27d4_b81a_f605 };

/// What the JS object owns; `None` after close().
type Slot = Option<Desktop>;

unsafe fn slot<'a>(env: napi_env, this: napi_value) -> Result<&'a mut Slot> {
    let mut tagged = false;
    ok(napi_check_object_type_tag(env, this, &TAG, &mut tagged))?;
    let mut p: *mut c_void = null_mut();
    if !tagged || napi_unwrap(env, this, &mut p) != NAPI_OK || p.is_null() {
        return fail(X11ErrorCode::Argument, "method called on an object that is not an X11Desktop");
    }
    Ok(&mut *(p as *mut Slot))
}

unsafe fn desktop<'a>(env: napi_env, this: napi_value) -> Result<&'a mut Desktop> {
    match slot(env, this)? {
        Some(d) => Ok(d),
        None => fail(X11ErrorCode::Closed, "this X11Desktop is closed"),
    }
}

unsafe extern "C" fn finalize(_env: napi_env, data: *mut c_void, _hint: *mut c_void) {
    let _ = catch_unwind(|| drop(Box::from_raw(data as *mut Slot)));
}

unsafe fn string_arg(env: napi_env, v: Option<napi_value>, name: &str, max: usize) -> Result<String> {
    let bad = || X11Error::new(X11ErrorCode::Argument, format!("{name} must be a string of at most {max} bytes"));
    let v = v.ok_or_else(bad)?;
    if type_of(env, v)? != NAPI_STRING {
        return Err(bad());
    }
    let mut len = 0usize;
    ok(napi_get_value_string_utf8(env, v, null_mut(), 0, &mut len))?;
    if len > max {
        return Err(bad());
    }
    let mut buf = vec![0u8; len + 1];
    ok(napi_get_value_string_utf8(env, v, buf.as_mut_ptr() as *mut c_char, len + 1, &mut len))?;
    buf.truncate(len);
    String::from_utf8(buf).map_err(|_| bad())
}

unsafe fn string(env: napi_env, s: &str) -> Result<napi_value> {
    let mut out = null_mut();
    ok(napi_create_string_utf8(env, s.as_ptr() as *const c_char, s.len(), &mut out))?;
    Ok(out)
}

unsafe fn flag(env: napi_env, b: bool) -> Result<napi_value> {
    let mut out = null_mut();
    ok(napi_get_boolean(env, b, &mut out))?;
    Ok(out)
}

unsafe fn null(env: napi_env) -> Result<napi_value> {
    let mut out = null_mut();
    ok(napi_get_null(env, &mut out))?;
    Ok(out)
}

/// Builds a plain object from (name, value) pairs.
unsafe fn object(env: napi_env, fields: &[(*const c_char, napi_value)]) -> Result<napi_value> {
    let mut obj = null_mut();
    ok(napi_create_object(env, &mut obj))?;
    for &(k, v) in fields {
        ok(napi_set_named_property(env, obj, k, v))?;
    }
    Ok(obj)
}

unsafe fn array(env: napi_env, items: Vec<napi_value>) -> Result<napi_value> {
    let mut arr = null_mut();
    ok(napi_create_array_with_length(env, items.len(), &mut arr))?;
    for (i, v) in items.into_iter().enumerate() {
        ok(napi_set_element(env, arr, i as u32, v))?;
    }
    Ok(arr)
}

unsafe fn area_fields(env: napi_env, a: &super::region::Area) -> Result<[(*const c_char, napi_value); 4]> {
    Ok([
        (cstr!("x"), number(env, a.x as f64)?),
        (cstr!("y"), number(env, a.y as f64)?),
        (cstr!("width"), number(env, a.w as f64)?),
        (cstr!("height"), number(env, a.h as f64)?),
    ])
}

unsafe extern "C" fn desktop_new(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || -> Result<napi_value> {
        require_new(env, info, "X11Desktop")?;
        let c = call_info(env, info)?;
        let name = if is_nullish(env, c.arg(0))? { None } else { Some(string_arg(env, c.arg(0), "display", 256)?) };
        let d = Desktop::open(name.as_deref())?;
        let raw = Box::into_raw(Box::new(Some(d) as Slot)) as *mut c_void;
        if let Err(e) = ok(napi_wrap(env, c.this, raw, Some(finalize), null_mut(), null_mut())) {
            drop(Box::from_raw(raw as *mut Slot));
            return Err(e.into());
        }
        ok(napi_type_tag_object(env, c.this, &TAG))?;
        Ok(c.this)
    })
}

unsafe extern "C" fn desktop_monitors(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || -> Result<napi_value> {
        let c = call_info(env, info)?;
        let list = desktop(env, c.this)?.monitors()?;
        let mut items = Vec::new();
        for (i, m) in list.iter().enumerate() {
            let [x, y, w, h] = area_fields(env, &m.area)?;
            items.push(object(env, &[(cstr!("index"), number(env, i as f64)?), (cstr!("name"), string(env, &m.name)?), (cstr!("primary"), flag(env, m.primary)?), x, y, w, h])?);
        }
        array(env, items)
    })
}

unsafe extern "C" fn desktop_windows(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || -> Result<napi_value> {
        let c = call_info(env, info)?;
        let list = desktop(env, c.this)?.windows()?;
        let mut items = Vec::new();
        for w in &list {
            let [x, y, wd, h] = area_fields(env, &w.area)?;
            items.push(object(env, &[(cstr!("id"), number(env, w.id as f64)?), (cstr!("name"), string(env, &w.name)?), x, y, wd, h])?);
        }
        array(env, items)
    })
}

unsafe extern "C" fn desktop_share(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || -> Result<napi_value> {
        let c = call_info(env, info)?;
        let mut target = Target::Screen;
        if let Some(o) = options_object(env, c.arg(0), "share target")? {
            let monitor = option(env, o, cstr!("monitor"))?;
            let window = option(env, o, cstr!("window"))?;
            if monitor.is_some() && window.is_some() {
                return fail(X11ErrorCode::Argument, "share either a monitor or a window, not both");
            }
            if let Some(m) = monitor {
                target = Target::Monitor(integer(env, Some(m), "monitor", 0.0, 255.0)? as usize);
            }
            if let Some(w) = window {
                target = Target::Window(integer(env, Some(w), "window", 1.0, u32::MAX as f64)? as u64);
            }
        }
        let a = desktop(env, c.this)?.share(target)?;
        object(env, &area_fields(env, &a)?)
    })
}

unsafe extern "C" fn desktop_poll(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || -> Result<napi_value> {
        let c = call_info(env, info)?;
        let d = desktop(env, c.this)?;
        let ch = d.poll()?;
        let clip = match &ch.clipboard {
            Some(t) => string(env, t)?,
            None => null(env)?,
        };
        object(
            env,
            &[
                (cstr!("damaged"), flag(env, ch.damaged)?),
                (cstr!("moved"), flag(env, ch.moved)?),
                (cstr!("gone"), flag(env, ch.gone)?),
                (cstr!("cursor"), flag(env, ch.cursor)?),
                (cstr!("clipboard"), clip),
                (cstr!("width"), number(env, d.area.w as f64)?),
                (cstr!("height"), number(env, d.area.h as f64)?),
            ],
        )
    })
}

unsafe extern "C" fn release_memory(_env: napi_env, _data: *mut c_void, hint: *mut c_void) {
    let _ = catch_unwind(|| drop(Box::from_raw(hint as *mut Arc<SharedMemory>)));
}

unsafe extern "C" fn desktop_frame(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || -> Result<napi_value> {
        let c = call_info(env, info)?;
        let d = desktop(env, c.this)?;
        let len = d.area.w as usize * d.area.h as usize * 4;
        let Some(mem) = d.frame_memory()? else {
            return Ok(buffer(env, &vec![0u8; len])?);
        };
        // The Buffer keeps the segment mapped (an Arc in the finalizer's hint) even after close() or a resize.
        let hint = Box::into_raw(Box::new(mem.clone())) as *mut c_void;
        let mut out = null_mut();
        if let Err(e) = ok(napi_create_external_buffer(env, mem.len(), mem.ptr() as *mut c_void, Some(release_memory), hint, &mut out)) {
            drop(Box::from_raw(hint as *mut Arc<SharedMemory>));
            return Err(e.into());
        }
        Ok(out)
    })
}

/// The Int32Array `v` that `grab` reports the rectangles it wrote in (checked before anything is grabbed).
unsafe fn quads<'a>(env: napi_env, v: napi_value) -> Result<&'a mut [i32]> {
    let q = int32_array(env, v)?.filter(|q| q.len() >= 4);
    q.ok_or_else(|| X11Error::new(X11ErrorCode::Argument, "changed must be an Int32Array with room for at least one x, y, width, height quad"))
}

/// Writes `rects` as x, y, width, height quads into `out`; when more than fit, their bounding box instead
/// (still every pixel written). Returns how many quads it wrote.
fn write_rects(out: &mut [i32], rects: &[Area]) -> usize {
    let len = out.len();
    let bbox;
    let list = if rects.len() * 4 > len {
        bbox = [rects.iter().skip(1).fold(rects[0], |b, r| b.union(r))];
        &bbox[..]
    } else {
        rects
    };
    for (q, r) in out.chunks_exact_mut(4).zip(list) {
        q.copy_from_slice(&[r.x, r.y, r.w, r.h]);
    }
    list.len()
}

unsafe extern "C" fn desktop_grab(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || -> Result<napi_value> {
        let c = call_info(env, info)?;
        let d = desktop(env, c.this)?;
        let frame = bytes_mut(env, c.arg(0), "frame")?;
        let full = if is_nullish(env, c.arg(1))? { false } else { boolean(env, c.arg(1).expect("checked"), "full")? };
        let changed = if is_nullish(env, c.arg(2))? { None } else { Some(quads(env, c.arg(2).expect("checked"))?) };
        let written = d.grab(frame, full)?;
        let n = match changed {
            Some(out) => write_rects(out, &written),
            None => written.len(),
        };
        Ok(number(env, n as f64)?)
    })
}

unsafe extern "C" fn desktop_watch(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || -> Result<napi_value> {
        let c = call_info(env, info)?;
        let d = desktop(env, c.this)?;
        let f = c.arg(0).filter(|&f| type_of(env, f).ok() == Some(NAPI_FUNCTION));
        let Some(f) = f else { return fail(X11ErrorCode::Argument, "watch needs a function") };
        d.watch(env, f)?;
        null(env)
    })
}

unsafe extern "C" fn desktop_unwatch(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || -> Result<napi_value> {
        let c = call_info(env, info)?;
        if let Some(d) = slot(env, c.this)? {
            d.unwatch();
        }
        null(env)
    })
}

unsafe extern "C" fn desktop_queued(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || -> Result<napi_value> {
        let c = call_info(env, info)?;
        flag(env, desktop(env, c.this)?.queued()?)
    })
}

unsafe extern "C" fn desktop_pointer(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || -> Result<napi_value> {
        let c = call_info(env, info)?;
        let (x, y, visible) = desktop(env, c.this)?.pointer()?;
        object(env, &[(cstr!("x"), number(env, x as f64)?), (cstr!("y"), number(env, y as f64)?), (cstr!("visible"), flag(env, visible)?)])
    })
}

unsafe extern "C" fn desktop_cursor_shape(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || -> Result<napi_value> {
        let c = call_info(env, info)?;
        let Some(s) = desktop(env, c.this)?.cursor_shape()? else { return null(env) };
        object(
            env,
            &[
                (cstr!("serial"), number(env, s.serial as f64)?),
                (cstr!("width"), number(env, s.width as f64)?),
                (cstr!("height"), number(env, s.height as f64)?),
                (cstr!("hotX"), number(env, s.hot_x as f64)?),
                (cstr!("hotY"), number(env, s.hot_y as f64)?),
                (cstr!("pixels"), buffer(env, &s.pixels)?),
            ],
        )
    })
}

unsafe fn coordinate(env: napi_env, v: Option<napi_value>, name: &str) -> Result<i32> {
    Ok(integer(env, v, name, -1_000_000.0, 1_000_000.0)? as i32)
}

unsafe fn down_arg(env: napi_env, v: Option<napi_value>) -> Result<bool> {
    match v {
        Some(v) => Ok(boolean(env, v, "down")?),
        None => fail(X11ErrorCode::Argument, "down must be a boolean"),
    }
}

unsafe extern "C" fn desktop_move(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || -> Result<napi_value> {
        let c = call_info(env, info)?;
        let (x, y) = (coordinate(env, c.arg(0), "x")?, coordinate(env, c.arg(1), "y")?);
        desktop(env, c.this)?.motion(x, y)?;
        null(env)
    })
}

unsafe extern "C" fn desktop_button(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || -> Result<napi_value> {
        let c = call_info(env, info)?;
        let b = integer(env, c.arg(0), "button", 0.0, 255.0)? as u32;
        let down = down_arg(env, c.arg(1))?;
        desktop(env, c.this)?.button(b, down)?;
        null(env)
    })
}

unsafe extern "C" fn desktop_wheel(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || -> Result<napi_value> {
        let c = call_info(env, info)?;
        let dx = integer(env, c.arg(0), "dx", -32768.0, 32767.0)? as i32;
        let dy = integer(env, c.arg(1), "dy", -32768.0, 32767.0)? as i32;
        desktop(env, c.this)?.wheel(dx, dy)?;
        null(env)
    })
}

unsafe extern "C" fn desktop_key(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || -> Result<napi_value> {
        let c = call_info(env, info)?;
        let ks = integer(env, c.arg(0), "keysym", 0.0, u32::MAX as f64)? as u64;
        let down = down_arg(env, c.arg(1))?;
        desktop(env, c.this)?.key(ks, down)?;
        null(env)
    })
}

unsafe extern "C" fn desktop_release_all(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || -> Result<napi_value> {
        let c = call_info(env, info)?;
        // Safe to call on a closed desktop: closing released everything already.
        if let Some(d) = slot(env, c.this)? {
            d.release_all()?;
        }
        null(env)
    })
}

unsafe extern "C" fn desktop_set_clipboard(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || -> Result<napi_value> {
        let c = call_info(env, info)?;
        let text = string_arg(env, c.arg(0), "text", super::clipboard::MAX_CLIPBOARD_BYTES)?;
        desktop(env, c.this)?.set_clipboard(&text)?;
        null(env)
    })
}

unsafe extern "C" fn desktop_close(env: napi_env, info: napi_callback_info) -> napi_value {
    boundary(env, || -> Result<napi_value> {
        let c = call_info(env, info)?;
        // Dropping the Desktop releases held keys, gives keycodes back and closes the connection; twice is fine.
        slot(env, c.this)?.take();
        null(env)
    })
}

unsafe fn area_getter(env: napi_env, info: napi_callback_info, pick: fn(&super::region::Area) -> i32) -> napi_value {
    boundary(env, || -> Result<napi_value> {
        let c = call_info(env, info)?;
        Ok(number(env, pick(&desktop(env, c.this)?.area) as f64)?)
    })
}

unsafe extern "C" fn desktop_width(env: napi_env, info: napi_callback_info) -> napi_value {
    area_getter(env, info, |a| a.w)
}

unsafe extern "C" fn desktop_height(env: napi_env, info: napi_callback_info) -> napi_value {
    area_getter(env, info, |a| a.h)
}

pub(crate) unsafe fn define_desktop(env: napi_env, exports: napi_value) -> Result<()> {
    let methods: [(*const c_char, Callback); 18] = [
        (cstr!("watch"), desktop_watch),
        (cstr!("unwatch"), desktop_unwatch),
        (cstr!("queued"), desktop_queued),
        (cstr!("frame"), desktop_frame),
        (cstr!("monitors"), desktop_monitors),
        (cstr!("windows"), desktop_windows),
        (cstr!("share"), desktop_share),
        (cstr!("poll"), desktop_poll),
        (cstr!("grab"), desktop_grab),
        (cstr!("pointer"), desktop_pointer),
        (cstr!("cursorShape"), desktop_cursor_shape),
        (cstr!("move"), desktop_move),
        (cstr!("button"), desktop_button),
        (cstr!("wheel"), desktop_wheel),
        (cstr!("key"), desktop_key),
        (cstr!("releaseAll"), desktop_release_all),
        (cstr!("setClipboard"), desktop_set_clipboard),
        (cstr!("close"), desktop_close),
    ];
    let mut props: Vec<napi_property_descriptor> = methods.iter().map(|&(n, f)| method(n, f)).collect();
    props.push(getter(cstr!("width"), desktop_width));
    props.push(getter(cstr!("height"), desktop_height));
    Ok(define(env, exports, cstr!("X11Desktop"), desktop_new, &props)?)
}
