package io.podvisor.hypervisor.cloudhypervisor;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * One HTTP/1.1 response.
 *
 * @param headers header names in lower case
 */
record HttpResponse(int status, String reason, Map<String, String> headers, byte[] body) {

    boolean isSuccess() {
        return status >= 200 && status < 300;
    }

    String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
