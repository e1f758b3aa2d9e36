// tsc: the guest's time-stamp counter (rdtsc). Under QEMU -icount shift=0 it
// counts emulated instructions, so it measures guest cost.
//
//   tsc                 prints the TSC in decimal
//   tsc CMD [ARGS...]   runs CMD, then prints "tsc: <ticks> ticks, status <S>"
//                       to stderr: the ticks from before its fork to after its
//                       exit (tvbench's dbgsh_log_instructions: `tsc dbgsh -c log`).
//                       Exits with CMD's status (127: CMD could not run).
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static inline uint64_t read_tsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
  return ((uint64_t)hi << 32) | lo;
}

static int time_command(char** argv) {
  fflush(NULL);
  uint64_t t0 = read_tsc();
  pid_t pid = fork();
  if (pid < 0) {
    perror("tsc: fork");
    return 127;
  }
  if (pid == 0) {
    execvp(argv[0], argv);
    perror("tsc: exec");
    _exit(127);
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) {
      perror("tsc: waitpid");
      return 127;
    }
  uint64_t t1 = read_tsc();
  int status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  fprintf(stderr, "tsc: %llu ticks, status %d\n", (unsigned long long)(t1 - t0), status);
  return status;
}

int main(int argc, char** argv) {
  if (argc > 1) return time_command(argv + 1);
  printf("%llu\n", (unsigned long long)read_tsc());
  return 0;
}
