/* avx2only.so: run a benchmark on an AVX-512 machine with the kernels an AVX2-only CPU gets.

   Preloaded (LD_PRELOAD), it turns on CPUID faulting for the process (Linux ARCH_SET_CPUID; the CPU
   flag `cpuid_fault`) and answers each CPUID itself, from the real CPU with the AVX-512, AVX-VNNI
   and AMX bits cleared. Libraries that choose their kernels from CPUID at run time (ONNX Runtime's
   MLAS, torch, oneDNN) then run their AVX2 code, at this CPU's clock and memory speed. Code compiled
   for AVX-512 (a native llama.cpp build) is not changed: build it without AVX-512 instead.

   Sets AVX2ONLY_ACTIVE=1 in the environment when faulting is on, so the caller can check.
   Built and used by bench/avx2_kernels.py; not part of the product. */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef ARCH_SET_CPUID
#define ARCH_SET_CPUID 0x1012
#endif

static long set_cpuid(int enabled) { return syscall(SYS_arch_prctl, ARCH_SET_CPUID, (unsigned long)enabled); }

static void answer_cpuid(int sig, siginfo_t *info, void *context) {
  (void)info;
  greg_t *reg = ((ucontext_t *)context)->uc_mcontext.gregs;
  const unsigned char *ip = (const unsigned char *)reg[REG_RIP];
  if (ip[0] != 0x0f || ip[1] != 0xa2) {  /* a real segmentation fault: die as the process would have */
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  uint32_t leaf = (uint32_t)reg[REG_RAX], sub = (uint32_t)reg[REG_RCX], a, b, c, d;
  set_cpuid(1);  /* per thread, so this does not race with other threads */
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(sub));
  set_cpuid(0);
  if (leaf == 7 && sub == 0) {
    /* EBX: avx512 f dq ifma pf er cd bw vl; ECX: avx512 vbmi vbmi2 vnni bitalg vpopcntdq;
       EDX: avx512 4vnniw 4fmaps vp2intersect fp16, amx bf16 tile int8 */
    b &= ~((1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) | (1u << 27) | (1u << 28) | (1u << 30) | (1u << 31));
    c &= ~((1u << 1) | (1u << 6) | (1u << 11) | (1u << 12) | (1u << 14));
    d &= ~((1u << 2) | (1u << 3) | (1u << 8) | (1u << 22) | (1u << 23) | (1u << 24) | (1u << 25));
  } else if (leaf == 7 && sub == 1) {
    a &= ~((1u << 4) | (1u << 5) | (1u << 21) | (1u << 23));  /* avx_vnni avx512_bf16 amx_fp16 avx_ifma */
  } else if (leaf == 0xd && sub == 0) {
    a &= ~((7u << 5) | (3u << 17));  /* opmask/ZMM and AMX tile state components */
  }
  reg[REG_RAX] = a;
  reg[REG_RBX] = b;
  reg[REG_RCX] = c;
  reg[REG_RDX] = d;
  reg[REG_RIP] += 2;
}

__attribute__((constructor)) static void start(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = answer_cpuid;
  action.sa_flags = SA_SIGINFO | SA_NODEFER;
  if (sigaction(SIGSEGV, &action, NULL) == 0 && set_cpuid(0) == 0) setenv("AVX2ONLY_ACTIVE", "1", 1);
}
