//! Calls a JS function whenever a file descriptor becomes readable, through libuv's poll handle on Node's own
//! event loop (the libuv symbols come from the node binary, like the napi_* ones). This is how the agent waits
//! for the X connection instead of polling it on a timer: Node has no public API to watch a descriptor it does
//! not read itself, and Xlib must do the reading.
use crate::napi::*;
use std::os::raw::{c_int, c_void};
use std::ptr::null_mut;

/// `UV_POLL` in libuv's `uv_handle_type`; `UV_READABLE` in `uv_poll_event`.
const UV_POLL: c_int = 8;
const UV_READABLE: c_int = 1;

extern "C" {
    fn uv_handle_size(kind: c_int) -> usize;
    fn uv_poll_init(lp: *mut c_void, handle: *mut c_void, fd: c_int) -> c_int;
    fn uv_poll_start(handle: *mut c_void, events: c_int, cb: unsafe extern "C" fn(*mut c_void, c_int, c_int)) -> c_int;
    fn uv_poll_stop(handle: *mut c_void) -> c_int;
    fn uv_close(handle: *mut c_void, cb: unsafe extern "C" fn(*mut c_void));
}

/// What the poll callback needs; `uv_poll_t.data` (its first field, libuv's `UV_HANDLE_FIELDS`) points here.
struct Target {
    env: napi_env,
    callback: napi_ref,
}

pub struct FdWatch {
    /// libuv's `uv_poll_t`, sized at run time (`uv_handle_size`); freed in `on_close`.
    handle: *mut c_void,
}

unsafe extern "C" fn on_readable(handle: *mut c_void, status: c_int, _events: c_int) {
    let target = &*(*(handle as *mut *mut Target));
    let env = target.env;
    if status < 0 {
        // The descriptor failed (closed under us): stop rather than spin; the next call into X reports it.
        uv_poll_stop(handle);
    }
    let mut scope = null_mut();
    if napi_open_handle_scope(env, &mut scope) != NAPI_OK {
        return;
    }
    let (mut f, mut recv, mut result) = (null_mut(), null_mut(), null_mut());
    if napi_get_reference_value(env, target.callback, &mut f) == NAPI_OK && !f.is_null() && napi_get_global(env, &mut recv) == NAPI_OK {
        // make_callback (not call_function): it runs process.nextTick and promise jobs afterwards, as any
        // libuv-driven callback in Node does. Its receiver must be an object: the global one.
        if napi_make_callback(env, null_mut(), recv, f, 0, std::ptr::null(), &mut result) != NAPI_OK {
            let mut pending = false;
            if napi_is_exception_pending(env, &mut pending) == NAPI_OK && pending {
                let mut e = null_mut();
                napi_get_and_clear_last_exception(env, &mut e);
                napi_fatal_exception(env, e);
            }
        }
    }
    napi_close_handle_scope(env, scope);
}

unsafe extern "C" fn on_close(handle: *mut c_void) {
    let target = Box::from_raw(*(handle as *mut *mut Target));
    napi_delete_reference(target.env, target.callback);
    let size = uv_handle_size(UV_POLL);
    drop(Vec::from_raw_parts(handle as *mut u8, size, size));
}

impl FdWatch {
    /// Starts calling `callback` (a JS function) on the JS thread each time `fd` is readable.
    ///
    /// # Safety
    /// `env` must be the current environment and `callback` a function; `fd` must stay open until `stop`.
    pub unsafe fn start(env: napi_env, fd: c_int, callback: napi_value) -> std::result::Result<Self, &'static str> {
        let mut lp = null_mut();
        if napi_get_uv_event_loop(env, &mut lp) != NAPI_OK {
            return Err("no event loop");
        }
        let mut callback_ref = null_mut();
        if napi_create_reference(env, callback, 1, &mut callback_ref) != NAPI_OK {
            return Err("cannot keep the callback");
        }
        let size = uv_handle_size(UV_POLL);
        let mut mem = vec![0u8; size];
        let handle = mem.as_mut_ptr() as *mut c_void;
        std::mem::forget(mem);
        if uv_poll_init(lp, handle, fd) != 0 {
            napi_delete_reference(env, callback_ref);
            drop(Vec::from_raw_parts(handle as *mut u8, size, size));
            return Err("uv_poll_init failed");
        }
        *(handle as *mut *mut Target) = Box::into_raw(Box::new(Target { env, callback: callback_ref }));
        if uv_poll_start(handle, UV_READABLE, on_readable) != 0 {
            // The handle is initialised: it can only be freed through uv_close.
            uv_close(handle, on_close);
            return Err("uv_poll_start failed");
        }
        Ok(FdWatch { handle })
    }

    /// Stops watching; the handle and the callback reference are released once libuv has closed it.
    pub fn stop(self) {
        unsafe {
            uv_poll_stop(self.handle);
            uv_close(self.handle, on_close);
        }
    }
}
