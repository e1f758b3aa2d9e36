// A test-and-test-and-set spinlock for the VMM's shared state, ready for SMP.
// Freestanding: GCC's __atomic builtins, no library. The VMM runs with GIF
// clear, so no interrupt handler can take a lock its CPU already holds; a
// holder must still never block or take the same lock again (not recursive).
#pragma once

namespace tv {

class SpinLock {
 public:
  constexpr SpinLock() = default;
  SpinLock(const SpinLock&) = delete;
  SpinLock& operator=(const SpinLock&) = delete;

  bool try_lock() { return !__atomic_test_and_set(&held_, __ATOMIC_ACQUIRE); }
  void lock() {
    while (!try_lock()) {
      // Spin on a plain load so waiting CPUs share the cache line until it is released.
      while (__atomic_load_n(&held_, __ATOMIC_RELAXED)) pause();
    }
  }
  void unlock() { __atomic_clear(&held_, __ATOMIC_RELEASE); }
  bool is_locked() const { return __atomic_load_n(&held_, __ATOMIC_RELAXED); }

 private:
  static void pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();  // PAUSE: tells the CPU this is a spin-wait loop
#endif
  }
  bool held_ = false;
};

// Holds a SpinLock for the rest of the enclosing scope.
class [[nodiscard]] SpinGuard {
 public:
  explicit SpinGuard(SpinLock& l) : lock_(l) { lock_.lock(); }
  ~SpinGuard() { lock_.unlock(); }
  SpinGuard(const SpinGuard&) = delete;
  SpinGuard& operator=(const SpinGuard&) = delete;

 private:
  SpinLock& lock_;
};

}  // namespace tv
