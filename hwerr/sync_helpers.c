// SPDX-License-Identifier: GPL-2.0
/*
 * Calls Rust cannot make in 7.2 because they are C macros or inline functions:
 * spin_lock_irqsave()/spin_trylock_irqsave()/spin_unlock_irqrestore() for sync.rs (the flags argument is an
 * lvalue, and 7.2 has no Rust SpinLockIrq), and migrate_disable()/local_irq_save()
 * for inject.rs. That is the only reason this is C.
 *
 * Context: any but NMI.
 */

#include <linux/irqflags.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/spinlock.h>

unsigned long hwerr_spin_lock_irqsave(spinlock_t *lock);
void hwerr_spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags);
bool hwerr_spin_trylock_irqsave(spinlock_t *lock, unsigned long *flags);

unsigned long hwerr_spin_lock_irqsave(spinlock_t *lock)
{
	unsigned long flags;

	spin_lock_irqsave(lock, flags);
	return flags;
}

void hwerr_spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags)
{
	spin_unlock_irqrestore(lock, flags);
}

/* On success interrupts are off and *@flags holds what to restore; else unchanged. */
bool hwerr_spin_trylock_irqsave(spinlock_t *lock, unsigned long *flags)
{
	unsigned long f;

	if (!spin_trylock_irqsave(lock, f))
		return false;
	*flags = f;
	return true;
}

/*
 * For the debugfs inject file (inject.rs): migrate_disable() is inline and
 * local_irq_save() a macro. hwerr_pin() pins the task to its CPU and, if
 * @irqs_off, saves and disables local interrupts; hwerr_unpin() undoes it with the
 * same @irqs_off. Context: process.
 */
unsigned long hwerr_pin(bool irqs_off);
void hwerr_unpin(bool irqs_off, unsigned long flags);

unsigned long hwerr_pin(bool irqs_off)
{
	unsigned long flags = 0;

	migrate_disable();
	if (irqs_off)
		local_irq_save(flags);
	return flags;
}

void hwerr_unpin(bool irqs_off, unsigned long flags)
{
	if (irqs_off)
		local_irq_restore(flags);
	migrate_enable();
}
