/* svmprobe: runs each SVM instruction from user mode in a child process and
 * reports the signal it died of. On a CPU without SVM every one raises #UD
 * (SIGILL) at any privilege level; thinvisor must give its guest the same.
 * Prints "svmprobe: <insn> SIGILL|SIGSEGV|..." per instruction; exits 0 only if
 * all raised SIGILL. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void run(int which) {
  switch (which) {
    case 0: __asm__ __volatile__(".byte 0x0f,0x01,0xd8" ::"a"(0)); break;         /* vmrun */
    case 1: __asm__ __volatile__(".byte 0x0f,0x01,0xda" ::"a"(0)); break;         /* vmload */
    case 2: __asm__ __volatile__(".byte 0x0f,0x01,0xdb" ::"a"(0)); break;         /* vmsave */
    case 3: __asm__ __volatile__(".byte 0x0f,0x01,0xdc"); break;                  /* stgi */
    case 4: __asm__ __volatile__(".byte 0x0f,0x01,0xdd"); break;                  /* clgi */
    case 5: __asm__ __volatile__(".byte 0x0f,0x01,0xde" ::"a"(0)); break;         /* skinit */
    case 6: __asm__ __volatile__(".byte 0x0f,0x01,0xdf" ::"a"(0), "c"(0)); break; /* invlpga */
  }
}

int main(void) {
  static const char* const names[] = {"vmrun", "vmload", "vmsave", "stgi", "clgi", "skinit", "invlpga"};
  int all_sigill = 1;
  for (int i = 0; i < 7; ++i) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
      run(i);
      _exit(0); /* executed without a fault */
    }
    int st = 0;
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st)) {
      printf("svmprobe: %s %s\n", names[i], WTERMSIG(st) == SIGILL ? "SIGILL" : strsignal(WTERMSIG(st)));
      all_sigill &= WTERMSIG(st) == SIGILL;
    } else {
      printf("svmprobe: %s ran without a fault\n", names[i]);
      all_sigill = 0;
    }
  }
  return all_sigill ? 0 : 1;
}
