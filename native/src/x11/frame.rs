//! The shared area's picture in MIT-SHM, made a shared-memory pixmap that the X server copies damage into
//! directly (`XCopyArea` from the root with IncludeInferiors, one request per rectangle, one `XSync` for all).
//! Before, each rectangle went through `XShmGetImage` into a scratch image (one round trip each) and then a
//! copy of ours into the frame that also set alpha: that copy was ~20 % of the agent's CPU on a scrolling
//! 1080p terminal (perf, docs/benchmarks.md). Now the same memory is the frame the encoder reads (JS holds it
//! as an external Buffer), so the only pass over the pixels in this process is the encoder's.
//!
//! The fourth byte of each pixel is what the server keeps there (X's depth-24 padding, not alpha), so the
//! agent's encoder runs `opaque` (packets carry alpha 0xFF).
use super::display::XDisplay;
use super::error::{fail, Result, X11ErrorCode};
use super::ffi::*;
use super::region::Area;
use std::os::raw::{c_char, c_int, c_uint, c_void};
use std::ptr::null_mut;
use std::sync::Arc;

/// A SysV segment mapped into this process; unmapped when the last owner (the desktop, or a JS Buffer that
/// outlives it) lets go.
pub struct SharedMemory {
    addr: *mut u8,
    len: usize,
}

// The memory is only touched from the JS thread (and by the X server, during requests we wait for).
unsafe impl Send for SharedMemory {}
unsafe impl Sync for SharedMemory {}

impl SharedMemory {
    /// A new segment of `len` bytes, mapped here and attached by the server (`XShmAttach`; detach it with
    /// `XShmDetach` while the display lives). Marked for removal once both have it, so the kernel frees it
    /// when both sides let go, even if we crash.
    pub fn attached(d: &XDisplay, len: usize) -> Result<(SharedMemory, XShmSegmentInfo)> {
        unsafe {
            let id = shmget(IPC_PRIVATE, len, IPC_CREAT | 0o600);
            if id < 0 {
                return fail(X11ErrorCode::Request, format!("shmget of {len} bytes failed"));
            }
            let addr = shmat(id, std::ptr::null(), 0);
            if addr as isize == -1 {
                shmctl(id, IPC_RMID, null_mut());
                return fail(X11ErrorCode::Request, "shmat failed");
            }
            let memory = SharedMemory { addr: addr as *mut u8, len };
            let mut info = XShmSegmentInfo { shmseg: 0, shmid: id, shmaddr: addr as *mut c_char, read_only: FALSE };
            d.clear_error();
            XShmAttach(d.dpy, &mut info);
            let refused = d.sync_error();
            shmctl(id, IPC_RMID, null_mut());
            if refused.is_some() {
                return fail(X11ErrorCode::Request, "the X server refused to attach the shared memory segment");
            }
            Ok((memory, info))
        }
    }

    pub fn ptr(&self) -> *mut u8 {
        self.addr
    }
    pub fn len(&self) -> usize {
        self.len
    }
}

impl Drop for SharedMemory {
    fn drop(&mut self) {
        unsafe { shmdt(self.addr as *const c_void) };
    }
}

pub struct ShmFrame {
    pub memory: Arc<SharedMemory>,
    info: XShmSegmentInfo,
    pixmap: Pixmap,
    gc: GC,
    pub area: (i32, i32),
}

/// Whether the server can put a pixmap in our shared memory (MIT-SHM 1.1+ with shared ZPixmaps: Xorg and
/// Xvfb both; a server on another host has no MIT-SHM at all).
pub fn supported(d: &XDisplay) -> bool {
    if !d.shm {
        return false;
    }
    let (mut major, mut minor, mut pixmaps) = (0, 0, FALSE);
    unsafe { XShmQueryVersion(d.dpy, &mut major, &mut minor, &mut pixmaps) != FALSE && pixmaps != FALSE && XShmPixmapFormat(d.dpy) == ZPIXMAP }
}

impl ShmFrame {
    /// A w×h frame (4 bytes a pixel: depth 24 and 32 both store 32 bits, so its stride is w*4, as the encoder's).
    pub fn new(d: &XDisplay, w: i32, h: i32) -> Result<Self> {
        let len = w as usize * h as usize * 4;
        unsafe {
            let (memory, mut info) = SharedMemory::attached(d, len)?;
            let memory = Arc::new(memory);
            let addr = memory.ptr();
            let pixmap = XShmCreatePixmap(d.dpy, d.root, addr as *mut c_char, &mut info, w as c_uint, h as c_uint, d.depth as c_uint);
            let gc = XCreateGC(d.dpy, pixmap, 0, null_mut());
            // The root's picture as shown, windows included; no GraphicsExpose/NoExpose event for every copy.
            XSetSubwindowMode(d.dpy, gc, INCLUDE_INFERIORS);
            XSetGraphicsExposures(d.dpy, gc, FALSE);
            let mut f = ShmFrame { memory, info, pixmap, gc, area: (w, h) };
            if d.sync_error().is_some() || gc.is_null() {
                f.release(d);
                return fail(X11ErrorCode::Request, "the X server refused a shared-memory pixmap");
            }
            Ok(f)
        }
    }

    /// Asks the server to copy root rectangle `r` (on the screen) to (dx, dy) of the frame. Takes effect by
    /// the next `finish`.
    pub fn copy(&self, d: &XDisplay, r: Area, dx: i32, dy: i32) {
        unsafe { XCopyArea(d.dpy, d.root, self.pixmap, self.gc, r.x as c_int, r.y as c_int, r.w as c_uint, r.h as c_uint, dx, dy) };
    }

    /// Waits until the server has done every copy asked for (one round trip for all of them).
    pub fn finish(&self, d: &XDisplay) -> Result<()> {
        if let Some(e) = d.sync_error() {
            return fail(X11ErrorCode::Request, format!("copying the screen into shared memory failed (X error {e})"));
        }
        Ok(())
    }

    /// Frees the server's side (pixmap, GC, attachment). The memory stays mapped while a Buffer holds it.
    pub fn release(&mut self, d: &XDisplay) {
        if d.alive().is_ok() {
            unsafe {
                if !self.gc.is_null() {
                    XFreeGC(d.dpy, self.gc);
                }
                if self.pixmap != NONE {
                    XFreePixmap(d.dpy, self.pixmap);
                }
                XShmDetach(d.dpy, &mut self.info);
            }
        }
        self.gc = null_mut();
        self.pixmap = NONE;
    }
}
