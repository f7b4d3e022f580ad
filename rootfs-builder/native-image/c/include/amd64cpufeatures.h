/* The CPU features Substrate VM reads at start-up (com.oracle.svm.core.amd64.AMD64LibCHelper): one byte a
 * feature, named as the Java interface's fields. */
#ifndef PODVISOR_AMD64CPUFEATURES_H
#define PODVISOR_AMD64CPUFEATURES_H

#include <stdint.h>

typedef struct {
    uint8_t fCX8;
    uint8_t fCMOV;
    uint8_t fFXSR;
    uint8_t fHT;
    uint8_t fMMX;
    uint8_t fAMD_3DNOW_PREFETCH;
    uint8_t fSSE;
    uint8_t fSSE2;
    uint8_t fSSE3;
    uint8_t fSSSE3;
    uint8_t fSSE4A;
    uint8_t fSSE4_1;
    uint8_t fSSE4_2;
    uint8_t fPOPCNT;
    uint8_t fLZCNT;
    uint8_t fTSC;
    uint8_t fTSCINV;
    uint8_t fTSCINV_BIT;
    uint8_t fAVX;
    uint8_t fAVX2;
    uint8_t fAES;
    uint8_t fERMS;
    uint8_t fCLMUL;
    uint8_t fBMI1;
    uint8_t fBMI2;
    uint8_t fRTM;
    uint8_t fADX;
    uint8_t fAVX512F;
    uint8_t fAVX512DQ;
    uint8_t fAVX512PF;
    uint8_t fAVX512ER;
    uint8_t fAVX512CD;
    uint8_t fAVX512BW;
    uint8_t fAVX512VL;
    uint8_t fSHA;
    uint8_t fFMA;
    uint8_t fVZEROUPPER;
    uint8_t fAVX512_VPOPCNTDQ;
    uint8_t fAVX512_VPCLMULQDQ;
    uint8_t fAVX512_VAES;
    uint8_t fAVX512_VNNI;
    uint8_t fFLUSH;
    uint8_t fFLUSHOPT;
    uint8_t fCLWB;
    uint8_t fAVX512_VBMI2;
    uint8_t fAVX512_VBMI;
    uint8_t fHV;
    uint8_t fSERIALIZE;
    uint8_t fRDTSCP;
    uint8_t fRDPID;
    uint8_t fFSRM;
    uint8_t fGFNI;
    uint8_t fAVX512_BITALG;
    uint8_t fPKU;
    uint8_t fOSPKE;
    uint8_t fCET_IBT;
    uint8_t fCET_SS;
    uint8_t fF16C;
    uint8_t fAVX512_IFMA;
    uint8_t fAVX_IFMA;
    uint8_t fAPX_F;
    uint8_t fSHA512;
    uint8_t fAVX512_FP16;
    uint8_t fAVX10_1;
    uint8_t fAVX10_2;
} CPUFeatures;

void determineCPUFeatures(CPUFeatures *features);
int checkCPUFeatures(uint8_t *required_negated);
int checkCPUFeaturesOrExit(uint8_t *required_negated, const char *message);

#endif
