/* The RISCV64 CPU feature set Substrate VM's builder queries on every platform (RISCV64LibCHelper); an amd64
 * image only needs its layout. */
#ifndef PODVISOR_RISCV64CPUFEATURES_H
#define PODVISOR_RISCV64CPUFEATURES_H

#include <stdint.h>

typedef struct {
    uint8_t fI;
    uint8_t fM;
    uint8_t fA;
    uint8_t fF;
    uint8_t fD;
    uint8_t fC;
    uint8_t fV;
} CPUFeatures;

#endif
