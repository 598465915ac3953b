//! One connection to an X server: opening it, the extensions we need, and X's error model made safe.
//!
//! Xlib's default handlers call exit() on a protocol error and on a lost connection. A Node process must
//! survive both, so protocol errors are recorded (checked after an XSync where it matters) and a lost
//! connection only marks this display dead: every later call answers E_X11_CLOSED without touching Xlib.
use super::error::{fail, Result, X11ErrorCode};
use super::ffi::*;
use std::ffi::{CStr, CString};
use std::os::raw::{c_int, c_void};
use std::ptr::null_mut;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

/// Last X protocol error code seen by any display of this process (0 = none). Xlib's error handler is
/// process-wide and all our X calls run on the JS thread, so one slot is enough.
static LAST_ERROR: AtomicU8 = AtomicU8::new(0);

unsafe extern "C" fn on_error(_dpy: *mut Display, e: *mut XErrorEvent) -> c_int {
    LAST_ERROR.store((*e).error_code.max(1), Ordering::Relaxed);
    0
}

/// Xlib's default prints and exits; ours only lets Xlib go on to the exit handler below.
unsafe extern "C" fn on_io_error_report(_dpy: *mut Display) -> c_int {
    0
}

unsafe extern "C" fn on_io_error(_dpy: *mut Display, data: *mut c_void) {
    // Returning (instead of exiting) leaves the connection unusable; `dead` keeps us from using it.
    (*(data as *const AtomicBool)).store(true, Ordering::Relaxed);
}

pub struct XDisplay {
    pub dpy: *mut Display,
    pub screen: c_int,
    pub root: Window,
    pub visual: *mut Visual,
    pub depth: c_int,
    pub damage_event: c_int,
    pub fixes_event: c_int,
    pub shm: bool,
    pub name: String,
    dead: Box<AtomicBool>,
}

impl XDisplay {
    pub fn open(name: Option<&str>) -> Result<Self> {
        let shown = name.map(str::to_string).or_else(|| std::env::var("DISPLAY").ok()).unwrap_or_default();
        let cname = match name {
            Some(n) => Some(CString::new(n).map_err(|_| super::error::X11Error::new(X11ErrorCode::Argument, "display name contains NUL"))?),
            None => None,
        };
        unsafe {
            XSetErrorHandler(Some(on_error));
            XSetIOErrorHandler(Some(on_io_error_report));
            let dpy = XOpenDisplay(cname.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()));
            if dpy.is_null() {
                return fail(X11ErrorCode::Open, format!("cannot open X display {shown:?} (no X server there, or access refused)"));
            }
            let dead = Box::new(AtomicBool::new(false));
            XSetIOErrorExitHandler(dpy, Some(on_io_error), &*dead as *const AtomicBool as *mut c_void);
            let screen = XDefaultScreen(dpy);
            let mut d = XDisplay {
                dpy,
                screen,
                root: XRootWindow(dpy, screen),
                visual: XDefaultVisual(dpy, screen),
                depth: XDefaultDepth(dpy, screen),
                damage_event: 0,
                fixes_event: 0,
                shm: false,
                name: shown,
                dead,
            };
            let (mut ev, mut er, mut major, mut minor) = (0, 0, 0, 0);
            let missing = |what: &str| fail(X11ErrorCode::Extension, format!("X server {:?} lacks the {what} extension", d.name));
            if XDamageQueryExtension(dpy, &mut d.damage_event, &mut er) == FALSE {
                return missing("DAMAGE");
            }
            if XFixesQueryExtension(dpy, &mut d.fixes_event, &mut er) == FALSE {
                return missing("XFIXES");
            }
            // Regions and cursor images need XFixes 2; the version must be announced before use.
            XFixesQueryVersion(dpy, &mut major, &mut minor);
            if XTestQueryExtension(dpy, &mut ev, &mut er, &mut major, &mut minor) == FALSE {
                return missing("XTEST");
            }
            if XRRQueryExtension(dpy, &mut ev, &mut er) == FALSE {
                return missing("RANDR");
            }
            // Depth 24/32 with 32 bits per pixel is what every current X server uses; others are refused
            // rather than captured wrong.
            if d.depth != 24 && d.depth != 32 {
                return fail(X11ErrorCode::Extension, format!("screen depth {} is not supported (24 or 32 only)", d.depth));
            }
            // MIT-SHM works only when the server shares our host; without it, capture falls back to XGetImage.
            d.shm = XShmQueryExtension(dpy) != FALSE;
            Ok(d)
        }
    }

    /// E_X11_CLOSED once the connection is lost.
    pub fn alive(&self) -> Result<()> {
        if self.dead.load(Ordering::Relaxed) {
            return fail(X11ErrorCode::Closed, format!("the connection to X display {:?} was lost", self.name));
        }
        Ok(())
    }

    /// Root window size in pixels (RandR may change it while we run).
    pub fn size(&self) -> (i32, i32) {
        unsafe { (XDisplayWidth(self.dpy, self.screen), XDisplayHeight(self.dpy, self.screen)) }
    }

    /// Forgets earlier protocol errors; pair with `sync_error` around requests whose failure matters.
    pub fn clear_error(&self) {
        LAST_ERROR.store(0, Ordering::Relaxed);
    }

    /// Waits for the server to process everything sent and returns the protocol error it reported, if any.
    pub fn sync_error(&self) -> Option<u8> {
        unsafe { XSync(self.dpy, FALSE) };
        match LAST_ERROR.swap(0, Ordering::Relaxed) {
            0 => None,
            e => Some(e),
        }
    }

    pub fn atom(&self, name: &str) -> Atom {
        let c = CString::new(name).expect("atom names are literals");
        unsafe { XInternAtom(self.dpy, c.as_ptr(), FALSE) }
    }

    pub fn atom_name(&self, atom: Atom) -> String {
        unsafe {
            let p = XGetAtomName(self.dpy, atom);
            if p.is_null() {
                return String::new();
            }
            let s = CStr::from_ptr(p).to_string_lossy().into_owned();
            XFree(p as *mut c_void);
            s
        }
    }

    pub fn flush(&self) {
        unsafe { XFlush(self.dpy) };
    }
}

impl Drop for XDisplay {
    fn drop(&mut self) {
        if !self.dead.load(Ordering::Relaxed) && !self.dpy.is_null() {
            unsafe { XCloseDisplay(self.dpy) };
        }
        self.dpy = null_mut();
    }
}
