package io.podvisor.shim;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AotTrainingTest {
    @AfterEach
    void logToStderrAgain() {
        ShimLog.configure(System.err, "", false);
    }

    /** install/aot-cache.sh runs this with -XX:AOTCacheOutput; it needs no containerd and no VM. */
    @Test
    void theTrainingRunCompletesWithoutContainerdOrVm() throws Exception {
        AotTraining.main(new String[0]);
    }
}
