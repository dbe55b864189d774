// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! The two synchronisation primitives the log needs that 7.2's `kernel::sync` lacks:
//!
//! - [`IrqSpinLock`]: a spinlock taken with interrupts off (`spin_lock_irqsave`), so
//!   that a record captured in hard-IRQ context can be appended while process context
//!   holds the same lock on this CPU.
//! - [`WaitQueue`]: a bare `wait_queue_head` with keyed wake-ups (`EPOLLIN` versus
//!   `EPOLLPRI` waiters), `poll_wait()`, an interruptible wait on a condition, and
//!   function entries (`init_waitqueue_func_entry()`), which is how in-kernel
//!   consumers are woken. `PollCondVar` wakes without a key and hides its queue.

use kernel::{
    bindings,
    prelude::*,
    sync::{
        lock::{Backend, Lock},
        LockClassKey,
    },
    types::Opaque,
};

extern "C" {
    fn hwerr_spin_lock_irqsave(lock: *mut bindings::spinlock_t) -> c_ulong;
    fn hwerr_spin_unlock_irqrestore(lock: *mut bindings::spinlock_t, flags: c_ulong);
    fn hwerr_spin_trylock_irqsave(lock: *mut bindings::spinlock_t, flags: *mut c_ulong) -> bool;
}

/// The `spin_lock_irqsave()` backend of [`IrqSpinLock`].
pub(crate) struct IrqSpinLockBackend;

/// A spinlock held with local interrupts disabled; the guard restores them.
///
/// Context: any but NMI (a lock cannot be taken in NMI context).
pub(crate) type IrqSpinLock<T> = Lock<T, IrqSpinLockBackend>;

// SAFETY: `spinlock_t` provides mutual exclusion; the guard state is the interrupt
// flags saved by `lock` and given back to `unlock`, and `relock` (the default) saves
// fresh flags, which is right after a wait re-enabled interrupts.
unsafe impl Backend for IrqSpinLockBackend {
    type State = bindings::spinlock_t;
    type GuardState = c_ulong;

    unsafe fn init(ptr: *mut Self::State, name: *const c_char, key: *mut bindings::lock_class_key) {
        // SAFETY: The caller passes a pointer valid for writes and a name and key
        // valid forever.
        unsafe { bindings::__spin_lock_init(ptr, name, key) }
    }

    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // SAFETY: The caller guarantees `ptr` is an initialised lock.
        unsafe { hwerr_spin_lock_irqsave(ptr) }
    }

    unsafe fn try_lock(ptr: *mut Self::State) -> Option<Self::GuardState> {
        let mut flags = 0;
        // SAFETY: As for `lock`; `flags` is valid for writes.
        unsafe { hwerr_spin_trylock_irqsave(ptr, &mut flags) }.then_some(flags)
    }

    unsafe fn unlock(ptr: *mut Self::State, flags: &Self::GuardState) {
        // SAFETY: The caller owns the lock; `flags` came from `lock`.
        unsafe { hwerr_spin_unlock_irqrestore(ptr, *flags) }
    }

    unsafe fn assert_is_held(ptr: *mut Self::State) {
        // SAFETY: The caller guarantees `ptr` is an initialised lock.
        unsafe { bindings::spin_assert_is_held(ptr) }
    }
}

/// Creates an [`IrqSpinLock`] initialiser with a lock class of its own.
macro_rules! new_irq_spinlock {
    ($inner:expr, $name:literal) => {
        $crate::sync::IrqSpinLock::new($inner, kernel::c_str!($name), kernel::static_lock_class!())
    };
}
pub(crate) use new_irq_spinlock;

/// A kernel wait queue.
///
/// # Invariants
///
/// `head` is an initialised `wait_queue_head` for as long as `self` lives.
#[pin_data(PinnedDrop)]
pub(crate) struct WaitQueue {
    #[pin]
    head: Opaque<bindings::wait_queue_head>,
}

// SAFETY: A wait queue is protected by its own spinlock and may be used from any thread.
unsafe impl Send for WaitQueue {}
// SAFETY: As above.
unsafe impl Sync for WaitQueue {}

