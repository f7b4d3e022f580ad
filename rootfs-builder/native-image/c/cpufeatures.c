/* CPU feature detection for Substrate VM on amd64: the image checks at start-up that the CPU has every
 * feature it was compiled for, and picks faster code paths for the features it finds. */
#include <cpuid.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd64cpufeatures.h"

#define BIT(reg, n) (((reg) >> (n)) & 1)

/* Which register state the OS saves on a context switch (XCR0): AVX needs XMM+YMM, AVX-512 also the
 * opmask and upper ZMM state. */
static unsigned long long os_saved_state(unsigned int ecx1) {
    if (!BIT(ecx1, 27)) {
        return 0; /* no OSXSAVE: xgetbv would fault */
    }
    unsigned int lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long) hi << 32) | lo;
}

void determineCPUFeatures(CPUFeatures *f) {
    unsigned int eax, ebx, ecx, edx;
    memset(f, 0, sizeof(*f));
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
        return;
    }
    unsigned int ecx1 = ecx;
    f->fTSC = BIT(edx, 4);
    f->fCX8 = BIT(edx, 8);
    f->fCMOV = BIT(edx, 15);
    f->fFLUSH = BIT(edx, 19);
    f->fMMX = BIT(edx, 23);
    f->fFXSR = BIT(edx, 24);
    f->fSSE = BIT(edx, 25);
    f->fSSE2 = BIT(edx, 26);
    f->fHT = BIT(edx, 28);
    f->fSSE3 = BIT(ecx, 0);
    f->fCLMUL = BIT(ecx, 1);
    f->fSSSE3 = BIT(ecx, 9);
    f->fSSE4_1 = BIT(ecx, 19);
    f->fSSE4_2 = BIT(ecx, 20);
    f->fPOPCNT = BIT(ecx, 23);
    f->fAES = BIT(ecx, 25);
    f->fHV = BIT(ecx, 31);

    unsigned long long xcr0 = os_saved_state(ecx1);
    int avx_state = (xcr0 & 0x6) == 0x6;
    int avx512_state = avx_state && (xcr0 & 0xe0) == 0xe0;
    if (avx_state) {
        f->fAVX = BIT(ecx1, 28);
        f->fFMA = BIT(ecx1, 12);
        f->fF16C = BIT(ecx1, 29);
        f->fVZEROUPPER = f->fAVX;
    }

    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
        f->fBMI1 = BIT(ebx, 3);
        f->fBMI2 = BIT(ebx, 8);
        f->fERMS = BIT(ebx, 9);
        f->fRTM = BIT(ebx, 11);
        f->fADX = BIT(ebx, 19);
        f->fFLUSHOPT = BIT(ebx, 23);
        f->fCLWB = BIT(ebx, 24);
        f->fSHA = BIT(ebx, 29);
        f->fPKU = BIT(ecx, 3);
        f->fOSPKE = BIT(ecx, 4);
        f->fGFNI = BIT(ecx, 8);
        f->fRDPID = BIT(ecx, 22);
        f->fFSRM = BIT(edx, 4);
        f->fSERIALIZE = BIT(edx, 14);
        if (avx_state) {
            f->fAVX2 = BIT(ebx, 5);
        }
        if (avx512_state) {
            f->fAVX512F = BIT(ebx, 16);
            f->fAVX512DQ = BIT(ebx, 17);
            f->fAVX512_IFMA = BIT(ebx, 21);
            f->fAVX512PF = BIT(ebx, 26);
            f->fAVX512ER = BIT(ebx, 27);
            f->fAVX512CD = BIT(ebx, 28);
            f->fAVX512BW = BIT(ebx, 30);
            f->fAVX512VL = BIT(ebx, 31);
            f->fAVX512_VBMI = BIT(ecx, 1);
            f->fAVX512_VBMI2 = BIT(ecx, 6);
            f->fAVX512_VAES = BIT(ecx, 9);
            f->fAVX512_VPCLMULQDQ = BIT(ecx, 10);
            f->fAVX512_VNNI = BIT(ecx, 11);
            f->fAVX512_BITALG = BIT(ecx, 12);
            f->fAVX512_VPOPCNTDQ = BIT(ecx, 14);
        }
    }

    if (__get_cpuid(0x80000001, &eax, &ebx, &ecx, &edx)) {
        f->fLZCNT = BIT(ecx, 5);
        f->fSSE4A = BIT(ecx, 6);
        f->fAMD_3DNOW_PREFETCH = BIT(ecx, 8);
        f->fRDTSCP = BIT(edx, 27);
    }
    if (__get_cpuid(0x80000007, &eax, &ebx, &ecx, &edx)) {
        f->fTSCINV_BIT = BIT(edx, 8);
        f->fTSCINV = f->fTSCINV_BIT;
    }
}

/* 0 when this CPU has every feature the image was built for, else -1. The image passes those features as a
 * CPUFeatures struct in bitwise negated form: a byte is all ones unless its feature is required. */
int checkCPUFeatures(uint8_t *required_negated) {
    CPUFeatures actual;
    determineCPUFeatures(&actual);
    const uint8_t *have = (const uint8_t *) &actual;
    for (size_t i = 0; i < sizeof(CPUFeatures); i++) {
        if ((uint8_t) (have[i] | required_negated[i]) != 0xff) {
            return -1;
        }
    }
    return 0;
}

int checkCPUFeaturesOrExit(uint8_t *required_negated, const char *message) {
    if (checkCPUFeatures(required_negated) != 0) {
        fprintf(stderr, "%s\n", message);
        exit(1);
    }
    return 0;
}