impl WaitQueue {
    /// An empty wait queue.
    pub(crate) fn new(name: &'static CStr, key: Pin<&'static LockClassKey>) -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `slot` is valid for writes; name and key live forever.
            // INVARIANT: initialised here.
            head <- Opaque::ffi_init(|slot| unsafe {
                bindings::__init_waitqueue_head(slot, name.as_char_ptr(), key.as_ptr())
            }),
        })
    }

    /// Wakes every waiter whose interest intersects `events` (`EPOLL*` bits).
    ///
    /// Context: any but NMI.
    pub(crate) fn wake(&self, events: u32) {
        // SAFETY: `head` is initialised (type invariant). A poll key is the event mask
        // cast to a pointer, as `poll_to_key()` does.
        unsafe {
            bindings::__wake_up(
                self.head.get(),
                bindings::TASK_NORMAL,
                0,
                events as usize as *mut c_void,
            )
        };
    }

    /// Whether anyone is waiting; pairs with the barrier in `prepare_to_wait()`.
    ///
    /// Context: any.
    pub(crate) fn has_waiters(&self) -> bool {
        // A full barrier orders the caller's update before the list check, as
        // `wq_has_sleeper()` does.
        kernel::sync::barrier::smp_mb();
        // SAFETY: `head` is initialised; reading `head.next` racily is what
        // `waitqueue_active()` does.
        unsafe {
            let head = self.head.get();
            let list = core::ptr::addr_of_mut!((*head).head);
            let next: *mut bindings::list_head =
                core::ptr::read_volatile(core::ptr::addr_of!((*list).next));
            next != list
        }
    }

    /// Registers this queue with a `poll()` call.
    ///
    /// # Safety
    ///
    /// `file` is the file being polled and `table` the poll table of this call (or null);
    /// `self` outlives `file`'s poll registration (it is released at the file's last
    /// close, before the owner of `self` can go away).
    pub(crate) unsafe fn poll_wait(
        &self,
        file: *mut bindings::file,
        table: *mut bindings::poll_table,
    ) {
        // SAFETY: By the function's safety requirements.
        unsafe { bindings::poll_wait(file, self.head.get(), table) }
    }

    /// Sleeps (interruptibly) until `cond()` is true.
    ///
    /// `cond` runs in task state `TASK_INTERRUPTIBLE`: it must not sleep (spinlocks
    /// are fine). Fails with `ERESTARTSYS` if a signal arrives first.
    ///
    /// Context: process, sleeps.
    pub(crate) fn wait_until(&self, mut cond: impl FnMut() -> bool) -> Result {
        let entry = Opaque::<bindings::wait_queue_entry>::uninit();
        // SAFETY: `entry` is valid for writes and stays on this stack frame (not moved)
        // until `finish_wait()` below has taken it off the queue.
        unsafe { bindings::init_wait_entry(entry.get(), 0) };
        let ret = loop {
            // SAFETY: `head` is initialised and `entry` was initialised above.
            unsafe {
                bindings::prepare_to_wait(
                    self.head.get(),
                    entry.get(),
                    bindings::TASK_INTERRUPTIBLE as c_int,
                )
            };
            if cond() {
                break Ok(());
            }
            // SAFETY: `current` is a valid task.
            if unsafe { bindings::signal_pending(bindings::get_current()) } != 0 {
                break Err(ERESTARTSYS);
            }
            // SAFETY: Sleeping is allowed in this context; a wake-up sets us running.
            unsafe { bindings::schedule() };
        };
        // SAFETY: As for `prepare_to_wait()`.
        unsafe { bindings::finish_wait(self.head.get(), entry.get()) };
        ret
    }

    /// Adds a function entry: `entry.func` is called under the queue's lock, with
    /// interrupts off, on every wake-up.
    ///
    /// # Safety
    ///
    /// `entry` is initialised with a `func` that is sound in that context, is not on
    /// any queue, and stays valid until [`WaitQueue::remove`] returns.
    pub(crate) unsafe fn add(&self, entry: *mut bindings::wait_queue_entry) {
        // SAFETY: By the function's safety requirements.
        unsafe { bindings::add_wait_queue(self.head.get(), entry) }
    }

    /// Removes an entry added with [`WaitQueue::add`]; its function does not run
    /// once this returns.
    ///
    /// # Safety
    ///
    /// `entry` was added to this queue and not removed yet.
    pub(crate) unsafe fn remove(&self, entry: *mut bindings::wait_queue_entry) {
        // SAFETY: By the function's safety requirements.
        unsafe { bindings::remove_wait_queue(self.head.get(), entry) }
    }
}

#[pinned_drop]
impl PinnedDrop for WaitQueue {
    fn drop(self: Pin<&mut Self>) {
        // Detach any epoll entry still registered (as `PollCondVar` does), then wait for
        // epoll to drop its references.
        // SAFETY: `head` is initialised.
        unsafe { bindings::__wake_up_pollfree(self.head.get()) };
        // SAFETY: Just an FFI call.
        unsafe { bindings::synchronize_rcu() };
    }
}
